package orchestrator_test

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/flowstore/flowstore/internal/testdb"
	"github.com/flowstore/flowstore/orchestrator"
	"github.com/flowstore/flowstore/store"
)

// TestRunWhileLocked: Run of a created process while the engine is locked
// returns ErrLocked and writes nothing — the process stays created, unowned
// and uncounted — and runs normally once unlocked.
func TestRunWhileLocked(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		e := newEngine(t, db)
		if err := e.Register(ctx, orchestrator.Workflow{Name: "wf", Target: orchestrator.TargetCreate,
			Steps: []orchestrator.Step{writeStep("a")}}); err != nil {
			t.Fatal(err)
		}
		pid := start(t, e, "wf")
		before, err := e.Store().Process(ctx, pid)
		if err != nil {
			t.Fatal(err)
		}
		if err := e.Store().Lock(ctx); err != nil {
			t.Fatal(err)
		}
		if p, err := e.RunProcess(ctx, pid); !errors.Is(err, store.ErrLocked) {
			t.Fatalf("Run while locked: %v, %v; want ErrLocked", p, err)
		}
		after, err := e.Store().Process(ctx, pid)
		if err != nil {
			t.Fatal(err)
		}
		if after.LastStatus != orchestrator.StatusCreated || after.EngineInstanceID != nil || !after.LastModifiedAt.Equal(before.LastModifiedAt) {
			t.Errorf("Run while locked wrote: status %s, owner %v, modified %s (was %s)", after.LastStatus, after.EngineInstanceID, after.LastModifiedAt, before.LastModifiedAt)
		}
		set, _ := e.Store().Settings(ctx)
		if set.RunningProcesses != 0 {
			t.Errorf("running_processes = %d after a refused Run", set.RunningProcesses)
		}
		if got := stepsOf(t, db, pid); len(got) != 0 {
			t.Errorf("steps %v after a refused Run", got)
		}
		checkCounter(t, db)
		if n, err := e.Store().Unlock(ctx); err != nil || n != 0 {
			t.Fatalf("Unlock: %d, %v", n, err)
		}
		p, err := e.RunProcess(ctx, pid)
		if err != nil || p.LastStatus != orchestrator.StatusCompleted {
			t.Fatalf("Run after unlock: %v, %v", p, err)
		}
		if got := stepsOf(t, db, pid); !slices.Equal(got, []string{"a:success", "Done:complete"}) {
			t.Errorf("steps %v", got)
		}
		checkCounter(t, db)
	})
}

// TestEngineStatusCountsLiveOwnersOnly: a running process counts as
// executing only while its owner's lease is valid, so a locked engine whose
// processes were left by dead engines is PAUSED, not PAUSING forever.
func TestEngineStatusCountsLiveOwnersOnly(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		e := newEngine(t, db)
		dead := newEngine(t, db)
		wf := orchestrator.Workflow{Name: "wf", Target: orchestrator.TargetCreate, Steps: []orchestrator.Step{writeStep("a")}}
		for _, e := range []*testEngine{e, dead} {
			if err := e.Register(ctx, wf); err != nil {
				t.Fatal(err)
			}
		}
		pid := start(t, e, "wf")
		claimAndDie(t, db, dead, pid) // running, owned by an engine whose row is gone
		if err := e.Store().Lock(ctx); err != nil {
			t.Fatal(err)
		}
		status := func(want orchestrator.GlobalStatus, executing int) {
			t.Helper()
			st, err := storeOf(t, db).EngineStatus(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if st.Global != want || st.Executing != executing || st.RunningProcesses != 1 || st.Locked != (want != orchestrator.GlobalRunning) {
				t.Errorf("status %+v, want %s with %d executing and 1 running", st, want, executing)
			}
		}
		status(orchestrator.GlobalPaused, 0)
		// Owned by an engine whose row is there but whose lease expired.
		expired := orchestrator.EngineInstance{InstanceID: "expired", StartedAt: db.Now().Add(-time.Hour),
			HeartbeatAt: db.Now().Add(-time.Hour), ExpiresAt: db.Now().Add(-time.Minute)}
		if _, err := db.Bun().NewInsert().Model(&expired).Exec(ctx); err != nil {
			t.Fatal(err)
		}
		setOwner(t, db, pid, "expired")
		status(orchestrator.GlobalPaused, 0)
		// Owned by a live engine: it is still executing a step.
		setOwner(t, db, pid, e.InstanceID())
		status(orchestrator.GlobalPausing, 1)
		setOwner(t, db, pid, "expired")
		if _, err := e.Store().Unlock(ctx); err != nil {
			t.Fatal(err)
		}
		status(orchestrator.GlobalRunning, 0)
	})
}

func setOwner(t *testing.T, db *store.DB, pid any, owner string) {
	t.Helper()
	if _, err := db.Bun().NewUpdate().Model((*orchestrator.Process)(nil)).Set("engine_instance_id = ?", owner).Where("pid = ?", pid).Exec(t.Context()); err != nil {
		t.Fatal(err)
	}
}
