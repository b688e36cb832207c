package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/flowstore/flowstore/internal/testdb"
	"github.com/flowstore/flowstore/store"
)

// halfwayMigration creates a table, seeds it, adds a column to an existing
// table, indexes it, and then fails in its last statement while Queues holds
// two elements of one queue name: a unique index cannot be built. Deleting
// one of them fixes the cause.
func halfwayMigration(d store.DialectName) store.TestMigration {
	q := mustDialect(d).Quote
	add, text := "ADD COLUMN", "VARCHAR(50)"
	switch d {
	case store.SQLServer:
		add, text = "ADD", "NVARCHAR(50)"
	case store.SQLite:
		text = "TEXT"
	}
	// Version 2 is a gap below the latest version, so the database stays
	// one this library can migrate after the test migration is applied.
	return store.TestMigration{Version: 2, Name: "halfway", Statements: []string{
		`CREATE TABLE ` + q("halfway_done") + ` (` + q("id") + ` INT NOT NULL PRIMARY KEY)`,
		`INSERT INTO ` + q("halfway_done") + ` (` + q("id") + `) VALUES (1)`,
		`ALTER TABLE ` + q("Constants") + ` ` + add + ` ` + q("halfway_note") + ` ` + text + ` NULL`,
		`CREATE INDEX ` + q("ix_Constants_halfway_note") + ` ON ` + q("Constants") + ` (` + q("halfway_note") + `)`,
		`CREATE UNIQUE INDEX ` + q("ux_Queues_halfway_queue_name") + ` ON ` + q("Queues") + ` (` + q("queue_name") + `)`,
	}}
}

// TestMigrateResumesHalfwayFailedMigration: a migration that fails in its
// last statement leaves no trace — rolled back where DDL is transactional,
// undone statement by statement on MySQL/MariaDB — and, once the cause is
// fixed, the same migration runs to completion. "crashed" leaves the
// changes in place as a process killed at that statement would (on MySQL;
// elsewhere the transaction dies with the process): the next Migrate must
// resume past what is already there instead of failing with "Duplicate
// column" or "table exists".
func TestMigrateResumesHalfwayFailedMigration(t *testing.T) {
	for _, crashed := range []bool{false, true} {
		t.Run(map[bool]string{false: "undone", true: "crashed"}[crashed], func(t *testing.T) {
			testdb.Each(t, func(t *testing.T, db *store.DB) {
				ctx := context.Background()
				d := db.SQLDialect().Name()
				ids := []uuid.UUID{uuid.New(), uuid.New()}
				for _, id := range ids {
					_, err := db.Bun().NewInsert().Model(&queueRow{ID: id, QueueName: "same", Status: "NEW", CreatedDate: db.Now()}).Exec(ctx)
					require.NoError(t, err)
				}
				before, err := db.SchemaVersion(ctx)
				require.NoError(t, err)
				m := halfwayMigration(d)

				migrate := db.MigrateWith
				if crashed {
					migrate = db.MigrateWithoutUndo
				}
				err = migrate(ctx, []store.TestMigration{m})
				require.Error(t, err)
				require.Contains(t, err.Error(), "0002_halfway, statement 5", "the error names the migration and statement")
				require.Contains(t, err.Error(), "ux_Queues_halfway_queue_name")
				after, err := db.SchemaVersion(ctx)
				require.NoError(t, err)
				require.Equal(t, before, after, "a failed migration is not recorded")

				left := crashed && d == store.MySQL // nothing else can keep half a migration
				require.Equal(t, left, tableExists(t, db, "halfway_done"), "table of the failed migration")
				require.Equal(t, left, columnExists(t, db, "Constants", "halfway_note"), "column of the failed migration")
				require.Equal(t, left, indexExists(t, db, "ix_Constants_halfway_note"), "index of the failed migration")
				require.False(t, indexExists(t, db, "ux_Queues_halfway_queue_name"))

				// Fix the cause, run the very same migration again.
				_, err = db.Bun().NewDelete().Model((*queueRow)(nil)).Where("id = ?", ids[1]).Exec(ctx)
				require.NoError(t, err)
				require.NoError(t, db.MigrateWith(ctx, []store.TestMigration{m}), "the fixed migration must run to completion")
				var recorded int
				require.NoError(t, db.SQL().QueryRowContext(ctx, `SELECT COUNT(*) FROM flowstore_migrations WHERE version = 2`).Scan(&recorded))
				require.Equal(t, 1, recorded)
				require.True(t, tableExists(t, db, "halfway_done"))
				require.True(t, columnExists(t, db, "Constants", "halfway_note"))
				require.True(t, indexExists(t, db, "ix_Constants_halfway_note"))
				require.True(t, indexExists(t, db, "ux_Queues_halfway_queue_name"))
				var seeded int
				require.NoError(t, db.SQL().QueryRowContext(ctx, `SELECT COUNT(*) FROM `+mustDialect(d).Quote("halfway_done")).Scan(&seeded))
				require.Equal(t, 1, seeded, "the seed row is written once")
				require.NoError(t, db.MigrateWith(ctx, []store.TestMigration{m}), "it is recorded: a third run is a no-op")
				require.NoError(t, db.Migrate(ctx), "and the database is still one Migrate accepts")
				if d == store.MySQL {
					var pending int
					require.NoError(t, db.SQL().QueryRowContext(ctx, "SELECT COUNT(*) FROM flowstore_migration_attempts").Scan(&pending))
					require.Zero(t, pending, "a completed migration leaves no attempt behind")
				}
			})
		})
	}
}

// TestMigrateMySQLStatementsAreResumable: every statement of the MySQL migration
// files is of a kind the migrator can undo or skip when a migration fails
// halfway (MySQL commits DDL as it goes), so that rule cannot be broken
// unnoticed by a new migration.
func TestMigrateMySQLStatementsAreResumable(t *testing.T) {
	ms, err := store.Migrations(store.MySQL)
	require.NoError(t, err)
	for _, m := range ms {
		for i, stmt := range m.Statements {
			require.True(t, store.ResumableOnMySQL(stmt), "mysql %04d_%s statement %d is not undoable or resumable (one CREATE TABLE / CREATE INDEX … ON / DROP INDEX … ON / ALTER TABLE … ADD COLUMN per statement, INSERT, UPDATE):\n%s", m.Version, m.Name, i+1, stmt)
		}
	}
	require.False(t, store.ResumableOnMySQL("ALTER TABLE `t` ADD COLUMN `a` INT NULL, ADD COLUMN `b` INT NULL"))
	require.False(t, store.ResumableOnMySQL("RENAME TABLE `a` TO `b`"))
}

func tableExists(t *testing.T, db *store.DB, table string) bool {
	t.Helper()
	_, ok := readCatalog(t, db).table(table)
	return ok
}

func columnExists(t *testing.T, db *store.DB, table, column string) bool {
	t.Helper()
	cols, _ := readCatalog(t, db).table(table)
	_, ok := cols[column]
	return ok
}

func indexExists(t *testing.T, db *store.DB, name string) bool {
	t.Helper()
	q := map[store.DialectName]string{
		store.SQLite:    `SELECT COUNT(*) FROM sqlite_master WHERE type = 'index' AND name = ?`,
		store.Postgres:  `SELECT COUNT(*) FROM pg_indexes WHERE schemaname = current_schema() AND indexname = ?`,
		store.SQLServer: `SELECT COUNT(*) FROM sys.indexes WHERE name = ?`,
		store.MySQL:     `SELECT COUNT(*) FROM information_schema.statistics WHERE table_schema = DATABASE() AND index_name = ?`,
	}[db.SQLDialect().Name()]
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var n int
	require.NoError(t, db.SQL().QueryRowContext(ctx, db.SQLDialect().Rebind(q), name).Scan(&n))
	return n > 0
}
