package orchestrator_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/flowstore/flowstore/internal/testdb"
	"github.com/flowstore/flowstore/orchestrator"
	"github.com/flowstore/flowstore/store"
)

const (
	crashProcesses = 24
	crashRounds    = 10
)

var crashSteps = []string{"reserve", "configure", "enqueue", "activate", "notify"}

// crashWorkflow's steps each write a Logs row and enqueue a Queues element,
// pausing a little inside the transaction so that kills land mid-step too.
func crashWorkflow() orchestrator.Workflow {
	wf := orchestrator.Workflow{Name: "crash", Target: orchestrator.TargetCreate}
	for _, name := range crashSteps {
		inner := writeStep(name)
		wf.Steps = append(wf.Steps, orchestrator.Step{Name: name, Fn: func(ctx context.Context, s *store.Session, st orchestrator.State) (orchestrator.Result, error) {
			time.Sleep(time.Duration(10+rand.IntN(20)) * time.Millisecond)
			return inner.Fn(ctx, s, st)
		}})
	}
	return wf
}

// TestCrashRecovery starts engines in child processes, SIGKILLs them at
// random moments, restarts them, and checks that every process completed
// with each step's writes exactly once, and the counter is true.
func TestCrashRecovery(t *testing.T) {
	if testdb.IsChild() {
		crashChild(t)
		return
	}
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		e := newEngine(t, db)
		if err := e.Register(ctx, crashWorkflow()); err != nil {
			t.Fatal(err)
		}
		for range crashProcesses {
			start(t, e, "crash")
		}
		e.Stop(t)
		env := map[string]string{"CRASH_DSN": testdb.DSN(t, db)}
		kills, interrupted := 0, 0
		began := time.Now()
		for round := range crashRounds {
			kids := []*testdb.Child{testdb.StartChild(t, "TestCrashRecovery", env), testdb.StartChild(t, "TestCrashRecovery", env)}
			// Wait for one engine to serve; the other may still be starting
			// (on SQLite a starting engine can wait long for the write lock
			// while the other works), and being killed then is a crash like
			// any other.
			waitServing(t, kids)
			time.Sleep(time.Duration(20+rand.IntN(130)) * time.Millisecond)
			// Kill one, then (mostly) the other a moment later.
			for i, k := range kids {
				if i == 1 && round%3 == 2 {
					continue // let it run on alone; it is killed next round's end
				}
				if err := k.Kill(); err != nil {
					t.Fatal(err)
				}
				kills++
				_ = k.Wait()
				time.Sleep(time.Duration(rand.IntN(50)) * time.Millisecond)
			}
			_ = kids[1].Kill()
			_ = kids[1].Wait()
			n := completed(t, db)
			t.Logf("round %d: %d completed after %s", round, n, time.Since(began))
			// The counter moves in the step transactions, so every kill —
			// mid-step included — leaves it equal to the running rows.
			checkCounter(t, db)
			if n < crashProcesses {
				interrupted++
			}
		}
		// The kills must have hit engines with work left, or this test
		// would prove nothing.
		if interrupted < crashRounds/2 {
			t.Fatalf("only %d of %d rounds were killed with work left", interrupted, crashRounds)
		}
		// Two engines finish the work.
		final := []*testdb.Child{testdb.StartChild(t, "TestCrashRecovery", env), testdb.StartChild(t, "TestCrashRecovery", env)}
		for _, k := range final {
			if err := k.Wait(); err != nil {
				t.Fatalf("final engine: %v\n%s", err, k.Output())
			}
		}
		t.Logf("%d kills, %d rounds killed with work left", kills, interrupted)
		checkCrashResult(t, db)
		// The killed engines left their instance rows; with their processes
		// recovered, pruning removes every one of them.
		left, _ := db.Bun().NewSelect().Model((*orchestrator.EngineInstance)(nil)).Count(ctx)
		if left == 0 {
			t.Fatal("no engine_instances rows left by the killed engines")
		}
		if n, err := storeOf(t, db).PruneInstances(ctx, 0); err != nil || int64(n) != left {
			t.Errorf("PruneInstances removed %d of %d rows: %v", n, left, err)
		}
	})
}

func checkCrashResult(t *testing.T, db *store.DB) {
	ctx := t.Context()
	st := storeOf(t, db)
	ps, err := st.Processes(ctx, orchestrator.ProcessFilter{Workflow: "crash"})
	if err != nil {
		t.Fatal(err)
	}
	if len(ps) != crashProcesses {
		t.Fatalf("%d processes, want %d", len(ps), crashProcesses)
	}
	want := make([]string, 0, len(crashSteps)+1)
	for _, s := range crashSteps {
		want = append(want, s+":success")
	}
	want = append(want, orchestrator.DoneStep+":complete")
	for _, p := range ps {
		if p.LastStatus != orchestrator.StatusCompleted {
			t.Errorf("process %s is %s", p.PID, p.LastStatus)
		}
		if got := stepsOf(t, db, p.PID); !slices.Equal(got, want) {
			t.Errorf("process %s steps = %v, want %v", p.PID, got, want)
		}
		for _, s := range crashSteps {
			if l, q := countDomain(t, db, p.PID, s); l != 1 || q != 1 {
				t.Errorf("process %s step %s: %d log rows, %d queue elements, want exactly 1 each", p.PID, s, l, q)
			}
		}
	}
	// No domain write without its step row: the totals match the steps.
	logs, _ := db.Bun().NewSelect().Model((*logRow)(nil)).Count(ctx)
	queued, _ := db.Bun().NewSelect().Model((*queueRow)(nil)).Count(ctx)
	if n := int64(crashProcesses * len(crashSteps)); logs != n || queued != n {
		t.Errorf("%d log rows and %d queue elements in all, want %d each", logs, queued, n)
	}
	checkCounter(t, db)
	set, _ := st.Settings(ctx)
	if set.RunningProcesses != 0 {
		t.Errorf("running_processes = %d after all completed", set.RunningProcesses)
	}
}

// crashChild is one engine: it serves until every crash process completed.
func crashChild(t *testing.T) {
	ctx := context.Background()
	db, err := store.Open(ctx, os.Getenv("CRASH_DSN"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	e, err := orchestrator.NewEngine(db, orchestrator.WithLease(500*time.Millisecond),
		orchestrator.WithPollInterval(20*time.Millisecond), orchestrator.WithMaxConcurrent(1))
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Register(ctx, crashWorkflow()); err != nil {
		t.Fatal(err)
	}
	sctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- e.Run(sctx) }()
	if err := orchestrator.WaitRegistered(ctx, e); err != nil {
		t.Fatal(err)
	}
	fmt.Println("serving")
	for {
		n, err := db.Bun().NewSelect().Model((*orchestrator.Process)(nil)).Where("last_status <> ?", orchestrator.StatusCompleted).Count(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

func completed(t *testing.T, db *store.DB) int {
	n, err := db.Bun().NewSelect().Model((*orchestrator.Process)(nil)).Where("last_status = ?", orchestrator.StatusCompleted).Count(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return int(n)
}

// waitServing waits until one of the children prints "serving" (or has
// finished all the work and exited cleanly).
func waitServing(t *testing.T, kids []*testdb.Child) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for time.Now().Before(deadline) {
		for _, k := range kids {
			if strings.Contains(k.Output(), "serving") {
				return
			}
		}
		time.Sleep(2 * time.Millisecond)
	}
	t.Fatalf("no engine started serving within a minute:\n%s", kids[0].Output())
}
