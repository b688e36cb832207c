package orchestrator_test

import (
	"context"
	"slices"
	"testing"

	"github.com/flowstore/flowstore/internal/testdb"
	"github.com/flowstore/flowstore/orchestrator"
	"github.com/flowstore/flowstore/store"
)

// TestRunErrorReleasesTheProcess: when executing stops on an error of its
// own (here the caller's context ends during a step, so the step cannot be
// recorded), the engine lets go of the process: it stays running, unowned,
// and another engine takes it over at once and finishes it, each step's
// writes exactly once.
func TestRunErrorReleasesTheProcess(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		e := newEngine(t, db)
		runCtx, cancel := context.WithCancel(ctx)
		defer cancel()
		cancels := orchestrator.Step{Name: "cancels", Fn: func(ctx context.Context, s *store.Session, st orchestrator.State) (orchestrator.Result, error) {
			if err := domainWrite(ctx, s, st, "cancels"); err != nil {
				return orchestrator.Result{}, err
			}
			cancel() // the caller gives up while the step runs
			return orchestrator.Success(st), nil
		}}
		wf := orchestrator.Workflow{Name: "wf", Target: orchestrator.TargetCreate,
			Steps: []orchestrator.Step{writeStep("a"), cancels, writeStep("b")}}
		if err := e.Register(ctx, wf); err != nil {
			t.Fatal(err)
		}
		pid := start(t, e, "wf")
		if p, err := e.RunProcess(runCtx, pid); err == nil {
			t.Fatalf("Run with its context cancelled mid-step: %v, no error", p)
		}
		p, err := e.Store().Process(ctx, pid)
		if err != nil {
			t.Fatal(err)
		}
		if p.LastStatus != orchestrator.StatusRunning || p.EngineInstanceID != nil {
			t.Fatalf("after the error: status %s, owner %v; want running and released", p.LastStatus, p.EngineInstanceID)
		}
		if l, q := countDomain(t, db, pid, "cancels"); l != 0 || q != 0 {
			t.Errorf("the unrecorded step left %d log rows, %d queue elements", l, q)
		}
		checkCounter(t, db)
		// Another engine — the first one is alive — takes it now.
		other := newEngine(t, db)
		if err := other.Register(ctx, wf); err != nil {
			t.Fatal(err)
		}
		if n, err := other.RecoverOnce(ctx); err != nil || n != 1 {
			t.Fatalf("RecoverOnce on another engine: %d, %v", n, err)
		}
		p, _ = other.Store().Process(ctx, pid)
		if p.LastStatus != orchestrator.StatusCompleted {
			t.Fatalf("recovered process is %s", p.LastStatus)
		}
		want := []string{"a:success", "cancels:success", "b:success", "Done:complete"}
		if got := stepsOf(t, db, pid); !slices.Equal(got, want) {
			t.Fatalf("steps = %v, want %v", got, want)
		}
		for _, s := range []string{"a", "cancels", "b"} {
			if l, q := countDomain(t, db, pid, s); l != 1 || q != 1 {
				t.Errorf("step %s: %d log rows, %d queue elements, want 1 each", s, l, q)
			}
		}
		checkCounter(t, db)
	})
}
