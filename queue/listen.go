package queue

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/flowstore/flowstore/store"
)

// Push-based pickup across processes, where the dialect has LISTEN/NOTIFY
// (store.FeatureNotify: PostgreSQL). Every enqueue statement then also
// sends pg_notify(notifyChannel, queue name) — inside the enqueueing
// transaction, so the notification goes out when it commits and never for
// one that rolls back — and each Worker listens on one dedicated
// connection of the pool, taken for as long as Run runs. A notification
// for one of the Worker's queues wakes it at once; while the listener is
// down (its connection dropped) the Worker polls as it does on the other
// dialects, and the listener comes back with a growing pause.

// notifyChannel is the channel enqueues notify and Workers listen on.
const notifyChannel = "flowstore_queues"

// withNotify turns an INSERT of NEW elements, whose second parameter is
// the queue's name, into one statement that also notifies: the INSERT runs
// as a data-modifying CTE (carried out whatever the outer query reads),
// and the outer query sends one notification when it inserted a row.
func withNotify(insert string) string {
	return "WITH ins AS (" + insert + " RETURNING 1) SELECT pg_notify('" + notifyChannel +
		"', CAST($2 AS TEXT)) FROM (SELECT 1 FROM ins LIMIT 1) AS one"
}

// pgxConner is the connection of pgx's database/sql driver, which hands
// out the pgx connection underneath.
type pgxConner interface{ Conn() *pgx.Conn }

// unwrapConn returns the driver's own connection under the wrappers a
// pool may put around it (store's turnConn, a test's counter).
func unwrapConn(dc any) any {
	for {
		u, ok := dc.(interface{ Unwrap() driver.Conn })
		if !ok {
			return dc
		}
		dc = u.Unwrap()
	}
}

// errNoListen says that the pool's connections cannot LISTEN (not pgx):
// the Worker polls and does not try again.
var errNoListen = errors.New("the pool's driver is not pgx: no LISTEN")

// listen keeps a LISTEN connection up until ctx ends, waking the Worker
// for every notification about one of its queues.
func (w *Worker) listen(ctx context.Context) {
	pause := time.Second
	for ctx.Err() == nil {
		err := w.listenOnce(ctx)
		w.listening.Store(false)
		if ctx.Err() != nil {
			return
		}
		if errors.Is(err, errNoListen) {
			w.log.Info("queue: worker: polling only", "reason", err)
			return
		}
		w.log.Warn("queue: worker: LISTEN connection lost; polling until it is back", "err", err, "retry_in", pause)
		poke(w.wake) // catch up on what was enqueued while nobody listened
		select {
		case <-ctx.Done():
			return
		case <-time.After(pause):
		}
		pause = min(2*pause, 30*time.Second)
	}
}

// listenOnce listens on one connection of the pool until ctx ends or the
// connection fails.
func (w *Worker) listenOnce(ctx context.Context) error {
	cctx, cancel := context.WithTimeout(ctx, w.queryTimeout)
	conn, err := w.s.db.SQL().Conn(cctx)
	cancel()
	if err != nil {
		return err
	}
	defer conn.Close()
	return conn.Raw(func(dc any) error {
		pc, ok := unwrapConn(dc).(pgxConner)
		if !ok {
			return errNoListen
		}
		c := pc.Conn()
		lctx, cancel := context.WithTimeout(ctx, w.queryTimeout)
		_, err := c.Exec(lctx, "LISTEN "+notifyChannel)
		cancel()
		if err != nil {
			return fmt.Errorf("%w: LISTEN: %w", driver.ErrBadConn, err)
		}
		w.listening.Store(true)
		// Elements enqueued before LISTEN took effect notified nobody.
		poke(w.wake)
		for {
			n, err := c.WaitForNotification(ctx)
			if err != nil {
				if ctx.Err() == nil || c.IsClosed() {
					return fmt.Errorf("%w: %w", driver.ErrBadConn, err)
				}
				// Stopping: leave the connection as the pool expects it,
				// or have the pool drop it.
				uctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Second)
				_, err := c.Exec(uctx, "UNLISTEN "+notifyChannel)
				cancel()
				if err != nil {
					return fmt.Errorf("%w: UNLISTEN: %w", driver.ErrBadConn, err)
				}
				return nil
			}
			if w.queueSet[n.Payload] {
				poke(w.wake)
			}
		}
	})
}

// notifying returns an enqueue's INSERT as the store runs it: with the
// notification where the dialect has LISTEN/NOTIFY, else unchanged.
func (s *bunStore) notifying(insert string) string {
	if s.d.Has(store.FeatureNotify) {
		return withNotify(insert)
	}
	return insert
}
