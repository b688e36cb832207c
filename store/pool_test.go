package store

import (
	"context"
	"database/sql/driver"
	"errors"
	"io"
	"testing"
	"time"
)

// fakeConn is a driver connection that records nothing and answers every
// statement at once; the tests watch the turn, not the database.
type fakeConn struct{}

func (fakeConn) Prepare(string) (driver.Stmt, error) { return fakeStmt{}, nil }
func (fakeConn) Close() error                        { return nil }
func (fakeConn) Begin() (driver.Tx, error)           { return fakeTx{}, nil }
func (fakeConn) BeginTx(context.Context, driver.TxOptions) (driver.Tx, error) {
	return fakeTx{}, nil
}
func (fakeConn) ExecContext(context.Context, string, []driver.NamedValue) (driver.Result, error) {
	return driver.RowsAffected(1), nil
}
func (fakeConn) QueryContext(context.Context, string, []driver.NamedValue) (driver.Rows, error) {
	return fakeRows{}, nil
}

type fakeTx struct{}

func (fakeTx) Commit() error   { return nil }
func (fakeTx) Rollback() error { return nil }

type fakeStmt struct{}

func (fakeStmt) Close() error                               { return nil }
func (fakeStmt) NumInput() int                              { return -1 }
func (fakeStmt) Exec([]driver.Value) (driver.Result, error) { return driver.RowsAffected(1), nil }
func (fakeStmt) Query([]driver.Value) (driver.Rows, error)  { return fakeRows{}, nil }

type fakeRows struct{}

func (fakeRows) Columns() []string         { return nil }
func (fakeRows) Close() error              { return nil }
func (fakeRows) Next([]driver.Value) error { return io.EOF }

// held reports whether someone holds the turn.
func held(t *writeTurn) bool {
	if t.mu.TryLock() {
		t.mu.Unlock()
		return false
	}
	return true
}

func TestWriteTurn(t *testing.T) {
	ctx := context.Background()
	turn := newWriteTurn(time.Hour)
	a := &turnConn{Conn: fakeConn{}, turn: turn}

	// A transaction holds the turn from BEGIN to COMMIT, through its
	// statements.
	tx, err := a.BeginTx(ctx, driver.TxOptions{})
	if err != nil || !held(turn) {
		t.Fatalf("BeginTx: err %v, held %v", err, held(turn))
	}
	if _, err := a.ExecContext(ctx, "UPDATE x SET y = 1", nil); err != nil || !held(turn) {
		t.Fatalf("write in a transaction: err %v, held %v", err, held(turn))
	}
	if err := tx.Commit(); err != nil || held(turn) {
		t.Fatalf("Commit: err %v, held %v", err, held(turn))
	}

	// Another connection waits for the turn while a transaction holds it.
	tx, _ = a.BeginTx(ctx, driver.TxOptions{})
	b := &turnConn{Conn: fakeConn{}, turn: turn}
	done := make(chan error, 1)
	go func() {
		_, err := b.ExecContext(ctx, "INSERT INTO x VALUES (1)", nil)
		done <- err
	}()
	select {
	case err := <-done:
		t.Fatalf("a write outside the transaction ran while it held the turn (err %v)", err)
	case <-time.After(50 * time.Millisecond):
	}
	// Reads never wait.
	if _, err := b.QueryContext(ctx, "SELECT 1", nil); err != nil {
		t.Fatal(err)
	}
	_ = tx.Rollback()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if held(turn) {
		t.Fatal("the write kept the turn after it ended")
	}

	// A write with RETURNING holds the turn until its rows are closed.
	rows, err := b.QueryContext(ctx, "UPDATE x SET y = 2 RETURNING y", nil)
	if err != nil || !held(turn) {
		t.Fatalf("query that writes: err %v, held %v", err, held(turn))
	}
	_ = rows.Close()
	if held(turn) {
		t.Fatal("closing the rows did not give the turn back")
	}

	// A transaction opened by hand (BEGIN IMMEDIATE) holds it to COMMIT.
	if _, err := a.ExecContext(ctx, "BEGIN IMMEDIATE", nil); err != nil || !held(turn) {
		t.Fatalf("BEGIN: err %v, held %v", err, held(turn))
	}
	if _, err := a.ExecContext(ctx, "ROLLBACK TO SAVEPOINT sp", nil); err != nil || !held(turn) {
		t.Fatalf("ROLLBACK TO: err %v, held %v", err, held(turn))
	}
	if _, err := a.ExecContext(ctx, "COMMIT", nil); err != nil || held(turn) {
		t.Fatalf("COMMIT: err %v, held %v", err, held(turn))
	}
}

// TestWriteTurnPatience: a writer that waits for a turn held too long (a
// goroutine writing through the pool beside its own open transaction) goes
// ahead without it, as it would without turns, instead of waiting forever.
func TestWriteTurnPatience(t *testing.T) {
	turn := newWriteTurn(20 * time.Millisecond)
	a := &turnConn{Conn: fakeConn{}, turn: turn}
	if _, err := a.BeginTx(context.Background(), driver.TxOptions{}); err != nil {
		t.Fatal(err)
	}
	b := &turnConn{Conn: fakeConn{}, turn: turn}
	if _, err := b.ExecContext(context.Background(), "DELETE FROM x", nil); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := (&turnConn{Conn: fakeConn{}, turn: newWriteTurn(time.Hour)}).BeginTx(ctx, driver.TxOptions{}); err != nil {
		t.Fatal("a free turn is taken even on a cancelled context; the driver decides about the context", err)
	}
	c := &turnConn{Conn: fakeConn{}, turn: turn}
	if _, err := c.ExecContext(ctx, "DELETE FROM x", nil); err != context.Canceled {
		t.Fatalf("waiting on a cancelled context: %v", err)
	}
}

// TestWriteTurnAbandonedWait: writers that stop waiting for the turn (their
// context ends, or their patience) leave nothing held behind them: once the
// holder gives the turn back, the next writer gets it.
func TestWriteTurnAbandonedWait(t *testing.T) {
	turn := newWriteTurn(30 * time.Millisecond)
	release, err := turn.take(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	if _, err := turn.take(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("waiting past the context's deadline: %v", err)
	}
	if _, err := turn.take(context.Background()); err != nil {
		t.Fatalf("waiting past patience: %v", err) // goes ahead without the turn
	}
	if turn.waiting.Load() != 0 {
		t.Fatalf("%d writers still counted as waiting", turn.waiting.Load())
	}
	release()
	// The abandoned waits' goroutines take the turn and give it straight
	// back; a writer with time enough gets it. (The pause lets them run
	// first: the writer would otherwise take the free turn before them.)
	time.Sleep(50 * time.Millisecond)
	ctx, cancel = context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	turn.patience = time.Hour
	next, err := turn.take(ctx)
	if err != nil || !held(turn) {
		t.Fatalf("the turn after abandoned waits: err %v, held %v", err, held(turn))
	}
	next()
}

func TestStatementKinds(t *testing.T) {
	for q, want := range map[string]statementKind{
		"SELECT 1": stmtRead, "  select x from y": stmtRead, "(SELECT 1)": stmtRead, "EXPLAIN QUERY PLAN SELECT 1": stmtRead,
		"UPDATE x SET y = 1": stmtWrite, "WITH c AS (SELECT 1) UPDATE x SET y = 1": stmtWrite, "INSERT INTO x": stmtWrite,
		"BEGIN IMMEDIATE": stmtBegin, "COMMIT": stmtEnd, "END": stmtEnd, "ROLLBACK": stmtEnd,
		"ROLLBACK TO SAVEPOINT sp": stmtWrite, "SAVEPOINT sp": stmtWrite,
	} {
		if got := kindOf(q); got != want {
			t.Errorf("kindOf(%q) = %d, want %d", q, got, want)
		}
	}
}
