package orchestrator_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/flowstore/flowstore/internal/testdb"
	"github.com/flowstore/flowstore/orchestrator"
	"github.com/flowstore/flowstore/store"
)

func TestRunToCompletion(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		e := newEngine(t, db)
		wf := orchestrator.Workflow{Name: "create_thing", Target: orchestrator.TargetCreate,
			Steps: []orchestrator.Step{writeStep("one"), writeStep("two"), writeStep("three")}}
		if err := e.Register(ctx, wf); err != nil {
			t.Fatal(err)
		}
		pid := start(t, e, "create_thing")
		p, err := e.RunProcess(ctx, pid)
		if err != nil {
			t.Fatal(err)
		}
		if p.LastStatus != orchestrator.StatusCompleted || p.LastStep == nil || *p.LastStep != orchestrator.DoneStep {
			t.Fatalf("process = %s at %v, want completed at Done", p.LastStatus, p.LastStep)
		}
		want := []string{"one:success", "two:success", "three:success", "Done:complete"}
		if got := stepsOf(t, db, pid); !slices.Equal(got, want) {
			t.Fatalf("steps = %v, want %v", got, want)
		}
		for _, s := range []string{"one", "two", "three"} {
			if l, q := countDomain(t, db, pid, s); l != 1 || q != 1 {
				t.Errorf("step %s: %d log rows and %d queue elements, want 1 and 1", s, l, q)
			}
		}
		steps, _ := e.Store().Steps(ctx, pid)
		for i, s := range steps {
			if s.Seq == nil || *s.Seq != int64(i+1) {
				t.Errorf("step %d has seq %v", i, s.Seq)
			}
		}
		if stateOf(t, steps[3])["three"] != true {
			t.Errorf("final state %s lacks the steps' writes", steps[3].State)
		}
		// A second Run of a completed process is refused.
		if _, err := e.RunProcess(ctx, pid); !errors.Is(err, store.ErrConflict) {
			t.Errorf("Run of a completed process: %v, want ErrConflict", err)
		}
		checkCounter(t, db)
	})
}

func TestFailedStepRollsBackFoldsAndResumes(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		e := newEngine(t, db)
		broken := true
		flaky := orchestrator.Step{Name: "flaky", Fn: func(ctx context.Context, s *store.Session, st orchestrator.State) (orchestrator.Result, error) {
			if err := domainWrite(ctx, s, st, "flaky"); err != nil {
				return orchestrator.Result{}, err
			}
			if broken {
				// A commit from inside a step is suppressed.
				if err := s.Commit(); err != nil {
					return orchestrator.Result{}, err
				}
				return orchestrator.Result{}, errors.New("device unreachable: " + strings.Repeat("x", 12000))
			}
			return orchestrator.Success(st), nil
		}}
		if err := e.Register(ctx, orchestrator.Workflow{Name: "wf", Target: orchestrator.TargetModify,
			Steps: []orchestrator.Step{writeStep("first"), flaky, writeStep("last")}}); err != nil {
			t.Fatal(err)
		}
		pid := start(t, e, "wf")
		p, err := e.RunProcess(ctx, pid)
		if err != nil {
			t.Fatal(err)
		}
		if p.LastStatus != orchestrator.StatusFailed || p.FailedReason == nil {
			t.Fatalf("status %s, failed_reason %v", p.LastStatus, p.FailedReason)
		}
		if n := len([]rune(*p.FailedReason)); n != 10000 || !strings.HasPrefix(*p.FailedReason, "device unreachable") {
			t.Errorf("failed_reason has %d characters (want its first 10000)", n)
		}
		if l, q := countDomain(t, db, pid, "flaky"); l != 0 || q != 0 {
			t.Errorf("failed step left %d log rows, %d queue elements", l, q)
		}
		checkCounter(t, db)
		// The same failure again folds into the same row.
		for range 2 {
			if _, err := e.Resume(ctx, pid, nil); err != nil {
				t.Fatal(err)
			}
		}
		want := []string{"first:success", "flaky:failed"}
		if got := stepsOf(t, db, pid); !slices.Equal(got, want) {
			t.Fatalf("steps = %v, want %v", got, want)
		}
		steps, _ := e.Store().Steps(ctx, pid)
		if stateOf(t, steps[1])["retries"] != 2.0 {
			t.Errorf("folded row state = %.200s, want retries 2", steps[1].State)
		}
		broken = false
		p, err = e.Resume(ctx, pid, nil)
		if err != nil {
			t.Fatal(err)
		}
		if p.LastStatus != orchestrator.StatusCompleted || p.FailedReason != nil || p.Traceback != nil {
			t.Fatalf("after the fix: %s, failed_reason %v", p.LastStatus, p.FailedReason)
		}
		want = []string{"first:success", "flaky:failed", "flaky:success", "last:success", "Done:complete"}
		if got := stepsOf(t, db, pid); !slices.Equal(got, want) {
			t.Fatalf("steps = %v, want %v", got, want)
		}
		for _, s := range []string{"first", "flaky", "last"} {
			if l, q := countDomain(t, db, pid, s); l != 1 || q != 1 {
				t.Errorf("step %s: %d log rows and %d queue elements, want 1 and 1", s, l, q)
			}
		}
		checkCounter(t, db)
	})
}

func TestPanicAndRollbackOnlyFail(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		e := newEngine(t, db)
		panics := orchestrator.Step{Name: "panics", Fn: func(ctx context.Context, s *store.Session, st orchestrator.State) (orchestrator.Result, error) {
			_ = domainWrite(ctx, s, st, "panics")
			panic("boom")
		}}
		rollsBack := orchestrator.Step{Name: "rolls_back", Fn: func(ctx context.Context, s *store.Session, st orchestrator.State) (orchestrator.Result, error) {
			_ = domainWrite(ctx, s, st, "rolls_back")
			_ = s.Rollback()
			return orchestrator.Success(st), nil
		}}
		for _, step := range []orchestrator.Step{panics, rollsBack} {
			if err := e.Register(ctx, orchestrator.Workflow{Name: step.Name, Target: orchestrator.TargetSystem, IsTask: true,
				Steps: []orchestrator.Step{step}}); err != nil {
				t.Fatal(err)
			}
			pid := start(t, e, step.Name)
			p, err := e.RunProcess(ctx, pid)
			if err != nil {
				t.Fatal(err)
			}
			if p.LastStatus != orchestrator.StatusFailed {
				t.Errorf("%s: status %s, want failed", step.Name, p.LastStatus)
			}
			if l, q := countDomain(t, db, pid, step.Name); l != 0 || q != 0 {
				t.Errorf("%s: %d log rows, %d queue elements survived", step.Name, l, q)
			}
			if step.Name == "panics" && (p.Traceback == nil || !strings.Contains(*p.Traceback, "panic")) {
				t.Errorf("panic left no traceback")
			}
			// Tasks can be deleted; steps and inputs go with them.
			if err := e.Store().DeleteProcess(ctx, pid); err != nil {
				t.Fatal(err)
			}
			if _, err := e.Store().Process(ctx, pid); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("deleted process: %v", err)
			}
		}
		checkCounter(t, db)
	})
}

func TestSuspendAndResumeWithInput(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		e := newEngine(t, db)
		var seen any
		use := orchestrator.Step{Name: "use_input", Fn: func(ctx context.Context, s *store.Session, st orchestrator.State) (orchestrator.Result, error) {
			seen = st["vlan"]
			return orchestrator.Success(st), nil
		}}
		if err := e.Register(ctx, orchestrator.Workflow{Name: "wf", Target: orchestrator.TargetCreate,
			Steps: []orchestrator.Step{writeStep("prepare"), orchestrator.InputStep("ask_vlan"), use}}); err != nil {
			t.Fatal(err)
		}
		pid := start(t, e, "wf")
		p, err := e.RunProcess(ctx, pid)
		if err != nil {
			t.Fatal(err)
		}
		if p.LastStatus != orchestrator.StatusSuspended {
			t.Fatalf("status %s, want suspended", p.LastStatus)
		}
		if _, err := e.RunProcess(ctx, pid); !errors.Is(err, store.ErrConflict) {
			t.Errorf("Run of a suspended process: %v, want ErrConflict", err)
		}
		if err := e.Store().ResumeProcess(ctx, pid, orchestrator.State{"vlan": 42.0}); err != nil {
			t.Fatal(err)
		}
		// resumed guards against a double resume.
		if err := e.Store().ResumeProcess(ctx, pid, orchestrator.State{"vlan": 7.0}); !errors.Is(err, store.ErrConflict) {
			t.Errorf("second resume: %v, want ErrConflict", err)
		}
		p, err = e.RunProcess(ctx, pid)
		if err != nil {
			t.Fatal(err)
		}
		if p.LastStatus != orchestrator.StatusCompleted || seen != json.Number("42") { // numbers as written (State)
			t.Fatalf("status %s, step saw vlan %v", p.LastStatus, seen)
		}
		want := []string{"prepare:success", "ask_vlan:suspend", "ask_vlan:success", "use_input:success", "Done:complete"}
		if got := stepsOf(t, db, pid); !slices.Equal(got, want) {
			t.Fatalf("steps = %v, want %v", got, want)
		}
		ins, err := e.Store().InputStates(ctx, pid)
		if err != nil || len(ins) != 2 || ins[0].InputType != orchestrator.InputInitial || ins[1].InputType != orchestrator.InputUser {
			t.Fatalf("input states %v, %v", ins, err)
		}
		if l, _ := countDomain(t, db, pid, "prepare"); l != 1 {
			t.Errorf("prepare ran %d times", l)
		}
		checkCounter(t, db)
	})
}

func TestAbort(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		e := newEngine(t, db)
		if err := e.Register(ctx, orchestrator.Workflow{Name: "wf", Target: orchestrator.TargetCreate,
			Steps: []orchestrator.Step{writeStep("a"), orchestrator.InputStep("wait")}}); err != nil {
			t.Fatal(err)
		}
		pid := start(t, e, "wf")
		if _, err := e.RunProcess(ctx, pid); err != nil {
			t.Fatal(err)
		}
		if err := e.Store().AbortProcess(ctx, pid, ""); err != nil {
			t.Fatal(err)
		}
		if err := e.Store().AbortProcess(ctx, pid, ""); !errors.Is(err, store.ErrConflict) {
			t.Errorf("second abort: %v", err)
		}
		p, _ := e.Store().Process(ctx, pid)
		if p.LastStatus != orchestrator.StatusAborted {
			t.Errorf("status %s", p.LastStatus)
		}
		want := []string{"a:success", "wait:suspend", "User Aborted:abort"}
		if got := stepsOf(t, db, pid); !slices.Equal(got, want) {
			t.Fatalf("steps = %v, want %v", got, want)
		}
		if err := e.Store().DeleteProcess(ctx, pid); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("deleting a workflow process: %v, want ErrInvalid", err)
		}
		checkCounter(t, db)
	})
}

// TestGlobalLock: a step that sets the lock commits it with its own row; the
// next step boundary sees it and pauses the process, which stays running and
// counted; Unlock resumes it and another run finishes it.
func TestGlobalLock(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		e := newEngine(t, db)
		lockNow := orchestrator.Step{Name: "lock_now", Fn: func(ctx context.Context, s *store.Session, st orchestrator.State) (orchestrator.Result, error) {
			_, err := s.NewUpdate().Model((*orchestrator.EngineSettings)(nil)).Set("global_lock = ?", true).Where("1 = 1").Exec(ctx)
			return orchestrator.Success(st), err
		}}
		if err := e.Register(ctx, orchestrator.Workflow{Name: "wf", Target: orchestrator.TargetCreate,
			Steps: []orchestrator.Step{writeStep("a"), lockNow, writeStep("b")}}); err != nil {
			t.Fatal(err)
		}
		pid := start(t, e, "wf")
		p, err := e.RunProcess(ctx, pid)
		if err != nil {
			t.Fatal(err)
		}
		if p.LastStatus != orchestrator.StatusRunning || p.EngineInstanceID != nil {
			t.Fatalf("locked: status %s owner %v, want running and released", p.LastStatus, p.EngineInstanceID)
		}
		if got := stepsOf(t, db, pid); !slices.Equal(got, []string{"a:success", "lock_now:success"}) {
			t.Fatalf("steps = %v", got)
		}
		st, err := e.Store().EngineStatus(ctx)
		if err != nil || !st.Locked || st.Global != orchestrator.GlobalPaused || st.RunningProcesses != 1 {
			t.Fatalf("status %+v, %v", st, err)
		}
		checkCounter(t, db)
		if _, err := e.Resume(ctx, pid, nil); !errors.Is(err, store.ErrLocked) {
			t.Errorf("resume while locked: %v, want ErrLocked", err)
		}
		// Recovery takes nothing while locked.
		if n, err := e.RecoverOnce(ctx); err != nil || n != 0 {
			t.Errorf("RecoverOnce while locked: %d, %v", n, err)
		}
		n, err := e.Store().Unlock(ctx)
		if err != nil || n != 1 {
			t.Fatalf("Unlock resumed %d, %v", n, err)
		}
		checkCounter(t, db)
		if n, err := e.RecoverOnce(ctx); err != nil || n != 1 {
			t.Fatalf("RecoverOnce after unlock: %d, %v", n, err)
		}
		p, _ = e.Store().Process(ctx, pid)
		if p.LastStatus != orchestrator.StatusCompleted {
			t.Fatalf("after unlock: %s", p.LastStatus)
		}
		if got := stepsOf(t, db, pid); !slices.Equal(got, []string{"a:success", "lock_now:success", "b:success", "Done:complete"}) {
			t.Fatalf("steps = %v", got)
		}
		checkCounter(t, db)
	})
}

// TestRecoverFromDeadEngine: a process left running by an engine whose lease
// expired is taken over and continued after its last committed step.
func TestRecoverFromDeadEngine(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		wf := orchestrator.Workflow{Name: "wf", Target: orchestrator.TargetCreate,
			Steps: []orchestrator.Step{writeStep("a"), orchestrator.InputStep("ask"), writeStep("b")}}
		dead := newEngine(t, db)
		if err := dead.Register(ctx, wf); err != nil {
			t.Fatal(err)
		}
		pid := start(t, dead, "wf")
		if _, err := dead.RunProcess(ctx, pid); err != nil {
			t.Fatal(err)
		}
		if err := dead.Store().ResumeProcess(ctx, pid, orchestrator.State{"x": 1.0}); err != nil {
			t.Fatal(err)
		}
		// The dead engine claimed the process and then vanished without
		// running a step: its instance row is gone (as after Run stopped) ...
		claimAndDie(t, db, dead, pid)
		live := newEngine(t, db)
		if err := live.Register(ctx, wf); err != nil {
			t.Fatal(err)
		}
		if n, err := live.RecoverOnce(ctx); err != nil || n != 1 {
			t.Fatalf("RecoverOnce: %d, %v", n, err)
		}
		p, _ := live.Store().Process(ctx, pid)
		if p.LastStatus != orchestrator.StatusCompleted {
			t.Fatalf("recovered process is %s", p.LastStatus)
		}
		want := []string{"a:success", "ask:suspend", "ask:success", "b:success", "Done:complete"}
		if got := stepsOf(t, db, pid); !slices.Equal(got, want) {
			t.Fatalf("steps = %v, want %v", got, want)
		}
		if l, _ := countDomain(t, db, pid, "a"); l != 1 {
			t.Errorf("step a ran %d times", l)
		}
		checkCounter(t, db)
	})
}

// claimAndDie makes e claim pid (running, owned by e, counted — what
// RunProcess's claim writes) and then stops e, which removes its lease as a
// crash would let it expire. The claim is written directly: RunProcess
// would go on to execute steps, and while the engine is locked it claims
// nothing.
func claimAndDie(t *testing.T, db *store.DB, e *testEngine, pid uuid.UUID) {
	t.Helper()
	ctx := t.Context()
	err := db.InTx(ctx, func(ctx context.Context, s *store.Session) error {
		res, err := s.NewUpdate().Model((*orchestrator.Process)(nil)).
			Set("last_status = ?", orchestrator.StatusRunning).Set("engine_instance_id = ?", e.InstanceID()).
			Where("pid = ?", pid).Where("last_status IN (?)", bun.In([]string{"created", "resumed"})).Exec(ctx)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return fmt.Errorf("process %s is not created or resumed", pid)
		}
		_, err = s.NewUpdate().Model((*orchestrator.EngineSettings)(nil)).Set("running_processes = running_processes + 1").Where("1 = 1").Exec(ctx)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	e.Stop(t)
}

// TestResumeAllTasks: failed and waiting tasks are resumed and retried by a
// serving engine; workflows that are not tasks are left alone.
func TestResumeAllTasks(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		e := newEngine(t, db)
		var mu sync.Mutex
		attempts := map[string]int{}
		flaky := func(name string, wait bool) orchestrator.Step {
			return orchestrator.Step{Name: name, Fn: func(ctx context.Context, s *store.Session, st orchestrator.State) (orchestrator.Result, error) {
				pid := st["process_id"].(string)
				mu.Lock()
				attempts[pid]++
				first := attempts[pid] == 1
				mu.Unlock()
				if first {
					if wait {
						return orchestrator.Wait(errors.New("backend busy")), nil
					}
					return orchestrator.Result{}, errors.New("backend down")
				}
				return orchestrator.Success(st), nil
			}}
		}
		for _, wf := range []orchestrator.Workflow{
			{Name: "task_wait", Target: orchestrator.TargetSystem, IsTask: true, Steps: []orchestrator.Step{flaky("w", true)}},
			{Name: "task_fail", Target: orchestrator.TargetSystem, IsTask: true, Steps: []orchestrator.Step{flaky("f", false)}},
			{Name: "not_a_task", Target: orchestrator.TargetModify, Steps: []orchestrator.Step{flaky("n", false)}},
		} {
			if err := e.Register(ctx, wf); err != nil {
				t.Fatal(err)
			}
		}
		pids := map[string]uuid.UUID{}
		for _, name := range []string{"task_wait", "task_fail", "not_a_task"} {
			pids[name] = start(t, e, name)
			if _, err := e.RunProcess(ctx, pids[name]); err != nil {
				t.Fatal(err)
			}
		}
		n, err := storeOf(t, db).ResumeAllTasks(ctx)
		if err != nil || n != 2 {
			t.Fatalf("ResumeAllTasks resumed %d, %v; want 2", n, err)
		}
		if n, err := e.RecoverOnce(ctx); err != nil || n != 2 {
			t.Fatalf("RecoverOnce ran %d, %v", n, err)
		}
		want := map[string]orchestrator.ProcessStatus{"task_wait": orchestrator.StatusCompleted, "task_fail": orchestrator.StatusCompleted, "not_a_task": orchestrator.StatusFailed}
		for name, st := range want {
			p, _ := e.Store().Process(ctx, pids[name])
			if p.LastStatus != st {
				t.Errorf("%s is %s, want %s", name, p.LastStatus, st)
			}
		}
		checkCounter(t, db)
	})
}
