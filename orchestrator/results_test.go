package orchestrator_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/flowstore/flowstore/internal/testdb"
	"github.com/flowstore/flowstore/orchestrator"
	"github.com/flowstore/flowstore/store"
)

// TestFailAndWaitResultsRollBack: a step that writes and then returns a Fail
// or Wait result (instead of an error) is rolled back to its savepoint like
// a step returning an error, so the retried step's writes exist once.
func TestFailAndWaitResultsRollBack(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		e := newEngine(t, db)
		for _, kind := range []orchestrator.StepStatus{orchestrator.StepWaiting, orchestrator.StepFailed} {
			name := string(kind)
			attempts := 0
			flaky := orchestrator.Step{Name: name, Fn: func(ctx context.Context, s *store.Session, st orchestrator.State) (orchestrator.Result, error) {
				if err := domainWrite(ctx, s, st, name); err != nil {
					return orchestrator.Result{}, err
				}
				attempts++
				if attempts > 1 {
					return orchestrator.Success(st), nil
				}
				if kind == orchestrator.StepWaiting {
					return orchestrator.Wait(errors.New("backend busy")), nil
				}
				return orchestrator.Fail(errors.New("backend refused")), nil
			}}
			if err := e.Register(ctx, orchestrator.Workflow{Name: "wf_" + name, Target: orchestrator.TargetModify,
				Steps: []orchestrator.Step{writeStep("before"), flaky}}); err != nil {
				t.Fatal(err)
			}
			pid := start(t, e, "wf_"+name)
			p, err := e.RunProcess(ctx, pid)
			if err != nil {
				t.Fatal(err)
			}
			if p.LastStatus != kind.ProcessStatus() {
				t.Fatalf("%s: status %s", name, p.LastStatus)
			}
			if l, q := countDomain(t, db, pid, name); l != 0 || q != 0 {
				t.Errorf("%s result kept %d log rows and %d queue elements, want none", name, l, q)
			}
			if l, q := countDomain(t, db, pid, "before"); l != 1 || q != 1 {
				t.Errorf("%s: the step before lost its writes (%d, %d)", name, l, q)
			}
			checkCounter(t, db)
			if p, err = e.Resume(ctx, pid, nil); err != nil || p.LastStatus != orchestrator.StatusCompleted {
				t.Fatalf("%s: resume: %v, %v", name, p, err)
			}
			want := []string{"before:success", name + ":" + name, name + ":success", "Done:complete"}
			if got := stepsOf(t, db, pid); !slices.Equal(got, want) {
				t.Fatalf("steps = %v, want %v", got, want)
			}
			if l, q := countDomain(t, db, pid, name); l != 1 || q != 1 {
				t.Errorf("%s then success: %d log rows and %d queue elements, want 1 and 1", name, l, q)
			}
			checkCounter(t, db)
		}
	})
}

// TestSuspendingStepKeepsItsWrites pins the documented rule for Suspend
// (and AwaitCallback): the step's writes commit with its suspend row, and
// the step runs again on resume, so it writes again unless it checks.
func TestSuspendingStepKeepsItsWrites(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		e := newEngine(t, db)
		ask := orchestrator.Step{Name: "ask", Fn: func(ctx context.Context, s *store.Session, st orchestrator.State) (orchestrator.Result, error) {
			if err := domainWrite(ctx, s, st, "ask"); err != nil {
				return orchestrator.Result{}, err
			}
			if _, ok := orchestrator.UserInput(ctx); ok {
				return orchestrator.Success(st), nil
			}
			return orchestrator.Suspend(st), nil
		}}
		if err := e.Register(ctx, orchestrator.Workflow{Name: "wf", Target: orchestrator.TargetCreate, Steps: []orchestrator.Step{ask}}); err != nil {
			t.Fatal(err)
		}
		pid := start(t, e, "wf")
		if _, err := e.RunProcess(ctx, pid); err != nil {
			t.Fatal(err)
		}
		if l, q := countDomain(t, db, pid, "ask"); l != 1 || q != 1 {
			t.Errorf("suspended step: %d log rows, %d queue elements, want its writes committed", l, q)
		}
		if p, err := e.Resume(ctx, pid, orchestrator.State{"ok": true}); err != nil || p.LastStatus != orchestrator.StatusCompleted {
			t.Fatalf("resume: %v, %v", p, err)
		}
		if l, q := countDomain(t, db, pid, "ask"); l != 2 || q != 2 {
			t.Errorf("after resume: %d log rows, %d queue elements, want 2 each (the step ran twice)", l, q)
		}
	})
}

// TestSkipAndEarlyComplete: a skipped step is recorded and the workflow
// goes on with its state; a Complete result ends the process at once.
func TestSkipAndEarlyComplete(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		e := newEngine(t, db)
		skip := orchestrator.Step{Name: "skip_me", Fn: func(_ context.Context, _ *store.Session, st orchestrator.State) (orchestrator.Result, error) {
			st["skipped_reason"] = "nothing to do"
			return orchestrator.Skip(st), nil
		}}
		finish := orchestrator.Step{Name: "finish", Fn: func(ctx context.Context, s *store.Session, st orchestrator.State) (orchestrator.Result, error) {
			if err := domainWrite(ctx, s, st, "finish"); err != nil {
				return orchestrator.Result{}, err
			}
			st["finished_early"] = true
			return orchestrator.Complete(st), nil
		}}
		if err := e.Register(ctx, orchestrator.Workflow{Name: "wf", Target: orchestrator.TargetModify,
			Steps: []orchestrator.Step{skip, writeStep("a"), finish, writeStep("never")}}); err != nil {
			t.Fatal(err)
		}
		pid := start(t, e, "wf")
		p, err := e.RunProcess(ctx, pid)
		if err != nil {
			t.Fatal(err)
		}
		if p.LastStatus != orchestrator.StatusCompleted || *p.LastStep != "finish" {
			t.Fatalf("process %s at %v, want completed at finish", p.LastStatus, *p.LastStep)
		}
		want := []string{"skip_me:skipped", "a:success", "finish:complete"}
		if got := stepsOf(t, db, pid); !slices.Equal(got, want) {
			t.Fatalf("steps = %v, want %v", got, want)
		}
		steps, _ := e.Store().Steps(ctx, pid)
		last := stateOf(t, steps[2])
		if last["skipped_reason"] != "nothing to do" || last["a"] != true || last["finished_early"] != true {
			t.Errorf("final state %s lacks the skipped step's state or the completing step's", steps[2].State)
		}
		if l, q := countDomain(t, db, pid, "finish"); l != 1 || q != 1 {
			t.Errorf("completing step: %d log rows, %d queue elements", l, q)
		}
		if l, _ := countDomain(t, db, pid, "never"); l != 0 {
			t.Errorf("a step after Complete ran")
		}
		checkCounter(t, db)
	})
}

// TestAbortResult: a step returning Abort ends the process for good
// (aborted, with an abort row carrying the reason); it cannot be resumed.
func TestAbortResult(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		e := newEngine(t, db)
		cancel := orchestrator.Step{Name: "cancel", Fn: func(ctx context.Context, s *store.Session, st orchestrator.State) (orchestrator.Result, error) {
			return orchestrator.Abort("customer cancelled"), nil
		}}
		if err := e.Register(ctx, orchestrator.Workflow{Name: "wf", Target: orchestrator.TargetCreate,
			Steps: []orchestrator.Step{writeStep("a"), cancel, writeStep("never")}}); err != nil {
			t.Fatal(err)
		}
		pid := start(t, e, "wf")
		p, err := e.RunProcess(ctx, pid)
		if err != nil {
			t.Fatal(err)
		}
		if p.LastStatus != orchestrator.StatusAborted || *p.LastStep != "cancel" {
			t.Fatalf("process %s at %v, want aborted at cancel", p.LastStatus, *p.LastStep)
		}
		want := []string{"a:success", "cancel:abort"}
		if got := stepsOf(t, db, pid); !slices.Equal(got, want) {
			t.Fatalf("steps = %v, want %v", got, want)
		}
		steps, _ := e.Store().Steps(ctx, pid)
		if stateOf(t, steps[1])["reason"] != "customer cancelled" {
			t.Errorf("abort row state %s", steps[1].State)
		}
		if _, err := e.Resume(ctx, pid, nil); !errors.Is(err, store.ErrConflict) {
			t.Errorf("resume of an aborted process: %v, want ErrConflict", err)
		}
		if l, _ := countDomain(t, db, pid, "never"); l != 0 {
			t.Errorf("a step after Abort ran")
		}
		checkCounter(t, db)
	})
}

// TestAwaitingCallback: a step awaiting a callback stops the process
// (awaiting_callback) with its state saved; the callback's data, given to
// Resume, reaches the step (UserInput and merged state) when it runs again.
func TestAwaitingCallback(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		e := newEngine(t, db)
		await := orchestrator.Step{Name: "await_provisioning", Fn: func(ctx context.Context, _ *store.Session, st orchestrator.State) (orchestrator.Result, error) {
			if in, ok := orchestrator.UserInput(ctx); ok {
				if in["result"] != "provisioned" || st["result"] != "provisioned" || st["token"] != "cb-123" {
					return orchestrator.Result{}, fmt.Errorf("callback input %v, state %v", in, st)
				}
				return orchestrator.Success(st), nil
			}
			st["token"] = "cb-123"
			return orchestrator.AwaitCallback(st), nil
		}}
		if err := e.Register(ctx, orchestrator.Workflow{Name: "wf", Target: orchestrator.TargetCreate,
			Steps: []orchestrator.Step{await}}); err != nil {
			t.Fatal(err)
		}
		pid := start(t, e, "wf")
		p, err := e.RunProcess(ctx, pid)
		if err != nil {
			t.Fatal(err)
		}
		if p.LastStatus != orchestrator.StatusAwaitingCallback {
			t.Fatalf("status %s, want awaiting_callback", p.LastStatus)
		}
		steps, _ := e.Store().Steps(ctx, pid)
		if len(steps) != 1 || stateOf(t, steps[0])["token"] != "cb-123" {
			t.Fatalf("awaiting row lacks its state: %v", stepsOf(t, db, pid))
		}
		checkCounter(t, db)
		p, err = e.Resume(ctx, pid, orchestrator.State{"result": "provisioned"})
		if err != nil {
			t.Fatal(err)
		}
		if p.LastStatus != orchestrator.StatusCompleted {
			t.Fatalf("after the callback: %s (%v)", p.LastStatus, p.FailedReason)
		}
		want := []string{"await_provisioning:awaiting_callback", "await_provisioning:success", "Done:complete"}
		if got := stepsOf(t, db, pid); !slices.Equal(got, want) {
			t.Fatalf("steps = %v, want %v", got, want)
		}
		checkCounter(t, db)
	})
}

// TestTaskFailureStatuses: for tasks, errors wrapping ErrInconsistentData
// become inconsistent_data (assignee NOC) and ErrAPIUnavailable becomes
// api_unavailable (assignee kept); for workflows both are plain failures.
func TestTaskFailureStatuses(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		e := newEngine(t, db)
		cases := []struct {
			name     string
			task     bool
			result   bool // return a Fail result instead of the error
			err      error
			status   orchestrator.ProcessStatus
			assignee string
		}{
			{"task_inconsistent", true, false, fmt.Errorf("port 7 is in two subscriptions: %w", orchestrator.ErrInconsistentData), orchestrator.StatusInconsistentData, orchestrator.AssigneeNOC},
			{"task_inconsistent_result", true, true, fmt.Errorf("check: %w", orchestrator.ErrInconsistentData), orchestrator.StatusInconsistentData, orchestrator.AssigneeNOC},
			{"task_api", true, false, fmt.Errorf("ims returned 503: %w", orchestrator.ErrAPIUnavailable), orchestrator.StatusAPIUnavailable, orchestrator.AssigneeSystem},
			{"task_plain", true, false, errors.New("boom"), orchestrator.StatusFailed, orchestrator.AssigneeSystem},
			{"workflow_inconsistent", false, false, fmt.Errorf("x: %w", orchestrator.ErrInconsistentData), orchestrator.StatusFailed, orchestrator.AssigneeSystem},
			{"workflow_api", false, true, fmt.Errorf("x: %w", orchestrator.ErrAPIUnavailable), orchestrator.StatusFailed, orchestrator.AssigneeSystem},
		}
		for _, tc := range cases {
			step := orchestrator.Step{Name: "check", Fn: func(context.Context, *store.Session, orchestrator.State) (orchestrator.Result, error) {
				if tc.result {
					return orchestrator.Fail(tc.err), nil
				}
				return orchestrator.Result{}, tc.err
			}}
			if err := e.Register(ctx, orchestrator.Workflow{Name: tc.name, Target: orchestrator.TargetSystem, IsTask: tc.task,
				Steps: []orchestrator.Step{step}}); err != nil {
				t.Fatal(err)
			}
			pid := start(t, e, tc.name)
			p, err := e.RunProcess(ctx, pid)
			if err != nil {
				t.Fatal(err)
			}
			if p.LastStatus != tc.status || p.Assignee != tc.assignee {
				t.Errorf("%s: status %s assignee %s, want %s and %s", tc.name, p.LastStatus, p.Assignee, tc.status, tc.assignee)
			}
			if p.FailedReason == nil || *p.FailedReason != tc.err.Error() {
				t.Errorf("%s: failed_reason %v", tc.name, p.FailedReason)
			}
			if got := stepsOf(t, db, pid); !slices.Equal(got, []string{"check:failed"}) {
				t.Errorf("%s: steps %v", tc.name, got)
			}
			if !p.LastStatus.Resumable() {
				t.Errorf("%s: %s is not resumable", tc.name, p.LastStatus)
			}
		}
		checkCounter(t, db)
	})
}

// tracedError has a message (Error) and a separate, longer trace (%+v),
// as errors with stack traces do.
type tracedError struct{ msg, trace string }

func (e tracedError) Error() string { return e.msg }

func (e tracedError) Format(f fmt.State, verb rune) {
	if verb == 'v' && f.Flag('+') {
		_, _ = io.WriteString(f, e.trace)
		return
	}
	_, _ = io.WriteString(f, e.msg)
}

// TestFailureTruncation: failed_reason keeps the first 10,000 characters of
// the error, traceback the last 50,000 of its trace (characters, not bytes),
// for a returned error and for a Wait result alike.
func TestFailureTruncation(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		e := newEngine(t, db)
		msg := "HEAD:" + strings.Repeat("m", 12000) + ":MSG-END"
		trace := "TRACE-START:" + strings.Repeat("é", 60000) + ":TRACE-END"
		for _, wait := range []bool{false, true} {
			name := fmt.Sprintf("wait_%t", wait)
			step := orchestrator.Step{Name: "long", Fn: func(context.Context, *store.Session, orchestrator.State) (orchestrator.Result, error) {
				if wait {
					return orchestrator.Wait(tracedError{msg, trace}), nil
				}
				return orchestrator.Result{}, tracedError{msg, trace}
			}}
			if err := e.Register(ctx, orchestrator.Workflow{Name: name, Target: orchestrator.TargetSystem, Steps: []orchestrator.Step{step}}); err != nil {
				t.Fatal(err)
			}
			pid := start(t, e, name)
			p, err := e.RunProcess(ctx, pid)
			if err != nil {
				t.Fatal(err)
			}
			if p.FailedReason == nil || *p.FailedReason != msg[:10000] {
				n := -1
				if p.FailedReason != nil {
					n = utf8.RuneCountInString(*p.FailedReason)
				}
				t.Errorf("%s: failed_reason has %d characters, want the first 10000 of the message", name, n)
			}
			if p.Traceback == nil {
				t.Fatalf("%s: no traceback", name)
			}
			tb := *p.Traceback
			if n := utf8.RuneCountInString(tb); n != 50000 || !strings.HasSuffix(tb, ":TRACE-END") || strings.Contains(tb, "TRACE-START") {
				t.Errorf("%s: traceback has %d characters (want the last 50000), suffix %q", name, n, tb[max(0, len(tb)-12):])
			}
			// The step row keeps the whole message; the trace is not in it.
			steps, _ := e.Store().Steps(ctx, pid)
			if st := stateOf(t, steps[0]); st["error"] != msg || strings.Contains(string(steps[0].State), "TRACE") {
				t.Errorf("%s: step state error has %d bytes", name, len(fmt.Sprint(st["error"])))
			}
		}
		checkCounter(t, db)
	})
}
