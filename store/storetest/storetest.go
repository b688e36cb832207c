package storetest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/flowstore/flowstore/store"
	// storetest opens SQLite databases.
	_ "github.com/flowstore/flowstore/store/dialect/sqlite"
)

// New returns a migrated, empty SQLite database for t, in a file in
// t.TempDir(), closed when the test ends (and removed with the directory).
// Every call gets a database of its own, also in parallel tests. opts are
// passed to store.Open (a fixed clock, a logger, …).
func New(t testing.TB, opts ...store.Option) *store.DB {
	t.Helper()
	// A copy of the template migrated once per test binary; Open's Migrate
	// then finds nothing to do.
	data, err := sqliteTemplateData()
	if err != nil {
		t.Fatalf("storetest: %v", err)
	}
	path := filepath.Join(t.TempDir(), "flowstore.db")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatalf("storetest: %v", err)
	}
	db, err := Open(t.Context(), path, opts...)
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

// Open is New without a test: it creates and migrates the SQLite database
// file at path (which must not hold another database, or holds a flowstore
// database to migrate) and returns it open.
// The caller closes it and removes the file, with its -wal and -shm
// companions. Example functions, which have no *testing.T, use it.
func Open(ctx context.Context, path string, opts ...store.Option) (*store.DB, error) {
	dsn := "sqlite:" + path
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
