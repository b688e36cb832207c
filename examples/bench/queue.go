package main

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"

	"github.com/google/uuid"

	"github.com/flowstore/flowstore/internal/rawqueue"
	"github.com/flowstore/flowstore/queue"
	"github.com/flowstore/flowstore/store"
)

// Queue hot paths against the raw driver running the same claim and finish
// SQL with bound parameters (internal/rawqueue): one element claimed and finished at a time,
// batches of queueBatch claimed and finished at once, and bulk enqueue in
// batches of enqueueBatch. The claim cases work a queue that prepare fills
// with exactly the elements the side will work.
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
			library: func(ctx context.Context, db *store.DB, _, _ int) (int, error) {
				q := queueStore(db)
				e, err := q.Claim(ctx, benchQueue)
				if errors.Is(err, queue.ErrEmpty) {
					return 0, nil
				}
				if err != nil {
					return 0, err
				}
				return 1, q.Finish(ctx, e.ID, queue.Done(""))
			},
			raw: func(ctx context.Context, db *store.DB, _, _ int) (int, error) {
				return rawSQLFor(db).ClaimFinish(ctx, db, benchQueue, 1)
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
			library: func(ctx context.Context, db *store.DB, _, _ int) (int, error) {
				q := queueStore(db)
				els, err := q.ClaimBatch(ctx, benchQueue, queueBatch)
				if err != nil || len(els) == 0 {
					return 0, err
				}
				ids := make([]uuid.UUID, len(els))
				for i, e := range els {
					ids[i] = e.ID
				}
				_, err = q.FinishBatch(ctx, ids, queue.Done(""))
				return len(els), err
			},
			raw: func(ctx context.Context, db *store.DB, _, _ int) (int, error) {
				return rawSQLFor(db).ClaimFinish(ctx, db, benchQueue, queueBatch)
			},
		})
	}
	register(&benchCase{
		name:    fmt.Sprintf("queue: bulk enqueue, batch %d", enqueueBatch),
		order:   120,
		workers: 1,
		ops:     20000,
		prepare: func(ctx context.Context, db *store.DB, _ int) error { return emptyQueue(ctx, db) },
		library: func(ctx context.Context, db *store.DB, _, max int) (int, error) {
			els := enqueueElements(min(max, enqueueBatch))
			_, err := queueStore(db).EnqueueBatch(ctx, benchQueue, els)
			return len(els), err
		},
		raw: func(ctx context.Context, db *store.DB, _, max int) (int, error) {
			refs, data := enqueueRows(min(max, enqueueBatch))
			return len(refs), rawSQLFor(db).Enqueue(ctx, db, benchQueue, refs, data, benchCreatedBy)
		},
	})
}

const (
	benchQueue     = "bench"
	benchCreatedBy = "bench"
)

// queueSides is what the two sides of the queue cases use on one
// database: the library's one queue.Store and the raw side's SQL.
type queueSides struct {
	lib queue.Store
	raw *rawqueue.SQL
}

// queueSidesOf maps each *store.DB to its *queueSides. Every prepare builds
// the entry (emptyQueue), untimed and before any worker starts; the workers
// of both sides then only read it, concurrently.
var queueSidesOf sync.Map

// buildSides makes db's entry of queueSidesOf, once.
func buildSides(db *store.DB) error {
	if _, ok := queueSidesOf.Load(db); ok {
		return nil
	}
	q, err := queue.New(db)
	if err != nil {
		return err
	}
	queueSidesOf.LoadOrStore(db, &queueSides{lib: q, raw: rawqueue.For(db)})
	return nil
}

// sidesFor returns what buildSides made for db.
func sidesFor(db *store.DB) *queueSides {
	v, _ := queueSidesOf.Load(db)
	return v.(*queueSides)
}

// queueStore returns the one queue.Store of a database.
func queueStore(db *store.DB) queue.Store { return sidesFor(db).lib }

// rawSQLFor returns the raw side's SQL for a database's dialect.
func rawSQLFor(db *store.DB) *rawqueue.SQL { return sidesFor(db).raw }

func emptyQueue(ctx context.Context, db *store.DB) error {
	if err := buildSides(db); err != nil { // here, not in the timed workers
		return err
	}
	_, err := db.SQL().ExecContext(ctx, "DELETE FROM "+db.SQLDialect().Quote("Queues"))
	return err
}

// fillQueue empties the table and enqueues n NEW elements.
func fillQueue(ctx context.Context, db *store.DB, n int) error {
	if err := emptyQueue(ctx, db); err != nil {
		return err
	}
	for lo := 0; lo < n; lo += enqueueBatch {
		if _, err := queueStore(db).EnqueueBatch(ctx, benchQueue, enqueueElements(min(enqueueBatch, n-lo))); err != nil {
			return err
		}
	}
	return nil
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
