package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
)

// TestPipelineExample runs the example end to end on a SQLite file and
// checks the history it prints.
func TestPipelineExample(t *testing.T) {
	var out bytes.Buffer
	if err := run(context.Background(), "sqlite:"+filepath.Join(t.TempDir(), "p.db"), &out); err != nil {
		t.Fatal(err)
	}
	s := out.String()
	for _, want := range []string{
		"run 2  RunFailed  WORKFLOW_RUN_FAILED\n  run 1  RunSuccess WORKFLOW_RUN_SUCCESS",
		"action compile  RunSuccess ACTION_RUN_SUCCESS",
		"action test     RunFailed  ACTION_RUN_FAILED",
		"var branch = release-2",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("output lacks %q:\n%s", want, s)
		}
	}
}
