package storetest_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/flowstore/flowstore"
	"github.com/flowstore/flowstore/internal/testdb"
	"github.com/flowstore/flowstore/queue"
	"github.com/flowstore/flowstore/store"
	"github.com/flowstore/flowstore/store/storetest"
)

func TestMain(m *testing.M) { testdb.Main(m) }

// server is where a test's databases come from: SQLite (dsn "") or a
// server internal/testdb started, named as a downstream CI would name it
// in storetest.EnvDSN.
type server struct {
	name string
	dsn  string
}

// servers returns SQLite and every live PostgreSQL and MySQL/MariaDB
// server. A server's DSN names an empty database of t's, as an account's
// default database would; storetest makes its databases beside it.
func servers(t *testing.T) []server {
	t.Helper()
	out := []server{{name: string(store.SQLite)}}
	for _, d := range testdb.Live() {
		if d == store.Postgres || d == store.MySQL {
			out = append(out, server{name: string(d), dsn: testdb.FreshDSN(t, d)})
		}
	}
	return out
}

// constants returns the names of the constants db holds, as seen outside
// any transaction.
func constants(t *testing.T, db *store.DB) []string {
	t.Helper()
	cs, err := flowstoreOn(t, db).Constants.List(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, c := range cs {
		names = append(names, c.Name)
	}
	return names
}

// flowstoreOn binds the stores to db without migrating it again.
func flowstoreOn(t *testing.T, db *store.DB) *flowstore.DB {
	t.Helper()
	fs, err := flowstore.New(t.Context(), db, flowstore.WithoutMigrate())
	if err != nil {
		t.Fatal(err)
	}
	return fs
}

// gone fails t unless the database dsn names no longer exists.
func gone(t *testing.T, dsn string) {
	t.Helper()
	db, err := store.Open(context.Background(), dsn, store.WithExisting())
	if err == nil {
		_ = db.Close()
		t.Errorf("database %s still exists after its test ended", dsn)
	}
}

func TestNewFlowstoreIsMigrated(t *testing.T) {
	for _, srv := range servers(t) {
		t.Run(srv.name, func(t *testing.T) {
			db := storetest.FlowstoreOn(t, srv.dsn)
			if got := db.SQLDialect().Name(); string(got) != srv.name {
				t.Fatalf("dialect %s, want %s", got, srv.name)
			}
			v, err := db.Store().SchemaVersion(t.Context())
			if err != nil || v != store.LatestSchemaVersion() {
				t.Fatalf("SchemaVersion = %d, %v; want %d", v, err, store.LatestSchemaVersion())
			}
			if names := constants(t, db.Store()); len(names) != 0 {
				t.Fatalf("a new database holds constants %v", names)
			}
			if storetest.DSN(db) == "" {
				t.Fatal("DSN of a NewFlowstore handle is empty")
			}
		})
	}
}

// TestNewFlowstoreParallelTestsAreSeparate: parallel tests each get a
// database of their own, see only their own rows, and their databases are
// gone when they end.
func TestNewFlowstoreParallelTestsAreSeparate(t *testing.T) {
	for _, srv := range servers(t) {
		t.Run(srv.name, func(t *testing.T) {
			dsns := make(chan string, 4)
			t.Run("group", func(t *testing.T) {
				for i := range 4 {
					t.Run(fmt.Sprint(i), func(t *testing.T) {
						t.Parallel()
						db := storetest.FlowstoreOn(t, srv.dsn)
						dsns <- storetest.DSN(db)
						ctx := t.Context()
						name := fmt.Sprintf("owner-%d", i)
						if err := db.Constants.Set(ctx, name, "v"); err != nil {
							t.Fatal(err)
						}
						if _, err := db.Queue.Enqueue(ctx, "jobs", queue.NewElement{Reference: name}); err != nil {
							t.Fatal(err)
						}
						if got := constants(t, db.Store()); len(got) != 1 || got[0] != name {
							t.Fatalf("constants %v; want only this test's %s", got, name)
						}
						counts, err := db.Queue.Counts(ctx)
						if err != nil {
							t.Fatal(err)
						}
						n := 0
						for _, byStatus := range counts {
							for _, c := range byStatus {
								n += c
							}
						}
						if n != 1 {
							t.Fatalf("%d queue elements; want only this test's one", n)
						}
					})
				}
			})
			close(dsns)
			seen := map[string]bool{}
			for dsn := range dsns {
				if seen[dsn] {
					t.Errorf("two tests got database %s", dsn)
				}
				seen[dsn] = true
				gone(t, dsn)
			}
			if len(seen) != 4 {
				t.Fatalf("%d databases for 4 tests", len(seen))
			}
		})
	}
}

// TestBeginTxRollsBack: what a test writes through the transaction is
// visible inside it, not outside, survives the code under test's Commit
// (which commits nothing) and is gone after the rollback.
func TestBeginTxRollsBack(t *testing.T) {
	for _, srv := range servers(t) {
		t.Run(srv.name, func(t *testing.T) {
			db := storetest.FlowstoreOn(t, srv.dsn)
			ctx := t.Context()
			tx, rollback, err := storetest.BeginTx(ctx, db)
			if err != nil {
				t.Fatal(err)
			}
			if err := tx.Constants.Set(ctx, "inside", "v"); err != nil {
				t.Fatal(err)
			}
			if c, err := tx.Constants.Get(ctx, "inside"); err != nil || c.Value != "v" {
				t.Fatalf("inside the transaction: %+v, %v", c, err)
			}
			if err := tx.Session.Commit(); err != nil {
				t.Fatalf("Commit in the code under test: %v", err)
			}
			if got := constants(t, db.Store()); len(got) != 0 {
				t.Fatalf("outside the transaction after Commit: constants %v", got)
			}
			if err := rollback(); err != nil {
				t.Fatal(err)
			}
			if _, err := db.Constants.Get(ctx, "inside"); !errors.Is(err, store.ErrNotFound) {
				t.Fatalf("after the rollback: %v, want ErrNotFound", err)
			}
			// The same write outside a test transaction does stay.
			if err := db.Constants.Set(ctx, "outside", "v"); err != nil {
				t.Fatal(err)
			}
			if got := constants(t, db.Store()); len(got) != 1 || got[0] != "outside" {
				t.Fatalf("constants %v; want [outside]", got)
			}
		})
	}
}

// TestTxLeavesNothingBehind: parallel tests in TestTx see their own
// uncommitted rows only, nobody outside the transaction sees them, and once
// the tests end nothing of theirs is in the database (on a server, the one
// every TestTx shares; on SQLite each TestTx has a database of its own,
// removed with it).
func TestTxLeavesNothingBehind(t *testing.T) {
	for _, srv := range servers(t) {
		t.Run(srv.name, func(t *testing.T) {
			// Names no earlier run used: the shared database outlives runs.
			prefix := "tx-" + storetest.RandomName("") + "-"
			mine := func(names []string) []string {
				var out []string
				for _, n := range names {
					if strings.HasPrefix(n, prefix) {
						out = append(out, n)
					}
				}
				return out
			}
			t.Run("group", func(t *testing.T) {
				for i := range 3 {
					t.Run(fmt.Sprint(i), func(t *testing.T) {
						t.Parallel()
						tx := storetest.TxOn(t, srv.dsn)
						ctx := t.Context()
						name := fmt.Sprintf("%s%d", prefix, i)
						if err := tx.Constants.Set(ctx, name, "v"); err != nil {
							t.Fatal(err)
						}
						if _, err := tx.Queue.Enqueue(ctx, prefix+"jobs", queue.NewElement{Reference: name}); err != nil {
							t.Fatal(err)
						}
						cs, err := tx.Constants.List(ctx)
						if err != nil {
							t.Fatal(err)
						}
						var inside []string
						for _, c := range cs {
							inside = append(inside, c.Name)
						}
						if got := mine(inside); len(got) != 1 || got[0] != name {
							t.Errorf("inside the transaction: %v; want only this test's %s", got, name)
						}
						if got := mine(constants(t, tx.Session.DB())); len(got) != 0 {
							t.Errorf("outside the transaction: %v", got)
						}
					})
				}
			})
			if srv.dsn == "" {
				return
			}
			db, err := store.Open(t.Context(), storetest.SharedDSN(t, srv.dsn))
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			if got := mine(constants(t, db)); len(got) != 0 {
				t.Errorf("constants %v stayed in the shared database", got)
			}
			page, err := flowstoreOn(t, db).Queue.List(t.Context(), queue.Filter{Queue: prefix + "jobs"})
			if err != nil {
				t.Fatal(err)
			}
			if len(page.Elements) != 0 {
				t.Errorf("%d queue elements stayed in the shared database", len(page.Elements))
			}
		})
	}
}

// TestEnvDSN: the exported helpers read storetest.EnvDSN: unset, SQLite;
// a server's URL, that server; anything else, ErrInvalid.
func TestEnvDSN(t *testing.T) {
	t.Run("unset", func(t *testing.T) {
		t.Setenv(storetest.EnvDSN, "")
		d, err := storetest.NewDatabase(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		path, ok := strings.CutPrefix(d.DSN, "sqlite:")
		if !ok {
			t.Fatalf("DSN %s, want a SQLite file", d.DSN)
		}
		if err := d.Remove(t.Context()); err != nil {
			t.Fatal(err)
		}
		if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("%s after Remove: %v", path, err)
		}
	})
	for _, dsn := range []string{"sqlite:" + t.TempDir() + "/x.db", "sqlserver://sa:pw@127.0.0.1:1/?database=x", "postgres:///nohost"} {
		t.Run("refused "+strings.SplitN(dsn, ":", 2)[0], func(t *testing.T) {
			t.Setenv(storetest.EnvDSN, dsn)
			d, err := storetest.NewDatabase(t.Context())
			if !errors.Is(err, store.ErrInvalid) {
				t.Fatalf("NewDatabase with %s = %+v, %v; want ErrInvalid", dsn, d, err)
			}
		})
	}
	for _, srv := range servers(t)[1:] {
		t.Run(srv.name, func(t *testing.T) {
			t.Setenv(storetest.EnvDSN, srv.dsn)
			db := storetest.NewFlowstore(t)
			tx := storetest.TestTx(t)
			for _, d := range []*store.Dialect{db.SQLDialect(), tx.Session.DB().SQLDialect()} {
				if string(d.Name()) != srv.name {
					t.Errorf("dialect %s, want %s", d.Name(), srv.name)
				}
			}
		})
	}
}

// TestServerKeepsOnlyTemplateAndShared: once tests end, the server holds
// no database of theirs and no half-built template, only the template and
// the database TestTx shares (both kept for later runs).
func TestServerKeepsOnlyTemplateAndShared(t *testing.T) {
	list := map[string]string{
		string(store.Postgres): "SELECT datname FROM pg_database",
		string(store.MySQL):    "SELECT schema_name FROM information_schema.schemata",
	}
	for _, srv := range servers(t)[1:] {
		t.Run(srv.name, func(t *testing.T) {
			for i := range 3 {
				t.Run(fmt.Sprint(i), func(t *testing.T) {
					storetest.FlowstoreOn(t, srv.dsn)
					storetest.TxOn(t, srv.dsn)
				})
			}
			admin, err := store.Open(t.Context(), srv.dsn)
			if err != nil {
				t.Fatal(err)
			}
			defer admin.Close()
			rows, err := admin.SQL().QueryContext(t.Context(), list[srv.name])
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			kept := 0
			for rows.Next() {
				var name string
				if err := rows.Scan(&name); err != nil {
					t.Fatal(err)
				}
				if !strings.HasPrefix(name, "flowstore_") {
					continue
				}
				version := fmt.Sprintf("_v%d_", store.LatestSchemaVersion())
				if strings.HasPrefix(name, "flowstore_tmpl"+version) || strings.HasPrefix(name, "flowstore_testtx"+version) {
					kept++
					continue
				}
				t.Errorf("database %s left on the server", name)
			}
			if err := rows.Err(); err != nil {
				t.Fatal(err)
			}
			if kept != 2 {
				t.Errorf("%d kept databases, want the template and TestTx's", kept)
			}
		})
	}
}

func TestNilContextIsRefused(t *testing.T) {
	var nilCtx context.Context
	if _, err := storetest.NewDatabase(nilCtx); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("NewDatabase(nil) = %v, want ErrInvalid", err)
	}
	db := storetest.NewFlowstore(t)
	if _, _, err := storetest.BeginTx(nilCtx, db); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("BeginTx(nil) = %v, want ErrInvalid", err)
	}
}
