package store

import "context"

// MigrateWith applies a custom list of migrations, for tests of failure
// handling. Each entry is (version, name, statements).
func (db *DB) MigrateWith(ctx context.Context, ms []TestMigration) error {
	var list []migration
	for _, m := range ms {
		list = append(list, migration{Version: m.Version, Name: m.Name, Statements: m.Statements})
	}
	return db.migrate(ctx, list, false)
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
