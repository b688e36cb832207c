package orchestrator

import (
	"strings"
	"testing"

	"github.com/flowstore/flowstore/internal/testdb"
	"github.com/flowstore/flowstore/store"
)

// TestCutTextTail: the traceback keeps its last n text units of the
// dialect — UTF-16 code units on SQL Server, where a character outside the
// BMP takes two and is never split — as failed_reason keeps its first n
// (Dialect.CutText).
func TestCutTextTail(t *testing.T) {
	for _, c := range []struct {
		dialect  store.DialectName
		s        string
		max      int
		want     string
		wantHead string
	}{
		{store.SQLite, "abcdef", 3, "def", "abc"},
		{store.SQLite, "abc", 3, "abc", "abc"},
		{store.SQLite, "a😀b😀", 3, "😀b😀", "a😀b"},
		{store.SQLServer, "a😀b😀", 3, "b😀", "a😀"},
		{store.SQLServer, "a😀b😀", 4, "b😀", "a😀b"},
		{store.SQLServer, "😀😀", 3, "😀", "😀"},
		{store.SQLServer, "é" + strings.Repeat("x", 4), 4, "xxxx", "éxxx"},
	} {
		d := testdb.Offline(c.dialect).SQLDialect()
		if got := d.CutTextTail(c.s, c.max); got != c.want {
			t.Errorf("%s: CutTextTail(%q, %d) = %q, want %q", c.dialect, c.s, c.max, got, c.want)
		}
		if got := d.CutText(c.s, c.max); got != c.wantHead {
			t.Errorf("%s: CutText(%q, %d) = %q, want %q", c.dialect, c.s, c.max, got, c.wantHead)
		}
	}
}
