package storetest

import (
	"context"
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
	db, err := Open(t.Context(), opts...)
	if err != nil {
		t.Fatalf("storetest: %v", err)
	}
	t.Cleanup(func() {
		if err := db.Close(); err != nil {
			t.Errorf("storetest: close: %v", err)
		}
	})
	return db
}

// Open is New without a test: a migrated, empty in-memory SQLite database
// that the caller closes. Example functions, which have no *testing.T, use it.
func Open(ctx context.Context, opts ...store.Option) (*store.DB, error) {
	// A named shared-cache database, so that every connection of the pool
	// sees the same data; the random name keeps databases apart (names are
	// process-wide).
	dsn := fmt.Sprintf("file:storetest-%s?mode=memory&cache=shared", rand.Text())
	db, err := store.Open(ctx, dsn, opts...)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", dsn, err)
	}
	if err := db.Migrate(ctx); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("migrate: %w", err)
	}
	return db, nil
}
