package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/flowstore/flowstore/internal/testdb"
	"github.com/flowstore/flowstore/queue"
	"github.com/flowstore/flowstore/store"
)

func TestQueueworkerDrainsAndCompares(t *testing.T) {
	dsn := "sqlite:" + filepath.Join(t.TempDir(), "qw.db")
	for _, batch := range []string{"1", "7"} {
		var out, errOut bytes.Buffer
		code := run(context.Background(), []string{"-dsn", dsn, "-queue", "q" + batch, "-n", "150", "-workers", "3", "-batch", batch, "-compare"}, &out, &errOut)
		require.Equal(t, 0, code, errOut.String())
		require.Contains(t, out.String(), "flowstore: 150 elements done in")
		require.Contains(t, out.String(), "raw driver: 150 elements done in")
		require.Contains(t, out.String(), "summary (sqlite, 3 workers, batch "+batch+")")
	}
	db, err := store.Open(context.Background(), dsn)
	require.NoError(t, err)
	defer db.Close()
	c, err := queue.New(db).Counts(context.Background())
	require.NoError(t, err)
	// Four rounds of 150 each (raw, lib, lib, raw), all done.
	require.Equal(t, queue.Counts{"q1": {queue.StatusDone: 600}, "q7": {queue.StatusDone: 600}}, c)
}

func TestQueueworkerRefusesBadFlags(t *testing.T) {
	var out, errOut bytes.Buffer
	require.Equal(t, 2, run(context.Background(), []string{"-workers", "0"}, &out, &errOut))
	require.True(t, strings.Contains(errOut.String(), "at least 1"))
	errOut.Reset()
	require.Equal(t, 2, run(context.Background(), []string{"-batch", "1001"}, &out, &errOut), "more than queue.MaxClaimBatch")
	require.Contains(t, errOut.String(), "-batch from 1 to 1000")
}

// TestRawSQLIsTheLibrarys keeps the -compare side honest: its hand-written
// statements must be the ones the queue package runs, as pinned in the
// queue package's golden files.
func TestRawSQLIsTheLibrarys(t *testing.T) {
	for _, d := range []store.Dialect{store.Postgres, store.SQLite} {
		t.Run(string(d), func(t *testing.T) {
			golden, err := os.ReadFile(filepath.Join("..", "..", "queue", "testdata", "sql", string(d)+".sql"))
			require.NoError(t, err)
			r, err := newRaw(testdb.Offline(d))
			require.NoError(t, err)
			for name, sql := range map[string]string{"claim": r.claim, "finish": r.finish1} {
				require.Contains(t, string(golden), "\n"+sql+";\n", "the raw %s is not what the library runs", name)
			}
			require.Len(t, r.claimArgs(time.Time{}, "q", 1), strings.Count(r.claim, "?")+strings.Count(r.claim, "$"), "one argument per placeholder")
		})
	}
}
