package orchestrator_test

import (
	"context"
	"fmt"

	"github.com/flowstore/flowstore/orchestrator"
	"github.com/flowstore/flowstore/store"
)

func ExampleEngine() {
	ctx := context.Background()
	db, err := store.Open(ctx, "sqlite::memory:")
	if err != nil {
		panic(err)
	}
	defer db.Close()
	if err := db.Migrate(ctx); err != nil {
		panic(err)
	}
	e, err := orchestrator.NewEngine(ctx, db)
	if err != nil {
		panic(err)
	}
	defer e.Close(ctx)

	err = e.Register(ctx, orchestrator.Workflow{Name: "greet", Target: orchestrator.TargetSystem, Steps: []orchestrator.Step{
		orchestrator.InputStep("ask_name"),
		{Name: "greet", Fn: func(ctx context.Context, s *store.Session, st orchestrator.State) (orchestrator.Result, error) {
			// Writes through s commit with this step's row, or not at all.
			st["greeting"] = fmt.Sprintf("hello, %s", st["name"])
			return orchestrator.Success(st), nil
		}},
	}})
	if err != nil {
		panic(err)
	}
	pid, _ := e.Start(ctx, "greet", nil)
	p, _ := e.Run(ctx, pid)
	fmt.Println(p.LastStatus)
	p, _ = e.Resume(ctx, pid, orchestrator.State{"name": "world"})
	fmt.Println(p.LastStatus)
	steps, _ := e.Store().Steps(ctx, pid)
	for _, s := range steps {
		fmt.Println(*s.Seq, s.Name, s.Status)
	}
	// Output:
	// suspended
	// completed
	// 1 ask_name suspend
	// 2 ask_name success
	// 3 greet success
	// 4 Done complete
}
