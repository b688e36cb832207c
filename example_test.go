package flowstore_test

import (
	"context"
	"fmt"

	"github.com/flowstore/flowstore"
	"github.com/flowstore/flowstore/orchestrator"
	"github.com/flowstore/flowstore/queue"
	"github.com/flowstore/flowstore/store"
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

// Bind gives a workflow step every store inside the step's transaction, so
// what the step writes commits with its step record — and a failing step
// leaves nothing behind.
func ExampleDB_Bind() {
	ctx := context.Background()
	fs, err := flowstore.Open(ctx, "sqlite::memory:")
	if err != nil {
		panic(err)
	}
	defer fs.Close()
	engine, err := fs.NewEngine()
	if err != nil {
		panic(err)
	}
	// The engine works while Run runs; stopping it deregisters it.
	runCtx, stop := context.WithCancel(ctx)
	stopped := make(chan error, 1)
	go func() { stopped <- engine.Run(runCtx) }()
	defer func() { stop(); <-stopped }()

	err = engine.Register(ctx, orchestrator.Workflow{Name: "notify", Target: orchestrator.TargetSystem,
		Steps: []orchestrator.Step{{Name: "Queue a mail", Fn: func(ctx context.Context, s *store.Session, st orchestrator.State) (orchestrator.Result, error) {
			_, err := fs.Bind(s).Queue.Enqueue(ctx, "mails", queue.NewElement{Reference: "welcome"})
			return orchestrator.Success(st), err
		}}}})
	if err != nil {
		panic(err)
	}
	pid, err := engine.Start(ctx, "notify", nil)
	if err != nil {
		panic(err)
	}
	p, err := engine.RunProcess(ctx, pid)
	if err != nil {
		panic(err)
	}
	page, err := fs.Queue.List(ctx, queue.Filter{Queue: "mails"})
	if err != nil {
		panic(err)
	}
	fmt.Println(p.LastStatus, len(page.Elements), page.Elements[0].Reference)
	// Output: completed 1 welcome
}
