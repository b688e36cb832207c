package golden_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/flowstore/flowstore/internal/golden"
)

// recorder is a testing.TB that records failures instead of failing the
// real test.
type recorder struct {
	testing.TB
	errors []string
	logs   []string
}

func (r *recorder) Helper() {}
func (r *recorder) Errorf(format string, args ...any) {
	r.errors = append(r.errors, fmt.Sprintf(format, args...))
}
func (r *recorder) Logf(format string, args ...any) {
	r.logs = append(r.logs, fmt.Sprintf(format, args...))
}

func TestAssertMatchesCommittedFile(t *testing.T) {
	golden.Assert(t, "testdata/committed.sql", "SELECT 1;\n")
	golden.Assert(t, "committed.sql", "SELECT 1;\n") // testdata/ is implied
}

func TestUpdateWritesThenMatches(t *testing.T) {
	t.Chdir(t.TempDir())
	t.Setenv(golden.UpdateEnv, "1")
	rec := &recorder{TB: t}
	golden.Assert(rec, "queue/claim_postgres.sql", "UPDATE x;\n")
	if len(rec.errors) != 0 {
		t.Fatalf("update failed: %v", rec.errors)
	}
	b, err := os.ReadFile(filepath.Join("testdata", "queue", "claim_postgres.sql"))
	if err != nil || string(b) != "UPDATE x;\n" {
		t.Fatalf("written file = %q, %v", b, err)
	}
	if len(rec.logs) != 1 || !strings.Contains(rec.logs[0], "wrote testdata/queue/claim_postgres.sql") {
		t.Errorf("logs %v", rec.logs)
	}

	t.Setenv(golden.UpdateEnv, "")
	golden.Assert(rec, "testdata/queue/claim_postgres.sql", "UPDATE x;\n")
	if len(rec.errors) != 0 {
		t.Fatalf("compare after update: %v", rec.errors)
	}
}

func TestMissingFileSaysHowToCreateIt(t *testing.T) {
	t.Chdir(t.TempDir())
	t.Setenv(golden.UpdateEnv, "")
	rec := &recorder{TB: t}
	golden.Assert(rec, "testdata/missing.sql", "x")
	if len(rec.errors) != 1 {
		t.Fatalf("errors %v, want one", rec.errors)
	}
	msg := rec.errors[0]
	for _, want := range []string{"testdata/missing.sql does not exist", "UPDATE_GOLDEN=1 go test -run '^TestMissingFileSaysHowToCreateIt$'"} {
		if !strings.Contains(msg, want) {
			t.Errorf("message %q lacks %q", msg, want)
		}
	}
	if _, err := os.Stat("testdata"); !os.IsNotExist(err) {
		t.Errorf("a comparison created files: %v", err)
	}
}

func TestMismatchShowsFirstDifferingLine(t *testing.T) {
	t.Chdir(t.TempDir())
	t.Setenv(golden.UpdateEnv, "")
	if err := os.MkdirAll("testdata", 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile("testdata/q.sql", []byte("SELECT a\nFROM t\nWHERE x = 1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	rec := &recorder{TB: t}
	golden.Assert(rec, "testdata/q.sql", "SELECT a\nFROM t\nWHERE x = 2\n")
	if len(rec.errors) != 1 {
		t.Fatalf("errors %v, want one", rec.errors)
	}
	for _, want := range []string{"differs from testdata/q.sql", "line 3", "want   WHERE x = 1", "got    WHERE x = 2", "FROM t"} {
		if !strings.Contains(rec.errors[0], want) {
			t.Errorf("message %q lacks %q", rec.errors[0], want)
		}
	}
}

func TestDiff(t *testing.T) {
	for _, tc := range []struct {
		name, want, got string
		contains        []string
	}{
		{"equal", "a\nb\n", "a\nb\n", nil},
		{"changed line", "a\nb\nc\n", "a\nB\nc\n", []string{"line 2", "want   b", "got    B", "   1   a"}},
		{"extra line", "a\n", "a\nb\n", []string{"line 2", "want   \"\"", "got    b"}},
		{"missing line", "a\nb", "a", []string{"line 2", "want   b", "got    <end of output>"}},
		{"final newline", "a\n", "a", []string{"only the final newline differs"}},
		{"invisible whitespace", "a b", "a\tb", []string{`want   a b`, `got    "a\tb"`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := golden.Diff(tc.want, tc.got)
			if tc.contains == nil {
				if d != "" {
					t.Fatalf("Diff of equal texts = %q", d)
				}
				return
			}
			for _, c := range tc.contains {
				if !strings.Contains(d, c) {
					t.Errorf("Diff = %q, lacks %q", d, c)
				}
			}
		})
	}
}
