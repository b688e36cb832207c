package orchestrator_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/flowstore/flowstore/internal/testdb"
	"github.com/flowstore/flowstore/orchestrator"
	"github.com/flowstore/flowstore/store"
)

func TestMain(m *testing.M) { testdb.Main(m) }

// logRow is a domain write a test step makes: a row of OpenOrchestrator's
// Logs table, named after the process and step.
type logRow struct {
	bun.BaseModel `bun:"table:Logs"`
	ID            uuid.UUID `bun:"id,pk,type:uuid"`
	LogTime       time.Time `bun:"log_time"`
	LogLevel      string    `bun:"log_level"`
	ProcessName   string    `bun:"process_name"`
	LogMessage    string    `bun:"log_message"`
}

// queueRow is a queue element a step enqueued, as the tests count them.
type queueRow struct {
	bun.BaseModel `bun:"table:Queues"`
	ID            uuid.UUID `bun:"id,pk,type:uuid"`
	QueueName     string    `bun:"queue_name"`
	Status        string    `bun:"status"`
	Data          *string   `bun:"data"`
	Reference     *string   `bun:"reference"`
	CreatedDate   time.Time `bun:"created_date"`
}

// writeStep is a step that writes one Logs row and one Queues element
// through the step's session, both named after pid and step, and records in
// the state that it ran.
func writeStep(name string) orchestrator.Step {
	return orchestrator.Step{Name: name, Fn: func(ctx context.Context, s *store.Session, st orchestrator.State) (orchestrator.Result, error) {
		if err := domainWrite(ctx, s, st, name); err != nil {
			return orchestrator.Result{}, err
		}
		st[name] = true
		return orchestrator.Success(st), nil
	}}
}

// domainWrite is a step's domain work: rows of two other systems' tables,
// written on the step's session, so they commit with the step or not at
// all.
func domainWrite(ctx context.Context, s *store.Session, st orchestrator.State, name string) error {
	pid, _ := st["process_id"].(string)
	now := s.Now()
	if _, err := s.NewInsert().Model(&logRow{ID: uuid.New(), LogTime: now, LogLevel: "INFO", ProcessName: pid, LogMessage: name}).Exec(ctx); err != nil {
		return err
	}
	ref := pid + "/" + name
	_, err := s.NewInsert().Model(&queueRow{ID: uuid.New(), QueueName: "orchestrator-test", Status: "NEW", Reference: &ref, CreatedDate: now}).Exec(ctx)
	return err
}

// testEngine is an engine whose Run runs in the background for the test.
type testEngine struct {
	*orchestrator.Engine
	cancel context.CancelFunc
	done   chan error
}

// newEngine makes an engine and runs it until the test ends (or Stop). It
// polls for work once an hour unless opts say otherwise, so that the
// processes a test runs itself are not taken by the engine's own polls.
func newEngine(t testing.TB, db *store.DB, opts ...orchestrator.EngineOption) *testEngine {
	t.Helper()
	e, err := orchestrator.NewEngine(db, append([]orchestrator.EngineOption{orchestrator.WithPollInterval(time.Hour)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return runEngine(t, e)
}

// runEngine runs e's Run in the background until the test ends (or Stop)
// and waits until it registered.
func runEngine(t testing.TB, e *orchestrator.Engine) *testEngine {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	te := &testEngine{Engine: e, cancel: cancel, done: make(chan error, 1)}
	go func() { te.done <- e.Run(ctx) }()
	if err := orchestrator.WaitRegistered(t.Context(), e); err != nil {
		cancel()
		t.Fatalf("engine did not register: %v (Run: %v)", err, <-te.done)
	}
	t.Cleanup(func() { te.Stop(t) })
	return te
}

// Stop ends the engine's Run and waits for it to return (at once when it
// already has).
func (e *testEngine) Stop(t testing.TB) {
	t.Helper()
	e.cancel()
	if err, ok := <-e.done; ok {
		close(e.done)
		if err != nil {
			t.Errorf("Run: %v", err)
		}
	}
}

// storeOf returns db's orchestrator store.
func storeOf(t testing.TB, db *store.DB) orchestrator.Store {
	t.Helper()
	st, err := orchestrator.New(db)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// start creates a process whose state carries its own pid (steps name their
// domain rows after it).
func start(t testing.TB, e *testEngine, wf string) uuid.UUID {
	t.Helper()
	pid, err := e.Start(t.Context(), wf, orchestrator.State{})
	if err != nil {
		t.Fatal(err)
	}
	return pid
}

// stepsOf returns "name:status" for each step row of pid, in order.
func stepsOf(t testing.TB, db *store.DB, pid uuid.UUID) []string {
	t.Helper()
	steps, err := storeOf(t, db).Steps(t.Context(), pid)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]string, len(steps))
	for i, s := range steps {
		out[i] = s.Name + ":" + string(s.Status)
	}
	return out
}

// checkCounter asserts that running_processes equals the number of running
// processes.
func checkCounter(t testing.TB, db *store.DB) {
	t.Helper()
	st := storeOf(t, db)
	set, err := st.Settings(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	n, err := st.CountRunning(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if set.RunningProcesses != n {
		t.Errorf("running_processes = %d, but %d processes are running", set.RunningProcesses, n)
	}
}

// countDomain counts the Logs rows and Queues elements a step wrote for pid.
func countDomain(t testing.TB, db *store.DB, pid uuid.UUID, step string) (logs, queued int) {
	t.Helper()
	ctx := t.Context()
	l, err := db.Bun().NewSelect().Model((*logRow)(nil)).Where("process_name = ?", pid.String()).Where("log_message = ?", step).Count(ctx)
	if err != nil {
		t.Fatal(err)
	}
	q, err := db.Bun().NewSelect().Model((*queueRow)(nil)).Where("reference = ?", fmt.Sprintf("%s/%s", pid, step)).Count(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return int(l), int(q)
}

func stateOf(t testing.TB, s orchestrator.ProcessStep) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(s.State, &m); err != nil {
		t.Fatalf("step %s state %s: %v", s.Name, s.State, err)
	}
	return m
}
