package orchestrator_test

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/flowstore/flowstore/internal/testdb"
	"github.com/flowstore/flowstore/orchestrator"
	"github.com/flowstore/flowstore/store"
)

// askStep suspends for input and, resumed, records in seen the input it got.
func askStep(name string, mu *sync.Mutex, seen map[string][]orchestrator.State) orchestrator.Step {
	return orchestrator.Step{Name: name, Fn: func(ctx context.Context, _ *store.Session, st orchestrator.State) (orchestrator.Result, error) {
		in, ok := orchestrator.UserInput(ctx)
		if !ok {
			return orchestrator.Suspend(st), nil
		}
		mu.Lock()
		seen[name] = append(seen[name], in)
		mu.Unlock()
		return orchestrator.Success(st), nil
	}}
}

// TestResumeInputIsTheResumes: each resume's input reaches the step it
// resumes, and only that one — a resume without input gives the step an
// empty input, not an older resume's. Also with a frozen clock, where input
// rows and step rows share one timestamp.
func TestResumeInputIsTheResumes(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		for _, frozen := range []bool{false, true} {
			name := map[bool]string{false: "clock", true: "frozen_clock"}[frozen]
			t.Run(name, func(t *testing.T) {
				ctx := t.Context()
				db := db
				if frozen {
					at := time.Now()
					fdb, err := store.Open(ctx, testdb.DSN(t, db), store.WithClock(func() time.Time { return at }))
					if err != nil {
						t.Fatal(err)
					}
					t.Cleanup(func() { _ = fdb.Close() })
					db = fdb
				}
				e := newEngine(t, db)
				var mu sync.Mutex
				seen := map[string][]orchestrator.State{}
				wf := "two_questions_" + name
				if err := e.Register(ctx, orchestrator.Workflow{Name: wf, Target: orchestrator.TargetCreate,
					Steps: []orchestrator.Step{askStep("ask_vlan", &mu, seen), askStep("ask_confirm", &mu, seen)}}); err != nil {
					t.Fatal(err)
				}
				const n = 4
				for i := range n {
					pid := start(t, e, wf)
					if p, err := e.RunProcess(ctx, pid); err != nil || p.LastStatus != orchestrator.StatusSuspended {
						t.Fatalf("run: %v, %v", p, err)
					}
					if p, err := e.Resume(ctx, pid, orchestrator.State{"vlan": 42.0}); err != nil || p.LastStatus != orchestrator.StatusSuspended || *p.LastStep != "ask_confirm" {
						t.Fatalf("first resume: %v, %v", p, err)
					}
					// Odd rounds resume without input, even ones with other input.
					var second orchestrator.State
					if i%2 == 0 {
						second = orchestrator.State{"confirm": "yes"}
					}
					p, err := e.Resume(ctx, pid, second)
					if err != nil || p.LastStatus != orchestrator.StatusCompleted {
						t.Fatalf("second resume: %v, %v", p, err)
					}
					ins, err := e.Store().InputStates(ctx, pid)
					if err != nil {
						t.Fatal(err)
					}
					var types []orchestrator.InputType
					for _, in := range ins {
						types = append(types, in.InputType)
					}
					want := []orchestrator.InputType{orchestrator.InputInitial, orchestrator.InputUser, orchestrator.InputUser}
					if !slices.Equal(types, want) {
						t.Errorf("input rows %v, want %v (every resume records its input)", types, want)
					}
					var last orchestrator.State
					if err := json.Unmarshal(ins[len(ins)-1].State, &last); err != nil || len(last) != len(second) || (second != nil && last["confirm"] != "yes") {
						t.Errorf("last input row %s, want %v", ins[len(ins)-1].State, second)
					}
				}
				for i, in := range seen["ask_confirm"] {
					if _, ok := in["vlan"]; ok || (i%2 == 0 && in["confirm"] != "yes") || (i%2 == 1 && len(in) != 0) {
						t.Errorf("ask_confirm, round %d, was given %v", i, in)
					}
				}
				if len(seen["ask_vlan"]) != n || len(seen["ask_confirm"]) != n {
					t.Errorf("steps resumed %d and %d times, want %d", len(seen["ask_vlan"]), len(seen["ask_confirm"]), n)
				}
			})
		}
	})
}

// TestResumeFailedIgnoresInput pins the rule WFO follows: input given to
// resume a process that is not suspended (nor awaiting a callback) is
// recorded in input_states but not merged into the state, and the retried
// step gets no UserInput.
func TestResumeFailedIgnoresInput(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		e := newEngine(t, db)
		attempts := 0
		var gotState orchestrator.State
		var gotInput bool
		flaky := orchestrator.Step{Name: "flaky", Fn: func(ctx context.Context, _ *store.Session, st orchestrator.State) (orchestrator.Result, error) {
			attempts++
			if attempts == 1 {
				return orchestrator.Result{}, errors.New("down")
			}
			gotState = st
			_, gotInput = orchestrator.UserInput(ctx)
			return orchestrator.Success(st), nil
		}}
		if err := e.Register(ctx, orchestrator.Workflow{Name: "wf", Target: orchestrator.TargetModify, Steps: []orchestrator.Step{flaky}}); err != nil {
			t.Fatal(err)
		}
		pid := start(t, e, "wf")
		if p, err := e.RunProcess(ctx, pid); err != nil || p.LastStatus != orchestrator.StatusFailed {
			t.Fatalf("run: %v, %v", p, err)
		}
		if p, err := e.Resume(ctx, pid, orchestrator.State{"fix": 1.0}); err != nil || p.LastStatus != orchestrator.StatusCompleted {
			t.Fatalf("resume: %v, %v", p, err)
		}
		if _, ok := gotState["fix"]; ok || gotInput {
			t.Errorf("a failed step was given the resume's input: state %v, UserInput %t", gotState, gotInput)
		}
		ins, _ := e.Store().InputStates(ctx, pid)
		var in orchestrator.State
		if len(ins) != 2 || json.Unmarshal(ins[1].State, &in) != nil || in["fix"] != 1.0 {
			t.Errorf("input rows %d; the resume's input must still be recorded", len(ins))
		}
	})
}
