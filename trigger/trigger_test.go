package trigger_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/flowstore/flowstore/internal/testdb"
	"github.com/flowstore/flowstore/store"
	"github.com/flowstore/flowstore/trigger"
)

func TestCreateGetListUpdateDelete(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		c := newClock(T0)
		s := newStore(t, withClock(t, db, c))

		sp := scheduled("nightly", "CRON_TZ=Europe/Copenhagen 0 2 * * *", time.Time{})
		sp.ProcessArgs, sp.IsGitRepo, sp.GitBranch, sp.IsBlocking, sp.Priority = `{"a": 1}`, true, "main", true, 5
		sp.SchedulerWhitelist = []string{"robot-1", "robot-2"}
		sc, err := s.Create(ctx, sp)
		require.NoError(t, err)
		require.Equal(t, trigger.StatusIdle, sc.Status)
		require.Equal(t, time.Date(2026, 11, 23, 1, 0, 0, 0, time.UTC), sc.NextRun, "next 02:00 Copenhagen (CET) after T0")
		got := get(t, s, sc.ID)
		require.Equal(t, sc, got)

		sg, err := s.Create(ctx, single("once", T0.Add(time.Hour)))
		require.NoError(t, err)
		qu, err := s.Create(ctx, queued("invoices", "invoice-queue", 10))
		require.NoError(t, err)
		require.Equal(t, qu, get(t, s, qu.ID))
		require.Equal(t, sg, get(t, s, sg.ID))

		// The stored form is OpenOrchestrator's: upper-case names and a
		// Python-style JSON whitelist.
		var raw struct {
			Status, Type, Whitelist string
		}
		q := db.SQLDialect().Quote
		require.NoError(t, db.Bun().NewRaw("SELECT "+q("process_status")+" AS status, "+q("type")+" AS type, "+q("scheduler_whitelist")+" AS whitelist FROM "+q("Triggers")+" WHERE "+q("id")+" = ?", db.RefUUID(sc.ID)).Scan(ctx, &raw))
		require.Equal(t, "IDLE", raw.Status)
		require.Equal(t, "SCHEDULED", raw.Type)
		require.Equal(t, `["robot-1", "robot-2"]`, raw.Whitelist)

		all, err := s.List(ctx, trigger.Filter{})
		require.NoError(t, err)
		require.Len(t, all, 3)
		require.Equal(t, []string{"invoices", "nightly", "once"}, names(all))
		only, err := s.List(ctx, trigger.Filter{Type: trigger.Queue})
		require.NoError(t, err)
		require.Equal(t, []string{"invoices"}, names(only))
		byProc, err := s.List(ctx, trigger.Filter{ProcessName: "proc-once", Statuses: []trigger.Status{trigger.StatusIdle}})
		require.NoError(t, err)
		require.Equal(t, []string{"once"}, names(byProc))
		_, err = s.Pause(ctx, sg.ID)
		require.NoError(t, err)
		paused, err := s.List(ctx, trigger.Filter{Statuses: []trigger.Status{trigger.StatusPaused, trigger.StatusFailed}})
		require.NoError(t, err)
		require.Equal(t, []string{"once"}, names(paused))

		// Update changes only the named fields: a concurrent status change
		// (the Pause above) survives an edit made from an older copy.
		newName, prio, wl := "nightly-2", 9, []string{}
		up, err := s.Update(ctx, sc.ID, trigger.Patch{Name: &newName, Priority: &prio, SchedulerWhitelist: &wl})
		require.NoError(t, err)
		require.Equal(t, "nightly-2", up.Name)
		require.Equal(t, 9, up.Priority)
		require.Nil(t, up.SchedulerWhitelist)
		require.Equal(t, sc.ProcessArgs, up.ProcessArgs)
		require.Equal(t, sc.NextRun, up.NextRun)
		cron := "*/10 * * * *"
		up, err = s.Update(ctx, sc.ID, trigger.Patch{CronExpr: &cron})
		require.NoError(t, err)
		require.Equal(t, cron, up.CronExpr)
		require.Equal(t, T0.Add(10*time.Minute), up.NextRun, "a new cron expression moves next_run to its next time after now")
		n := 2
		up, err = s.Update(ctx, qu.ID, trigger.Patch{MinBatchSize: &n})
		require.NoError(t, err)
		require.Equal(t, 2, up.MinBatchSize)
		next := T0.Add(2 * time.Hour)
		up, err = s.Update(ctx, sg.ID, trigger.Patch{NextRun: &next})
		require.NoError(t, err)
		require.Equal(t, next, up.NextRun)
		require.Equal(t, trigger.StatusPaused, up.Status, "Update leaves the status alone")

		// Delete removes child then parent.
		for _, id := range []uuid.UUID{sc.ID, sg.ID, qu.ID} {
			require.NoError(t, s.Delete(ctx, id))
			_, err := s.Get(ctx, id)
			require.ErrorIs(t, err, store.ErrNotFound)
		}
		require.ErrorIs(t, s.Delete(ctx, sc.ID), store.ErrNotFound)
		for _, table := range []string{"Triggers", "Scheduled_Triggers", "Single_Triggers", "Queue_Triggers"} {
			var count int
			require.NoError(t, db.Bun().NewRaw("SELECT COUNT(*) FROM "+q(table)).Scan(ctx, &count))
			require.Zero(t, count, table)
		}
	})
}

// TestUpdateDeleteLockTheTriggerRowFirst: Update and Delete take the
// Triggers row's lock before they touch the subtype row, the order Begin
// takes them in. A transaction holding the Triggers row, as a Begin does, can
// then still take the subtype row while an Update or Delete of the trigger
// waits; in the opposite order the two would deadlock.
func TestUpdateDeleteLockTheTriggerRowFirst(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		if db.SQLDialect().Name() == store.SQLite {
			t.Skip("SQLite has one writer at a time and no row locks: there is no lock order to get wrong")
		}
		ctx := t.Context()
		s := newStore(t, db)
		d := db.SQLDialect()
		q := d.Quote
		// The subtype row, locked without waiting: an error if it is taken.
		probe := "SELECT " + q("id") + " FROM " + q("Scheduled_Triggers") + " WHERE " + q("id") + " = ? FOR UPDATE NOWAIT"
		if d.Name() == store.SQLServer {
			probe = "SELECT " + q("id") + " FROM " + q("Scheduled_Triggers") + " WITH (UPDLOCK, ROWLOCK, NOWAIT) WHERE " + q("id") + " = ?"
		}
		cron := "*/10 * * * *"
		for name, op := range map[string]func(id uuid.UUID) error{
			"update": func(id uuid.UUID) error {
				_, err := s.Update(ctx, id, trigger.Patch{CronExpr: &cron}) // the subtype row only
				return err
			},
			"delete": func(id uuid.UUID) error { return s.Delete(ctx, id) },
		} {
			tr, err := s.Create(ctx, scheduled("locked-"+name, "0 * * * *", T0))
			require.NoError(t, err)
			// A Begin in progress: it holds the Triggers row.
			begin, err := db.SQL().BeginTx(ctx, nil)
			require.NoError(t, err)
			_, err = begin.ExecContext(ctx, d.Rebind("UPDATE "+q("Triggers")+" SET "+q("process_status")+" = "+q("process_status")+" WHERE "+q("id")+" = ?"), db.RefUUID(tr.ID))
			require.NoError(t, err)
			opDone := make(chan error, 1)
			go func() { opDone <- op(tr.ID) }()
			testdb.WaitBlocked(t, db, 1) // the op gets as far as it can: to the Triggers row's lock
			// The Begin goes on to the subtype row.
			rows, err := begin.QueryContext(ctx, d.Rebind(probe), db.RefUUID(tr.ID))
			if err == nil {
				err = rows.Close()
			}
			require.NoError(t, err, "%s holds the subtype row while it waits for the Triggers row", name)
			require.NoError(t, begin.Commit())
			require.NoError(t, <-opDone, name)
		}
		all, err := s.List(ctx, trigger.Filter{})
		require.NoError(t, err)
		require.Equal(t, []string{"locked-update"}, names(all))
		require.Equal(t, cron, all[0].CronExpr)
	})
}

func names(ts []trigger.Trigger) []string {
	out := make([]string, len(ts))
	for i, t := range ts {
		out[i] = t.Name
	}
	return out
}

// TestBadInput: each bad spec is refused with an error naming the field, and
// nothing is written.
func TestBadInput(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		s := newStore(t, db)
		long := func(n int) string { return strings.Repeat("x", n) }
		withSpec := func(sp trigger.Spec, f func(*trigger.Spec)) trigger.Spec { f(&sp); return sp }
		cases := []struct {
			spec trigger.Spec
			is   error
			want string
		}{
			{scheduled("bad-cron", "61 * * * *", time.Time{}), store.ErrInvalid, "cron_expr"},
			{scheduled("bad-cron-2", "every day", time.Time{}), store.ErrInvalid, "cron_expr"},
			{scheduled("bad-tz", "CRON_TZ=Mars/Olympus 0 9 * * *", time.Time{}), store.ErrInvalid, "cron_expr"},
			{scheduled("every", "@every 5m", time.Time{}), store.ErrInvalid, "cron_expr"},
			{scheduled("no-cron", "", time.Time{}), store.ErrInvalid, "cron_expr is required"},
			{scheduled("long-cron", "0 9 * * * "+long(200), time.Time{}), store.ErrTooLong, "cron_expr"},
			{single("no-next", time.Time{}), store.ErrInvalid, "next_run is required"},
			{queued("no-queue", "", 1), store.ErrInvalid, "queue_name is required"},
			{queued("zero-batch", "q", 0), store.ErrInvalid, "min_batch_size"},
			{queued("long-queue", long(201), 1), store.ErrTooLong, "queue_name"},
			{withSpec(single(long(101), T0), func(*trigger.Spec) {}), store.ErrTooLong, "trigger_name"},
			{withSpec(single("x", T0), func(s *trigger.Spec) { s.ProcessPath = long(251) }), store.ErrTooLong, "process_path"},
			{withSpec(single("x", T0), func(s *trigger.Spec) { s.ProcessArgs = long(1001) }), store.ErrTooLong, "process_args"},
			{withSpec(single("x", T0), func(s *trigger.Spec) { s.ProcessName = "" }), store.ErrInvalid, "process_name is required"},
			{withSpec(single("x", T0), func(s *trigger.Spec) { s.SchedulerWhitelist = []string{long(300)} }), store.ErrTooLong, "scheduler_whitelist"},
			{withSpec(single("x", T0), func(s *trigger.Spec) { s.CronExpr = "* * * * *" }), store.ErrInvalid, "SINGLE"},
			{withSpec(single("x", T0), func(s *trigger.Spec) { s.Type = "WEEKLY" }), store.ErrInvalid, "unknown trigger type"},
		}
		for _, c := range cases {
			_, err := s.Create(ctx, c.spec)
			require.ErrorIs(t, err, c.is, "%s", c.spec.Name)
			require.ErrorContains(t, err, c.want, "%s", c.spec.Name)
			// One prefix, then the sentinel: "trigger: create "x": invalid input: …".
			require.True(t, strings.HasPrefix(err.Error(), fmt.Sprintf("trigger: create %q: %s: ", c.spec.Name, c.is)), "%v", err)
		}
		all, err := s.List(ctx, trigger.Filter{})
		require.NoError(t, err)
		require.Empty(t, all, "nothing was written")

		// Update validates the same way, and per type.
		sc, err := s.Create(ctx, scheduled("ok", "0 9 * * *", time.Time{}))
		require.NoError(t, err)
		bad := "0 25 * * *"
		_, err = s.Update(ctx, sc.ID, trigger.Patch{CronExpr: &bad})
		require.ErrorIs(t, err, store.ErrInvalid)
		require.ErrorContains(t, err, "cron_expr")
		require.True(t, strings.HasPrefix(err.Error(), "trigger: update "+sc.ID.String()+": invalid input: cron_expr"), "%v", err)
		qn := "q"
		_, err = s.Update(ctx, sc.ID, trigger.Patch{QueueName: &qn})
		require.ErrorIs(t, err, store.ErrInvalid)
		require.ErrorContains(t, err, "queue_name does not apply to a SCHEDULED trigger")
		require.Equal(t, "0 9 * * *", get(t, s, sc.ID).CronExpr)
		missing := uuid.New()
		_, err = s.Update(ctx, missing, trigger.Patch{})
		require.ErrorIs(t, err, store.ErrNotFound)
		require.EqualError(t, err, "trigger: update "+missing.String()+": not found")
		_, err = s.Due(ctx, T0, -1)
		require.ErrorIs(t, err, store.ErrInvalid)
		_, err = s.List(ctx, trigger.Filter{Statuses: []trigger.Status{"SLEEPING"}})
		require.ErrorIs(t, err, store.ErrInvalid)
	})
}

// TestDueOrder: OpenOrchestrator's order — priority desc, then single,
// scheduled, queue, then next_run — and the due rules of each type.
func TestDueOrder(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		s := newStore(t, db)
		mk := func(sp trigger.Spec, prio int) trigger.Trigger {
			sp.Priority = prio
			tr, err := s.Create(ctx, sp)
			require.NoError(t, err)
			return tr
		}
		mk(queued("q-full-p0", "full", 3), 0)
		mk(scheduled("sc-late-p0", "* * * * *", T0.Add(-time.Minute)), 0)
		mk(scheduled("sc-early-p0", "* * * * *", T0.Add(-time.Hour)), 0)
		mk(single("si-p0", T0), 0)
		mk(single("si-p5", T0.Add(-time.Minute)), 5)
		mk(queued("q-full-p5", "full", 2), 5)
		mk(scheduled("sc-p5", "* * * * *", T0.Add(-time.Second)), 5)
		// Not due:
		mk(single("si-future", T0.Add(time.Second)), 9)
		mk(scheduled("sc-future", "* * * * *", T0.Add(time.Minute)), 9)
		mk(queued("q-short", "short", 3), 9)       // 2 NEW elements only
		mk(queued("q-nonnew", "done-queue", 1), 9) // elements, but none NEW
		paused := mk(single("si-paused", T0.Add(-time.Hour)), 9)
		_, err := s.Pause(ctx, paused.ID)
		require.NoError(t, err)
		enqueue(t, db, "full", 3)
		enqueue(t, db, "short", 2)
		enqueue(t, db, "done-queue", 4)
		require.NoError(t, drain(ctx, db, "done-queue"))

		due, err := s.Due(ctx, T0, 0)
		require.NoError(t, err)
		require.Equal(t, []string{"si-p5", "sc-p5", "q-full-p5", "si-p0", "sc-early-p0", "sc-late-p0", "q-full-p0"}, names(due))
		first2, err := s.Due(ctx, T0, 2)
		require.NoError(t, err)
		require.Equal(t, []string{"si-p5", "sc-p5"}, names(first2))
	})
}

// TestDueLimit: Due returns the first limit due triggers; a limit of 0 means
// store.DefaultLimit, as for every list; a negative one is refused.
func TestDueLimit(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		s := newStore(t, db)
		for i := range store.DefaultLimit + 1 {
			_, err := s.Create(ctx, single(fmt.Sprintf("due-%03d", i), T0.Add(-time.Duration(store.DefaultLimit+1-i)*time.Second)))
			require.NoError(t, err)
		}
		due, err := s.Due(ctx, T0, 0)
		require.NoError(t, err)
		require.Len(t, due, store.DefaultLimit)
		require.Equal(t, "due-000", due[0].Name, "the longest due first")
		due, err = s.Due(ctx, T0, store.DefaultLimit+5)
		require.NoError(t, err)
		require.Len(t, due, store.DefaultLimit+1)
		_, err = s.Due(ctx, T0, -1)
		require.ErrorIs(t, err, store.ErrInvalid)
		require.ErrorContains(t, err, "trigger: due: invalid input")
	})
}

// statusIs is a transition's expected outcome: the status after it, or
// refused (nil error expected when ok).
type outcome struct {
	to      trigger.Status
	refused bool
}

// TestTransitions runs every operation from every status, on a scheduled, a
// single and a queue trigger, and checks the result against the table of
// §1.4.
func TestTransitions(t *testing.T) {
	I, R, F, D, P, PG, K, KD := trigger.StatusIdle, trigger.StatusRunning, trigger.StatusFailed, trigger.StatusDone,
		trigger.StatusPaused, trigger.StatusPausing, trigger.StatusKilling, trigger.StatusKilled
	no := outcome{refused: true}
	to := func(s trigger.Status) outcome { return outcome{to: s} }
	// ops × from-status → outcome, for a SCHEDULED trigger (queue is the
	// same; single differs only for End from RUNNING: DONE).
	table := map[string]map[trigger.Status]outcome{
		"End":    {I: no, R: to(I), F: no, D: no, P: no, PG: to(P), K: to(KD), KD: no},
		"Fail":   {I: no, R: to(F), F: no, D: no, P: no, PG: to(F), K: to(KD), KD: no},
		"Pause":  {I: to(P), R: to(PG), F: to(P), D: to(P), P: to(P), PG: to(PG), K: no, KD: to(P)},
		"Resume": {I: to(I), R: to(R), F: to(I), D: to(I), P: to(I), PG: to(R), K: no, KD: to(I)},
		"Kill":   {I: to(KD), R: to(K), F: to(KD), D: to(KD), P: to(KD), PG: to(K), K: to(K), KD: to(KD)},
		"Begin":  {I: to(R), R: no, F: no, D: no, P: no, PG: no, K: no, KD: no},
	}
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		s := newStore(t, withClock(t, db, newClock(T0)))
		for _, typ := range trigger.Types() {
			var sp trigger.Spec
			switch typ {
			case trigger.Scheduled:
				sp = scheduled("t-"+string(typ), "* * * * *", T0.Add(-time.Hour))
			case trigger.Single:
				sp = single("t-"+string(typ), T0.Add(-time.Hour))
			case trigger.Queue:
				sp = queued("t-"+string(typ), "t-queue", 1)
				enqueue(t, db, "t-queue", 1) // so that Begin from IDLE finds it due
			}
			tr, err := s.Create(ctx, sp)
			require.NoError(t, err)
			for opName, froms := range table {
				for from, want := range froms {
					if typ == trigger.Single && opName == "End" && from == R {
						want = to(D)
					}
					force(t, db, tr.ID, from, "")
					var got trigger.Status
					var err error
					switch opName {
					case "End":
						got, err = s.End(ctx, tr.ID)
					case "Fail":
						got, err = s.Fail(ctx, tr.ID)
					case "Pause":
						got, err = s.Pause(ctx, tr.ID)
					case "Resume":
						got, err = s.Resume(ctx, tr.ID)
					case "Kill":
						got, err = s.Kill(ctx, tr.ID)
					case "Begin":
						var b trigger.Trigger
						b, err = s.Begin(ctx, tr, "tester")
						got = b.Status
					}
					after := get(t, s, tr.ID).Status
					if want.refused {
						require.ErrorIs(t, err, store.ErrConflict, "%s %s from %s", typ, opName, from)
						require.Equal(t, from, after, "%s %s from %s: a refused transition writes nothing", typ, opName, from)
						continue
					}
					require.NoError(t, err, "%s %s from %s", typ, opName, from)
					require.Equal(t, want.to, got, "%s %s from %s", typ, opName, from)
					require.Equal(t, want.to, after, "%s %s from %s", typ, opName, from)
				}
			}
		}
		_, err := s.End(ctx, uuid.New())
		require.ErrorIs(t, err, store.ErrNotFound)
		gone := uuid.New()
		_, err = s.Begin(ctx, trigger.Trigger{ID: gone, Type: trigger.Single}, "x")
		require.ErrorIs(t, err, trigger.ErrNotStarted)
		require.True(t, strings.HasPrefix(err.Error(), "trigger: begin "+gone.String()+": conflict: "), "%v", err)

		// A refusal names the status found and the statuses accepted.
		tr, err := s.Create(ctx, single("refused", T0))
		require.NoError(t, err)
		force(t, db, tr.ID, K, "")
		_, err = s.Pause(ctx, tr.ID)
		require.EqualError(t, err, "trigger: pause "+tr.ID.String()+": conflict: the trigger is KILLING; pause accepts 'RUNNING', 'IDLE', 'FAILED', 'DONE', 'KILLED'")
	})
}

// TestBegin: last_run, next_run advanced from now (no catch-up), and the
// not-due refusals of each type.
func TestBegin(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		c := newClock(T0.Add(30 * time.Second))
		cdb := withClock(t, db, c)
		s := newStore(t, cdb)

		// Missed three runs (next_run two hours ago): one start, and next_run
		// is the next cron time after now, not the next missed one.
		sc, err := s.Create(ctx, scheduled("hourly", "@hourly", T0.Add(-2*time.Hour)))
		require.NoError(t, err)
		require.NoError(t, s.Heartbeat(ctx, "sched-a"))
		b, err := s.Begin(ctx, sc, "sched-a")
		require.NoError(t, err)
		require.Equal(t, trigger.StatusRunning, b.Status)
		stored := get(t, s, sc.ID)
		require.Equal(t, T0.Add(time.Hour), stored.NextRun)
		require.Equal(t, T0.Add(30*time.Second), stored.LastRun)
		require.Equal(t, "sched-a", stored.RunningOn)
		infos, err := s.Schedulers(ctx)
		require.NoError(t, err)
		require.Len(t, infos, 1)
		require.Equal(t, "hourly", infos[0].LatestTrigger)
		require.Equal(t, T0.Add(30*time.Second), infos[0].LatestTriggerTime)
		st, err := s.End(ctx, sc.ID)
		require.NoError(t, err)
		require.Equal(t, trigger.StatusIdle, st)
		require.Empty(t, get(t, s, sc.ID).RunningOn)
		// Begin with the stale copy: IDLE again, but this occurrence ran.
		_, err = s.Begin(ctx, sc, "sched-b")
		require.ErrorIs(t, err, trigger.ErrNotStarted)

		future, err := s.Create(ctx, single("later", T0.Add(time.Hour)))
		require.NoError(t, err)
		_, err = s.Begin(ctx, future, "sched-a")
		require.ErrorIs(t, err, trigger.ErrNotStarted)
		require.Equal(t, trigger.StatusIdle, get(t, s, future.ID).Status, "a refused Begin writes nothing")

		qt, err := s.Create(ctx, queued("batch", "work", 3))
		require.NoError(t, err)
		enqueue(t, cdb, "work", 2)
		_, err = s.Begin(ctx, qt, "sched-a")
		require.ErrorIs(t, err, trigger.ErrNotStarted)
		enqueue(t, cdb, "work", 1)
		_, err = s.Begin(ctx, qt, "sched-a")
		require.NoError(t, err)
		st, err = s.End(ctx, qt.ID)
		require.NoError(t, err)
		require.Equal(t, trigger.StatusIdle, st, "a queue trigger waits again after a run")
		due, err := s.Due(ctx, c.Now(), 0)
		require.NoError(t, err)
		require.Equal(t, []string{"batch"}, names(due), "and fires again while the queue holds enough NEW elements")
	})
}

// TestWithTx: a store bound to a session writes in the session's
// transaction — parent and child row roll back together with the caller's.
func TestWithTx(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		s := newStore(t, withClock(t, db, newClock(T0)))
		boom := fmt.Errorf("caller failed")
		var created trigger.Trigger
		err := db.InTx(ctx, func(ctx context.Context, sess *store.Session) error {
			var err error
			created, err = s.WithTx(sess).Create(ctx, scheduled("in-tx", "@daily", time.Time{}))
			require.NoError(t, err)
			got, err := s.WithTx(sess).Get(ctx, created.ID)
			require.NoError(t, err)
			require.Equal(t, "in-tx", got.Name)
			return boom
		})
		require.ErrorIs(t, err, boom)
		_, err = s.Get(ctx, created.ID)
		require.ErrorIs(t, err, store.ErrNotFound)
		q := db.SQLDialect().Quote
		var n int
		require.NoError(t, db.Bun().NewRaw("SELECT COUNT(*) FROM "+q("Scheduled_Triggers")).Scan(ctx, &n))
		require.Zero(t, n)

		require.NoError(t, db.InTx(ctx, func(ctx context.Context, sess *store.Session) error {
			created, err = s.WithTx(sess).Create(ctx, single("committed", T0))
			return err
		}))
		require.Equal(t, "committed", get(t, s, created.ID).Name)
	})
}
