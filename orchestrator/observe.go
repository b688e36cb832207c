package orchestrator

import (
	"context"
	"errors"
	"time"

	"github.com/google/uuid"
)

// Observer is told about every step an Engine executes, for metrics and
// tracing: package metrics times steps with it, package tracing makes a
// span of each. WithObserver installs one. The engine calls it in the
// goroutine executing the process, so its methods must be quick and safe
// for concurrent use; they cannot change what the engine does.
//
// The method names carry the word Step, so that one type can observe the
// engine, queues (queue.Observer) and schedulers (trigger.Observer) at
// once.
type Observer interface {
	// StepStart is called before a step's transaction begins. The context
	// it returns is the step's: the step's statements and its StepFunc run
	// on it, so a span put into it is their parent.
	StepStart(ctx context.Context, s StepInfo) context.Context
	// StepEnd reports the step's end, with the context StepStart returned.
	StepEnd(ctx context.Context, ev StepEvent)
}

// StepInfo names a step about to run.
type StepInfo struct {
	PID      uuid.UUID
	Workflow string // the workflow's name
	Step     string // the step's name (DoneStep for the final bookkeeping step)
}

// StepEvent is one executed step as an Observer sees it.
type StepEvent struct {
	StepInfo
	// Outcome is the process's status after the step ("running" when the
	// process goes on to the next step, "completed", "failed",
	// "suspended", "waiting", …), or when the step's transaction did not
	// commit: "paused" (the global lock stopped the process before the
	// step), "lost" (another engine, an abort or an unlock took the
	// process), "error" (a database error or the end of the context; Err
	// says which).
	Outcome string
	// Duration is the step's wall-clock time, retries of its transaction
	// included.
	Duration time.Duration
	// Err is the error that kept the step from committing, if any. A step
	// whose StepFunc failed commits its failure: Outcome "failed", Err nil.
	Err error
}

// WithObserver makes the engine report each step to o (see Observer). It
// may be given more than once; every observer hears every step.
func WithObserver(o Observer) EngineOption {
	return func(e *Engine) {
		if o == nil {
			e.bad(errors.New("WithObserver(nil)"))
			return
		}
		e.observers = append(e.observers, o)
	}
}

// observeStep tells the observers that a step starts and returns the
// step's context and the function that reports its end.
func (e *Engine) observeStep(ctx context.Context, r *run, step Step) (context.Context, func(ProcessStatus, error)) {
	if len(e.observers) == 0 {
		return ctx, func(ProcessStatus, error) {}
	}
	info := StepInfo{PID: r.pid, Workflow: r.wf.wf.Name, Step: step.Name}
	for _, o := range e.observers {
		ctx = o.StepStart(ctx, info)
	}
	start := time.Now()
	return ctx, func(status ProcessStatus, err error) {
		ev := StepEvent{StepInfo: info, Outcome: string(status), Duration: time.Since(start), Err: err}
		switch {
		case errors.Is(err, errPaused):
			ev.Outcome, ev.Err = "paused", nil
		case errors.Is(err, errLost):
			ev.Outcome = "lost"
		case err != nil:
			ev.Outcome = "error"
		}
		for i := len(e.observers) - 1; i >= 0; i-- {
			e.observers[i].StepEnd(ctx, ev)
		}
	}
}
