package orchestrator_test

import (
	"testing"
	"time"

	"github.com/flowstore/flowstore/internal/testdb"
	"github.com/flowstore/flowstore/orchestrator"
	"github.com/flowstore/flowstore/store"
)

// TestEnginesShareWork: three running engines share one database; each
// process is executed by one of them, each step's writes land exactly once.
func TestEnginesShareWork(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		wf := orchestrator.Workflow{Name: "shared", Target: orchestrator.TargetCreate,
			Steps: []orchestrator.Step{writeStep("a"), writeStep("b"), writeStep("c")}}
		var engines []*testEngine
		for range 3 {
			e := newEngine(t, db, orchestrator.WithPollInterval(10*time.Millisecond), orchestrator.WithMaxConcurrent(3))
			if err := e.Register(ctx, wf); err != nil {
				t.Fatal(err)
			}
			engines = append(engines, e)
		}
		const n = 12
		for range n {
			start(t, engines[0], "shared")
		}
		deadline := time.Now().Add(time.Minute)
		for completed(t, db) < n && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
		}
		for _, e := range engines {
			e.Stop(t)
		}
		ps, err := engines[0].Store().Processes(ctx, orchestrator.ProcessFilter{Workflow: "shared"})
		if err != nil {
			t.Fatal(err)
		}
		if len(ps) != n {
			t.Errorf("%d processes, want %d", len(ps), n)
		}
		for _, p := range ps {
			if p.LastStatus != orchestrator.StatusCompleted {
				t.Errorf("process %s is %s", p.PID, p.LastStatus)
			}
			if got := len(stepsOf(t, db, p.PID)); got != 4 {
				t.Errorf("process %s has %d step rows, want 4", p.PID, got)
			}
			for _, s := range []string{"a", "b", "c"} {
				if l, q := countDomain(t, db, p.PID, s); l != 1 || q != 1 {
					t.Errorf("process %s step %s: %d log rows, %d queue elements", p.PID, s, l, q)
				}
			}
		}
		checkCounter(t, db)
	})
}
