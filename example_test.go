package flowstore_test

import (
	"context"
	"fmt"

	"github.com/flowstore/flowstore"
	"github.com/flowstore/flowstore/queue"
)

// Open migrates the database and binds every store to it; InTx binds them to
// one transaction, so an enqueue and a constant commit together.
func Example() {
	ctx := context.Background()
	fs, err := flowstore.Open(ctx, "sqlite::memory:")
	if err != nil {
		panic(err)
	}
	defer fs.Close()

	err = fs.InTx(ctx, func(ctx context.Context, tx *flowstore.Tx) error {
		if _, err := tx.Queue.Enqueue(ctx, "invoices", queue.NewElement{Reference: "INV-1", Data: `{"amount": 42}`}); err != nil {
			return err
		}
		return tx.Constants.Set(ctx, "last_invoice", "INV-1")
	})
	if err != nil {
		panic(err)
	}

	e, err := fs.Queue.Claim(ctx, "invoices")
	if err != nil {
		panic(err)
	}
	fmt.Println(e.Reference, e.Status)
	err = fs.Queue.Finish(ctx, e.ID, queue.Result{Status: queue.StatusDone, Message: "paid"})
	fmt.Println(err)
	// Output:
	// INV-1 IN_PROGRESS
	// <nil>
}
