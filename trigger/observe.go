package trigger

import (
	"context"
	"errors"
)

// Observer is told about the trigger starts a Scheduler attempts, for
// metrics and tracing: package metrics counts starts and misses with it,
// package tracing makes a span of each start. WithObserver installs one.
// The scheduler calls it from its tick, so its methods must be quick and
// safe for concurrent use; they cannot change what the scheduler does.
//
// The method names carry the word Trigger, so that one type can observe
// schedulers, queues (queue.Observer) and the engine
// (orchestrator.Observer) at once.
type Observer interface {
	// TriggerStart is called before the scheduler tries to start a due
	// trigger (Store.Begin's conditional update). The context it returns
	// is the attempt's: its statements run on it.
	TriggerStart(ctx context.Context, scheduler string, t Trigger) context.Context
	// TriggerStarted reports the attempt's end, with the context
	// TriggerStart returned: err is nil when the trigger started (its
	// handler is being launched), wraps ErrNotStarted when another
	// scheduler was first or it was no longer due, wraps store.ErrInvalid
	// when the trigger cannot start (its stored cron expression is
	// malformed or never fires), and is any other error of the database.
	TriggerStarted(ctx context.Context, scheduler string, t Trigger, err error)
}

// WithObserver makes the scheduler report each start it attempts to o (see
// Observer). It may be given more than once; every observer hears every
// attempt.
func WithObserver(o Observer) SchedulerOption {
	return func(s *Scheduler) {
		if o == nil {
			s.bad(errors.New("WithObserver(nil)"))
			return
		}
		s.observers = append(s.observers, o)
	}
}

// observeStart tells the observers that the scheduler tries to start t and
// returns the attempt's context and the function that reports its end.
func (s *Scheduler) observeStart(ctx context.Context, t Trigger) (context.Context, func(error)) {
	if len(s.observers) == 0 {
		return ctx, func(error) {}
	}
	for _, o := range s.observers {
		ctx = o.TriggerStart(ctx, s.name, t)
	}
	return ctx, func(err error) {
		for i := len(s.observers) - 1; i >= 0; i-- {
			s.observers[i].TriggerStarted(ctx, s.name, t, err)
		}
	}
}
