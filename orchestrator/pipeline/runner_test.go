package pipeline_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/flowstore/flowstore/internal/testdb"
	"github.com/flowstore/flowstore/orchestrator/pipeline"
	"github.com/flowstore/flowstore/store"
)

// timerFixture is a database with a settable clock and a workflow whose
// */5 timer is due at 10:05; the clock stands at 10:00:30.
type timerFixture struct {
	db    *store.DB // the test's database, on the settable clock
	clk   *clock
	ps    pipeline.Store
	def   *pipeline.Definition
	timer *pipeline.Timer
}

func newTimerFixture(t *testing.T, db *store.DB) *timerFixture {
	t.Helper()
	f := &timerFixture{clk: &clock{t: time.Date(2026, 3, 1, 10, 0, 30, 0, time.UTC)}}
	var err error
	f.db, err = store.Open(t.Context(), testdb.DSN(t, db), store.WithClock(f.clk.now))
	require.NoError(t, err)
	t.Cleanup(func() { _ = f.db.Close() })
	f.ps = newStore(t, f.db)
	f.def = create(t, f.ps, threeStages("timed"))
	f.timer = &pipeline.Timer{Namespace: "acme", Repository: "shop", Workflow: f.def.Workflow.ID, Available: true, Cron: "*/5 * * * *"}
	require.NoError(t, f.ps.CreateTimer(t.Context(), f.timer))
	require.Equal(t, time.Date(2026, 3, 1, 10, 5, 0, 0, time.UTC), f.timer.NextRun)
	return f
}

// hold locks the timer's row in a transaction of its own, so that whoever
// claims the timer next waits for it (on SQLite: for the write turn the
// transaction holds).
func (f *timerFixture) hold(t *testing.T) *store.Session {
	t.Helper()
	s, err := f.db.Begin(t.Context())
	require.NoError(t, err)
	_, err = s.NewUpdate().Model((*pipeline.Timer)(nil)).Set("cron = cron").Where("id = ?", f.timer.ID).Exec(t.Context())
	require.NoError(t, err)
	return s
}

// TestTimerRunnersFireOnce: two runners reach the claim of one due
// occurrence together — both wait for a transaction holding the timer, as
// the database reports it — and when it lets go the occurrence fires once.
func TestTimerRunnersFireOnce(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		f := newTimerFixture(t, db)
		var mu sync.Mutex
		var firings []pipeline.Firing
		fired := make(chan struct{}, 4)
		onFire := func(fr pipeline.Firing) {
			mu.Lock()
			firings = append(firings, fr)
			mu.Unlock()
			fired <- struct{}{}
		}
		holder := f.hold(t)
		f.clk.set(time.Date(2026, 3, 1, 10, 6, 0, 0, time.UTC))

		ctx, stop := context.WithCancel(t.Context())
		defer stop()
		done := make(chan error, 2)
		var runners []*pipeline.TimerRunner
		for range 2 {
			r, err := pipeline.NewTimerRunner(f.db, pipeline.WithPollInterval(20*time.Millisecond), pipeline.WithOnFire(onFire))
			require.NoError(t, err)
			runners = append(runners, r)
			go func() { done <- r.Run(ctx) }()
		}
		testdb.WaitBlocked(t, f.db, 2)
		require.NoError(t, holder.Rollback())
		select {
		case <-fired:
		case <-time.After(30 * time.Second):
			t.Fatal("the due timer did not fire")
		}
		stop()
		for range 2 {
			select {
			case err := <-done:
				require.NoError(t, err, "Run returns nil when its context ends")
			case <-time.After(30 * time.Second):
				t.Fatal("Run did not return after its context ended")
			}
		}
		require.Len(t, firings, 1, "one occurrence fires once")
		require.NoError(t, firings[0].Err)
		require.Equal(t, time.Date(2026, 3, 1, 10, 5, 0, 0, time.UTC), firings[0].Due.UTC())
		require.Equal(t, time.Date(2026, 3, 1, 10, 10, 0, 0, time.UTC), firings[0].NextRun)
		requireGapless(t, sequences(t, db, f.def.Workflow.ID), 1)

		err := runners[0].Run(t.Context())
		require.ErrorIs(t, err, store.ErrInvalid, "Run may be called once")
		requireErrorPrefix(t, err, "run timer runner: ")
	})
}

// TestTimerRunnerStopTimeout: when its context ends, Run lets the call under
// way finish for the stop timeout only, then cancels it and returns; the
// cancelled firing rolls back and the next runner fires the occurrence.
func TestTimerRunnerStopTimeout(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		f := newTimerFixture(t, db)
		holder := f.hold(t)
		f.clk.set(time.Date(2026, 3, 1, 10, 6, 0, 0, time.UTC))
		var fired []pipeline.Firing
		r, err := pipeline.NewTimerRunner(f.db, pipeline.WithPollInterval(20*time.Millisecond),
			pipeline.WithStopTimeout(100*time.Millisecond), pipeline.WithQueryTimeout(time.Minute),
			pipeline.WithOnFire(func(fr pipeline.Firing) { fired = append(fired, fr) }))
		require.NoError(t, err)
		ctx, stop := context.WithCancel(t.Context())
		done := make(chan error, 1)
		go func() { done <- r.Run(ctx) }()
		testdb.WaitBlocked(t, f.db, 1) // the runner waits to claim the timer
		stop()
		select {
		case err := <-done:
			require.NoError(t, err)
		case <-time.After(20 * time.Second):
			t.Fatal("Run did not cancel the blocked call after the stop timeout")
		}
		require.NoError(t, holder.Rollback())
		require.Empty(t, fired)

		timers, err := f.ps.ListTimers(t.Context(), f.def.Workflow.ID)
		require.NoError(t, err)
		require.Equal(t, time.Date(2026, 3, 1, 10, 5, 0, 0, time.UTC), timers[0].NextRun.UTC(), "the cancelled claim rolled back")
		ctx, stop = context.WithTimeout(t.Context(), time.Minute)
		defer stop()
		next, err := pipeline.NewTimerRunner(f.db, pipeline.WithPollInterval(20*time.Millisecond),
			pipeline.WithOnFire(func(fr pipeline.Firing) { fired = append(fired, fr); stop() }))
		require.NoError(t, err)
		require.NoError(t, next.Run(ctx))
		require.Len(t, fired, 1, "the next runner fires the occurrence")
		require.NoError(t, fired[0].Err)
		requireGapless(t, sequences(t, db, f.def.Workflow.ID), 1)
	})
}

// TestTimerRunnerOptions: bad options are refused by NewTimerRunner, before
// anything runs.
func TestTimerRunnerOptions(t *testing.T) {
	db := testdb.Offline(store.SQLite)
	for _, opt := range []pipeline.TimerOption{
		pipeline.WithPollInterval(0), pipeline.WithQueryTimeout(-time.Second),
		pipeline.WithStopTimeout(0), pipeline.WithLogger(nil),
	} {
		_, err := pipeline.NewTimerRunner(db, opt)
		require.ErrorIs(t, err, store.ErrInvalid)
		requireErrorPrefix(t, err, "new timer runner: invalid input: ")
	}
	r, err := pipeline.NewTimerRunner(db, pipeline.WithPollInterval(time.Minute), pipeline.WithOnFire(nil))
	require.NoError(t, err)
	require.NotNil(t, r)
}
