package pipeline

import (
	"errors"
	"fmt"

	"github.com/flowstore/flowstore/store"
)

// Sentinels of this package. Each also matches a store sentinel with
// errors.Is (noted per error), so generic handling keeps working.
var (
	// ErrInstanceLimit: the workflow already runs as many instances as its
	// limit_instance allows. Also matches store.ErrConflict.
	ErrInstanceLimit = errors.New("pipeline: instance limit reached")
	// ErrDisabled: the workflow version is not runnable (state 0). Also
	// matches store.ErrConflict.
	ErrDisabled = errors.New("pipeline: workflow version is disabled")
	// ErrNotAuthorized: the run (stage, action) still has requires that
	// nobody has authorised, so it may not start. Also matches
	// store.ErrConflict.
	ErrNotAuthorized = errors.New("pipeline: required authorisations missing")
	// ErrNeverFires: a cron expression that parses but matches no time, such
	// as "0 0 30 2 *" (30 February). Also matches store.ErrInvalid.
	ErrNeverFires = errors.New("pipeline: cron expression never fires")
)

// InstanceLimitError says which workflow refused a run and why.
type InstanceLimitError struct {
	Workflow int64 // workflow (definition) id
	Limit    int64 // its limit_instance
	Current  int64 // its current_instance when the start was refused
}

// Error describes the failure.
func (e *InstanceLimitError) Error() string {
	return fmt.Sprintf("pipeline: workflow %d runs %d of %d allowed instances: %s",
		e.Workflow, e.Current, e.Limit, ReasonNoRoomForRunInstance)
}

// Unwrap makes errors.Is match ErrInstanceLimit and store.ErrConflict.
func (e *InstanceLimitError) Unwrap() []error { return []error{ErrInstanceLimit, store.ErrConflict} }

// TransitionError is a refused run-state change: the row was not in a state
// the change may start from (a terminal state is final).
type TransitionError struct {
	Level Level    // the log table of the row
	ID    int64    // the row's id
	From  RunState // the state the row was found in
	To    RunState // the state asked for (Authorize: the terminal state found)
}

// Error describes the failure.
func (e *TransitionError) Error() string {
	return fmt.Sprintf("pipeline: %s %d: cannot change run_state from %s to %s", e.Level, e.ID, e.From, e.To)
}

// Unwrap makes errors.Is match store.ErrConflict.
func (e *TransitionError) Unwrap() error { return store.ErrConflict }

func conflict(sentinel error, format string, args ...any) error {
	return fmt.Errorf("%w: %s (%w)", sentinel, fmt.Sprintf(format, args...), store.ErrConflict)
}

func notFound(format string, args ...any) error {
	return fmt.Errorf("pipeline: %w: %s", store.ErrNotFound, fmt.Sprintf(format, args...))
}
