package queue_test

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/flowstore/flowstore/internal/testdb"
	"github.com/flowstore/flowstore/queue"
	"github.com/flowstore/flowstore/store"
)

// TestWorkerCrash kills (SIGKILL) a worker process that holds claimed
// elements: three claimed and committed, three claimed inside a session
// that never commits. The session's claims roll back with the dead
// connection; the committed ones stay IN_PROGRESS until RequeueStale hands
// them out again. Nothing is lost and nothing is done twice.
func TestWorkerCrash(t *testing.T) {
	if testdb.IsChild() {
		crashChild(t)
		return
	}
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		q := newQueue(t, db)
		refs := []string{"a", "b", "c", "d", "e", "f", "g", "h"}
		els := make([]queue.NewElement, len(refs))
		for i, r := range refs {
			els[i].Reference = r
		}
		_, err := q.EnqueueBatch(ctx, "crash", els)
		require.NoError(t, err)

		child := testdb.StartChild(t, "TestWorkerCrash", map[string]string{"CRASH_DSN": testdb.DSN(t, db)})
		require.NoError(t, child.WaitOutput("holding 6 elements", time.Minute))
		require.NoError(t, child.Kill())
		require.Error(t, child.Wait(), "the child was killed")

		// Uncommitted claims were never visible: the elements the open
		// session took still read as NEW, and only the committed claims are
		// IN_PROGRESS.
		counts, err := q.Counts(ctx)
		require.NoError(t, err)
		require.Equal(t, queue.Counts{"crash": {queue.StatusNew: 5, queue.StatusInProgress: 3}}, counts)

		n, err := q.RequeueStale(ctx, "crash", 0)
		require.NoError(t, err)
		require.Equal(t, 3, n)
		// The server may keep the dead session's row locks for a moment,
		// until it notices the closed connection and rolls back; claims skip
		// locked rows meanwhile, so poll as a worker would.
		got := map[string]bool{}
		deadline := time.Now().Add(30 * time.Second)
		for len(got) < len(refs) && time.Now().Before(deadline) {
			els, err := q.ClaimBatch(ctx, "crash", 100)
			require.NoError(t, err)
			for _, e := range els {
				require.False(t, got[e.Reference], "claimed twice: %s", e.Reference)
				got[e.Reference] = true
				require.NoError(t, q.Finish(ctx, e.ID, queue.Done("")))
			}
			time.Sleep(10 * time.Millisecond)
		}
		require.Len(t, got, len(refs), "every element is claimable again")
		counts, err = q.Counts(ctx)
		require.NoError(t, err)
		require.Equal(t, queue.Counts{"crash": {queue.StatusDone: len(refs)}}, counts)
	})
}

func crashChild(t *testing.T) {
	ctx := context.Background()
	db, err := store.Open(ctx, os.Getenv("CRASH_DSN"))
	require.NoError(t, err)
	q := newQueue(t, db)
	committed, err := q.ClaimBatch(ctx, "crash", 3)
	require.NoError(t, err)
	require.Len(t, committed, 3)
	s, err := db.Begin(ctx)
	require.NoError(t, err)
	open, err := q.WithTx(s).ClaimBatch(ctx, "crash", 3)
	require.NoError(t, err)
	require.Len(t, open, 3)
	fmt.Println("holding 6 elements")
	time.Sleep(time.Minute) // killed long before
	t.Fatal("not killed")
}
