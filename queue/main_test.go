package queue_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/flowstore/flowstore/internal/testdb"
	"github.com/flowstore/flowstore/queue"
	"github.com/flowstore/flowstore/store"
)

func TestMain(m *testing.M) { testdb.Main(m) }

// newQueue returns db's queue store.
func newQueue(t testing.TB, db *store.DB, opts ...queue.Option) queue.Store {
	t.Helper()
	q, err := queue.New(db, opts...)
	require.NoError(t, err)
	return q
}
