package store

import (
	"context"
	"database/sql"
	"time"

	"github.com/uptrace/bun"
)

// Querier runs statements with parameters bound by the driver. It is what
// *sql.DB and *sql.Tx have in common; Handle.Raw returns one for the hot paths
// where bun's inlining of every value costs measurable time.
type Querier interface {
	// ExecContext runs a statement that returns no rows.
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	// QueryContext runs a query that returns rows.
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	// QueryRowContext runs a query that returns at most one row.
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// Handle is what every flowstore store runs on: a *DB, optionally bound to a
// *Session. Stores keep a Handle; their WithTx(s) returns a copy bound to s.
// The zero Handle is not usable.
type Handle struct {
	db   *DB
	sess *Session
}

// DB returns the database.
func (h Handle) DB() *DB { return h.db }

// Session returns the bound session, or nil.
func (h Handle) Session() *Session { return h.sess }

// SQLDialect reports the database's SQL dialect, which the stores build
// their statements from.
func (h Handle) SQLDialect() *Dialect { return h.db.dialect }

// Now returns the database clock's time (UTC, microseconds).
func (h Handle) Now() time.Time { return h.db.Now() }

// IDB returns where bun queries run: the session if bound, else the pool.
func (h Handle) IDB() bun.IDB {
	if h.sess != nil {
		return h.sess
	}
	return h.db.bun
}

// Raw returns where parameterized statements run: the session's *sql.Tx if
// bound, else the *sql.DB pool.
func (h Handle) Raw() Querier {
	if h.sess != nil {
		return h.sess.tx.Tx
	}
	return h.db.bun.DB
}

// Exec runs a statement with bound parameters on Raw and returns how many
// rows it affected, its errors classified.
func (h Handle) Exec(ctx context.Context, query string, args ...any) (int64, error) {
	res, err := h.Raw().ExecContext(ctx, query, args...)
	if err != nil {
		return 0, h.Classify(err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, h.Classify(err)
	}
	return n, nil
}

// Classify maps a driver error of this handle's dialect (see
// Dialect.Classify).
func (h Handle) Classify(err error) error { return h.db.dialect.Classify(err) }

// InTx runs fn atomically. On a database handle it is DB.InTx (a new
// transaction, retried on retryable errors); on a session handle it is a
// savepoint inside the session, so an error undoes only fn's writes and the
// session's owner still decides when everything commits.
func (h Handle) InTx(ctx context.Context, fn func(ctx context.Context, h Handle) error) error {
	if h.sess != nil {
		return h.sess.Savepoint(ctx, func(ctx context.Context) error { return fn(ctx, h) })
	}
	return h.db.InTx(ctx, func(ctx context.Context, s *Session) error { return fn(ctx, s.Handle()) })
}
