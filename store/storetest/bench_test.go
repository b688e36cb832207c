package storetest_test

import (
	"errors"
	"path/filepath"
	"testing"

	"github.com/flowstore/flowstore"
	"github.com/flowstore/flowstore/internal/testdb"
	"github.com/flowstore/flowstore/store"
	"github.com/flowstore/flowstore/store/storetest"
)

// BenchmarkNewDatabase measures what a test pays for its database: a
// storetest database (copy of a template, or on MySQL a migration) opened
// with flowstore.Open, closed and removed, against migrating a new empty
// database. Run with -benchtime=20x: the migrate side leaves its server
// databases to testdb until the benchmark ends.
func BenchmarkNewDatabase(b *testing.B) {
	var ss []server
	ss = append(ss, server{name: string(store.SQLite)})
	for _, d := range testdb.Live() {
		if d == store.Postgres || d == store.MySQL {
			ss = append(ss, server{name: string(d), dsn: testdb.FreshDSN(b, d)})
		}
	}
	for _, srv := range ss {
		b.Run(srv.name+"/storetest", func(b *testing.B) {
			ctx := b.Context()
			for b.Loop() {
				d, err := storetest.DatabaseOn(ctx, srv.dsn)
				if err != nil {
					b.Fatal(err)
				}
				db, err := flowstore.Open(ctx, d.DSN)
				if err != nil {
					b.Fatal(err)
				}
				if err := db.Close(); err != nil {
					b.Fatal(err)
				}
				if err := d.Remove(ctx); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(srv.name+"/migrate", func(b *testing.B) {
			ctx := b.Context()
			for b.Loop() {
				dsn := "sqlite:" + filepath.Join(b.TempDir(), "flowstore.db")
				if srv.dsn != "" {
					dsn = testdb.FreshDSN(b, store.DialectName(srv.name))
				}
				db, err := flowstore.Open(ctx, dsn)
				if err != nil {
					b.Fatal(err)
				}
				if err := db.Close(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkTestTx measures what TestTx does for a test: on a server, a
// handle on the shared database and a transaction rolled back; on SQLite,
// a database of its own as well.
func BenchmarkTestTx(b *testing.B) {
	ss := []server{{name: string(store.SQLite)}}
	for _, d := range testdb.Live() {
		if d == store.Postgres || d == store.MySQL {
			ss = append(ss, server{name: string(d), dsn: testdb.FreshDSN(b, d)})
		}
	}
	for _, srv := range ss {
		b.Run(srv.name, func(b *testing.B) {
			ctx := b.Context()
			for b.Loop() {
				var d *storetest.Database
				dsn := ""
				if srv.dsn == "" {
					var err error
					if d, err = storetest.DatabaseOn(ctx, ""); err != nil {
						b.Fatal(err)
					}
					dsn = d.DSN
				} else {
					dsn = storetest.SharedDSN(b, srv.dsn)
				}
				db, err := flowstore.Open(ctx, dsn, flowstore.WithoutMigrate())
				if err != nil {
					b.Fatal(err)
				}
				tx, rollback, err := storetest.BeginTx(ctx, db)
				if err != nil {
					b.Fatal(err)
				}
				if err := tx.Constants.Set(ctx, "bench", "v"); err != nil {
					b.Fatal(err)
				}
				if err := errors.Join(rollback(), db.Close()); err != nil {
					b.Fatal(err)
				}
				if d != nil {
					if err := d.Remove(ctx); err != nil {
						b.Fatal(err)
					}
				}
			}
		})
	}
}
