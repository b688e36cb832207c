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

	"github.com/flowstore/flowstore/internal/refschema"
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
	loaded     map[DialectName][]migration
	loadErr    error
	latestSeen int
)

// migrations returns the dialect's migrations in version order. The files are
// embedded, so a malformed one is a build defect: it is reported, not ignored.
func migrations(d DialectName) ([]migration, error) {
	loadOnce.Do(func() {
		loaded = map[DialectName][]migration{}
		for _, dd := range DialectNames() {
			entries, err := fs.ReadDir(migrationFS, "migrations/"+string(dd))
			if err != nil {
				loadErr = fmt.Errorf("store: migrations for %s: %w", dd, err)
				return
			}
			for _, e := range entries {
				m := migrationFileName.FindStringSubmatch(e.Name())
				if m == nil {
					loadErr = fmt.Errorf("store: migration file %s/%s: name must be NNNN_name.sql", dd, e.Name())
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
		for _, dd := range DialectNames()[1:] {
			if got := versions(loaded[dd]); !slices.Equal(ref, got) {
				loadErr = fmt.Errorf("store: migration versions differ between sqlite %v and %s %v", ref, dd, got)
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
		if name, ok := strings.CutPrefix(trimmed, "-- @go "); ok {
			stmts = append(stmts, goPrefix+strings.TrimSpace(name))
			continue
		}
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

// beginMigration opens a migration's transaction on the locked connection, in the
// dialect's way (see CatalogSpec.BeginImmediate), and returns what ends it.
func beginMigration(ctx context.Context, c *sql.Conn, cat CatalogSpec) (Querier, func(bool) error, error) {
	if cat.BeginImmediate {
		// Takes SQLite's write lock at BEGIN, whatever the pool's _txlock
		// setting (a pool adopted with New may not have one).
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

// SchemaVersion returns the highest migration version applied to the
// database, 0 for a database flowstore never migrated.
func (db *DB) SchemaVersion(ctx context.Context) (int, error) {
	if err := CheckContext(ctx); err != nil {
		return 0, fmt.Errorf("store: schema version: %w", err)
	}
	return schemaVersion(ctx, db.bun.DB, db.dialect)
}

func schemaVersion(ctx context.Context, q Querier, d *Dialect) (int, error) {
	var exists int
	if err := q.QueryRowContext(ctx, d.s.Catalog.TableExists).Scan(&exists); err != nil {
		return 0, fmt.Errorf("store: read schema version: %w", d.Classify(err))
	}
	if exists == 0 {
		return 0, nil
	}
	var v sql.NullInt64
	if err := q.QueryRowContext(ctx, `SELECT MAX(version) FROM flowstore_migrations`).Scan(&v); err != nil {
		return 0, fmt.Errorf("store: read schema version: %w", d.Classify(err))
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
//
// MySQL/MariaDB commit every DDL statement on its own. There a migration that
// fails halfway is undone statement by statement (created tables and
// indexes dropped, added columns dropped), and noted in
// flowstore_migration_attempts until it completes: the next Migrate — after
// the cause is fixed — resumes it, skipping each statement whose effect is
// already there (a table, column or index that exists, an index already
// dropped, a seed row already written), so what could not be undone, or was
// left by a process that died, does not block it. The error names the
// migration and the statement that failed.
func (db *DB) Migrate(ctx context.Context) error {
	if err := CheckContext(ctx); err != nil {
		return fmt.Errorf("store: migrate: %w", err)
	}
	ms, err := migrations(db.dialect.Name())
	if err != nil {
		return err
	}
	return db.migrate(ctx, ms, migrateOptions{})
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
	if err := CheckContext(ctx); err != nil {
		return fmt.Errorf("store: adopt: %w", err)
	}
	ms, err := migrations(db.dialect.Name())
	if err != nil {
		return err
	}
	return db.migrate(ctx, ms, migrateOptions{adopt: true})
}

// migrateOptions are the variants of migrate: Adopt, and a test hook.
type migrateOptions struct {
	adopt bool // keep reference tables that exist (migration 0001 only)
	// noUndo leaves a failed MySQL migration's changes in place, as a
	// process killed halfway would, for tests of resuming.
	noUndo bool
}

func (db *DB) migrate(ctx context.Context, ms []migration, opt migrateOptions) (err error) {
	md := db.dialect.s.Catalog
	conn, err := db.bun.DB.Conn(ctx)
	if err != nil {
		return fmt.Errorf("store: migrate: %w", db.dialect.Classify(err))
	}
	defer conn.Close()
	if md.SessionLock != "" {
		var held int
		if err := conn.QueryRowContext(ctx, md.SessionLock).Scan(&held); err != nil {
			return fmt.Errorf("store: migrate: take lock: %w", db.dialect.Classify(err))
		}
		if held != 1 {
			return fmt.Errorf("%w: migration lock %s not granted within 5 minutes", ErrLocked, "flowstore_migrate")
		}
	}
	if md.SessionUnlock != "" {
		defer func() {
			// A fresh context: the caller's may be cancelled, and a lock left
			// on a pooled connection would block every later migration.
			if _, uerr := conn.ExecContext(context.WithoutCancel(ctx), md.SessionUnlock); uerr != nil && err == nil {
				err = fmt.Errorf("store: migrate: release lock: %w", uerr)
			}
		}()
	}
	if _, err := conn.ExecContext(ctx, md.Bookkeeping); err != nil {
		return fmt.Errorf("store: migrate: create flowstore_migrations: %w", db.dialect.Classify(err))
	}
	if md.Attempts != "" {
		if _, err := conn.ExecContext(ctx, md.Attempts); err != nil {
			return fmt.Errorf("store: migrate: create flowstore_migration_attempts: %w", db.dialect.Classify(err))
		}
	}
	for _, m := range ms {
		if err := db.applyMigration(ctx, conn, md, m, opt.adopt && m.Version == 1, opt.noUndo); err != nil {
			return err
		}
	}
	return nil
}

func (db *DB) applyMigration(ctx context.Context, conn *sql.Conn, md CatalogSpec, m migration, adopt, noUndo bool) (err error) {
	var q Querier = conn
	transactional := db.dialect.Has(FeatureTransactionalDDL)
	if transactional {
		var end func(commit bool) error
		if q, end, err = beginMigration(ctx, conn, md); err != nil {
			return fmt.Errorf("store: migration %04d_%s: begin: %w", m.Version, m.Name, db.dialect.Classify(err))
		}
		defer func() {
			if endErr := end(err == nil); endErr != nil && err == nil {
				err = fmt.Errorf("store: migration %04d_%s: commit: %w", m.Version, m.Name, db.dialect.Classify(endErr))
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
		return fmt.Errorf("store: migration %04d_%s: %w", m.Version, m.Name, db.dialect.Classify(err))
	}
	if applied > 0 {
		return nil
	}
	if m.Version == 1 && !adopt {
		if err := db.refuseForeignTables(ctx, q, md, m); err != nil {
			return err
		}
	}
	mode := skipNothing
	if adopt {
		mode = skipAdopted
	}
	if md.Attempts != "" {
		resume, err := db.noteAttempt(ctx, conn, m)
		if err != nil {
			return err
		}
		if resume && !adopt {
			mode = skipDone
		}
	}
	var undo undoLog
	existing := map[string]bool{} // tables that were there before this run
	for i, stmt := range m.Statements {
		if mode != skipNothing {
			skip, err := db.skips(ctx, q, md, mode, stmt, existing)
			if err != nil {
				return fmt.Errorf("store: migration %04d_%s, statement %d: check: %w", m.Version, m.Name, i+1, db.dialect.Classify(err))
			}
			if skip {
				undo.skipped = true
				continue
			}
		}
		if err := db.execMigrationStatement(ctx, q, stmt); err != nil {
			err = fmt.Errorf("store: migration %04d_%s, statement %d: %w\n%s", m.Version, m.Name, i+1, db.dialect.Classify(err), firstLine(stmt))
			if transactional {
				return err
			}
			err = fmt.Errorf("%w\n(%s commits DDL statement by statement: the migration's earlier changes were undone where possible; once the cause is fixed, Migrate resumes it)", err, db.dialect)
			if noUndo {
				return err
			}
			return errors.Join(err, db.undoFailed(context.WithoutCancel(ctx), conn, m, &undo))
		}
		if !transactional {
			undo.add(stmt)
		}
	}
	_, err = q.ExecContext(ctx, db.dialect.Rebind(`INSERT INTO flowstore_migrations (version, name, applied_at) VALUES (?, ?, ?)`), m.Version, m.Name, db.Now())
	if err != nil {
		return fmt.Errorf("store: migration %04d_%s: record: %w", m.Version, m.Name, db.dialect.Classify(err))
	}
	if md.Attempts != "" {
		if err := db.forgetAttempt(ctx, conn, m); err != nil {
			return err
		}
	}
	return nil
}

// goPrefix marks a statement that is a Go step (see goStep): a migration
// file names it on a line of its own, "-- @go name".
const goPrefix = "@go "

// execMigrationStatement runs one statement of a migration, or its Go step.
func (db *DB) execMigrationStatement(ctx context.Context, q Querier, stmt string) error {
	name, ok := strings.CutPrefix(stmt, goPrefix)
	if !ok {
		_, err := q.ExecContext(ctx, stmt)
		return err
	}
	step, ok := goSteps[name]
	if !ok {
		return fmt.Errorf("%w: unknown migration step %q", ErrUnsupported, name)
	}
	return step.run(ctx, q, db)
}

// refuseForeignTables stops a plain Migrate of the reference schema on a
// database where a reference system already created its tables, before
// anything is written: Migrate would fail halfway on "table exists"; the
// database wants Adopt, which keeps those tables and their rows.
func (db *DB) refuseForeignTables(ctx context.Context, q Querier, md CatalogSpec, m migration) error {
	found := map[string][]string{}
	var systems []string
	for _, stmt := range m.Statements {
		t := createTableRE.FindStringSubmatch(stmt)
		if t == nil {
			continue
		}
		var n int
		if err := q.QueryRowContext(ctx, db.dialect.Rebind(md.CountTable), t[1]).Scan(&n); err != nil {
			return fmt.Errorf("store: migrate: look for existing tables: %w", db.dialect.Classify(err))
		}
		if n == 0 {
			continue
		}
		sys := systemOf(t[1])
		if found[sys] == nil {
			systems = append(systems, sys)
		}
		found[sys] = append(found[sys], t[1])
	}
	if len(systems) == 0 {
		return nil
	}
	var parts []string
	for _, sys := range systems {
		tables := found[sys]
		more := ""
		if len(tables) > 3 {
			tables, more = tables[:3], fmt.Sprintf(" and %d more", len(found[sys])-3)
		}
		parts = append(parts, fmt.Sprintf("%s (%s%s)", sys, strings.Join(tables, ", "), more))
	}
	return fmt.Errorf("store: migrate: %w: the database already holds tables of %s; adopt them, keeping their rows: flowctl migrate --adopt (or flowstore.Open with flowstore.WithAdopt, or store.DB.Adopt)",
		ErrDuplicate, strings.Join(parts, " and "))
}

// systemOf names the reference system a table of migration 0001 belongs to.
func systemOf(table string) string {
	for _, t := range refschema.Tables {
		if t.Name == table {
			return t.System
		}
	}
	return "flowstore"
}

// noteAttempt records, where DDL is not transactional, that migration m is
// being applied, and reports whether an earlier attempt of it failed (or
// died) without completing: then its statements may already have taken
// effect, and applyMigration resumes it.
func (db *DB) noteAttempt(ctx context.Context, conn *sql.Conn, m migration) (resume bool, err error) {
	var n int
	if err := conn.QueryRowContext(ctx, db.dialect.Rebind(`SELECT COUNT(*) FROM flowstore_migration_attempts WHERE version = ?`), m.Version).Scan(&n); err != nil {
		return false, fmt.Errorf("store: migration %04d_%s: read attempts: %w", m.Version, m.Name, db.dialect.Classify(err))
	}
	if n > 0 {
		return true, nil
	}
	if _, err := conn.ExecContext(ctx, db.dialect.Rebind(`INSERT INTO flowstore_migration_attempts (version, name, started_at) VALUES (?, ?, ?)`), m.Version, m.Name, db.Now()); err != nil {
		return false, fmt.Errorf("store: migration %04d_%s: note attempt: %w", m.Version, m.Name, db.dialect.Classify(err))
	}
	return false, nil
}

func (db *DB) forgetAttempt(ctx context.Context, conn *sql.Conn, m migration) error {
	if _, err := conn.ExecContext(ctx, db.dialect.Rebind(`DELETE FROM flowstore_migration_attempts WHERE version = ?`), m.Version); err != nil {
		return fmt.Errorf("store: migration %04d_%s: forget attempt: %w", m.Version, m.Name, db.dialect.Classify(err))
	}
	return nil
}

// The statements a migration file may hold, as far as skipping and undoing
// them is concerned. Identifiers come from our own files: quoted or bare
// names of letters, digits and underscores. On MySQL each ALTER TABLE adds
// one column (TestMigrateMySQLStatementsAreResumable checks the files).
var (
	createTableRE = regexp.MustCompile("(?i)^CREATE TABLE [`\"]?([A-Za-z0-9_]+)")
	createIndexRE = regexp.MustCompile("(?i)^CREATE (?:UNIQUE )?INDEX [`\"]?([A-Za-z0-9_]+)[`\"]? ON [`\"]?([A-Za-z0-9_]+)")
	dropIndexRE   = regexp.MustCompile("(?i)^DROP INDEX [`\"]?([A-Za-z0-9_]+)[`\"]? ON [`\"]?([A-Za-z0-9_]+)")
	addColumnRE   = regexp.MustCompile("(?i)^ALTER TABLE [`\"]?([A-Za-z0-9_]+)[`\"]? ADD (?:COLUMN )?[`\"]?([A-Za-z0-9_]+)")
	insertIntoRE  = regexp.MustCompile("(?i)^INSERT INTO [`\"]?([A-Za-z0-9_]+)")
	// multiClauseAlterRE finds a second clause in an ALTER TABLE, which
	// one-column undo and resume cannot handle.
	multiClauseAlterRE = regexp.MustCompile("(?i),\\s*(ADD|DROP|MODIFY|CHANGE|ALTER|RENAME)\\s")
)

// skipMode says which statements of a migration skips leaves out.
type skipMode int

const (
	skipNothing skipMode = iota
	// skipAdopted (Adopt, migration 0001): a CREATE TABLE of a table that
	// exists, an INSERT into such a table, a CREATE INDEX whose name exists.
	skipAdopted
	// skipDone (resuming a MySQL migration): every statement whose effect is
	// already there — the skipAdopted cases, an added column that exists, a
	// dropped index that is gone, and an INSERT into a table that existed
	// before and already has rows (the seed rows of a table the failed
	// attempt created and could not drop).
	skipDone
)

// skips decides whether a statement is left out (see skipMode); existing
// remembers the tables found, for the INSERTs into them.
func (db *DB) skips(ctx context.Context, q Querier, md CatalogSpec, mode skipMode, stmt string, existing map[string]bool) (bool, error) {
	count := func(query string, args ...any) (bool, error) {
		var n int
		err := q.QueryRowContext(ctx, db.dialect.Rebind(query), args...).Scan(&n)
		return n > 0, err
	}
	if m := createTableRE.FindStringSubmatch(stmt); m != nil {
		found, err := count(md.CountTable, m[1])
		existing[m[1]] = found
		return found, err
	}
	if m := insertIntoRE.FindStringSubmatch(stmt); m != nil {
		if mode == skipAdopted || !existing[m[1]] {
			return existing[m[1]], nil
		}
		return count("SELECT COUNT(*) FROM " + db.dialect.Quote(m[1]))
	}
	if m := createIndexRE.FindStringSubmatch(stmt); m != nil {
		return count(md.CountIndex, m[1])
	}
	if mode != skipDone {
		return false, nil
	}
	if m := addColumnRE.FindStringSubmatch(stmt); m != nil && md.CountColumn != "" && !multiClauseAlterRE.MatchString(stmt) {
		return count(md.CountColumn, m[1], m[2])
	}
	if m := dropIndexRE.FindStringSubmatch(stmt); m != nil {
		found, err := count(md.CountIndex, m[1])
		return !found, err
	}
	return false, nil
}

// undoLog collects, while a MySQL migration runs, the statements that undo
// what it did, in the order they were made (undoFailed runs them newest
// first).
type undoLog struct {
	stmts   []string
	created map[string]bool // tables this run created
	partial bool            // a statement ran that cannot be undone (UPDATE, DROP INDEX, …)
	skipped bool            // a statement was skipped as done by an earlier attempt
}

// add notes the inverse of a statement that just succeeded.
func (u *undoLog) add(stmt string) {
	q := func(ident string) string { return "`" + ident + "`" }
	if m := createTableRE.FindStringSubmatch(stmt); m != nil {
		u.stmts = append(u.stmts, "DROP TABLE "+q(m[1]))
		if u.created == nil {
			u.created = map[string]bool{}
		}
		u.created[m[1]] = true
		return
	}
	if m := createIndexRE.FindStringSubmatch(stmt); m != nil {
		u.stmts = append(u.stmts, "DROP INDEX "+q(m[1])+" ON "+q(m[2]))
		return
	}
	if m := addColumnRE.FindStringSubmatch(stmt); m != nil && !multiClauseAlterRE.MatchString(stmt) {
		u.stmts = append(u.stmts, "ALTER TABLE "+q(m[1])+" DROP COLUMN "+q(m[2]))
		return
	}
	if m := insertIntoRE.FindStringSubmatch(stmt); m != nil && u.created[m[1]] {
		return // its rows go with the table
	}
	u.partial = true
}

// undoFailed undoes what a failed MySQL migration did, newest first, so that
// the database is left as it was as far as MySQL allows (DDL there commits
// implicitly and cannot be rolled back). If everything was undone the
// attempt is forgotten; otherwise it stays noted, and the next Migrate
// resumes the migration, skipping what is already in place.
func (db *DB) undoFailed(ctx context.Context, conn *sql.Conn, m migration, u *undoLog) error {
	var errs []error
	if len(u.stmts) > 0 {
		// Tables of the migration may reference each other.
		if _, err := conn.ExecContext(ctx, "SET FOREIGN_KEY_CHECKS = 0"); err != nil {
			return fmt.Errorf("store: migration %04d_%s: undo: %w", m.Version, m.Name, err)
		}
		for i := len(u.stmts) - 1; i >= 0; i-- {
			if _, err := conn.ExecContext(ctx, u.stmts[i]); err != nil {
				errs = append(errs, fmt.Errorf("store: migration %04d_%s: undo %s: %w", m.Version, m.Name, u.stmts[i], err))
			}
		}
		if _, err := conn.ExecContext(ctx, "SET FOREIGN_KEY_CHECKS = 1"); err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) == 0 && !u.partial && !u.skipped {
		errs = append(errs, db.forgetAttempt(ctx, conn, m))
	}
	return errors.Join(errs...)
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

// SchemaSQL returns the complete DDL of a dialect, for DBAs who apply schemas
// themselves: every migration in order, followed by the bookkeeping table and
// its rows, so that a later Migrate sees the database as up to date.
func SchemaSQL(name DialectName) (string, error) {
	d, err := LookupDialect(name)
	if err != nil {
		return "", fmt.Errorf("store: schema: %w", err)
	}
	ms, err := migrations(name)
	if err != nil {
		return "", err
	}
	md := d.s.Catalog
	var b strings.Builder
	// Each statement is one batch, as Migrate sends it (one ExecContext per
	// statement): on SQL Server a GO line ends it, for sqlcmd and SSMS.
	statement := func(s string) {
		b.WriteString(s)
		b.WriteString(";\n")
		if md.BatchSeparator != "" {
			b.WriteString(md.BatchSeparator + "\n")
		}
	}
	fmt.Fprintf(&b, "-- flowstore schema for %s, version %d\n", d, LatestSchemaVersion())
	for _, m := range ms {
		fmt.Fprintf(&b, "\n-- migration %04d_%s\n", m.Version, m.Name)
		for _, s := range m.Statements {
			name, isGo := strings.CutPrefix(s, goPrefix)
			if !isGo {
				statement(s)
				continue
			}
			step := goSteps[name]
			if step.fresh == nil {
				fmt.Fprintf(&b, "-- (%s: converts rows an earlier flowstore wrote; nothing to do on a new database)\n", name)
				continue
			}
			for _, f := range step.fresh(d) {
				statement(f)
			}
		}
	}
	b.WriteString("\n-- flowstore bookkeeping\n")
	statement(md.Bookkeeping)
	for _, m := range ms {
		statement(fmt.Sprintf("INSERT INTO flowstore_migrations (version, name, applied_at) VALUES (%d, '%s', %s)", m.Version, m.Name, md.Now))
	}
	return b.String(), nil
}
