package orchestrator

import (
	"context"
	"errors"

	"github.com/flowstore/flowstore/store"
)

// StepFunc is one step of a workflow. It runs inside the engine's transaction
// s (commit suppressed, inside a savepoint): every write it makes through s,
// or through any store bound with WithTx(s), commits together with the step's
// process_steps row, or not at all. It receives a copy of the process state
// and returns a Result; a returned error (or a panic) makes the step failed,
// and its writes are rolled back.
type StepFunc func(ctx context.Context, s *store.Session, state State) (Result, error)

// Step is a named step of a workflow.
type Step struct {
	Name string
	Fn   StepFunc
}

// Result is what a step returns: its status, the new state, and for failed
// or waiting steps the error.
type Result struct {
	Status  StepStatus
	State   State
	Err     error
	Details string
}

// Success continues the workflow with state.
func Success(state State) Result { return Result{Status: StepSuccess, State: state} }

// Skip records the step as skipped and continues with state.
func Skip(state State) Result { return Result{Status: StepSkipped, State: state} }

// Suspend stops the process (suspended) until Resume gives it user input; the
// step then runs again and finds the input with UserInput.
func Suspend(state State) Result { return Result{Status: StepSuspend, State: state} }

// AwaitCallback stops the process (awaiting_callback) until resumed.
func AwaitCallback(state State) Result { return Result{Status: StepAwaitingCallback, State: state} }

// Wait stops the process (waiting) to be retried later, like WFO's retrystep.
func Wait(err error) Result { return Result{Status: StepWaiting, Err: err} }

// Fail stops the process (failed). Fail(err) and returning err are the same,
// except that Fail keeps the step's writes: only a returned error rolls back.
func Fail(err error) Result { return Result{Status: StepFailed, Err: err} }

// Abort stops the process for good (aborted).
func Abort(reason string) Result {
	return Result{Status: StepAbort, State: State{"reason": reason}}
}

// Complete ends the process (completed) with state, skipping remaining steps.
func Complete(state State) Result { return Result{Status: StepComplete, State: state} }

// Errors a step can return (wrapped) to choose a task's failure status, as
// WFO does for tasks: inconsistent data becomes inconsistent_data (assignee
// NOC), an unavailable API becomes api_unavailable. For workflows that are
// not tasks both are plain failures.
var (
	ErrInconsistentData = errors.New("orchestrator: inconsistent data")
	ErrAPIUnavailable   = errors.New("orchestrator: api unavailable")
)

type userInputKey struct{}

// UserInput returns the input given to Resume when the step runs as the first
// step after that resume (the step that suspended), and false otherwise. The
// input is also merged into the state the step receives.
func UserInput(ctx context.Context) (State, bool) {
	in, ok := ctx.Value(userInputKey{}).(State)
	return in, ok
}

// InputStep is a step that suspends the process for user input and, once
// resumed, continues with the input merged into the state.
func InputStep(name string) Step {
	return Step{Name: name, Fn: func(ctx context.Context, _ *store.Session, state State) (Result, error) {
		if _, ok := UserInput(ctx); ok {
			return Success(state), nil
		}
		return Suspend(state), nil
	}}
}
