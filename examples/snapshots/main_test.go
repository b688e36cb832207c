package main

import (
	"bytes"
	"context"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestSnapshotsExampleRuns runs the example end to end on a SQLite file.
func TestSnapshotsExampleRuns(t *testing.T) {
	var out bytes.Buffer
	require.NoError(t, run(context.Background(), "sqlite:"+filepath.Join(t.TempDir(), "s.db"), &out))
	require.Contains(t, out.String(), "bob's update was refused: expected version 0, found 1")
	require.Contains(t, out.String(), "bob retried: version 2")
	require.Contains(t, out.String(), "8 writers × 5 changes: 40 changes in the payload, version 42")
}
