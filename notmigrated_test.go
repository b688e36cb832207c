package flowstore_test

import (
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/flowstore/flowstore"
	"github.com/flowstore/flowstore/internal/testdb"
	"github.com/flowstore/flowstore/orchestrator"
	"github.com/flowstore/flowstore/orchestrator/pipeline"
	"github.com/flowstore/flowstore/queue"
	"github.com/flowstore/flowstore/store"
	"github.com/flowstore/flowstore/store/logs"
	"github.com/flowstore/flowstore/trigger"
)

// TestStoresOnAnUnmigratedDatabase: every store used on a database nobody
// migrated answers store.ErrNotMigrated, whose text says what to run once —
// not the driver's "no such table" alone (issue 18's migration trap).
func TestStoresOnAnUnmigratedDatabase(t *testing.T) {
	for _, d := range testdb.Live() {
		t.Run(string(d), func(t *testing.T) {
			ctx := t.Context()
			sdb, err := store.Open(ctx, testdb.FreshDSN(t, d))
			require.NoError(t, err)
			defer sdb.Close()
			fs, err := flowstore.New(ctx, sdb, flowstore.WithoutMigrate())
			require.NoError(t, err)

			calls := map[string]func() error{
				"queue claim":    func() error { _, err := fs.Queue.Claim(ctx, "race"); return err },
				"queue enqueue":  func() error { _, err := fs.Queue.Enqueue(ctx, "race", queue.NewElement{Reference: "r"}); return err },
				"triggers list":  func() error { _, err := fs.Triggers.List(ctx, trigger.Filter{}); return err },
				"constants get":  func() error { _, err := fs.Constants.Get(ctx, "x"); return err },
				"constants set":  func() error { return fs.Constants.Set(ctx, "x", "y") },
				"logs query":     func() error { _, err := fs.Logs.Query(ctx, logs.Filter{}); return err },
				"snapshot get":   func() error { _, err := fs.Snapshots.Get(ctx, uuid.NewString()); return err },
				"processes":      func() error { _, err := fs.Processes.Processes(ctx, orchestrator.ProcessFilter{}); return err },
				"pipeline start": func() error { _, err := fs.Pipelines.StartRun(ctx, 1, pipeline.StartOptions{}); return err },
			}
			for name, call := range calls {
				err := call()
				require.ErrorIs(t, err, store.ErrNotMigrated, name)
				require.Equal(t, 1, strings.Count(err.Error(), "run flowctl migrate"), "%s: %v", name, err)
			}
		})
	}
}
