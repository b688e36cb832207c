package pipeline_test

import (
	"context"
	"errors"
	"fmt"
	"time"

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
	ps, err := pipeline.New(db) // or ps.WithTx(session) inside a transaction
	if err != nil {
		fmt.Println(err)
		return
	}

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
	// AllRuns pages through the whole history; ListRuns returns one page.
	for r, err := range ps.AllRuns(ctx, pipeline.RunFilter{Namespace: "acme", Repository: "shop", Workflow: "deploy"}) {
		if err != nil {
			fmt.Println(err)
			return
		}
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
	ps, _ := pipeline.New(db)
	def, _ := ps.CreateWorkflow(ctx, pipeline.WorkflowSpec{Workflow: pipeline.Workflow{
		Namespace: "acme", Repository: "shop", Name: "once", State: pipeline.StateRunnable}})
	_ = ps.SetInstanceLimit(ctx, def.Workflow.ID, 1)
	_, err := ps.StartRun(ctx, def.Workflow.ID, pipeline.StartOptions{})
	fmt.Println(err)
	_, err = ps.StartRun(ctx, def.Workflow.ID, pipeline.StartOptions{})
	fmt.Println(err)
	// Output:
	// <nil>
	// pipeline: start run of workflow 1: instance limit reached: 1 of 1 allowed instances run (NO_ROOM_FOR_RUN_INSTANCE)
}

// NextFire computes a timer's next fire time; an expression that can never
// fire is refused.
func ExampleNextFire() {
	after := time.Date(2026, 3, 1, 10, 2, 0, 0, time.UTC)
	next, err := pipeline.NextFire("*/5 * * * *", after)
	fmt.Println(next, err)
	_, err = pipeline.NextFire("0 0 30 2 *", after) // 30 February
	fmt.Println(errors.Is(err, pipeline.ErrNeverFires), errors.Is(err, store.ErrInvalid))
	// Output:
	// 2026-03-01 10:05:00 +0000 UTC <nil>
	// true true
}

// A run that requires authorisations starts once every one is supplied.
func ExampleStore_Authorize() {
	ctx := context.Background()
	db := memoryDB(ctx)
	defer db.Close()
	ps, _ := pipeline.New(db)
	def, err := ps.CreateWorkflow(ctx, pipeline.WorkflowSpec{Workflow: pipeline.Workflow{
		Namespace: "acme", Repository: "shop", Name: "release", State: pipeline.StateRunnable,
		Requires: `[{"type":"WorkflowStartAPI","token":"qa"},{"type":"default","token":"default"}]`}})
	if err != nil {
		fmt.Println(err)
		return
	}
	run, _ := ps.StartRun(ctx, def.Workflow.ID, pipeline.StartOptions{})
	id := run.Workflow.ID

	err = ps.Transition(ctx, pipeline.LevelWorkflow, id, pipeline.RunDoing, "")
	fmt.Println("start before approval:", errors.Is(err, pipeline.ErrNotAuthorized))
	left, _ := ps.Authorize(ctx, pipeline.LevelWorkflow, id, pipeline.Requirement{Type: pipeline.AuthWorkflowStartAPI, Token: "qa"}, "alice")
	fmt.Println("left after alice:", left)
	left, _ = ps.Authorize(ctx, pipeline.LevelWorkflow, id, pipeline.Requirement{Type: pipeline.AuthDefault, Token: pipeline.DefaultToken}, "bob")
	fmt.Println("left after bob:", left)
	fmt.Println("start after approval:", ps.Transition(ctx, pipeline.LevelWorkflow, id, pipeline.RunDoing, ""))
	// Output:
	// start before approval: true
	// left after alice: 1
	// left after bob: 0
	// start after approval: <nil>
}

// A TimerRunner fires due timers until its context ends. Here the clock is
// set past the first occurrence and the runner stops after one firing.
func ExampleTimerRunner() {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	at := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	clock := func() time.Time { return at }
	db, err := store.Open(ctx, "sqlite::memory:", store.WithClock(func() time.Time { return clock() }))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer db.Close()
	if err := db.Migrate(ctx); err != nil {
		fmt.Println(err)
		return
	}
	ps, _ := pipeline.New(db)
	def, _ := ps.CreateWorkflow(ctx, pipeline.WorkflowSpec{Workflow: pipeline.Workflow{
		Namespace: "acme", Repository: "shop", Name: "nightly", State: pipeline.StateRunnable}})
	tm := &pipeline.Timer{Namespace: "acme", Repository: "shop", Workflow: def.Workflow.ID, Available: true, Cron: "0 2 * * *"}
	if err := ps.CreateTimer(ctx, tm); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("next run:", tm.NextRun)

	later := at.Add(17 * time.Hour) // 03:00 the next day
	clock = func() time.Time { return later }
	runner, err := pipeline.NewTimerRunner(db, pipeline.WithPollInterval(10*time.Millisecond),
		pipeline.WithOnFire(func(f pipeline.Firing) {
			fmt.Printf("fired the %s occurrence: run %d, next at %s\n", f.Due.Format("15:04"), f.Run.Sequence, f.NextRun)
			cancel()
		}))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("run:", runner.Run(ctx))
	// Output:
	// next run: 2026-03-02 02:00:00 +0000 UTC
	// fired the 02:00 occurrence: run 1, next at 2026-03-03 02:00:00 +0000 UTC
	// run: <nil>
}
