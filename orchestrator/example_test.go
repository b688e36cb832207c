package orchestrator_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/flowstore/flowstore/orchestrator"
	"github.com/flowstore/flowstore/store"
)

// runEngineFor starts e's Run and returns the function that stops it and
// waits for it to return.
func runEngineFor(e *orchestrator.Engine) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.Run(ctx) }()
	return func() {
		cancel()
		if err := <-done; err != nil {
			panic(err)
		}
	}
}

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
	// This engine runs its process itself (RunProcess, Resume); the long
	// poll interval keeps its own polls from taking the process first.
	e, err := orchestrator.NewEngine(db, orchestrator.WithPollInterval(time.Hour))
	if err != nil {
		panic(err)
	}
	// Run registers the engine and works until its context ends; stop it
	// before closing db.
	stop := runEngineFor(e)
	defer stop()

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
	p, _ := e.RunProcess(ctx, pid)
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

// Lock stops the engines at step boundaries for maintenance; EngineStatus
// tells whether processes are still executing (PAUSING) or all have stopped
// (PAUSED). While locked, nothing starts.
func ExampleStore_Lock() {
	ctx := context.Background()
	db, err := store.Open(ctx, "sqlite::memory:")
	if err != nil {
		panic(err)
	}
	defer db.Close()
	if err := db.Migrate(ctx); err != nil {
		panic(err)
	}
	e, err := orchestrator.NewEngine(db, orchestrator.WithPollInterval(time.Hour))
	if err != nil {
		panic(err)
	}
	stop := runEngineFor(e)
	defer stop()
	err = e.Register(ctx, orchestrator.Workflow{Name: "nightly_check", Target: orchestrator.TargetSystem, IsTask: true,
		Steps: []orchestrator.Step{{Name: "check", Fn: func(_ context.Context, _ *store.Session, st orchestrator.State) (orchestrator.Result, error) {
			return orchestrator.Success(st), nil
		}}}})
	if err != nil {
		panic(err)
	}

	// The lock needs no engine: any program with the database can set it.
	st, err := orchestrator.New(db)
	if err != nil {
		panic(err)
	}
	if err := st.Lock(ctx); err != nil {
		panic(err)
	}
	status, _ := st.EngineStatus(ctx)
	fmt.Println(status.Global, "locked:", status.Locked, "executing:", status.Executing)
	pid, _ := e.Start(ctx, "nightly_check", nil)
	_, err = e.RunProcess(ctx, pid)
	fmt.Println("run while locked:", errors.Is(err, store.ErrLocked))

	n, _ := st.Unlock(ctx)
	status, _ = st.EngineStatus(ctx)
	fmt.Println(status.Global, "resumed by unlock:", n)
	p, _ := e.RunProcess(ctx, pid)
	fmt.Println(p.LastStatus)
	// Output:
	// PAUSED locked: true executing: 0
	// run while locked: true
	// RUNNING resumed by unlock: 0
	// completed
}

// ResumeProcess resumes a suspended process without an engine (as flowctl
// does); a running engine — here one RecoverOnce — then continues it, and
// the suspended step finds the input.
func ExampleStore_ResumeProcess() {
	ctx := context.Background()
	db, err := store.Open(ctx, "sqlite::memory:")
	if err != nil {
		panic(err)
	}
	defer db.Close()
	if err := db.Migrate(ctx); err != nil {
		panic(err)
	}
	e, err := orchestrator.NewEngine(db, orchestrator.WithPollInterval(time.Hour))
	if err != nil {
		panic(err)
	}
	stop := runEngineFor(e)
	defer stop()
	err = e.Register(ctx, orchestrator.Workflow{Name: "change_port", Target: orchestrator.TargetModify, Steps: []orchestrator.Step{
		orchestrator.InputStep("approve"),
		{Name: "apply", Fn: func(_ context.Context, _ *store.Session, st orchestrator.State) (orchestrator.Result, error) {
			fmt.Println("applying, approved by", st["approved_by"])
			return orchestrator.Success(st), nil
		}},
	}})
	if err != nil {
		panic(err)
	}
	pid, _ := e.Start(ctx, "change_port", nil)
	p, _ := e.RunProcess(ctx, pid)
	fmt.Println(p.LastStatus)

	st, err := orchestrator.New(db)
	if err != nil {
		panic(err)
	}
	if err := st.ResumeProcess(ctx, pid, orchestrator.State{"approved_by": "alice"}); err != nil {
		panic(err)
	}
	p, _ = st.Process(ctx, pid)
	fmt.Println(p.LastStatus)
	n, _ := e.RecoverOnce(ctx)
	p, _ = st.Process(ctx, pid)
	fmt.Println("ran", n, "process:", p.LastStatus)
	ins, _ := st.InputStates(ctx, pid)
	for _, in := range ins {
		fmt.Println(in.InputType)
	}
	// Output:
	// suspended
	// resumed
	// applying, approved by alice
	// ran 1 process: completed
	// initial_state
	// user_input
}
