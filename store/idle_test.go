package store_test

import (
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/flowstore/flowstore/internal/testdb"
	"github.com/flowstore/flowstore/store"
)

// A pool Open made keeps the connections a burst of concurrent statements
// opened (up to store.IdleConns), where database/sql alone would close all
// but two of them and open new ones — a server process each on PostgreSQL
// — at the next burst.
func TestOpenKeepsIdleConnections(t *testing.T) {
	testdb.Each(t, func(t *testing.T, shared *store.DB) {
		ctx := t.Context()
		db, err := store.Open(ctx, testdb.DSN(t, shared))
		require.NoError(t, err)
		defer db.Close()
		const burst = 8
		for range 3 {
			// Hold burst connections at once, then give them back.
			var held, release sync.WaitGroup
			held.Add(burst)
			release.Add(1)
			var all sync.WaitGroup
			for range burst {
				all.Go(func() {
					conn, err := db.SQL().Conn(ctx)
					if err != nil {
						held.Done()
						t.Error(err)
						return
					}
					defer conn.Close()
					held.Done()
					release.Wait()
					require.NoError(t, conn.PingContext(ctx))
				})
			}
			held.Wait()
			release.Done()
			all.Wait()
		}
		st := db.SQL().Stats()
		require.Zero(t, st.MaxIdleClosed, "connections closed for the idle limit: %+v", st)
		require.Equal(t, burst, st.OpenConnections, "the bursts reused the first burst's connections: %+v", st)
	})
}
