package queue_test

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"

	"github.com/flowstore/flowstore/internal/testdb"
	"github.com/flowstore/flowstore/queue"
	"github.com/flowstore/flowstore/store"
)

// TestWorkerIdleQueries measures what an idle Worker costs PostgreSQL:
// every statement its pool sends is counted at the driver, and with the
// LISTEN connection up it sends at most one a second per queue. It then
// checks that the listener still wakes it.
func TestWorkerIdleQueries(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		if !db.SQLDialect().Has(store.FeatureNotify) {
			t.Skip("no LISTEN/NOTIFY on", db.SQLDialect().Name())
		}
		ctx := t.Context()
		cfg, err := pgx.ParseConfig(testdb.DSN(t, db))
		require.NoError(t, err)
		var sent atomic.Int64
		sqldb := sql.OpenDB(countingConnector{Connector: stdlib.GetConnector(*cfg), n: &sent})
		defer sqldb.Close()
		counted, err := store.New(ctx, bun.NewDB(sqldb, pgdialect.New()))
		require.NoError(t, err)
		q := newQueue(t, counted)
		got := make(chan string, 1)
		queues := []string{"idle-a", "idle-b"}
		w, err := queue.NewWorker(q, queues, func(ctx context.Context, e queue.Element) error {
			got <- e.Reference
			return nil
		})
		require.NoError(t, err)
		runWorker(t, w)
		time.Sleep(time.Second) // start-up: LISTEN, first claims
		before := sent.Load()
		const window = 6 * time.Second
		time.Sleep(window)
		n := sent.Load() - before
		perSecondPerQueue := float64(n) / window.Seconds() / float64(len(queues))
		t.Logf("idle worker on %d queues: %d statements in %s: %.2f per second per queue", len(queues), n, window, perSecondPerQueue)
		// Polling alone would cost one a second per queue (WithPollInterval
		// defaults to 1 s); with LISTEN up the Worker polls every 5 s.
		require.LessOrEqual(t, perSecondPerQueue, 0.5)

		other := newQueue(t, db) // another pool: only NOTIFY can wake the Worker
		_, err = other.Enqueue(ctx, "idle-b", queue.NewElement{Reference: "late"})
		require.NoError(t, err)
		requireGot(t, got, "late")
	})
}

// countingConnector counts the statements its connections send.
type countingConnector struct {
	driver.Connector
	n *atomic.Int64
}

func (c countingConnector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.Connector.Connect(ctx)
	if err != nil {
		return nil, err
	}
	return &countingConn{Conn: conn, n: c.n}, nil
}

// countingConn passes everything to pgx's connection and counts the
// statements. Unwrap lets the Worker's listener reach pgx.
type countingConn struct {
	driver.Conn
	n *atomic.Int64
}

func (c *countingConn) Unwrap() driver.Conn { return c.Conn }

func (c *countingConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	c.n.Add(1)
	return c.Conn.(driver.ExecerContext).ExecContext(ctx, query, args)
}

func (c *countingConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	c.n.Add(1)
	return c.Conn.(driver.QueryerContext).QueryContext(ctx, query, args)
}

func (c *countingConn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	c.n.Add(1)
	return c.Conn.(driver.ConnPrepareContext).PrepareContext(ctx, query)
}

func (c *countingConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	c.n.Add(1)
	return c.Conn.(driver.ConnBeginTx).BeginTx(ctx, opts)
}

func (c *countingConn) Ping(ctx context.Context) error { return c.Conn.(driver.Pinger).Ping(ctx) }

func (c *countingConn) ResetSession(ctx context.Context) error {
	if r, ok := c.Conn.(driver.SessionResetter); ok {
		return r.ResetSession(ctx)
	}
	return nil
}

func (c *countingConn) IsValid() bool {
	v, ok := c.Conn.(driver.Validator)
	return !ok || v.IsValid()
}

func (c *countingConn) CheckNamedValue(nv *driver.NamedValue) error {
	return c.Conn.(driver.NamedValueChecker).CheckNamedValue(nv)
}

// TestWorkerListenerDrops: when the server ends the LISTEN connection the
// Worker still picks up work (it polls), and listens again on a new
// connection.
func TestWorkerListenerDrops(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		if !db.SQLDialect().Has(store.FeatureNotify) {
			t.Skip("no LISTEN/NOTIFY on", db.SQLDialect().Name())
		}
		ctx := t.Context()
		got := make(chan string, 2)
		w, err := queue.NewWorker(newQueue(t, db), []string{"drop"}, func(ctx context.Context, e queue.Element) error {
			got <- e.Reference
			return nil
		}, queue.WithPollInterval(200*time.Millisecond), queue.WithWorkerLogger(slog.New(slog.DiscardHandler)))
		require.NoError(t, err)
		runWorker(t, w)
		listener := func() (pid int) {
			deadline := time.Now().Add(30 * time.Second)
			for time.Now().Before(deadline) {
				err := db.SQL().QueryRowContext(ctx, "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND query = 'LISTEN flowstore_queues'").Scan(&pid)
				if err == nil {
					return pid
				}
				require.ErrorIs(t, err, sql.ErrNoRows)
				time.Sleep(20 * time.Millisecond)
			}
			t.Fatal("no LISTEN connection")
			return 0
		}
		first := listener()
		var ok bool
		require.NoError(t, db.SQL().QueryRowContext(ctx, "SELECT pg_terminate_backend($1)", first).Scan(&ok))
		require.True(t, ok)

		other, err := store.Open(ctx, testdb.DSN(t, db))
		require.NoError(t, err)
		defer other.Close()
		_, err = newQueue(t, other).Enqueue(ctx, "drop", queue.NewElement{Reference: "polled"})
		require.NoError(t, err)
		requireGot(t, got, "polled")
		second := listener()
		require.NotEqual(t, first, second, "listening again on a new connection")
	})
}
