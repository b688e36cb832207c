package trigger

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/flowstore/flowstore/store"
)

// ErrKilled is the cause (context.Cause) of a handler's context when its
// trigger was killed (status KILLING).
var ErrKilled = errors.New("flowstore: trigger killed")

// NameInUseError is returned by Run when the Schedulers row of the
// scheduler's name has a heartbeat younger than StaleAfter: another scheduler
// of that name is alive (two instances during a rolling deploy, a copied
// configuration), or one stopped or crashed less than StaleAfter ago — the
// two cannot be told apart. Starting anyway would settle the live one's runs
// as a crashed predecessor's. It wraps store.ErrConflict.
type NameInUseError struct {
	Name          string        // the scheduler name asked for
	LastHeartbeat time.Time     // the row's last_update, store clock
	StaleAfter    time.Duration // the name is free once the heartbeat is this old
}

// Error names the scheduler, its last heartbeat and when the name is free.
func (e *NameInUseError) Error() string {
	return fmt.Sprintf("flowstore: scheduler name %q is in use: its last heartbeat, at %s, is less than %s old; two live schedulers must not share a name (if the previous one has stopped, start again after %s)",
		e.Name, e.LastHeartbeat.Format(time.RFC3339), e.StaleAfter, e.LastHeartbeat.Add(e.StaleAfter).Format(time.RFC3339))
}

// Unwrap makes errors.Is(err, store.ErrConflict) true.
func (e *NameInUseError) Unwrap() error { return store.ErrConflict }

// Handler runs one trigger. Its ctx is cancelled when the trigger is killed
// (context.Cause is ErrKilled) or the scheduler stops; a handler should
// return soon after. A nil error ends the run (End), an error fails it
// (Fail); a panic counts as an error.
type Handler func(ctx context.Context, t Trigger) error

// SchedulerConfig configures a Scheduler. Name and Handler are required.
type SchedulerConfig struct {
	// Name identifies the scheduler in the Schedulers table and in
	// whitelists (OpenOrchestrator uses the machine name). Two schedulers
	// running at the same time must not share a name: Run refuses to start
	// (NameInUseError) while the name's heartbeat is younger than
	// StaleAfter.
	Name string
	// Handler runs the triggers this scheduler starts.
	Handler Handler
	// PollInterval is the time between two ticks (heartbeat, recovery,
	// kill check, starts). Default 6s, OpenOrchestrator's.
	PollInterval time.Duration
	// WhitelistOnly: start only triggers whose scheduler_whitelist names
	// this scheduler. Otherwise triggers without a whitelist start here too.
	WhitelistOnly bool
	// MaxConcurrent bounds the handlers running at once. Default 4.
	MaxConcurrent int
	// StaleAfter: a scheduler whose heartbeat (on the store clock) is older
	// than this is considered dead and its runs are recovered. Default ten
	// poll intervals; it must exceed two.
	StaleAfter time.Duration
	// Recover says what recovery does with a dead scheduler's runs
	// (default RecoverFail).
	Recover RecoverMode
	// OnSettled, when set, is called after each run is recorded, with the
	// trigger as started, the status it was left in (if recording was
	// refused, which is logged, the status found), and the handler's error (nil for a
	// successful run). It is called from the run's goroutine, so calls for
	// different runs may overlap.
	OnSettled func(t Trigger, status Status, err error)
	// Logger receives the scheduler's warnings (default: the DB's logger).
	Logger *slog.Logger
}

// Scheduler is OpenOrchestrator's scheduler loop, embeddable and leaderless:
// any number of them, in any number of processes, poll one database and each
// due trigger is started by exactly one (Begin is a conditional UPDATE). Each
// tick it heartbeats in Schedulers, recovers the runs of schedulers whose
// heartbeat went stale, cancels the handlers of triggers set KILLING, and
// starts due triggers it may start: allowed by the whitelist, no blocking run
// in progress here, a blocking trigger only when nothing runs here, at most
// MaxConcurrent at once.
type Scheduler struct {
	cfg   SchedulerConfig
	store *BunStore
	log   *slog.Logger

	mu      sync.Mutex
	running map[uuid.UUID]*job
	wg      sync.WaitGroup
}

type job struct {
	t      Trigger
	cancel context.CancelCauseFunc
}

// NewScheduler returns a scheduler on db; Run starts it.
func NewScheduler(db *store.DB, cfg SchedulerConfig) (*Scheduler, error) {
	if err := required("scheduler Name", cfg.Name); err != nil {
		return nil, err
	}
	if err := checkLen("scheduler Name", cfg.Name, MaxSchedulerName); err != nil {
		return nil, err
	}
	if cfg.Handler == nil {
		return nil, fmt.Errorf("%w: scheduler %q: Handler is required", store.ErrInvalid, cfg.Name)
	}
	if cfg.PollInterval <= 0 {
		cfg.PollInterval = 6 * time.Second
	}
	if cfg.MaxConcurrent <= 0 {
		cfg.MaxConcurrent = 4
	}
	if cfg.StaleAfter == 0 {
		cfg.StaleAfter = 10 * cfg.PollInterval
	}
	if cfg.StaleAfter <= 2*cfg.PollInterval {
		return nil, fmt.Errorf("%w: scheduler %q: StaleAfter %s must exceed two poll intervals (%s)", store.ErrInvalid, cfg.Name, cfg.StaleAfter, 2*cfg.PollInterval)
	}
	if cfg.Recover != RecoverFail && cfg.Recover != RecoverIdle {
		return nil, fmt.Errorf("%w: scheduler %q: unknown Recover mode %d", store.ErrInvalid, cfg.Name, cfg.Recover)
	}
	log := cfg.Logger
	if log == nil {
		log = db.Logger()
	}
	return &Scheduler{
		cfg:     cfg,
		store:   New(db),
		log:     log.With("scheduler", cfg.Name),
		running: map[uuid.UUID]*job{},
	}, nil
}

// Name returns the scheduler's name.
func (s *Scheduler) Name() string { return s.cfg.Name }

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

// Run polls until ctx is cancelled, then cancels the running handlers, waits
// for them, records their runs and returns nil. Database errors during a
// tick are logged and the loop goes on, as OpenOrchestrator's does.
//
// Before its first heartbeat Run reads the Schedulers row of its name. If
// that heartbeat is younger than StaleAfter, Run returns a *NameInUseError
// and changes nothing. Otherwise the runs still owned by the name were left
// by a previous scheduler of that name (it crashed and was restarted), and
// Run settles them as Recover says. Until the row can be read Run does
// nothing else, and tries again every PollInterval.
func (s *Scheduler) Run(ctx context.Context) error {
	tick := time.NewTicker(s.cfg.PollInterval)
	defer tick.Stop()
	for {
		err := s.start(ctx)
		if err == nil {
			break
		}
		var inUse *NameInUseError
		if errors.As(err, &inUse) {
			return err
		}
		if ctx.Err() == nil {
			s.log.Warn("flowstore scheduler: start", "err", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
	}
	for {
		if err := s.Tick(ctx); err != nil && ctx.Err() == nil {
			s.log.Warn("flowstore scheduler: tick", "err", err)
		}
		select {
		case <-ctx.Done():
			s.wg.Wait()
			return nil
		case <-tick.C:
		}
	}
}

// start makes sure no live scheduler has the name (else a *NameInUseError),
// heartbeats, and settles the runs a previous scheduler of the name left
// behind.
func (s *Scheduler) start(ctx context.Context) error {
	last, found, err := s.store.lastHeartbeat(ctx, s.cfg.Name)
	if err != nil {
		return fmt.Errorf("read own heartbeat: %w", err)
	}
	// Tick's staleness rule, read the other way: not stale is alive.
	if found && !last.Before(s.store.h.Now().Add(-s.cfg.StaleAfter)) {
		return &NameInUseError{Name: s.cfg.Name, LastHeartbeat: last, StaleAfter: s.cfg.StaleAfter}
	}
	if err := s.store.Heartbeat(ctx, s.cfg.Name); err != nil && ctx.Err() == nil {
		s.log.Warn("flowstore scheduler: heartbeat", "err", err)
	}
	if n, err := s.store.recoverOwn(ctx, s.cfg.Name, s.cfg.Recover); err != nil && ctx.Err() == nil {
		s.log.Warn("flowstore scheduler: recover own runs", "err", err)
	} else if n > 0 {
		s.log.Warn("flowstore scheduler: recovered runs a previous scheduler of this name left", "runs", n, "mode", s.cfg.Recover)
	}
	return nil
}

// Tick does one round of the loop: heartbeat, recovery of stale schedulers'
// runs, kill check, starts. Run calls it every PollInterval; tests may call
// it directly. Handlers it starts run on ctx.
func (s *Scheduler) Tick(ctx context.Context) error {
	var errs []error
	if err := s.store.Heartbeat(ctx, s.cfg.Name); err != nil {
		errs = append(errs, fmt.Errorf("heartbeat: %w", err))
	}
	staleBefore := s.store.h.Now().Add(-s.cfg.StaleAfter)
	if n, err := s.store.RecoverStale(ctx, staleBefore, s.cfg.Recover); err != nil {
		errs = append(errs, fmt.Errorf("recover stale schedulers: %w", err))
	} else if n > 0 {
		s.log.Warn("flowstore scheduler: recovered runs of stale schedulers", "runs", n, "mode", s.cfg.Recover)
	}
	if err := s.checkKills(ctx); err != nil {
		errs = append(errs, fmt.Errorf("kill check: %w", err))
	}
	if err := s.startDue(ctx); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

func (s *Scheduler) checkKills(ctx context.Context) error {
	s.mu.Lock()
	n := len(s.running)
	s.mu.Unlock()
	if n == 0 {
		return nil
	}
	ids, err := s.store.killing(ctx, s.cfg.Name)
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
		return slices.Contains(t.SchedulerWhitelist, s.cfg.Name)
	}
	return !s.cfg.WhitelistOnly
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
	return s.cfg.MaxConcurrent - len(s.running), len(s.running) == 0
}

func (s *Scheduler) startDue(ctx context.Context) error {
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
	due, err := s.store.Due(ctx, s.store.h.Now(), 0)
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
		started, err := s.store.Begin(ctx, t, s.cfg.Name)
		if errors.Is(err, ErrNotStarted) {
			continue // another scheduler was first, or it is no longer due
		}
		if err != nil {
			return fmt.Errorf("begin %s: %w", t.ID, err)
		}
		s.launch(ctx, started)
		free--
		idle = false
		if started.IsBlocking {
			return nil
		}
	}
	return nil
}

func (s *Scheduler) launch(ctx context.Context, t Trigger) {
	jctx, cancel := context.WithCancelCause(ctx)
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
		s.settle(ctx, t, err, killed)
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
	return s.cfg.Handler(ctx, t)
}

// settle records how a run ended, on a context that survives the
// scheduler's stop (bounded, so a dead database cannot hold Run forever).
func (s *Scheduler) settle(runCtx context.Context, t Trigger, err error, killed bool) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(runCtx), 30*time.Second)
	defer cancel()
	o := opEndOwn
	switch {
	case err == nil:
	case killed:
		o = opFailOwn // KILLING → KILLED
	case runCtx.Err() != nil && errors.Is(err, context.Canceled):
		o = opReleaseOwn // interrupted by our stop, not the trigger's fault
	default:
		o = opFailOwn
	}
	status, serr := s.store.transition(ctx, o, t.ID, s.cfg.Name)
	if serr != nil {
		s.log.Warn("flowstore scheduler: record run", "trigger", t.ID, "name", t.Name, "handler_err", err, "err", serr)
	}
	if s.cfg.OnSettled != nil {
		s.cfg.OnSettled(t, status, err)
	}
}
