package main

import (
	"context"

	"github.com/flowstore/flowstore/internal/rawqueue"
	"github.com/flowstore/flowstore/store"
)

// raw is the comparison: the statements the queue package runs, written out
// by hand (internal/rawqueue, whose test keeps them equal to what the
// library runs), executed with bound parameters on the same *sql.DB.
type raw struct {
	db  *store.DB
	sql *rawqueue.SQL
}

func newRaw(db *store.DB) *raw { return &raw{db: db, sql: rawqueue.For(db)} }

func (r *raw) enqueue(ctx context.Context, c config) error {
	for lo := 0; lo < c.n; lo += 10000 {
		k := min(10000, c.n-lo)
		refs, data := make([]string, k), make([]string, k)
		for i := range k {
			refs[i], data[i] = item(lo + i)
		}
		if err := r.sql.Enqueue(ctx, r.db, c.queue, refs, data, createdBy); err != nil {
			return err
		}
	}
	return nil
}

func (r *raw) worker(c config) workFunc {
	return func(ctx context.Context) (int, error) {
		return r.sql.ClaimFinish(ctx, r.db, c.queue, c.batch)
	}
}
