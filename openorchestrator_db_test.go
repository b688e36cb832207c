package flowstore_test

import (
	"context"
	"encoding/hex"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/flowstore/flowstore"
	"github.com/flowstore/flowstore/internal/testdb"
	"github.com/flowstore/flowstore/queue"
	"github.com/flowstore/flowstore/store"
	"github.com/flowstore/flowstore/trigger"
)

// ooCreateAll is the DDL SQLAlchemy 2.0's create_all sends for
// OpenOrchestrator's models (revision 9698388a0709), per dialect: Enum
// columns hold the member *names* (native ENUM types on PostgreSQL and
// MySQL, VARCHAR of the longest name on SQLite), Uuid is native on
// PostgreSQL and CHAR(32) elsewhere, DateTime is naive.
var ooCreateAll = map[store.DialectName][]string{
	store.SQLite: {
		`CREATE TABLE "Queues" (id CHAR(32) NOT NULL, queue_name VARCHAR(100) NOT NULL, status VARCHAR(11) NOT NULL, data VARCHAR(2000), reference VARCHAR(100), created_date DATETIME NOT NULL, start_date DATETIME, end_date DATETIME, message VARCHAR(1000), created_by VARCHAR(100), PRIMARY KEY (id))`,
		`CREATE INDEX "ix_Queues_queue_name" ON "Queues" (queue_name)`,
		`CREATE INDEX "ix_Queues_created_date" ON "Queues" (created_date)`,
		`CREATE TABLE "Triggers" (id CHAR(32) NOT NULL, trigger_name VARCHAR(100) NOT NULL, process_name VARCHAR(100) NOT NULL, last_run DATETIME, process_path VARCHAR(250) NOT NULL, process_args VARCHAR(1000), process_status VARCHAR(8) NOT NULL, is_git_repo BOOLEAN NOT NULL, git_branch VARCHAR(100), is_blocking BOOLEAN NOT NULL, scheduler_whitelist VARCHAR(250), priority INTEGER NOT NULL, type VARCHAR(9) NOT NULL, PRIMARY KEY (id))`,
		`CREATE TABLE "Single_Triggers" (id CHAR(32) NOT NULL, next_run DATETIME NOT NULL, PRIMARY KEY (id), FOREIGN KEY(id) REFERENCES "Triggers" (id))`,
		`CREATE TABLE "Scheduled_Triggers" (id CHAR(32) NOT NULL, cron_expr VARCHAR(200) NOT NULL, next_run DATETIME NOT NULL, PRIMARY KEY (id), FOREIGN KEY(id) REFERENCES "Triggers" (id))`,
		`CREATE TABLE "Queue_Triggers" (id CHAR(32) NOT NULL, queue_name VARCHAR(200) NOT NULL, min_batch_size INTEGER NOT NULL, PRIMARY KEY (id), FOREIGN KEY(id) REFERENCES "Triggers" (id))`,
		`CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL, CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num))`,
	},
	store.Postgres: {
		`CREATE TYPE queuestatus AS ENUM ('NEW', 'IN_PROGRESS', 'DONE', 'FAILED', 'ABANDONED')`,
		`CREATE TABLE "Queues" (id UUID NOT NULL, queue_name VARCHAR(100) NOT NULL, status queuestatus NOT NULL, data VARCHAR(2000), reference VARCHAR(100), created_date TIMESTAMP WITHOUT TIME ZONE NOT NULL, start_date TIMESTAMP WITHOUT TIME ZONE, end_date TIMESTAMP WITHOUT TIME ZONE, message VARCHAR(1000), created_by VARCHAR(100), PRIMARY KEY (id))`,
		`CREATE INDEX "ix_Queues_queue_name" ON "Queues" (queue_name)`,
		`CREATE INDEX "ix_Queues_created_date" ON "Queues" (created_date)`,
		`CREATE TYPE triggerstatus AS ENUM ('IDLE', 'RUNNING', 'FAILED', 'DONE', 'PAUSED', 'PAUSING', 'KILLING', 'KILLED')`,
		`CREATE TYPE triggertype AS ENUM ('SINGLE', 'SCHEDULED', 'QUEUE')`,
		`CREATE TABLE "Triggers" (id UUID NOT NULL, trigger_name VARCHAR(100) NOT NULL, process_name VARCHAR(100) NOT NULL, last_run TIMESTAMP WITHOUT TIME ZONE, process_path VARCHAR(250) NOT NULL, process_args VARCHAR(1000), process_status triggerstatus NOT NULL, is_git_repo BOOLEAN NOT NULL, git_branch VARCHAR(100), is_blocking BOOLEAN NOT NULL, scheduler_whitelist VARCHAR(250), priority INTEGER NOT NULL, type triggertype NOT NULL, PRIMARY KEY (id))`,
		`CREATE TABLE "Single_Triggers" (id UUID NOT NULL, next_run TIMESTAMP WITHOUT TIME ZONE NOT NULL, PRIMARY KEY (id), FOREIGN KEY(id) REFERENCES "Triggers" (id))`,
		`CREATE TABLE "Scheduled_Triggers" (id UUID NOT NULL, cron_expr VARCHAR(200) NOT NULL, next_run TIMESTAMP WITHOUT TIME ZONE NOT NULL, PRIMARY KEY (id), FOREIGN KEY(id) REFERENCES "Triggers" (id))`,
		`CREATE TABLE "Queue_Triggers" (id UUID NOT NULL, queue_name VARCHAR(200) NOT NULL, min_batch_size INTEGER NOT NULL, PRIMARY KEY (id), FOREIGN KEY(id) REFERENCES "Triggers" (id))`,
		`CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL, CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num))`,
	},
	store.MySQL: {
		"CREATE TABLE `Queues` (id CHAR(32) NOT NULL, queue_name VARCHAR(100) NOT NULL, status ENUM('NEW','IN_PROGRESS','DONE','FAILED','ABANDONED') NOT NULL, data VARCHAR(2000), reference VARCHAR(100), created_date DATETIME NOT NULL, start_date DATETIME, end_date DATETIME, message VARCHAR(1000), created_by VARCHAR(100), PRIMARY KEY (id))",
		"CREATE INDEX `ix_Queues_queue_name` ON `Queues` (queue_name)",
		"CREATE INDEX `ix_Queues_created_date` ON `Queues` (created_date)",
		"CREATE TABLE `Triggers` (id CHAR(32) NOT NULL, trigger_name VARCHAR(100) NOT NULL, process_name VARCHAR(100) NOT NULL, last_run DATETIME, process_path VARCHAR(250) NOT NULL, process_args VARCHAR(1000), process_status ENUM('IDLE','RUNNING','FAILED','DONE','PAUSED','PAUSING','KILLING','KILLED') NOT NULL, is_git_repo BOOL NOT NULL, git_branch VARCHAR(100), is_blocking BOOL NOT NULL, scheduler_whitelist VARCHAR(250), priority INTEGER NOT NULL, type ENUM('SINGLE','SCHEDULED','QUEUE') NOT NULL, PRIMARY KEY (id))",
		"CREATE TABLE `Single_Triggers` (id CHAR(32) NOT NULL, next_run DATETIME NOT NULL, PRIMARY KEY (id), FOREIGN KEY(id) REFERENCES `Triggers` (id))",
		"CREATE TABLE `Scheduled_Triggers` (id CHAR(32) NOT NULL, cron_expr VARCHAR(200) NOT NULL, next_run DATETIME NOT NULL, PRIMARY KEY (id), FOREIGN KEY(id) REFERENCES `Triggers` (id))",
		"CREATE TABLE `Queue_Triggers` (id CHAR(32) NOT NULL, queue_name VARCHAR(200) NOT NULL, min_batch_size INTEGER NOT NULL, PRIMARY KEY (id), FOREIGN KEY(id) REFERENCES `Triggers` (id))",
		"CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL, CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num))",
	},
}

// ooSide plays OpenOrchestrator at the SQL level: its id spelling, its
// naive local times (SQLite: SQLAlchemy's text form), its enum names.
type ooSide struct {
	t    *testing.T
	db   *store.DB
	zone *time.Location
}

func (o ooSide) id(id uuid.UUID) any {
	if o.db.SQLDialect().Name() == store.Postgres {
		return id.String() // native uuid
	}
	return hex.EncodeToString(id[:]) // CHAR(32)
}

func (o ooSide) time(t time.Time) any {
	wall := t.In(o.zone)
	if o.db.SQLDialect().Name() == store.SQLite {
		return wall.Format(ooTextLayout)
	}
	return time.Date(wall.Year(), wall.Month(), wall.Day(), wall.Hour(), wall.Minute(), wall.Second(), wall.Nanosecond(), time.UTC)
}

func (o ooSide) exec(query string, args ...any) {
	o.t.Helper()
	_, err := o.db.SQL().ExecContext(context.Background(), o.db.SQLDialect().Rebind(query), args...)
	require.NoError(o.t, err, query)
}

func (o ooSide) enqueue(id uuid.UUID, queueName, reference string, created time.Time) {
	o.exec(`INSERT INTO `+o.db.SQLDialect().Quote("Queues")+` (id, queue_name, status, reference, created_date, created_by) VALUES (?, ?, 'NEW', ?, ?, 'robot')`,
		o.id(id), queueName, reference, o.time(created))
}

func (o ooSide) singleTrigger(id uuid.UUID, name string, next time.Time) {
	q := o.db.SQLDialect().Quote
	o.exec(`INSERT INTO `+q("Triggers")+` (id, trigger_name, process_name, process_path, process_status, is_git_repo, is_blocking, priority, type) VALUES (?, ?, 'p', 'C:\robot.py', 'IDLE', ?, ?, 0, 'SINGLE')`,
		o.id(id), name, false, false)
	o.exec(`INSERT INTO `+q("Single_Triggers")+` (id, next_run) VALUES (?, ?)`, o.id(id), o.time(next))
}

// reference reads an element's reference and status by id, as the robot's
// ORM does (WHERE id = its spelling).
func (o ooSide) element(id uuid.UUID) (reference, status string) {
	o.t.Helper()
	q := o.db.SQLDialect().Quote
	require.NoError(o.t, o.db.SQL().QueryRowContext(context.Background(),
		o.db.SQLDialect().Rebind(`SELECT reference, status FROM `+q("Queues")+` WHERE id = ?`), o.id(id)).Scan(&reference, &status))
	return reference, status
}

const ooTextLayout = "2006-01-02 15:04:05.000000"

// created reads an element's created_date as the robot's ORM gets it: a
// naive wall-clock time, formatted as SQLAlchemy writes it on SQLite.
func (o ooSide) created(reference string) string {
	o.t.Helper()
	q := o.db.SQLDialect().Quote
	query := o.db.SQLDialect().Rebind(`SELECT created_date FROM ` + q("Queues") + ` WHERE reference = ?`)
	if o.db.SQLDialect().Name() == store.SQLite {
		// The stored text itself (the driver would parse a DATETIME column).
		query = `SELECT CAST(created_date AS TEXT) FROM "Queues" WHERE reference = ?`
		var text string
		require.NoError(o.t, o.db.SQL().QueryRowContext(context.Background(), query, reference).Scan(&text))
		return text
	}
	var at time.Time
	require.NoError(o.t, o.db.SQL().QueryRowContext(context.Background(), query, reference).Scan(&at))
	return at.Format(ooTextLayout) // naive: the wall clock as stored
}

// dueTriggers lists the single triggers OpenOrchestrator's scheduler finds
// due: next_run < datetime.now(), both naive.
func (o ooSide) dueTriggers(now time.Time) []string {
	o.t.Helper()
	q := o.db.SQLDialect().Quote
	rows, err := o.db.SQL().QueryContext(context.Background(), o.db.SQLDialect().Rebind(
		`SELECT t.trigger_name FROM `+q("Triggers")+` t JOIN `+q("Single_Triggers")+` s ON s.id = t.id WHERE s.next_run < ? ORDER BY t.trigger_name`), o.time(now))
	require.NoError(o.t, err)
	defer rows.Close()
	var names []string
	for rows.Next() {
		var n string
		require.NoError(o.t, rows.Scan(&n))
		names = append(names, n)
	}
	require.NoError(o.t, rows.Err())
	return names
}

// sharedQueueResult is what one database showed both sides.
type sharedQueueResult struct {
	ClaimOrder       []string // references, in the order flowstore claimed them
	RobotSawStatus   string   // the robot's read of flowstore's element after its claim
	FlowstoreFound   string   // flowstore's Get of the robot's element by id
	DueForFlowstore  []string // single triggers flowstore found due now
	DueForRobot      []string // single triggers the robot found due now
	AlembicRevision  string
	RobotTimeSpelled bool // flowstore's created_date reads back as the robot writes times
}

// TestOpenOrchestratorDatabaseAndFlowstoreDatabaseAgree: a database made by
// OpenOrchestrator's own create_all (with its enum types, CHAR(32) ids and
// naive DATETIME columns, stamped by alembic), adopted by flowstore, and a
// database flowstore created behave the same for both sides: oldest-first
// claims across the robot's and flowstore's elements, element ids found by
// either side, triggers due at the same moment for both, and the alembic
// stamp OpenOrchestrator checks.
func TestOpenOrchestratorDatabaseAndFlowstoreDatabaseAgree(t *testing.T) {
	zone, err := time.LoadLocation("Europe/Copenhagen")
	require.NoError(t, err)
	for _, d := range testdb.Live() {
		ddl, ok := ooCreateAll[d]
		if !ok {
			continue
		}
		t.Run(string(d), func(t *testing.T) {
			var results [2]sharedQueueResult
			for i, origin := range []string{"openorchestrator", "flowstore"} {
				dsn := testdb.FreshDSN(t, d)
				if origin == "openorchestrator" {
					raw, err := store.Open(t.Context(), dsn)
					require.NoError(t, err)
					for _, stmt := range ddl {
						_, err := raw.SQL().ExecContext(t.Context(), stmt)
						require.NoError(t, err, stmt)
					}
					_, err = raw.SQL().ExecContext(t.Context(), `INSERT INTO alembic_version (version_num) VALUES ('`+store.OpenOrchestratorRevision+`')`)
					require.NoError(t, err)
					require.NoError(t, raw.Close())
				}
				results[i] = playSharedQueue(t, dsn, origin == "openorchestrator", zone)
			}
			require.Equal(t, results[0], results[1], "an OpenOrchestrator-made and a flowstore-made database behave the same")
			require.Equal(t, []string{"robot-old", "flowstore-now", "robot-new"}, results[0].ClaimOrder)
			require.Equal(t, "IN_PROGRESS", results[0].RobotSawStatus)
			require.Equal(t, "robot-old", results[0].FlowstoreFound)
			require.Equal(t, []string{"flowstore-past", "robot-past"}, results[0].DueForFlowstore)
			require.Equal(t, results[0].DueForFlowstore, results[0].DueForRobot)
			require.Equal(t, store.OpenOrchestratorRevision, results[0].AlembicRevision)
			require.True(t, results[0].RobotTimeSpelled)
		})
	}
}

func playSharedQueue(t *testing.T, dsn string, adopt bool, zone *time.Location) sharedQueueResult {
	ctx := t.Context()
	// Not in a fall-back hour: naive times repeat there, and an hour-old
	// robot row ties with a new one for both sides (see the DST tests in
	// queue and trigger for what is kept there).
	now := time.Date(2026, 12, 6, 10, 0, 0, 123456000, time.UTC)
	opts := []flowstore.Option{flowstore.WithClock(func() time.Time { return now }),
		flowstore.WithStoreOptions(store.WithZone(zone))}
	if adopt {
		opts = append(opts, flowstore.WithAdopt())
	}
	fs, err := flowstore.Open(ctx, dsn, opts...)
	require.NoError(t, err)
	defer fs.Close()
	robot := ooSide{t: t, db: fs.Store(), zone: zone}

	old, recent := uuid.New(), uuid.New()
	robot.enqueue(old, "shared", "robot-old", now.Add(-time.Hour))
	mine, err := fs.Queue.Enqueue(ctx, "shared", queue.NewElement{Reference: "flowstore-now"})
	require.NoError(t, err)
	robot.enqueue(recent, "shared", "robot-new", now.Add(time.Second))

	var r sharedQueueResult
	// SQLite compares the text; elsewhere the column's precision decides
	// the fraction (OpenOrchestrator's MySQL DATETIME keeps none).
	got, want := robot.created("flowstore-now"), now.In(zone).Format(ooTextLayout)
	if fs.SQLDialect().Name() != store.SQLite {
		got, want = got[:19], want[:19]
	}
	r.RobotTimeSpelled = got == want
	if !r.RobotTimeSpelled {
		t.Logf("the robot reads flowstore's created_date as %q, want %q", got, want)
	}

	for range 3 {
		e, err := fs.Queue.Claim(ctx, "shared")
		require.NoError(t, err)
		r.ClaimOrder = append(r.ClaimOrder, e.Reference)
		if e.ID == mine.ID {
			_, r.RobotSawStatus = robot.element(mine.ID)
		}
	}
	found, err := fs.Queue.Get(ctx, old)
	require.NoError(t, err)
	r.FlowstoreFound = found.Reference

	robot.singleTrigger(uuid.New(), "robot-past", now.Add(-time.Minute))
	robot.singleTrigger(uuid.New(), "robot-soon", now.Add(30*time.Minute))
	for name, at := range map[string]time.Time{"flowstore-past": now.Add(-time.Minute), "flowstore-soon": now.Add(30 * time.Minute)} {
		_, err := fs.Triggers.Create(ctx, trigger.Spec{Type: trigger.Single, Name: name, ProcessName: "p", ProcessPath: `C:\robot.py`, NextRun: at})
		require.NoError(t, err)
	}
	due, err := fs.Triggers.Due(ctx, now, 10)
	require.NoError(t, err)
	for _, tr := range due {
		r.DueForFlowstore = append(r.DueForFlowstore, tr.Name)
	}
	slices.Sort(r.DueForFlowstore)
	r.DueForRobot = robot.dueTriggers(now)
	r.AlembicRevision, err = fs.Store().AlembicRevision(ctx)
	require.NoError(t, err)
	return r
}
