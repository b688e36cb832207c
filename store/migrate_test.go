package store_test

import (
	"context"
	"fmt"
	"os"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/flowstore/flowstore/internal/golden"
	"github.com/flowstore/flowstore/internal/refschema"
	"github.com/flowstore/flowstore/internal/testdb"
	"github.com/flowstore/flowstore/store"
)

func TestMigrateIsIdempotent(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		v, err := db.SchemaVersion(ctx)
		require.NoError(t, err)
		require.Equal(t, store.LatestSchemaVersion(), v)
		require.NoError(t, db.Migrate(ctx))
		require.NoError(t, db.Migrate(ctx))
		v, err = db.SchemaVersion(ctx)
		require.NoError(t, err)
		require.Equal(t, store.LatestSchemaVersion(), v)
	})
}

// TestMigrateConcurrentProcesses starts four OS processes that migrate one
// empty database at the same moment; afterwards the schema must be complete
// and every migration recorded exactly once.
func TestMigrateConcurrentProcesses(t *testing.T) {
	for _, d := range testdb.Live() {
		t.Run(string(d), func(t *testing.T) {
			dsn := testdb.FreshDSN(t, d)
			testdb.RunChildren(t, 4, "TestMigrateChild", map[string]string{"FLOWSTORE_CHILD_DSN": dsn})

			ctx := context.Background()
			db, err := store.Open(ctx, dsn)
			require.NoError(t, err)
			defer db.Close()
			v, err := db.SchemaVersion(ctx)
			require.NoError(t, err)
			require.Equal(t, store.LatestSchemaVersion(), v)
			var rows, distinct int
			require.NoError(t, db.SQL().QueryRowContext(ctx, `SELECT COUNT(*), COUNT(DISTINCT version) FROM flowstore_migrations`).Scan(&rows, &distinct))
			require.Equal(t, distinct, rows, "every migration recorded once")
			assertCatalogMatchesReference(t, db)
		})
	}
}

// TestMigrateChild is the body of each child process of
// TestMigrateConcurrentProcesses; run directly it does nothing.
func TestMigrateChild(t *testing.T) {
	if !testdb.IsChild() {
		t.Skip("child process of TestMigrateConcurrentProcesses")
	}
	ctx := context.Background()
	db, err := store.Open(ctx, os.Getenv("FLOWSTORE_CHILD_DSN"))
	require.NoError(t, err)
	defer db.Close()
	require.NoError(t, db.Migrate(ctx))
}

func TestMigrateRefusesNewerSchema(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		future := store.LatestSchemaVersion() + 100
		_, err := db.SQL().ExecContext(ctx, db.Dialect().Rebind(`INSERT INTO flowstore_migrations (version, name, applied_at) VALUES (?, ?, ?)`), future, "from_the_future", db.Now())
		require.NoError(t, err)
		err = db.Migrate(ctx)
		require.ErrorIs(t, err, store.ErrSchemaTooNew)
		require.Contains(t, err.Error(), fmt.Sprint(future))
		v, err := db.SchemaVersion(ctx)
		require.NoError(t, err)
		require.Equal(t, future, v)
	})
}

// TestMigrationFailingHalfwayLeavesDatabase applies a migration whose second
// statement fails: the table its first statement created must not remain,
// and the version must not be recorded.
func TestMigrationFailingHalfwayLeavesDatabase(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		before, err := db.SchemaVersion(ctx)
		require.NoError(t, err)
		bad := store.TestMigration{Version: 9001, Name: "broken", Statements: []string{
			`CREATE TABLE halfway_done (id INT NOT NULL PRIMARY KEY)`,
			`CREATE TABLE this is not sql`,
		}}
		err = db.MigrateWith(ctx, []store.TestMigration{bad})
		require.Error(t, err)
		require.Contains(t, err.Error(), "9001_broken, statement 2")
		after, err := db.SchemaVersion(ctx)
		require.NoError(t, err)
		require.Equal(t, before, after)
		_, err = db.SQL().ExecContext(ctx, `SELECT COUNT(*) FROM halfway_done`)
		require.Error(t, err, "the table of the failed migration must be gone")
	})
}

func TestOpenErrors(t *testing.T) {
	ctx := context.Background()
	_, err := store.Open(ctx, "oracle://scott:tiger@db/orcl")
	require.ErrorIs(t, err, store.ErrUnsupported)
	require.Contains(t, err.Error(), `"oracle"`)
	require.NotContains(t, err.Error(), "tiger", "passwords stay out of errors")

	_, err = store.Open(ctx, "postgres://u:secret@127.0.0.1:1/db?connect_timeout=2")
	require.Error(t, err)
	require.Contains(t, err.Error(), "connect to postgres")
	require.NotContains(t, err.Error(), "secret")

	_, err = store.Open(ctx, "mssql+pyodbc://u:p@MyOdbcDsn")
	require.ErrorIs(t, err, store.ErrUnsupported)
	require.Contains(t, err.Error(), "ODBC data source")
}

// assertCatalogMatchesReference reads the live database's catalog and checks
// that every table and column of the reference documents exists with the
// documented nullability.
func assertCatalogMatchesReference(t *testing.T, db *store.DB) {
	t.Helper()
	cat := readCatalog(t, db)
	for _, table := range refschema.Tables {
		cols, ok := cat[strings.ToLower(table.Name)]
		if !assert(t, ok, "table %s (%s) missing", table.Name, table.System) {
			continue
		}
		for _, c := range table.Columns {
			nullable, ok := cols[strings.ToLower(c.Name)]
			if assert(t, ok, "column %s.%s missing", table.Name, c.Name) {
				assert(t, nullable == c.Nullable, "column %s.%s: nullable=%v, documented %v", table.Name, c.Name, nullable, c.Nullable)
			}
		}
	}
}

func assert(t *testing.T, ok bool, format string, args ...any) bool {
	t.Helper()
	if !ok {
		t.Errorf(format, args...)
	}
	return ok
}

// readCatalog returns table -> column -> nullable, from the database's own
// catalog. Names are lower-cased for lookup; exact spelling is checked by the
// quoted identifiers the stores use.
func readCatalog(t *testing.T, db *store.DB) map[string]map[string]bool {
	t.Helper()
	ctx := context.Background()
	var q string
	switch db.Dialect() {
	case store.SQLite:
		q = `SELECT m.name, p.name, CASE WHEN p."notnull" = 0 AND p.pk = 0 THEN 'YES' ELSE 'NO' END
			FROM sqlite_master m JOIN pragma_table_info(m.name) p WHERE m.type = 'table'`
	case store.Postgres:
		q = `SELECT table_name, column_name, is_nullable FROM information_schema.columns WHERE table_schema = current_schema()`
	case store.SQLServer:
		q = `SELECT table_name, column_name, is_nullable FROM information_schema.columns WHERE table_schema = SCHEMA_NAME()`
	case store.MySQL:
		q = `SELECT table_name, column_name, is_nullable FROM information_schema.columns WHERE table_schema = DATABASE()`
	}
	rows, err := db.SQL().QueryContext(ctx, q)
	require.NoError(t, err)
	defer rows.Close()
	cat := map[string]map[string]bool{}
	for rows.Next() {
		var table, column, nullable string
		require.NoError(t, rows.Scan(&table, &column, &nullable))
		table = strings.ToLower(table)
		if cat[table] == nil {
			cat[table] = map[string]bool{}
		}
		cat[table][strings.ToLower(column)] = nullable == "YES"
	}
	require.NoError(t, rows.Err())
	return cat
}

func TestCatalogMatchesReference(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		assertCatalogMatchesReference(t, db)
	})
}

func TestReferenceCoversEverySystem(t *testing.T) {
	count := map[string]int{}
	for _, table := range refschema.Tables {
		count[table.System]++
	}
	var systems []string
	for s := range count {
		systems = append(systems, s)
	}
	sort.Strings(systems)
	require.Len(t, systems, 4, "systems: %v", systems)
	// 8 OpenOrchestrator tables of the schema document + Schedulers; 18
	// ContainerOps tables; Kogito's 2 + business_key_mapping + event_types.
	for system, want := range map[string]int{"OpenOrchestrator": 9, "ContainerOps": 18, "Kogito": 4} {
		require.Equal(t, want, count[system], system)
	}
}

// TestSchemaSQLGolden pins the DDL SQL Server receives: it cannot run here,
// so a deliberate second look at every change of its schema is the check
// besides review. (The other dialects are checked live, from their catalogs,
// by TestCatalogMatchesReference.)
func TestSchemaSQLGolden(t *testing.T) {
	ddl, err := store.SchemaSQL(store.SQLServer)
	require.NoError(t, err)
	golden.Assert(t, "testdata/schema/sqlserver.sql", ddl)
	for _, d := range store.Dialects() {
		ddl, err := store.SchemaSQL(d)
		require.NoError(t, err)
		require.Contains(t, ddl, "INSERT INTO flowstore_migrations")
	}
	_, err = store.SchemaSQL("oracle")
	require.ErrorIs(t, err, store.ErrUnsupported)
}

// TestMigratorStatementsGolden pins the lock and bookkeeping statements of
// every dialect, SQL Server's sp_getapplock among them.
func TestMigratorStatementsGolden(t *testing.T) {
	for _, d := range store.Dialects() {
		golden.Assert(t, "testdata/migrator/"+string(d)+".sql", store.MigrationStatements(d))
	}
}
