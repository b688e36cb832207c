package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/schema"
)

// Session is one database transaction, shaped after WFO's WrappedSession: any
// store can run on it (WithTx), so a workflow step's domain writes, its queue
// enqueues and its step record share one commit.
//
// A Session satisfies bun.IDB by delegation, so code written against bun runs
// on it unchanged; it deliberately does not embed bun.Tx, whose Commit would
// otherwise stay reachable as s.Tx.Commit().
//
// While suppressed (see Suppress), Commit only logs a warning and returns nil,
// and Rollback marks the session rollback-only: the owner of the transaction
// — an engine running a step, or DB.InTx — decides how it ends. Nested
// BeginTx and RunInTx calls open savepoints inside the transaction.
//
// A Session is not safe for concurrent use, like the *sql.Tx it wraps.
type Session struct {
	db   *DB
	tx   bun.Tx
	tctx *txContext // the context the transaction began with (see txContext)
	// deadline is the deadline of the context the session began with
	// (zero: none); the COMMIT may run the commit grace past it.
	deadline time.Time

	mu           sync.Mutex
	suppressed   int // depth of Suppress calls not yet restored
	rollbackOnly bool
	done         bool
}

var _ bun.IDB = (*Session)(nil)

// DB returns the database the session belongs to.
func (s *Session) DB() *DB { return s.db }

// Now returns the database clock's current time (see DB.Now).
func (s *Session) Now() time.Time { return s.db.Now() }

// Handle returns a Handle bound to this session.
func (s *Session) Handle() Handle { return Handle{db: s.db, sess: s} }

// Raw returns the underlying *sql.Tx as a Querier, for statements with bound
// parameters on hot paths. Never commit or roll it back yourself.
func (s *Session) Raw() Querier { return s.tx.Tx }

// Suppress turns Commit into a logged no-op and Rollback into "mark
// rollback-only" until the returned restore function is called. Calls nest.
func (s *Session) Suppress() (restore func()) {
	s.mu.Lock()
	s.suppressed++
	s.mu.Unlock()
	var once sync.Once
	return func() {
		once.Do(func() {
			s.mu.Lock()
			s.suppressed--
			s.mu.Unlock()
		})
	}
}

// Suppressed reports whether Commit and Rollback are currently suppressed.
func (s *Session) Suppressed() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.suppressed > 0
}

// RollbackOnly reports whether a suppressed Rollback marked the session so
// that its owner must roll it back.
func (s *Session) RollbackOnly() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.rollbackOnly
}

// SetRollbackOnly marks the session so that its owner rolls it back.
func (s *Session) SetRollbackOnly() {
	s.mu.Lock()
	s.rollbackOnly = true
	s.mu.Unlock()
}

// Commit commits the transaction. While the session is suppressed it commits
// nothing: it logs a warning ("the engine commits when the step returns") and
// returns nil. A rollback-only session is rolled back instead and Commit
// returns ErrRollbackOnly.
func (s *Session) Commit() error {
	if s.Suppressed() {
		s.db.logger.Warn("flowstore: step tried to commit; the engine commits when the step returns")
		return nil
	}
	return s.end(true)
}

// Rollback rolls the transaction back. While the session is suppressed it
// only marks the session rollback-only and returns nil; the owner then rolls
// back. Rolling back an ended session returns sql.ErrTxDone.
func (s *Session) Rollback() error {
	s.mu.Lock()
	if s.suppressed > 0 {
		s.rollbackOnly = true
		s.mu.Unlock()
		return nil
	}
	s.mu.Unlock()
	return s.end(false)
}

// end finishes the transaction whatever the suppression depth: it is the
// owner's path (DB.InTx), which must end the transaction even when fn left a
// Suppress unrestored — through Commit that would be a logged no-op, and the
// transaction and its connection would leak. Committing a rollback-only
// session rolls it back and returns ErrRollbackOnly.
func (s *Session) end(commit bool) error {
	s.mu.Lock()
	if s.done {
		s.mu.Unlock()
		return sql.ErrTxDone
	}
	s.done = true
	rollbackOnly := s.rollbackOnly
	s.mu.Unlock()
	if !commit {
		s.tctx.shield()
		return s.db.dialect.Classify(s.tx.Rollback())
	}
	if rollbackOnly {
		s.tctx.shield()
		if err := s.tx.Rollback(); err != nil {
			return errors.Join(ErrRollbackOnly, s.db.dialect.Classify(err))
		}
		return ErrRollbackOnly
	}
	return s.commit()
}

// commit sends COMMIT and waits for its outcome. The transaction was begun
// detached from its caller's context (DB.Begin), so no deadline of the
// caller's cancels the COMMIT; it gets the DB's commit grace past that
// deadline (no bound where the caller had none). An error the database
// answered means the transaction did not commit; anything else — the
// connection lost while the database had the COMMIT, or no answer within
// the grace — leaves the outcome unknown: ErrCommitUnknown.
func (s *Session) commit() error {
	if !s.tctx.shield() {
		// The caller's context ended before COMMIT: the transaction was
		// rolled back then, so it did not commit.
		return fmt.Errorf("store: commit: %w", s.tctx.err)
	}
	done := make(chan error, 1)
	go func() { done <- s.tx.Commit() }()
	var expired <-chan time.Time
	if !s.deadline.IsZero() {
		timer := time.NewTimer(time.Until(s.deadline.Add(s.db.commitGrace)))
		defer timer.Stop()
		expired = timer.C
	}
	var err error
	select {
	case err = <-done:
	case <-expired:
		return fmt.Errorf("store: commit: %w: no answer within %s of the caller's deadline", ErrCommitUnknown, s.db.commitGrace)
	}
	switch {
	case err == nil:
		return nil
	case errors.Is(err, sql.ErrTxDone), s.db.dialect.s.Definite(err):
		return fmt.Errorf("store: commit: %w", s.db.dialect.Classify(err))
	}
	return fmt.Errorf("store: commit: %w: %w", ErrCommitUnknown, err)
}

// Savepoint runs fn inside a savepoint: if fn returns an error (or panics),
// only fn's writes are undone and the transaction stays usable — also on
// PostgreSQL, where any failed statement otherwise aborts the whole
// transaction. fn sees the ctx given here.
//
// The SAVEPOINT, ROLLBACK TO and RELEASE statements themselves run on
// context.WithoutCancel(ctx): when fn fails because ctx was cancelled, the
// rollback to the savepoint must still reach the database, or fn's writes
// would stay in the transaction and commit with it.
func (s *Session) Savepoint(ctx context.Context, fn func(ctx context.Context) error) (err error) {
	if err := CheckContext(ctx); err != nil {
		return fmt.Errorf("store: savepoint: %w", err)
	}
	sp, err := s.beginSavepoint(ctx)
	if err != nil {
		return fmt.Errorf("store: savepoint: %w", err)
	}
	defer func() {
		if p := recover(); p != nil {
			_ = sp.Rollback()
			panic(p)
		}
	}()
	if err = fn(ctx); err != nil {
		return s.rollbackSavepoint(sp, err)
	}
	if err := sp.Commit(); err != nil {
		return fmt.Errorf("store: release savepoint: %w", s.db.dialect.Classify(err))
	}
	return nil
}

// beginSavepoint opens a savepoint whose own statements cannot be cancelled.
// bun keeps the context given to Tx.BeginTx in the savepoint's Tx and uses
// it for that savepoint's Commit (RELEASE) and Rollback (ROLLBACK TO); with
// the caller's ctx, a cancelled ctx would make the rollback fail before it
// is sent. Values (trace ids, …) of ctx are kept.
func (s *Session) beginSavepoint(ctx context.Context) (bun.Tx, error) {
	sp, err := s.tx.BeginTx(context.WithoutCancel(ctx), nil)
	return sp, s.db.dialect.Classify(err)
}

// rollbackSavepoint undoes a savepoint after fn failed with cause and
// returns cause, joined with the rollback's own error if that failed too
// (the transaction then still holds fn's writes, and its owner must not
// commit it).
func (s *Session) rollbackSavepoint(sp bun.Tx, cause error) error {
	if rbErr := sp.Rollback(); rbErr != nil {
		return errors.Join(cause, fmt.Errorf("store: rollback to savepoint: %w", s.db.dialect.Classify(rbErr)))
	}
	return cause
}

// The bun.IDB methods below delegate to the transaction.

// Dialect returns bun's dialect of the transaction: the method bun.IDB
// requires. flowstore's own view of the dialect is SQLDialect; no other
// flowstore type has a Dialect method.
func (s *Session) Dialect() schema.Dialect { return s.tx.Dialect() }

// SQLDialect reports the database's SQL dialect (see DB.SQLDialect).
func (s *Session) SQLDialect() *Dialect { return s.db.dialect }

// ExecContext runs a statement in the transaction (bun formats the arguments).
func (s *Session) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if err := CheckContext(ctx); err != nil {
		return nil, err
	}
	return s.tx.ExecContext(ctx, query, args...)
}

// QueryContext runs a query in the transaction (bun formats the arguments).
func (s *Session) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if err := CheckContext(ctx); err != nil {
		return nil, err
	}
	return s.tx.QueryContext(ctx, query, args...)
}

// QueryRowContext runs a single-row query in the transaction. A *sql.Row
// cannot carry an error of ours, so a nil ctx — which database/sql would
// panic on, leaving the transaction locked — runs the query on the
// session's own context instead.
func (s *Session) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	if ctx == nil {
		ctx = s.tctx
	}
	return s.tx.QueryRowContext(ctx, query, args...)
}

// NewValues starts a VALUES query in the transaction.
func (s *Session) NewValues(model any) *bun.ValuesQuery { return s.tx.NewValues(model) }

// NewSelect starts a SELECT in the transaction.
func (s *Session) NewSelect() *bun.SelectQuery { return s.tx.NewSelect() }

// NewInsert starts an INSERT in the transaction.
func (s *Session) NewInsert() *bun.InsertQuery { return s.tx.NewInsert() }

// NewUpdate starts an UPDATE in the transaction.
func (s *Session) NewUpdate() *bun.UpdateQuery { return s.tx.NewUpdate() }

// NewDelete starts a DELETE in the transaction.
func (s *Session) NewDelete() *bun.DeleteQuery { return s.tx.NewDelete() }

// NewMerge starts a MERGE in the transaction.
func (s *Session) NewMerge() *bun.MergeQuery { return s.tx.NewMerge() }

// NewRaw starts a raw query in the transaction.
func (s *Session) NewRaw(query string, args ...any) *bun.RawQuery { return s.tx.NewRaw(query, args...) }

// NewCreateTable starts a CREATE TABLE in the transaction.
func (s *Session) NewCreateTable() *bun.CreateTableQuery { return s.tx.NewCreateTable() }

// NewDropTable starts a DROP TABLE in the transaction.
func (s *Session) NewDropTable() *bun.DropTableQuery { return s.tx.NewDropTable() }

// NewCreateIndex starts a CREATE INDEX in the transaction.
func (s *Session) NewCreateIndex() *bun.CreateIndexQuery { return s.tx.NewCreateIndex() }

// NewDropIndex starts a DROP INDEX in the transaction.
func (s *Session) NewDropIndex() *bun.DropIndexQuery { return s.tx.NewDropIndex() }

// NewTruncateTable starts a TRUNCATE in the transaction.
func (s *Session) NewTruncateTable() *bun.TruncateTableQuery { return s.tx.NewTruncateTable() }

// NewAddColumn starts an ALTER TABLE … ADD in the transaction.
func (s *Session) NewAddColumn() *bun.AddColumnQuery { return s.tx.NewAddColumn() }

// NewDropColumn starts an ALTER TABLE … DROP in the transaction.
func (s *Session) NewDropColumn() *bun.DropColumnQuery { return s.tx.NewDropColumn() }

// BeginTx opens a savepoint, not a transaction: its Commit releases the
// savepoint and can never end the session's transaction. Options are ignored.
// The savepoint's own Commit and Rollback do not observe ctx's cancellation
// (see Savepoint), so a caller whose ctx was cancelled can still roll back.
func (s *Session) BeginTx(ctx context.Context, _ *sql.TxOptions) (bun.Tx, error) {
	if err := CheckContext(ctx); err != nil {
		return bun.Tx{}, err
	}
	return s.beginSavepoint(ctx)
}

// RunInTx runs f inside a savepoint and passes it the ctx given here (bun's
// own Tx.RunInTx passes the outer transaction's context instead). An error or
// panic from f rolls back to the savepoint only; if that rollback fails
// too, both errors are returned.
func (s *Session) RunInTx(ctx context.Context, _ *sql.TxOptions, f func(ctx context.Context, tx bun.Tx) error) (err error) {
	if err := CheckContext(ctx); err != nil {
		return err
	}
	sp, err := s.beginSavepoint(ctx)
	if err != nil {
		return err
	}
	defer func() {
		if p := recover(); p != nil {
			_ = sp.Rollback()
			panic(p)
		}
	}()
	if err := f(ctx, sp); err != nil {
		return s.rollbackSavepoint(sp, err)
	}
	return s.db.dialect.Classify(sp.Commit())
}
