package orchestrator_test

import (
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/flowstore/flowstore/internal/testdb"
	"github.com/flowstore/flowstore/orchestrator"
	"github.com/flowstore/flowstore/store"
)

// createProcesses inserts n processes of the workflow wf (task or not) on st.
func createProcesses(t *testing.T, st orchestrator.Store, wf uuid.UUID, n int, task bool) []orchestrator.Process {
	t.Helper()
	var ps []orchestrator.Process
	for range n {
		p := &orchestrator.Process{WorkflowID: wf, IsTask: task}
		if err := st.CreateProcess(t.Context(), p, nil); err != nil {
			t.Fatal(err)
		}
		ps = append(ps, *p)
	}
	return ps
}

func pidsOf(ps []orchestrator.Process) []uuid.UUID {
	out := make([]uuid.UUID, len(ps))
	for i, p := range ps {
		out[i] = p.PID
	}
	return out
}

// TestAllProcesses: AllProcesses streams every selected process in the
// order of Processes — newest first, ties (here: a frozen clock) by pid as
// the dialect orders UUIDs — in pages of Limit rows, each exactly once,
// and stops when the loop does.
func TestAllProcesses(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		var mu sync.Mutex
		clock := time.Now()
		fdb, err := store.Open(ctx, testdb.DSN(t, db), store.WithClock(func() time.Time {
			mu.Lock()
			defer mu.Unlock()
			return clock
		}))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = fdb.Close() })
		st := storeOf(t, fdb)
		wf, err := st.SaveWorkflow(ctx, &orchestrator.WorkflowRow{Name: "listed", Target: orchestrator.TargetSystem})
		if err != nil {
			t.Fatal(err)
		}
		other, err := st.SaveWorkflow(ctx, &orchestrator.WorkflowRow{Name: "other", Target: orchestrator.TargetSystem})
		if err != nil {
			t.Fatal(err)
		}
		var all []orchestrator.Process
		// Three clock ticks with 4, 3 and 5 processes each: pages of 5 end
		// inside a tie and on its edge.
		for _, n := range []int{4, 3, 5} {
			mu.Lock()
			clock = clock.Add(time.Second)
			mu.Unlock()
			all = append(all, createProcesses(t, st, wf.WorkflowID, n, n == 3)...)
			createProcesses(t, st, other.WorkflowID, 1, false)
		}
		d := db.SQLDialect()
		slices.SortFunc(all, func(a, b orchestrator.Process) int {
			if c := b.StartedAt.Compare(a.StartedAt); c != 0 {
				return c
			}
			return d.CompareUUIDs(a.PID, b.PID)
		})
		want := pidsOf(all)

		stream := func(f orchestrator.ProcessFilter) []uuid.UUID {
			t.Helper()
			var got []uuid.UUID
			for p, err := range st.AllProcesses(ctx, f) {
				if err != nil {
					t.Fatal(err)
				}
				if got = append(got, p.PID); len(got) > 100 {
					t.Fatalf("AllProcesses streams more rows than there are: %v …", got[:5])
				}
			}
			return got
		}
		for _, limit := range []int{0, 1, 4, 5, 12, 13} {
			if got := stream(orchestrator.ProcessFilter{Workflow: "listed", Limit: limit}); !slices.Equal(got, want) {
				t.Errorf("AllProcesses in pages of %d:\n got %v\nwant %v", limit, got, want)
			}
		}
		page, err := st.Processes(ctx, orchestrator.ProcessFilter{Workflow: "listed", Limit: 5})
		if err != nil || !slices.Equal(pidsOf(page), want[:5]) {
			t.Errorf("Processes with Limit 5: %v, %v; want %v", pidsOf(page), err, want[:5])
		}
		yes := true
		var tasks []uuid.UUID
		for _, p := range all {
			if p.IsTask {
				tasks = append(tasks, p.PID)
			}
		}
		if got := stream(orchestrator.ProcessFilter{Workflow: "listed", IsTask: &yes, Limit: 2}); !slices.Equal(got, tasks) {
			t.Errorf("AllProcesses of tasks: %v, want %v", got, tasks)
		}
		if got := stream(orchestrator.ProcessFilter{Status: orchestrator.StatusCreated}); len(got) != len(want)+3 {
			t.Errorf("AllProcesses of every created process: %d, want %d", len(got), len(want)+3)
		}
		n := 0
		for _, err := range st.AllProcesses(ctx, orchestrator.ProcessFilter{Limit: 2}) {
			if err != nil {
				t.Fatal(err)
			}
			if n++; n == 3 {
				break
			}
		}
		if n != 3 {
			t.Errorf("breaking out of AllProcesses after 3: %d", n)
		}
	})
}

// TestProcessesLimit: a Limit of 0 means store.DefaultLimit rows, a
// negative one is store.ErrInvalid; AllProcesses returns every row.
func TestProcessesLimit(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		st := storeOf(t, db)
		wf, err := st.SaveWorkflow(ctx, &orchestrator.WorkflowRow{Name: "many", Target: orchestrator.TargetSystem})
		if err != nil {
			t.Fatal(err)
		}
		createProcesses(t, st, wf.WorkflowID, store.DefaultLimit+1, false)
		ps, err := st.Processes(ctx, orchestrator.ProcessFilter{})
		if err != nil || len(ps) != store.DefaultLimit {
			t.Errorf("Processes with Limit 0: %d rows, %v; want %d", len(ps), err, store.DefaultLimit)
		}
		n := 0
		for _, err := range st.AllProcesses(ctx, orchestrator.ProcessFilter{}) {
			if err != nil {
				t.Fatal(err)
			}
			n++
		}
		if n != store.DefaultLimit+1 {
			t.Errorf("AllProcesses streamed %d rows, want %d", n, store.DefaultLimit+1)
		}
		if _, err := st.Processes(ctx, orchestrator.ProcessFilter{Limit: -1}); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("Processes with Limit -1: %v, want ErrInvalid", err)
		}
		for _, err := range st.AllProcesses(ctx, orchestrator.ProcessFilter{Status: "nonsense"}) {
			if !errors.Is(err, store.ErrInvalid) {
				t.Errorf("AllProcesses with an unknown status: %v, want ErrInvalid", err)
			}
		}
	})
}

// TestErrorMessages: every error names the package once, then the
// operation and its subject, then the sentinel and its detail.
func TestErrorMessages(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		e := newEngine(t, db)
		st := e.Store()
		if err := e.Register(ctx, orchestrator.Workflow{Name: "wf", Target: orchestrator.TargetSystem,
			Steps: []orchestrator.Step{orchestrator.InputStep("ask")}}); err != nil {
			t.Fatal(err)
		}
		missing := uuid.MustParse("00000000-0000-0000-0000-00000000000f")
		long := strings.Repeat("x", 256)
		check := func(err, sentinel error, want string) {
			t.Helper()
			if !errors.Is(err, sentinel) {
				t.Errorf("%v: want %v", err, sentinel)
				return
			}
			if msg := err.Error(); !strings.HasPrefix(msg, want) || strings.Count(msg, "orchestrator:") != 1 {
				t.Errorf("message %q, want it to start %q and name the package once", msg, want)
			}
		}
		_, err := st.Process(ctx, missing)
		check(err, store.ErrNotFound, "orchestrator: process "+missing.String()+": not found")
		_, err = e.RunProcess(ctx, missing)
		check(err, store.ErrNotFound, "orchestrator: run process "+missing.String()+": not found")
		_, err = e.Resume(ctx, missing, nil)
		check(err, store.ErrNotFound, "orchestrator: resume process "+missing.String()+": not found")
		check(st.ResumeProcess(ctx, missing, nil), store.ErrNotFound, "orchestrator: resume process "+missing.String()+": not found")
		check(st.AbortProcess(ctx, missing, ""), store.ErrNotFound, "orchestrator: abort process "+missing.String()+": not found")
		check(st.DeleteProcess(ctx, missing), store.ErrNotFound, "orchestrator: delete process "+missing.String()+": not found")
		check(st.DeleteWorkflow(ctx, "nope"), store.ErrNotFound, `orchestrator: delete workflow "nope": not found`)
		_, err = st.Workflow(ctx, "nope")
		check(err, store.ErrNotFound, `orchestrator: workflow "nope": not found`)
		_, err = e.Start(ctx, "nope", nil)
		check(err, store.ErrNotFound, `orchestrator: start workflow "nope": not found`)
		check(e.Register(ctx, orchestrator.Workflow{Name: "bad", Target: "NOPE", Steps: []orchestrator.Step{orchestrator.InputStep("a")}}),
			store.ErrInvalid, `orchestrator: register workflow "bad": invalid input: unknown target`)
		check(e.Register(ctx, orchestrator.Workflow{Name: "long_step", Target: orchestrator.TargetSystem, Steps: []orchestrator.Step{orchestrator.InputStep(long)}}),
			store.ErrTooLong, `orchestrator: register workflow "long_step": value too long: the name of step 1 is 256 characters, at most 255 fit`)
		wf, err := st.Workflow(ctx, "wf")
		if err != nil {
			t.Fatal(err)
		}
		check(st.CreateProcess(ctx, &orchestrator.Process{WorkflowID: wf.WorkflowID, Assignee: long[:51]}, nil),
			store.ErrTooLong, "orchestrator: create process: value too long: assignee is 51 characters, at most 50 fit")
		_, err = e.Start(ctx, "wf", nil, orchestrator.StartedBy(long))
		check(err, store.ErrTooLong, `orchestrator: start workflow "wf": value too long: created_by is 256 characters`)
		_, err = st.Processes(ctx, orchestrator.ProcessFilter{Status: "nonsense"})
		check(err, store.ErrInvalid, "orchestrator: processes: invalid input: unknown process status")

		pid, err := e.Start(ctx, "wf", nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.RunProcess(ctx, pid); err != nil {
			t.Fatal(err)
		}
		_, err = e.RunProcess(ctx, pid)
		check(err, store.ErrConflict, "orchestrator: run process "+pid.String()+": conflict: the process is suspended")
		if err := st.Lock(ctx); err != nil {
			t.Fatal(err)
		}
		_, err = e.Resume(ctx, pid, nil)
		check(err, store.ErrLocked, "orchestrator: resume process "+pid.String()+": locked: the engine is locked")
		_, err = st.ResumeAllTasks(ctx)
		check(err, store.ErrLocked, "orchestrator: resume all tasks: locked")
	})
}
