package store_test

import (
	"fmt"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/flowstore/flowstore/internal/testdb"
	"github.com/flowstore/flowstore/store"
)

// TestWriteTurnSerialisesWriters runs the writers of one SQLite pool at
// once — goroutines writing in transactions and in statements of their
// own — on connections that do not wait for SQLite's lock at all
// (busy_timeout(0)). Only the pool's write turn keeps them apart, so a
// writer that went ahead without it, or two holding it at once, would fail
// with SQLITE_BUSY. Every write succeeds and every row is there. (The turn
// exists on SQLite only: FeatureSerialWrites.)
func TestWriteTurnSerialisesWriters(t *testing.T) {
	ctx := t.Context()
	db, err := store.Open(ctx, testdb.FreshDSN(t, store.SQLite)+"?_pragma=busy_timeout(0)")
	require.NoError(t, err)
	defer db.Close()
	require.NoError(t, db.Migrate(ctx))
	const writers, each = 8, 150
	var wg sync.WaitGroup
	errs := make(chan error, writers*each)
	for w := range writers {
		wg.Go(func() {
			for i := range each {
				name := fmt.Sprintf("w%d-%d", w, i)
				var err error
				if i%2 == 0 {
					err = insertConstant(ctx, db.Bun(), name)
				} else {
					// Not InTx: it would retry a SQLITE_BUSY.
					var s *store.Session
					if s, err = db.Begin(ctx); err == nil {
						if err = insertConstant(ctx, s, name); err == nil {
							err = s.Commit()
						} else {
							_ = s.Rollback()
						}
					}
				}
				if err != nil {
					errs <- fmt.Errorf("%s: %w", name, err)
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	n, err := db.Bun().NewSelect().Model((*constant)(nil)).Count(ctx)
	require.NoError(t, err)
	require.EqualValues(t, writers*each, n)
}
