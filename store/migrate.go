package store

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
)

//go:embed migrations
var migrationFS embed.FS

// migration is one numbered, embedded SQL file of one dialect.
type migration struct {
	Version    int
	Name       string
	Statements []string
}

var migrationFileName = regexp.MustCompile(`^(\d{4})_([a-z0-9_]+)\.sql$`)

var (
	loadOnce   sync.Once
	loaded     map[Dialect][]migration
	loadErr    error
	latestSeen int
)

// migrations returns the dialect's migrations in version order. The files are
// embedded, so a malformed one is a build defect: it is reported, not ignored.
func migrations(d Dialect) ([]migration, error) {
	loadOnce.Do(func() {
		loaded = map[Dialect][]migration{}
		for _, dd := range Dialects() {
			entries, err := fs.ReadDir(migrationFS, "migrations/"+string(dd))
			if err != nil {
				loadErr = fmt.Errorf("flowstore: migrations for %s: %w", dd, err)
				return
			}
			for _, e := range entries {
				m := migrationFileName.FindStringSubmatch(e.Name())
				if m == nil {
					loadErr = fmt.Errorf("flowstore: migration file %s/%s: name must be NNNN_name.sql", dd, e.Name())
					return
				}
				body, err := fs.ReadFile(migrationFS, path.Join("migrations", string(dd), e.Name()))
				if err != nil {
					loadErr = err
					return
				}
				v, _ := strconv.Atoi(m[1])
				loaded[dd] = append(loaded[dd], migration{Version: v, Name: m[2], Statements: splitStatements(string(body))})
				latestSeen = max(latestSeen, v)
			}
			slices.SortFunc(loaded[dd], func(a, b migration) int { return a.Version - b.Version })
		}
		// Every dialect must carry the same versions, or a database could claim
		// a version whose tables it does not have.
		ref := versions(loaded[SQLite])
		for _, dd := range Dialects()[1:] {
			if got := versions(loaded[dd]); !slices.Equal(ref, got) {
				loadErr = fmt.Errorf("flowstore: migration versions differ between sqlite %v and %s %v", ref, dd, got)
				return
			}
		}
	})
	if loadErr != nil {
		return nil, loadErr
	}
	ms, ok := loaded[d]
	if !ok {
		return nil, fmt.Errorf("%w: dialect %q", ErrUnsupported, d)
	}
	return ms, nil
}

func versions(ms []migration) []int {
	out := make([]int, len(ms))
	for i, m := range ms {
		out[i] = m.Version
	}
	return out
}

// splitStatements cuts a migration file into statements. The convention of
// our files: a statement ends with ';' at the end of a line, and lines that
// start with "--" are comments.
func splitStatements(body string) []string {
	var stmts []string
	var cur strings.Builder
	for _, line := range strings.Split(body, "\n") {
		trimmed := strings.TrimSpace(line)
		if trimmed == "" || strings.HasPrefix(trimmed, "--") {
			continue
		}
		cur.WriteString(line)
		cur.WriteByte('\n')
		if strings.HasSuffix(trimmed, ";") {
			s := strings.TrimSpace(cur.String())
			stmts = append(stmts, strings.TrimSuffix(s, ";"))
			cur.Reset()
		}
	}
	if s := strings.TrimSpace(cur.String()); s != "" {
		stmts = append(stmts, s)
	}
	return stmts
}

// LatestSchemaVersion is the highest migration version this library knows.
func LatestSchemaVersion() int {
	if _, err := migrations(SQLite); err != nil {
		return 0
	}
	return latestSeen
}

// migrationDialect is everything about migrating that differs per dialect.
type migrationDialect struct {
	bookkeeping string // creates flowstore_migrations if it does not exist
	tableExists string // one row, one column: 1 if flowstore_migrations exists
	// countTable and countIndex count the tables / indexes of a name (one
	// '?' parameter), for Adopt.
	countTable, countIndex string
	lock                   string // one row, one column: 1 once the lock is held ("" = no session lock)
	unlock                 string
	// transactionalDDL: each migration runs in one transaction, so a failure
	// leaves the database as it was. MySQL commits DDL implicitly.
	transactionalDDL bool
	// begin opens a migration's transaction on the locked connection (nil
	// where DDL is not transactional); end commits or rolls it back.
	begin func(ctx context.Context, c *sql.Conn) (q Querier, end func(commit bool) error, err error)
}

// beginTx is the usual way: a database/sql transaction on the connection.
func beginTx(ctx context.Context, c *sql.Conn) (Querier, func(bool) error, error) {
	tx, err := c.BeginTx(ctx, nil)
	if err != nil {
		return nil, nil, err
	}
	return tx, func(commit bool) error {
		if commit {
			return tx.Commit()
		}
		return tx.Rollback()
	}, nil
}

// beginImmediate takes SQLite's write lock at BEGIN, whatever the pool's
// _txlock setting (a pool adopted with New may not have one).
func beginImmediate(ctx context.Context, c *sql.Conn) (Querier, func(bool) error, error) {
	if _, err := c.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		return nil, nil, err
	}
	return c, func(commit bool) error {
		end := "ROLLBACK"
		if commit {
			end = "COMMIT"
		}
		_, err := c.ExecContext(context.Background(), end)
		return err
	}, nil
}

const lockName = "flowstore_migrate"

var migrationDialects = map[Dialect]migrationDialect{
	SQLite: {
		bookkeeping: `CREATE TABLE IF NOT EXISTS "flowstore_migrations" ("version" INTEGER NOT NULL PRIMARY KEY, "name" TEXT NOT NULL, "applied_at" DATETIME NOT NULL)`,
		tableExists: `SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'flowstore_migrations'`,
		countTable:  `SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = ?`,
		countIndex:  `SELECT COUNT(*) FROM sqlite_master WHERE type = 'index' AND name = ?`,
		// SQLite has one writer at a time: BEGIN IMMEDIATE per migration is the lock.
		transactionalDDL: true,
		begin:            beginImmediate,
	},
	Postgres: {
		bookkeeping:      `CREATE TABLE IF NOT EXISTS "flowstore_migrations" ("version" integer NOT NULL PRIMARY KEY, "name" varchar(200) NOT NULL, "applied_at" timestamptz NOT NULL)`,
		tableExists:      `SELECT CASE WHEN to_regclass('flowstore_migrations') IS NULL THEN 0 ELSE 1 END`,
		countTable:       `SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = ?`,
		countIndex:       `SELECT COUNT(*) FROM pg_indexes WHERE schemaname = current_schema() AND indexname = ?`,
		lock:             `SELECT 1 FROM pg_advisory_lock(hashtext('` + lockName + `'))`,
		unlock:           `SELECT pg_advisory_unlock(hashtext('` + lockName + `'))`,
		transactionalDDL: true,
		begin:            beginTx,
	},
	SQLServer: {
		bookkeeping:      `IF OBJECT_ID(N'flowstore_migrations', N'U') IS NULL CREATE TABLE "flowstore_migrations" ("version" int NOT NULL PRIMARY KEY, "name" nvarchar(200) NOT NULL, "applied_at" datetime2(6) NOT NULL)`,
		tableExists:      `SELECT CASE WHEN OBJECT_ID(N'flowstore_migrations', N'U') IS NULL THEN 0 ELSE 1 END`,
		countTable:       `SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = SCHEMA_NAME() AND table_name = ?`,
		countIndex:       `SELECT COUNT(*) FROM sys.indexes WHERE name = ?`,
		lock:             `DECLARE @rc int; EXEC @rc = sp_getapplock @Resource = N'` + lockName + `', @LockMode = 'Exclusive', @LockOwner = 'Session', @LockTimeout = 300000; SELECT CASE WHEN @rc >= 0 THEN 1 ELSE 0 END`,
		unlock:           `EXEC sp_releaseapplock @Resource = N'` + lockName + `', @LockOwner = 'Session'`,
		transactionalDDL: true,
		begin:            beginTx,
	},
	MySQL: {
		bookkeeping:      "CREATE TABLE IF NOT EXISTS `flowstore_migrations` (`version` INT NOT NULL PRIMARY KEY, `name` VARCHAR(200) NOT NULL, `applied_at` DATETIME(6) NOT NULL) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4",
		tableExists:      `SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name = 'flowstore_migrations'`,
		countTable:       `SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name = ?`,
		countIndex:       `SELECT COUNT(DISTINCT index_name) FROM information_schema.statistics WHERE table_schema = DATABASE() AND index_name = ?`,
		lock:             `SELECT COALESCE(GET_LOCK('` + lockName + `', 300), 0)`,
		unlock:           `SELECT RELEASE_LOCK('` + lockName + `')`,
		transactionalDDL: false,
	},
}

// SchemaVersion returns the highest migration version applied to the
// database, 0 for a database flowstore never migrated.
func (db *DB) SchemaVersion(ctx context.Context) (int, error) {
	return schemaVersion(ctx, db.bun.DB, db.dialect)
}

func schemaVersion(ctx context.Context, q Querier, d Dialect) (int, error) {
	md := migrationDialects[d]
	var exists int
	if err := q.QueryRowContext(ctx, md.tableExists).Scan(&exists); err != nil {
		return 0, fmt.Errorf("flowstore: read schema version: %w", Classify(d, err))
	}
	if exists == 0 {
		return 0, nil
	}
	var v sql.NullInt64
	if err := q.QueryRowContext(ctx, `SELECT MAX(version) FROM flowstore_migrations`).Scan(&v); err != nil {
		return 0, fmt.Errorf("flowstore: read schema version: %w", Classify(d, err))
	}
	return int(v.Int64), nil
}

// Migrate brings the schema up to LatestSchemaVersion. It is idempotent and
// safe to call from several processes at once: it holds a database-native
// lock (pg_advisory_lock, sp_getapplock, GET_LOCK; on SQLite each migration's
// BEGIN IMMEDIATE) while it works. Each migration runs in its own transaction
// where the dialect has transactional DDL (all but MySQL/MariaDB), so one that
// fails leaves the database at the previous version. A database migrated by a
// newer flowstore is refused with ErrSchemaTooNew and left untouched.
func (db *DB) Migrate(ctx context.Context) error {
	ms, err := migrations(db.dialect)
	if err != nil {
		return err
	}
	return db.migrate(ctx, ms, false)
}

// Adopt migrates a database in which the reference systems already created
// their tables — an OpenOrchestrator, Kogito or WFO database, say. It is
// Migrate, except that the reference schema (migration 0001) keeps every
// table that already exists, with its rows, instead of creating it: the
// table's seed rows are not inserted again, and an index is created only if
// no index of its name exists. Tables that do not exist yet are created, and
// later migrations (flowstore's extra columns, indexes and tables, listed in
// each package's documentation) run as usual on the existing tables. On a
// database flowstore already migrated, Adopt is Migrate.
//
// An adopted table must have the reference columns (see SchemaSQL); Adopt
// does not rewrite tables whose shape differs.
func (db *DB) Adopt(ctx context.Context) error {
	ms, err := migrations(db.dialect)
	if err != nil {
		return err
	}
	return db.migrate(ctx, ms, true)
}

func (db *DB) migrate(ctx context.Context, ms []migration, adopt bool) (err error) {
	md := migrationDialects[db.dialect]
	conn, err := db.bun.DB.Conn(ctx)
	if err != nil {
		return fmt.Errorf("flowstore: migrate: %w", Classify(db.dialect, err))
	}
	defer conn.Close()
	if md.lock != "" {
		var held int
		if err := conn.QueryRowContext(ctx, md.lock).Scan(&held); err != nil {
			return fmt.Errorf("flowstore: migrate: take lock: %w", Classify(db.dialect, err))
		}
		if held != 1 {
			return fmt.Errorf("%w: migration lock %s not granted within 5 minutes", ErrLocked, lockName)
		}
	}
	if md.unlock != "" {
		defer func() {
			// A fresh context: the caller's may be cancelled, and a lock left
			// on a pooled connection would block every later migration.
			if _, uerr := conn.ExecContext(context.WithoutCancel(ctx), md.unlock); uerr != nil && err == nil {
				err = fmt.Errorf("flowstore: migrate: release lock: %w", uerr)
			}
		}()
	}
	if _, err := conn.ExecContext(ctx, md.bookkeeping); err != nil {
		return fmt.Errorf("flowstore: migrate: create flowstore_migrations: %w", Classify(db.dialect, err))
	}
	for _, m := range ms {
		if err := db.applyMigration(ctx, conn, md, m, adopt && m.Version == 1); err != nil {
			return err
		}
	}
	return nil
}

func (db *DB) applyMigration(ctx context.Context, conn *sql.Conn, md migrationDialect, m migration, adopt bool) (err error) {
	var q Querier = conn
	if md.transactionalDDL {
		var end func(commit bool) error
		if q, end, err = md.begin(ctx, conn); err != nil {
			return fmt.Errorf("flowstore: migration %04d_%s: begin: %w", m.Version, m.Name, Classify(db.dialect, err))
		}
		defer func() {
			if endErr := end(err == nil); endErr != nil && err == nil {
				err = fmt.Errorf("flowstore: migration %04d_%s: commit: %w", m.Version, m.Name, Classify(db.dialect, endErr))
			}
		}()
	}
	// Read the applied versions inside the lock (or the immediate
	// transaction): another process may have just applied this one.
	current, err := schemaVersion(ctx, q, db.dialect)
	if err != nil {
		return err
	}
	if current > LatestSchemaVersion() {
		return fmt.Errorf("%w: database is at version %d, this flowstore knows up to %d", ErrSchemaTooNew, current, LatestSchemaVersion())
	}
	var applied int
	if err := q.QueryRowContext(ctx, db.dialect.Rebind(`SELECT COUNT(*) FROM flowstore_migrations WHERE version = ?`), m.Version).Scan(&applied); err != nil {
		return fmt.Errorf("flowstore: migration %04d_%s: %w", m.Version, m.Name, Classify(db.dialect, err))
	}
	if applied > 0 {
		return nil
	}
	var created []string          // MySQL only: tables to drop again if a later statement fails
	existing := map[string]bool{} // Adopt: reference tables that were there before
	for i, stmt := range m.Statements {
		if adopt {
			skip, err := db.adoptSkips(ctx, q, md, stmt, existing)
			if err != nil {
				return fmt.Errorf("flowstore: adopt, statement %d: %w", i+1, Classify(db.dialect, err))
			}
			if skip {
				continue
			}
		}
		if _, err := q.ExecContext(ctx, stmt); err != nil {
			err = fmt.Errorf("flowstore: migration %04d_%s, statement %d: %w\n%s", m.Version, m.Name, i+1, Classify(db.dialect, err), firstLine(stmt))
			if !md.transactionalDDL {
				err = errors.Join(err, dropCreated(context.WithoutCancel(ctx), conn, created))
			}
			return err
		}
		if t := createdTable(stmt); t != "" {
			created = append(created, t)
		}
	}
	_, err = q.ExecContext(ctx, db.dialect.Rebind(`INSERT INTO flowstore_migrations (version, name, applied_at) VALUES (?, ?, ?)`), m.Version, m.Name, db.Now())
	if err != nil {
		return fmt.Errorf("flowstore: migration %04d_%s: record: %w", m.Version, m.Name, Classify(db.dialect, err))
	}
	return nil
}

var (
	createTableRE = regexp.MustCompile("(?i)^CREATE TABLE [`\"]?([A-Za-z0-9_]+)")
	createIndexRE = regexp.MustCompile("(?i)^CREATE (?:UNIQUE )?INDEX [`\"]?([A-Za-z0-9_]+)")
	insertIntoRE  = regexp.MustCompile("(?i)^INSERT INTO [`\"]?([A-Za-z0-9_]+)")
)

// adoptSkips decides, for Adopt, whether a statement of the reference schema
// is left out: a CREATE TABLE of a table that exists (which is remembered),
// an INSERT into such a table, a CREATE INDEX whose name exists.
func (db *DB) adoptSkips(ctx context.Context, q Querier, md migrationDialect, stmt string, existing map[string]bool) (bool, error) {
	count := func(query, name string) (bool, error) {
		var n int
		err := q.QueryRowContext(ctx, db.dialect.Rebind(query), name).Scan(&n)
		return n > 0, err
	}
	if m := createTableRE.FindStringSubmatch(stmt); m != nil {
		found, err := count(md.countTable, m[1])
		existing[m[1]] = found
		return found, err
	}
	if m := insertIntoRE.FindStringSubmatch(stmt); m != nil {
		return existing[m[1]], nil
	}
	if m := createIndexRE.FindStringSubmatch(stmt); m != nil {
		return count(md.countIndex, m[1])
	}
	return false, nil
}

func createdTable(stmt string) string {
	if m := createTableRE.FindStringSubmatch(stmt); m != nil {
		return m[1]
	}
	return ""
}

// dropCreated undoes what a failed MySQL migration created, newest first, so
// that the database is left as it was as far as MySQL allows (DDL there
// commits implicitly and cannot be rolled back).
func dropCreated(ctx context.Context, conn *sql.Conn, tables []string) error {
	if len(tables) == 0 {
		return nil
	}
	var errs []error
	if _, err := conn.ExecContext(ctx, "SET FOREIGN_KEY_CHECKS = 0"); err != nil {
		return err
	}
	for i := len(tables) - 1; i >= 0; i-- {
		if _, err := conn.ExecContext(ctx, "DROP TABLE `"+tables[i]+"`"); err != nil {
			errs = append(errs, err)
		}
	}
	_, err := conn.ExecContext(ctx, "SET FOREIGN_KEY_CHECKS = 1")
	errs = append(errs, err)
	return errors.Join(errs...)
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

// SchemaSQL returns the complete DDL of a dialect, for DBAs who apply schemas
// themselves: every migration in order, followed by the bookkeeping table and
// its rows, so that a later Migrate sees the database as up to date.
func SchemaSQL(d Dialect) (string, error) {
	ms, err := migrations(d)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	fmt.Fprintf(&b, "-- flowstore schema for %s, version %d\n", d, LatestSchemaVersion())
	for _, m := range ms {
		fmt.Fprintf(&b, "\n-- migration %04d_%s\n", m.Version, m.Name)
		for _, s := range m.Statements {
			b.WriteString(s)
			b.WriteString(";\n")
		}
	}
	b.WriteString("\n-- flowstore bookkeeping\n")
	b.WriteString(migrationDialects[d].bookkeeping)
	b.WriteString(";\n")
	for _, m := range ms {
		fmt.Fprintf(&b, "INSERT INTO flowstore_migrations (version, name, applied_at) VALUES (%d, '%s', %s);\n", m.Version, m.Name, nowSQL[d])
	}
	return b.String(), nil
}

var nowSQL = map[Dialect]string{
	SQLite:    "strftime('%Y-%m-%d %H:%M:%f+00:00', 'now')",
	Postgres:  "now()",
	SQLServer: "SYSUTCDATETIME()",
	MySQL:     "UTC_TIMESTAMP(6)",
}
