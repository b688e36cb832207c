package store

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// This file is the connector wrapper of the pools Open makes. Two things
// about a pool belong to flowstore rather than to any store, and both are
// decided here, once per connection, for every store, bun query and InTx:
//
// Honest write outcomes. A write that has reached the database is not
// abandoned the moment the caller's deadline passes: a statement that
// writes outside a transaction (the statement is its own commit) runs
// detached from the caller's cancellation, and transactions begin detached,
// so their COMMIT cannot be cancelled either (see DB.Begin). The write gets
// the commit grace (WithCommitGrace) past the caller's deadline to finish,
// so the caller learns its real outcome, a little late; a caller without a
// deadline waits for it as long as it takes. A write still running when the
// grace ends is cancelled: the database then says it did not happen, or —
// the connection lost while the database had the statement or the COMMIT —
// nobody knows, and the error is ErrCommitUnknown. Every other error means
// nothing was written.
//
// Write turns. SQLite admits one writer at a time. A writer that finds the
// database locked sleeps in SQLite's busy handler — 1 ms, then 2, 5, 10 … —
// even when the lock is free again a few microseconds later, so goroutines
// competing for it spend most of their time asleep. On such a dialect
// (FeatureSerialWrites) the pool has one write turn, a mutex (see
// writeTurn): every connection takes the turn before it starts to write — a
// transaction at BEGIN, until COMMIT or ROLLBACK; a statement outside a
// transaction that is not a plain read, until it ends — and a waiting
// writer wakes the moment the turn is free. Writers of other processes, or
// of another DB on the same file, still meet in the busy handler
// (TestWriteTurnSerialisesWriters runs a pool's writers with no busy
// handler at all).

// writePolicy is how a pool's connections treat writes outside a
// transaction.
type writePolicy struct {
	// grace is how long past the caller's deadline such a write may run.
	grace time.Duration
	// definite reports whether an error from the database proves that the
	// write did not happen (a server's answer, or any answer of an
	// embedded database); other errors leave the outcome unknown.
	definite func(error) bool
}

// start gives a write outside a transaction its context: detached from
// ctx's cancellation, within the policy's bound. A ctx that has already
// ended is refused (nothing is sent). Cancel the context when the write
// and the rows it returns are done.
func (p *writePolicy) start(ctx context.Context) (context.Context, context.CancelFunc, error) {
	if err := ctx.Err(); err != nil {
		return nil, nil, err
	}
	detached := context.WithoutCancel(ctx)
	deadline, ok := ctx.Deadline()
	if !ok {
		wctx, cancel := context.WithCancel(detached)
		return wctx, cancel, nil
	}
	wctx, cancel := context.WithDeadline(detached, deadline.Add(p.grace))
	return wctx, cancel, nil
}

// outcome turns a detached write's error into what its caller learns:
// ErrCommitUnknown where the outcome cannot be known.
func (p *writePolicy) outcome(wctx context.Context, err error) error {
	switch {
	case err == nil, errors.Is(err, driver.ErrBadConn), errors.Is(err, driver.ErrSkip), p.definite(err):
		// ErrBadConn: the driver sent nothing, and database/sql retries on
		// another connection; ErrSkip: the driver wants the statement
		// prepared first, which database/sql then does (and the prepared
		// statement's execution comes back here).
		return err
	case wctx.Err() != nil:
		return fmt.Errorf("%w: the write did not finish within %s of the caller's deadline: %w", ErrCommitUnknown, p.grace, err)
	}
	return fmt.Errorf("%w: %w", ErrCommitUnknown, err)
}

// run runs a write that returns no rows (see start and outcome).
func (p *writePolicy) run(ctx context.Context, write func(ctx context.Context) error) error {
	wctx, cancel, err := p.start(ctx)
	if err != nil {
		return err
	}
	defer cancel()
	return p.outcome(wctx, write(wctx))
}

// query runs a write that returns rows (UPDATE … RETURNING): its context
// lives until the rows are closed.
func (p *writePolicy) query(ctx context.Context, q func(ctx context.Context) (driver.Rows, error)) (driver.Rows, context.CancelFunc, error) {
	wctx, cancel, err := p.start(ctx)
	if err != nil {
		return nil, nil, err
	}
	rows, err := q(wctx)
	if err != nil {
		err = p.outcome(wctx, err)
		cancel()
		return nil, nil, err
	}
	return rows, cancel, nil
}

// writeTurn is one pool's turn to write.
//
// It is a sync.Mutex, not a queue: a writer that gives the turn back and
// wants it again at once — a claim followed by its finish, the next
// statement of a loop — takes it again before a waiting writer has been
// woken, as a Go mutex lets it, rather than handing it over and waiting
// for the scheduler to run the waiter. A hand-over per statement left
// SQLite's lock idle for a goroutine wake-up each time: 4 workers claiming
// and finishing one element at a time ran at 0.63 of the raw driver's rate,
// whose writers keep the lock the same way (the others sleep in SQLite's
// busy handler). The mutex's starvation mode still hands the turn to a
// writer that has waited over a millisecond.
type writeTurn struct {
	mu sync.Mutex
	// patience bounds the wait for the turn. A goroutine that holds a
	// transaction and then writes through the pool outside it would wait
	// for itself; after patience it goes ahead without the turn, and
	// SQLite's busy handler decides, as it would without turns.
	patience time.Duration
	// waiting counts the writers waiting for the turn now.
	waiting atomic.Int64
}

func newWriteTurn(patience time.Duration) *writeTurn {
	return &writeTurn{patience: patience}
}

// take waits for the turn and returns the function that gives it back.
func (t *writeTurn) take(ctx context.Context) (release func(), err error) {
	if t.mu.TryLock() {
		return t.mu.Unlock, nil
	}
	t.waiting.Add(1)
	defer t.waiting.Add(-1)
	// Lock cannot be abandoned, so a goroutine waits in it for this
	// writer; a writer that stops waiting (patience, ctx) says so, and the
	// turn, once that goroutine has it, goes straight back.
	got, abandoned := make(chan struct{}), make(chan struct{})
	go func() {
		t.mu.Lock()
		select {
		case got <- struct{}{}:
		case <-abandoned:
			t.mu.Unlock()
		}
	}()
	timer := time.NewTimer(t.patience)
	defer timer.Stop()
	select {
	case <-got:
		return t.mu.Unlock, nil
	case <-timer.C:
		close(abandoned)
		return func() {}, nil
	case <-ctx.Done():
		close(abandoned)
		return nil, ctx.Err()
	}
}

// statementKind sorts a statement by its first keyword.
type statementKind int

const (
	stmtWrite statementKind = iota // anything that may write
	stmtRead                       // SELECT, EXPLAIN
	stmtBegin                      // BEGIN … (a transaction opened by hand, as migrations do)
	stmtEnd                        // COMMIT, END, ROLLBACK (not ROLLBACK TO)
)

func kindOf(query string) statementKind {
	q := strings.TrimLeft(query, " \t\r\n(")
	word := q
	if i := strings.IndexAny(q, " \t\r\n;("); i >= 0 {
		word = q[:i]
	}
	switch strings.ToUpper(word) {
	case "SELECT", "EXPLAIN":
		return stmtRead
	case "BEGIN":
		return stmtBegin
	case "COMMIT", "END":
		return stmtEnd
	case "ROLLBACK":
		if strings.Contains(strings.ToUpper(q), " TO ") {
			return stmtWrite // ROLLBACK TO SAVEPOINT, inside a transaction
		}
		return stmtEnd
	}
	return stmtWrite
}

// poolConnector makes the connections of a pool Open made.
type poolConnector struct {
	driver.Connector
	turn   *writeTurn // nil: writers do not take turns
	writes *writePolicy
}

func (c poolConnector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.Connector.Connect(ctx)
	if err != nil {
		return nil, err
	}
	return &turnConn{Conn: conn, turn: c.turn, writes: c.writes}, nil
}

// turnConn is a connection of a pool Open made (see the top of this file).
// Like every driver.Conn it is used by one goroutine at a time.
type turnConn struct {
	driver.Conn
	turn   *writeTurn // nil: no turns
	writes *writePolicy
	// held gives the turn back; it is set while this connection holds the
	// turn for a transaction.
	held func()
}

// inTx is set while a transaction is open on the connection, begun with
// BeginTx or by hand (BEGIN).
func (c *turnConn) inTx() bool { return c.held != nil }

// Unwrap returns the driver's own connection, for code that needs its
// driver-specific methods (sql.Conn.Raw hands out the wrapper).
func (c *turnConn) Unwrap() driver.Conn { return c.Conn }

// untouched reports whether a statement of kind k neither takes nor gives
// back the turn: a read, or a statement inside a transaction that does not
// end it.
func (c *turnConn) untouched(k statementKind) bool {
	if c.inTx() {
		return k != stmtEnd
	}
	return k == stmtRead || k == stmtEnd
}

// enter takes the turn for one statement of the given kind outside a
// transaction, and returns what ends it.
func (c *turnConn) enter(ctx context.Context, k statementKind) (func(), error) {
	switch {
	case c.inTx() && k == stmtEnd:
		held := c.held
		c.held = nil
		return held, nil
	case c.inTx(), k == stmtRead, k == stmtEnd:
		return func() {}, nil
	}
	release, err := c.take(ctx)
	if err != nil {
		return nil, err
	}
	if k == stmtBegin {
		c.held = release
		return func() {}, nil
	}
	return release, nil
}

// take takes the pool's write turn, where it has one.
func (c *turnConn) take(ctx context.Context) (func(), error) {
	if c.turn == nil {
		return func() {}, nil
	}
	return c.turn.take(ctx)
}

// detached reports whether a statement of kind k writes outside a
// transaction, and so runs detached from the caller's cancellation.
func (c *turnConn) detached(k statementKind) bool {
	return c.writes != nil && !c.inTx() && k == stmtWrite
}

func (c *turnConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	bt, ok := c.Conn.(driver.ConnBeginTx)
	if !ok {
		return nil, driver.ErrSkip
	}
	if !c.inTx() {
		release, err := c.take(ctx)
		if err != nil {
			return nil, err
		}
		c.held = release
	}
	tx, err := bt.BeginTx(ctx, opts)
	if err != nil {
		c.end()
		return nil, err
	}
	return turnTx{Tx: tx, conn: c}, nil
}

func (c *turnConn) Begin() (driver.Tx, error) {
	return c.BeginTx(context.Background(), driver.TxOptions{})
}

// end gives back the turn a transaction held.
func (c *turnConn) end() {
	if c.held != nil {
		c.held()
		c.held = nil
	}
}

func (c *turnConn) Close() error {
	c.end()
	return c.Conn.Close()
}

func (c *turnConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	ex, ok := c.Conn.(driver.ExecerContext)
	if !ok {
		return nil, driver.ErrSkip
	}
	k := kindOf(query)
	release, err := c.enter(ctx, k)
	if err != nil {
		return nil, err
	}
	defer release()
	if !c.detached(k) {
		return ex.ExecContext(ctx, query, args)
	}
	var res driver.Result
	err = c.writes.run(ctx, func(ctx context.Context) error {
		res, err = ex.ExecContext(ctx, query, args)
		return err
	})
	return res, err
}

func (c *turnConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	qu, ok := c.Conn.(driver.QueryerContext)
	if !ok {
		return nil, driver.ErrSkip
	}
	k := kindOf(query)
	if c.untouched(k) {
		return qu.QueryContext(ctx, query, args)
	}
	release, err := c.enter(ctx, k)
	if err != nil {
		return nil, err
	}
	if !c.detached(k) {
		rows, err := qu.QueryContext(ctx, query, args)
		if err != nil {
			release()
			return nil, err
		}
		return turnRows{Rows: rows, release: release}, nil
	}
	// A write that returns rows (UPDATE … RETURNING) runs detached as
	// well, until its rows are closed.
	rows, cancel, err := c.writes.query(ctx, func(ctx context.Context) (driver.Rows, error) {
		return qu.QueryContext(ctx, query, args)
	})
	if err != nil {
		release()
		return nil, err
	}
	return turnRows{Rows: rows, release: func() { cancel(); release() }}, nil
}

func (c *turnConn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	var st driver.Stmt
	var err error
	if pc, ok := c.Conn.(driver.ConnPrepareContext); ok {
		st, err = pc.PrepareContext(ctx, query)
	} else {
		st, err = c.Conn.Prepare(query)
	}
	if err != nil {
		return nil, err
	}
	return &turnStmt{Stmt: st, conn: c, kind: kindOf(query)}, nil
}

func (c *turnConn) Prepare(query string) (driver.Stmt, error) {
	return c.PrepareContext(context.Background(), query)
}

func (c *turnConn) Ping(ctx context.Context) error {
	if p, ok := c.Conn.(driver.Pinger); ok {
		return p.Ping(ctx)
	}
	return nil
}

func (c *turnConn) ResetSession(ctx context.Context) error {
	if r, ok := c.Conn.(driver.SessionResetter); ok {
		return r.ResetSession(ctx)
	}
	return nil
}

func (c *turnConn) IsValid() bool {
	if v, ok := c.Conn.(driver.Validator); ok {
		return v.IsValid()
	}
	return true
}

func (c *turnConn) CheckNamedValue(nv *driver.NamedValue) error {
	if ch, ok := c.Conn.(driver.NamedValueChecker); ok {
		return ch.CheckNamedValue(nv)
	}
	return driver.ErrSkip
}

type turnTx struct {
	driver.Tx
	conn *turnConn
}

func (t turnTx) Commit() error {
	defer t.conn.end()
	return t.Tx.Commit()
}

func (t turnTx) Rollback() error {
	defer t.conn.end()
	return t.Tx.Rollback()
}

// turnRows gives back a statement's turn when its rows are closed (a
// write with RETURNING holds the write lock until then).
type turnRows struct {
	driver.Rows
	release func()
}

func (r turnRows) Close() error {
	defer r.release()
	return r.Rows.Close()
}

type turnStmt struct {
	driver.Stmt
	conn *turnConn
	kind statementKind
}

func (s *turnStmt) ExecContext(ctx context.Context, args []driver.NamedValue) (driver.Result, error) {
	release, err := s.conn.enter(ctx, s.kind)
	if err != nil {
		return nil, err
	}
	defer release()
	if !s.conn.detached(s.kind) {
		return s.exec(ctx, args)
	}
	var res driver.Result
	err = s.conn.writes.run(ctx, func(ctx context.Context) error {
		res, err = s.exec(ctx, args)
		return err
	})
	return res, err
}

func (s *turnStmt) exec(ctx context.Context, args []driver.NamedValue) (driver.Result, error) {
	if ex, ok := s.Stmt.(driver.StmtExecContext); ok {
		return ex.ExecContext(ctx, args)
	}
	return s.Stmt.Exec(namedToValues(args)) //nolint:staticcheck // the driver has only the old form
}

func (s *turnStmt) QueryContext(ctx context.Context, args []driver.NamedValue) (driver.Rows, error) {
	if s.conn.untouched(s.kind) {
		return s.query(ctx, args)
	}
	release, err := s.conn.enter(ctx, s.kind)
	if err != nil {
		return nil, err
	}
	if !s.conn.detached(s.kind) {
		rows, err := s.query(ctx, args)
		if err != nil {
			release()
			return nil, err
		}
		return turnRows{Rows: rows, release: release}, nil
	}
	rows, cancel, err := s.conn.writes.query(ctx, func(ctx context.Context) (driver.Rows, error) {
		return s.query(ctx, args)
	})
	if err != nil {
		release()
		return nil, err
	}
	return turnRows{Rows: rows, release: func() { cancel(); release() }}, nil
}

func (s *turnStmt) query(ctx context.Context, args []driver.NamedValue) (driver.Rows, error) {
	if qu, ok := s.Stmt.(driver.StmtQueryContext); ok {
		return qu.QueryContext(ctx, args)
	}
	return s.Stmt.Query(namedToValues(args)) //nolint:staticcheck // the driver has only the old form
}

func (s *turnStmt) CheckNamedValue(nv *driver.NamedValue) error {
	if ch, ok := s.Stmt.(driver.NamedValueChecker); ok {
		return ch.CheckNamedValue(nv)
	}
	return driver.ErrSkip
}

func namedToValues(args []driver.NamedValue) []driver.Value {
	out := make([]driver.Value, len(args))
	for i, a := range args {
		out[i] = a.Value
	}
	return out
}
