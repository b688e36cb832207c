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
	"github.com/flowstore/flowstore/queue"
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

// writeStep is a step that writes one Logs row and enqueues one Queues
// element through the step's session, both named pid/step, and records in
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

func domainWrite(ctx context.Context, s *store.Session, st orchestrator.State, name string) error {
	pid, _ := st["process_id"].(string)
	entry := store.LogEntry{ID: uuid.New(), Time: s.Now(), Level: store.LogInfo, ProcessName: pid, Message: name}
	if err := store.NewLogs(s.DB()).WithTx(s).Write(ctx, entry); err != nil {
		return err
	}
	_, err := queue.New(s.DB()).WithTx(s).Enqueue(ctx, "orchestrator-test", queue.NewElement{Reference: pid + "/" + name})
	return err
}

func newEngine(t testing.TB, db *store.DB, opts ...orchestrator.EngineOption) *orchestrator.Engine {
	t.Helper()
	e, err := orchestrator.NewEngine(t.Context(), db, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = e.Close(context.Background()) })
	return e
}

// start creates a process whose state carries its own pid (steps name their
// domain rows after it).
func start(t testing.TB, e *orchestrator.Engine, wf string) uuid.UUID {
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
	steps, err := orchestrator.New(db).Steps(t.Context(), pid)
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
	st := orchestrator.New(db)
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
