package pipeline

import (
	"context"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/flowstore/flowstore/store"
)

// TimerRunner fires the timers of a database: it calls FireDueTimers every
// poll interval until its context ends. It is the long-running part of the
// package and has the lifecycle of every such part of flowstore (see package
// store): NewTimerRunner starts nothing, Run works until its context ends.
//
// Any number of runners — in one process or many — may run on one database:
// each occurrence of a timer fires once however many race for it.
type TimerRunner struct {
	st           *bunStore
	poll         time.Duration
	queryTimeout time.Duration
	stopTimeout  time.Duration
	logger       *slog.Logger
	onFire       func(Firing)
	err          error // the first invalid option, returned by NewTimerRunner

	running atomic.Bool
}

// TimerOption configures a TimerRunner.
type TimerOption func(*TimerRunner)

// WithPollInterval sets how often the runner looks for due timers (default
// 10 s). Cron expressions count minutes, so an occurrence fires at most
// this long after its time.
func WithPollInterval(d time.Duration) TimerOption {
	return func(r *TimerRunner) { r.poll = r.positive("WithPollInterval", d) }
}

// WithQueryTimeout bounds each FireDueTimers call (default 10 s): the reads
// and the transactions that claim and start the due timers.
func WithQueryTimeout(d time.Duration) TimerOption {
	return func(r *TimerRunner) { r.queryTimeout = r.positive("WithQueryTimeout", d) }
}

// WithStopTimeout sets how long Run lets a FireDueTimers call that is under
// way when its context ends finish before cancelling it (default 30 s). A
// cancelled call rolls back the timer it was firing, which fires on the
// next call of any runner.
func WithStopTimeout(d time.Duration) TimerOption {
	return func(r *TimerRunner) { r.stopTimeout = r.positive("WithStopTimeout", d) }
}

// WithLogger sets where the runner reports failed calls (default: the
// database's logger).
func WithLogger(l *slog.Logger) TimerOption {
	return func(r *TimerRunner) {
		if l == nil {
			r.bad(fmt.Errorf("%w: WithLogger(nil)", store.ErrInvalid))
			return
		}
		r.logger = l
	}
}

// WithOnFire sets a function the runner calls with every Firing, in the
// runner's goroutine, after the timer's transaction committed. A slow
// function delays the next call of FireDueTimers.
func WithOnFire(fn func(Firing)) TimerOption {
	return func(r *TimerRunner) { r.onFire = fn }
}

func (r *TimerRunner) positive(opt string, d time.Duration) time.Duration {
	if d <= 0 {
		r.bad(fmt.Errorf("%w: %s(%v): want a positive duration", store.ErrInvalid, opt, d))
	}
	return d
}

func (r *TimerRunner) bad(err error) {
	if r.err == nil {
		r.err = err
	}
}

// NewTimerRunner returns a runner for the timers of db. It checks its
// options and does no I/O; Run starts it.
func NewTimerRunner(db *store.DB, opts ...TimerOption) (*TimerRunner, error) {
	if db == nil {
		return nil, fail("new timer runner", fmt.Errorf("%w: nil database", store.ErrInvalid))
	}
	r := &TimerRunner{
		st:           newStore(db),
		poll:         10 * time.Second,
		queryTimeout: 10 * time.Second,
		stopTimeout:  30 * time.Second,
		logger:       db.Logger(),
	}
	for _, o := range opts {
		o(r)
	}
	if r.err != nil {
		return nil, fail("new timer runner", r.err)
	}
	return r, nil
}

// Run fires due timers, once at the start and then every poll interval,
// until ctx ends; a failed call is logged and the next one tried at the
// next interval. When ctx ends Run starts no new call, lets the one under
// way finish for at most the stop timeout, then cancels it, and returns
// nil. The runner holds nothing between calls, so there is nothing to
// release. Run may be called once.
func (r *TimerRunner) Run(ctx context.Context) error {
	if err := store.CheckContext(ctx); err != nil {
		return fail("run timer runner", err)
	}
	if !r.running.CompareAndSwap(false, true) {
		return fail("run timer runner", fmt.Errorf("%w: Run was called before", store.ErrInvalid))
	}
	// The calls run on a context that ctx's end does not cancel, so that a
	// call under way may finish; cancelWork stops it after the stop timeout.
	work, cancelWork := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelWork()
	done := make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(r.poll)
		defer tick.Stop()
		for ctx.Err() == nil {
			r.fire(work)
			select {
			case <-ctx.Done():
			case <-tick.C:
			}
		}
	}()
	<-ctx.Done()
	stop := time.NewTimer(r.stopTimeout)
	defer stop.Stop()
	select {
	case <-done:
	case <-stop.C:
		cancelWork()
		<-done
	}
	return nil
}

// fire runs one FireDueTimers call under the query timeout and reports its
// firings.
func (r *TimerRunner) fire(work context.Context) {
	ctx, cancel := context.WithTimeout(work, r.queryTimeout)
	defer cancel()
	fired, err := r.st.FireDueTimers(ctx)
	if r.onFire != nil {
		for _, f := range fired { // committed even when a later timer failed
			r.onFire(f)
		}
	}
	if err != nil && work.Err() == nil { // not the cancellation at the end of Run
		r.logger.WarnContext(work, "pipeline: timer runner: firing due timers failed; trying again at the next poll",
			"error", err, "poll_interval", r.poll)
	}
}
