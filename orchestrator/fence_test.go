package orchestrator_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/flowstore/flowstore/internal/testdb"
	"github.com/flowstore/flowstore/orchestrator"
	"github.com/flowstore/flowstore/store"
)

// TestStepCommitIsFenced: when a process is taken away from the engine while
// a step runs — here aborted from another connection — the step's commit
// finds the process no longer running under its owner: the whole step,
// domain writes included, rolls back and the engine stops executing it.
// SQLite admits one writer at a time, so there the abort cannot overlap the
// step; the step itself moves the process away inside its own transaction,
// which meets the same fence.
func TestStepCommitIsFenced(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		e := newEngine(t, db)
		entered, release := make(chan struct{}), make(chan struct{})
		stolen := orchestrator.Step{Name: "stolen", Fn: func(ctx context.Context, s *store.Session, st orchestrator.State) (orchestrator.Result, error) {
			if err := domainWrite(ctx, s, st, "stolen"); err != nil {
				return orchestrator.Result{}, err
			}
			if db.SQLDialect().Has(store.FeatureSerialWrites) {
				_, err := s.NewUpdate().Model((*orchestrator.Process)(nil)).Set("engine_instance_id = ?", "someone-else").
					Where("pid = ?", st["process_id"]).Exec(ctx)
				return orchestrator.Success(st), err
			}
			close(entered)
			<-release
			return orchestrator.Success(st), nil
		}}
		if err := e.Register(ctx, orchestrator.Workflow{Name: "wf", Target: orchestrator.TargetCreate,
			Steps: []orchestrator.Step{writeStep("before"), stolen, writeStep("after")}}); err != nil {
			t.Fatal(err)
		}
		pid := start(t, e, "wf")
		if db.SQLDialect().Has(store.FeatureSerialWrites) {
			p, err := e.RunProcess(ctx, pid)
			if err != nil {
				t.Fatal(err)
			}
			if p.LastStatus != orchestrator.StatusRunning || *p.LastStep != "before" {
				t.Fatalf("after the fenced step: %s at %v", p.LastStatus, *p.LastStep)
			}
		} else {
			done := make(chan error, 1)
			go func() { _, err := e.RunProcess(ctx, pid); done <- err }()
			<-entered
			// Abort commits while the step is still running.
			abortErr := storeOf(t, db).AbortProcess(ctx, pid, "")
			close(release)
			if err := <-done; err != nil {
				t.Fatal(err)
			}
			if abortErr != nil {
				t.Fatal(abortErr)
			}
			want := []string{"before:success", "User Aborted:abort"}
			if got := stepsOf(t, db, pid); !slices.Equal(got, want) {
				t.Fatalf("steps = %v, want %v", got, want)
			}
			p, _ := e.Store().Process(ctx, pid)
			if p.LastStatus != orchestrator.StatusAborted {
				t.Fatalf("status %s", p.LastStatus)
			}
		}
		if l, q := countDomain(t, db, pid, "stolen"); l != 0 || q != 0 {
			t.Errorf("the fenced step left %d log rows, %d queue elements", l, q)
		}
		if _, err := e.RunProcess(ctx, pid); !errors.Is(err, store.ErrConflict) {
			t.Errorf("Run after losing the process: %v, want ErrConflict", err)
		}
		checkCounter(t, db)
	})
}
