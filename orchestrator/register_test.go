package orchestrator_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/flowstore/flowstore/internal/testdb"
	"github.com/flowstore/flowstore/orchestrator"
	"github.com/flowstore/flowstore/store"
)

// TestConcurrentRegister: engines starting at once all register the same
// new workflow; every Register succeeds and one workflows row results,
// whose id every engine uses.
func TestConcurrentRegister(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		const engines, rounds = 6, 5
		var es []*testEngine
		for range engines {
			es = append(es, newEngine(t, db))
		}
		for round := range rounds {
			wf := orchestrator.Workflow{Name: fmt.Sprintf("new_workflow_%d", round), Target: orchestrator.TargetCreate,
				Description: fmt.Sprintf("round %d", round), Steps: []orchestrator.Step{writeStep("a")}}
			gate := make(chan struct{})
			errs := make([]error, engines)
			var wg sync.WaitGroup
			for i, e := range es {
				wg.Go(func() {
					<-gate
					errs[i] = e.Register(ctx, wf)
				})
			}
			close(gate)
			wg.Wait()
			if err := errors.Join(errs...); err != nil {
				t.Fatalf("round %d: concurrent Register: %v", round, err)
			}
			n, err := db.Bun().NewSelect().Model((*orchestrator.WorkflowRow)(nil)).Where("name = ?", wf.Name).Count(ctx)
			if err != nil || n != 1 {
				t.Fatalf("round %d: %d workflows rows, %v", round, n, err)
			}
			// A process started by one engine runs on any other.
			pid := start(t, es[round%engines], wf.Name)
			if p, err := es[(round+1)%engines].RunProcess(ctx, pid); err != nil || p.LastStatus != orchestrator.StatusCompleted {
				t.Fatalf("round %d: run: %v, %v", round, p, err)
			}
		}
	})
}

// TestSaveWorkflowInSessionAfterDuplicate: a SaveWorkflow on a session
// whose insert meets the row another transaction inserted and then
// committed goes on as an update inside that session: the failed insert is
// undone by its savepoint (PostgreSQL would abort the whole transaction
// otherwise) and the session goes on to commit. On SQLite the second
// transaction waits for the first before it reads, so there is no race to
// lose, but the test still shows the session's result.
func TestSaveWorkflowInSessionAfterDuplicate(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		st := storeOf(t, db)
		first, err := db.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer first.Rollback()
		if _, err := st.WithTx(first).SaveWorkflow(ctx, &orchestrator.WorkflowRow{Name: "raced", Target: orchestrator.TargetCreate}); err != nil {
			t.Fatal(err)
		}
		desc := "from the second session"
		done := make(chan error, 1)
		go func() {
			done <- db.InTx(ctx, func(ctx context.Context, s *store.Session) error {
				// Reads no row (the first is not committed), then its insert
				// waits for the first transaction's row and fails once that
				// commits.
				w, err := st.WithTx(s).SaveWorkflow(ctx, &orchestrator.WorkflowRow{Name: "raced", Target: orchestrator.TargetModify, Description: &desc})
				if err != nil {
					return err
				}
				got, err := st.WithTx(s).WorkflowByID(ctx, w.WorkflowID)
				if err != nil || got.Target != orchestrator.TargetModify {
					return fmt.Errorf("in the second session: %v, %v", got, err)
				}
				return nil
			})
		}()
		// The second session waits for the first: at its insert on the
		// row the first inserted (SQLite: for the write turn, before it
		// reads anything).
		testdb.WaitBlocked(t, db, 1)
		if err := first.Commit(); err != nil {
			t.Fatal(err)
		}
		if err := <-done; err != nil {
			t.Fatalf("second session: %v", err)
		}
		w, err := st.Workflow(ctx, "raced")
		if err != nil || w.Target != orchestrator.TargetModify || w.Description == nil || *w.Description != desc {
			t.Fatalf("after both: %+v, %v", w, err)
		}
	})
}
