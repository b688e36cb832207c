package orchestrator

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"

	"github.com/flowstore/flowstore/store"
)

// ErrNotRunning is what RunProcess, Resume and RecoverOnce return when the
// engine's Run is not running: not started (within the query timeout), or
// stopped. Run registers the engine instance whose ownership every step is
// fenced on, so nothing runs without it.
var ErrNotRunning = errors.New("engine is not running")

// Workflow is a workflow the engine can run: a name (unique), a target, and
// its steps in order.
type Workflow struct {
	Name        string // unique; the workflows row's name
	Target      Target // one of the Target values
	Description string // saved as workflows.description ("" as NULL)
	// IsTask marks processes of this workflow as tasks: only tasks can be
	// deleted, and their failures map to inconsistent_data/api_unavailable.
	IsTask bool
	Steps  []Step // in order; the engine appends DoneStep
}

// DoneStep is the name of the step the engine appends to every workflow,
// which completes the process (WFO's "Done").
const DoneStep = "Done"

// Engine runs WFO workflows. Each step is one transaction: the step's writes,
// its process_steps row, the processes row and the running_processes counter
// commit together, so a crash loses a whole step or nothing. Several engines
// (goroutines or OS processes) may share a database; while Run runs, each is
// registered in engine_instances with a lease it renews, owns the processes
// it runs (processes.engine_instance_id), and recovers the running processes
// of engines whose lease expired. Every step commit is fenced on ownership,
// so a process is executed by at most one engine at a time.
type Engine struct {
	db   *store.DB
	st   *bunStore
	name string
	by   *string
	log  *slog.Logger

	lease, poll, stopTimeout, queryTimeout time.Duration
	maxC                                   int
	invalid                                error      // the first invalid option
	observers                              []Observer // observe.go

	mu        sync.Mutex
	workflows map[string]*registered // by name
	byID      map[uuid.UUID]*registered
	active    map[uuid.UUID]bool // processes executing in this engine
	running   bool               // Run takes work (set once registered, cleared when stopping)
	work      context.Context    // ends when Run cancels the work still running
	inflight  sync.WaitGroup     // executions Run waits for when it stops

	runCalled atomic.Bool
	ps        *prepared     // set by Run before ready is closed
	ready     chan struct{} // closed once Run registered the engine
	stopping  chan struct{} // closed when Run stops taking work
	stopped   chan struct{} // closed when Run returns
}

type registered struct {
	wf Workflow
	id uuid.UUID
}

// EngineOption configures NewEngine.
type EngineOption func(*Engine)

// WithLease sets how long the engine's lease lasts without a heartbeat
// (default 15 s; the heartbeat runs every third of it). Processes of an
// engine whose lease expired are recovered by other engines. Leases are
// written and compared with each engine's store clock (store.WithClock), so
// the clock skew between the engines' hosts must stay below two thirds of
// the lease (see the package doc).
func WithLease(d time.Duration) EngineOption {
	return func(e *Engine) { e.lease = e.positive("WithLease", d) }
}

// WithPollInterval sets how often Run looks for work (default 1 s): new and
// resumed processes, and running ones whose engine is gone.
func WithPollInterval(d time.Duration) EngineOption {
	return func(e *Engine) { e.poll = e.positive("WithPollInterval", d) }
}

// WithMaxConcurrent sets how many processes Run executes at once (default
// 4). RunProcess and Resume calls run in their callers' goroutines and do not
// count.
func WithMaxConcurrent(n int) EngineOption {
	return func(e *Engine) {
		if n <= 0 {
			e.bad(fmt.Errorf("WithMaxConcurrent(%d): must be positive", n))
			return
		}
		e.maxC = n
	}
}

// WithName sets the engine's name: its engine_instances row and the owner
// its processes carry (default: host name, OS pid and a random suffix). It
// must be unique among live engines; an engine restarted under the name of
// one whose lease expired takes that registration over, and with it the
// processes left running under it.
func WithName(name string) EngineOption { return func(e *Engine) { e.name = name } }

// WithCreatedBy sets process_steps.created_by for the steps this engine runs.
func WithCreatedBy(user string) EngineOption { return func(e *Engine) { e.by = &user } }

// WithStopTimeout sets how long Run, once its context ended, lets the steps
// running then finish before it cancels them (default 30 s; 0 cancels them
// at once). A cancelled step rolls back; its process stays running for any
// engine to continue.
func WithStopTimeout(d time.Duration) EngineOption {
	return func(e *Engine) {
		if d < 0 {
			e.bad(fmt.Errorf("WithStopTimeout(%s): must not be negative", d))
			return
		}
		e.stopTimeout = d
	}
}

// WithQueryTimeout bounds each query the engine runs in the background —
// registration, heartbeats, polls, claims, releases, deregistration
// (default 10 s) — and how long RunProcess waits for Run to register. Steps
// are not bounded by it: they run as long as their own code takes.
func WithQueryTimeout(d time.Duration) EngineOption {
	return func(e *Engine) { e.queryTimeout = e.positive("WithQueryTimeout", d) }
}

// WithLogger sets where the engine logs what it retries or gives up in the
// background (default: the database's logger).
func WithLogger(l *slog.Logger) EngineOption {
	return func(e *Engine) {
		if l != nil {
			e.log = l
		}
	}
}

func (e *Engine) positive(opt string, d time.Duration) time.Duration {
	if d <= 0 {
		e.bad(fmt.Errorf("%s(%s): must be positive", opt, d))
	}
	return d
}

func (e *Engine) bad(err error) {
	if e.invalid == nil {
		e.invalid = err
	}
}

// NewEngine makes an engine on db. It validates its options and does no
// I/O; the engine registers itself and starts working when Run is called.
// Register, Start and Store work before that.
func NewEngine(db *store.DB, opts ...EngineOption) (*Engine, error) {
	if db == nil {
		return nil, fmt.Errorf("orchestrator: new engine: %w: nil database", store.ErrInvalid)
	}
	host, _ := os.Hostname()
	e := &Engine{
		db: db, st: newStore(db), log: db.Logger(),
		name:  fmt.Sprintf("%.30s:%d:%s", host, os.Getpid(), rand.Text()[:8]),
		lease: 15 * time.Second, poll: time.Second, maxC: 4,
		stopTimeout: 30 * time.Second, queryTimeout: 10 * time.Second,
		workflows: map[string]*registered{}, byID: map[uuid.UUID]*registered{}, active: map[uuid.UUID]bool{},
		ready: make(chan struct{}), stopping: make(chan struct{}), stopped: make(chan struct{}),
	}
	for _, o := range opts {
		o(e)
	}
	d := db.SQLDialect()
	switch {
	case e.invalid != nil:
	case e.name == "":
		e.bad(errors.New("the engine's name must not be empty"))
	default:
		e.bad(d.CheckText("engine name", e.name, maxName))
		if e.by != nil {
			e.bad(d.CheckText("created_by", *e.by, maxCreatedBy))
		}
	}
	if e.invalid != nil {
		if !errors.Is(e.invalid, store.ErrTooLong) {
			e.invalid = fmt.Errorf("%w: %w", store.ErrInvalid, e.invalid)
		}
		return nil, fmt.Errorf("orchestrator: new engine: %w", e.invalid)
	}
	return e, nil
}

// InstanceID returns the engine's name, the engine_instance_id of the
// processes it executes.
func (e *Engine) InstanceID() string { return e.name }

// Store returns the engine's store: for listing processes and steps, and for
// the operations that need no engine (ResumeProcess, AbortProcess, Lock, …).
func (e *Engine) Store() Store { return e.st }

// Run registers the engine and works until ctx ends. It first prepares the
// engine's statements and inserts its engine_instances row, and returns an
// error at once if it cannot (another live engine has its name, the
// database is unreachable). Then it renews its lease every third of it,
// looks for work every poll interval — created and resumed processes, and
// running ones whose engine is gone (lease expired, row removed, or
// lock-paused and released) — and executes up to WithMaxConcurrent of them at
// once, and now and then prunes the rows of engines long dead. Failures in
// the background are logged and retried.
//
// When ctx ends, Run takes no new process; each process executing stops at
// its next step boundary (it stays running, unowned, for any engine to
// continue), and a step still running after the stop timeout is cancelled,
// which rolls it back. Run then removes its engine_instances row, so other
// engines recover at once whatever it still owns, and returns nil. Even if
// a step ignores its context, or the database stops answering, it returns
// within the stop timeout plus three query timeouts (for cancelled steps
// to unwind, for the last heartbeat, for the removal of the row) after ctx
// ended. Run may be called once.
func (e *Engine) Run(ctx context.Context) error {
	if err := store.CheckContext(ctx); err != nil {
		return fmt.Errorf("orchestrator: run engine %s: %w", e.name, err)
	}
	if !e.runCalled.CompareAndSwap(false, true) {
		return fmt.Errorf("orchestrator: run engine %s: %w: Run may be called once", e.name, store.ErrInvalid)
	}
	defer close(e.stopped)
	if err := e.registerInstance(ctx); err != nil {
		return fmt.Errorf("orchestrator: run engine %s: register: %w", e.name, err)
	}
	// The work and the heartbeat outlive ctx: running steps may finish
	// after it ended, and the lease must last while they do.
	work, cancelWork := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelWork()
	beat, stopBeat := context.WithCancel(context.WithoutCancel(ctx))
	beating := make(chan struct{})
	go e.heartbeatLoop(beat, beating)

	e.mu.Lock()
	e.running, e.work = true, work
	e.mu.Unlock()
	close(e.ready)

	e.serve(ctx, work)

	// Stop taking work; executions see stopping at their next step.
	e.mu.Lock()
	e.running = false
	e.mu.Unlock()
	close(e.stopping)
	if !waitFor(&e.inflight, e.stopTimeout) {
		cancelWork()
		// Cancelled steps roll back and their engine releases them, each
		// release bounded by the query timeout; a step that ignores its
		// context is left behind (its transaction is already rolled back).
		if !waitFor(&e.inflight, e.queryTimeout) {
			e.log.Warn("orchestrator: engine stopped with steps still running that ignore their context", "engine", e.name)
		}
	}
	stopBeat()
	if !waitChan(beating, e.queryTimeout) {
		e.log.Warn("orchestrator: engine stopped with its last heartbeat unanswered", "engine", e.name)
	}
	e.deregister(ctx)
	return nil
}

// registerInstance prepares the hot-path statements and inserts the
// engine's row.
func (e *Engine) registerInstance(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, e.queryTimeout)
	defer cancel()
	ps, err := prepare(ctx, e.db.SQL(), e.st.q)
	if err != nil {
		return fmt.Errorf("prepare statements: %w", e.db.Handle().Classify(err))
	}
	if err := e.insertInstance(ctx); err != nil {
		ps.close()
		return err
	}
	e.ps = ps
	return nil
}

// insertInstance writes the engine's engine_instances row, or takes over the
// row of an engine of the same name whose lease expired.
func (e *Engine) insertInstance(ctx context.Context) error {
	now := e.db.Now()
	host, _ := os.Hostname()
	var hostp *string
	if host != "" && e.st.d.TextLen(host) <= maxHostname {
		hostp = &host
	}
	pid := os.Getpid()
	inst := EngineInstance{InstanceID: e.name, Hostname: hostp, OSPID: &pid, StartedAt: now, HeartbeatAt: now, ExpiresAt: now.Add(e.lease)}
	_, err := e.db.Bun().NewInsert().Model(&inst).Exec(ctx)
	err = e.db.Handle().Classify(err)
	if !errors.Is(err, store.ErrDuplicate) {
		return err
	}
	res, uerr := e.db.SQL().ExecContext(ctx, e.st.q.takeOverEngine, hostp, &pid, now, now, now.Add(e.lease), e.name, now)
	if uerr != nil {
		return e.db.Handle().Classify(uerr)
	}
	if n, _ := res.RowsAffected(); n == 1 {
		return nil
	}
	return fmt.Errorf("%w: an engine named %q is registered and its lease is valid", store.ErrDuplicate, e.name)
}

// deregister removes the engine's row, on a context detached from the
// cancelled ctx and bounded by the query timeout, and closes the statements.
func (e *Engine) deregister(ctx context.Context) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), e.queryTimeout)
	defer cancel()
	if _, err := e.db.Bun().NewDelete().Model((*EngineInstance)(nil)).Where("instance_id = ?", e.name).Exec(ctx); err != nil {
		e.log.Warn("orchestrator: remove the engine's instance row; other engines recover its processes once its lease expires",
			"engine", e.name, "err", e.db.Handle().Classify(err))
	}
	e.ps.close()
}

func (e *Engine) heartbeatLoop(ctx context.Context, done chan<- struct{}) {
	defer close(done)
	t := time.NewTicker(max(e.lease/3, time.Millisecond))
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := e.heartbeat(ctx); err != nil && ctx.Err() == nil {
				e.log.Warn("orchestrator: heartbeat failed", "engine", e.name, "err", err)
			}
		}
	}
}

// heartbeat renews the engine's lease. If the row was removed (pruned while
// the engine could not reach the database), it is written again.
func (e *Engine) heartbeat(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, e.queryTimeout)
	defer cancel()
	now := e.db.Now()
	res, err := e.db.Bun().NewUpdate().Model((*EngineInstance)(nil)).
		Set("heartbeat_at = ?", now).Set("expires_at = ?", now.Add(e.lease)).
		Where("instance_id = ?", e.name).Exec(ctx)
	if err != nil {
		return e.db.Handle().Classify(err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		inst := EngineInstance{InstanceID: e.name, StartedAt: now, HeartbeatAt: now, ExpiresAt: now.Add(e.lease)}
		_, err = e.db.Bun().NewInsert().Model(&inst).Exec(ctx)
		return e.db.Handle().Classify(err)
	}
	return nil
}

// serve polls for work until ctx ends. Executions run on work, so that
// they outlive ctx for the stop timeout.
func (e *Engine) serve(ctx, work context.Context) {
	sem := make(chan struct{}, e.maxC)
	t := time.NewTicker(e.poll)
	defer t.Stop()
	lastPrune := time.Now()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if _, err := e.pollOnce(ctx, work, &e.inflight, sem); err != nil && ctx.Err() == nil {
			e.log.Warn("orchestrator: poll for work", "engine", e.name, "err", err)
		}
		if time.Since(lastPrune) > 10*e.lease {
			lastPrune = time.Now()
			qctx, cancel := context.WithTimeout(ctx, e.queryTimeout)
			if _, err := e.st.PruneInstances(qctx, 10*e.lease); err != nil && ctx.Err() == nil {
				e.log.Warn("orchestrator: prune engine instances", "engine", e.name, "err", err)
			}
			cancel()
		}
	}
}

// enter admits a call that executes processes (RunProcess, Resume,
// RecoverOnce): it waits, up to the query timeout, for Run to register, and
// counts the call among the executions Run waits for when it stops. The
// returned context ends with ctx or when Run cancels the work; done must be
// called when the call returns.
func (e *Engine) enter(ctx context.Context) (context.Context, func(), error) {
	t := time.NewTimer(e.queryTimeout)
	defer t.Stop()
	select {
	case <-e.ready:
	case <-e.stopped:
	case <-t.C:
	case <-ctx.Done():
		return nil, nil, ctx.Err()
	}
	e.mu.Lock()
	if !e.running {
		e.mu.Unlock()
		return nil, nil, fmt.Errorf("%w: call Run first (it registers the engine, and every step is fenced on that registration)", ErrNotRunning)
	}
	e.inflight.Add(1)
	work := e.work
	e.mu.Unlock()
	rctx, cancel := context.WithCancel(ctx)
	unhook := context.AfterFunc(work, cancel)
	return rctx, func() {
		unhook()
		cancel()
		e.inflight.Done()
	}, nil
}

// isStopping reports whether Run stopped taking work.
func (e *Engine) isStopping() bool {
	select {
	case <-e.stopping:
		return true
	default:
		return false
	}
}

// Register makes a workflow runnable by this engine and saves its workflows
// row (inserted, or updated and undeleted). Every engine that may run or
// recover a workflow's processes must register it.
func (e *Engine) Register(ctx context.Context, wf Workflow) error {
	if err := store.CheckContext(ctx); err != nil {
		return fail(fmt.Sprintf("register workflow %q", wf.Name), err)
	}
	return fail(fmt.Sprintf("register workflow %q", wf.Name), e.registerWorkflow(ctx, wf))
}

func (e *Engine) registerWorkflow(ctx context.Context, wf Workflow) error {
	if wf.Name == "" || len(wf.Steps) == 0 {
		return fmt.Errorf("%w: a workflow needs a name and at least one step", store.ErrInvalid)
	}
	if !wf.Target.Valid() {
		return fmt.Errorf("%w: unknown target %q", store.ErrInvalid, wf.Target)
	}
	for i, s := range wf.Steps {
		if s.Name == "" || s.Fn == nil {
			return fmt.Errorf("%w: step %d needs a name and a function", store.ErrInvalid, i+1)
		}
		// processes.last_step holds the name of the step last recorded.
		if err := e.st.d.CheckText(fmt.Sprintf("the name of step %d", i+1), s.Name, maxStepName); err != nil {
			return err
		}
	}
	var desc *string
	if wf.Description != "" {
		desc = &wf.Description
	}
	row, err := e.st.saveWorkflow(ctx, &WorkflowRow{Name: wf.Name, Target: wf.Target, Description: desc})
	if err != nil {
		return err
	}
	r := &registered{wf: wf, id: row.WorkflowID}
	e.mu.Lock()
	e.workflows[wf.Name] = r
	e.byID[row.WorkflowID] = r
	e.mu.Unlock()
	return nil
}

// StartOption configures Start.
type StartOption func(*Process)

// StartedBy sets processes.created_by.
func StartedBy(user string) StartOption { return func(p *Process) { p.CreatedBy = &user } }

// Start creates a process of a registered workflow: a processes row with
// status created and an input_states row with the initial input, in one
// transaction. It does not run it: call RunProcess, or let a running
// engine take it.
func (e *Engine) Start(ctx context.Context, workflow string, input State, opts ...StartOption) (uuid.UUID, error) {
	if err := store.CheckContext(ctx); err != nil {
		return uuid.Nil, fail(fmt.Sprintf("start workflow %q", workflow), err)
	}
	pid, err := e.start(ctx, workflow, input, opts)
	return pid, fail(fmt.Sprintf("start workflow %q", workflow), err)
}

func (e *Engine) start(ctx context.Context, workflow string, input State, opts []StartOption) (uuid.UUID, error) {
	if err := store.ValidText("workflow name", workflow); err != nil {
		return uuid.Nil, err
	}
	e.mu.Lock()
	r := e.workflows[workflow]
	e.mu.Unlock()
	if r == nil {
		return uuid.Nil, fmt.Errorf("%w: the workflow is not registered with this engine", store.ErrNotFound)
	}
	initial, err := nonNil(input).clone()
	if err != nil {
		return uuid.Nil, err
	}
	p := &Process{PID: uuid.New(), WorkflowID: r.id, IsTask: r.wf.IsTask}
	for _, o := range opts {
		o(p)
	}
	// As WFO does, the initial state names the process and its workflow.
	initial["process_id"] = p.PID.String()
	initial["workflow_name"] = r.wf.Name
	initial["workflow_target"] = string(r.wf.Target)
	if p.CreatedBy != nil {
		initial["reporter"] = *p.CreatedBy
	}
	if err := e.st.createProcess(ctx, p, initial); err != nil {
		return uuid.Nil, err
	}
	return p.PID, nil
}

// RunProcess claims a created or resumed process for this engine (status
// running, running_processes + 1, in one transaction) and executes its steps
// until it stops: completed, suspended, waiting, failed, aborted, or paused
// by the global lock. It returns the process as it is then. A process that
// is not created or resumed gives store.ErrConflict; while the engine is
// locked RunProcess gives store.ErrLocked before anything is written (the
// process stays as it was). The engine's Run must be running (RunProcess
// waits for its registration up to the query timeout), or RunProcess gives
// ErrNotRunning, also before writing. On any other error — ctx ending, Run
// stopping, a database error — the engine lets go of the process, which
// stays running for any engine to continue from its last step.
func (e *Engine) RunProcess(ctx context.Context, pid uuid.UUID) (*Process, error) {
	if err := store.CheckContext(ctx); err != nil {
		return nil, fail("run process "+pid.String(), err)
	}
	p, err := e.runProcess(ctx, pid)
	return p, fail("run process "+pid.String(), err)
}

func (e *Engine) runProcess(ctx context.Context, pid uuid.UUID) (*Process, error) {
	ctx, done, err := e.enter(ctx)
	if err != nil {
		return nil, err
	}
	defer done()
	return e.claimAndExecute(ctx, pid)
}

func (e *Engine) claimAndExecute(ctx context.Context, pid uuid.UUID) (*Process, error) {
	// Reserve first, so this engine's own polls cannot take the process
	// between the claim and the first step.
	if !e.reserve(pid) {
		return nil, fmt.Errorf("%w: the process is already executing in this engine", store.ErrConflict)
	}
	defer e.unreserve(pid)
	if err := e.claimNew(ctx, pid); err != nil {
		return nil, err
	}
	if err := e.execute(ctx, pid); err != nil {
		return nil, err
	}
	return e.st.process(ctx, pid)
}

// Resume gives a process that stopped in a resumable status (suspended,
// waiting, awaiting_callback, failed, api_unavailable, inconsistent_data)
// its user input and runs it again: Store.ResumeProcess marks it resumed
// and records the input, then RunProcess continues it after its last
// cleared step. It refuses with store.ErrLocked while the engine is locked,
// and with ErrNotRunning, before writing anything, while Run is not running.
//
// As in WFO, the input is merged into the state only when the process
// stopped in a step that suspended or awaits a callback: that step runs
// again with the input merged into its state and finds it with UserInput
// (a resume without input gives it {}: never an older resume's input).
// Resuming a failed or waiting process retries its step as it was; the
// input is recorded but not used.
func (e *Engine) Resume(ctx context.Context, pid uuid.UUID, input State) (*Process, error) {
	if err := store.CheckContext(ctx); err != nil {
		return nil, fail("resume process "+pid.String(), err)
	}
	p, err := e.resume(ctx, pid, input)
	return p, fail("resume process "+pid.String(), err)
}

func (e *Engine) resume(ctx context.Context, pid uuid.UUID, input State) (*Process, error) {
	ctx, done, err := e.enter(ctx)
	if err != nil {
		return nil, err
	}
	defer done()
	if err := e.st.resumeProcess(ctx, pid, input); err != nil {
		return nil, err
	}
	return e.claimAndExecute(ctx, pid)
}

// RecoverOnce takes and runs, to their stop, the processes Run would take
// now, and returns how many it ran. Like RunProcess, it needs Run running.
func (e *Engine) RecoverOnce(ctx context.Context) (int, error) {
	if err := store.CheckContext(ctx); err != nil {
		return 0, fail("recover processes", err)
	}
	ctx, done, err := e.enter(ctx)
	if err != nil {
		return 0, fail("recover processes", err)
	}
	defer done()
	var wg sync.WaitGroup
	sem := make(chan struct{}, e.maxC)
	n, err := e.pollOnce(ctx, ctx, &wg, sem)
	wg.Wait()
	return n, fail("recover processes", err)
}

type candidate struct {
	pid    uuid.UUID
	status ProcessStatus
	owner  *string
}

// pollOnce takes the processes any engine may take now and executes them
// on work, in goroutines counted by wg, at most cap(sem) at once. Its own
// queries are bounded by the query timeout.
func (e *Engine) pollOnce(ctx, work context.Context, wg *sync.WaitGroup, sem chan struct{}) (int, error) {
	cands, err := e.candidates(ctx)
	if err != nil {
		return 0, err
	}
	started := 0
	for _, c := range cands {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			return started, nil
		}
		if e.isStopping() || !e.reserve(c.pid) {
			<-sem
			continue
		}
		ok, err := e.claim(ctx, c)
		if err != nil || !ok {
			e.unreserve(c.pid)
			<-sem
			if err != nil && ctx.Err() == nil {
				e.log.Warn("orchestrator: claim", "engine", e.name, "pid", c.pid, "err", err)
			}
			continue
		}
		started++
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			defer e.unreserve(c.pid)
			if err := e.execute(work, c.pid); err != nil && work.Err() == nil && !errors.Is(err, ErrNotRunning) {
				e.log.Warn("orchestrator: run", "engine", e.name, "pid", c.pid, "err", err)
			}
		}()
	}
	return started, nil
}

// candidates reads the processes some engine may take now; none while the
// engine is locked.
func (e *Engine) candidates(ctx context.Context) ([]candidate, error) {
	ctx, cancel := context.WithTimeout(ctx, e.queryTimeout)
	defer cancel()
	set, err := e.st.settings(ctx)
	if err != nil {
		return nil, err
	}
	if set.GlobalLock {
		return nil, nil
	}
	rows, err := e.db.SQL().QueryContext(ctx, e.st.q.recoverable, e.name, e.db.Now())
	if err != nil {
		return nil, e.db.Handle().Classify(err)
	}
	defer rows.Close()
	var cands []candidate
	for rows.Next() {
		var c candidate
		var st string
		if err := rows.Scan(&c.pid, &st, &c.owner); err != nil {
			return nil, err
		}
		c.status = ProcessStatus(st)
		cands = append(cands, c)
	}
	return cands, e.db.Handle().Classify(rows.Err())
}

// claim takes a candidate with a conditional update naming what was seen,
// so of several engines exactly one gets it.
func (e *Engine) claim(ctx context.Context, c candidate) (bool, error) {
	ctx, cancel := context.WithTimeout(ctx, e.queryTimeout)
	defer cancel()
	if c.status == StatusCreated || c.status == StatusResumed {
		err := e.claimNew(ctx, c.pid)
		// Taken by another engine, deleted, or locked since we looked:
		// not ours to run now, and not an error.
		if errors.Is(err, store.ErrConflict) || errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrLocked) {
			return false, nil
		}
		return err == nil, err
	}
	var ok bool
	err := e.db.InTx(ctx, func(ctx context.Context, s *store.Session) error {
		q, args := e.st.q.claimOrphan, []any{e.name, s.Now(), c.pid}
		if c.owner != nil {
			q = e.st.q.claimRunning
			args = append(args, *c.owner)
		}
		res, err := s.Raw().ExecContext(ctx, q, args...)
		if err != nil {
			return s.Handle().Classify(err)
		}
		n, _ := res.RowsAffected()
		ok = n == 1
		return nil
	})
	return ok, err
}

// reserve marks pid as executing in this engine; false if it already is.
func (e *Engine) reserve(pid uuid.UUID) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.active[pid] {
		return false
	}
	e.active[pid] = true
	return true
}

func (e *Engine) unreserve(pid uuid.UUID) {
	e.mu.Lock()
	delete(e.active, pid)
	e.mu.Unlock()
}

// waitFor waits for wg for at most d, and reports whether it finished.
func waitFor(wg *sync.WaitGroup, d time.Duration) bool {
	done := make(chan struct{})
	go func() {
		wg.Wait()
		close(done)
	}()
	return waitChan(done, d)
}

// waitChan waits for ch to close for at most d.
func waitChan(ch <-chan struct{}, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ch:
		return true
	case <-t.C:
		return false
	}
}
