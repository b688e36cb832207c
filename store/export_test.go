package store

import (
	"context"
	"regexp"
)

// MigrateWith applies a custom list of migrations, for tests of failure
// handling. Each entry is (version, name, statements).
func (db *DB) MigrateWith(ctx context.Context, ms []TestMigration) error {
	var list []migration
	for _, m := range ms {
		list = append(list, migration{Version: m.Version, Name: m.Name, Statements: m.Statements})
	}
	return db.migrate(ctx, list, migrateOptions{})
}

// MigrateWithoutUndo is MigrateWith, except that a MySQL migration failing
// halfway keeps what it did, as if its process had died at that statement.
func (db *DB) MigrateWithoutUndo(ctx context.Context, ms []TestMigration) error {
	var list []migration
	for _, m := range ms {
		list = append(list, migration{Version: m.Version, Name: m.Name, Statements: m.Statements})
	}
	return db.migrate(ctx, list, migrateOptions{noUndo: true})
}

// TestMigration mirrors the unexported migration type for tests.
type TestMigration struct {
	Version    int
	Name       string
	Statements []string
}

// Migrations exposes the embedded migrations of a dialect to tests.
func Migrations(d Dialect) ([]TestMigration, error) {
	ms, err := migrations(d)
	var out []TestMigration
	for _, m := range ms {
		out = append(out, TestMigration{m.Version, m.Name, m.Statements})
	}
	return out, err
}

// MigrationStatements renders the dialect-specific statements of the migrator
// for golden files.
func MigrationStatements(d Dialect) string {
	md := migrationDialects[d]
	return "-- bookkeeping\n" + md.bookkeeping + "\n-- table exists\n" + md.tableExists +
		"\n-- count tables\n" + md.countTable + "\n-- count indexes\n" + md.countIndex +
		"\n-- lock\n" + md.lock + "\n-- unlock\n" + md.unlock + "\n"
}

// ResumableOnMySQL reports whether a MySQL migration statement is one the
// migrator can skip when resuming and undo (or leave, for re-runnable
// UPDATEs) after a failure.
func ResumableOnMySQL(stmt string) bool {
	switch {
	case createTableRE.MatchString(stmt), createIndexRE.MatchString(stmt), dropIndexRE.MatchString(stmt),
		insertIntoRE.MatchString(stmt), regexp.MustCompile("(?i)^UPDATE ").MatchString(stmt):
		return true
	case addColumnRE.MatchString(stmt):
		// One column per ALTER TABLE, or only the first would be undone
		// and checked.
		return !multiClauseAlterRE.MatchString(stmt)
	}
	return false
}

// CheckGUIDBytes is the check New makes of a SQL Server pool's answer for
// ProbeGUID.
func CheckGUIDBytes(raw []byte) error { return checkGUIDBytes(raw) }

// ProbeGUID is the uniqueidentifier New asks a SQL Server pool for.
const ProbeGUID = probeGUID
