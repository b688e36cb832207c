package pipeline_test

import (
	"context"
	"fmt"

	"github.com/flowstore/flowstore/orchestrator/pipeline"
	"github.com/flowstore/flowstore/store"
)

// memoryDB opens a migrated in-memory SQLite database.
func memoryDB(ctx context.Context) *store.DB {
	db, err := store.Open(ctx, "sqlite::memory:")
	if err != nil {
		panic(err)
	}
	if err := db.Migrate(ctx); err != nil {
		panic(err)
	}
	return db
}

// Define a workflow, run it twice and read the history back.
func Example() {
	ctx := context.Background()
	db := memoryDB(ctx) // in a test: storetest.New(t)
	defer db.Close()
	ps := pipeline.New(db)

	def, err := ps.CreateWorkflow(ctx, pipeline.WorkflowSpec{
		Workflow: pipeline.Workflow{Namespace: "acme", Repository: "shop", Name: "deploy", Version: "v1",
			State: pipeline.StateRunnable},
		Stages: []pipeline.StageSpec{
			{Stage: pipeline.Stage{Name: "start", Type: pipeline.StageStart}},
			{Stage: pipeline.Stage{Name: "ship", Type: pipeline.StageRun}, Actions: []pipeline.Action{{Name: "push"}}},
			{Stage: pipeline.Stage{Name: "end", Type: pipeline.StageEnd}},
		},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	for range 2 {
		run, err := ps.StartRun(ctx, def.Workflow.ID, pipeline.StartOptions{})
		if err != nil {
			fmt.Println(err)
			return
		}
		push := run.Stages[1].Actions[0].ID
		_ = ps.Transition(ctx, pipeline.LevelAction, push, pipeline.RunDoing, "")
		_ = ps.Transition(ctx, pipeline.LevelAction, push, pipeline.RunSuccess, pipeline.ReasonActionRunSuccess)
	}
	runs, _ := ps.ListRuns(ctx, pipeline.RunFilter{Namespace: "acme", Repository: "shop", Workflow: "deploy"})
	for _, r := range runs {
		fmt.Println("run", r.Sequence, r.RunState)
	}
	latest, _ := ps.GetRun(ctx, pipeline.RunFilter{Namespace: "acme", Repository: "shop", Workflow: "deploy"}, 0)
	a := latest.Stages[1].Actions[0]
	fmt.Println("latest:", latest.Workflow.Sequence, a.Name, a.RunState, a.FailReason)
	// Output:
	// run 2 CanListen
	// run 1 CanListen
	// latest: 2 push RunSuccess ACTION_RUN_SUCCESS
}

// A full workflow refuses a run with a typed error.
func ExampleInstanceLimitError() {
	ctx := context.Background()
	db := memoryDB(ctx)
	defer db.Close()
	ps := pipeline.New(db)
	def, _ := ps.CreateWorkflow(ctx, pipeline.WorkflowSpec{Workflow: pipeline.Workflow{
		Namespace: "acme", Repository: "shop", Name: "once", State: pipeline.StateRunnable}})
	_ = ps.SetInstanceLimit(ctx, def.Workflow.ID, 1)
	_, err := ps.StartRun(ctx, def.Workflow.ID, pipeline.StartOptions{})
	fmt.Println(err)
	_, err = ps.StartRun(ctx, def.Workflow.ID, pipeline.StartOptions{})
	fmt.Println(err)
	// Output:
	// <nil>
	// pipeline: workflow 1 runs 1 of 1 allowed instances: NO_ROOM_FOR_RUN_INSTANCE
}
