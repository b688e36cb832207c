package testdb

import (
	"context"
	"path/filepath"
	"testing"
)

// sqliteBackend makes file databases in the test's temporary directory: a
// file rather than memory so that child processes can open the same
// database, and so that SQLite's file locking is what the tests exercise.
type sqliteBackend struct{}

func setupSQLite() Target {
	return Target{Live: true, Detail: "file databases in the test's temp dir", be: sqliteBackend{}}
}

func (sqliteBackend) create(_ context.Context, t testing.TB) (string, error) {
	return "sqlite:" + filepath.Join(t.TempDir(), "flowstore.db"), nil
}

func (sqliteBackend) shutdown() error { return nil }
