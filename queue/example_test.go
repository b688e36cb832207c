package queue_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/flowstore/flowstore/queue"
	"github.com/flowstore/flowstore/store"
)

// A producer enqueues work, a worker claims and finishes it.
func Example() {
	ctx := context.Background()
	db, err := store.Open(ctx, "sqlite::memory:")
	if err != nil {
		panic(err)
	}
	defer db.Close()
	if err := db.Migrate(ctx); err != nil {
		panic(err)
	}
	q := queue.New(db)

	if _, err := q.EnqueueBatch(ctx, "invoices", []string{"INV-1", "INV-2"}, []string{`{"amount":12}`, `{"amount":7}`}, "importer"); err != nil {
		panic(err)
	}
	for {
		e, err := q.Claim(ctx, "invoices")
		if errors.Is(err, queue.ErrEmpty) {
			break
		}
		if err != nil {
			panic(err)
		}
		fmt.Println("working on", e.Reference, e.Data, e.Status)
		if err := q.Finish(ctx, e.ID, queue.Done("paid")); err != nil {
			panic(err)
		}
	}
	counts, err := q.Counts(ctx)
	if err != nil {
		panic(err)
	}
	fmt.Println(counts["invoices"])
	// Output:
	// working on INV-1 {"amount":12} IN_PROGRESS
	// working on INV-2 {"amount":7} IN_PROGRESS
	// map[DONE:2]
}

// Enqueueing inside a session commits together with the caller's other
// writes — or not at all.
func ExampleStore_WithTx() {
	ctx := context.Background()
	db, err := store.Open(ctx, "sqlite::memory:")
	if err != nil {
		panic(err)
	}
	defer db.Close()
	if err := db.Migrate(ctx); err != nil {
		panic(err)
	}
	q := queue.New(db)
	err = db.InTx(ctx, func(ctx context.Context, s *store.Session) error {
		if _, err := q.WithTx(s).Enqueue(ctx, "mail", queue.NewElement{Reference: "welcome"}); err != nil {
			return err
		}
		return errors.New("the order could not be saved")
	})
	fmt.Println(err)
	counts, _ := q.Counts(ctx)
	fmt.Println(len(counts), "queues")
	// Output:
	// the order could not be saved
	// 0 queues
}
