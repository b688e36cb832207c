package trigger

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"

	"github.com/flowstore/flowstore/store"
)

// ErrKilled is the cause (context.Cause) of a handler's context when its
// trigger was killed (status KILLING).
var ErrKilled = errors.New("trigger: killed")

// NameInUseError is returned by Run when the Schedulers row of the
// scheduler's name has a heartbeat younger than the lease: another scheduler
// of that name is alive (two instances during a rolling deploy, a copied
// configuration), or one crashed less than a lease ago — the two cannot be
// told apart. Starting anyway would settle the live one's runs as a crashed
// predecessor's. A scheduler that stopped cleanly released its name, so it
// is not in the way. It wraps store.ErrConflict.
type NameInUseError struct {
	Name          string        // the scheduler name asked for
	LastHeartbeat time.Time     // the row's last_update, store clock
	Lease         time.Duration // the name is free once the heartbeat is this old
}

// Error names the scheduler, its last heartbeat and when the name is free.
func (e *NameInUseError) Error() string {
	return fmt.Sprintf("trigger: scheduler name %q is in use: its last heartbeat, at %s, is less than the lease (%s) old; two live schedulers must not share a name (if the previous one crashed, its name is free from %s)",
		e.Name, e.LastHeartbeat.Format(time.RFC3339), e.Lease, e.LastHeartbeat.Add(e.Lease).Format(time.RFC3339))
}

// Unwrap makes errors.Is(err, store.ErrConflict) true.
func (e *NameInUseError) Unwrap() error { return store.ErrConflict }

// Handler runs one trigger. Its ctx is cancelled when the trigger is killed
// (context.Cause is ErrKilled) or when the scheduler stops and the stop
// timeout has passed; a handler should return soon after. A nil error ends
// the run (End), an error fails it (Fail); a panic counts as an error.
type Handler func(ctx context.Context, t Trigger) error

// Scheduler is OpenOrchestrator's scheduler loop, embeddable and leaderless:
// any number of them, in any number of processes, poll one database and each
// due trigger is started by exactly one (Begin is a conditional UPDATE). Each
// tick it heartbeats in Schedulers, recovers the runs of schedulers whose
// heartbeat went stale, cancels the handlers of triggers set KILLING, and
// starts due triggers it may start: allowed by the whitelist, no blocking run
// in progress here, a blocking trigger only when nothing runs here, at most
// WithMaxConcurrent at once.
type Scheduler struct {
	name          string
	handler       Handler
	poll          time.Duration
	maxConcurrent int
	lease         time.Duration
	whitelistOnly bool
	recover       RecoverMode
	onSettled     func(t Trigger, status Status, err error)
	log           *slog.Logger
	stopTimeout   time.Duration
	queryTimeout  time.Duration
	invalid       error
	observers     []Observer // observe.go

	store     *bunStore
	runCalled atomic.Bool

	mu      sync.Mutex
	running map[uuid.UUID]*job
	// broken holds the due triggers Begin refused as unstartable (a stored
	// cron expression that is malformed or never fires), with the error
	// logged for each, so that it is logged once, not every tick.
	broken map[uuid.UUID]string
	// lostBegins holds the triggers whose Begin failed without a definite
	// answer (lost.go).
	lostBegins map[uuid.UUID]time.Time
	wg         sync.WaitGroup
}

type job struct {
	t      Trigger
	cancel context.CancelCauseFunc
}

// SchedulerOption configures NewScheduler.
type SchedulerOption func(*Scheduler)

// WithName sets the scheduler's name: its row in Schedulers, the name
// whitelists list, and the owner of the runs it starts (OpenOrchestrator
// uses the machine name). It is required, at most 100 characters. Two
// schedulers running at the same time must not share a name: Run refuses to
// start (NameInUseError) while the name is taken.
func WithName(name string) SchedulerOption { return func(s *Scheduler) { s.name = name } }

// WithPollInterval sets the time between two ticks (heartbeat, recovery,
// kill check, starts). Default 6 s, OpenOrchestrator's.
func WithPollInterval(d time.Duration) SchedulerOption {
	return func(s *Scheduler) { s.poll = s.positive("WithPollInterval", d) }
}

// WithMaxConcurrent bounds the handlers running at once (default 4).
func WithMaxConcurrent(n int) SchedulerOption {
	return func(s *Scheduler) {
		if n <= 0 {
			s.bad(fmt.Errorf("WithMaxConcurrent(%d): must be positive", n))
			return
		}
		s.maxConcurrent = n
	}
}

// WithLease sets the heartbeat age after which a scheduler counts as dead:
// other schedulers then recover its runs, and its name is free again
// (default ten poll intervals; it must exceed two). Heartbeats are written
// and compared with each scheduler's store clock (store.WithClock), so the
// lease must also exceed the clock skew between the schedulers' hosts plus
// one poll interval (a live scheduler's heartbeat is up to a poll old):
// with the default 6 s poll and 60 s lease, up to 54 s of skew is
// tolerated. Beyond it, a live scheduler's runs are recovered as if it were
// dead, and with RecoverIdle its triggers start a second time
// (internal/faults' TestClockSkew shows both sides).
func WithLease(d time.Duration) SchedulerOption {
	return func(s *Scheduler) { s.lease = s.positive("WithLease", d) }
}

// WithWhitelistOnly, when on, makes the scheduler start only the triggers
// whose scheduler_whitelist names it. Otherwise (the default) triggers
// without a whitelist start here too.
func WithWhitelistOnly(on bool) SchedulerOption {
	return func(s *Scheduler) { s.whitelistOnly = on }
}

// WithRecover says what recovery does with a dead scheduler's runs
// (default RecoverFail).
func WithRecover(mode RecoverMode) SchedulerOption {
	return func(s *Scheduler) {
		if err := mode.validate(); err != nil {
			s.bad(fmt.Errorf("WithRecover: %w", err))
			return
		}
		s.recover = mode
	}
}

// WithOnSettled sets a function called after each run is recorded, with the
// trigger as started, the status it was left in (if recording was refused,
// which is logged, the status found) and the handler's error (nil for a
// successful run). It is called from the run's goroutine, so calls for
// different runs may overlap.
func WithOnSettled(fn func(t Trigger, status Status, err error)) SchedulerOption {
	return func(s *Scheduler) { s.onSettled = fn }
}

// WithLogger sets where the scheduler logs what it retries or gives up in
// the background (default: the database's logger).
func WithLogger(l *slog.Logger) SchedulerOption {
	return func(s *Scheduler) {
		if l != nil {
			s.log = l
		}
	}
}

// WithStopTimeout sets how long Run, once its context ended, lets the
// running handlers finish before it cancels them (default 30 s; 0 cancels
// them at once). A cancelled run waits again (IDLE), as if never started.
func WithStopTimeout(d time.Duration) SchedulerOption {
	return func(s *Scheduler) {
		if d < 0 {
			s.bad(fmt.Errorf("WithStopTimeout(%s): must not be negative", d))
			return
		}
		s.stopTimeout = d
	}
}

// WithQueryTimeout bounds each query the scheduler runs in the background —
// heartbeats, recovery, kill checks, Due, each Begin, the record of each run,
// the release of its name (default 10 s). Handlers are not bounded by it.
func WithQueryTimeout(d time.Duration) SchedulerOption {
	return func(s *Scheduler) { s.queryTimeout = s.positive("WithQueryTimeout", d) }
}

func (s *Scheduler) positive(opt string, d time.Duration) time.Duration {
	if d <= 0 {
		s.bad(fmt.Errorf("%s(%s): must be positive", opt, d))
	}
	return d
}

func (s *Scheduler) bad(err error) {
	if s.invalid == nil {
		s.invalid = err
	}
}

// NewScheduler returns a scheduler on db that runs handler for the triggers
// it starts. WithName is required. It validates its options and does no I/O;
// Run starts it.
func NewScheduler(db *store.DB, handler Handler, opts ...SchedulerOption) (*Scheduler, error) {
	st, err := newStore(db)
	if err != nil {
		return nil, fmt.Errorf("trigger: new scheduler: %w", err)
	}
	s := &Scheduler{
		handler: handler, poll: 6 * time.Second, maxConcurrent: 4, recover: RecoverFail,
		log: db.Logger(), stopTimeout: 30 * time.Second, queryTimeout: 10 * time.Second,
		store: st, running: map[uuid.UUID]*job{}, broken: map[uuid.UUID]string{},
	}
	for _, o := range opts {
		o(s)
	}
	if s.lease == 0 && s.invalid == nil {
		s.lease = 10 * s.poll
	}
	switch {
	case s.invalid != nil:
	case handler == nil:
		s.bad(errors.New("the handler must not be nil"))
	case s.lease <= 2*s.poll:
		s.bad(fmt.Errorf("WithLease(%s): must exceed two poll intervals (%s)", s.lease, 2*s.poll))
	case s.name == "":
		s.bad(errors.New("WithName is required"))
	default:
		s.bad(st.checkSchedulerName(s.name))
	}
	if s.invalid != nil {
		if !errors.Is(s.invalid, store.ErrInvalid) && !errors.Is(s.invalid, store.ErrTooLong) {
			s.invalid = fmt.Errorf("%w: %w", store.ErrInvalid, s.invalid)
		}
		if s.name != "" {
			return nil, fmt.Errorf("trigger: new scheduler %q: %w", s.name, s.invalid)
		}
		return nil, fmt.Errorf("trigger: new scheduler: %w", s.invalid)
	}
	s.log = s.log.With("scheduler", s.name)
	return s, nil
}

// Name returns the scheduler's name.
func (s *Scheduler) Name() string { return s.name }

// Running returns the triggers this scheduler is running now.
func (s *Scheduler) Running() []Trigger {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Trigger, 0, len(s.running))
	for _, j := range s.running {
		out = append(out, j.t)
	}
	return out
}

// Run takes the scheduler's name and ticks every poll interval until ctx
// ends. Database errors during a tick are logged and the loop goes on, as
// OpenOrchestrator's does.
//
// It first takes its name, in one transaction: the Schedulers row of the
// name becomes its own, with a fresh heartbeat, and the runs a previous
// scheduler of the name left behind (it crashed and was restarted) are
// settled as WithRecover says. If the name's heartbeat is younger than the
// lease, Run returns a *NameInUseError and changes nothing; if the database
// cannot be reached, it returns that error.
//
// When ctx ends, Run starts no more triggers and lets the running handlers
// finish for at most the stop timeout, heartbeating and honouring kills
// meanwhile; then it cancels them, and their runs wait again (IDLE) as if
// never started. Last it releases its name: it removes its Schedulers row,
// so a scheduler of the same name can start at once — unless a run it
// started is still active (a handler that ignores its context, a record
// that failed), whose row stays so that its heartbeat goes stale and other
// schedulers recover the run. Run then returns nil. Run may be called once.
func (s *Scheduler) Run(ctx context.Context) error {
	if err := store.CheckContext(ctx); err != nil {
		return fmt.Errorf("trigger: run scheduler %q: %w", s.name, err)
	}
	if !s.runCalled.CompareAndSwap(false, true) {
		return fmt.Errorf("trigger: run scheduler %q: %w: Run may be called once", s.name, store.ErrInvalid)
	}
	if err := s.takeName(ctx); err != nil {
		var inUse *NameInUseError
		if errors.As(err, &inUse) {
			return err
		}
		return fmt.Errorf("trigger: run scheduler %q: take its name: %w", s.name, err)
	}
	// The handlers outlive ctx: they may finish after it ended.
	work, cancelWork := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelWork()
	tick := time.NewTicker(s.poll)
	defer tick.Stop()
	for {
		if err := s.tick(ctx, work); err != nil && ctx.Err() == nil {
			s.log.Warn("trigger: scheduler tick", "err", err)
		}
		select {
		case <-ctx.Done():
			s.stop(context.WithoutCancel(ctx), tick, cancelWork)
			return nil
		case <-tick.C:
		}
	}
}

// takeName takes the scheduler's name for Run (see bunStore.takeName).
func (s *Scheduler) takeName(ctx context.Context) error {
	take := func() (err error) {
		var n int
		err = s.query(ctx, func(ctx context.Context) (err error) {
			n, err = s.store.takeName(ctx, s.name, s.lease, s.recover)
			return err
		})
		if n > 0 {
			s.log.Warn("trigger: scheduler recovered runs a previous scheduler of its name left", "runs", n, "mode", s.recover)
		}
		return err
	}
	inUse := func() error {
		var last time.Time
		var found bool
		err := s.query(ctx, func(ctx context.Context) (err error) {
			last, found, err = s.store.lastHeartbeat(ctx, s.name)
			return err
		})
		switch {
		case err != nil:
			return err
		case !found:
			return nil // released since: free
		}
		return &NameInUseError{Name: s.name, LastHeartbeat: last, Lease: s.lease}
	}
	// Twice at most: the holder may release the name between the take and
	// the read of its heartbeat.
	for range 2 {
		err := take()
		if !errors.Is(err, errNameTaken) {
			return err
		}
		if err := inUse(); err != nil {
			return err
		}
	}
	return fmt.Errorf("%w: the name was taken and released while Run started; try again", store.ErrConflict)
}

// stop lets the running handlers finish for at most the stop timeout, then
// cancels them, waits for their runs to be recorded and releases the name.
// ctx is detached from Run's cancelled context.
func (s *Scheduler) stop(ctx context.Context, tick *time.Ticker, cancelWork context.CancelFunc) {
	done := make(chan struct{})
	go func() {
		s.wg.Wait()
		close(done)
	}()
	deadline := time.NewTimer(s.stopTimeout)
	defer deadline.Stop()
drain:
	for {
		select {
		case <-done:
			break drain
		case <-deadline.C:
			break drain
		case <-tick.C:
			// Still alive while runs finish: the heartbeat keeps the runs
			// from being recovered, and a kill still reaches its handler.
			if err := s.query(ctx, func(ctx context.Context) error { return s.store.heartbeat(ctx, s.name) }); err != nil {
				s.log.Warn("trigger: scheduler heartbeat while stopping", "err", err)
			}
			if err := s.checkKills(ctx); err != nil {
				s.log.Warn("trigger: scheduler kill check while stopping", "err", err)
			}
		}
	}
	cancelWork()
	// Cancelled handlers return and their runs are recorded, each record
	// bounded by the query timeout; a handler that ignores its context is
	// left behind, and its run with it.
	select {
	case <-done:
	case <-time.After(s.queryTimeout):
		s.log.Warn("trigger: scheduler stopped with handlers still running that ignore their context", "running", len(s.Running()))
	}
	var released bool
	err := s.query(ctx, func(ctx context.Context) (err error) {
		released, err = s.store.releaseName(ctx, s.name)
		return err
	})
	switch {
	case err != nil:
		s.log.Warn("trigger: scheduler release its name; it stays taken until its heartbeat is older than the lease", "err", err)
	case !released:
		var found bool
		_ = s.query(ctx, func(ctx context.Context) (err error) {
			_, found, err = s.store.lastHeartbeat(ctx, s.name)
			return err
		})
		if found {
			s.log.Warn("trigger: scheduler stopped with runs still recorded as its own; they are recovered, and its name is free, once its heartbeat is older than the lease")
		}
	}
}

// query runs fn on a context bounded by the query timeout.
func (s *Scheduler) query(ctx context.Context, fn func(ctx context.Context) error) error {
	ctx, cancel := context.WithTimeout(ctx, s.queryTimeout)
	defer cancel()
	return fn(ctx)
}

// Tick does one round of the loop: heartbeat, recovery of stale schedulers'
// runs, kill check, starts. Run calls it every poll interval; tests and
// manual drivers may call it directly, without Run (it does not take the
// name). Handlers it starts run on ctx.
func (s *Scheduler) Tick(ctx context.Context) error {
	if err := store.CheckContext(ctx); err != nil {
		return wrap(err, "tick scheduler %q", s.name)
	}
	return wrap(s.tick(ctx, ctx), "tick scheduler %q", s.name)
}

// tick does one round; its queries run on ctx, the handlers it starts on
// work.
func (s *Scheduler) tick(ctx, work context.Context) error {
	var errs []error
	if err := s.query(ctx, func(ctx context.Context) error { return s.store.heartbeat(ctx, s.name) }); err != nil {
		errs = append(errs, fmt.Errorf("heartbeat: %w", err))
	}
	if err := s.recoverStale(ctx); err != nil {
		errs = append(errs, fmt.Errorf("recover stale schedulers: %w", err))
	}
	if err := s.checkKills(ctx); err != nil {
		errs = append(errs, fmt.Errorf("kill check: %w", err))
	}
	if err := s.relaunchLostBegins(ctx, work); err != nil {
		errs = append(errs, fmt.Errorf("check failed begins: %w", err))
	}
	if err := s.startDue(ctx, work); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// recoverStale settles the runs of schedulers whose heartbeat is older than
// the lease, each scheduler's on a query of its own.
func (s *Scheduler) recoverStale(ctx context.Context) error {
	staleBefore := s.store.h.Now().Add(-s.lease)
	var names []string
	err := s.query(ctx, func(ctx context.Context) (err error) {
		names, err = s.store.staleSchedulers(ctx, staleBefore)
		return err
	})
	if err != nil {
		return err
	}
	total := 0
	for _, name := range names {
		var n int
		err := s.query(ctx, func(ctx context.Context) (err error) {
			n, err = s.store.recoverScheduler(ctx, name, staleBefore, s.recover)
			return err
		})
		if err != nil {
			return err
		}
		total += n
	}
	if total > 0 {
		s.log.Warn("trigger: scheduler recovered runs of stale schedulers", "runs", total, "mode", s.recover)
	}
	return nil
}

func (s *Scheduler) checkKills(ctx context.Context) error {
	s.mu.Lock()
	n := len(s.running)
	s.mu.Unlock()
	if n == 0 {
		return nil
	}
	var ids []uuid.UUID
	err := s.query(ctx, func(ctx context.Context) (err error) {
		ids, err = s.store.killing(ctx, s.name)
		return err
	})
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, id := range ids {
		if j, ok := s.running[id]; ok {
			j.cancel(ErrKilled)
		}
	}
	return nil
}

// allowed applies OpenOrchestrator's whitelist rule.
func (s *Scheduler) allowed(t Trigger) bool {
	if len(t.SchedulerWhitelist) > 0 {
		return slices.Contains(t.SchedulerWhitelist, s.name)
	}
	return !s.whitelistOnly
}

// capacity returns how many runs may start now and whether a blocking one
// may (nothing runs here).
func (s *Scheduler) capacity() (free int, idle bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, j := range s.running {
		if j.t.IsBlocking {
			return 0, false
		}
	}
	return s.maxConcurrent - len(s.running), len(s.running) == 0
}

func (s *Scheduler) startDue(ctx, work context.Context) error {
	free, idle := s.capacity()
	if free <= 0 {
		return nil
	}
	// All due triggers, not just the first free ones: the walk below skips
	// the triggers this scheduler may not start (whitelisted for another
	// scheduler, blocking while something runs here, just taken by a
	// competitor), and those can fill the head of the order tick after
	// tick — a trigger whitelisted for a scheduler that is down stays due
	// for good. Behind a limit, the triggers this scheduler could start
	// would starve. Nor would a limit save much: Due's cost is finding the
	// due set (every queue trigger's COUNT, the sort), which LIMIT does not
	// shorten (BenchmarkDue, limit4-ns/op).
	var due []Trigger
	err := s.query(ctx, func(ctx context.Context) (err error) {
		due, err = s.store.due(ctx, s.store.h.Now(), 0)
		return err
	})
	if err != nil {
		return fmt.Errorf("due triggers: %w", err)
	}
	for _, t := range due {
		if free <= 0 || ctx.Err() != nil {
			return nil
		}
		if !s.allowed(t) || (t.IsBlocking && !idle) {
			continue
		}
		var started Trigger
		octx, observed := s.observeStart(ctx, t)
		err := s.query(octx, func(ctx context.Context) (err error) {
			started, err = s.store.begin(ctx, t, s.name)
			return err
		})
		observed(err)
		if errors.Is(err, ErrNotStarted) {
			continue // another scheduler was first, or it is no longer due
		}
		if errors.Is(err, store.ErrInvalid) {
			// The trigger cannot start (its stored cron expression is
			// malformed or never fires: another program wrote it). Nothing
			// was written; it stays IDLE until someone fixes it, and the
			// triggers after it still start.
			s.unstartable(t, err)
			continue
		}
		if err != nil {
			s.noteLostBegin(t.ID) // it may have committed (lost.go)
			return fmt.Errorf("begin %s: %w", t.ID, err)
		}
		s.mu.Lock()
		delete(s.broken, t.ID)
		s.mu.Unlock()
		s.launch(work, started)
		free--
		idle = false
		if started.IsBlocking {
			return nil
		}
	}
	return nil
}

// unstartable logs, once per trigger and error, a due trigger that Begin
// refused as unstartable.
func (s *Scheduler) unstartable(t Trigger, err error) {
	s.mu.Lock()
	seen := s.broken[t.ID] == err.Error()
	s.broken[t.ID] = err.Error()
	s.mu.Unlock()
	if !seen {
		s.log.Warn("trigger: scheduler cannot start a due trigger; it stays IDLE until it is fixed", "trigger", t.ID, "name", t.Name, "err", err)
	}
}

// launch runs the handler of a started trigger on a context of its own,
// derived from work, and records the run when the handler returns.
func (s *Scheduler) launch(work context.Context, t Trigger) {
	jctx, cancel := context.WithCancelCause(work)
	j := &job{t: t, cancel: cancel}
	s.mu.Lock()
	s.running[t.ID] = j
	s.mu.Unlock()
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		err := s.call(jctx, t)
		killed := errors.Is(context.Cause(jctx), ErrKilled)
		cancel(nil)
		s.settle(work, t, err, killed)
		// Once settle has recorded the run, the trigger is IDLE again and
		// the next tick may already have started it anew (a queue trigger
		// re-fires at once while its queue is full), replacing this entry
		// with the new run's. Only our own entry is ours to remove.
		s.mu.Lock()
		if s.running[t.ID] == j {
			delete(s.running, t.ID)
		}
		s.mu.Unlock()
	}()
}

func (s *Scheduler) call(ctx context.Context, t Trigger) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("handler panic: %v", p)
		}
	}()
	return s.handler(ctx, t)
}

// settle records how a run ended, on contexts that survive the scheduler's
// stop, each attempt bounded by the query timeout; an attempt the database
// could not answer is retried (record, lost.go).
func (s *Scheduler) settle(work context.Context, t Trigger, err error, killed bool) {
	o := opEndOwn
	switch {
	case err == nil:
	case killed:
		o = opFailOwn // KILLING → KILLED
	case work.Err() != nil && errors.Is(err, context.Canceled):
		o = opReleaseOwn // interrupted by our stop, not the trigger's fault
	default:
		o = opFailOwn
	}
	status, serr := s.record(work, o, t.ID)
	if serr != nil {
		s.log.Warn("trigger: scheduler record run", "trigger", t.ID, "name", t.Name, "handler_err", err, "err", serr)
	}
	if s.onSettled != nil {
		s.onSettled(t, status, err)
	}
}
