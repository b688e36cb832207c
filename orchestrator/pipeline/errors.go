package pipeline

import (
	"errors"
	"fmt"
	"strconv"
	"unicode/utf8"

	"github.com/flowstore/flowstore/store"
	"github.com/flowstore/flowstore/trigger"
)

// Sentinels of this package. Each also matches a store sentinel with
// errors.Is (noted per error), so generic handling keeps working. Like the
// store's sentinels their text carries no package prefix: the method that
// returns one adds "pipeline: <operation>: " once.
var (
	// ErrInstanceLimit: the workflow already runs as many instances as its
	// limit_instance allows. Also matches store.ErrConflict.
	ErrInstanceLimit = errors.New("instance limit reached")
	// ErrDisabled: the workflow version is not runnable (state 0). Also
	// matches store.ErrConflict.
	ErrDisabled = errors.New("workflow version is disabled")
	// ErrNotAuthorized: the run (stage, action) still has requires that
	// nobody has authorised, so it may not start. Also matches
	// store.ErrConflict.
	ErrNotAuthorized = errors.New("required authorisations missing")
	// ErrNeverFires: a cron expression that parses but matches no time, such
	// as "0 0 30 2 *" (30 February). It is trigger.ErrNeverFires — one
	// sentinel for every cron in the library — and matches store.ErrInvalid.
	ErrNeverFires = trigger.ErrNeverFires
)

// InstanceLimitError says which workflow refused a run and why.
type InstanceLimitError struct {
	Workflow int64 // workflow (definition) id
	Limit    int64 // its limit_instance
	Current  int64 // its current_instance when the start was refused
}

// Error describes the failure.
func (e *InstanceLimitError) Error() string {
	// Without the workflow: StartRun's prefix names it.
	return fmt.Sprintf("%v: %d of %d allowed instances run (%s)", ErrInstanceLimit, e.Current, e.Limit, ReasonNoRoomForRunInstance)
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

// Error describes the failure, without the row: the prefix of the method
// that returns it names that.
func (e *TransitionError) Error() string {
	if e.From == e.To && e.From.Terminal() {
		return fmt.Sprintf("%v: run_state %s is final", store.ErrConflict, e.From)
	}
	return fmt.Sprintf("%v: run_state cannot change from %s to %s", store.ErrConflict, e.From, e.To)
}

// Unwrap makes errors.Is match store.ErrConflict.
func (e *TransitionError) Unwrap() error { return store.ErrConflict }

// fail prefixes the error of a public method with the package and the
// operation, once. The unexported halves the methods share return their
// errors without a prefix, so a method calling another's half adds none.
func fail(op string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("pipeline: %s: %w", op, err)
}

// conflict is a refusal that matches both the package's sentinel and
// store.ErrConflict: "conflict: workflow version is disabled: …".
func conflict(sentinel error, format string, args ...any) error {
	return fmt.Errorf("%w: %w: %s", store.ErrConflict, sentinel, fmt.Sprintf(format, args...))
}

func notFound(format string, args ...any) error {
	return fmt.Errorf("%w: %s", store.ErrNotFound, fmt.Sprintf(format, args...))
}

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: %s", store.ErrInvalid, fmt.Sprintf(format, args...))
}

// dbErr maps a driver error onto the store's sentinels and names the
// statement that failed. Errors this package (or the store) already
// classified pass through unchanged.
func dbErr(h store.Handle, op string, err error) error {
	if err == nil {
		return nil
	}
	for _, s := range []error{store.ErrInvalid, store.ErrNotFound, store.ErrConflict, store.ErrTooLong} {
		if errors.Is(err, s) {
			return err
		}
	}
	return fmt.Errorf("%s: %w", op, h.Classify(err))
}

// quote quotes a name for an error message, cut to 64 characters: a value
// refused for its length need not be repeated whole.
func quote(s string) string { return strconv.Quote(cut(s, 64)) }

// cut shortens s to n characters, marking the cut with "…".
func cut(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n-1]) + "…"
}
