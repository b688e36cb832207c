package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/flowstore/flowstore/internal/testdb"
	"github.com/flowstore/flowstore/queue"
	"github.com/flowstore/flowstore/store"
)

func TestMain(m *testing.M) { testdb.Main(m) }

func TestQueueworkerDrainsAndCompares(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		dsn := testdb.DSN(t, db)
		for _, batch := range []string{"1", "7"} {
			var out, errOut bytes.Buffer
			code := run(context.Background(), []string{"-dsn", dsn, "-queue", "q" + batch, "-n", "150", "-workers", "3", "-batch", batch, "-compare"}, &out, &errOut)
			require.Equal(t, 0, code, errOut.String())
			require.Contains(t, out.String(), "flowstore: 150 elements done in")
			require.Contains(t, out.String(), "raw driver: 150 elements done in")
			require.Contains(t, out.String(), "summary ("+string(db.SQLDialect().Name())+", 3 workers, batch "+batch+")")
		}
		q, err := queue.New(db)
		require.NoError(t, err)
		c, err := q.Counts(context.Background())
		require.NoError(t, err)
		// Four rounds of 150 each (raw, lib, lib, raw), all done.
		require.Equal(t, queue.Counts{"q1": {queue.StatusDone: 600}, "q7": {queue.StatusDone: 600}}, c)
	})
}

func TestQueueworkerRefusesBadFlags(t *testing.T) {
	var out, errOut bytes.Buffer
	require.Equal(t, 2, run(context.Background(), []string{"-workers", "0"}, &out, &errOut))
	require.True(t, strings.Contains(errOut.String(), "at least 1"))
	errOut.Reset()
	require.Equal(t, 2, run(context.Background(), []string{"-batch", "1001"}, &out, &errOut), "more than queue.MaxClaimBatch")
	require.Contains(t, errOut.String(), "-batch from 1 to 1000")
}
