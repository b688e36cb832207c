package store

import (
	"errors"
	"fmt"
)

// Sentinel errors. Every error flowstore returns that belongs to one of these
// classes wraps the sentinel, so callers test with errors.Is and read the
// details from the message (or, for conflicts, with errors.As on
// *ConflictError).
//
// Messages follow one rule: each layer adds its context once, as a prefix —
// the package, then the operation and what it worked on ("queue: claim from
// \"billing\": …") — and the sentinel comes last but for its detail:
// "queue: enqueue: value too long: reference is 300 characters, at most 255
// fit". A driver's message follows a sentinel only where it adds something
// (which constraint was violated); "not found" never carries database/sql's
// "no rows in result set".
var (
	// ErrNotFound: the row asked for does not exist.
	ErrNotFound = errors.New("not found")
	// ErrConflict: an optimistic-locking or state check failed because another
	// writer got there first (version mismatch, status already changed).
	ErrConflict = errors.New("conflict")
	// ErrDuplicate: a unique key already exists.
	ErrDuplicate = errors.New("duplicate")
	// ErrTooLong: a value does not fit its column. Nothing was written.
	ErrTooLong = errors.New("value too long")
	// ErrInvalid: the input is malformed or violates a rule of the schema.
	ErrInvalid = errors.New("invalid input")
	// ErrLocked: a lock could not be taken (engine locked, row or lock busy).
	ErrLocked = errors.New("locked")
	// ErrDecrypt: a secret could not be decrypted with any key of the ring.
	ErrDecrypt = errors.New("decryption failed")
	// ErrRetryable: the database gave up on the transaction (deadlock victim,
	// serialization failure, SQLITE_BUSY); running it again may succeed.
	// DB.InTx retries such errors by itself.
	ErrRetryable = errors.New("transaction may be retried")
	// ErrUnsupported: the request names something flowstore does not support
	// (a DSN scheme, a dialect, a feature of one dialect).
	ErrUnsupported = errors.New("unsupported")
	// ErrNotMigrated: a table or column flowstore needs is missing — the
	// database was never migrated, or only partly. Run flowctl migrate, or
	// open with flowstore.Open, which migrates.
	ErrNotMigrated = errors.New("database not migrated (run flowctl migrate, or open with flowstore.Open)")
	// ErrSchemaTooNew: the database was migrated by a newer flowstore than
	// this one; refusing to touch it.
	ErrSchemaTooNew = errors.New("database schema is newer than this library")
	// ErrCommitUnknown: a write — a COMMIT, or a statement that was its own
	// commit — was sent, but its outcome could not be learnt: the connection
	// died, or the commit timeout passed, while the database had it. The
	// write may or may not have taken effect. Every other error of a write
	// means it did not. A caller that must not lose or double the write
	// reads back what it wrote (or retries it in its idempotent form, with
	// the same key) before trying again. Not retryable by InTx.
	ErrCommitUnknown = errors.New("commit outcome unknown")
	// ErrRollbackOnly: the session was marked rollback-only (a suppressed
	// Rollback call); its owner rolled it back instead of committing.
	ErrRollbackOnly = errors.New("session is rollback-only")
)

// IsRetryable reports whether err says the transaction may succeed if run again.
func IsRetryable(err error) bool { return errors.Is(err, ErrRetryable) }

// ConflictError is the detail behind ErrConflict for optimistic locking: which
// row, the version the caller expected, and the version found (-1 when the
// row no longer exists).
type ConflictError struct {
	Table    string // the table, e.g. process_instances
	ID       string // the row's id
	Expected int64  // the version the caller held
	Actual   int64  // the version found; -1 when the row is gone
}

// Error describes the failure.
func (e *ConflictError) Error() string {
	if e.Actual < 0 {
		return fmt.Sprintf("conflict: %s %s: expected version %d, the row no longer exists", e.Table, e.ID, e.Expected)
	}
	return fmt.Sprintf("conflict: %s %s: expected version %d, found %d", e.Table, e.ID, e.Expected, e.Actual)
}

// Is makes errors.Is(err, ErrConflict) true.
func (e *ConflictError) Is(target error) bool { return target == ErrConflict }

// DBError is a driver error that flowstore classified: errors.Is matches both
// the sentinel (Kind) and the original driver error.
type DBError struct {
	Dialect DialectName // the dialect whose driver returned Err
	Kind    error       // one of the sentinels above
	Err     error       // the driver's error
}

// Error describes the failure: the sentinel, then the driver's message —
// except for ErrNotFound, where database/sql's "no rows in result set" would
// add nothing.
func (e *DBError) Error() string {
	if e.Kind == ErrNotFound {
		return e.Kind.Error()
	}
	return e.Kind.Error() + ": " + e.Err.Error()
}

// Unwrap exposes the sentinel and the driver error to errors.Is and errors.As.
func (e *DBError) Unwrap() []error { return []error{e.Kind, e.Err} }
