package testdb_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/feature"

	"github.com/flowstore/flowstore/internal/testdb"
	"github.com/flowstore/flowstore/store"
)

func TestMain(m *testing.M) { testdb.Main(m) }

func TestTargets(t *testing.T) {
	t.Log(testdb.Summary())
	for _, tg := range testdb.Targets() {
		if tg.Err != nil {
			t.Errorf("%s: %s: %v", tg.Dialect, tg.Detail, tg.Err)
		}
		if tg.Detail == "" {
			t.Errorf("%s: no detail: a skipped dialect must say why", tg.Dialect)
		}
	}
	if live := testdb.Live(); len(live) == 0 || live[0] != store.SQLite {
		t.Errorf("Live() = %v, want SQLite first and always", live)
	}
}

// tableCount counts the user tables of the database db is connected to.
func tableCount(t *testing.T, db *store.DB) int {
	t.Helper()
	q := map[store.DialectName]string{
		store.SQLite:    `SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'`,
		store.Postgres:  `SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = current_schema()`,
		store.MySQL:     `SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = DATABASE()`,
		store.SQLServer: `SELECT COUNT(*) FROM sys.tables`,
	}[db.SQLDialect().Name()]
	var n int
	if err := db.SQL().QueryRowContext(t.Context(), q).Scan(&n); err != nil {
		t.Fatalf("count tables: %v", err)
	}
	return n
}

func open(t *testing.T, dsn string) *store.DB {
	t.Helper()
	db, err := store.Open(t.Context(), dsn)
	if err != nil {
		t.Fatalf("open %s: %v", dsn, err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestFreshDSN(t *testing.T) {
	for _, d := range testdb.Live() {
		t.Run(string(d), func(t *testing.T) {
			dsn := testdb.FreshDSN(t, d)
			db := open(t, dsn)
			if n := tableCount(t, db); n != 0 {
				t.Fatalf("fresh database %s has %d tables, want none", dsn, n)
			}
			if err := db.Migrate(t.Context()); err != nil {
				t.Fatalf("migrate: %v", err)
			}
			if v, err := db.SchemaVersion(t.Context()); err != nil || v != store.LatestSchemaVersion() {
				t.Fatalf("SchemaVersion = %d, %v; want %d", v, err, store.LatestSchemaVersion())
			}
			if n := tableCount(t, db); n == 0 {
				t.Fatal("no tables after Migrate")
			}

			other := testdb.FreshDSN(t, d)
			if other == dsn {
				t.Fatalf("two FreshDSN calls gave the same DSN %s", dsn)
			}
			if n := tableCount(t, open(t, other)); n != 0 {
				t.Fatalf("second fresh database %s has %d tables: it is not a different database", other, n)
			}
		})
	}
}

func TestEach(t *testing.T) {
	var ran []store.DialectName
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		ran = append(ran, db.SQLDialect().Name())
		if t.Name() != "TestEach/"+string(db.SQLDialect().Name()) {
			t.Errorf("subtest %s for dialect %s", t.Name(), db.SQLDialect().Name())
		}
		if v, err := db.SchemaVersion(t.Context()); err != nil || v != store.LatestSchemaVersion() {
			t.Fatalf("SchemaVersion = %d, %v; want %d", v, err, store.LatestSchemaVersion())
		}
		// Fresh databases are independent even where they are copies of
		// one template.
		if _, err := db.SQL().ExecContext(t.Context(), `CREATE TABLE testdb_marker (n INTEGER NOT NULL)`); err != nil {
			t.Fatal(err)
		}
		again := testdb.Fresh(t, db.SQLDialect().Name())
		if testdb.DSN(t, again) == testdb.DSN(t, db) {
			t.Fatal("two Fresh calls gave the same database")
		}
		if _, err := again.SQL().ExecContext(t.Context(), `CREATE TABLE testdb_marker (n INTEGER NOT NULL)`); err != nil {
			t.Fatalf("second fresh database already has the first one's table: %v", err)
		}
	})
	if fmt.Sprint(ran) != fmt.Sprint(testdb.Live()) {
		t.Errorf("Each ran %v, want %v", ran, testdb.Live())
	}
}

// TestRunChildren is both the parent and the children: each child adds a
// row with its process id to the parent's database.
func TestRunChildren(t *testing.T) {
	if testdb.IsChild() {
		ctx := t.Context()
		db, err := store.Open(ctx, os.Getenv("TESTDB_DSN"))
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		if _, err := db.Bun().ExecContext(ctx, `INSERT INTO testdb_children (pid) VALUES (?)`, os.Getpid()); err != nil {
			t.Fatal(err)
		}
		return
	}
	const n = 3
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		if _, err := db.SQL().ExecContext(t.Context(), `CREATE TABLE testdb_children (pid INTEGER NOT NULL)`); err != nil {
			t.Fatal(err)
		}
		testdb.RunChildren(t, n, "TestRunChildren", map[string]string{"TESTDB_DSN": testdb.DSN(t, db)})
		var rows, pids int
		err := db.SQL().QueryRowContext(t.Context(), `SELECT COUNT(*), COUNT(DISTINCT pid) FROM testdb_children`).Scan(&rows, &pids)
		if err != nil {
			t.Fatal(err)
		}
		if rows != n || pids != n {
			t.Fatalf("children wrote %d rows from %d processes, want %d from %d", rows, pids, n, n)
		}
	})
}

// TestChildRequiresAMatchingTest: a pattern that matches nothing must not
// pass silently.
func TestChildRequiresAMatchingTest(t *testing.T) {
	if testdb.IsChild() {
		return
	}
	rec := &recorder{TB: t}
	testdb.RunChildren(rec, 1, "TestDoesNotExist", nil)
	if !rec.failed || !strings.Contains(rec.msg, `no test matched "TestDoesNotExist"`) {
		t.Fatalf("RunChildren with an unknown test: failed=%v, message %q", rec.failed, rec.msg)
	}
}

func TestChildFailureIsReported(t *testing.T) {
	if testdb.IsChild() {
		if os.Getenv("TESTDB_FAIL") == "1" {
			t.Fatal("child failing on purpose")
		}
		return
	}
	rec := &recorder{TB: t}
	testdb.RunChildren(rec, 2, "TestChildFailureIsReported", map[string]string{"TESTDB_FAIL": "1"})
	if !rec.failed || !strings.Contains(rec.msg, "child failing on purpose") {
		t.Fatalf("failing children: failed=%v, message %q", rec.failed, rec.msg)
	}
}

func TestStartChildKill(t *testing.T) {
	if testdb.IsChild() {
		fmt.Println("READY")
		time.Sleep(time.Minute)
		t.Fatal("not killed")
	}
	began := time.Now()
	c := testdb.StartChild(t, "TestStartChildKill", nil)
	if err := c.WaitOutput("READY", 30*time.Second); err != nil {
		t.Fatal(err)
	}
	if err := c.Kill(); err != nil {
		t.Fatal(err)
	}
	if err := c.Wait(); err == nil || !strings.Contains(err.Error(), "killed") {
		t.Fatalf("Wait after Kill = %v, want a killed process", err)
	}
	if err := c.Kill(); err != nil {
		t.Fatalf("second Kill: %v", err)
	}
	if d := time.Since(began); d > 30*time.Second {
		t.Fatalf("kill took %s", d)
	}
}

func TestOffline(t *testing.T) {
	want := map[store.DialectName]string{
		store.SQLite:    `SELECT * FROM "Queues" WHERE ("id" = 1)`,
		store.Postgres:  `SELECT * FROM "Queues" WHERE ("id" = 1)`,
		store.MySQL:     "SELECT * FROM `Queues` WHERE (`id` = 1)",
		store.SQLServer: `SELECT * FROM "Queues" WHERE ("id" = 1)`,
	}
	for _, d := range store.DialectNames() {
		db := testdb.Offline(d)
		if db.SQLDialect().Name() != d {
			t.Errorf("Offline(%s).Dialect() = %s", d, db.SQLDialect().Name())
		}
		if testdb.Offline(d) != db {
			t.Errorf("Offline(%s) is not shared", d)
		}
		q := db.Bun().NewSelect().TableExpr("?", bun.Ident("Queues")).Where("? = ?", bun.Ident("id"), 1).String()
		if q != want[d] {
			t.Errorf("%s: rendered %q, want %q", d, q, want[d])
		}
		// MySQL features come from the server version the offline
		// connection claims (MySQL 8: CTEs, no RETURNING).
		if f := db.Bun().Dialect().Features(); d == store.MySQL && (!f.Has(feature.CTE) || f.Has(feature.InsertReturning)) {
			t.Errorf("mysql: offline dialect features %v, want MySQL 8's", f)
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		_, err := db.SQL().ExecContext(ctx, "SELECT 1")
		cancel()
		if err == nil || !strings.Contains(err.Error(), "offline") {
			t.Errorf("%s: executing on an offline database: %v, want an offline error", d, err)
		}
	}
}

// recorder is a testing.TB that records failures instead of failing the
// real test, for testing the harness's own failure reports.
type recorder struct {
	testing.TB
	failed bool
	msg    string
}

func (r *recorder) Helper() {}

func (r *recorder) Errorf(format string, args ...any) {
	r.failed = true
	r.msg += fmt.Sprintf(format, args...) + "\n"
}

func (r *recorder) Fatalf(format string, args ...any) {
	r.Errorf(format, args...)
	panic(errFatal)
}

var errFatal = errors.New("recorder: Fatalf")

// TestDatabasesAreDroppedAfterTheTest: a long test binary must not pile up
// databases on a server.
func TestDatabasesAreDroppedAfterTheTest(t *testing.T) {
	for _, d := range testdb.Live() {
		if d == store.SQLite {
			continue // its file goes with the test's temp dir
		}
		t.Run(string(d), func(t *testing.T) {
			var dsn string
			t.Run("user", func(t *testing.T) {
				dsn = testdb.FreshDSN(t, d)
				open(t, dsn)
			})
			deadline := time.Now().Add(30 * time.Second)
			for {
				db, err := store.Open(t.Context(), dsn)
				if err != nil {
					return // gone
				}
				db.Close()
				if time.Now().After(deadline) {
					t.Fatalf("%s still opens 30s after its test ended", dsn)
				}
				time.Sleep(50 * time.Millisecond)
			}
		})
	}
}
