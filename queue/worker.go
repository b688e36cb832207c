package queue

import (
	"container/heap"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"runtime/debug"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/flowstore/flowstore/store"
)

// Handler works one element for a Worker. A nil error marks the element
// DONE; an error marks it FAILED with the error's text as its message
// (cut to fit), to be retried later if the Worker has WithRetry; a panic
// counts as an error. Its ctx ends when the element's lease is lost
// (context.Cause is ErrLeaseLost), when the per-element timeout passes
// (WithHandlerTimeout) or when the Worker stops and its stop timeout has
// passed; a handler should return soon after. To commit its own writes together with the element's DONE, it
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
	claimer  Store     // the store as given: claims go through its observers
	observer *observed // its observers, which the Worker tells of its finishes; nil if none
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

	// Retries (WithRetry): retryMax 0 means none.
	retryMax     int
	retryBackoff func(attempt int) time.Duration
	retrySoon    chan struct{} // a retry was scheduled: recompute the sweep's timer
	retryMu      sync.Mutex
	retryDues    dueHeap // local times at which retries this Worker scheduled are due

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
	claims, claimed, done, failed, lost, extended, retried atomic.Int64
}

// WorkerStats counts what a Worker has done since Run started.
type WorkerStats struct {
	Claims   int64 // ClaimBatch statements
	Claimed  int64 // elements they handed out
	Done     int64 // elements written DONE (by the completer or CompleteTx)
	Failed   int64 // elements written FAILED
	Lost     int64 // results not written: the element's lease was lost or another claim had it
	Extended int64 // lease extensions
	Retried  int64 // FAILED elements this Worker's retry sweeps set back to NEW (WithRetry)
}

// Stats returns the Worker's counts so far.
func (w *Worker) Stats() WorkerStats {
	return WorkerStats{
		Claims: w.stats.claims.Load(), Claimed: w.stats.claimed.Load(), Done: w.stats.done.Load(),
		Failed: w.stats.failed.Load(), Lost: w.stats.lost.Load(), Extended: w.stats.extended.Load(),
		Retried: w.stats.retried.Load(),
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
	obs, _ := s.(*observed)
	w := &Worker{
		s: base, claimer: s, observer: obs, handler: h, concurrency: 100, stopTimeout: 30 * time.Second,
		queryTimeout: 10 * time.Second, poll: time.Second, queueSet: map[string]bool{},
		wake: make(chan struct{}, 1), running: map[*task]struct{}{}, freed: make(chan struct{}, 1),
		retrySoon: make(chan struct{}, 1),
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
	if w.retryMax > 0 {
		helpers.Go(func() { w.sweepRetries(ctx) })
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

// fetch claims elements for free handler slots until ctx ends, then waits
// for the claims under way (their elements' handlers must have started
// before Run waits for the handlers).
//
// A busy Worker keeps up to claimsInFlight claims under way at once, each
// for its share of the slots: much of a claim's time is fixed costs — the
// round trip, the statement's planning, the commit — that a second claim
// overlaps instead of queueing behind. Slots promised
// to a claim under way count as taken. An idle Worker (its last claim
// found fewer elements than it asked for) claims one at a time, so a wake
// costs one query.
func (w *Worker) fetch(ctx, work context.Context, comp *completer) {
	minPause := max(w.poll/40, time.Millisecond)
	pause := minPause
	errPause := 0
	next := 0 // the queue to claim from first, round robin
	// While handlers run, claim when a quarter of the slots is free, or
	// fetchCooldown after the last claim: not one small claim per handler
	// that returns.
	lowWater := max(1, w.concurrency/4)
	inFlight := claimsInFlight
	if w.s.d.Has(store.FeatureSerialWrites) {
		inFlight = 1 // a second claim would only wait for the write lock
	}
	// A claim asks for at most its share of the slots, and no more than
	// one round of ClaimBatch calls can take.
	share := min(max(lowWater, (w.concurrency+inFlight-1)/inFlight), len(w.queues)*MaxClaimBatch)
	var (
		lastClaim time.Time
		results   = make(chan claimRound, inFlight)
		running   int       // claims under way
		reserved  int       // slots promised to them
		busy      bool      // the last claim filled what it asked for
		idleUntil time.Time // no claim before (an empty claim's pause, or an error's)
		wakeable  bool      // a wake-up ends the pause (not an error's)
	)
	for {
		if ctx.Err() != nil {
			for ; running > 0; running-- {
				<-results
			}
			return
		}
		now := time.Now()
		free := w.concurrency - w.active() - reserved
		switch {
		case now.Before(idleUntil):
		case running >= inFlight, running > 0 && !busy:
		case free <= 0:
		case free < lowWater && now.Sub(lastClaim) < fetchCooldown:
		default:
			n := min(free, share)
			if !busy {
				// An idle Worker's claim is a wake's: it finds what an
				// enqueue or two added. Asking for few keeps the claim on
				// its index whatever the statistics say (see idleClaim); a
				// claim that fills makes the Worker busy, and the next
				// ones ask for the whole share.
				n = min(n, idleClaim)
			}
			reserved += n
			running++
			lastClaim = now
			first := next
			next++
			go func() { results <- w.claimRound(ctx, work, comp, first, n) }()
			continue
		}
		var timer <-chan time.Time
		var wake chan struct{} // nil: a wake-up waits for the next pause
		if now.Before(idleUntil) && wakeable {
			wake = w.wake
		}
		switch {
		case now.Before(idleUntil):
			timer = time.After(time.Until(idleUntil))
		case running == 0 && free > 0 && free < lowWater:
			timer = time.After(fetchCooldown - now.Sub(lastClaim))
		}
		select {
		case <-ctx.Done():
		case r := <-results:
			running--
			reserved -= r.asked
			switch {
			case r.err != nil && ctx.Err() == nil:
				w.log.Warn("queue: worker claim", "err", r.err)
				errPause++
				idleUntil, wakeable, busy = time.Now().Add(min(time.Duration(1<<min(errPause, 10))*10*time.Millisecond, 5*time.Second)), false, false
			case r.err != nil:
			case !r.drained:
				errPause, pause, busy = 0, minPause, true
			default:
				errPause, busy = 0, false
				if r.got > 0 {
					pause = minPause
				}
				wait := pause
				if w.listening.Load() {
					wait = 5 * w.poll
				} else if r.got == 0 {
					pause = min(2*pause, w.poll)
				}
				idleUntil, wakeable = time.Now().Add(wait), true
			}
		case <-w.freed:
		case <-wake:
			idleUntil, pause = time.Time{}, minPause
		case <-timer:
		}
	}
}

// idleClaim is the most an idle Worker claims at once. On PostgreSQL a
// claim's plan follows the table's statistics, which a queue outruns: taken
// while a batch of thousands waited, they promise thousands of NEW rows
// where a wake finds one or two, and with a LIMIT of a thousand, reading
// the whole table and sorting it looked cheaper than the claim's index
// (seen in issue 15 with auto_explain: a Seq Scan and a Sort under the
// claim's LockRows); with a LIMIT of 16 the index's first entries are the
// cheap plan under any such statistics.
const idleClaim = 16

// claimsInFlight is how many claims a busy Worker keeps under way at once.
const claimsInFlight = 2

// claimRound is what one claim (a ClaimBatch per queue) did.
type claimRound struct {
	asked, got int
	drained    bool // some queue had fewer elements than asked for
	err        error
}

// claimRound claims up to n elements, from each queue in turn starting at
// the first-th (modulo their number), and starts a handler for each.
func (w *Worker) claimRound(ctx, work context.Context, comp *completer, first, n int) claimRound {
	r := claimRound{asked: n, drained: true}
	free := n
	for i := range w.queues {
		if free == 0 {
			r.drained = false
			break
		}
		q := w.queues[(first+i)%len(w.queues)]
		k := min(free, MaxClaimBatch)
		els, err := w.claim(ctx, q, k)
		if err != nil {
			r.err = err
			continue
		}
		for _, e := range els {
			w.start(work, e, comp)
		}
		r.got += len(els)
		free -= len(els)
		if len(els) == k {
			r.drained = false
		}
	}
	return r
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
	case err != nil && w.retryMax > 0:
		w.failRetrying(hctx, t.e, start, err)
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
	var finishErr error // the DONE's own error, not fn's
	err := s.db.InTx(ctx, func(ctx context.Context, sess *store.Session) error {
		finishErr = nil // InTx may run this again
		if err := fn(ctx, sess); err != nil {
			return err
		}
		bound := *s
		bound.h = sess.Handle()
		finishErr = bound.finishClaimed(ctx, e, Done(""))
		return finishErr
	})
	t.mu.Lock()
	t.finishing = false
	if err == nil {
		t.completed = true
	}
	t.mu.Unlock()
	if err != nil {
		err = fmt.Errorf("queue: complete tx %s: %w", e.ID, s.h.Classify(err))
	}
	if err == nil || errors.Is(finishErr, store.ErrConflict) {
		// An error of fn's own is no finish.
		t.w.finished(ctx, FinishEvent{Queue: e.QueueName, Status: StatusDone, N: count(1, err), Claimed: e.StartDate, Err: err})
	}
	return err
}

// finished tells the store's observers of a finish the Worker wrote.
func (w *Worker) finished(ctx context.Context, ev FinishEvent) {
	if w.observer != nil {
		w.observer.finished(ctx, ev)
	}
}

// ---- retries (WithRetry)

// WithRetry makes the Worker retry a failing element: when its handler
// fails (an error or a panic) and the element has failed fewer than
// maxAttempts times, it is marked FAILED with the error's text, its
// attempts column counting the failure, and a retry_at backoff(attempts)
// later, where attempts is 1 after the first failure; once retry_at has
// passed the Worker sets it back to NEW and claims it as any other. The
// maxAttempts-th failure is final: FAILED with retry_at NULL. maxAttempts
// must be at least 1 (1 counts attempts but never retries). backoff nil
// means RetryBackoff; a negative duration counts as 0.
//
// Without WithRetry a failure is written as OpenOrchestrator writes it
// and the columns stay NULL. See the package documentation ("Worker",
// Retries) for the columns, fencing and what counts as an attempt.
func WithRetry(maxAttempts int, backoff func(attempt int) time.Duration) WorkerOption {
	return func(w *Worker) {
		if maxAttempts < 1 {
			w.bad(fmt.Errorf("WithRetry(%d): the maximum of attempts must be at least 1", maxAttempts))
			return
		}
		if backoff == nil {
			backoff = RetryBackoff
		}
		w.retryMax, w.retryBackoff = maxAttempts, backoff
	}
}

// RetryBackoff is WithRetry's default backoff: 1 s after the first
// failure, doubling with each further one up to 1 h, plus up to a quarter
// more at random, so that elements that failed together (a downstream
// outage) do not all come back in the same instant. (store.Backoff, for
// deadlocked transactions, waits milliseconds: a handler's failure
// usually lasts longer.)
func RetryBackoff(attempt int) time.Duration {
	d := min(time.Second<<min(max(attempt-1, 0), 12), time.Hour)
	return d + rand.N(d/4+1)
}

// failRetrying writes a handler's failure for a Worker with WithRetry: it
// reads how often the element has failed, then marks it FAILED with the
// count and its retry_at (none once the attempts are used up) in one
// UPDATE fenced by the claim, as the completer's FinishClaimed is. It runs
// in the handler's goroutine, which keeps its slot until the failure is
// written (failures are the rare case; the completer batches DONEs).
func (w *Worker) failRetrying(hctx context.Context, e Element, start time.Time, herr error) {
	ctx := context.WithoutCancel(hctx)
	e.StartDate = start
	msg := failureText(herr)
	var due time.Time // local time the retry is due; zero: none
	marked := w.writeFailure(ctx, e, func(ctx context.Context) error {
		cur, err := w.s.get(ctx, e.ID)
		if err != nil {
			return err
		}
		failures, retryAt := cur.Attempts+1, time.Time{}
		due = time.Time{}
		if failures < w.retryMax {
			wait := max(w.retryBackoff(failures), 0)
			retryAt, due = w.s.db.Now().Add(wait), time.Now().Add(wait)
		}
		return w.s.failRetrying(ctx, e, msg, failures, retryAt)
	})
	if marked && !due.IsZero() {
		w.scheduleRetry(due)
	}
}

// retrySlack is how long after a retry's local due time the sweep runs,
// so that the store clock has passed the stored retry_at.
const retrySlack = time.Millisecond

// scheduleRetry notes that a retry this Worker wrote is due at (local
// time) and makes the sweep recompute its timer.
func (w *Worker) scheduleRetry(at time.Time) {
	w.retryMu.Lock()
	heap.Push(&w.retryDues, at.Add(retrySlack))
	w.retryMu.Unlock()
	poke(w.retrySoon)
}

// nextRetry returns the earliest due time this Worker scheduled, after
// dropping those not after now.
func (w *Worker) nextRetry(now time.Time, drop bool) (time.Time, bool) {
	w.retryMu.Lock()
	defer w.retryMu.Unlock()
	for drop && len(w.retryDues) > 0 && !w.retryDues[0].After(now) {
		heap.Pop(&w.retryDues)
	}
	if len(w.retryDues) == 0 {
		return time.Time{}, false
	}
	return w.retryDues[0], true
}

// sweepRetries runs RetryDue on the Worker's queues when a retry this
// Worker scheduled is due, and every five poll intervals besides (at once
// when Run starts), so that retries scheduled by other processes — also
// dead ones — come back too. Elements it sets back to NEW wake the
// Workers of this *store.DB that work the queue, this one included.
func (w *Worker) sweepRetries(ctx context.Context) {
	every := 5 * w.poll
	next := time.Now() // the next periodic sweep
	for {
		now := time.Now()
		due, ok := w.nextRetry(now, false)
		if !now.Before(next) || (ok && !now.Before(due)) {
			next = now.Add(every)
			if !w.retryDueNow(ctx) {
				next = now.Add(w.poll) // an error: try again sooner
			}
			w.nextRetry(now, true)
			continue
		}
		at := next
		if ok && due.Before(at) {
			at = due
		}
		t := time.NewTimer(time.Until(at))
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-w.retrySoon:
		case <-t.C:
		}
		t.Stop()
	}
}

// retryDueNow runs RetryDue on every queue of the Worker and reports
// whether all succeeded.
func (w *Worker) retryDueNow(ctx context.Context) bool {
	ok := true
	for _, q := range w.queues {
		if ctx.Err() != nil {
			return ok
		}
		qctx, cancel := context.WithTimeout(ctx, w.queryTimeout)
		n, err := w.s.RetryDue(qctx, q, w.s.db.Now())
		cancel()
		switch {
		case err != nil:
			ok = false
			if ctx.Err() == nil {
				w.log.Warn("queue: worker: retry due elements", "queue", q, "err", err)
			}
		case n > 0:
			w.stats.retried.Add(int64(n))
			wakeLocal(w.s.db, q)
		}
	}
	return ok
}

// dueHeap is a min-heap of times (container/heap).
type dueHeap []time.Time

func (h dueHeap) Len() int           { return len(h) }
func (h dueHeap) Less(i, j int) bool { return h[i].Before(h[j]) }
func (h dueHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *dueHeap) Push(x any)        { *h = append(*h, x.(time.Time)) }
func (h *dueHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}
