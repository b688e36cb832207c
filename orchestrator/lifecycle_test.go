package orchestrator_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/flowstore/flowstore/internal/testdb"
	"github.com/flowstore/flowstore/orchestrator"
	"github.com/flowstore/flowstore/store"
)

// instanceRows counts the engine_instances rows of the engine named name.
func instanceRows(t *testing.T, db *store.DB, name string) int {
	t.Helper()
	n, err := db.Bun().NewSelect().Model((*orchestrator.EngineInstance)(nil)).Where("instance_id = ?", name).Count(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return int(n)
}

// TestRunStopsWithinStopTimeout: when Run's context ends while a step
// hangs, Run waits for the step no longer than its stop timeout, cancels it
// — the step's writes roll back — removes its instance row and returns;
// another engine then takes the process over at once and finishes it, each
// step's writes exactly once. Both for a step that ends when its context
// does and for one that ignores it.
func TestRunStopsWithinStopTimeout(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		for _, cooperative := range []bool{true, false} {
			name := map[bool]string{true: "step_ends_with_its_context", false: "step_ignores_its_context"}[cooperative]
			t.Run(name, func(t *testing.T) {
				ctx := t.Context()
				const stopTimeout, queryTimeout = 300 * time.Millisecond, 2 * time.Second
				entered, release := make(chan struct{}, 1), make(chan struct{})
				var hang atomic.Bool
				hang.Store(true)
				hangs := orchestrator.Step{Name: "hangs", Fn: func(ctx context.Context, s *store.Session, st orchestrator.State) (orchestrator.Result, error) {
					if err := domainWrite(ctx, s, st, "hangs"); err != nil {
						return orchestrator.Result{}, err
					}
					if hang.Load() {
						entered <- struct{}{}
						if cooperative {
							<-ctx.Done()
							return orchestrator.Result{}, ctx.Err()
						}
						<-release
					}
					return orchestrator.Success(st), nil
				}}
				wf := orchestrator.Workflow{Name: "wf_" + name, Target: orchestrator.TargetSystem, Steps: []orchestrator.Step{writeStep("a"), hangs}}
				e, err := orchestrator.NewEngine(db, orchestrator.WithPollInterval(20*time.Millisecond),
					orchestrator.WithStopTimeout(stopTimeout), orchestrator.WithQueryTimeout(queryTimeout),
					orchestrator.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
				if err != nil {
					t.Fatal(err)
				}
				if err := e.Register(ctx, wf); err != nil {
					t.Fatal(err)
				}
				te := runEngine(t, e)
				pid := start(t, te, wf.Name)
				<-entered // the engine's poll took the process, and its step hangs
				began := time.Now()
				te.Stop(t)
				took := time.Since(began)
				if !cooperative {
					// Let the abandoned step return before the test ends; its
					// transaction is long rolled back.
					defer close(release)
				}
				bound := stopTimeout + queryTimeout
				if !cooperative {
					bound += queryTimeout
				}
				if took < stopTimeout || took > bound {
					t.Errorf("Run returned %s after its context ended; want between the stop timeout %s and %s", took, stopTimeout, bound)
				}
				if n := instanceRows(t, db, e.InstanceID()); n != 0 {
					t.Errorf("%d instance rows left after Run returned", n)
				}
				p, err := storeOf(t, db).Process(ctx, pid)
				if err != nil {
					t.Fatal(err)
				}
				if p.LastStatus != orchestrator.StatusRunning || *p.LastStep != "a" {
					t.Fatalf("after the stop: %s at %v, want running after step a", p.LastStatus, *p.LastStep)
				}
				if cooperative && p.EngineInstanceID != nil {
					t.Errorf("the cancelled step's process is still owned by %s", *p.EngineInstanceID)
				}
				if l, q := countDomain(t, db, pid, "hangs"); l != 0 || q != 0 {
					t.Errorf("the cancelled step left %d log rows, %d queue elements", l, q)
				}
				hang.Store(false)
				other := newEngine(t, db)
				if err := other.Register(ctx, wf); err != nil {
					t.Fatal(err)
				}
				if n, err := other.RecoverOnce(ctx); err != nil || n != 1 {
					t.Fatalf("RecoverOnce on another engine: %d, %v", n, err)
				}
				if p, _ := other.Store().Process(ctx, pid); p.LastStatus != orchestrator.StatusCompleted {
					t.Fatalf("recovered process is %s", p.LastStatus)
				}
				for _, s := range []string{"a", "hangs"} {
					if l, q := countDomain(t, db, pid, s); l != 1 || q != 1 {
						t.Errorf("step %s: %d log rows, %d queue elements, want 1 each", s, l, q)
					}
				}
				checkCounter(t, db)
			})
		}
	})
}

// TestRunProcessNeedsRun: RunProcess, Resume and RecoverOnce wait for Run
// to register the engine for at most the query timeout, and then fail with
// ErrNotRunning before writing anything; with Run running they work, and
// once Run has returned they fail at once. Run runs once.
func TestRunProcessNeedsRun(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		const queryTimeout = 200 * time.Millisecond
		e, err := orchestrator.NewEngine(db, orchestrator.WithPollInterval(time.Hour), orchestrator.WithQueryTimeout(queryTimeout))
		if err != nil {
			t.Fatal(err)
		}
		if err := e.Register(ctx, orchestrator.Workflow{Name: "wf", Target: orchestrator.TargetSystem,
			Steps: []orchestrator.Step{orchestrator.InputStep("ask")}}); err != nil {
			t.Fatal(err)
		}
		pid, err := e.Start(ctx, "wf", nil)
		if err != nil {
			t.Fatal(err)
		}
		began := time.Now()
		_, err = e.RunProcess(ctx, pid)
		if !errors.Is(err, orchestrator.ErrNotRunning) || !strings.Contains(err.Error(), "call Run first") {
			t.Fatalf("RunProcess before Run: %v, want ErrNotRunning saying to call Run", err)
		}
		if took := time.Since(began); took < queryTimeout {
			t.Errorf("RunProcess gave up after %s, before the query timeout %s", took, queryTimeout)
		}
		if _, err := e.RecoverOnce(ctx); !errors.Is(err, orchestrator.ErrNotRunning) {
			t.Errorf("RecoverOnce before Run: %v, want ErrNotRunning", err)
		}
		st := storeOf(t, db)
		if p, err := st.Process(ctx, pid); err != nil || p.LastStatus != orchestrator.StatusCreated || p.EngineInstanceID != nil {
			t.Fatalf("after the refused RunProcess: %v, %v; want created and unowned", p, err)
		}
		te := runEngine(t, e)
		if p, err := te.RunProcess(ctx, pid); err != nil || p.LastStatus != orchestrator.StatusSuspended {
			t.Fatalf("RunProcess with Run running: %v, %v", p, err)
		}
		te.Stop(t)
		began = time.Now()
		if _, err := e.Resume(ctx, pid, orchestrator.State{"x": 1.0}); !errors.Is(err, orchestrator.ErrNotRunning) {
			t.Fatalf("Resume after Run returned: %v, want ErrNotRunning", err)
		}
		if took := time.Since(began); took >= queryTimeout {
			t.Errorf("Resume after Run returned waited %s", took)
		}
		// Resume refused before it wrote: the process is still suspended.
		if p, _ := st.Process(ctx, pid); p.LastStatus != orchestrator.StatusSuspended {
			t.Errorf("the refused Resume left the process %s", p.LastStatus)
		}
		if ins, _ := st.InputStates(ctx, pid); len(ins) != 1 {
			t.Errorf("the refused Resume recorded input: %d input rows", len(ins))
		}
		if err := e.Run(ctx); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("second Run: %v, want ErrInvalid", err)
		}
		checkCounter(t, db)
	})
}

// TestRunRegistersAndStopRemovesTheRow: Run inserts the engine's instance
// row and removes it when it stops. A name a live engine holds is refused
// at once; the name of an engine whose lease expired is taken over.
func TestRunRegistersAndStopRemovesTheRow(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		e, err := orchestrator.NewEngine(db, orchestrator.WithPollInterval(time.Hour), orchestrator.WithName("engine-1"))
		if err != nil {
			t.Fatal(err)
		}
		if n := instanceRows(t, db, "engine-1"); n != 0 {
			t.Fatalf("NewEngine wrote %d instance rows; it must do no I/O", n)
		}
		te := runEngine(t, e)
		if n := instanceRows(t, db, "engine-1"); n != 1 {
			t.Fatalf("%d instance rows while Run runs", n)
		}
		twin, err := orchestrator.NewEngine(db, orchestrator.WithName("engine-1"))
		if err != nil {
			t.Fatal(err)
		}
		if err := twin.Run(ctx); !errors.Is(err, store.ErrDuplicate) {
			t.Errorf("Run under the name of a live engine: %v, want ErrDuplicate", err)
		}
		te.Stop(t)
		if n := instanceRows(t, db, "engine-1"); n != 0 {
			t.Fatalf("%d instance rows after Run returned", n)
		}

		// A crashed engine's row, its lease expired; the engine restarts
		// under its name.
		gone := orchestrator.EngineInstance{InstanceID: "engine-2", StartedAt: db.Now().Add(-time.Hour),
			HeartbeatAt: db.Now().Add(-time.Hour), ExpiresAt: db.Now().Add(-time.Minute)}
		if _, err := db.Bun().NewInsert().Model(&gone).Exec(ctx); err != nil {
			t.Fatal(err)
		}
		restarted, err := orchestrator.NewEngine(db, orchestrator.WithPollInterval(time.Hour), orchestrator.WithName("engine-2"))
		if err != nil {
			t.Fatal(err)
		}
		runEngine(t, restarted)
		var row orchestrator.EngineInstance
		if err := db.Bun().NewSelect().Model(&row).Where("instance_id = ?", "engine-2").Scan(ctx); err != nil {
			t.Fatal(err)
		}
		if !row.ExpiresAt.After(db.Now()) || row.OSPID == nil {
			t.Errorf("taken-over row: expires %s, os_pid %v; want a live lease of this process", row.ExpiresAt, row.OSPID)
		}
	})
}

// TestNewEngineValidatesWithoutIO: NewEngine and New check their input and
// touch no database — an offline one, which fails every statement, is
// enough — and count text in the dialect's units.
func TestNewEngineValidatesWithoutIO(t *testing.T) {
	for _, d := range store.DialectNames() {
		db := testdb.Offline(d)
		if _, err := orchestrator.NewEngine(db, orchestrator.WithName("engine"), orchestrator.WithCreatedBy("ops")); err != nil {
			t.Errorf("%s: NewEngine: %v", d, err)
		}
		if _, err := orchestrator.New(db); err != nil {
			t.Errorf("%s: New: %v", d, err)
		}
		// 33 characters outside the BMP: 66 UTF-16 code units on SQL
		// Server, more than instance_id's 64.
		_, err := orchestrator.NewEngine(db, orchestrator.WithName(strings.Repeat("😀", 33)))
		if tooLong := d == store.SQLServer; errors.Is(err, store.ErrTooLong) != tooLong {
			t.Errorf("%s: a name of 33 emoji: %v (too long: %t)", d, err, tooLong)
		}
	}
	db := testdb.Offline(store.SQLite)
	for _, c := range []struct {
		opt  orchestrator.EngineOption
		want error
	}{
		{orchestrator.WithName(""), store.ErrInvalid},
		{orchestrator.WithName(strings.Repeat("x", 65)), store.ErrTooLong},
		{orchestrator.WithCreatedBy(strings.Repeat("x", 256)), store.ErrTooLong},
		{orchestrator.WithLease(0), store.ErrInvalid},
		{orchestrator.WithPollInterval(-time.Second), store.ErrInvalid},
		{orchestrator.WithMaxConcurrent(0), store.ErrInvalid},
		{orchestrator.WithStopTimeout(-time.Second), store.ErrInvalid},
		{orchestrator.WithQueryTimeout(0), store.ErrInvalid},
	} {
		_, err := orchestrator.NewEngine(db, c.opt)
		if !errors.Is(err, c.want) || strings.Count(err.Error(), "orchestrator:") != 1 {
			t.Errorf("NewEngine with a bad option: %v, want %v, prefixed once", err, c.want)
		}
	}
	if _, err := orchestrator.NewEngine(db, orchestrator.WithStopTimeout(0)); err != nil {
		t.Errorf("a stop timeout of 0 (cancel at once): %v", err)
	}
	if _, err := orchestrator.NewEngine(nil); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("NewEngine(nil): %v", err)
	}
	if _, err := orchestrator.New(nil); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("New(nil): %v", err)
	}
}

// TestStopWithHeartbeatStuck: a heartbeat that cannot finish — here it
// waits for a lock another transaction holds on the engine's row, as it
// would wait on a dead connection — does not keep Run from stopping: the
// heartbeat is cancelled, and the removal of the row, which waits for the
// same lock, gives up after the query timeout.
func TestStopWithHeartbeatStuck(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		const queryTimeout = 500 * time.Millisecond
		e, err := orchestrator.NewEngine(db, orchestrator.WithPollInterval(time.Hour), orchestrator.WithLease(300*time.Millisecond),
			orchestrator.WithQueryTimeout(queryTimeout), orchestrator.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
		if err != nil {
			t.Fatal(err)
		}
		te := runEngine(t, e)
		holder, err := db.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer holder.Rollback()
		if _, err := holder.NewUpdate().Model((*orchestrator.EngineInstance)(nil)).Set("heartbeat_at = heartbeat_at").
			Where("instance_id = ?", e.InstanceID()).Exec(ctx); err != nil {
			t.Fatal(err)
		}
		testdb.WaitBlocked(t, db, 1) // the next heartbeat waits for the row
		began := time.Now()
		te.Stop(t)
		// The last heartbeat is given up after the query timeout; the
		// deregistration waits for the same row, and as a write that reached
		// the database it gets the commit grace (store.WithCommitGrace, 1 s)
		// past its query timeout to learn its outcome.
		const commitGrace = time.Second
		if took := time.Since(began); took > 2*queryTimeout+commitGrace+time.Second {
			t.Errorf("Run took %s to stop with its heartbeat stuck; want at most twice the query timeout %s and the commit grace", took, queryTimeout)
		}
	})
}
