package queue

import (
	"context"
	"errors"
	"time"

	"github.com/google/uuid"

	"github.com/flowstore/flowstore/store"
)

// Observer is told what a queue store does, for metrics and tracing:
// package metrics counts claims and finishes with it, package tracing
// makes a span of each claim. WithObserver installs one. The store calls
// it in the caller's goroutine, so its methods must be quick and safe for
// concurrent use; they cannot change what the store does.
//
// The method names carry the package's name, so that one type can observe
// queues, the engine (orchestrator.Observer) and schedulers
// (trigger.Observer) at once.
type Observer interface {
	// QueueClaimStart is called before a claim (Claim, ClaimReference,
	// ClaimBatch) runs. The context it returns is the claim's: its
	// statements run on it, so a span put into it is their parent.
	QueueClaimStart(ctx context.Context, queue string) context.Context
	// QueueClaimed reports a claim's end, with the context
	// QueueClaimStart returned: the elements claimed (none when the queue
	// had nothing to hand out) or the error. Each element's CreatedDate and
	// StartDate, both from the store's clock, give its wait in the queue.
	QueueClaimed(ctx context.Context, queue string, claimed []Element, err error)
	// QueueFinished reports a finish that committed or failed (Finish,
	// FinishClaimed, FinishBatch, FailStale).
	QueueFinished(ctx context.Context, ev FinishEvent)
	// QueueEnqueued reports n elements enqueued (Enqueue, EnqueueBatch), or
	// the error that stopped them. n counts the elements the call returned,
	// an idempotent repeat of a key (NewElement.Key) included.
	QueueEnqueued(ctx context.Context, queue string, n int, err error)
}

// FinishEvent is one finish as an Observer sees it.
type FinishEvent struct {
	// Queue is the elements' queue, or "" when the store was given ids
	// only (Finish, FinishBatch): it does not read the rows to find out.
	Queue string
	// Status is the final status set: DONE, FAILED or ABANDONED.
	Status Status
	// N is how many elements changed (0 when Err is a conflict on one).
	N int
	// Claimed is the claim's start_date when the store knew it
	// (FinishClaimed), else zero. At minus Claimed is the element's time
	// in progress.
	Claimed time.Time
	// At is the store clock's time of the finish.
	At time.Time
	// Stale is true for FailStale, which fails elements whose worker is
	// taken to be dead.
	Stale bool
	// Err is the finish's error, nil if it committed (on a session: if
	// the statement succeeded; the session may still roll back).
	Err error
}

// WithObserver makes the store report to o (see Observer). It may be given
// more than once; every observer hears every event, in the order given.
func WithObserver(o Observer) Option {
	return func(opts *options) {
		if o == nil {
			opts.errs = append(opts.errs, errors.New("WithObserver(nil)"))
			return
		}
		opts.observers = append(opts.observers, o)
	}
}

// observed wraps a Store and reports to its observers. Only the methods
// that claim, finish and enqueue are reported; the rest pass through.
type observed struct {
	Store
	db  *store.DB
	obs []Observer
}

func observe(s Store, db *store.DB, obs []Observer) Store {
	if len(obs) == 0 {
		return s
	}
	return &observed{Store: s, db: db, obs: obs}
}

func (o *observed) WithTx(s *store.Session) Store {
	return &observed{Store: o.Store.WithTx(s), db: o.db, obs: o.obs}
}

func (o *observed) claimStart(ctx context.Context, queue string) context.Context {
	if ctx == nil { // the store refuses it; nothing to observe
		return nil
	}
	for _, ob := range o.obs {
		ctx = ob.QueueClaimStart(ctx, queue)
	}
	return ctx
}

func (o *observed) claimed(ctx context.Context, queue string, els []Element, err error) {
	if ctx == nil {
		return
	}
	for i := len(o.obs) - 1; i >= 0; i-- {
		o.obs[i].QueueClaimed(ctx, queue, els, err)
	}
}

func (o *observed) finished(ctx context.Context, ev FinishEvent) {
	if ctx == nil {
		return
	}
	ev.At = o.db.Now()
	for _, ob := range o.obs {
		ob.QueueFinished(ctx, ev)
	}
}

func (o *observed) enqueued(ctx context.Context, queue string, n int, err error) {
	if ctx == nil {
		return
	}
	for _, ob := range o.obs {
		ob.QueueEnqueued(ctx, queue, n, err)
	}
}

func (o *observed) Claim(ctx context.Context, queue string) (Element, error) {
	ctx = o.claimStart(ctx, queue)
	e, err := o.Store.Claim(ctx, queue)
	o.claimed(ctx, queue, one(e, err), err)
	return e, err
}

func (o *observed) ClaimReference(ctx context.Context, queue, reference string) (Element, error) {
	ctx = o.claimStart(ctx, queue)
	e, err := o.Store.ClaimReference(ctx, queue, reference)
	o.claimed(ctx, queue, one(e, err), err)
	return e, err
}

// one is a single claim's elements; an empty queue is no error to report.
func one(e Element, err error) []Element {
	if err != nil {
		return nil
	}
	return []Element{e}
}

func (o *observed) ClaimBatch(ctx context.Context, queue string, n int) ([]Element, error) {
	ctx = o.claimStart(ctx, queue)
	els, err := o.Store.ClaimBatch(ctx, queue, n)
	o.claimed(ctx, queue, els, err)
	return els, err
}

func (o *observed) Finish(ctx context.Context, id uuid.UUID, r Result) error {
	err := o.Store.Finish(ctx, id, r)
	o.finished(ctx, FinishEvent{Status: r.Status, N: count(1, err), Err: err})
	return err
}

func (o *observed) FinishClaimed(ctx context.Context, e Element, r Result) error {
	err := o.Store.FinishClaimed(ctx, e, r)
	o.finished(ctx, FinishEvent{Queue: e.QueueName, Status: r.Status, N: count(1, err), Claimed: e.StartDate, Err: err})
	return err
}

func (o *observed) FinishBatch(ctx context.Context, ids []uuid.UUID, r Result) (int, error) {
	n, err := o.Store.FinishBatch(ctx, ids, r)
	o.finished(ctx, FinishEvent{Status: r.Status, N: n, Err: err})
	return n, err
}

func (o *observed) FailStale(ctx context.Context, queue string, olderThan time.Duration, message string) (int, error) {
	n, err := o.Store.FailStale(ctx, queue, olderThan, message)
	o.finished(ctx, FinishEvent{Queue: queue, Status: StatusFailed, N: n, Stale: true, Err: err})
	return n, err
}

func (o *observed) Enqueue(ctx context.Context, queue string, e NewElement) (Element, error) {
	el, err := o.Store.Enqueue(ctx, queue, e)
	o.enqueued(ctx, queue, count(1, err), err)
	return el, err
}

func (o *observed) EnqueueBatch(ctx context.Context, queue string, elements []NewElement) ([]uuid.UUID, error) {
	ids, err := o.Store.EnqueueBatch(ctx, queue, elements)
	o.enqueued(ctx, queue, len(ids), err)
	return ids, err
}

func count(n int, err error) int {
	if err != nil {
		return 0
	}
	return n
}
