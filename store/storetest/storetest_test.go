package storetest_test

import (
	"context"
	"testing"
	"time"

	"github.com/flowstore/flowstore/store"
	"github.com/flowstore/flowstore/store/storetest"
)

func TestNewIsMigrated(t *testing.T) {
	db := storetest.New(t)
	if db.SQLDialect().Name() != store.SQLite {
		t.Fatalf("dialect %s, want sqlite", db.SQLDialect().Name())
	}
	v, err := db.SchemaVersion(t.Context())
	if err != nil || v != store.LatestSchemaVersion() {
		t.Fatalf("SchemaVersion = %d, %v; want %d", v, err, store.LatestSchemaVersion())
	}
}

// TestNewDatabasesAreSeparate: tests (also parallel ones) must not see each
// other's rows, and every connection of one handle must see the same rows.
func TestNewDatabasesAreSeparate(t *testing.T) {
	for _, name := range []string{"a", "b", "c"} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			db := storetest.New(t)
			ctx := t.Context()
			if _, err := db.SQL().ExecContext(ctx, `INSERT INTO "Constants" ("name", "value", "changed_at") VALUES (?, ?, ?)`,
				"owner", name, db.Now()); err != nil {
				t.Fatal(err)
			}
			// Another statement, possibly on another connection.
			var n int
			var value string
			if err := db.SQL().QueryRowContext(ctx, `SELECT COUNT(*), MAX("value") FROM "Constants"`).Scan(&n, &value); err != nil {
				t.Fatal(err)
			}
			if n != 1 || value != name {
				t.Fatalf("%d rows, value %q; want only this test's row %q", n, value, name)
			}
		})
	}
}

func TestNewPassesOptions(t *testing.T) {
	at := time.Date(2026, 1, 2, 3, 4, 5, 6789, time.UTC)
	db := storetest.New(t, store.WithClock(func() time.Time { return at }))
	if got, want := db.Now(), store.UTC(at); !got.Equal(want) {
		t.Fatalf("Now() = %v, want %v", got, want)
	}
}

func TestNewClosesAtCleanup(t *testing.T) {
	var db *store.DB
	t.Run("inner", func(t *testing.T) { db = storetest.New(t) })
	if err := db.SQL().Ping(); err == nil {
		t.Fatal("database still open after its test ended")
	}
}

// TestSessionOpenDoesNotBlockReadsThroughDB: while a transaction is open, a read through
// the DB (another connection) answers at once with the committed state, as
// on a production database. On an in-memory database, whose pool is one
// connection, it waited for the transaction until its deadline.
func TestSessionOpenDoesNotBlockReadsThroughDB(t *testing.T) {
	db := storetest.New(t)
	ctx := t.Context()
	s, err := db.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Rollback()
	if _, err := s.ExecContext(ctx, `INSERT INTO "Constants" ("name", "value", "changed_at") VALUES (?, ?, ?)`, "pending", "v", db.Now()); err != nil {
		t.Fatal(err)
	}

	readCtx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	var n int
	if err := db.SQL().QueryRowContext(readCtx, `SELECT COUNT(*) FROM "Constants"`).Scan(&n); err != nil {
		t.Fatalf("read beside an open session: %v", err)
	}
	if n != 0 {
		t.Fatalf("read %d rows; the session's row is not committed yet", n)
	}
	if err := s.Commit(); err != nil {
		t.Fatal(err)
	}
	if err := db.SQL().QueryRowContext(ctx, `SELECT COUNT(*) FROM "Constants"`).Scan(&n); err != nil || n != 1 {
		t.Fatalf("after commit: %d rows, %v", n, err)
	}
}

// TestOpenIsAWALFile: the database is a WAL file in the test's
// temporary directory, with foreign keys enforced.
func TestOpenIsAWALFile(t *testing.T) {
	db := storetest.New(t)
	ctx := t.Context()
	var mode string
	var fk int
	if err := db.SQL().QueryRowContext(ctx, `PRAGMA journal_mode`).Scan(&mode); err != nil || mode != "wal" {
		t.Fatalf("journal_mode = %q, %v; want wal", mode, err)
	}
	if err := db.SQL().QueryRowContext(ctx, `PRAGMA foreign_keys`).Scan(&fk); err != nil || fk != 1 {
		t.Fatalf("foreign_keys = %d, %v; want 1", fk, err)
	}
	var file string
	if err := db.SQL().QueryRowContext(ctx, `SELECT file FROM pragma_database_list WHERE name = 'main'`).Scan(&file); err != nil || file == "" {
		t.Fatalf("main database file %q, %v; want a file", file, err)
	}
}
