package trigger_test

import (
	"context"
	"fmt"
	"slices"
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

// TestRunningMapSurvivesRefire: a queue trigger whose queue stays full is due
// again as soon as its run is recorded, so the next tick can start it anew
// while the previous run's goroutine is still finishing (here: a slow
// OnSettled). The finishing goroutine must not drop the new run from the
// scheduler's running map: Running shows it, and a Kill reaches its handler.
func TestRunningMapSurvivesRefire(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		s := newStore(t, db)
		tr, err := s.Create(ctx, queued("refire", "refire", 1))
		require.NoError(t, err)
		enqueue(t, db, "refire", 1) // never drained: due after every run

		firstSettled := make(chan struct{}) // the first run's OnSettled returned
		type observation struct {
			overlapped bool // the second run started while the first was settling
			running    []trigger.Trigger
		}
		secondRun := make(chan observation, 1)
		causes := make(chan error, 1)
		var runs, settles atomic.Int32
		var sch *trigger.Scheduler
		sch, err = trigger.NewScheduler(db,
			func(hctx context.Context, _ trigger.Trigger) error {
				if runs.Add(1) != 2 {
					return nil
				}
				var o observation
				select {
				case <-firstSettled:
				default:
					o.overlapped = true
				}
				<-firstSettled
				// The first run's goroutine removes its map entry right
				// after OnSettled returns.
				time.Sleep(20 * time.Millisecond)
				o.running = sch.Running()
				secondRun <- o
				select {
				case <-hctx.Done():
					causes <- context.Cause(hctx)
					return hctx.Err()
				case <-time.After(5 * time.Second):
					causes <- nil
					return nil
				}
			},
			trigger.WithName("refire"),
			trigger.WithPollInterval(2*time.Millisecond),
			trigger.WithLease(time.Hour),
			trigger.WithMaxConcurrent(4),
			trigger.WithOnSettled(func(trigger.Trigger, trigger.Status, error) {
				if settles.Add(1) == 1 {
					time.Sleep(200 * time.Millisecond)
					close(firstSettled)
				}
			}),
		)
		require.NoError(t, err)
		runCtx, cancel := context.WithCancel(ctx)
		done := make(chan error, 1)
		go func() { done <- sch.Run(runCtx) }()
		defer func() {
			cancel()
			require.NoError(t, <-done)
		}()

		var o observation
		select {
		case o = <-secondRun:
		case <-time.After(30 * time.Second):
			t.Fatal("the queue trigger did not run a second time")
		}
		require.True(t, o.overlapped, "setup: the second run must start while the first one settles")
		require.Len(t, o.running, 1, "Running shows the live run")
		require.Equal(t, tr.ID, o.running[0].ID)

		st, err := s.Kill(ctx, tr.ID)
		require.NoError(t, err)
		require.Equal(t, trigger.StatusKilling, st)
		require.ErrorIs(t, <-causes, trigger.ErrKilled, "the kill reached the live run's handler")
		waitFor(t, "the killed run to be recorded", func() (bool, error) {
			return get(t, s, tr.ID).Status == trigger.StatusKilled && len(sch.Running()) == 0, nil
		})
	})
}

// TestSchedulerMaxConcurrent: with more due triggers than slots, a scheduler
// runs MaxConcurrent handlers at once and no more, tick after tick, and
// refills its slots as runs end.
func TestSchedulerMaxConcurrent(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		cdb := withClock(t, db, newClock(T0))
		s := newStore(t, cdb)
		var ids []uuid.UUID
		for i := range 10 {
			tr, err := s.Create(ctx, single(fmt.Sprintf("slot-%02d", i), T0.Add(-time.Minute)))
			require.NoError(t, err)
			ids = append(ids, tr.ID)
		}
		const slots = 3
		var mu sync.Mutex
		var inFlight, peak int
		release := make(chan struct{})
		sch, err := trigger.NewScheduler(cdb,
			func(hctx context.Context, _ trigger.Trigger) error {
				mu.Lock()
				inFlight++
				peak = max(peak, inFlight)
				mu.Unlock()
				select {
				case <-release:
				case <-hctx.Done():
				}
				time.Sleep(time.Millisecond) // so that the later runs overlap too
				mu.Lock()
				inFlight--
				mu.Unlock()
				return nil
			},
			trigger.WithName("bounded"),
			trigger.WithPollInterval(2*time.Millisecond),
			trigger.WithMaxConcurrent(slots),
		)
		require.NoError(t, err)
		runCtx, cancel := context.WithCancel(ctx)
		done := make(chan error, 1)
		go func() { done <- sch.Run(runCtx) }()

		waitFor(t, "the slots to fill", func() (bool, error) {
			mu.Lock()
			defer mu.Unlock()
			return inFlight == slots, nil
		})
		time.Sleep(30 * time.Millisecond) // some fifteen ticks with all slots taken
		mu.Lock()
		require.Equal(t, slots, inFlight)
		mu.Unlock()
		require.Len(t, sch.Running(), slots)
		running, err := s.List(ctx, trigger.Filter{Statuses: []trigger.Status{trigger.StatusRunning}})
		require.NoError(t, err)
		require.Len(t, running, slots, "no more triggers RUNNING than there are slots")

		close(release)
		waitFor(t, "every trigger to run", func() (bool, error) {
			for _, id := range ids {
				if get(t, s, id).Status != trigger.StatusDone {
					return false, nil
				}
			}
			return true, nil
		})
		cancel()
		require.NoError(t, <-done)
		require.Equal(t, slots, peak, "never more than MaxConcurrent handlers at once")
	})
}

// TestSchedulerBlockingTriggerWaits: a blocking trigger that falls due while
// this scheduler runs something else waits, tick after tick, and does not
// hold up the triggers behind it that are not blocking; once nothing runs
// here it starts, and nothing starts beside it until it ends.
func TestSchedulerBlockingTriggerWaits(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		cdb := withClock(t, db, newClock(T0))
		s := newStore(t, cdb)
		mk := func(sp trigger.Spec) trigger.Trigger {
			tr, err := s.Create(ctx, sp)
			require.NoError(t, err)
			return tr
		}
		long := mk(single("long", T0.Add(-time.Minute)))

		var mu sync.Mutex
		var events []string
		event := func(e string) {
			mu.Lock()
			events = append(events, e)
			mu.Unlock()
		}
		releaseLong := make(chan struct{})
		lateCreated := make(chan error, 1)
		sch, err := trigger.NewScheduler(cdb,
			func(hctx context.Context, tr trigger.Trigger) error {
				event("start " + tr.Name)
				switch tr.Name {
				case "long":
					<-releaseLong
				case "blocker":
					// Due while the blocker runs: it must wait.
					_, err := s.Create(hctx, single("late", T0.Add(-time.Minute)))
					lateCreated <- err
					time.Sleep(30 * time.Millisecond) // ticks that could wrongly start it
				}
				event("end " + tr.Name)
				return nil
			},
			trigger.WithName("solo"),
			trigger.WithPollInterval(2*time.Millisecond),
			trigger.WithMaxConcurrent(4),
		)
		require.NoError(t, err)
		runCtx, cancel := context.WithCancel(ctx)
		done := make(chan error, 1)
		go func() { done <- sch.Run(runCtx) }()
		waitFor(t, "long to start", func() (bool, error) { return get(t, s, long.ID).Status == trigger.StatusRunning, nil })

		// Due now, ahead of "other" (higher priority), while "long" runs.
		blocking := single("blocker", T0.Add(-time.Minute))
		blocking.IsBlocking, blocking.Priority = true, 5
		blocker := mk(blocking)
		other := mk(single("other", T0.Add(-time.Minute)))
		waitFor(t, "other to run past the waiting blocker", func() (bool, error) {
			return get(t, s, other.ID).Status == trigger.StatusDone, nil
		})
		time.Sleep(20 * time.Millisecond) // more ticks while "long" runs
		require.Equal(t, trigger.StatusIdle, get(t, s, blocker.ID).Status, "a blocking trigger waits while something runs here")

		close(releaseLong)
		require.NoError(t, <-lateCreated)
		waitFor(t, "blocker and late to run", func() (bool, error) {
			lates, err := s.List(ctx, trigger.Filter{Statuses: []trigger.Status{trigger.StatusDone}})
			return len(lates) == 4, err // long, other, blocker, late
		})
		cancel()
		require.NoError(t, <-done)

		mu.Lock()
		defer mu.Unlock()
		at := func(e string) int {
			i := slices.Index(events, e)
			require.GreaterOrEqual(t, i, 0, "%s in %v", e, events)
			return i
		}
		require.Less(t, at("start other"), at("end long"), "other started while long ran: %v", events)
		require.Greater(t, at("start blocker"), at("end long"), "blocker started once nothing ran: %v", events)
		require.Equal(t, at("start blocker")+1, at("end blocker"), "nothing started beside the blocker: %v", events)
		require.Greater(t, at("start late"), at("end blocker"), "late waited for the blocker: %v", events)
	})
}
