package queue

import (
	"context"
	"fmt"
	"iter"
	"time"

	"github.com/google/uuid"

	"github.com/flowstore/flowstore/store"
)

// ErrEmpty is returned by Claim and ClaimReference when the queue has no
// element to hand out. It wraps store.ErrNotFound.
var ErrEmpty = fmt.Errorf("%w: nothing to claim", store.ErrNotFound)

// Store is the work-queue API over OpenOrchestrator's Queues table.
//
// Every method runs on the store's handle: the pool of a *store.DB, or the
// transaction of a *store.Session after WithTx, so that an enqueue (or a
// finish) commits together with the caller's own writes.
type Store interface {
	// WithTx returns the same store bound to s.
	WithTx(s *store.Session) Store

	// Enqueue adds one NEW element to a queue and returns it.
	Enqueue(ctx context.Context, queue string, e NewElement) (Element, error)
	// EnqueueBatch adds one NEW element per entry of elements (at least
	// one) in as few INSERT statements as the dialect allows, atomically,
	// and returns the new ids in input order. The i-th element's
	// created_date is the store clock's time plus i microseconds, so that
	// claims hand the batch out in input order on every dialect.
	EnqueueBatch(ctx context.Context, queue string, elements []NewElement) ([]uuid.UUID, error)

	// Claim hands out the oldest NEW element of a queue, now IN_PROGRESS with
	// start_date set, in one atomic statement: two workers never receive
	// the same element. It returns ErrEmpty when there is none.
	Claim(ctx context.Context, queue string) (Element, error)
	// ClaimReference is Claim restricted to elements with exactly this
	// reference.
	ClaimReference(ctx context.Context, queue, reference string) (Element, error)
	// ClaimBatch claims up to n of the oldest NEW elements at once, oldest
	// first; an empty queue gives an empty slice. n must be between 1 and
	// MaxClaimBatch (else store.ErrInvalid).
	ClaimBatch(ctx context.Context, queue string, n int) ([]Element, error)

	// Finish sets an IN_PROGRESS element to the result's final status and
	// stamps end_date. An element in another status is left alone and the
	// error wraps store.ErrConflict; a missing one, store.ErrNotFound.
	Finish(ctx context.Context, id uuid.UUID, r Result) error
	// FinishClaimed is Finish fenced by the claim: e is the Element a claim
	// returned, and the element is finished only if it is still
	// IN_PROGRESS under that claim (its start_date is still e.StartDate).
	// If another claim has taken it over since — with WithLease, once e's
	// lease ran out — or it is no longer IN_PROGRESS, nothing changes and
	// the error wraps store.ErrConflict; a missing element is
	// store.ErrNotFound. Workers on a store with a lease finish with this.
	FinishClaimed(ctx context.Context, e Element, r Result) error
	// FinishBatch finishes many IN_PROGRESS elements with one result in one
	// statement (per 1000 ids) and returns how many it changed. If some ids
	// were not IN_PROGRESS (or do not exist) the others are still finished
	// and the error wraps store.ErrConflict.
	FinishBatch(ctx context.Context, ids []uuid.UUID, r Result) (int, error)
	// ForceStatus sets any status on an element whatever its current one,
	// as OpenOrchestrator's set_queue_element_status does: IN_PROGRESS
	// stamps start_date, a final status stamps end_date, NEW changes no
	// date; a non-empty message replaces the stored one. For
	// administrators and for robots that rely on any-to-any changes;
	// workers use Finish.
	ForceStatus(ctx context.Context, id uuid.UUID, status Status, message string) error

	// RequeueStale sets the queue's elements that have been IN_PROGRESS for
	// longer than olderThan back to NEW (clearing start_date), in one
	// statement, and returns how many.
	RequeueStale(ctx context.Context, queue string, olderThan time.Duration) (int, error)
	// FailStale marks them FAILED instead, with the message (if not empty),
	// and returns how many.
	FailStale(ctx context.Context, queue string, olderThan time.Duration, message string) (int, error)

	// RetryDue sets the queue's FAILED elements whose retry_at (set by a
	// Worker with WithRetry) is before now back to NEW, in one conditional
	// statement, and returns how many. It clears their start_date,
	// end_date and retry_at and keeps attempts and the message. Elements
	// without retry_at — every element OpenOrchestrator failed — are left
	// alone. A Worker with WithRetry runs it by itself; now is normally
	// the store clock's time (store.DB.Now), and must not be zero.
	RetryDue(ctx context.Context, queue string, now time.Time) (int, error)

	// Get returns one element, or an error wrapping store.ErrNotFound.
	Get(ctx context.Context, id uuid.UUID) (Element, error)
	// List returns a page of the elements a filter selects: Filter.Limit
	// of them (0: store.DefaultLimit) after skipping Filter.Offset.
	List(ctx context.Context, f Filter) (Page, error)
	// All streams every element a filter selects, in the filter's order,
	// reading Filter.Limit elements (0: store.DefaultLimit) per query and
	// continuing after the last one read (keyset paging), so memory stays
	// at one page and a long list costs no growing OFFSET. Filter.Offset
	// skips elements before the first; Filter.Count is ignored. A nullable
	// order column sorts its empty values first in ascending order on every
	// dialect (see Filter.OrderBy). An error ends the sequence.
	All(ctx context.Context, f Filter) iter.Seq2[Element, error]
	// Counts returns the number of elements per queue and status.
	Counts(ctx context.Context) (Counts, error)
	// Delete removes one element; a missing one is store.ErrNotFound.
	Delete(ctx context.Context, id uuid.UUID) error
	// Prune deletes the finished (DONE, FAILED, ABANDONED) elements of a
	// queue ("" for every queue) whose end_date is before the given time,
	// and returns how many.
	Prune(ctx context.Context, queue string, before time.Time) (int, error)
}

// MaxClaimBatch is the most elements one ClaimBatch may take, on every
// dialect. It keeps a claim one statement that every dialect runs well:
// MySQL's second claim statement binds one parameter per element, SQL
// Server escalates a statement's row locks to a table lock (which would
// stall every other claimer) from about 5,000 locks, and FinishBatch
// finishes up to 1000 ids in one statement.
const MaxClaimBatch = 1000

// Option configures New.
type Option func(*options)

type options struct {
	lease     time.Duration
	observers []Observer // observe.go
	errs      []error
}

// WithLease makes Claim and ClaimBatch also hand out elements that have been
// IN_PROGRESS for longer than d: the worker that claimed them is taken to be
// dead, and another may take over. It needs no extra column (the lease runs
// from start_date, which a claim sets), so OpenOrchestrator keeps reading the
// table as before. Choose d well above the longest time a healthy worker
// needs: a worker slower than its lease shares the element with the next
// one. Such a worker must then not finish the element over the new
// claim: finish with FinishClaimed, which refuses (store.ErrConflict) once
// another claim has taken the element over, not with Finish or
// FinishBatch, which finish any IN_PROGRESS element. Claims with a lease
// cannot walk the index in order and sort the queue's NEW and IN_PROGRESS
// elements instead, so they are slower on long queues; RequeueStale from a
// periodic job is the cheaper alternative. d must be positive; without
// WithLease a claim never takes an IN_PROGRESS element.
func WithLease(d time.Duration) Option {
	return func(o *options) {
		if d <= 0 {
			o.errs = append(o.errs, fmt.Errorf("WithLease(%s): must be positive", d))
			return
		}
		o.lease = d
	}
}
