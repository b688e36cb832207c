package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
)

// TestQuickstartRuns runs the tour end to end on a SQLite file, twice on the
// same database (as -dsn users do), and checks that each section reports what
// it demonstrates.
func TestQuickstartRuns(t *testing.T) {
	dsn := "sqlite:" + filepath.Join(t.TempDir(), "q.db")
	for range 2 {
		var out bytes.Buffer
		if err := run(context.Background(), dsn, &out); err != nil {
			t.Fatalf("%v\n%s", err, out.String())
		}
		for _, want := range []string{
			"OpenOrchestrator", "Get decrypts it to \"s3cret!\"", "store.ErrDecrypt",
			"claimed 3 elements", "queue.ErrEmpty",
			"the scheduler started it", "the trigger is IDLE again",
			"process failed (payment gateway timed out)", "rolled back: 0 invoices queued",
			"retried: process completed, 1 invoice queued",
			"the second is refused", "version 2",
			"run 1:", "run 2:", "history lists 2 runs",
		} {
			if !strings.Contains(out.String(), want) {
				t.Errorf("output lacks %q:\n%s", want, out.String())
			}
		}
	}
}
