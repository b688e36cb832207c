package queue

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/flowstore/flowstore/internal/testdb"
	"github.com/flowstore/flowstore/store"
)

// TestEnqueueBatchChunks makes the statement limit small, so that a batch
// needs several INSERTs in one transaction, as a large batch does on SQL
// Server or past the other dialects' parameter limits.
func TestEnqueueBatchChunks(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		s := New(db).(*bunStore)
		small := *s.sql
		small.maxParams = 10 * insertRowParams // 10 rows per INSERT
		s.sql = &small
		require.Equal(t, 10, s.sql.batchRows())
		refs, data := make([]string, 25), make([]string, 25)
		for i := range refs {
			refs[i] = fmt.Sprint(i)
		}
		ids, err := s.EnqueueBatch(ctx, "chunks", refs, data, "")
		require.NoError(t, err)
		els, err := s.ClaimBatch(ctx, "chunks", 100)
		require.NoError(t, err)
		require.Len(t, els, 25)
		for i, e := range els {
			require.Equal(t, ids[i], e.ID)
			require.Equal(t, refs[i], e.Reference)
			require.Empty(t, e.Data, "empty data is stored as NULL and read as empty")
		}
	})
}
