package golden

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// UpdateEnv is the environment variable that makes Assert write the golden
// files instead of comparing with them.
const UpdateEnv = "UPDATE_GOLDEN"

// Assert compares got with the golden file at path, relative to the test's
// package directory; a path not already under testdata/ is taken to be
// inside it. With UPDATE_GOLDEN=1 it writes got to the file instead
// (creating directories as needed). A mismatch or a missing file is a test
// failure (not a fatal one, so one run reports every stale file) that shows
// the first differing line.
func Assert(t testing.TB, path string, got string) {
	t.Helper()
	path = filepath.Clean(path)
	if !filepath.IsAbs(path) && path != "testdata" && !strings.HasPrefix(path, "testdata"+string(filepath.Separator)) {
		path = filepath.Join("testdata", path)
	}
	if os.Getenv(UpdateEnv) == "1" {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Errorf("golden: %v", err)
			return
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Errorf("golden: %v", err)
			return
		}
		t.Logf("golden: wrote %s", path)
		return
	}
	want, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		t.Errorf("golden: %s does not exist; create it with %s=1 go test -run '^%s$' and review it",
			path, UpdateEnv, topLevel(t.Name()))
		return
	}
	if err != nil {
		t.Errorf("golden: %v", err)
		return
	}
	if d := Diff(string(want), got); d != "" {
		t.Errorf("golden: output differs from %s (%s=1 rewrites it):\n%s", path, UpdateEnv, d)
	}
}

func topLevel(name string) string {
	name, _, _ = strings.Cut(name, "/")
	return name
}

// Diff describes where got first differs from want, line by line, with a
// little context; it returns "" when they are equal.
func Diff(want, got string) string {
	if want == got {
		return ""
	}
	if strings.TrimSuffix(want, "\n") == strings.TrimSuffix(got, "\n") {
		return fmt.Sprintf("only the final newline differs (want %q at the end, got %q)\n", tail(want), tail(got))
	}
	wl := strings.Split(want, "\n")
	gl := strings.Split(got, "\n")
	i := 0
	for i < len(wl) && i < len(gl) && wl[i] == gl[i] {
		i++
	}
	var b strings.Builder
	fmt.Fprintf(&b, "first difference at line %d (want %d lines, got %d):\n", i+1, lineCount(want), lineCount(got))
	for j := max(0, i-2); j < i; j++ {
		fmt.Fprintf(&b, "  %4d   %s\n", j+1, wl[j])
	}
	switch {
	case i >= len(wl):
		fmt.Fprintf(&b, "  want   <end of file>\n")
	default:
		fmt.Fprintf(&b, "  want   %s\n", visible(wl[i]))
	}
	switch {
	case i >= len(gl):
		fmt.Fprintf(&b, "  got    <end of output>\n")
	default:
		fmt.Fprintf(&b, "  got    %s\n", visible(gl[i]))
	}
	return b.String()
}

// visible quotes a line when the difference would otherwise be invisible:
// trailing blanks, tabs against spaces, carriage returns.
func visible(line string) string {
	if line == "" || strings.TrimRight(line, " \t\r") != line || strings.ContainsAny(line, "\t\r") {
		return fmt.Sprintf("%q", line)
	}
	return line
}

func tail(s string) string { return s[max(0, len(s)-10):] }

func lineCount(s string) int {
	if s == "" {
		return 0
	}
	return strings.Count(strings.TrimSuffix(s, "\n"), "\n") + 1
}
