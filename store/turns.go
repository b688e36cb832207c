package store

import (
	"context"
	"database/sql/driver"
	"strings"
	"sync/atomic"
	"time"
)

// SQLite admits one writer at a time. A writer that finds the database
// locked sleeps in SQLite's busy handler — 1 ms, then 2, 5, 10 … — even when
// the lock is free again a few microseconds later, so goroutines competing
// for it spend most of their time asleep. A DB that Open makes for such a
// dialect (FeatureSerialWrites) gives its pool one write turn, a channel:
// every connection takes the turn before it starts to write — a transaction
// at BEGIN, until COMMIT or ROLLBACK; a statement outside a transaction
// that is not a plain read, until it ends — and the next writer wakes the
// moment the turn is free. Writers of other processes, or of another DB on
// the same file, still meet in the busy handler.
//
// The turn lives in the connector of the DB's pool, so it covers every
// store, bun query and InTx alike, and goes away with the DB.

// writeTurn is one pool's turn to write.
type writeTurn struct {
	ch chan struct{}
	// patience bounds the wait for the turn. A goroutine that holds a
	// transaction and then writes through the pool outside it would wait
	// for itself; after patience it goes ahead without the turn, and
	// SQLite's busy handler decides, as it would without turns.
	patience time.Duration
	// waiting counts the writers waiting for the turn now.
	waiting atomic.Int64
}

func newWriteTurn(patience time.Duration) *writeTurn {
	return &writeTurn{ch: make(chan struct{}, 1), patience: patience}
}

// take waits for the turn and returns the function that gives it back.
func (t *writeTurn) take(ctx context.Context) (release func(), err error) {
	select {
	case t.ch <- struct{}{}:
		return t.give, nil
	default:
	}
	t.waiting.Add(1)
	defer t.waiting.Add(-1)
	timer := time.NewTimer(t.patience)
	defer timer.Stop()
	select {
	case t.ch <- struct{}{}:
		return t.give, nil
	case <-timer.C:
		return func() {}, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (t *writeTurn) give() { <-t.ch }

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

// turnConnector makes connections that take the pool's write turn.
type turnConnector struct {
	driver.Connector
	turn *writeTurn
}

func (c turnConnector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.Connector.Connect(ctx)
	if err != nil {
		return nil, err
	}
	return &turnConn{Conn: conn, turn: c.turn}, nil
}

// turnConn is a connection that takes the write turn (see writeTurn). Like
// every driver.Conn it is used by one goroutine at a time.
type turnConn struct {
	driver.Conn
	turn *writeTurn
	// held gives the turn back; it is set while this connection holds the
	// turn for a transaction.
	held func()
}

func (c *turnConn) inTx() bool { return c.held != nil }

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
	release, err := c.turn.take(ctx)
	if err != nil {
		return nil, err
	}
	if k == stmtBegin {
		c.held = release
		return func() {}, nil
	}
	return release, nil
}

func (c *turnConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	bt, ok := c.Conn.(driver.ConnBeginTx)
	if !ok {
		return nil, driver.ErrSkip
	}
	if !c.inTx() {
		release, err := c.turn.take(ctx)
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
	release, err := c.enter(ctx, kindOf(query))
	if err != nil {
		return nil, err
	}
	defer release()
	return ex.ExecContext(ctx, query, args)
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
	rows, err := qu.QueryContext(ctx, query, args)
	if err != nil {
		release()
		return nil, err
	}
	return turnRows{Rows: rows, release: release}, nil
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
	rows, err := s.query(ctx, args)
	if err != nil {
		release()
		return nil, err
	}
	return turnRows{Rows: rows, release: release}, nil
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
