package postgres

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/flowstore/flowstore/store"
)

// errSessionPooling is the refusal of a pool whose connections do not each
// keep one server session.
var errSessionPooling = fmt.Errorf("%w: flowstore needs a PostgreSQL session per connection, and this one does not keep its server session between transactions "+
	"(a connection pooler such as PgBouncer in transaction or statement pooling mode is in between); "+
	"these need session pooling: the engine's prepared statements, the migration lock (a session advisory lock, pg_advisory_lock) "+
	"and the queue Worker's LISTEN. Connect directly or through a pool in session mode (PgBouncer: pool_mode = session)", store.ErrUnsupported)

// checkSession refuses connections that do not keep one server session
// (store.DialectSpec.CheckSession). Connection a asks for its server
// process, then connection b holds a transaction and asks for its own, then
// a asks again. Connected directly or through a session pool, a keeps its
// server process and b has another. Behind a transaction pool a's server
// connection went back to the pool after its first statement: b's
// transaction gets it (PgBouncer hands out the most recently used server
// connection first), or a gets another one for its second statement.
func checkSession(ctx context.Context, db *sql.DB) (err error) {
	pid := func(q interface {
		QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	}) (int64, error) {
		var p int64
		err := q.QueryRowContext(ctx, "SELECT pg_backend_pid()").Scan(&p)
		return p, err
	}
	a, err := db.Conn(ctx)
	if err != nil {
		return err
	}
	defer a.Close()
	first, err := pid(a)
	if err != nil {
		return err
	}
	b, err := db.Conn(ctx)
	if err != nil {
		return err
	}
	defer b.Close()
	tx, err := b.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, ignoreDone(tx.Rollback())) }()
	other, err := pid(tx)
	if err != nil {
		// PgBouncer in statement mode refuses transactions.
		return fmt.Errorf("%w (%w)", errSessionPooling, err)
	}
	again, err := pid(a)
	if err != nil {
		return err
	}
	if other == first || again != first {
		return errSessionPooling
	}
	return nil
}

func ignoreDone(err error) error {
	if errors.Is(err, sql.ErrTxDone) {
		return nil
	}
	return err
}
