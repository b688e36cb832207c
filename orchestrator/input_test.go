package orchestrator_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/flowstore/flowstore/internal/testdb"
	"github.com/flowstore/flowstore/orchestrator"
	"github.com/flowstore/flowstore/store"
)

// TestNilContextRefused: every method of the Store, and of the Engine
// before and while it runs, refuses a nil context with store.ErrInvalid
// instead of panicking inside database/sql (issue 14, defect 5).
func TestNilContextRefused(t *testing.T) {
	db := testdb.Fresh(t, store.SQLite)
	st := storeOf(t, db)
	if n := testdb.RefusesNilContext(t, st); n < 20 {
		t.Errorf("only %d methods of the Store called", n)
	}
	e, err := orchestrator.NewEngine(db)
	if err != nil {
		t.Fatal(err)
	}
	// Before Run (Run itself included: refusing it must not use up its
	// one call) …
	if n := testdb.RefusesNilContext(t, e); n != 6 {
		t.Errorf("%d methods of the Engine called, want 6", n)
	}
	if n := testdb.RefusesNilContext(t, e.Store()); n < 20 {
		t.Errorf("only %d methods of the engine's Store called", n)
	}
	// … and while it runs.
	te := runEngine(t, e)
	testdb.RefusesNilContext(t, te.Engine)
	s, err := db.Begin(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = s.Rollback() }()
	testdb.RefusesNilContext(t, st.WithTx(s))
}

// badTexts are values no dialect stores exactly: NUL, and bytes that are
// not UTF-8. (Before issue 14 PostgreSQL failed on them with untyped
// SQLSTATEs, MariaDB dropped the NUL, and the others kept the bytes or
// handed back U+FFFD.)
var badTexts = map[string]string{"nul": "a\x00b", "invalid utf-8": "a\xffb"}

// TestTextRuleRefusesBadText: every text the orchestrator store and engine
// write — names, descriptions, users, states and inputs, and the names
// reads look up — is refused with store.ErrInvalid before anything is
// written, on every dialect, instead of reaching the database.
func TestTextRuleRefusesBadText(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		e := newEngine(t, db)
		st := e.Store()
		if err := e.Register(ctx, orchestrator.Workflow{Name: "text", Target: orchestrator.TargetCreate,
			Steps: []orchestrator.Step{orchestrator.InputStep("ask")}}); err != nil {
			t.Fatal(err)
		}
		wf, err := st.Workflow(ctx, "text")
		if err != nil {
			t.Fatal(err)
		}
		pid, err := e.Start(ctx, "text", nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.RunProcess(ctx, pid); err != nil {
			t.Fatal(err)
		}
		before := rowCounts(t, db)
		for kind, bad := range badTexts {
			desc := "d" + bad
			cases := map[string]func() error{
				"SaveWorkflow name": func() error {
					_, err := st.SaveWorkflow(ctx, &orchestrator.WorkflowRow{Name: bad, Target: orchestrator.TargetCreate})
					return err
				},
				"SaveWorkflow description": func() error {
					_, err := st.SaveWorkflow(ctx, &orchestrator.WorkflowRow{Name: "w2", Target: orchestrator.TargetCreate, Description: &desc})
					return err
				},
				"Register description": func() error {
					return e.Register(ctx, orchestrator.Workflow{Name: "w3", Target: orchestrator.TargetCreate, Description: bad,
						Steps: []orchestrator.Step{orchestrator.InputStep("ask")}})
				},
				"Register step name": func() error {
					return e.Register(ctx, orchestrator.Workflow{Name: "w4", Target: orchestrator.TargetCreate,
						Steps: []orchestrator.Step{orchestrator.InputStep(bad)}})
				},
				"Workflow lookup":       func() error { _, err := st.Workflow(ctx, bad); return err },
				"DeleteWorkflow lookup": func() error { return st.DeleteWorkflow(ctx, bad) },
				"Processes filter": func() error {
					_, err := st.Processes(ctx, orchestrator.ProcessFilter{Workflow: bad})
					return err
				},
				"AllProcesses filter": func() error {
					for _, err := range st.AllProcesses(ctx, orchestrator.ProcessFilter{Workflow: bad}) {
						return err
					}
					return nil
				},
				"CreateProcess assignee": func() error {
					return st.CreateProcess(ctx, &orchestrator.Process{WorkflowID: wf.WorkflowID, Assignee: bad}, nil)
				},
				"CreateProcess created_by": func() error {
					return st.CreateProcess(ctx, &orchestrator.Process{WorkflowID: wf.WorkflowID, CreatedBy: &desc}, nil)
				},
				"CreateProcess failed_reason": func() error {
					return st.CreateProcess(ctx, &orchestrator.Process{WorkflowID: wf.WorkflowID, FailedReason: &desc}, nil)
				},
				"CreateProcess state value": func() error {
					return st.CreateProcess(ctx, &orchestrator.Process{WorkflowID: wf.WorkflowID}, orchestrator.State{"k": bad})
				},
				"CreateProcess state key": func() error {
					return st.CreateProcess(ctx, &orchestrator.Process{WorkflowID: wf.WorkflowID}, orchestrator.State{bad: 1})
				},
				"CreateProcess nested state": func() error {
					return st.CreateProcess(ctx, &orchestrator.Process{WorkflowID: wf.WorkflowID},
						orchestrator.State{"k": []any{map[string]any{"x": bad}}})
				},
				"CreateProcess raw JSON NUL": func() error {
					return st.CreateProcess(ctx, &orchestrator.Process{WorkflowID: wf.WorkflowID},
						orchestrator.State{"k": json.RawMessage(`"a\u0000b"`)})
				},
				"Start input": func() error {
					_, err := e.Start(ctx, "text", orchestrator.State{"k": bad})
					return err
				},
				"Start created_by": func() error {
					_, err := e.Start(ctx, "text", nil, orchestrator.StartedBy(bad))
					return err
				},
				"Start workflow": func() error {
					_, err := e.Start(ctx, bad, nil)
					return err
				},
				"AddInput": func() error {
					return st.AddInput(ctx, pid, orchestrator.InputUser, orchestrator.State{"k": bad})
				},
				"ResumeProcess input": func() error {
					return st.ResumeProcess(ctx, pid, orchestrator.State{"k": bad})
				},
				"Resume input": func() error {
					_, err := e.Resume(ctx, pid, orchestrator.State{"k": bad})
					return err
				},
				"AbortProcess by": func() error { return st.AbortProcess(ctx, pid, bad) },
				"NewEngine name": func() error {
					_, err := orchestrator.NewEngine(db, orchestrator.WithName(bad))
					return err
				},
				"NewEngine created_by": func() error {
					_, err := orchestrator.NewEngine(db, orchestrator.WithCreatedBy(bad))
					return err
				},
			}
			for name, call := range cases {
				err := call()
				if !errors.Is(err, store.ErrInvalid) {
					t.Errorf("%s with %s: %v, want store.ErrInvalid", name, kind, err)
					continue
				}
				if strings.Contains(err.Error(), bad) {
					t.Errorf("%s: the error repeats the bad text: %q", name, err)
				}
			}
		}
		if after := rowCounts(t, db); after != before {
			t.Errorf("rows changed by refused calls: %v, then %v", before, after)
		}
		p, err := st.Process(ctx, pid)
		if err != nil || p.LastStatus != orchestrator.StatusSuspended {
			t.Errorf("the process after refused resumes: %v, %v", p, err)
		}
	})
}

// TestStepStateWithBadTextFails: a step that returns a state the database
// cannot store exactly fails (its writes rolled back), with an error saying
// so — the state is not stored altered — and the process can be resumed.
func TestStepStateWithBadTextFails(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		e := newEngine(t, db)
		bad := orchestrator.Step{Name: "bad", Fn: func(ctx context.Context, s *store.Session, st orchestrator.State) (orchestrator.Result, error) {
			if err := domainWrite(ctx, s, st, "bad"); err != nil {
				return orchestrator.Result{}, err
			}
			st["broken"] = "caf\xe9" // Latin-1, not UTF-8
			return orchestrator.Success(st), nil
		}}
		if err := e.Register(ctx, orchestrator.Workflow{Name: "badstate", Target: orchestrator.TargetCreate,
			Steps: []orchestrator.Step{bad}}); err != nil {
			t.Fatal(err)
		}
		pid := start(t, e, "badstate")
		p, err := e.RunProcess(ctx, pid)
		if err != nil {
			t.Fatal(err)
		}
		if p.LastStatus != orchestrator.StatusFailed || p.FailedReason == nil || !strings.Contains(*p.FailedReason, "not valid UTF-8") {
			t.Fatalf("status %s, failed_reason %q", p.LastStatus, deref(p.FailedReason))
		}
		if logs, queued := countDomain(t, db, pid, "bad"); logs != 0 || queued != 0 {
			t.Errorf("the failed step's writes stayed: %d logs, %d queued", logs, queued)
		}
		steps, err := e.Store().Steps(ctx, pid)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range steps {
			if strings.Contains(string(s.State), "caf") {
				t.Errorf("the bad state was stored: %s", s.State)
			}
		}
		checkCounter(t, db)
	})
}

// TestFailureTextWithBadBytesIsRecorded: a step whose error message holds
// NUL or bytes that are not UTF-8 is still recorded as failed — the
// diagnostic text is made storable (U+FFFD) — instead of leaving the
// process stuck running because its record could not be written.
func TestFailureTextWithBadBytesIsRecorded(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		e := newEngine(t, db)
		boom := orchestrator.Step{Name: "boom", Fn: func(context.Context, *store.Session, orchestrator.State) (orchestrator.Result, error) {
			return orchestrator.Result{Status: orchestrator.StepFailed, Err: errors.New("device said \x00\xff"), Details: "d\x00"}, nil
		}}
		if err := e.Register(ctx, orchestrator.Workflow{Name: "boom", Target: orchestrator.TargetCreate,
			Steps: []orchestrator.Step{boom}}); err != nil {
			t.Fatal(err)
		}
		pid := start(t, e, "boom")
		for range 2 { // the second failure folds into the first row
			p, err := e.RunProcess(ctx, pid)
			if err != nil {
				t.Fatal(err)
			}
			if p.LastStatus != orchestrator.StatusFailed || deref(p.FailedReason) != "device said \uFFFD\uFFFD" {
				t.Fatalf("status %s, failed_reason %q", p.LastStatus, deref(p.FailedReason))
			}
			if err := e.Store().ResumeProcess(ctx, pid, nil); err != nil {
				t.Fatal(err)
			}
		}
		steps, err := e.Store().Steps(ctx, pid)
		if err != nil {
			t.Fatal(err)
		}
		if len(steps) != 1 {
			t.Fatalf("steps %v: the repeated failure should fold into one row", stepsOf(t, db, pid))
		}
		if m := stateOf(t, steps[0]); m["retries"] != 1.0 || m["details"] != "d\uFFFD" {
			t.Errorf("folded state %s", steps[0].State)
		}
		checkCounter(t, db)
	})
}

// rowCounts counts the rows of the tables the orchestrator writes.
func rowCounts(t testing.TB, db *store.DB) [5]int {
	t.Helper()
	var out [5]int
	for i, table := range []string{"workflows", "processes", "process_steps", "input_states", "engine_instances"} {
		n, err := db.Bun().NewSelect().TableExpr(table).Count(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		out[i] = int(n)
	}
	return out
}
