package store

import (
	"context"
	"regexp"
	"strings"
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
func Migrations(d DialectName) ([]TestMigration, error) {
	ms, err := migrations(d)
	var out []TestMigration
	for _, m := range ms {
		out = append(out, TestMigration{m.Version, m.Name, m.Statements})
	}
	return out, err
}

// MigrationStatements renders the dialect-specific statements of the migrator
// for golden files.
func MigrationStatements(name DialectName) string {
	d, err := LookupDialect(name)
	if err != nil {
		return err.Error()
	}
	md := d.s.Catalog
	return "-- bookkeeping\n" + md.Bookkeeping + "\n-- table exists\n" + md.TableExists +
		"\n-- count tables\n" + md.CountTable + "\n-- count indexes\n" + md.CountIndex +
		"\n-- lock\n" + md.SessionLock + "\n-- unlock\n" + md.SessionUnlock + "\n"
}

// ResumableOnMySQL reports whether a MySQL migration statement is one the
// migrator can skip when resuming and undo (or leave, for re-runnable
// UPDATEs) after a failure.
func ResumableOnMySQL(stmt string) bool {
	switch {
	case strings.HasPrefix(stmt, goPrefix):
		// Go steps convert only what is not yet converted: running one
		// again after a failure is harmless.
		return true
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
