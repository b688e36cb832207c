package trigger_test

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/flowstore/flowstore/internal/testdb"
	"github.com/flowstore/flowstore/store"
	"github.com/flowstore/flowstore/trigger"
)

// neverFiring are cron expressions that parse but match no time.
var neverFiring = []string{"0 0 30 2 *", "0 0 31 4 *", "0 0 31 6,9,11 *", "CRON_TZ=Europe/Copenhagen 15 3 30,31 2 *", "0 12 31 11 *"}

// TestParseCronNeverFires: ParseCron, the one parse every cron entry point
// uses, refuses an expression that matches no time with ErrNeverFires, which
// is also store.ErrInvalid; rare but real times (29 February; a day of month
// OR'ed with a weekday, cron's rule when both are restricted) are accepted.
func TestParseCronNeverFires(t *testing.T) {
	for _, expr := range neverFiring {
		_, err := trigger.ParseCron(expr)
		require.ErrorIs(t, err, trigger.ErrNeverFires, expr)
		require.ErrorIs(t, err, store.ErrInvalid, expr)
		require.ErrorContains(t, err, "matches no time", expr)
	}
	require.Equal(t, `invalid input: cron expression never fires: cron expression "0 0 30 2 *" matches no time (a day of month its months never have, such as 30 February)`,
		func() string { _, err := trigger.ParseCron("0 0 30 2 *"); return err.Error() }())
	from := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	for expr, want := range map[string]time.Time{
		"0 0 29 2 *":   time.Date(2028, 2, 29, 0, 0, 0, 0, time.UTC),
		"0 0 30 2 MON": time.Date(2027, 2, 1, 0, 0, 0, 0, time.UTC), // the 30th or a Monday, of February: its Mondays
		"0 0 31 * *":   time.Date(2026, 12, 31, 0, 0, 0, 0, time.UTC),
	} {
		s, err := trigger.ParseCron(expr)
		require.NoError(t, err, expr)
		require.Equal(t, want, s.Next(from), expr)
	}
}

// TestCreateUpdateRefuseNeverFiringCron: issue 14, defect 1. Create and
// Update refuse a cron expression that never fires (they accepted it, with
// NextRun zero, and the trigger then fired on every poll); nothing is
// written.
func TestCreateUpdateRefuseNeverFiringCron(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		s := newStore(t, db)
		for _, expr := range neverFiring {
			_, err := s.Create(ctx, scheduled("never", expr, time.Time{}))
			require.ErrorIs(t, err, trigger.ErrNeverFires, expr)
			require.True(t, strings.HasPrefix(err.Error(), `trigger: create "never": invalid input: cron expression never fires: cron_expr `), "%v", err)
			// With an explicit first run too: it would fire once and then
			// have no next run.
			_, err = s.Create(ctx, scheduled("never", expr, T0))
			require.ErrorIs(t, err, trigger.ErrNeverFires, expr)
		}
		all, err := s.List(ctx, trigger.Filter{})
		require.NoError(t, err)
		require.Empty(t, all, "nothing was written")

		sc, err := s.Create(ctx, scheduled("ok", "0 9 * * *", time.Time{}))
		require.NoError(t, err)
		for _, expr := range neverFiring {
			_, err = s.Update(ctx, sc.ID, trigger.Patch{CronExpr: &expr})
			require.ErrorIs(t, err, trigger.ErrNeverFires, expr)
			next := T0
			_, err = s.Update(ctx, sc.ID, trigger.Patch{CronExpr: &expr, NextRun: &next})
			require.ErrorIs(t, err, trigger.ErrNeverFires, expr)
		}
		require.Equal(t, sc, get(t, s, sc.ID), "nothing was written")
	})
}

// TestStoredNeverFiringCronDoesNotFireEveryPoll: a scheduled trigger whose
// stored cron expression never fires (written by SQL, past any check), and
// one whose expression is malformed, are due by their next_run; the
// Scheduler does not start them — it started one on every poll before —
// logs each once, leaves them IDLE and unchanged, and still starts the due
// triggers after them in the start order.
func TestStoredNeverFiringCronDoesNotFireEveryPoll(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		c := newClock(T0)
		cdb := zoned(t, db, db.Zone(), c)
		s := newStore(t, cdb)
		local := func(d time.Duration) string { return T0.Add(d).In(cdb.Zone()).Format(store.NaiveLayout) }
		never := ooTrigger{id: uuid.New(), name: "feb-30", process: "p", path: "p.py", typ: "SCHEDULED", cron: "0 0 30 2 *", priority: 5, nextRun: local(-time.Hour)}
		broken := ooTrigger{id: uuid.New(), name: "garbled", process: "p", path: "p.py", typ: "SCHEDULED", cron: "0 0 3O 2 *", priority: 5, nextRun: local(-time.Hour)}
		ooInsert(t, cdb, never)
		ooInsert(t, cdb, broken)
		after, err := s.Create(ctx, single("after", T0.Add(-time.Minute)))
		require.NoError(t, err)

		var logs syncBuffer
		var runs sync.Map
		var total atomic.Int32
		h := func(_ context.Context, tr trigger.Trigger) error {
			total.Add(1)
			n, _ := runs.LoadOrStore(tr.Name, new(atomic.Int32))
			n.(*atomic.Int32).Add(1)
			return nil
		}
		sched, err := trigger.NewScheduler(cdb, h, trigger.WithName("poller"), trigger.WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
		require.NoError(t, err)
		for range 10 {
			require.NoError(t, sched.Tick(ctx))
			waitFor(t, "the tick's runs to be recorded", func() (bool, error) { return len(sched.Running()) == 0, nil })
			c.Add(6 * time.Second)
		}
		count := func(name string) int32 {
			n, ok := runs.Load(name)
			if !ok {
				return 0
			}
			return n.(*atomic.Int32).Load()
		}
		require.Zero(t, count("feb-30"), "a cron that never fires does not fire on every poll")
		require.Zero(t, count("garbled"))
		require.EqualValues(t, 1, count("after"), "the triggers after it still start")
		require.EqualValues(t, 1, total.Load())
		for _, tr := range []ooTrigger{never, broken} {
			got := get(t, s, tr.id)
			require.Equal(t, trigger.StatusIdle, got.Status)
			require.Equal(t, T0.Add(-time.Hour), got.NextRun, "next_run unchanged")
			require.True(t, got.LastRun.IsZero())
		}
		require.Equal(t, trigger.StatusDone, get(t, s, after.ID).Status)
		require.Equal(t, 1, strings.Count(logs.String(), "feb-30"), "logged once: %s", logs.String())
		require.Equal(t, 1, strings.Count(logs.String(), "garbled"), "logged once: %s", logs.String())
		require.Contains(t, logs.String(), "cron expression never fires")

		// Begin refuses it directly, with the sentinel, and writes nothing.
		due, err := s.Due(ctx, c.Now(), 0)
		require.NoError(t, err)
		require.ElementsMatch(t, []string{"feb-30", "garbled"}, names(due))
		if due[0].Name != "feb-30" {
			due[0], due[1] = due[1], due[0]
		}
		_, err = s.Begin(ctx, due[0], "poller")
		require.ErrorIs(t, err, trigger.ErrNeverFires)
		_, err = s.Begin(ctx, due[1], "poller")
		require.ErrorIs(t, err, store.ErrInvalid)
		stale := due[0]
		stale.CronExpr = "" // a caller that does not pass the expression: the stored one is checked
		_, err = s.Begin(ctx, stale, "poller")
		require.ErrorIs(t, err, trigger.ErrNeverFires)
		require.Equal(t, trigger.StatusIdle, get(t, s, never.id).Status)

		// Fixing the expression makes it startable again.
		fixed := "0 0 28 2 *"
		_, err = s.Update(ctx, never.id, trigger.Patch{CronExpr: &fixed, NextRun: &T0})
		require.NoError(t, err)
		require.NoError(t, sched.Tick(ctx))
		waitFor(t, "the run to be recorded", func() (bool, error) { return len(sched.Running()) == 0, nil })
		require.EqualValues(t, 1, count("feb-30"))
	})
}

// TestNilContextIsRefused: issue 14, defect 5. Every method of the Store and
// of the Scheduler that takes a context refuses a nil one with
// store.ErrInvalid instead of panicking inside database/sql.
func TestNilContextIsRefused(t *testing.T) {
	db := testdb.Fresh(t, store.SQLite)
	s := newStore(t, db)
	require.Equal(t, 15, testdb.RefusesNilContext(t, s))
	sched, err := trigger.NewScheduler(db, func(context.Context, trigger.Trigger) error { return nil }, trigger.WithName("nil-ctx"))
	require.NoError(t, err)
	require.Equal(t, 2, testdb.RefusesNilContext(t, sched))
	// A refused Run did not count as its one call.
	ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
	defer cancel()
	require.NoError(t, sched.Run(ctx))
	// And the pool is fine afterwards.
	_, err = s.List(t.Context(), trigger.Filter{})
	require.NoError(t, err)
}

// TestTextRule: issue 14, defects 3 and 4. Text the database cannot store
// exactly — a NUL, invalid UTF-8 — is refused with store.ErrInvalid before
// anything is written, in every field of every write (Create, Update,
// Heartbeat, Begin, NewScheduler) and in every value a read looks up (List's
// process name); before, names with invalid UTF-8 came back with U+FFFD,
// whitelists too (json.Marshal), and MariaDB dropped a NUL. Valid text of any
// script comes back exactly.
func TestTextRule(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		s := newStore(t, db)
		for _, bad := range []string{"nul\x00name", "bad\xffutf8", "\xc3"} {
			for field, set := range map[string]func(*trigger.Spec){
				"trigger_name":        func(sp *trigger.Spec) { sp.Name = bad },
				"process_name":        func(sp *trigger.Spec) { sp.ProcessName = bad },
				"process_path":        func(sp *trigger.Spec) { sp.ProcessPath = bad },
				"process_args":        func(sp *trigger.Spec) { sp.ProcessArgs = bad },
				"git_branch":          func(sp *trigger.Spec) { sp.GitBranch = bad },
				"scheduler_whitelist": func(sp *trigger.Spec) { sp.SchedulerWhitelist = []string{"ok", bad} },
				"cron_expr": func(sp *trigger.Spec) {
					sp.Type, sp.NextRun, sp.CronExpr = trigger.Scheduled, time.Time{}, "0 9 * * *"+bad
				},
				"queue_name": func(sp *trigger.Spec) {
					sp.Type, sp.NextRun, sp.QueueName, sp.MinBatchSize = trigger.Queue, time.Time{}, bad, 1
				},
			} {
				sp := single("text", T0)
				set(&sp)
				_, err := s.Create(ctx, sp)
				require.ErrorIs(t, err, store.ErrInvalid, "%s %q", field, bad)
				require.ErrorContains(t, err, field, "%q", bad)
			}
		}
		all, err := s.List(ctx, trigger.Filter{})
		require.NoError(t, err)
		require.Empty(t, all, "nothing was written")

		// Valid text of any script comes back exactly.
		exotic := single("nøgle 🔑 — 名前", T0)
		exotic.ProcessName, exotic.ProcessArgs, exotic.GitBranch = "prøcess", "--név=Ünïcode ✓", "feature/ß"
		exotic.SchedulerWhitelist = []string{"røbot 🤖", "машина"}
		tr, err := s.Create(ctx, exotic)
		require.NoError(t, err)
		got := get(t, s, tr.ID)
		require.Equal(t, tr, got)
		require.Equal(t, "nøgle 🔑 — 名前", got.Name)
		require.Equal(t, []string{"røbot 🤖", "машина"}, got.SchedulerWhitelist)
		byProc, err := s.List(ctx, trigger.Filter{ProcessName: "prøcess"})
		require.NoError(t, err)
		require.Equal(t, []string{exotic.Name}, names(byProc))

		for _, bad := range []string{"nul\x00name", "bad\xffutf8"} {
			b := bad
			for field, p := range map[string]trigger.Patch{
				"trigger_name":        {Name: &b},
				"process_name":        {ProcessName: &b},
				"process_path":        {ProcessPath: &b},
				"process_args":        {ProcessArgs: &b},
				"git_branch":          {GitBranch: &b},
				"scheduler_whitelist": {SchedulerWhitelist: &[]string{b}},
			} {
				_, err := s.Update(ctx, tr.ID, p)
				require.ErrorIs(t, err, store.ErrInvalid, "%s %q", field, bad)
			}
			_, err := s.List(ctx, trigger.Filter{ProcessName: bad})
			require.ErrorIs(t, err, store.ErrInvalid, "list by %q", bad)
			require.ErrorIs(t, s.Heartbeat(ctx, bad), store.ErrInvalid)
			_, err = s.Begin(ctx, tr, bad)
			require.ErrorIs(t, err, store.ErrInvalid)
			named := tr
			named.Name = bad
			_, err = s.Begin(ctx, named, "ok")
			require.ErrorIs(t, err, store.ErrInvalid)
			_, err = trigger.NewScheduler(db, func(context.Context, trigger.Trigger) error { return nil }, trigger.WithName(bad))
			require.ErrorIs(t, err, store.ErrInvalid)
			_, err = trigger.ParseCron("0 9 * * *" + bad)
			require.ErrorIs(t, err, store.ErrInvalid)
		}
		require.Equal(t, tr, get(t, s, tr.ID), "nothing was written")
		infos, err := s.Schedulers(ctx)
		require.NoError(t, err)
		require.Empty(t, infos)
	})
}

// TestIdempotentCreate: issue 14, defect 2. trigger_name is not a key —
// OpenOrchestrator's schema has no unique constraint on it, its programs
// create triggers of one name freely, and a unique index would break them
// (and fail to build on a database that has duplicates) — so the idempotent
// form of Create is a caller-chosen id, the primary key. A retried Create
// with the same id and definition returns the trigger the first one made; a
// different definition under that id is store.ErrDuplicate. Racing Creates
// with one id make one trigger.
func TestIdempotentCreate(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		c := newClock(T0)
		cdb := withClock(t, db, c)
		s := newStore(t, cdb)
		q := db.SQLDialect().Quote
		count := func() int {
			var n int
			require.NoError(t, db.Bun().NewRaw("SELECT COUNT(*) FROM "+q("Triggers")).Scan(ctx, &n))
			return n
		}

		sp := scheduled("nightly", "0 2 * * *", time.Time{})
		sp.ID = uuid.New()
		sp.SchedulerWhitelist = []string{"robot-1"}
		first, err := s.Create(ctx, sp)
		require.NoError(t, err)
		require.Equal(t, sp.ID, first.ID)
		// The retry comes later (the first outcome was unknown): next_run,
		// computed from now, is not part of the definition.
		c.Add(time.Hour)
		again, err := s.Create(ctx, sp)
		require.NoError(t, err)
		require.Equal(t, first, again)
		require.Equal(t, 1, count())

		// Names are not keys: a second trigger of the same name is fine.
		sp2 := sp
		sp2.ID = uuid.Nil
		other, err := s.Create(ctx, sp2)
		require.NoError(t, err)
		require.NotEqual(t, first.ID, other.ID)
		require.Equal(t, 2, count())

		// Another definition under a taken id is a clear duplicate.
		changed := sp
		changed.CronExpr, changed.Priority = "0 3 * * *", 4
		_, err = s.Create(ctx, changed)
		require.ErrorIs(t, err, store.ErrDuplicate)
		require.EqualError(t, err, `trigger: create "nightly": duplicate: trigger `+sp.ID.String()+` exists with another priority, cron_expr`)
		single1 := single("once", T0)
		single1.ID = sp.ID
		_, err = s.Create(ctx, single1)
		require.ErrorIs(t, err, store.ErrDuplicate)
		require.Equal(t, 2, count())

		// Racing Creates of one id: one trigger, every caller gets it.
		race := single("race", T0.Add(time.Hour))
		race.ID = uuid.New()
		var wg sync.WaitGroup
		results := make([]trigger.Trigger, 8)
		errs := make([]error, 8)
		for i := range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				results[i], errs[i] = s.Create(ctx, race)
			}()
		}
		wg.Wait()
		for i := range 8 {
			require.NoError(t, errs[i])
			require.Equal(t, race.ID, results[i].ID)
			require.Equal(t, race.NextRun, results[i].NextRun)
		}
		require.Equal(t, 3, count())

		// An id an earlier flowstore wrote with dashes is found too.
		if !nativeUUID(db) {
			dashed := ooTrigger{id: uuid.New(), dashed: true, name: "dashed", process: "proc-dashed", path: "/robots/dashed.py", typ: "SINGLE",
				nextRun: T0.In(db.Zone()).Format(store.NaiveLayout)}
			ooInsert(t, cdb, dashed)
			retry := single("dashed", T0)
			retry.ID = dashed.id
			got, err := s.Create(ctx, retry)
			require.NoError(t, err)
			require.Equal(t, dashed.id, got.ID)
			require.Equal(t, 4, count())
		}

		// In a session, a duplicate leaves the session usable.
		require.NoError(t, db.InTx(ctx, func(ctx context.Context, sess *store.Session) error {
			_, err := s.WithTx(sess).Create(ctx, changed)
			if !errors.Is(err, store.ErrDuplicate) {
				return err
			}
			_, err = s.WithTx(sess).Create(ctx, single("in-session", T0))
			return err
		}))
	})
}
