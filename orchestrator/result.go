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
// and returns a Result. A returned error (or a panic) makes the step failed;
// then, and for a Fail or Wait result too, its writes are rolled back to the
// savepoint, since such a step runs again from the start when the process is
// resumed. Every other result commits the writes with the step's row (see
// Suspend for the step that runs again after committing).
type StepFunc func(ctx context.Context, s *store.Session, state State) (Result, error)

// Step is a named step of a workflow.
type Step struct {
	Name string   // process_steps.name (1 to 255 characters)
	Fn   StepFunc // what the step does
}

// Result is what a step returns: its status, the new state, and for failed
// or waiting steps the error.
type Result struct {
	Status  StepStatus // the step's status; it decides the process's
	State   State      // the state to go on with; nil keeps the input state
	Err     error      // a failed or waiting step's error (failed_reason)
	Details string     // a failed or waiting step's details; folding compares them
}

// Success continues the workflow with state.
func Success(state State) Result { return Result{Status: StepSuccess, State: state} }

// Skip records the step as skipped and continues with state.
func Skip(state State) Result { return Result{Status: StepSkipped, State: state} }

// Suspend stops the process (suspended) until Resume gives it user input; the
// step then runs again, with the input merged into its state, and finds the
// input with UserInput.
//
// The suspending run is not undone: as WFO saves a suspending step's state,
// its writes commit with its suspend row. Since the step runs again on
// resume, a step that writes before it suspends writes again then: write
// once the input is there (see InputStep), or make the write idempotent.
func Suspend(state State) Result { return Result{Status: StepSuspend, State: state} }

// AwaitCallback stops the process (awaiting_callback) until resumed with the
// callback's data, which the step, run again, finds with UserInput. Like
// Suspend, it commits the step's writes, and the step runs again on resume.
func AwaitCallback(state State) Result { return Result{Status: StepAwaitingCallback, State: state} }

// Wait stops the process (waiting) to be retried later, like WFO's retrystep.
// The step's writes are rolled back, as for a failure: the retry runs the
// step from the start, and kept writes would exist twice.
func Wait(err error) Result { return Result{Status: StepWaiting, Err: err} }

// Fail stops the process (failed), with its writes rolled back. Fail(err)
// and returning err are the same; a Result of status StepFailed can also
// carry Details, which retry folding compares.
func Fail(err error) Result { return Result{Status: StepFailed, Err: err} }

// Abort stops the process for good (aborted); the step's writes commit.
func Abort(reason string) Result {
	return Result{Status: StepAbort, State: State{"reason": reason}}
}

// Complete ends the process (completed) with state, skipping remaining steps;
// the step's writes commit.
func Complete(state State) Result { return Result{Status: StepComplete, State: state} }

// Errors a step can return (wrapped) to choose a task's failure status, as
// WFO does for tasks: inconsistent data becomes inconsistent_data (assignee
// NOC), an unavailable API becomes api_unavailable. For workflows that are
// not tasks both are plain failures.
var (
	ErrInconsistentData = errors.New("inconsistent data")
	ErrAPIUnavailable   = errors.New("api unavailable")
)

type userInputKey struct{}

// UserInput returns the input given to Resume when the step runs as the first
// step after that resume and is the step that suspended or awaited a
// callback ({} when Resume had none); false otherwise, also for a step
// retried after a failure. The input is also merged into the state the step
// receives.
func UserInput(ctx context.Context) (State, bool) {
	in, ok := ctx.Value(userInputKey{}).(State)
	return in, ok
}

// InputStep is a step that suspends the process for user input and, once
// resumed, continues with the input merged into the state (a resume without
// input continues it too, with nothing merged). It writes nothing, so
// running again on resume costs nothing.
func InputStep(name string) Step {
	return Step{Name: name, Fn: func(ctx context.Context, _ *store.Session, state State) (Result, error) {
		if _, ok := UserInput(ctx); ok {
			return Success(state), nil
		}
		return Suspend(state), nil
	}}
}
