package faults_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/flowstore/flowstore/internal/testdb"
	"github.com/flowstore/flowstore/orchestrator"
	"github.com/flowstore/flowstore/queue"
	"github.com/flowstore/flowstore/store"
	"github.com/flowstore/flowstore/trigger"
)

// The restart test's workload: a queue worked by worker processes, a
// workflow run by an engine process, single triggers started by a
// scheduler process.
const (
	restartQueue    = "faults-restart"
	restartWorkflow = "faults-restart"
	effectsDDL      = `CREATE TABLE fault_effects (kind VARCHAR(20) NOT NULL, ref VARCHAR(200) NOT NULL)`
)

var restartSteps = []string{"reserve", "configure", "activate"}

// restartSizes is how much work each of the rounds adds: a round before
// each crash and one after the last restart.
type restartSizes struct {
	crashes, elements, processes, triggers int
}

func sizes() restartSizes {
	if full() {
		return restartSizes{crashes: 3, elements: 400, processes: 16, triggers: 10}
	}
	return restartSizes{crashes: 3, elements: 60, processes: 4, triggers: 3}
}

// restartWorkflowDef's steps record their effect on the step's session, so
// it commits with the step or not at all, and pause inside the transaction
// so that crashes land mid-step too.
func restartWorkflowDef() orchestrator.Workflow {
	wf := orchestrator.Workflow{Name: restartWorkflow, Target: orchestrator.TargetCreate}
	for _, name := range restartSteps {
		wf.Steps = append(wf.Steps, orchestrator.Step{Name: name, Fn: func(ctx context.Context, s *store.Session, st orchestrator.State) (orchestrator.Result, error) {
			pid, _ := st["process_id"].(string)
			time.Sleep(80 * time.Millisecond)
			if _, err := s.NewRaw("INSERT INTO fault_effects (kind, ref) VALUES (?, ?)", "step", pid+"/"+name).Exec(ctx); err != nil {
				return orchestrator.Result{}, err
			}
			return orchestrator.Success(st), nil
		}})
	}
	return wf
}

// TestRestartUnderLoad crashes the database server three times while two
// worker processes, an engine process and a scheduler process work on it:
// PostgreSQL with `pg_ctl stop -m immediate`, MariaDB with SIGKILL, each
// started again on the same port. No component is restarted: each must
// ride out the outages (logging them) and finish the work, and afterwards
// every element is DONE with its effect once, every process completed with
// each step's effect once, every trigger started once, and
// running_processes is exact.
func TestRestartUnderLoad(t *testing.T) {
	if testdb.IsChild() {
		restartChild(t)
		return
	}
	for _, d := range []store.DialectName{store.Postgres, store.MySQL} {
		t.Run(string(d), func(t *testing.T) { restartUnderLoad(t, d) })
	}
}

func restartUnderLoad(t *testing.T, d store.DialectName) {
	srv := testdb.NewServer(t, d)
	dsn := srv.FreshDSN(t)
	ctx := t.Context()
	db, err := store.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.SQL().ExecContext(ctx, effectsDDL); err != nil {
		t.Fatal(err)
	}
	q, err := queue.New(db)
	if err != nil {
		t.Fatal(err)
	}
	tr, err := trigger.New(db)
	if err != nil {
		t.Fatal(err)
	}
	e, err := orchestrator.NewEngine(db)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Register(ctx, restartWorkflowDef()); err != nil {
		t.Fatal(err)
	}

	dir := t.TempDir()
	env := map[string]string{"RESTART_DSN": dsn, "RESTART_DIR": dir}
	roles := []string{"worker", "worker", "engine", "scheduler"}
	kids := make([]*testdb.Child, len(roles))
	for i, role := range roles {
		env := withEnv(env, "RESTART_ROLE", role, "RESTART_ID", fmt.Sprint(i))
		kids[i] = testdb.StartChild(t, "TestRestartUnderLoad", env)
	}
	for i, k := range kids {
		if err := k.WaitOutput("serving", time.Minute); err != nil {
			t.Fatalf("child %d (%s): %v", i, roles[i], err)
		}
	}

	sz := sizes()
	var triggerIDs []uuid.UUID
	addWork := func(round int) {
		t.Helper()
		// The server has just come back: wait until it answers, so that
		// the writes below meet a live server (they are not retried).
		waitUp(t, db)
		els := make([]queue.NewElement, sz.elements)
		for i := range els {
			els[i] = queue.NewElement{Reference: fmt.Sprintf("r%d-e%d", round, i)}
		}
		if _, err := q.EnqueueBatch(ctx, restartQueue, els); err != nil {
			t.Fatalf("round %d: enqueue: %v", round, err)
		}
		for i := range sz.processes {
			if _, err := e.Start(ctx, restartWorkflow, orchestrator.State{"n": i}); err != nil {
				t.Fatalf("round %d: start process: %v", round, err)
			}
		}
		for i := range sz.triggers {
			// Due over the next second: some while the server is down.
			next := db.Now().Add(time.Duration(200+i*800/max(sz.triggers, 1)) * time.Millisecond)
			got, err := tr.Create(ctx, trigger.Spec{Type: trigger.Single, Name: fmt.Sprintf("r%d-t%d", round, i),
				ProcessName: "p", ProcessPath: "p.py", NextRun: next})
			if err != nil {
				t.Fatalf("round %d: create trigger: %v", round, err)
			}
			triggerIDs = append(triggerIDs, got.ID)
		}
	}

	began := time.Now()
	var inFlight []string // per crash: elements/processes/triggers not done yet
	for round := range sz.crashes + 1 {
		addWork(round)
		if round == sz.crashes {
			break
		}
		time.Sleep(300 * time.Millisecond) // under load
		// The crash must hit work in flight, or it proves nothing.
		doneEls, completed, doneTriggers := progress(t, db)
		added := round + 1
		if doneEls == added*sz.elements && completed == added*sz.processes && doneTriggers == added*sz.triggers {
			t.Fatalf("crash %d: all the work was done before the crash", round+1)
		}
		inFlight = append(inFlight, fmt.Sprintf("%d/%d/%d", added*sz.elements-doneEls, added*sz.processes-completed, added*sz.triggers-doneTriggers))
		if err := srv.Crash(); err != nil {
			t.Fatalf("crash %d: %v", round+1, err)
		}
		time.Sleep(500 * time.Millisecond) // down
		if err := srv.Start(); err != nil {
			t.Fatalf("start after crash %d: %v", round+1, err)
		}
		t.Logf("%s: crash %d survived by the server after %s", d, round+1, time.Since(began).Round(time.Millisecond))
	}
	rounds := sz.crashes + 1
	wantElements, wantProcesses, wantTriggers := rounds*sz.elements, rounds*sz.processes, rounds*sz.triggers

	// Wait for the components to finish the work.
	exits := make([]<-chan struct{}, len(kids))
	for i, k := range kids {
		exits[i] = exited(k)
	}
	deadline := time.Now().Add(3 * time.Minute)
	for {
		doneEls, completed, doneTriggers := progress(t, db)
		if doneEls == wantElements && completed == wantProcesses && doneTriggers == wantTriggers {
			break
		}
		if time.Now().After(deadline) {
			var stuck []string
			for _, id := range triggerIDs {
				if tg, err := tr.Get(ctx, id); err == nil && tg.Status != trigger.StatusDone {
					stuck = append(stuck, fmt.Sprintf("%s %s on %q (id %s, last run %s, started %d times)",
						tg.Name, tg.Status, tg.RunningOn, id, tg.LastRun, strings.Count(strings.Join(readLines(t, filepath.Join(dir, "starts")), "\n"), id.String())))
				}
			}
			t.Fatalf("after 3 minutes: %d of %d elements DONE, %d of %d processes completed, %d of %d triggers DONE (not done: %v); scheduler:\n%s",
				doneEls, wantElements, completed, wantProcesses, doneTriggers, wantTriggers, stuck, tail(kids[3].Output()))
		}
		for i, k := range kids {
			select {
			case <-exits[i]:
				t.Fatalf("child %d (%s) exited before the work was done: %v\n%s", i, roles[i], k.Wait(), tail(k.Output()))
			default:
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err := os.WriteFile(filepath.Join(dir, "stop"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	warnings := make([]int, len(kids))
	for i, k := range kids {
		if err := k.Wait(); err != nil {
			t.Fatalf("child %d (%s) failed: %v\n%s", i, roles[i], err, tail(k.Output()))
		}
		// Each component noticed the outages, logged them and carried on.
		warnings[i] = strings.Count(k.Output(), "level=WARN")
		if warnings[i] == 0 {
			t.Errorf("child %d (%s) logged nothing through %d crashes:\n%s", i, roles[i], sz.crashes, tail(k.Output()))
		}
	}

	// Every element DONE, its effect exactly once.
	effects := countEffects(t, db)
	claims := readLines(t, filepath.Join(dir, "claims"))
	claimed := map[string]int{}
	for _, c := range claims {
		claimed[c]++
	}
	reclaimed := 0
	for round := range rounds {
		for i := range sz.elements {
			ref := fmt.Sprintf("r%d-e%d", round, i)
			if n := effects["element"][ref]; n != 1 {
				t.Errorf("element %s: effect %d times, want once", ref, n)
			}
			switch n := claimed[ref]; {
			case n == 0:
				t.Errorf("element %s was DONE but no worker reports claiming it", ref)
			case n > 1:
				reclaimed++
			}
		}
	}
	// Every process completed, each step's effect exactly once.
	ps, err := e.Store().Processes(ctx, orchestrator.ProcessFilter{Workflow: restartWorkflow})
	if err != nil {
		t.Fatal(err)
	}
	if len(ps) != wantProcesses {
		t.Fatalf("%d processes, want %d", len(ps), wantProcesses)
	}
	for _, p := range ps {
		if p.LastStatus != orchestrator.StatusCompleted {
			t.Errorf("process %s is %s", p.PID, p.LastStatus)
		}
		for _, s := range restartSteps {
			if n := effects["step"][p.PID.String()+"/"+s]; n != 1 {
				t.Errorf("process %s step %s: effect %d times, want once", p.PID, s, n)
			}
		}
	}
	if n, want := total(effects["step"]), wantProcesses*len(restartSteps); n != want {
		t.Errorf("%d step effects in all, want %d", n, want)
	}
	if n := total(effects["element"]); n != wantElements {
		t.Errorf("%d element effects in all, want %d", n, wantElements)
	}
	set, err := e.Store().Settings(ctx)
	if err != nil {
		t.Fatal(err)
	}
	running, err := db.Bun().NewSelect().Model((*orchestrator.Process)(nil)).Where("last_status = ?", orchestrator.StatusRunning).Count(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if set.RunningProcesses != int(running) || running != 0 {
		t.Errorf("running_processes = %d, running rows = %d, want 0 and 0", set.RunningProcesses, running)
	}
	// Every trigger started exactly once.
	starts := map[string]int{}
	for _, id := range readLines(t, filepath.Join(dir, "starts")) {
		starts[id]++
	}
	for _, id := range triggerIDs {
		if n := starts[id.String()]; n != 1 {
			t.Errorf("trigger %s started %d times, want once", id, n)
		}
	}
	if len(starts) != len(triggerIDs) {
		t.Errorf("%d triggers started, want %d", len(starts), len(triggerIDs))
	}
	schedOut := kids[3].Output()
	t.Logf("%s: scheduler retried %d run records and relaunched %d runs whose Begin answer was lost", d,
		strings.Count(schedOut, "record run; retrying"), strings.Count(schedOut, "answer was lost"))
	t.Logf("%s: %d crashes survived in %s, hitting elements/processes/triggers not yet done %v; %d elements DONE once (%d claim lines, %d elements claimed again after a lost claim), "+
		"%d processes completed with %d step effects once, running_processes %d; %d triggers started once; warnings logged per child %v (%v)",
		d, srv.Crashes(), time.Since(began).Round(time.Millisecond), inFlight, wantElements, len(claims), reclaimed,
		len(ps), total(effects["step"]), set.RunningProcesses, len(starts), warnings, roles)
}

// restartChild is one component of TestRestartUnderLoad; it works until
// the parent's stop file appears.
func restartChild(t *testing.T) {
	dir := os.Getenv("RESTART_DIR")
	stopped := func() bool {
		_, err := os.Stat(filepath.Join(dir, "stop"))
		return err == nil
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, nil))
	ctx := context.Background()
	db, err := store.Open(ctx, os.Getenv("RESTART_DSN"), store.WithLogger(logger))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	switch role := os.Getenv("RESTART_ROLE"); role {
	case "worker":
		restartWorker(t, db, logger, filepath.Join(dir, "claims"), stopped)
	case "engine":
		e, err := orchestrator.NewEngine(db, orchestrator.WithLease(5*time.Second),
			orchestrator.WithPollInterval(50*time.Millisecond), orchestrator.WithMaxConcurrent(2),
			orchestrator.WithQueryTimeout(3*time.Second))
		if err != nil {
			t.Fatal(err)
		}
		if err := e.Register(ctx, restartWorkflowDef()); err != nil {
			t.Fatal(err)
		}
		runUntil(t, e.Run, stopped)
	case "scheduler":
		log := openAppend(t, filepath.Join(dir, "starts"))
		s, err := trigger.NewScheduler(db, func(ctx context.Context, tr trigger.Trigger) error {
			log(tr.ID.String())
			return nil
		}, trigger.WithName("faults-"+os.Getenv("RESTART_ID")), trigger.WithPollInterval(50*time.Millisecond),
			trigger.WithQueryTimeout(3*time.Second), trigger.WithLogger(logger))
		if err != nil {
			t.Fatal(err)
		}
		runUntil(t, s.Run, stopped)
	default:
		t.Fatalf("unknown role %q", role)
	}
}

// runUntil runs a component's Run until stopped reports true.
func runUntil(t *testing.T, run func(context.Context) error, stopped func() bool) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- run(ctx) }()
	fmt.Println("serving")
	for !stopped() {
		select {
		case err := <-done:
			t.Fatalf("Run returned before the stop: %v", err)
		case <-time.After(20 * time.Millisecond):
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// restartWorker claims elements in batches and finishes each in a
// transaction that also records its effect, so the effect commits with the
// finish or not at all. Claims go to the claims file. Errors are logged and
// retried with a backoff; a finish that finds its claim taken over
// (ErrConflict: the lease ran out while the server was down and another
// worker has it) is given up.
func restartWorker(t *testing.T, db *store.DB, log *slog.Logger, claimsPath string, stopped func() bool) {
	ctx := context.Background()
	q, err := queue.New(db, queue.WithLease(5*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	record := openAppend(t, claimsPath)
	fmt.Println("serving")
	attempt := 0
	backoff := func(what string, err error) {
		log.Warn("faults: worker "+what+"; retrying", "attempt", attempt, "err", err)
		_ = store.Backoff(ctx, attempt)
		time.Sleep(50 * time.Millisecond)
		attempt++
	}
	for !stopped() {
		cctx, cancel := context.WithTimeout(ctx, 3*time.Second)
		els, err := q.ClaimBatch(cctx, restartQueue, 5)
		cancel()
		if err != nil {
			backoff("claim", err)
			continue
		}
		attempt = 0
		if len(els) == 0 {
			time.Sleep(20 * time.Millisecond)
			continue
		}
		for _, el := range els {
			record(el.Reference)
			time.Sleep(25 * time.Millisecond) // the work
			for !stopped() {
				fctx, cancel := context.WithTimeout(ctx, 3*time.Second)
				err := db.InTx(fctx, func(ctx context.Context, s *store.Session) error {
					if _, err := s.NewRaw("INSERT INTO fault_effects (kind, ref) VALUES (?, ?)", "element", el.Reference).Exec(ctx); err != nil {
						return err
					}
					return q.WithTx(s).FinishClaimed(ctx, el, queue.Done(""))
				})
				cancel()
				if err == nil || errors.Is(err, store.ErrConflict) {
					if err != nil {
						log.Warn("faults: worker lost a claim", "ref", el.Reference, "err", err)
					}
					attempt = 0
					break
				}
				backoff("finish", err)
			}
		}
	}
}

// openAppend returns a function that appends one line to path per call, in
// one write(2) on an O_APPEND file, so lines of several processes do not mix.
func openAppend(t *testing.T, path string) func(string) {
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	var mu sync.Mutex
	return func(line string) {
		mu.Lock()
		defer mu.Unlock()
		if _, err := f.WriteString(line + "\n"); err != nil {
			panic(err)
		}
	}
}

func readLines(t *testing.T, path string) []string {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	return slices.DeleteFunc(strings.Split(string(b), "\n"), func(s string) bool { return s == "" })
}

// waitUp waits until db answers a query.
func waitUp(t *testing.T, db *store.DB) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		ctx, cancel := context.WithTimeout(t.Context(), 2*time.Second)
		err := db.SQL().PingContext(ctx)
		cancel()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the database did not answer within a minute: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// progress counts the DONE elements, completed processes and DONE triggers.
func progress(t *testing.T, db *store.DB) (elements, processes, triggers int) {
	t.Helper()
	ctx := t.Context()
	var n [3]int
	for i, q := range []string{
		`SELECT COUNT(*) FROM ` + db.SQLDialect().Quote("Queues") + ` WHERE status = 'DONE'`,
		`SELECT COUNT(*) FROM processes WHERE last_status = 'completed'`,
		`SELECT COUNT(*) FROM ` + db.SQLDialect().Quote("Triggers") + ` WHERE process_status = 'DONE'`,
	} {
		if err := db.SQL().QueryRowContext(ctx, q).Scan(&n[i]); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	return n[0], n[1], n[2]
}

// countEffects reads fault_effects as kind → ref → count.
func countEffects(t *testing.T, db *store.DB) map[string]map[string]int {
	rows, err := db.SQL().QueryContext(t.Context(), `SELECT kind, ref FROM fault_effects`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]map[string]int{"element": {}, "step": {}}
	for rows.Next() {
		var kind, ref string
		if err := rows.Scan(&kind, &ref); err != nil {
			t.Fatal(err)
		}
		out[kind][ref]++
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func total(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

func withEnv(base map[string]string, kv ...string) map[string]string {
	out := make(map[string]string, len(base)+len(kv)/2)
	for k, v := range base {
		out[k] = v
	}
	for i := 0; i+1 < len(kv); i += 2 {
		out[kv[i]] = kv[i+1]
	}
	return out
}

// exited returns a channel closed once the child has exited.
func exited(k *testdb.Child) <-chan struct{} {
	ch := make(chan struct{})
	go func() {
		_ = k.Wait()
		close(ch)
	}()
	return ch
}

func tail(s string) string {
	lines := strings.Split(s, "\n")
	if len(lines) > 60 {
		lines = lines[len(lines)-60:]
	}
	return strings.Join(lines, "\n")
}
