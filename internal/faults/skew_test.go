package faults_test

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/flowstore/flowstore/internal/testdb"
	"github.com/flowstore/flowstore/orchestrator"
	"github.com/flowstore/flowstore/store"
	"github.com/flowstore/flowstore/trigger"
)

const skew = 30 * time.Second

const stepPause = 150 * time.Millisecond

// Leases that tolerate skew, by the rule the orchestrator and trigger
// package docs state: an engine's lease must exceed the skew by the
// heartbeat interval (a third of the lease), so 1.5 × skew; a scheduler's
// by a poll interval.
const (
	tolerantEngineLease    = 50 * time.Second
	tolerantSchedulerLease = 40 * time.Second
	// Leases below the skew, for the control runs that show the test
	// sees a takeover when there is one.
	shortLease = 10 * time.Second
)

// TestClockSkew runs two engines and two schedulers on one database whose
// store clocks differ by +30 s and by -30 s, with leases sized by the
// documented rule: no live engine's process is taken over (every process
// has all its steps from one engine, each once) and no trigger starts
// twice (schedulers recover stale runs back to IDLE, the mode in which a
// wrong recovery would start a trigger again).
//
// The control subtests run the same with leases below the skew on the
// server dialects and must see takeovers and recovered live runs: that is what the leases
// protect against, and it shows the checks can fail.
func TestClockSkew(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		for _, d := range []time.Duration{skew, -skew} {
			t.Run(fmt.Sprintf("skew%+ds", int(d.Seconds())), func(t *testing.T) {
				eng, sch := skewRun(t, db, d, tolerantEngineLease, tolerantSchedulerLease)
				if eng.takenOver != 0 || eng.doubleSteps != 0 {
					t.Errorf("engines with skew %s and lease %s: %d processes taken over, %d steps run twice", d, tolerantEngineLease, eng.takenOver, eng.doubleSteps)
				}
				if sch.doubles != 0 || sch.recovered != 0 {
					t.Errorf("schedulers with skew %s and lease %s: %d double starts, %d live runs recovered", d, tolerantSchedulerLease, sch.doubles, sch.recovered)
				}
				t.Logf("%s skew %s: %d processes by %v, none taken over; %d triggers started once each by %v",
					db.SQLDialect().Name(), d, eng.processes, eng.byEngine, sch.starts, sch.byScheduler)
			})
		}
		if db.SQLDialect().Has(store.FeatureSerialWrites) {
			// On SQLite a step's transaction holds the one write lock
			// for the whole step, so another engine cannot claim a
			// running process mid-step: the control needs a server.
			return
		}
		for _, d := range []time.Duration{skew, -skew} {
			t.Run(fmt.Sprintf("control-skew%+ds-short-lease", int(d.Seconds())), func(t *testing.T) {
				eng, sch := skewRun(t, db, d, shortLease, shortLease)
				if eng.takenOver == 0 {
					t.Errorf("engines with skew %s and lease %s: no process taken over; the check would miss a takeover", d, shortLease)
				}
				if sch.doubles == 0 && sch.recovered == 0 {
					t.Errorf("schedulers with skew %s and lease %s: no live run recovered; the check would miss one", d, shortLease)
				}
				t.Logf("control, skew %s lease %s: %d of %d processes taken over (%v); %d double starts, %d live runs recovered",
					d, shortLease, eng.takenOver, eng.processes, eng.byEngine, sch.doubles, sch.recovered)
			})
		}
	})
}

type engineResult struct {
	processes, takenOver, doubleSteps int
	byEngine                          map[string]int
}

type schedulerResult struct {
	starts, doubles, recovered int
	byScheduler                map[string]int
}

// skewRun runs one round: engine and scheduler "a" on the real clock, "b"
// on the real clock plus d, on handles of db's database of their own.
func skewRun(t *testing.T, db *store.DB, d, engineLease, schedulerLease time.Duration) (engineResult, schedulerResult) {
	ctx := t.Context()
	dsn := testdb.DSN(t, db)
	run := uuid.NewString()[:8] // names of this round's rows
	clocks := map[string]func() time.Time{
		"a": time.Now,
		"b": func() time.Time { return time.Now().Add(d) },
	}
	handles := map[string]*store.DB{}
	for name, clock := range clocks {
		h, err := store.Open(ctx, dsn, store.WithClock(clock))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { h.Close() })
		handles[name] = h
	}
	if _, err := db.SQL().ExecContext(ctx, effectsDDL); err != nil && !strings.Contains(strings.ToLower(err.Error()), "exist") {
		t.Fatal(err)
	}

	// Engines: processes of 4 steps of 60 ms, started on both engines'
	// handles, taken by whichever engine polls first.
	processes, steps := 4, 3
	if full() {
		processes, steps = 8, 4
	}
	wf := orchestrator.Workflow{Name: "skew-" + run, Target: orchestrator.TargetCreate}
	engines := map[string]*orchestrator.Engine{}
	var amu sync.Mutex
	attempts := map[string]map[string]bool{} // pid → engines that executed a step of it (committed or not)
	for name, h := range handles {
		var stepsOf []orchestrator.Step
		for i := range steps {
			stepName := fmt.Sprintf("s%d", i)
			stepsOf = append(stepsOf, orchestrator.Step{Name: stepName, Fn: func(ctx context.Context, s *store.Session, st orchestrator.State) (orchestrator.Result, error) {
				pid, _ := st["process_id"].(string)
				amu.Lock()
				if attempts[pid] == nil {
					attempts[pid] = map[string]bool{}
				}
				attempts[pid][name] = true
				amu.Unlock()
				time.Sleep(stepPause)
				if _, err := s.NewRaw("INSERT INTO fault_effects (kind, ref) VALUES (?, ?)", "skew-"+name, pid+"/"+stepName).Exec(ctx); err != nil {
					return orchestrator.Result{}, err
				}
				return orchestrator.Success(st), nil
			}})
		}
		e, err := orchestrator.NewEngine(h, orchestrator.WithName("skew-"+run+"-"+name), orchestrator.WithLease(engineLease),
			orchestrator.WithPollInterval(20*time.Millisecond), orchestrator.WithMaxConcurrent(processes))
		if err != nil {
			t.Fatal(err)
		}
		w := wf
		w.Steps = stepsOf
		if err := e.Register(ctx, w); err != nil {
			t.Fatal(err)
		}
		engines[name] = e
	}

	// Schedulers: single triggers due now, whose handler runs 400 ms.
	const triggers = 6
	ts, err := trigger.New(db)
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	startsOf := map[uuid.UUID][]string{}
	schedulers := map[string]*trigger.Scheduler{}
	recoveries := &countingHandler{match: "recovered runs of stale schedulers"}
	for name, h := range handles {
		s, err := trigger.NewScheduler(h, func(ctx context.Context, tr trigger.Trigger) error {
			mu.Lock()
			startsOf[tr.ID] = append(startsOf[tr.ID], name)
			mu.Unlock()
			select {
			case <-time.After(time.Second):
			case <-ctx.Done():
			}
			return nil
		}, trigger.WithName("skew-"+run+"-"+name), trigger.WithPollInterval(20*time.Millisecond),
			trigger.WithLease(schedulerLease), trigger.WithRecover(trigger.RecoverIdle), trigger.WithMaxConcurrent(triggers),
			trigger.WithLogger(slog.New(recoveries)))
		if err != nil {
			t.Fatal(err)
		}
		schedulers[name] = s
	}

	// The engine and scheduler whose clock is behind start first and take
	// all the work; then the ones ahead start. Those judge the first ones'
	// leases with a clock that runs early, the direction in which skew
	// could make a live engine look dead.
	behind, ahead := "a", "b"
	if d < 0 {
		behind, ahead = "b", "a"
	}
	rctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	startRun := func(name string) {
		wg.Go(func() { errs <- engines[name].Run(rctx) })
		wg.Go(func() { errs <- schedulers[name].Run(rctx) })
	}
	startRun(behind)
	time.Sleep(200 * time.Millisecond) // registered
	var pids []uuid.UUID
	for range processes {
		pid, err := engines[behind].Start(ctx, wf.Name, nil)
		if err != nil {
			t.Fatal(err)
		}
		pids = append(pids, pid)
	}
	var ids []uuid.UUID
	for i := range triggers {
		tr, err := ts.Create(ctx, trigger.Spec{Type: trigger.Single, Name: fmt.Sprintf("skew-%s-%d", run, i),
			ProcessName: "p", ProcessPath: "p.py", NextRun: time.Now().Add(-time.Minute)})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, tr.ID)
	}
	// Wait until the first engine took every process (it owns it, or has
	// completed it: on SQLite steps run one at a time) and the first
	// scheduler started every trigger.
	waitUntil(t, "the first engine and scheduler to take all the work", func() bool {
		var procs, trs int
		if err := db.SQL().QueryRowContext(ctx, `SELECT COUNT(*) FROM processes p JOIN workflows w ON w.workflow_id = p.workflow_id WHERE w.name = '`+wf.Name+`' AND `+
			`((p.last_status = 'running' AND p.engine_instance_id = '`+engines[behind].InstanceID()+`') OR p.last_status = 'completed')`).Scan(&procs); err != nil {
			t.Fatal(err)
		}
		mu.Lock()
		trs = len(startsOf)
		mu.Unlock()
		return procs == processes && trs == triggers
	})
	startRun(ahead)

	// Watch the owners of the running processes: a process seen under
	// two engines was taken over (also when the first engine's step had
	// not committed yet, which the step effects alone would not show).
	owners := map[string]map[string]bool{}
	stopWatch := make(chan struct{})
	watched := make(chan struct{})
	go func() {
		defer close(watched)
		for {
			select {
			case <-stopWatch:
				return
			case <-time.After(5 * time.Millisecond):
			}
			rows, err := db.SQL().QueryContext(ctx, `SELECT pid, engine_instance_id FROM processes WHERE last_status = 'running' AND engine_instance_id IS NOT NULL`)
			if err != nil {
				continue // SQLite busy; the next look sees it
			}
			for rows.Next() {
				var pid, owner string
				if rows.Scan(&pid, &owner) == nil {
					if owners[pid] == nil {
						owners[pid] = map[string]bool{}
					}
					owners[pid][owner] = true
				}
			}
			rows.Close()
		}
	}()

	// Wait for the work, and a while longer: a wrong recovery or a second
	// start would come after the first run.
	deadline := time.Now().Add(time.Minute)
	for {
		n, err := db.Bun().NewSelect().Model((*orchestrator.Process)(nil)).
			Where("pid IN (?)", bun.In(pids)).Where("last_status = ?", orchestrator.StatusCompleted).Count(ctx)
		if err != nil {
			t.Fatal(err)
		}
		mu.Lock()
		started := len(startsOf)
		mu.Unlock()
		if int(n) == processes && started == triggers {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after a minute: %d of %d processes completed, %d of %d triggers started", n, processes, started, triggers)
		}
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(700 * time.Millisecond)
	close(stopWatch)
	<-watched
	cancel()
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}

	// Engines: who ran which step of each process.
	er := engineResult{processes: processes, byEngine: map[string]int{}}
	rows, err := db.SQL().QueryContext(ctx, `SELECT kind, ref FROM fault_effects`)
	if err != nil {
		t.Fatal(err)
	}
	byProcess := map[string]map[string][]string{} // pid → step → engines
	for rows.Next() {
		var kind, ref string
		if err := rows.Scan(&kind, &ref); err != nil {
			t.Fatal(err)
		}
		pid, step, _ := strings.Cut(ref, "/")
		if byProcess[pid] == nil {
			byProcess[pid] = map[string][]string{}
		}
		byProcess[pid][step] = append(byProcess[pid][step], strings.TrimPrefix(kind, "skew-"))
	}
	rows.Close()
	for _, pid := range pids {
		seen := map[string]bool{}
		got := byProcess[pid.String()]
		if len(got) != steps {
			t.Errorf("process %s: %d steps ran, want %d", pid, len(got), steps)
		}
		for _, by := range got {
			if len(by) != 1 {
				er.doubleSteps++
			}
			for _, e := range by {
				seen[e] = true
			}
		}
		if len(seen) > 1 || len(attempts[pid.String()]) > 1 || len(owners[pid.String()]) > 1 {
			er.takenOver++
		}
		for e := range seen {
			er.byEngine[e]++
		}
	}
	// Clean this round's effects for the next.
	if _, err := db.SQL().ExecContext(ctx, `DELETE FROM fault_effects`); err != nil {
		t.Fatal(err)
	}
	// Schedulers: starts per trigger; a recovered live run shows as a
	// trigger that is not DONE or that started twice.
	sr := schedulerResult{byScheduler: map[string]int{}}
	for _, id := range ids {
		by := startsOf[id]
		sr.starts++
		if len(by) > 1 {
			sr.doubles += len(by) - 1
		}
		for _, s := range by {
			sr.byScheduler[s]++
		}
		tr, err := ts.Get(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if tr.Status != trigger.StatusDone {
			t.Errorf("trigger %s is %s after its run", id, tr.Status)
		}
	}
	sr.recovered = int(recoveries.runs.Load())
	return er, sr
}

// countingHandler is a slog handler that sums the "runs" attribute of the
// records whose message contains match, and prints nothing.
type countingHandler struct {
	match string
	runs  atomic.Int64
}

func (h *countingHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h *countingHandler) WithAttrs([]slog.Attr) slog.Handler       { return h }
func (h *countingHandler) WithGroup(string) slog.Handler            { return h }
func (h *countingHandler) Handle(_ context.Context, r slog.Record) error {
	if !strings.Contains(r.Message, h.match) {
		return nil
	}
	r.Attrs(func(a slog.Attr) bool {
		if a.Key == "runs" {
			h.runs.Add(a.Value.Int64())
		}
		return true
	})
	return nil
}

// waitUntil polls cond every 5 ms for up to a minute.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("waited a minute for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
