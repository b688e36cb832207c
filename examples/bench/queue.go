package main

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/google/uuid"

	"github.com/flowstore/flowstore/internal/rawqueue"
	"github.com/flowstore/flowstore/queue"
)

// Queue hot paths against the raw driver running the same claim and finish
// SQL with bound parameters (internal/rawqueue): one element claimed and
// finished at a time, batches of queueBatch claimed and finished at once,
// and bulk enqueue in batches of enqueueBatch. The claim cases work the
// run's queue, which prepare fills with exactly the elements the side will
// work. The single-element cases also measure the anchor
// (rawqueue.Anchor): the plainest single-row claim of the dialect on a
// minimal table of the run's own.
const (
	queueBatch   = 100
	enqueueBatch = 1000
)

func init() {
	for i, workers := range []int{1, 4, 16} {
		register(&benchCase{
			name:    fmt.Sprintf("queue: claim + finish, %d workers", workers),
			order:   100 + i,
			workers: workers,
			ops:     2000,
			prepare: fillQueue,
			library: func(ctx context.Context, e *env, _, _ int) (int, error) {
				q := e.queue.lib
				el, err := q.Claim(ctx, e.tag)
				if errors.Is(err, queue.ErrEmpty) {
					return 0, nil
				}
				if err != nil {
					return 0, err
				}
				return 1, q.Finish(ctx, el.ID, queue.Done(""))
			},
			raw: func(ctx context.Context, e *env, _, _ int) (int, error) {
				return e.queue.raw.ClaimFinishOn(ctx, e.raw, e.tag, 1)
			},
			anchorPrepare: fillAnchor,
			anchor: func(ctx context.Context, e *env, _, _ int) (int, error) {
				return e.anchor.a.ClaimFinish(ctx, e.raw)
			},
		})
	}
	for i, workers := range []int{1, 4, 16} {
		register(&benchCase{
			name:    fmt.Sprintf("queue: batch claim + finish (%d), %d workers", queueBatch, workers),
			order:   110 + i,
			workers: workers,
			ops:     20000,
			prepare: fillQueue,
			library: func(ctx context.Context, e *env, _, _ int) (int, error) {
				q := e.queue.lib
				els, err := q.ClaimBatch(ctx, e.tag, queueBatch)
				if err != nil || len(els) == 0 {
					return 0, err
				}
				ids := make([]uuid.UUID, len(els))
				for i, el := range els {
					ids[i] = el.ID
				}
				_, err = q.FinishBatch(ctx, ids, queue.Done(""))
				return len(els), err
			},
			raw: func(ctx context.Context, e *env, _, _ int) (int, error) {
				return e.queue.raw.ClaimFinishOn(ctx, e.raw, e.tag, queueBatch)
			},
		})
	}
	register(&benchCase{
		name:    fmt.Sprintf("queue: bulk enqueue, batch %d", enqueueBatch),
		order:   120,
		workers: 1,
		ops:     20000,
		prepare: func(ctx context.Context, e *env, _ int) error { return emptyQueue(ctx, e) },
		library: func(ctx context.Context, e *env, _, max int) (int, error) {
			els := enqueueElements(min(max, enqueueBatch))
			_, err := e.queue.lib.EnqueueBatch(ctx, e.tag, els)
			return len(els), err
		},
		raw: func(ctx context.Context, e *env, _, max int) (int, error) {
			refs, data := enqueueRows(min(max, enqueueBatch))
			return len(refs), e.queue.raw.EnqueueOn(ctx, e.raw, e.tag, refs, data, benchCreatedBy)
		},
	})
}

const benchCreatedBy = "bench"

// queueSides is what the two sides of the queue cases use: the library's
// one queue.Store and the raw side's SQL.
type queueSides struct {
	lib queue.Store
	raw *rawqueue.SQL
}

// emptyQueue deletes the run's queue (the elements of no other queue), and
// builds e.queue the first time, untimed and before any worker starts.
func emptyQueue(ctx context.Context, e *env) error {
	if e.queue == nil {
		q, err := queue.New(e.db)
		if err != nil {
			return err
		}
		e.queue = &queueSides{lib: q, raw: rawqueue.For(e.db)}
	}
	d := e.db.SQLDialect()
	_, err := e.db.SQL().ExecContext(ctx, d.Rebind("DELETE FROM "+d.Quote("Queues")+" WHERE "+d.Quote("queue_name")+" = ?"), e.tag)
	return err
}

// fillQueue empties the run's queue and enqueues n NEW elements.
func fillQueue(ctx context.Context, e *env, n int) error {
	if err := emptyQueue(ctx, e); err != nil {
		return err
	}
	for lo := 0; lo < n; lo += enqueueBatch {
		if _, err := e.queue.lib.EnqueueBatch(ctx, e.tag, enqueueElements(min(enqueueBatch, n-lo))); err != nil {
			return err
		}
	}
	return nil
}

// anchorSide is the run's anchor table.
type anchorSide struct{ a *rawqueue.Anchor }

// fillAnchor makes the run's anchor table the first time and fills it with n
// new rows.
func fillAnchor(ctx context.Context, e *env, n int) error {
	if e.anchor == nil {
		a := rawqueue.NewAnchor(e.db.SQLDialect(), e.tableTag)
		if err := a.Create(ctx, e.raw); err != nil {
			return err
		}
		e.anchor = &anchorSide{a: a}
	}
	return e.anchor.a.Fill(ctx, e.raw, n)
}

// enqueueElements is n elements in the library's shape.
func enqueueElements(n int) []queue.NewElement {
	els := make([]queue.NewElement, n)
	for i := range els {
		ref, data := enqueueRow(i)
		els[i] = queue.NewElement{Reference: ref, Data: data, CreatedBy: benchCreatedBy}
	}
	return els
}

// enqueueRows is the same n elements in the raw side's shape, columns.
func enqueueRows(n int) (refs, data []string) {
	refs, data = make([]string, n), make([]string, n)
	for i := range refs {
		refs[i], data[i] = enqueueRow(i)
	}
	return refs, data
}

// enqueueRow is the i-th element of a batch, which both shapes are built
// from, so that both sides insert the same values.
func enqueueRow(i int) (ref, data string) {
	return "ref-" + strconv.Itoa(i), `{"invoice":12345,"amount":"99.50"}`
}
