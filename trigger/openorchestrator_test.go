package trigger_test

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/flowstore/flowstore/internal/testdb"
	"github.com/flowstore/flowstore/store"
	"github.com/flowstore/flowstore/trigger"
)

// These tests play OpenOrchestrator's part. Its SQLAlchemy models write the
// trigger tables with naive local wall-clock times (datetime.now(), on
// SQLite as text "2026-11-22 11:00:00.000000"), ids as its Uuid type (native
// on PostgreSQL and SQL Server, 32 lower-case hex digits elsewhere), enum
// member names, and scheduler_whitelist as json.dumps text; joined-table
// inheritance inserts the Triggers row, then the subtype row. Its due
// queries compare next_run with its local datetime.now().

// ooZones are the zones the interop tests run in: one with daylight saving
// time, one without and half an hour off any whole-hour offset.
var ooZones = []string{"Europe/Copenhagen", "Asia/Kolkata"}

// zoned opens a second handle on db's database whose naive times are in
// zone and whose clock is c.
func zoned(t *testing.T, db *store.DB, zone *time.Location, c *clock) *store.DB {
	t.Helper()
	zdb, err := store.Open(t.Context(), testdb.DSN(t, db), store.WithZone(zone), store.WithClock(c.Now))
	require.NoError(t, err)
	t.Cleanup(func() { _ = zdb.Close() })
	return zdb
}

// nativeUUID reports whether OpenOrchestrator's Uuid is the dialect's own
// type (PostgreSQL, SQL Server) rather than 32 hex digits.
func nativeUUID(db *store.DB) bool {
	n := db.SQLDialect().Name()
	return n == store.Postgres || n == store.SQLServer
}

// ooID is id as OpenOrchestrator's SQLAlchemy binds it; dashed spells it as
// an earlier flowstore wrote it on SQLite and MySQL.
func ooID(db *store.DB, id uuid.UUID, dashed bool) any {
	if nativeUUID(db) {
		return id
	}
	if dashed {
		return id.String()
	}
	return strings.ReplaceAll(id.String(), "-", "")
}

// ooBool is a Python bool as SQLAlchemy binds it: 1/0 where the column is
// an integer (SQLite, MySQL), else a boolean.
func ooBool(db *store.DB, b bool) any {
	if n := db.SQLDialect().Name(); n == store.SQLite || n == store.MySQL {
		if b {
			return 1
		}
		return 0
	}
	return b
}

// ooTrigger is a trigger as OpenOrchestrator's create_*_trigger functions
// write it.
type ooTrigger struct {
	id                  uuid.UUID
	dashed              bool // the id spelled as an earlier flowstore wrote it
	name, process, path string
	args, branch        any // nil for NULL
	status, typ         string
	gitRepo, blocking   bool
	priority            int
	whitelist           any    // json.dumps text, nil for NULL
	lastRun             any    // naive text, nil for NULL
	nextRun             string // naive text: single and scheduled
	cron, queue         string
	minBatch            int
}

// ooInsert inserts t as SQLAlchemy does: the Triggers row, then the subtype
// row, with the driver's binds.
func ooInsert(t *testing.T, db *store.DB, tr ooTrigger) {
	t.Helper()
	ctx := t.Context()
	d := db.SQLDialect()
	q := d.Quote
	if tr.status == "" {
		tr.status = "IDLE"
	}
	id := ooID(db, tr.id, tr.dashed)
	_, err := db.SQL().ExecContext(ctx, d.Rebind("INSERT INTO "+q("Triggers")+" ("+q("id")+", "+q("trigger_name")+", "+q("process_name")+", "+
		q("last_run")+", "+q("process_path")+", "+q("process_args")+", "+q("process_status")+", "+q("is_git_repo")+", "+q("is_blocking")+", "+
		q("type")+", "+q("scheduler_whitelist")+", "+q("priority")+", "+q("git_branch")+") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"),
		id, tr.name, tr.process, tr.lastRun, tr.path, tr.args, tr.status, ooBool(db, tr.gitRepo), ooBool(db, tr.blocking),
		tr.typ, tr.whitelist, tr.priority, tr.branch)
	require.NoError(t, err)
	switch tr.typ {
	case "SINGLE":
		_, err = db.SQL().ExecContext(ctx, d.Rebind("INSERT INTO "+q("Single_Triggers")+" ("+q("id")+", "+q("next_run")+") VALUES (?, ?)"), id, tr.nextRun)
	case "SCHEDULED":
		_, err = db.SQL().ExecContext(ctx, d.Rebind("INSERT INTO "+q("Scheduled_Triggers")+" ("+q("id")+", "+q("cron_expr")+", "+q("next_run")+") VALUES (?, ?, ?)"), id, tr.cron, tr.nextRun)
	case "QUEUE":
		_, err = db.SQL().ExecContext(ctx, d.Rebind("INSERT INTO "+q("Queue_Triggers")+" ("+q("id")+", "+q("queue_name")+", "+q("min_batch_size")+") VALUES (?, ?, ?)"), id, tr.queue, tr.minBatch)
	}
	require.NoError(t, err)
}

// ooEnqueue adds n NEW elements as OpenOrchestrator's create_queue_element
// does, created_date its local now.
func ooEnqueue(t *testing.T, db *store.DB, queue string, n int, createdAt string) {
	t.Helper()
	d := db.SQLDialect()
	q := d.Quote
	for range n {
		_, err := db.SQL().ExecContext(t.Context(), d.Rebind("INSERT INTO "+q("Queues")+" ("+q("id")+", "+q("queue_name")+", "+q("status")+", "+q("created_date")+") VALUES (?, ?, 'NEW', ?)"),
			ooID(db, uuid.New(), false), queue, createdAt)
		require.NoError(t, err)
	}
}

// ooReadNaive reads a naive time column the way OpenOrchestrator gets it
// back: as the text SQLAlchemy stores on SQLite, or as the wall clock of the
// naive value elsewhere, in NaiveLayout. "" for NULL.
func ooReadNaive(t *testing.T, db *store.DB, table, column, keyCol string, key any) string {
	t.Helper()
	d := db.SQLDialect()
	q := d.Quote
	if d.Name() == store.SQLite {
		var v *string
		require.NoError(t, db.SQL().QueryRowContext(t.Context(), "SELECT CAST("+q(column)+" AS TEXT) FROM "+q(table)+" WHERE "+q(keyCol)+" = ?", key).Scan(&v))
		if v == nil {
			return ""
		}
		return *v
	}
	var v *time.Time
	require.NoError(t, db.SQL().QueryRowContext(t.Context(), d.Rebind("SELECT "+q(column)+" FROM "+q(table)+" WHERE "+q(keyCol)+" = ?"), key).Scan(&v))
	if v == nil {
		return ""
	}
	return v.Format(store.NaiveLayout)
}

// ooPending runs OpenOrchestrator's get_pending_single_triggers with its
// local now and returns the ids it finds, as OpenOrchestrator's Uuid reads
// them.
func ooPending(t *testing.T, db *store.DB, now string) []uuid.UUID {
	t.Helper()
	d := db.SQLDialect()
	q := d.Quote
	rows, err := db.SQL().QueryContext(t.Context(), d.Rebind("SELECT "+q("Single_Triggers")+"."+q("id")+" FROM "+q("Triggers")+" JOIN "+q("Single_Triggers")+" ON "+
		q("Triggers")+"."+q("id")+" = "+q("Single_Triggers")+"."+q("id")+" WHERE "+q("Triggers")+"."+q("process_status")+" = ? AND "+
		q("Single_Triggers")+"."+q("next_run")+" <= ? ORDER BY "+q("Single_Triggers")+"."+q("next_run")), "IDLE", now)
	require.NoError(t, err)
	defer rows.Close()
	var out []uuid.UUID
	for rows.Next() {
		var id uuid.UUID
		require.NoError(t, rows.Scan(&id))
		out = append(out, id)
	}
	require.NoError(t, rows.Err())
	return out
}

// TestOpenOrchestratorWritesWeRead: triggers OpenOrchestrator inserted — hex
// ids, naive local times, its names, its whitelist JSON — are listed, found
// due at their local time (not an hour or five and a half early), begun,
// ended, edited and deleted by this store; what Begin writes back reads as
// OpenOrchestrator's local wall clock. Rows with the dashed ids an earlier
// flowstore wrote work the same.
func TestOpenOrchestratorWritesWeRead(t *testing.T) {
	for _, zoneName := range ooZones {
		zone, err := time.LoadLocation(zoneName)
		require.NoError(t, err)
		t.Run(zoneName, func(t *testing.T) {
			testdb.Each(t, func(t *testing.T, base *store.DB) {
				ctx := t.Context()
				c := newClock(T0)
				db := zoned(t, base, zone, c)
				s := newStore(t, db)
				local := func(d time.Duration) string { return T0.Add(d).In(zone).Format(store.NaiveLayout) }

				a := ooTrigger{id: uuid.New(), name: "oo-single-due", process: "proc-a", path: `C:\robots\a.py`, args: "--fast", branch: "main",
					typ: "SINGLE", gitRepo: true, blocking: true, priority: 1, whitelist: `["robot-1", "r\u00f8bot"]`, nextRun: local(-time.Minute)}
				later := ooTrigger{id: uuid.New(), name: "oo-single-later", process: "proc-b", path: "b.py", typ: "SINGLE", nextRun: local(30 * time.Minute)}
				daily := ooTrigger{id: uuid.New(), name: "oo-daily", process: "proc-c", path: "c.py", typ: "SCHEDULED", cron: "0 9 * * *",
					nextRun: local(-5 * time.Minute), lastRun: local(-24 * time.Hour)}
				qt := ooTrigger{id: uuid.New(), name: "oo-queue", process: "proc-d", path: "d.py", typ: "QUEUE", queue: "oo-q", minBatch: 2}
				old := ooTrigger{id: uuid.New(), dashed: true, name: "old-flowstore", process: "proc-e", path: "e.py", typ: "SINGLE", nextRun: local(-2 * time.Minute)}
				for _, tr := range []ooTrigger{a, later, daily, qt, old} {
					ooInsert(t, db, tr)
				}
				ooEnqueue(t, db, "oo-q", 2, local(-time.Hour))

				due, err := s.Due(ctx, T0, 0)
				require.NoError(t, err)
				require.Equal(t, []string{"oo-single-due", "old-flowstore", "oo-daily", "oo-queue"}, names(due), "oo-single-later is due in 30 minutes, not now")
				got := due[0]
				require.Equal(t, a.id, got.ID)
				require.Equal(t, T0.Add(-time.Minute), got.NextRun, "the local wall clock read as the instant it names in %s", zoneName)
				require.Equal(t, []string{"robot-1", "røbot"}, got.SchedulerWhitelist)
				require.True(t, got.IsGitRepo)
				require.True(t, got.IsBlocking)
				require.Equal(t, "main", got.GitBranch)
				require.Equal(t, "--fast", got.ProcessArgs)
				require.Equal(t, trigger.StatusIdle, got.Status)
				require.Equal(t, T0.Add(-5*time.Minute), due[2].NextRun)
				require.Equal(t, T0.Add(-24*time.Hour), due[2].LastRun)

				all, err := s.List(ctx, trigger.Filter{})
				require.NoError(t, err)
				require.Len(t, all, 5)
				for _, tr := range []ooTrigger{a, later, daily, qt, old} {
					g := get(t, s, tr.id)
					require.Equal(t, tr.name, g.Name)
				}
				require.Equal(t, T0.Add(30*time.Minute), get(t, s, later.id).NextRun)

				// Begin the scheduled trigger: next_run is the next 09:00 of
				// the zone, written as OpenOrchestrator's naive local time,
				// as are last_run and the Schedulers row.
				require.NoError(t, s.Heartbeat(ctx, "flow-1"))
				b, err := s.Begin(ctx, due[2], "flow-1")
				require.NoError(t, err)
				next9 := time.Date(2026, 11, 23, 9, 0, 0, 0, zone)
				require.Equal(t, next9.UTC(), b.NextRun)
				require.Equal(t, T0, b.LastRun)
				require.Equal(t, "2026-11-23 09:00:00.000000", ooReadNaive(t, db, "Scheduled_Triggers", "next_run", "id", ooID(db, daily.id, false)))
				require.Equal(t, local(0), ooReadNaive(t, db, "Triggers", "last_run", "id", ooID(db, daily.id, false)))
				require.Equal(t, local(0), ooReadNaive(t, db, "Schedulers", "last_update", "machine_name", "flow-1"))
				require.Equal(t, local(0), ooReadNaive(t, db, "Schedulers", "latest_trigger_time", "machine_name", "flow-1"))
				require.Equal(t, b, get(t, s, daily.id), "Begin returns what Get reads back")
				st, err := s.End(ctx, daily.id)
				require.NoError(t, err)
				require.Equal(t, trigger.StatusIdle, st)

				// The others, through the scheduler's steps and the edits.
				for _, tr := range due[:2] {
					_, err := s.Begin(ctx, tr, "flow-1")
					require.NoError(t, err, tr.Name)
					st, err := s.End(ctx, tr.ID)
					require.NoError(t, err)
					require.Equal(t, trigger.StatusDone, st, tr.Name)
				}
				_, err = s.Begin(ctx, due[3], "flow-1")
				require.NoError(t, err)
				_, err = s.Fail(ctx, qt.id)
				require.NoError(t, err)
				_, err = s.Resume(ctx, qt.id)
				require.NoError(t, err)
				rename := "old-flowstore-renamed"
				prio := 7
				up, err := s.Update(ctx, old.id, trigger.Patch{Name: &rename, Priority: &prio})
				require.NoError(t, err)
				require.Equal(t, rename, up.Name)
				_, err = s.Kill(ctx, old.id)
				require.NoError(t, err)
				require.NoError(t, s.Delete(ctx, old.id))
				_, err = s.Get(ctx, old.id)
				require.ErrorIs(t, err, store.ErrNotFound)
				var left int
				require.NoError(t, db.Bun().NewRaw("SELECT COUNT(*) FROM "+db.SQLDialect().Quote("Single_Triggers")).Scan(ctx, &left))
				require.Equal(t, 2, left, "the dashed child row went with its parent")

				// The later one is due at its local time, not before.
				c.Set(T0.Add(30*time.Minute - time.Microsecond))
				due, err = s.Due(ctx, c.Now(), 0)
				require.NoError(t, err)
				require.NotContains(t, names(due), "oo-single-later")
				c.Set(T0.Add(30 * time.Minute))
				due, err = s.Due(ctx, c.Now(), 0)
				require.NoError(t, err)
				require.Contains(t, names(due), "oo-single-later")
			})
		})
	}
}

// TestWeWriteOpenOrchestratorReads: rows this store writes read back as
// OpenOrchestrator reads them — its id spelling, its naive local text, its
// whitelist JSON — and its own due query, with its local now, agrees on
// when they are due. An update OpenOrchestrator makes by id finds our rows.
func TestWeWriteOpenOrchestratorReads(t *testing.T) {
	for _, zoneName := range ooZones {
		zone, err := time.LoadLocation(zoneName)
		require.NoError(t, err)
		t.Run(zoneName, func(t *testing.T) {
			testdb.Each(t, func(t *testing.T, base *store.DB) {
				ctx := t.Context()
				c := newClock(T0)
				db := zoned(t, base, zone, c)
				s := newStore(t, db)
				local := func(d time.Duration) string { return T0.Add(d).In(zone).Format(store.NaiveLayout) }
				q := db.SQLDialect().Quote

				sp := single("ours-later", T0.Add(30*time.Minute))
				sp.SchedulerWhitelist = []string{"robot-1", "røbot", "a<b&c", `quote"back\slash`, "🤖"}
				tr, err := s.Create(ctx, sp)
				require.NoError(t, err)

				// The id as SQLAlchemy's Uuid stores it.
				if nativeUUID(db) {
					var id uuid.UUID
					require.NoError(t, db.SQL().QueryRowContext(ctx, "SELECT "+q("id")+" FROM "+q("Triggers")).Scan(&id))
					require.Equal(t, tr.ID, id)
				} else {
					for _, table := range []string{"Triggers", "Single_Triggers"} {
						var id string
						require.NoError(t, db.SQL().QueryRowContext(ctx, "SELECT "+q("id")+" FROM "+q(table)).Scan(&id))
						require.Equal(t, strings.ReplaceAll(tr.ID.String(), "-", ""), id, table)
					}
				}
				require.Equal(t, local(30*time.Minute), ooReadNaive(t, db, "Single_Triggers", "next_run", "id", ooID(db, tr.ID, false)))
				var wl, status, typ string
				require.NoError(t, db.SQL().QueryRowContext(ctx, "SELECT "+q("scheduler_whitelist")+", "+q("process_status")+", "+q("type")+" FROM "+q("Triggers")).Scan(&wl, &status, &typ))
				require.Equal(t, `["robot-1", "r\u00f8bot", "a<b&c", "quote\"back\\slash", "\ud83e\udd16"]`, wl, "Python's json.dumps text")
				require.Equal(t, "IDLE", status)
				require.Equal(t, "SINGLE", typ)

				// A trigger due in 30 minutes is not due now to either side.
				require.Empty(t, ooPending(t, db, local(0)))
				due, err := s.Due(ctx, T0, 0)
				require.NoError(t, err)
				require.Empty(t, due)
				require.Equal(t, []uuid.UUID{tr.ID}, ooPending(t, db, local(30*time.Minute)))
				due, err = s.Due(ctx, T0.Add(30*time.Minute), 0)
				require.NoError(t, err)
				require.Equal(t, []string{"ours-later"}, names(due))

				// A cron without CRON_TZ is read in the zone, as
				// OpenOrchestrator reads it in local time.
				sc, err := s.Create(ctx, scheduled("ours-daily", "0 9 * * *", time.Time{}))
				require.NoError(t, err)
				require.Equal(t, time.Date(2026, 11, 23, 9, 0, 0, 0, zone).UTC(), sc.NextRun)
				require.Equal(t, "2026-11-23 09:00:00.000000", ooReadNaive(t, db, "Scheduled_Triggers", "next_run", "id", ooID(db, sc.ID, false)))

				// Heartbeat and Begin write OpenOrchestrator's local now.
				c.Set(T0.Add(30 * time.Minute))
				require.NoError(t, s.Heartbeat(ctx, "flow-1"))
				require.Equal(t, local(30*time.Minute), ooReadNaive(t, db, "Schedulers", "last_update", "machine_name", "flow-1"))
				_, err = s.Begin(ctx, due[0], "flow-1")
				require.NoError(t, err)
				require.Equal(t, local(30*time.Minute), ooReadNaive(t, db, "Triggers", "last_run", "id", ooID(db, tr.ID, false)))
				infos, err := s.Schedulers(ctx)
				require.NoError(t, err)
				require.Equal(t, T0.Add(30*time.Minute), infos[0].LastUpdate)
				require.Equal(t, T0.Add(30*time.Minute), infos[0].LatestTriggerTime)

				// OpenOrchestrator's set_trigger_status, by the id it read.
				res, err := db.SQL().ExecContext(ctx, db.SQLDialect().Rebind("UPDATE "+q("Triggers")+" SET "+q("process_status")+" = ? WHERE "+q("id")+" = ?"), "PAUSED", ooID(db, sc.ID, false))
				require.NoError(t, err)
				n, err := res.RowsAffected()
				require.NoError(t, err)
				require.EqualValues(t, 1, n)
				require.Equal(t, trigger.StatusPaused, get(t, s, sc.ID).Status)
			})
		})
	}
}

// TestDefaultZoneIsTheProcessTZ: without WithZone the naive times are in
// time.Local, which a process takes from its TZ environment when it starts,
// as OpenOrchestrator's datetime.now() does. Each child process runs with
// another TZ; what it writes is that zone's wall clock, and a trigger
// OpenOrchestrator entered there in local time is due at that local time.
func TestDefaultZoneIsTheProcessTZ(t *testing.T) {
	if testdb.IsChild() {
		zone, err := time.LoadLocation(os.Getenv("TZ"))
		require.NoError(t, err)
		c := newClock(T0)
		db, err := store.Open(t.Context(), os.Getenv("DSN"), store.WithClock(c.Now))
		require.NoError(t, err)
		defer db.Close()
		require.Equal(t, time.Local, db.Zone())
		_, off := T0.In(time.Local).Zone()
		_, want := T0.In(zone).Zone()
		require.Equal(t, want, off, "time.Local is TZ's zone")
		ctx := t.Context()
		s := newStore(t, db)
		local := func(d time.Duration) string { return T0.Add(d).In(zone).Format(store.NaiveLayout) }

		tr, err := s.Create(ctx, single("tz-"+os.Getenv("TZ"), T0.Add(30*time.Minute)))
		require.NoError(t, err)
		require.Equal(t, local(30*time.Minute), ooReadNaive(t, db, "Single_Triggers", "next_run", "id", ooID(db, tr.ID, false)))
		oo := ooTrigger{id: uuid.New(), name: "oo-" + os.Getenv("TZ"), process: "p", path: "p.py", typ: "SINGLE", nextRun: local(-time.Minute)}
		ooInsert(t, db, oo)
		// The children share the database: each looks at its own rows.
		mine := func(at time.Time) []trigger.Trigger {
			due, err := s.Due(ctx, at, 0)
			require.NoError(t, err)
			var out []trigger.Trigger
			for _, d := range due {
				if strings.HasSuffix(d.Name, os.Getenv("TZ")) {
					out = append(out, d)
				}
			}
			return out
		}
		due := mine(T0)
		require.Equal(t, []string{oo.name}, names(due))
		require.Equal(t, T0.Add(-time.Minute), due[0].NextRun)
		require.Equal(t, []string{oo.name, tr.Name}, names(mine(T0.Add(30*time.Minute))))
		return
	}
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		zones := []string{"America/New_York", "Asia/Kolkata"}
		for _, tz := range zones {
			testdb.RunChildren(t, 1, "TestDefaultZoneIsTheProcessTZ", map[string]string{"DSN": testdb.DSN(t, db), "TZ": tz})
		}
		// Seen from outside: each child wrote its own zone's wall clock.
		for _, tz := range zones {
			zone, err := time.LoadLocation(tz)
			require.NoError(t, err)
			zdb := zoned(t, db, zone, newClock(T0))
			ts, err := newStore(t, zdb).List(t.Context(), trigger.Filter{ProcessName: "proc-tz-" + tz})
			require.NoError(t, err)
			require.Len(t, ts, 1)
			require.Equal(t, T0.Add(30*time.Minute), ts[0].NextRun, tz)
			require.Equal(t, T0.Add(30*time.Minute).In(zone).Format(store.NaiveLayout),
				ooReadNaive(t, db, "Single_Triggers", "next_run", "id", ooID(db, ts[0].ID, false)), tz)
		}
	})
}

// dstStart records the starts of a scheduler's handler at its store clock.
type dstStarts struct {
	c    *clock
	runs chan string
}

func (d *dstStarts) handler(_ context.Context, t trigger.Trigger) error {
	d.runs <- t.Name + " " + d.c.Now().UTC().Format("01-02 15:04")
	return nil
}

// TestSchedulerThroughDSTChanges walks a Scheduler's clock in five-minute
// ticks through Copenhagen's clock changes of 2026 — naive times in
// Copenhagen, crons in Copenhagen (no CRON_TZ) and in UTC, and a single
// trigger OpenOrchestrator's UI entered as local 02:30 — and checks every
// start. In the repeated hour of autumn (02:00–03:00 CEST, then CET again)
// nothing starts twice: a wall-clock time starts once, at its first pass; a
// UTC cron skips its times whose Copenhagen wall clock was already shown,
// because a naive next_run cannot tell the two passes apart (stored, it would
// be due at once, to this scheduler and to OpenOrchestrator's). In spring
// the missing 02:xx are skipped and the single trigger entered for the
// missing 02:30 starts when the clock has passed it.
func TestSchedulerThroughDSTChanges(t *testing.T) {
	cph, err := time.LoadLocation("Europe/Copenhagen")
	require.NoError(t, err)
	utc := func(month time.Month, day, h, m int) string {
		return time.Date(2026, month, day, h, m, 0, 0, time.UTC).Format("01-02 15:04")
	}
	walks := []struct {
		name       string
		from, to   time.Time
		singleWall string // the single trigger's next_run, as OpenOrchestrator's UI wrote it
		want       map[string][]string
	}{{
		name: "fall back", // 2026-10-25 03:00 CEST → 02:00 CET, at 01:00 UTC
		from: time.Date(2026, 10, 24, 22, 0, 0, 0, time.UTC), to: time.Date(2026, 10, 25, 3, 0, 0, 0, time.UTC),
		singleWall: "2026-10-25 02:30:00.000000",
		want: map[string][]string{
			"cph-0230": {utc(10, 25, 0, 30)}, // 02:30 CEST; not 02:30 CET (01:30 UTC)
			"cph-15m": {utc(10, 24, 22, 15), utc(10, 24, 22, 30), utc(10, 24, 22, 45), utc(10, 24, 23, 0), utc(10, 24, 23, 15),
				utc(10, 24, 23, 30), utc(10, 24, 23, 45), utc(10, 25, 0, 0), utc(10, 25, 0, 15), utc(10, 25, 0, 30), utc(10, 25, 0, 45),
				// 02:00–02:45 CET were shown already: next is 03:00 CET.
				utc(10, 25, 2, 0), utc(10, 25, 2, 15), utc(10, 25, 2, 30), utc(10, 25, 2, 45), utc(10, 25, 3, 0)},
			"utc-20m": {utc(10, 24, 22, 20), utc(10, 24, 22, 40), utc(10, 24, 23, 0), utc(10, 24, 23, 20), utc(10, 24, 23, 40),
				utc(10, 25, 0, 0), utc(10, 25, 0, 20), utc(10, 25, 0, 40),
				// 01:00, 01:20, 01:40 UTC are 02:00, 02:20, 02:40 CET: shown already.
				utc(10, 25, 2, 0), utc(10, 25, 2, 20), utc(10, 25, 2, 40), utc(10, 25, 3, 0)},
			"oo-single": {utc(10, 25, 0, 30)}, // the first 02:30
		},
	}, {
		name: "spring forward", // 2026-03-29 02:00 CET → 03:00 CEST, at 01:00 UTC
		from: time.Date(2026, 3, 28, 23, 0, 0, 0, time.UTC), to: time.Date(2026, 3, 29, 2, 0, 0, 0, time.UTC),
		singleWall: "2026-03-29 02:30:00.000000", // a local time that day does not have
		want: map[string][]string{
			"cph-0230": nil, // no 02:30 that night
			"cph-15m": {utc(3, 28, 23, 15), utc(3, 28, 23, 30), utc(3, 28, 23, 45), utc(3, 29, 0, 0), utc(3, 29, 0, 15),
				utc(3, 29, 0, 30), utc(3, 29, 0, 45), utc(3, 29, 1, 0), utc(3, 29, 1, 15), utc(3, 29, 1, 30), utc(3, 29, 1, 45), utc(3, 29, 2, 0)},
			"utc-20m": {utc(3, 28, 23, 20), utc(3, 28, 23, 40), utc(3, 29, 0, 0), utc(3, 29, 0, 20), utc(3, 29, 0, 40),
				utc(3, 29, 1, 0), utc(3, 29, 1, 20), utc(3, 29, 1, 40), utc(3, 29, 2, 0)},
			"oo-single": {utc(3, 29, 1, 0)}, // 03:00 CEST, the first tick past 02:30
		},
	}}
	for _, w := range walks {
		t.Run(w.name, func(t *testing.T) {
			testdb.Each(t, func(t *testing.T, base *store.DB) {
				ctx := t.Context()
				c := newClock(w.from)
				db := zoned(t, base, cph, c)
				s := newStore(t, db)
				for _, sp := range []trigger.Spec{
					scheduled("cph-0230", "30 2 * * *", time.Time{}),
					scheduled("cph-15m", "*/15 * * * *", time.Time{}),
					scheduled("utc-20m", "CRON_TZ=UTC */20 * * * *", time.Time{}),
				} {
					_, err := s.Create(ctx, sp)
					require.NoError(t, err)
				}
				ooInsert(t, db, ooTrigger{id: uuid.New(), name: "oo-single", process: "p", path: "p.py", typ: "SINGLE", nextRun: w.singleWall})

				starts := &dstStarts{c: c, runs: make(chan string, 100)}
				sched, err := trigger.NewScheduler(db, starts.handler, trigger.WithName("dst"), trigger.WithMaxConcurrent(8))
				require.NoError(t, err)
				got := map[string][]string{}
				for at := w.from; !at.After(w.to); at = at.Add(5 * time.Minute) {
					c.Set(at)
					require.NoError(t, sched.Tick(ctx))
					waitFor(t, "the runs of the tick to be recorded", func() (bool, error) { return len(sched.Running()) == 0, nil })
				drain:
					for {
						select {
						case r := <-starts.runs:
							name, when, _ := strings.Cut(r, " ")
							got[name] = append(got[name], when)
						default:
							break drain
						}
					}
				}
				for name, want := range w.want {
					require.Equal(t, want, got[name], "starts of %s (UTC)", name)
				}
			})
		})
	}
}

// TestStaleHeartbeatsAcrossDST: heartbeats are naive wall-clock times, and
// a scheduler is stale when its heartbeat is older than the naive wall clock
// of (now − lease). Across the spring-forward a live scheduler's heartbeat
// of 01:59:30 CET is 40 s old at 03:00:10 CEST, not an hour and 40 s; in the
// repeated hour of autumn a heartbeat of 02:59:30 CEST is not taken for one
// older than 02:00:10 CET. A dead scheduler is recovered in both, in autumn
// up to the hour the clock fell back later.
func TestStaleHeartbeatsAcrossDST(t *testing.T) {
	cph, err := time.LoadLocation("Europe/Copenhagen")
	require.NoError(t, err)
	const lease = time.Minute
	for _, c := range []struct {
		name                       string
		beat                       time.Time // the last heartbeat, just before the change
		alive, stillAlive, recover time.Time // checks: not stale, not stale (autumn: looks younger), stale
	}{
		{"spring forward", time.Date(2026, 3, 29, 0, 59, 30, 0, time.UTC),
			time.Date(2026, 3, 29, 1, 0, 10, 0, time.UTC), time.Date(2026, 3, 29, 1, 0, 29, 0, time.UTC), time.Date(2026, 3, 29, 1, 0, 31, 0, time.UTC)},
		{"fall back", time.Date(2026, 10, 25, 0, 59, 30, 0, time.UTC),
			time.Date(2026, 10, 25, 1, 0, 10, 0, time.UTC), time.Date(2026, 10, 25, 1, 30, 0, 0, time.UTC), time.Date(2026, 10, 25, 2, 0, 31, 0, time.UTC)},
	} {
		t.Run(c.name, func(t *testing.T) {
			testdb.Each(t, func(t *testing.T, base *store.DB) {
				ctx := t.Context()
				clk := newClock(c.beat)
				db := zoned(t, base, cph, clk)
				s := newStore(t, db)
				tr, err := s.Create(ctx, single("watched", c.beat.Add(-time.Hour)))
				require.NoError(t, err)
				require.NoError(t, s.Heartbeat(ctx, "box-1"))
				_, err = s.Begin(ctx, tr, "box-1")
				require.NoError(t, err)
				for _, check := range []struct {
					at    time.Time
					stale bool
				}{{c.alive, false}, {c.stillAlive, false}, {c.recover, true}} {
					clk.Set(check.at)
					n, err := s.RecoverStale(ctx, check.at.Add(-lease), trigger.RecoverFail)
					require.NoError(t, err)
					if check.stale {
						require.Equal(t, 1, n, "at %s", check.at.In(cph))
						require.Equal(t, trigger.StatusFailed, get(t, s, tr.ID).Status)
					} else {
						require.Zero(t, n, "at %s the heartbeat of %s is not a lease old", check.at.In(cph), c.beat.In(cph))
						require.Equal(t, trigger.StatusRunning, get(t, s, tr.ID).Status)
					}
				}
			})
		})
	}
}
