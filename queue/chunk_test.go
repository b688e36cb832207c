package queue

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/flowstore/flowstore/internal/testdb"
	"github.com/flowstore/flowstore/store"
)

// smallChunks returns db's queue store with INSERTs of at most 10 rows,
// so that a batch needs several INSERTs in one transaction, as a large
// batch does on SQL Server or past the other dialects' parameter limits.
// The rows are bound or inlined as the dialect's limits decide (inlined on
// SQL Server).
func smallChunks(t *testing.T, db *store.DB) *bunStore {
	t.Helper()
	st, err := New(db)
	require.NoError(t, err)
	s := st.(*bunStore)
	small := *s.sql
	small.batchRows = 10
	s.sql = &small
	return s
}

// elements returns n new elements, referenced "0", "1" ….
func elements(n int) []NewElement {
	els := make([]NewElement, n)
	for i := range els {
		els[i].Reference = fmt.Sprint(i)
	}
	return els
}

func TestEnqueueBatchChunks(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		s := smallChunks(t, db)
		in := elements(25)
		ids, err := s.EnqueueBatch(ctx, "chunks", in)
		require.NoError(t, err)
		els, err := s.ClaimBatch(ctx, "chunks", 100)
		require.NoError(t, err)
		require.Len(t, els, 25)
		for i, e := range els {
			require.Equal(t, ids[i], e.ID)
			require.Equal(t, in[i].Reference, e.Reference)
			require.Empty(t, e.Data, "empty data is stored as NULL and read as empty")
			if i > 0 {
				require.Equal(t, time.Microsecond, e.CreatedDate.Sub(els[i-1].CreatedDate),
					"each element of a batch is stamped 1 µs after the one before, across chunks too")
			}
		}
	})
}

// TestEnqueueBatchChunksAtomic makes the second of three INSERTs fail (its
// row 15 repeats the id of row 3, written by the first): the whole batch
// must roll back, on the pool and inside a session alike.
func TestEnqueueBatchChunksAtomic(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		s := smallChunks(t, db)
		const n = 25
		batch := func() []uuid.UUID {
			ids := make([]uuid.UUID, n)
			for i := range ids {
				ids[i] = uuid.Must(uuid.NewV7())
			}
			ids[15] = ids[3]
			return ids
		}

		err := s.insertBatch(ctx, "atomic", batch(), elements(n), db.Now())
		require.ErrorIs(t, s.h.Classify(err), store.ErrDuplicate, "the second INSERT fails")
		c, err := s.Counts(ctx)
		require.NoError(t, err)
		require.Empty(t, c, "nothing of the batch is left, not even the first INSERT's rows")

		err = db.InTx(ctx, func(ctx context.Context, sess *store.Session) error {
			inTx := s.WithTx(sess).(*bunStore)
			_, err := inTx.Enqueue(ctx, "atomic", NewElement{Reference: "kept"})
			require.NoError(t, err)
			err = inTx.insertBatch(ctx, "atomic", batch(), elements(n), db.Now())
			require.ErrorIs(t, inTx.h.Classify(err), store.ErrDuplicate)
			return nil // commit what the session did besides the batch
		})
		require.NoError(t, err)
		c, err = s.Counts(ctx)
		require.NoError(t, err)
		require.Equal(t, Counts{"atomic": {StatusNew: 1}}, c, "in a session the batch rolls back to its savepoint; the session's own write stays")
	})
}
