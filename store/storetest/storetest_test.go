package storetest_test

import (
	"testing"
	"time"

	"github.com/flowstore/flowstore/store"
	"github.com/flowstore/flowstore/store/storetest"
)

func TestNewIsMigrated(t *testing.T) {
	db := storetest.New(t)
	if db.Dialect() != store.SQLite {
		t.Fatalf("dialect %s, want sqlite", db.Dialect())
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
