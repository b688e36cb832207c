package trigger

import (
	"context"
	"errors"
	"time"

	"github.com/google/uuid"

	"github.com/flowstore/flowstore/store"
)

// A database outage can leave a run of this scheduler recorded as RUNNING
// with nothing running it: Begin committed but its answer was lost (the
// connection died during COMMIT), or the handler returned and the record of
// its end failed. No other scheduler recovers it — this one is alive and
// heartbeating — so the trigger would never start again. The scheduler
// therefore retries the record of a run's end, and checks on the next ticks
// the triggers whose Begin failed: one that is RUNNING under its name, yet
// not running here, was started by that Begin, and its handler runs now
// (once, as the start was once).

// noteLostBegin remembers a trigger whose Begin failed without a definite
// answer.
func (s *Scheduler) noteLostBegin(id uuid.UUID) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.lostBegins == nil {
		s.lostBegins = map[uuid.UUID]time.Time{}
	}
	if _, ok := s.lostBegins[id]; !ok {
		s.lostBegins[id] = time.Now()
	}
}

// lostBeginWatch is how long a trigger whose Begin failed is watched: a
// COMMIT the server received can still land after its client gave up
// (after the query timeout and the commit grace), so one look is not
// enough.
func (s *Scheduler) lostBeginWatch() time.Duration { return max(s.lease, 30*time.Second) }

// relaunchLostBegins launches the runs that the remembered Begins started
// after all, and forgets the triggers they did not start once the watch is
// over.
func (s *Scheduler) relaunchLostBegins(ctx, work context.Context) error {
	s.mu.Lock()
	ids := make([]uuid.UUID, 0, len(s.lostBegins))
	noted := make(map[uuid.UUID]time.Time, len(s.lostBegins))
	for id, at := range s.lostBegins {
		ids = append(ids, id)
		noted[id] = at
	}
	s.mu.Unlock()
	var errs []error
	for _, id := range ids {
		var t Trigger
		err := s.query(ctx, func(ctx context.Context) (err error) {
			t, err = s.store.get(ctx, id)
			return err
		})
		if errors.Is(err, store.ErrNotFound) {
			s.forgetLostBegin(id)
			continue
		}
		if err != nil {
			errs = append(errs, err) // ask again next tick
			continue
		}
		s.mu.Lock()
		_, here := s.running[id]
		s.mu.Unlock()
		switch {
		case here:
			s.forgetLostBegin(id) // started again since, and running
		case t.Status == StatusRunning && t.RunningOn == s.name:
			s.forgetLostBegin(id)
			s.log.Warn("trigger: scheduler starts a run whose Begin committed although its answer was lost", "trigger", id, "name", t.Name)
			s.launch(work, t)
		case time.Since(noted[id]) > s.lostBeginWatch():
			s.forgetLostBegin(id) // that Begin did not commit
		}
	}
	return errors.Join(errs...)
}

func (s *Scheduler) forgetLostBegin(id uuid.UUID) {
	s.mu.Lock()
	delete(s.lostBegins, id)
	s.mu.Unlock()
}

// record records how a run ended (settle), retrying while the database
// cannot answer: a record given up would leave the trigger RUNNING for good
// under a live scheduler. The run keeps its place among the scheduler's
// running ones (WithMaxConcurrent) until it is recorded. An answer that the run is no longer ours to record
// (ErrConflict — a retry after a record whose answer was lost finds it
// recorded — or ErrNotFound) ends the retries, and so does the scheduler's
// stop cancelling its work: its heartbeat then goes stale, and other
// schedulers recover the run.
func (s *Scheduler) record(work context.Context, o op, id uuid.UUID) (Status, error) {
	for attempt := 0; ; attempt++ {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(work), s.queryTimeout)
		status, err := s.store.transition(ctx, o, id, s.name)
		cancel()
		if err == nil || errors.Is(err, store.ErrConflict) || errors.Is(err, store.ErrNotFound) ||
			errors.Is(err, store.ErrInvalid) || work.Err() != nil {
			return status, err
		}
		s.log.Warn("trigger: scheduler record run; retrying", "trigger", id, "attempt", attempt+1, "err", err)
		time.Sleep(min(50*time.Millisecond<<min(attempt, 6), 2*time.Second))
	}
}
