package queue_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

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
	q, err := queue.New(db)
	if err != nil {
		panic(err)
	}

	if _, err := q.EnqueueBatch(ctx, "invoices", []queue.NewElement{
		{Reference: "INV-1", Data: `{"amount":12}`, CreatedBy: "importer"},
		{Reference: "INV-2", Data: `{"amount":7}`, CreatedBy: "importer"},
	}); err != nil {
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
	q, err := queue.New(db)
	if err != nil {
		panic(err)
	}
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

// openExample opens a migrated in-memory database whose clock the example
// sets, so that time can pass in it.
func openExample(ctx context.Context, now *time.Time) *store.DB {
	db, err := store.Open(ctx, "sqlite::memory:", store.WithClock(func() time.Time { return *now }))
	if err != nil {
		panic(err)
	}
	if err := db.Migrate(ctx); err != nil {
		panic(err)
	}
	return db
}

// A worker claims up to a batch of elements at once, oldest first (a batch
// comes out in the order it went in), and finishes them in one statement.
func ExampleStore_ClaimBatch() {
	ctx := context.Background()
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	db := openExample(ctx, &now)
	defer db.Close()
	q, err := queue.New(db)
	if err != nil {
		panic(err)
	}

	var mail []queue.NewElement
	for _, ref := range []string{"A", "B", "C", "D", "E"} {
		mail = append(mail, queue.NewElement{Reference: ref, CreatedBy: "importer"})
	}
	if _, err := q.EnqueueBatch(ctx, "mail", mail); err != nil {
		panic(err)
	}
	for {
		els, err := q.ClaimBatch(ctx, "mail", 2)
		if err != nil {
			panic(err)
		}
		if len(els) == 0 {
			break // the queue is empty
		}
		ids := make([]uuid.UUID, len(els))
		for i, e := range els {
			ids[i] = e.ID
			fmt.Print(e.Reference, " ")
		}
		n, err := q.FinishBatch(ctx, ids, queue.Done("sent"))
		if err != nil {
			panic(err)
		}
		fmt.Println("- finished", n)
	}
	_, err = q.ClaimBatch(ctx, "mail", queue.MaxClaimBatch+1)
	fmt.Println(errors.Is(err, store.ErrInvalid))
	// Output:
	// A B - finished 2
	// C D - finished 2
	// E - finished 1
	// true
}

// With a lease, a claim takes over an element whose worker has held it for
// too long; the slow worker's FinishClaimed then fails instead of
// finishing the element under the new worker.
func ExampleWithLease() {
	ctx := context.Background()
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	db := openExample(ctx, &now)
	defer db.Close()
	q, err := queue.New(db, queue.WithLease(10*time.Minute))
	if err != nil {
		panic(err)
	}

	if _, err := q.Enqueue(ctx, "reports", queue.NewElement{Reference: "Q1"}); err != nil {
		panic(err)
	}
	slow, err := q.Claim(ctx, "reports")
	if err != nil {
		panic(err)
	}
	now = now.Add(5 * time.Minute)
	_, err = q.Claim(ctx, "reports")
	fmt.Println("after 5 minutes:", errors.Is(err, queue.ErrEmpty))

	now = now.Add(10 * time.Minute) // the slow worker's lease has run out
	fresh, err := q.Claim(ctx, "reports")
	if err != nil {
		panic(err)
	}
	fmt.Println("after 15 minutes:", fresh.Reference, "claimed again")

	err = q.FinishClaimed(ctx, slow, queue.Done("slow"))
	fmt.Println("slow worker:", errors.Is(err, store.ErrConflict))
	err = q.FinishClaimed(ctx, fresh, queue.Done("fresh"))
	fmt.Println("fresh worker:", err)
	// Output:
	// after 5 minutes: true
	// after 15 minutes: Q1 claimed again
	// slow worker: true
	// fresh worker: <nil>
}

// List pages through a queue with filters, as OpenOrchestrator's queue view
// does.
func ExampleStore_List() {
	ctx := context.Background()
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	db := openExample(ctx, &now)
	defer db.Close()
	q, err := queue.New(db)
	if err != nil {
		panic(err)
	}

	for _, ref := range []string{"INV-1", "INV-2", "INV-3", "ORD-1"} {
		if _, err := q.Enqueue(ctx, "invoices", queue.NewElement{Reference: ref, Data: `{"ref":"` + ref + `"}`}); err != nil {
			panic(err)
		}
		now = now.Add(time.Minute)
	}
	e, err := q.Claim(ctx, "invoices")
	if err != nil {
		panic(err)
	}
	if err := q.Finish(ctx, e.ID, queue.Failed("customer unknown")); err != nil {
		panic(err)
	}

	page, err := q.List(ctx, queue.Filter{Queue: "invoices", Search: "INV", Desc: true, Limit: 2, Count: true})
	if err != nil {
		panic(err)
	}
	for _, e := range page.Elements {
		fmt.Println(e.Reference, e.Status, e.CreatedDate.Format("15:04"))
	}
	fmt.Println(len(page.Elements), "of", page.Total)

	failed, err := q.List(ctx, queue.Filter{Queue: "invoices", Status: queue.StatusFailed})
	if err != nil {
		panic(err)
	}
	fmt.Println(failed.Elements[0].Reference, failed.Elements[0].Message)
	// Output:
	// INV-3 NEW 12:02
	// INV-2 NEW 12:01
	// 2 of 3
	// INV-1 customer unknown
}

// RequeueStale, run from a periodic job, hands elements whose worker died
// out again.
func ExampleStore_RequeueStale() {
	ctx := context.Background()
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	db := openExample(ctx, &now)
	defer db.Close()
	q, err := queue.New(db)
	if err != nil {
		panic(err)
	}

	if _, err := q.EnqueueBatch(ctx, "jobs", []queue.NewElement{{Reference: "a"}, {Reference: "b"}}); err != nil {
		panic(err)
	}
	if _, err := q.Claim(ctx, "jobs"); err != nil { // a worker takes "a" and dies
		panic(err)
	}
	now = now.Add(20 * time.Minute)
	if _, err := q.Claim(ctx, "jobs"); err != nil { // another takes "b", healthy
		panic(err)
	}
	now = now.Add(time.Minute)

	n, err := q.RequeueStale(ctx, "jobs", 15*time.Minute)
	if err != nil {
		panic(err)
	}
	fmt.Println("requeued", n)
	e, err := q.Claim(ctx, "jobs")
	if err != nil {
		panic(err)
	}
	fmt.Println("claimed", e.Reference, "again")
	// Output:
	// requeued 1
	// claimed a again
}

// All streams every element a filter selects, a page at a time, however
// many there are; a loop may stop early.
func ExampleStore_All() {
	ctx := context.Background()
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	db := openExample(ctx, &now)
	defer db.Close()
	q, err := queue.New(db)
	if err != nil {
		panic(err)
	}

	var els []queue.NewElement
	for i := range 250 {
		els = append(els, queue.NewElement{Reference: fmt.Sprintf("INV-%03d", i)})
	}
	if _, err := q.EnqueueBatch(ctx, "invoices", els); err != nil {
		panic(err)
	}

	n := 0
	for e, err := range q.All(ctx, queue.Filter{Queue: "invoices"}) { // 100 per query
		if err != nil {
			panic(err)
		}
		if n%100 == 0 {
			fmt.Println(e.Reference)
		}
		n++
	}
	fmt.Println(n, "elements")

	// The newest three, then stop: a loop may end early.
	for e, err := range q.All(ctx, queue.Filter{Queue: "invoices", Desc: true}) {
		if err != nil {
			panic(err)
		}
		fmt.Print(e.Reference, " ")
		if e.Reference == "INV-247" {
			break
		}
	}
	fmt.Println()
	// Output:
	// INV-000
	// INV-100
	// INV-200
	// 250 elements
	// INV-249 INV-248 INV-247
}
