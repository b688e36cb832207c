package store_test

import (
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"unicode/utf8"

	"github.com/flowstore/flowstore/internal/testdb"
	"github.com/flowstore/flowstore/store"
	constants "github.com/flowstore/flowstore/store/constant"
)

// Seeds from issue 14: NUL, invalid UTF-8, a lone surrogate's bytes, quote
// characters and text that looks like SQL, lengths at and past the limits,
// trailing spaces, characters outside the BMP (two UTF-16 units on SQL
// Server), and what bun's literal inlining once mangled.
var issue14Text = []string{
	"", "plain", "nul\x00name", "\x00", "bad\xffutf8", "\xed\xa0\x80", "\xc3", "it's", `"quoted"`, "back\\slash",
	"'; DROP TABLE \"Constants\"; --", "?", "$1", "@p1", "{pid}", "trailing ", " leading", "tab\tnew\nline",
	"\u00e6\u00f8\u00e5", "\U0001F600", strings.Repeat("x", 100), strings.Repeat("x", 101),
	strings.Repeat("\U0001F600", 50), strings.Repeat("\U0001F600", 51), "\u2028", "\ufeff", "\ufffd",
}

// FuzzConstantRoundTrip: on every live dialect, a constant either comes
// back exactly as it was set — name and value, byte for byte — or Set
// refuses it with ErrInvalid or ErrTooLong and nothing is stored. Issue 14
// found values written but not readable (NUL on SQLite and MariaDB),
// silently altered ones (invalid UTF-8 as U+FFFD, MariaDB dropping a NUL)
// and untyped driver errors on PostgreSQL.
func FuzzConstantRoundTrip(f *testing.F) {
	for _, s := range issue14Text {
		f.Add(s, s)
		f.Add("name", s)
		f.Add(s, "value")
	}
	type target struct {
		name store.DialectName
		st   constants.Store
	}
	var targets []target
	for _, d := range testdb.Live() {
		st, err := constants.New(testdb.Fresh(f, d))
		if err != nil {
			f.Fatal(err)
		}
		targets = append(targets, target{d, st})
	}
	var n atomic.Int64
	f.Fuzz(func(t *testing.T, name, value string) {
		// A prefix of its own per input: MariaDB's collation compares
		// names without case and trailing spaces, so two inputs could
		// meet in one row.
		name = fmt.Sprintf("f%d:%s", n.Add(1), name)
		for _, tg := range targets {
			ctx := t.Context()
			err := tg.st.Set(ctx, name, value)
			if err != nil {
				if !errors.Is(err, store.ErrInvalid) && !errors.Is(err, store.ErrTooLong) {
					t.Fatalf("%s: Set(%q, %q): unclassified error %v", tg.name, name, value, err)
				}
				// Refused before writing: nothing to read. The lookup
				// itself follows the text rule (a bad name is ErrInvalid).
				if _, gerr := tg.st.Get(ctx, name); !errors.Is(gerr, store.ErrNotFound) && !errors.Is(gerr, store.ErrInvalid) && !errors.Is(gerr, store.ErrTooLong) {
					t.Fatalf("%s: Set(%q) refused (%v), then Get: %v", tg.name, name, err, gerr)
				}
				continue
			}
			got, err := tg.st.Get(ctx, name)
			if err != nil {
				t.Fatalf("%s: Set(%q, %q) succeeded, Get: %v", tg.name, name, value, err)
			}
			if got.Name != name || got.Value != value {
				t.Fatalf("%s: Set(%q, %q), Get gives (%q, %q)", tg.name, name, value, got.Name, got.Value)
			}
		}
	})
}

// FuzzTextRule: the one text rule refuses exactly the text no dialect
// stores exactly (a NUL, invalid UTF-8), with ErrInvalid, and every
// dialect's CheckText applies it, adding only ErrTooLong for text over the
// limit.
func FuzzTextRule(f *testing.F) {
	for _, s := range issue14Text {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		bad := strings.IndexByte(s, 0) >= 0 || !utf8.ValidString(s)
		err := store.ValidText("text", s)
		if bad != (err != nil) {
			t.Fatalf("ValidText(%q) = %v; NUL or invalid UTF-8: %v", s, err, bad)
		}
		if err != nil && !errors.Is(err, store.ErrInvalid) {
			t.Fatalf("ValidText(%q) = %v, not ErrInvalid", s, err)
		}
		for _, name := range store.DialectNames() {
			d, err := store.LookupDialect(name)
			if err != nil {
				t.Fatal(err)
			}
			cerr := d.CheckText("text", s, 100)
			switch {
			case bad:
				if !errors.Is(cerr, store.ErrInvalid) {
					t.Fatalf("%s: CheckText(%q) = %v, want ErrInvalid", name, s, cerr)
				}
			case d.TextLen(s) > 100:
				if !errors.Is(cerr, store.ErrTooLong) {
					t.Fatalf("%s: CheckText(%q) (%d units) = %v, want ErrTooLong", name, s, d.TextLen(s), cerr)
				}
			case cerr != nil:
				t.Fatalf("%s: CheckText(%q) = %v, want nil", name, s, cerr)
			}
		}
	})
}

// FuzzSQLiteDSNNamesItsFile: a SQLite DSN opens a file or, only when it
// asks for it by name (:memory:, mode=memory), memory. Issue 14: "sqlite:"
// with an empty path silently opened an in-memory database, so a typo lost
// every write.
func FuzzSQLiteDSNNamesItsFile(f *testing.F) {
	for _, s := range []string{
		"sqlite:", "sqlite: ", "sqlite:?", "sqlite:?mode=rwc", "sqlite://", "sqlite:///", "sqlite+pysqlite://", "file:", "file:?x=1",
		"sqlite::memory:", "sqlite:x.db", "sqlite:///x.db", "file:x.db?mode=memory", "sqlite:?timezone=UTC", "sqlite:%00",
		"sqlite:x\x00.db", "file::memory:?cache=shared",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, dsn string) {
		target, err := store.ParseDSN(dsn)
		if err != nil {
			if !errors.Is(err, store.ErrInvalid) && !errors.Is(err, store.ErrUnsupported) {
				t.Fatalf("%q: unclassified error %v", dsn, err)
			}
			return
		}
		if target.Dialect != store.SQLite {
			return
		}
		asked := strings.Contains(dsn, ":memory:") || strings.Contains(dsn, "mode=memory")
		if target.Memory && !asked {
			t.Fatalf("%q opens an in-memory database without asking for one (%s)", dsn, target.DriverDSN)
		}
		if !target.Memory && strings.TrimSpace(target.File) == "" {
			t.Fatalf("%q: a file database with no file (%s)", dsn, target.DriverDSN)
		}
	})
}
