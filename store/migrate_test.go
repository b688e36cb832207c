package store_test

import (
	"context"
	"fmt"
	"os"
	"regexp"
	"sort"
	"strconv"
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
		_, err := db.SQL().ExecContext(ctx, db.SQLDialect().Rebind(`INSERT INTO flowstore_migrations (version, name, applied_at) VALUES (?, ?, ?)`), future, "from_the_future", db.Now())
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
// that every table and column of the reference documents exists with its
// exact name, the documented nullability and the documented length.
func assertCatalogMatchesReference(t *testing.T, db *store.DB) {
	t.Helper()
	for _, problem := range catalogMismatches(t, db) {
		t.Error(problem)
	}
}

// catalogMismatches lists every difference between the reference schema
// and the database's catalog.
func catalogMismatches(t *testing.T, db *store.DB) []string {
	t.Helper()
	cat := readCatalog(t, db)
	var problems []string
	for _, table := range refschema.Tables {
		cols, ok := cat.table(table.Name)
		if !ok {
			problems = append(problems, fmt.Sprintf("table %s (%s) missing", table.Name, table.System))
			continue
		}
		for _, c := range table.Columns {
			got, ok := cols[c.Name]
			if !ok {
				problems = append(problems, fmt.Sprintf("column %s.%s missing", table.Name, c.Name))
				continue
			}
			if got.nullable != c.Nullable {
				problems = append(problems, fmt.Sprintf("column %s.%s: nullable=%v, documented %v", table.Name, c.Name, got.nullable, c.Nullable))
			}
			if c.MaxLen > 0 && got.maxLen != c.MaxLen {
				problems = append(problems, fmt.Sprintf("column %s.%s: length %d, documented %d", table.Name, c.Name, got.maxLen, c.MaxLen))
			}
		}
	}
	return problems
}

// catalogColumn is one column as the database's catalog describes it.
type catalogColumn struct {
	nullable bool
	// maxLen is the longest value the column accepts, in characters: the
	// declared length of a varchar/char, or the limit of the column's
	// length CHECK (SQLite's TEXT columns, SQL Server's NVARCHAR(MAX) above
	// 4000); 0 when there is none.
	maxLen int
}

// catalog maps table → column → description, with names exactly as the
// catalog stores them: PostgreSQL and SQL Server keep the case of quoted
// identifiers, SQLite keeps names as created, and so does MySQL with
// lower_case_table_names 0 or 2. With lower_case_table_names=1 (the
// default on Windows) MySQL stores every table name in lower case and
// compares names case-insensitively; only there are table names folded
// before the lookup. Column names keep their case on every dialect.
type catalog struct {
	tables     map[string]map[string]catalogColumn
	foldTables bool
}

func (c catalog) table(name string) (map[string]catalogColumn, bool) {
	if c.foldTables {
		name = strings.ToLower(name)
	}
	cols, ok := c.tables[name]
	return cols, ok
}

var (
	// sqliteLenCheck is a length CHECK of our SQLite DDL, as the table's
	// stored CREATE statement spells it.
	sqliteLenCheck = regexp.MustCompile(`CHECK \(length\("([A-Za-z0-9_]+)"\) <= (\d+)\)`)
	// sqlserverLenCheck is a length CHECK as SQL Server stores its
	// definition, e.g. (len([log_message])<=(8000)).
	sqlserverLenCheck = regexp.MustCompile(`(?i)len\(\[?"?([A-Za-z0-9_]+)"?\]?\)\s*<=\s*\(?(\d+)`)
)

// readCatalog reads the database's own catalog.
func readCatalog(t *testing.T, db *store.DB) catalog {
	t.Helper()
	ctx := context.Background()
	var q string
	switch db.SQLDialect().Name() {
	case store.SQLite:
		q = `SELECT m.name, p.name, CASE WHEN p."notnull" = 0 AND p.pk = 0 THEN 'YES' ELSE 'NO' END, 0
			FROM sqlite_master m JOIN pragma_table_info(m.name) p WHERE m.type = 'table'`
	case store.Postgres:
		q = `SELECT table_name, column_name, is_nullable, COALESCE(character_maximum_length, 0) FROM information_schema.columns WHERE table_schema = current_schema()`
	case store.SQLServer:
		q = `SELECT table_name, column_name, is_nullable, COALESCE(character_maximum_length, 0) FROM information_schema.columns WHERE table_schema = SCHEMA_NAME()`
	case store.MySQL:
		q = `SELECT table_name, column_name, is_nullable, COALESCE(character_maximum_length, 0) FROM information_schema.columns WHERE table_schema = DATABASE()`
	}
	cat := catalog{tables: map[string]map[string]catalogColumn{}}
	rows, err := db.SQL().QueryContext(ctx, q)
	require.NoError(t, err)
	defer rows.Close()
	for rows.Next() {
		var table, column, nullable string
		var maxLen int64
		require.NoError(t, rows.Scan(&table, &column, &nullable, &maxLen))
		if cat.tables[table] == nil {
			cat.tables[table] = map[string]catalogColumn{}
		}
		cat.tables[table][column] = catalogColumn{nullable: nullable == "YES", maxLen: int(maxLen)}
	}
	require.NoError(t, rows.Err())

	// Length limits kept in CHECK constraints rather than in the type.
	checks := map[store.DialectName]struct {
		query string
		re    *regexp.Regexp
	}{
		store.SQLite: {`SELECT name, sql FROM sqlite_master WHERE type = 'table'`, sqliteLenCheck},
		store.SQLServer: {`SELECT OBJECT_NAME(parent_object_id), definition FROM sys.check_constraints
			WHERE name LIKE '%[_]len' AND SCHEMA_NAME(schema_id) = SCHEMA_NAME()`, sqlserverLenCheck},
	}
	if c, ok := checks[db.SQLDialect().Name()]; ok {
		rows, err := db.SQL().QueryContext(ctx, c.query)
		require.NoError(t, err)
		defer rows.Close()
		for rows.Next() {
			var table, def string
			require.NoError(t, rows.Scan(&table, &def))
			for _, m := range c.re.FindAllStringSubmatch(def, -1) {
				col, ok := cat.tables[table][m[1]]
				if !ok {
					continue
				}
				// SQL Server reports NVARCHAR(MAX) as -1: the CHECK is the limit.
				if col.maxLen <= 0 {
					col.maxLen, _ = strconv.Atoi(m[2])
					cat.tables[table][m[1]] = col
				}
			}
		}
		require.NoError(t, rows.Err())
	}

	if db.SQLDialect().Name() == store.MySQL {
		var lctn int
		require.NoError(t, db.SQL().QueryRowContext(ctx, `SELECT @@lower_case_table_names`).Scan(&lctn))
		cat.foldTables = lctn == 1
	}
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
	// ContainerOps tables; Kogito's 2 + business_key_mapping + event_types;
	// WFO's 20 (17 mapped classes and 3 association tables) + input_states.
	for system, want := range map[string]int{"OpenOrchestrator": 9, "ContainerOps": 18, "Kogito": 4, "WFO": 21} {
		require.Equal(t, want, count[system], system)
	}
	wfo := map[string]bool{}
	for _, table := range refschema.Tables {
		if table.System == "WFO" {
			wfo[table.Name] = true
		}
	}
	for _, name := range []string{
		// __tablename__ of the document's mapped classes
		"processes", "process_steps", "processes_subscriptions", "products", "fixed_inputs",
		"product_blocks", "product_block_relations", "resource_types", "workflows",
		"subscription_instance_relations", "subscription_instances", "subscription_instance_values",
		"subscription_customer_descriptions", "subscriptions", "subscription_metadata",
		"subscriptions_search", "engine_settings",
		// its association tables
		"product_product_blocks", "product_block_resource_types", "products_workflows",
		// flowstore's extra
		"input_states",
	} {
		require.True(t, wfo[name], "WFO table %s", name)
	}
}

// TestCatalogCheckIsExact: the catalog check itself notices a table whose
// name differs only in case and a column one character too short — the two
// mistakes a case-folding, nullability-only comparison let through.
func TestCatalogCheckIsExact(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		d := db.SQLDialect().Name()
		if d == store.MySQL {
			var lctn int
			require.NoError(t, db.SQL().QueryRowContext(ctx, `SELECT @@lower_case_table_names`).Scan(&lctn))
			if lctn == 1 {
				t.Skip("lower_case_table_names=1: MySQL cannot hold a table name in upper case")
			}
		}
		q := mustDialect(d).Quote
		value := map[store.DialectName]string{
			store.SQLite:    `TEXT NOT NULL CONSTRAINT "constants_value_len" CHECK (length("value") <= 999)`,
			store.Postgres:  `VARCHAR(999) NOT NULL`,
			store.SQLServer: `NVARCHAR(999) NOT NULL`,
			store.MySQL:     `VARCHAR(999) NOT NULL`,
		}[d]
		name := `VARCHAR(100) NOT NULL PRIMARY KEY`
		if d == store.SQLite {
			name = `TEXT NOT NULL PRIMARY KEY CONSTRAINT "constants_name_len" CHECK (length("name") <= 100)`
		}
		timeType := map[store.DialectName]string{store.SQLite: "DATETIME", store.Postgres: "timestamptz", store.SQLServer: "datetime2(6)", store.MySQL: "DATETIME(6)"}[d]
		for _, stmt := range []string{
			`DROP TABLE ` + q("Constants"),
			`CREATE TABLE ` + q("constants") + ` (` + q("name") + ` ` + name + `, ` + q("value") + ` ` + value + `, ` + q("changed_at") + ` ` + timeType + ` NOT NULL)`,
		} {
			_, err := db.SQL().ExecContext(ctx, stmt)
			require.NoError(t, err, stmt)
		}
		problems := catalogMismatches(t, db)
		require.Contains(t, problems, "table Constants (OpenOrchestrator) missing", "renamed to lower case")

		// Back under its own name, still one character short.
		for _, stmt := range []string{
			`DROP TABLE ` + q("constants"),
			`CREATE TABLE ` + q("Constants") + ` (` + q("name") + ` ` + name + `, ` + q("value") + ` ` + value + `, ` + q("changed_at") + ` ` + timeType + ` NOT NULL)`,
		} {
			_, err := db.SQL().ExecContext(ctx, stmt)
			require.NoError(t, err, stmt)
		}
		require.Equal(t, []string{"column Constants.value: length 999, documented 1000"}, catalogMismatches(t, db))
	})
}

// TestSchemaSQLGolden pins the DDL SQL Server receives: it cannot run here,
// so a deliberate second look at every change of its schema is the check
// besides review. (The other dialects are checked live, from their catalogs,
// by TestCatalogMatchesReference.)
func TestSchemaSQLGolden(t *testing.T) {
	ddl, err := store.SchemaSQL(store.SQLServer)
	require.NoError(t, err)
	golden.Assert(t, "testdata/schema/sqlserver.sql", ddl)
	for _, d := range store.DialectNames() {
		ddl, err := store.SchemaSQL(d)
		require.NoError(t, err)
		require.Contains(t, ddl, "INSERT INTO flowstore_migrations")
	}
	_, err = store.SchemaSQL("oracle")
	require.ErrorIs(t, err, store.ErrUnsupported)
}

// TestSchemaSQLBatchesAreMigrateStatements: SQL Server's SchemaSQL ends
// every statement with a GO line, so a DBA running it in sqlcmd or SSMS
// sends the same batches Migrate sends (one statement each) — an ALTER
// TABLE … ADD and a statement on the new column must not be compiled as one
// batch. The other dialects have no batches.
func TestSchemaSQLBatchesAreMigrateStatements(t *testing.T) {
	ddl, err := store.SchemaSQL(store.SQLServer)
	require.NoError(t, err)
	ms, err := store.Migrations(store.SQLServer)
	require.NoError(t, err)
	var want []string
	for _, m := range ms {
		for _, stmt := range m.Statements {
			switch stmt {
			case "@go openorchestrator_naive_time":
				// converts an earlier flowstore's rows: nothing on a new database
			case "@go alembic_stamp":
				want = append(want, "CREATE TABLE \"alembic_version\" (\"version_num\" VARCHAR(32) NOT NULL, CONSTRAINT \"alembic_version_pkc\" PRIMARY KEY (\"version_num\"))",
					"INSERT INTO \"alembic_version\" (\"version_num\") VALUES ('"+store.OpenOrchestratorRevision+"')")
			default:
				require.NotContains(t, stmt, "@go", "a Go step this test does not know")
				want = append(want, stmt)
			}
		}
	}
	var got []string
	for _, batch := range strings.Split(ddl, "\nGO\n") {
		var lines []string
		for _, line := range strings.Split(batch, "\n") {
			if trimmed := strings.TrimSpace(line); trimmed != "" && !strings.HasPrefix(trimmed, "--") {
				lines = append(lines, line)
			}
		}
		if len(lines) > 0 {
			got = append(got, strings.TrimSuffix(strings.Join(lines, "\n"), ";"))
		}
	}
	require.GreaterOrEqual(t, len(got), len(want))
	require.Equal(t, want, got[:len(want)], "one batch per migration statement, in order")
	for _, batch := range got[len(want):] {
		require.Regexp(t, `^(IF OBJECT_ID|INSERT INTO flowstore_migrations)`, batch, "then the bookkeeping, one batch each")
	}
	for _, d := range []store.DialectName{store.SQLite, store.Postgres, store.MySQL} {
		ddl, err := store.SchemaSQL(d)
		require.NoError(t, err)
		require.NotContains(t, ddl, "\nGO\n", d)
	}
}

// TestMigratorStatementsGolden pins the lock and bookkeeping statements of
// every dialect, SQL Server's sp_getapplock among them.
func TestMigratorStatementsGolden(t *testing.T) {
	for _, d := range store.DialectNames() {
		golden.Assert(t, "testdata/migrator/"+string(d)+".sql", store.MigrationStatements(d))
	}
}

// TestUnmigratedIsErrNotMigrated: a statement on a database that was never
// migrated fails with ErrNotMigrated, whose text says what to run, on every
// dialect — not with the driver's "no such table".
func TestUnmigratedIsErrNotMigrated(t *testing.T) {
	for _, d := range testdb.Live() {
		t.Run(string(d), func(t *testing.T) {
			db, err := store.Open(t.Context(), testdb.FreshDSN(t, d))
			require.NoError(t, err)
			defer db.Close()
			q := db.SQLDialect().Quote
			_, err = db.SQL().ExecContext(t.Context(), "DELETE FROM "+q("Queues"))
			err = db.SQLDialect().Classify(err)
			require.ErrorIs(t, err, store.ErrNotMigrated)
			require.Contains(t, err.Error(), "flowctl migrate")
		})
	}
}
