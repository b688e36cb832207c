package queue

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/flowstore/flowstore/store"
)

// Handler works one element for a Worker. A nil error marks the element
// DONE; an error marks it FAILED with the error's text as its message
// (cut to fit); a panic counts as an error. Its ctx ends when the
// element's lease is lost (context.Cause is ErrLeaseLost), when the
// per-element timeout passes (WithHandlerTimeout) or when the Worker
// stops and its stop timeout has passed; a handler should return soon
// after. To commit its own writes together with the element's DONE, it
// calls CompleteTx.
type Handler func(ctx context.Context, e Element) error

// ErrLeaseLost is the cause of a handler's context when the Worker could
// not extend the element's lease: another claim has taken the element
// over (or an administrator changed it), or the database could not be
// reached for a whole lease. The Worker then writes nothing for the
// element. It wraps store.ErrConflict.
var ErrLeaseLost = fmt.Errorf("%w: the element's lease was lost", store.ErrConflict)

// errStopping is the cause of the handlers' contexts when the stop timeout
// has passed.
var errStopping = errors.New("queue: worker stopped")

// Worker runs a Handler for the elements of one or more queues, with at
// most WithConcurrency handlers at a time, until the context of Run ends.
// See the package documentation ("Worker") for how it claims, extends
// leases, finishes and stops, and what is durable when.
type Worker struct {
	s        *bunStore
	claimer  Store // the store as given: claims go through its observers
	queues   []string
	queueSet map[string]bool
	handler  Handler

	concurrency    int
	stopTimeout    time.Duration
	handlerTimeout time.Duration
	queryTimeout   time.Duration
	poll           time.Duration
	lease          time.Duration // how long a claim lasts without a heartbeat
	sweep          bool          // the store has no lease: requeue stale elements
	log            *slog.Logger
	invalid        error

	runCalled atomic.Bool
	listening atomic.Bool
	wake      chan struct{}

	mu      sync.Mutex
	running map[*task]struct{}
	freed   chan struct{} // a handler slot came free
	wg      sync.WaitGroup

	stats workerStats
}

// workerStats counts what a Worker did (see WorkerStats).
type workerStats struct {
	claims, claimed, done, failed, lost, extended atomic.Int64
}

// WorkerStats counts what a Worker has done since Run started.
type WorkerStats struct {
	Claims   int64 // ClaimBatch statements
	Claimed  int64 // elements they handed out
	Done     int64 // elements written DONE (by the completer or CompleteTx)
	Failed   int64 // elements written FAILED
	Lost     int64 // results not written: the element's lease was lost or another claim had it
	Extended int64 // lease extensions
}

// Stats returns the Worker's counts so far.
func (w *Worker) Stats() WorkerStats {
	return WorkerStats{
		Claims: w.stats.claims.Load(), Claimed: w.stats.claimed.Load(), Done: w.stats.done.Load(),
		Failed: w.stats.failed.Load(), Lost: w.stats.lost.Load(), Extended: w.stats.extended.Load(),
	}
}

// task is one element a handler works on.
type task struct {
	w *Worker
	// mu guards the fields below; a heartbeat holds it while it extends
	// the lease, so that a finish never uses a start_date about to change.
	mu        sync.Mutex
	e         Element   // as claimed; e.StartDate is the claim's fence
	start     time.Time // the lease's start as stored: the fence now
	extended  time.Time // local time of the claim or the last extension
	finishing bool      // the result is being written: no more extensions
	completed bool      // CompleteTx committed its DONE
	lost      bool
	cancel    context.CancelCauseFunc
}

// WorkerOption configures NewWorker.
type WorkerOption func(*Worker)

// WithConcurrency bounds the handlers running at once (default 100). The
// Worker claims as many elements as it has free slots, in one statement.
func WithConcurrency(n int) WorkerOption {
	return func(w *Worker) {
		if n <= 0 {
			w.bad(fmt.Errorf("WithConcurrency(%d): must be positive", n))
			return
		}
		w.concurrency = n
	}
}

// WithStopTimeout sets how long Run, once its context ended, lets the
// running handlers finish before it cancels their contexts (default 30 s;
// 0 cancels them at once). The elements of handlers that then return an
// error are left IN_PROGRESS for lease recovery.
func WithStopTimeout(d time.Duration) WorkerOption {
	return func(w *Worker) {
		if d < 0 {
			w.bad(fmt.Errorf("WithStopTimeout(%s): must not be negative", d))
			return
		}
		w.stopTimeout = d
	}
}

// WithHandlerTimeout bounds each handler call (default: none). A handler
// whose time is up has its context cancelled; what it returns is recorded
// as usual, an error as FAILED.
func WithHandlerTimeout(d time.Duration) WorkerOption {
	return func(w *Worker) { w.handlerTimeout = w.positive("WithHandlerTimeout", d) }
}

// WithPollInterval sets the longest pause between two claims of an idle
// Worker (default 1 s). After an empty claim the pause starts at a 40th
// of it and doubles up to it; a wake-up (an enqueue in this process, or a
// notification on PostgreSQL) ends it at once. While a LISTEN connection
// is up the pause is five times as long, as a safety net.
func WithPollInterval(d time.Duration) WorkerOption {
	return func(w *Worker) { w.poll = w.positive("WithPollInterval", d) }
}

// WithWorkerLease sets how long a claim of this Worker lasts without a
// heartbeat, for a store without WithLease (default 5 min); with WithLease
// the store's lease is used and this option must not differ from it. The
// Worker extends the lease of a running element every third of it.
func WithWorkerLease(d time.Duration) WorkerOption {
	return func(w *Worker) { w.lease = w.positive("WithWorkerLease", d) }
}

// WithQueryTimeout bounds each statement the Worker runs in the background
// — claims, lease extensions, finishes, recovery (default 10 s).
func WithQueryTimeout(d time.Duration) WorkerOption {
	return func(w *Worker) { w.queryTimeout = w.positive("WithQueryTimeout", d) }
}

// WithWorkerLogger sets where the Worker logs what it retries or gives up
// (default: the database's logger).
func WithWorkerLogger(l *slog.Logger) WorkerOption {
	return func(w *Worker) {
		if l != nil {
			w.log = l
		}
	}
}

func (w *Worker) positive(opt string, d time.Duration) time.Duration {
	if d <= 0 {
		w.bad(fmt.Errorf("%s(%s): must be positive", opt, d))
	}
	return d
}

func (w *Worker) bad(err error) {
	if w.invalid == nil {
		w.invalid = err
	}
}

// NewWorker returns a Worker that runs h for the elements of queues,
// claimed through s, which must be a store New returned (not bound to a
// session). It checks its arguments and does no I/O; Run starts it.
func NewWorker(s Store, queues []string, h Handler, opts ...WorkerOption) (*Worker, error) {
	base := baseStore(s)
	w := &Worker{
		s: base, claimer: s, handler: h, concurrency: 100, stopTimeout: 30 * time.Second,
		queryTimeout: 10 * time.Second, poll: time.Second, queueSet: map[string]bool{},
		wake: make(chan struct{}, 1), running: map[*task]struct{}{}, freed: make(chan struct{}, 1),
	}
	for _, o := range opts {
		o(w)
	}
	switch {
	case w.invalid != nil:
	case base == nil:
		w.bad(errors.New("the store must be one queue.New returned"))
	case base.h.Session() != nil:
		w.bad(errors.New("the store must not be bound to a session (WithTx)"))
	case h == nil:
		w.bad(errors.New("the handler must not be nil"))
	case len(queues) == 0:
		w.bad(errors.New("no queue"))
	case base.lease > 0 && w.lease > 0 && w.lease != base.lease:
		w.bad(fmt.Errorf("WithWorkerLease(%s) differs from the store's WithLease(%s)", w.lease, base.lease))
	}
	if w.invalid == nil {
		for _, q := range queues {
			if err := base.checkQueue(q); err != nil {
				w.bad(err)
			} else if w.queueSet[q] {
				w.bad(fmt.Errorf("queue %q named twice", q))
			}
			w.queueSet[q] = true
		}
	}
	if w.invalid != nil {
		if !errors.Is(w.invalid, store.ErrInvalid) && !errors.Is(w.invalid, store.ErrTooLong) {
			w.invalid = fmt.Errorf("%w: %w", store.ErrInvalid, w.invalid)
		}
		return nil, fmt.Errorf("queue: new worker: %w", w.invalid)
	}
	w.queues = slices.Clone(queues)
	switch {
	case base.lease > 0:
		w.lease = base.lease
	case w.lease == 0:
		w.lease, w.sweep = 5*time.Minute, true
	default:
		w.sweep = true
	}
	if w.log == nil {
		w.log = base.db.Logger()
	}
	return w, nil
}

// baseStore returns the bun store under s, or nil.
func baseStore(s Store) *bunStore {
	for s != nil {
		switch v := s.(type) {
		case *bunStore:
			return v
		case *observed:
			s = v.Store
		default:
			return nil
		}
	}
	return nil
}

// Run claims and works elements until ctx ends, then stops gracefully:
// it claims nothing more, lets running handlers finish for the stop
// timeout (extending their leases meanwhile), cancels the rest, writes
// every buffered result and returns nil. Database errors are logged and
// retried with a growing pause; they do not end Run. Run may be called
// once.
func (w *Worker) Run(ctx context.Context) error {
	if err := store.CheckContext(ctx); err != nil {
		return fmt.Errorf("queue: run worker: %w", err)
	}
	if !w.runCalled.CompareAndSwap(false, true) {
		return fmt.Errorf("queue: run worker: %w: Run may be called once", store.ErrInvalid)
	}
	bg := context.WithoutCancel(ctx)
	// Handlers outlive ctx until the stop timeout.
	work, cancelWork := context.WithCancelCause(bg)
	defer cancelWork(errStopping)
	unsubscribe := subscribe(w.s.db, w.queues, w.wake)
	defer unsubscribe()

	comp := newCompleter(w)
	var helpers sync.WaitGroup
	helpers.Go(func() { comp.run(bg) })
	hbCtx, stopHeartbeat := context.WithCancel(bg)
	helpers.Go(func() { w.heartbeat(hbCtx) })
	if w.s.d.Has(store.FeatureNotify) {
		if max := w.s.db.SQL().Stats().MaxOpenConnections; max == 1 {
			// The listener would hold the pool's only connection.
			w.log.Info("queue: worker: polling only: the pool has one connection, which LISTEN would hold")
		} else {
			helpers.Go(func() { w.listen(ctx) })
		}
	}
	if w.sweep {
		helpers.Go(func() { w.sweepStale(ctx) })
	}

	w.fetch(ctx, work, comp)

	// Stop: wait for the handlers, then cancel those still running.
	done := make(chan struct{})
	go func() { w.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(w.stopTimeout):
		cancelWork(errStopping)
		select {
		case <-done:
		case <-time.After(w.queryTimeout):
			w.log.Warn("queue: worker stopped with handlers that ignore their context; their elements wait for lease recovery", "running", w.active())
		}
	}
	stopHeartbeat()
	comp.close()
	helpers.Wait()
	return nil
}

// active returns how many handlers run now.
func (w *Worker) active() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.running)
}

// fetch claims elements for free handler slots until ctx ends.
func (w *Worker) fetch(ctx, work context.Context, comp *completer) {
	minPause := max(w.poll/40, time.Millisecond)
	pause := minPause
	errPause := 0
	next := 0 // the queue to claim from first, round robin
	// While handlers run, claim when a quarter of the slots is free, or
	// fetchCooldown after the last claim: not one small claim per handler
	// that returns.
	lowWater := max(1, w.concurrency/4)
	var lastClaim time.Time
	for ctx.Err() == nil {
		free := w.concurrency - w.active()
		if free == 0 || (free < lowWater && time.Since(lastClaim) < fetchCooldown) {
			t := time.NewTimer(fetchCooldown - time.Since(lastClaim))
			if free == 0 {
				t.Stop()
			}
			select {
			case <-ctx.Done():
			case <-w.freed:
			case <-t.C:
			}
			t.Stop()
			continue
		}
		lastClaim = time.Now()
		got, drained, err := 0, true, error(nil)
		for i := range w.queues {
			if free == 0 {
				drained = false
				break
			}
			q := w.queues[(next+i)%len(w.queues)]
			n := min(free, MaxClaimBatch)
			els, cerr := w.claim(ctx, q, n)
			if cerr != nil {
				err = cerr
				continue
			}
			for _, e := range els {
				w.start(work, e, comp)
			}
			got += len(els)
			free -= len(els)
			if len(els) == n {
				drained = false
			}
		}
		next++
		if err != nil && ctx.Err() == nil {
			w.log.Warn("queue: worker claim", "err", err)
			errPause++
			sleep(ctx, min(time.Duration(1<<min(errPause, 10))*10*time.Millisecond, 5*time.Second))
			continue
		}
		errPause = 0
		if got > 0 {
			pause = minPause
			if !drained {
				continue
			}
		}
		wait := pause
		if w.listening.Load() {
			wait = 5 * w.poll
		} else if got == 0 {
			pause = min(2*pause, w.poll)
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
		case <-w.wake:
			pause = minPause
		case <-t.C:
		}
		t.Stop()
	}
}

// claim claims up to n elements of a queue. The statement runs detached
// from ctx's end (its outcome must be known: a claim that committed while
// Run stopped would leave its elements to lease recovery).
func (w *Worker) claim(ctx context.Context, queue string, n int) ([]Element, error) {
	qctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), w.queryTimeout)
	defer cancel()
	w.stats.claims.Add(1)
	els, err := w.claimer.ClaimBatch(qctx, queue, n)
	w.stats.claimed.Add(int64(len(els)))
	return els, err
}

// fetchCooldown is how long a busy Worker waits for a quarter of its
// slots to come free before it claims for fewer.
const fetchCooldown = 5 * time.Millisecond

func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

// taskKey is the context key of the task a handler works on (CompleteTx).
type taskKey struct{}

// start runs the handler for one claimed element in its own goroutine.
func (w *Worker) start(work context.Context, e Element, comp *completer) {
	hctx, cancel := context.WithCancelCause(work)
	t := &task{w: w, e: e, start: e.StartDate, extended: time.Now(), cancel: cancel}
	w.mu.Lock()
	w.running[t] = struct{}{}
	w.mu.Unlock()
	w.wg.Go(func() {
		defer cancel(nil)
		err := w.call(context.WithValue(hctx, taskKey{}, t), t)
		w.settle(hctx, t, err, comp)
		w.mu.Lock()
		delete(w.running, t)
		w.mu.Unlock()
		poke(w.freed)
	})
}

// call runs the handler, turning a panic into an error and applying the
// per-element timeout.
func (w *Worker) call(ctx context.Context, t *task) (err error) {
	if w.handlerTimeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeoutCause(ctx, w.handlerTimeout, fmt.Errorf("handler timed out after %s", w.handlerTimeout))
		defer cancel()
	}
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("panic: %v\n%s", p, debug.Stack())
		}
	}()
	err = w.handler(ctx, t.e)
	if err != nil && ctx.Err() != nil {
		if cause := context.Cause(ctx); cause != nil && !errors.Is(err, cause) {
			err = fmt.Errorf("%w (%w)", err, cause)
		}
	}
	return err
}

// settle hands the handler's result to the completer, unless the element
// is no longer this Worker's to finish.
func (w *Worker) settle(hctx context.Context, t *task, err error, comp *completer) {
	t.mu.Lock()
	t.finishing = true
	lost, completed, start := t.lost, t.completed, t.start
	t.mu.Unlock()
	switch {
	case completed:
		w.stats.done.Add(1)
		return
	case lost:
		w.stats.lost.Add(1)
		w.log.Warn("queue: worker: lease lost; the result is not written", "id", t.e.ID, "queue", t.e.QueueName, "err", err)
		return
	case err != nil && errors.Is(context.Cause(hctx), errStopping):
		// Cut off by the stop: lease recovery hands the element out again.
		return
	}
	comp.add(completion{e: t.e, start: start, err: err})
}

// heartbeat extends the leases of running elements every third of the
// lease, and cancels the handlers whose lease is lost.
func (w *Worker) heartbeat(ctx context.Context) {
	tick := time.NewTicker(max(w.lease/3, time.Millisecond))
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		w.mu.Lock()
		tasks := make([]*task, 0, len(w.running))
		for t := range w.running {
			tasks = append(tasks, t)
		}
		w.mu.Unlock()
		for _, t := range tasks {
			if ctx.Err() != nil {
				return
			}
			w.extend(ctx, t)
		}
	}
}

// extend extends one element's lease: its start_date moves to now, fenced
// by the start_date this Worker holds. No row changed means another claim
// (or an administrator) has the element now: the lease is lost.
func (w *Worker) extend(ctx context.Context, t *task) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.finishing || t.completed || t.lost || time.Since(t.extended) < w.lease/3 {
		return
	}
	now := w.s.db.Now()
	qctx, cancel := context.WithTimeout(ctx, w.queryTimeout)
	n, err := w.s.h.Exec(qctx, w.s.extendSQL(), append(w.s.idArgs([]any{w.s.naive(now)}, t.e.ID), w.s.naive(t.start))...)
	cancel()
	switch {
	case err == nil && n == 1:
		t.start, t.extended = w.s.asRead(now), time.Now()
		w.stats.extended.Add(1)
	case err == nil:
		t.lost = true
		t.cancel(ErrLeaseLost)
	case time.Since(t.extended) >= w.lease:
		w.log.Warn("queue: worker: could not extend a lease for its whole length; cancelling the handler", "id", t.e.ID, "err", err)
		t.lost = true
		t.cancel(ErrLeaseLost)
	default:
		w.log.Warn("queue: worker: extend lease", "id", t.e.ID, "err", err)
	}
}

// extendSQL moves a claimed element's start_date forward, fenced by the
// start_date the claim (or the last extension) set.
func (s *bunStore) extendSQL() string {
	st := s.sql
	return st.d.Rebind("UPDATE " + st.table() + " SET " + st.q("start_date") + " = ? WHERE " + st.byID(1) + " AND " +
		st.q("status") + " = 'IN_PROGRESS' AND " + st.q("start_date") + " = ?")
}

// sweepStale requeues, every half lease, the elements of the Worker's queues
// whose lease ran out (for a store without WithLease, whose claims do not
// take such elements over by themselves).
func (w *Worker) sweepStale(ctx context.Context) {
	tick := time.NewTicker(w.lease / 2)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		for _, q := range w.queues {
			qctx, cancel := context.WithTimeout(ctx, w.queryTimeout)
			n, err := w.s.RequeueStale(qctx, q, w.lease)
			cancel()
			if err != nil {
				w.log.Warn("queue: worker: requeue stale", "queue", q, "err", err)
			} else if n > 0 {
				w.log.Info("queue: worker: requeued elements whose lease ran out", "queue", q, "n", n)
				poke(w.wake)
			}
		}
	}
}

// CompleteTx runs fn in a transaction that also marks the element the
// calling handler works on DONE, so that the handler's own writes and the
// element's DONE commit together or not at all. ctx must be the handler's
// context (or derived from it). The DONE is fenced by the claim, as
// FinishClaimed is: when the lease is lost the transaction rolls back and
// the error wraps store.ErrConflict. fn may be run more than once, as
// store.DB.InTx runs it. After CompleteTx returned nil the Worker writes
// nothing more for the element, whatever the handler returns; after an
// error the handler's return decides as usual (returning the error marks
// the element FAILED, if it is still this Worker's).
func CompleteTx(ctx context.Context, fn func(ctx context.Context, s *store.Session) error) error {
	if err := store.CheckContext(ctx); err != nil {
		return fmt.Errorf("queue: complete tx: %w", err)
	}
	t, _ := ctx.Value(taskKey{}).(*task)
	if t == nil {
		return fmt.Errorf("queue: complete tx: %w: not called from a Worker's handler", store.ErrInvalid)
	}
	if fn == nil {
		return fmt.Errorf("queue: complete tx %s: %w: nil function", t.e.ID, store.ErrInvalid)
	}
	t.mu.Lock()
	if t.completed || t.finishing {
		t.mu.Unlock()
		return fmt.Errorf("queue: complete tx %s: %w: the element is completed already", t.e.ID, store.ErrInvalid)
	}
	t.finishing = true
	e := t.e
	e.StartDate = t.start
	t.mu.Unlock()
	s := t.w.s
	err := s.db.InTx(ctx, func(ctx context.Context, sess *store.Session) error {
		if err := fn(ctx, sess); err != nil {
			return err
		}
		bound := *s
		bound.h = sess.Handle()
		return bound.finishClaimed(ctx, e, Done(""))
	})
	t.mu.Lock()
	t.finishing = false
	if err == nil {
		t.completed = true
	}
	t.mu.Unlock()
	if err != nil {
		return fmt.Errorf("queue: complete tx %s: %w", e.ID, s.h.Classify(err))
	}
	return nil
}
