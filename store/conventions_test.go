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

// TestConventionsConvertWhatAnEarlierFlowstoreWrote plays a database an
// earlier flowstore wrote — UTC times in OpenOrchestrator's tables
// (timestamptz columns on PostgreSQL, offset text on SQLite, UTC wall
// clocks in microsecond columns elsewhere) and dashed UUIDs where ids are
// text — then migrates it with migration 0070 not yet applied, under a
// zone with daylight saving time. Afterwards every time is the zone's wall
// clock of its instant, every id is SQLAlchemy's 32 hex digits (foreign
// keys included), and the schema is stamped for OpenOrchestrator.
func TestConventionsConvertWhatAnEarlierFlowstoreWrote(t *testing.T) {
	zone, err := time.LoadLocation("Europe/Copenhagen")
	require.NoError(t, err)
	winter := time.Date(2026, 1, 15, 11, 30, 0, 123456000, time.UTC) // 12:30 CET
	summer := time.Date(2026, 7, 15, 11, 30, 0, 654321000, time.UTC) // 13:30 CEST
	testdb.Each(t, func(t *testing.T, base *store.DB) {
		ctx := context.Background()
		d := base.SQLDialect()
		q := d.Quote
		exec := func(query string, args ...any) {
			t.Helper()
			_, err := base.SQL().ExecContext(ctx, d.Rebind(query), args...)
			require.NoError(t, err, query)
		}
		// The state an earlier flowstore left.
		utc := func(at time.Time) any {
			switch d.Name() {
			case store.SQLite:
				return at.Format("2006-01-02 15:04:05.999999") + "+00:00" // bun's literal
			case store.Postgres:
				return at
			default:
				return at.Format(store.NaiveLayout) // UTC wall clock
			}
		}
		if d.Name() == store.Postgres {
			exec(`SET TIME ZONE 'UTC'`)
			exec(`ALTER TABLE "Queues" ALTER COLUMN "created_date" TYPE timestamptz`)
			exec(`ALTER TABLE "Constants" ALTER COLUMN "changed_at" TYPE timestamptz`)
			exec(`ALTER TABLE "Single_Triggers" ALTER COLUMN "next_run" TYPE timestamptz`)
		}
		trigger, element := uuid.New(), uuid.New()
		id := func(u uuid.UUID) any {
			if d.Name() == store.Postgres || d.Name() == store.SQLServer {
				return u
			}
			return u.String() // dashed
		}
		exec(`INSERT INTO `+q("Queues")+` (`+q("id")+`, `+q("queue_name")+`, `+q("status")+`, `+q("created_date")+`) VALUES (?, 'q', 'NEW', ?)`, id(element), utc(winter))
		exec(`INSERT INTO `+q("Constants")+` (`+q("name")+`, `+q("value")+`, `+q("changed_at")+`) VALUES ('c', 'v', ?)`, utc(summer))
		exec(`INSERT INTO `+q("Triggers")+` (`+q("id")+`, `+q("trigger_name")+`, `+q("process_name")+`, `+q("process_path")+`, `+q("process_status")+`, `+q("is_git_repo")+`, `+q("is_blocking")+`, `+q("type")+`, `+q("priority")+`) VALUES (?, 't', 'p', 'path', 'IDLE', `+d.Bool(false)+`, `+d.Bool(false)+`, 'SINGLE', 0)`, id(trigger))
		exec(`INSERT INTO `+q("Single_Triggers")+` (`+q("id")+`, `+q("next_run")+`) VALUES (?, ?)`, id(trigger), utc(summer))
		// An earlier flowstore had no migration 0070, nor the record of the
		// conversions it makes (flowstore_conversions, where needed).
		exec(`DELETE FROM flowstore_migrations WHERE version = 70`)
		exec(`DROP TABLE ` + q("alembic_version"))
		if d.Name() == store.MySQL || d.Name() == store.SQLServer {
			exec(`DROP TABLE flowstore_conversions`)
		}

		db, err := store.New(ctx, base.Bun(), store.WithZone(zone))
		require.NoError(t, err)
		require.NoError(t, db.Migrate(ctx))

		read := func(query string, args ...any) time.Time {
			t.Helper()
			var at time.Time
			require.NoError(t, db.SQL().QueryRowContext(ctx, d.Rebind(query), args...).Scan(&at), query)
			return db.FromNaive(at)
		}
		{
			var raw string
			require.NoError(t, db.SQL().QueryRowContext(ctx, `SELECT `+castText(d, q("created_date"))+` FROM `+q("Queues")).Scan(&raw))
			got := read(`SELECT ` + q("created_date") + ` FROM ` + q("Queues"))
			require.True(t, got.Equal(winter), "Queues.created_date stored %s, read %v, want %v", raw, got, winter)
		}
		require.True(t, read(`SELECT `+q("changed_at")+` FROM `+q("Constants")).Equal(summer))
		require.True(t, read(`SELECT `+q("next_run")+` FROM `+q("Single_Triggers")).Equal(summer))
		var wall string
		require.NoError(t, db.SQL().QueryRowContext(ctx, `SELECT `+castText(d, q("changed_at"))+` FROM `+q("Constants")).Scan(&wall))
		require.Contains(t, wall, "2026-07-15 13:30:00.654321", "the zone's wall clock, as OpenOrchestrator writes it")

		var n int
		require.NoError(t, db.SQL().QueryRowContext(ctx, d.Rebind(`SELECT COUNT(*) FROM `+q("Single_Triggers")+` s JOIN `+q("Triggers")+` t ON t.`+q("id")+` = s.`+q("id")+` WHERE t.`+q("id")+` = ?`), db.RefUUID(trigger)).Scan(&n))
		require.Equal(t, 1, n, "ids in SQLAlchemy's spelling, parent and child alike")
		var got string
		require.NoError(t, db.SQL().QueryRowContext(ctx, `SELECT `+castText(d, q("id"))+` FROM `+q("Queues")).Scan(&got))
		require.NoError(t, db.SQL().QueryRowContext(ctx, d.Rebind(`SELECT COUNT(*) FROM `+q("Queues")+` WHERE `+q("id")+` = ?`), db.RefUUID(element)).Scan(&n))
		require.Equal(t, 1, n, "Queues.id is %q", got)

		rev, err := db.AlembicRevision(ctx)
		require.NoError(t, err)
		require.Equal(t, store.OpenOrchestratorRevision, rev)

		// Running the conversion again changes nothing.
		exec(`DELETE FROM flowstore_migrations WHERE version = 70`)
		require.NoError(t, db.Migrate(ctx))
		require.True(t, read(`SELECT `+q("changed_at")+` FROM `+q("Constants")).Equal(summer))
	})
}

// castText renders a time column as text, to see the wall clock stored.
func castText(d *store.Dialect, col string) string {
	switch d.Name() {
	case store.SQLite:
		return "CAST(" + col + " AS TEXT)"
	case store.SQLServer:
		return "CONVERT(NVARCHAR(40), " + col + ", 121)"
	case store.MySQL:
		return "CAST(" + col + " AS CHAR)"
	}
	return col + "::text"
}

// TestAdoptKeepsAnAlembicStamp: a database OpenOrchestrator stamped keeps
// its own revision; flowstore reports it, so a tool can say when
// OpenOrchestrator has moved past the schema flowstore matches.
func TestAdoptKeepsAnAlembicStamp(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		q := db.SQLDialect().Quote
		_, err := db.SQL().ExecContext(ctx, `UPDATE `+q("alembic_version")+` SET `+q("version_num")+` = 'ffffffffffff'`)
		require.NoError(t, err)
		_, err = db.SQL().ExecContext(ctx, `DELETE FROM flowstore_migrations WHERE version = 70`)
		require.NoError(t, err)
		require.NoError(t, db.Adopt(ctx))
		rev, err := db.AlembicRevision(ctx)
		require.NoError(t, err)
		require.Equal(t, "ffffffffffff", rev)
	})
}
