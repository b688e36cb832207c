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
			refs, data := enqueueRows(min(max, enqueueBatch))
			_, err := queueStore(db).EnqueueBatch(ctx, benchQueue, refs, data, "bench")
			return len(refs), err
		},
		raw: func(ctx context.Context, db *store.DB, _, max int) (int, error) {
			refs, data := enqueueRows(min(max, enqueueBatch))
			return len(refs), rawSQLFor(db).Enqueue(ctx, db, benchQueue, refs, data, "bench")
		},
	})
}

const benchQueue = "bench"

// queueSides is what the two sides of the queue cases use on one
// database: the library's one queue.Store and the raw side's SQL.
type queueSides struct {
	lib queue.Store
	raw *rawqueue.SQL
}

// queueSidesOf maps each *store.DB to its *queueSides. Every prepare builds
// the entry (emptyQueue), untimed and before any worker starts; the workers
// of both sides then only read it, concurrently — a sync.Map, so that even
// a first use from a worker would be safe.
var queueSidesOf sync.Map

func sidesFor(db *store.DB) *queueSides {
	if v, ok := queueSidesOf.Load(db); ok {
		return v.(*queueSides)
	}
	v, _ := queueSidesOf.LoadOrStore(db, &queueSides{lib: queue.New(db), raw: rawqueue.For(db.Dialect())})
	return v.(*queueSides)
}

// queueStore returns the one queue.Store of a database.
func queueStore(db *store.DB) queue.Store { return sidesFor(db).lib }

// rawSQLFor returns the raw side's SQL for a database's dialect.
func rawSQLFor(db *store.DB) *rawqueue.SQL { return sidesFor(db).raw }

func emptyQueue(ctx context.Context, db *store.DB) error {
	_ = sidesFor(db) // built here, not in the timed workers
	_, err := db.SQL().ExecContext(ctx, "DELETE FROM "+db.Dialect().Quote("Queues"))
	return err
}

// fillQueue empties the table and enqueues n NEW elements.
func fillQueue(ctx context.Context, db *store.DB, n int) error {
	if err := emptyQueue(ctx, db); err != nil {
		return err
	}
	for lo := 0; lo < n; lo += enqueueBatch {
		refs, data := enqueueRows(min(enqueueBatch, n-lo))
		if _, err := queueStore(db).EnqueueBatch(ctx, benchQueue, refs, data, "bench"); err != nil {
			return err
		}
	}
	return nil
}

func enqueueRows(n int) (refs, data []string) {
	refs, data = make([]string, n), make([]string, n)
	for i := range refs {
		refs[i], data[i] = "ref-"+strconv.Itoa(i), `{"invoice":12345,"amount":"99.50"}`
	}
	return refs, data
}
