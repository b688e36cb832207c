package main

import (
	"context"
	"path/filepath"
	"testing"
)

// TestQuickstartRuns runs the tour end to end on a SQLite file.
func TestQuickstartRuns(t *testing.T) {
	if err := run(context.Background(), "sqlite:"+filepath.Join(t.TempDir(), "q.db")); err != nil {
		t.Fatal(err)
	}
}
