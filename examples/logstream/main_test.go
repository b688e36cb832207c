package main

import (
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/flowstore/flowstore/internal/testdb"
)

// TestMain lets the test binary stand in for the command: run with
// LOGSTREAM_MAIN=1, it is logstream itself, with its own flags and exit
// status, in a process of its own whose RSS is the command's.
func TestMain(m *testing.M) {
	if os.Getenv("LOGSTREAM_MAIN") == "1" {
		main()
		os.Exit(0)
	}
	testdb.Main(m)
}

func logstream(t *testing.T, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Args[0] = "logstream"
	cmd.Env = append(os.Environ(), "LOGSTREAM_MAIN=1")
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// A small run streams every row it filled and stays under the default
// -max-rss (a looser one under the race detector).
func TestLogstreamSmall(t *testing.T) {
	out, err := logstream(t, "-rows", "20000", "-max-rss", smallRunMaxRSS)
	if err != nil {
		t.Fatalf("logstream -rows 20000: %v\n%s", err, out)
	}
	if !strings.Contains(out, "streamed 20000 rows") {
		t.Errorf("output does not report 20000 rows streamed:\n%s", out)
	}
}

// The -max-rss check can fail: no Go process fits in 1 MiB.
func TestLogstreamMaxRSSFails(t *testing.T) {
	if _, err := os.Stat("/proc/self/status"); err != nil {
		t.Skip("no /proc/self/status: logstream cannot measure RSS here")
	}
	out, err := logstream(t, "-rows", "2000", "-max-rss", "1")
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 {
		t.Fatalf("logstream -max-rss 1: %v, want exit status 1\n%s", err, out)
	}
	if !strings.Contains(out, "over -max-rss 1 MiB") {
		t.Errorf("output does not say why:\n%s", out)
	}
}

// TestRunsTwiceOnOneDatabase runs the command twice on one database per live
// dialect: the first run fills the table, the second finds the rows there and
// only streams them. Both show progress as plain lines (the output is a
// pipe, not a terminal), with the rows so far and the rate.
func TestRunsTwiceOnOneDatabase(t *testing.T) {
	for _, d := range testdb.Live() {
		t.Run(string(d), func(t *testing.T) {
			dsn := testdb.FreshDSN(t, d)
			for i, want := range []string{"filled to 3000 rows", "the Logs table already holds 3000 rows"} {
				out, err := logstream(t, "-dsn", dsn, "-rows", "3000", "-max-rss", "0", "-progress", "1ns")
				if err != nil {
					t.Fatalf("run %d: %v\n%s", i+1, err, out)
				}
				for _, w := range []string{want, "streamed 3000 rows", "streaming: 3,000 of 3,000 rows so far, "} {
					if !strings.Contains(out, w) {
						t.Errorf("run %d lacks %q:\n%s", i+1, w, out)
					}
				}
				if i == 0 && !strings.Contains(out, "filling: 3,000 of 3,000 rows so far, ") {
					t.Errorf("run 1 shows no filling progress:\n%s", out)
				}
				if strings.Contains(out, "\r") {
					t.Errorf("run %d rewrites lines in a pipe:\n%q", i+1, out)
				}
			}
		})
	}
}
