package trigger_test

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/flowstore/flowstore/internal/testdb"
	"github.com/flowstore/flowstore/store"
	"github.com/flowstore/flowstore/trigger"
)

// schedulerNames returns the machine names of the Schedulers rows.
func schedulerNames(t *testing.T, s trigger.Store) []string {
	t.Helper()
	infos, err := s.Schedulers(t.Context())
	require.NoError(t, err)
	var out []string
	for _, info := range infos {
		out = append(out, info.MachineName)
	}
	return out
}

// TestSchedulerReleasesItsNameOnStop: a scheduler that stops cleanly
// releases its name, so one of the same name starts at once — the lease is
// an hour and the clock stands still, so only the release can free it. A
// scheduler that stops while a run of its own is still active (a handler
// that ignores its context) keeps its name, as a crashed one does, so that
// the run is recovered once its heartbeat is stale and no namesake settles
// it meanwhile.
func TestSchedulerReleasesItsNameOnStop(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		cdb := withClock(t, db, newClock(T0))
		s := newStore(t, cdb)
		settled := make(chan string, 4)
		box1 := func(handler trigger.Handler, opts ...trigger.SchedulerOption) *trigger.Scheduler {
			sch, err := trigger.NewScheduler(cdb, handler, append([]trigger.SchedulerOption{
				trigger.WithName("box-1"), trigger.WithPollInterval(5 * time.Millisecond), trigger.WithLease(time.Hour),
				trigger.WithOnSettled(func(tr trigger.Trigger, st trigger.Status, _ error) { settled <- tr.Name + " " + string(st) }),
			}, opts...)...)
			require.NoError(t, err)
			return sch
		}
		quick := func(context.Context, trigger.Trigger) error { return nil }
		runOnce := func(name string) {
			t.Helper()
			_, err := s.Create(ctx, single(name, T0))
			require.NoError(t, err)
			runCtx, cancel := context.WithCancel(ctx)
			done := make(chan error, 1)
			go func() { done <- box1(quick).Run(runCtx) }()
			require.Equal(t, name+" DONE", <-settled)
			require.Contains(t, schedulerNames(t, s), "box-1", "a running scheduler has its row")
			cancel()
			require.NoError(t, <-done)
			require.NotContains(t, schedulerNames(t, s), "box-1", "a scheduler that stopped cleanly released its name")
		}
		runOnce("first")
		runOnce("second") // at once, under the same name

		// A handler that ignores its context outlives Run.
		unblock := make(chan struct{})
		started := make(chan struct{})
		_, err := s.Create(ctx, single("stubborn", T0))
		require.NoError(t, err)
		stubborn := box1(func(context.Context, trigger.Trigger) error {
			close(started)
			<-unblock
			return nil
		}, trigger.WithStopTimeout(0), trigger.WithQueryTimeout(2*time.Second))
		runCtx, cancel := context.WithCancel(ctx)
		done := make(chan error, 1)
		go func() { done <- stubborn.Run(runCtx) }()
		<-started
		cancel()
		require.NoError(t, <-done, "Run returns though the handler does not")
		require.Contains(t, schedulerNames(t, s), "box-1", "the name stays taken while its run is active")
		err = box1(quick).Run(ctx)
		var inUse *trigger.NameInUseError
		require.ErrorAs(t, err, &inUse, "a namesake must not settle the run")
		close(unblock)
		require.Equal(t, "stubborn DONE", <-settled, "the late handler still records its run")
	})
}

// TestSchedulerStopTimeout: once Run's context ends the scheduler starts
// nothing more, lets the running handlers finish for the stop timeout —
// heartbeating and honouring kills meanwhile — and then cancels the rest,
// whose runs wait again.
func TestSchedulerStopTimeout(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		cdb := withClock(t, db, newClock(T0))
		s := newStore(t, cdb)
		for _, name := range []string{"finisher", "stubborn", "killed"} {
			_, err := s.Create(ctx, single(name, T0))
			require.NoError(t, err)
		}
		const stopTimeout = 500 * time.Millisecond
		finish := make(chan struct{})
		var mu sync.Mutex
		var started []string
		causes := map[string]chan error{"stubborn": make(chan error, 1), "killed": make(chan error, 1)}
		settled := make(chan string, 4)
		sch, err := trigger.NewScheduler(cdb,
			func(hctx context.Context, tr trigger.Trigger) error {
				mu.Lock()
				started = append(started, tr.Name)
				mu.Unlock()
				if tr.Name == "finisher" {
					<-finish
					return nil
				}
				<-hctx.Done()
				causes[tr.Name] <- context.Cause(hctx)
				return hctx.Err()
			},
			trigger.WithName("stopper"),
			trigger.WithPollInterval(5*time.Millisecond),
			trigger.WithStopTimeout(stopTimeout),
			trigger.WithOnSettled(func(tr trigger.Trigger, st trigger.Status, _ error) { settled <- tr.Name + " " + string(st) }),
		)
		require.NoError(t, err)
		runCtx, cancel := context.WithCancel(ctx)
		done := make(chan error, 1)
		go func() { done <- sch.Run(runCtx) }()
		waitFor(t, "three runs", func() (bool, error) { return len(sch.Running()) == 3, nil })

		cancel()
		stoppedAt := time.Now()
		late, err := s.Create(ctx, single("late", T0))
		require.NoError(t, err)
		// The stopping scheduler still honours a kill.
		running := sch.Running()
		killed := slices.IndexFunc(running, func(tr trigger.Trigger) bool { return tr.Name == "killed" })
		require.GreaterOrEqual(t, killed, 0)
		_, err = s.Kill(ctx, running[killed].ID)
		require.NoError(t, err)
		require.ErrorIs(t, <-causes["killed"], trigger.ErrKilled)
		require.Equal(t, "killed KILLED", <-settled)
		// A run that finishes within the stop timeout ends as it would have.
		close(finish)
		require.Equal(t, "finisher DONE", <-settled)

		require.NoError(t, <-done)
		require.GreaterOrEqual(t, time.Since(stoppedAt), stopTimeout, "Run waited for the stop timeout")
		require.ErrorIs(t, <-causes["stubborn"], context.Canceled)
		require.Equal(t, "stubborn IDLE", <-settled, "cancelled by the stop: waits again")
		require.Equal(t, trigger.StatusIdle, get(t, s, late.ID).Status, "nothing starts once Run's context ended")
		mu.Lock()
		require.ElementsMatch(t, []string{"finisher", "stubborn", "killed"}, started)
		mu.Unlock()
		require.NotContains(t, schedulerNames(t, s), "stopper")
	})
}

// TestLengthsCountAsTheDialectDoes: SQL Server's NVARCHAR(100) counts UTF-16
// code units, so a name of 100 characters, one of them above U+FFFF, does
// not fit there — and is refused before anything is sent — while the other
// dialects, which count characters, store it. A whitelist is JSON written as
// Python's json.dumps writes it (ensure_ascii: "😀" is "\ud83d\ude00"), so its
// text is ASCII and counts the same everywhere: 250 characters fit, and a
// list that OpenOrchestrator could not store either is refused on every
// dialect.
func TestLengthsCountAsTheDialectDoes(t *testing.T) {
	name := strings.Repeat("x", 99) + "😀"
	named := single("short", T0)
	named.Name = name
	mssql := testdb.Offline(store.SQLServer) // no server: the checks come first
	s, err := trigger.New(mssql)
	require.NoError(t, err)
	ctx := t.Context()
	_, err = s.Create(ctx, named)
	require.ErrorIs(t, err, store.ErrTooLong)
	require.ErrorContains(t, err, "trigger_name is 101 UTF-16 code units")
	require.ErrorIs(t, s.Heartbeat(ctx, name), store.ErrTooLong)
	_, err = s.Begin(ctx, trigger.Trigger{Type: trigger.Single}, name)
	require.ErrorIs(t, err, store.ErrTooLong)
	wl := []string{strings.Repeat("w", 234) + "😀"} // ["w…\ud83d\ude00"]: 250 characters
	tooWide := []string{strings.Repeat("w", 235) + "😀"}
	sp := single("x", T0)
	sp.SchedulerWhitelist = tooWide
	_, err = s.Create(ctx, sp)
	require.ErrorIs(t, err, store.ErrTooLong)
	require.ErrorContains(t, err, "scheduler_whitelist is 251 UTF-16 code units")
	h := func(context.Context, trigger.Trigger) error { return nil }
	_, err = trigger.NewScheduler(mssql, h, trigger.WithName(name))
	require.ErrorIs(t, err, store.ErrTooLong)

	testdb.Each(t, func(t *testing.T, db *store.DB) {
		s := newStore(t, db)
		tr, err := s.Create(t.Context(), named)
		require.NoError(t, err)
		require.Equal(t, name, get(t, s, tr.ID).Name)
		sp := single("wide whitelist", T0)
		sp.SchedulerWhitelist = wl
		tr, err = s.Create(t.Context(), sp)
		require.NoError(t, err)
		require.Equal(t, wl, get(t, s, tr.ID).SchedulerWhitelist)
		sp.SchedulerWhitelist = tooWide
		_, err = s.Create(t.Context(), sp)
		require.ErrorIs(t, err, store.ErrTooLong)
		require.ErrorContains(t, err, "scheduler_whitelist is 251 characters")
		_, err = trigger.NewScheduler(db, h, trigger.WithName(name))
		require.NoError(t, err)
	})
}
