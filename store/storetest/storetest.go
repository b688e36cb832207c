package storetest

import (
	"crypto/rand"
	"fmt"
	"testing"

	"github.com/flowstore/flowstore/store"
)

// New returns a migrated, empty in-memory SQLite database for t, closed when
// the test ends. Every call gets a database of its own, also in parallel
// tests. opts are passed to store.Open (a fixed clock, a logger, …).
func New(t testing.TB, opts ...store.Option) *store.DB {
	t.Helper()
	ctx := t.Context()
	// A named shared-cache database, so that every connection of the pool
	// sees the same data; the random name keeps tests apart (names are
	// process-wide).
	dsn := fmt.Sprintf("file:storetest-%s?mode=memory&cache=shared", rand.Text())
	db, err := store.Open(ctx, dsn, opts...)
	if err != nil {
		t.Fatalf("storetest: open %s: %v", dsn, err)
	}
	t.Cleanup(func() {
		if err := db.Close(); err != nil {
			t.Errorf("storetest: close: %v", err)
		}
	})
	if err := db.Migrate(ctx); err != nil {
		t.Fatalf("storetest: migrate: %v", err)
	}
	return db
}
