package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/flowstore/flowstore/queue"
	"github.com/flowstore/flowstore/store"
)

// Queue hot paths against the raw driver running the same claim and finish
// SQL with bound parameters: one element claimed and finished at a time,
// batches of queueBatch claimed and finished at once, and bulk enqueue in
// batches of enqueueBatch. The claim cases work a queue that prepare fills
// with exactly the elements the side will work.
const (
	queueBatch   = 100
	enqueueBatch = 1000
)

func init() {
	for i, workers := range []int{1, 4, 16} {
		register(&benchCase{
			name:    fmt.Sprintf("queue: claim + finish, %d workers", workers),
			order:   100 + i,
			workers: workers,
			ops:     2000,
			prepare: fillQueue,
			library: func(ctx context.Context, db *store.DB, _, _ int) (int, error) {
				q := queueStore(db)
				e, err := q.Claim(ctx, benchQueue)
				if errors.Is(err, queue.ErrEmpty) {
					return 0, nil
				}
				if err != nil {
					return 0, err
				}
				return 1, q.Finish(ctx, e.ID, queue.Done(""))
			},
			raw: func(ctx context.Context, db *store.DB, _, _ int) (int, error) {
				return rawClaimFinish(ctx, db, 1)
			},
		})
	}
	for i, workers := range []int{1, 4, 16} {
		register(&benchCase{
			name:    fmt.Sprintf("queue: batch claim + finish (%d), %d workers", queueBatch, workers),
			order:   110 + i,
			workers: workers,
			ops:     20000,
			prepare: fillQueue,
			library: func(ctx context.Context, db *store.DB, _, _ int) (int, error) {
				q := queueStore(db)
				els, err := q.ClaimBatch(ctx, benchQueue, queueBatch)
				if err != nil || len(els) == 0 {
					return 0, err
				}
				ids := make([]uuid.UUID, len(els))
				for i, e := range els {
					ids[i] = e.ID
				}
				_, err = q.FinishBatch(ctx, ids, queue.Done(""))
				return len(els), err
			},
			raw: func(ctx context.Context, db *store.DB, _, _ int) (int, error) {
				return rawClaimFinish(ctx, db, queueBatch)
			},
		})
	}
	register(&benchCase{
		name:    fmt.Sprintf("queue: bulk enqueue, batch %d", enqueueBatch),
		order:   120,
		workers: 1,
		ops:     20000,
		prepare: func(ctx context.Context, db *store.DB, _ int) error { return emptyQueue(ctx, db) },
		library: func(ctx context.Context, db *store.DB, _, max int) (int, error) {
			refs, data := enqueueRows(min(max, enqueueBatch))
			_, err := queueStore(db).EnqueueBatch(ctx, benchQueue, refs, data, "bench")
			return len(refs), err
		},
		raw: func(ctx context.Context, db *store.DB, _, max int) (int, error) {
			refs, data := enqueueRows(min(max, enqueueBatch))
			now := db.Now()
			args := make([]any, 0, 6*len(refs))
			for i := range refs {
				// As EnqueueBatch stamps them: the i-th element i µs after the first.
				created := now.Add(time.Duration(i) * time.Microsecond)
				args = append(args, uuid.Must(uuid.NewV7()), benchQueue, data[i], refs[i], created, "bench")
			}
			_, err := db.SQL().ExecContext(ctx, rawSQLFor(db).insert(len(refs)), args...)
			return len(refs), err
		},
	})
}

const benchQueue = "bench"

// queueSides is what the two sides of the queue cases use on one
// database: the library's one queue.Store and the raw side's SQL.
type queueSides struct {
	lib queue.Store
	raw *rawQueueSQL
}

// queueSidesOf maps each *store.DB to its *queueSides. Every prepare builds
// the entry (emptyQueue), untimed and before any worker starts; the workers
// of both sides then only read it, concurrently — a sync.Map, so that even
// a first use from a worker would be safe.
var queueSidesOf sync.Map

func sidesFor(db *store.DB) *queueSides {
	if v, ok := queueSidesOf.Load(db); ok {
		return v.(*queueSides)
	}
	v, _ := queueSidesOf.LoadOrStore(db, &queueSides{lib: queue.New(db), raw: newRawQueueSQL(db.Dialect())})
	return v.(*queueSides)
}

// queueStore returns the one queue.Store of a database.
func queueStore(db *store.DB) queue.Store { return sidesFor(db).lib }

// rawSQLFor returns the raw side's SQL for a database's dialect.
func rawSQLFor(db *store.DB) *rawQueueSQL { return sidesFor(db).raw }

func emptyQueue(ctx context.Context, db *store.DB) error {
	_ = sidesFor(db) // built here, not in the timed workers
	_, err := db.SQL().ExecContext(ctx, "DELETE FROM "+db.Dialect().Quote("Queues"))
	return err
}

// fillQueue empties the table and enqueues n NEW elements.
func fillQueue(ctx context.Context, db *store.DB, n int) error {
	if err := emptyQueue(ctx, db); err != nil {
		return err
	}
	for lo := 0; lo < n; lo += enqueueBatch {
		refs, data := enqueueRows(min(enqueueBatch, n-lo))
		if _, err := queueStore(db).EnqueueBatch(ctx, benchQueue, refs, data, "bench"); err != nil {
			return err
		}
	}
	return nil
}

func enqueueRows(n int) (refs, data []string) {
	refs, data = make([]string, n), make([]string, n)
	for i := range refs {
		refs[i], data[i] = "ref-"+strconv.Itoa(i), `{"invoice":12345,"amount":"99.50"}`
	}
	return refs, data
}

// rawQueueSQL is the queue package's claim, finish and insert SQL written
// out by hand for one dialect, with bound parameters: the same text
// queue/sql.go builds (see queue/testdata/sql/<dialect>.sql).
type rawQueueSQL struct {
	d store.Dialect
	// claim picks and marks up to n NEW elements and returns them; on
	// MySQL it is the locking SELECT, and claimed marks the rows it locked.
	claim   string
	claimed func(n int) string
	// claimArgs are claim's arguments in the order its text binds them.
	claimArgs func(now time.Time, n int) []any
}

func newRawQueueSQL(d store.Dialect) *rawQueueSQL {
	q := d.Quote
	cols := strings.Join([]string{q("id"), q("queue_name"), q("status"), q("data"), q("reference"), q("created_date"), q("start_date"), q("end_date"), q("message"), q("created_by")}, ", ")
	inserted := "INSERTED." + strings.ReplaceAll(cols, ", ", ", INSERTED.")
	t, where, order := q("Queues"), q("queue_name")+" = ? AND "+q("status")+" = 'NEW'", q("created_date")+", "+q("id")
	set := q("status") + " = 'IN_PROGRESS', " + q("start_date") + " = ?"
	r := &rawQueueSQL{d: d}
	switch d {
	case store.Postgres:
		r.claim = "WITH claimable AS MATERIALIZED (SELECT " + q("id") + " FROM " + t + " WHERE " + where + " ORDER BY " + order + " LIMIT ? FOR UPDATE SKIP LOCKED) UPDATE " + t + " SET " + set + " WHERE " + q("id") + " = ANY(ARRAY(SELECT " + q("id") + " FROM claimable)) RETURNING " + cols
		r.claimArgs = func(now time.Time, n int) []any { return []any{benchQueue, n, now} }
	case store.SQLite:
		r.claim = "UPDATE " + t + " SET " + set + " WHERE " + q("id") + " IN (SELECT " + q("id") + " FROM " + t + " WHERE " + where + " ORDER BY " + order + " LIMIT ?) RETURNING " + cols
		r.claimArgs = func(now time.Time, n int) []any { return []any{now, benchQueue, n} }
	case store.SQLServer:
		r.claim = "WITH claimable AS (SELECT TOP (?) * FROM " + t + " WITH (UPDLOCK, READPAST, ROWLOCK) WHERE " + where + " ORDER BY " + order + ") UPDATE claimable SET " + set + " OUTPUT " + inserted
		r.claimArgs = func(now time.Time, n int) []any { return []any{n, benchQueue, now} }
	case store.MySQL:
		r.claim = "SELECT " + cols + " FROM " + t + " WHERE " + where + " ORDER BY " + order + " LIMIT ? FOR UPDATE SKIP LOCKED"
		r.claimArgs = func(_ time.Time, n int) []any { return []any{benchQueue, n} }
		r.claimed = func(n int) string {
			return "UPDATE " + t + " SET " + set + " WHERE " + q("id") + " IN (" + marks(n) + ")"
		}
	}
	r.claim = d.Rebind(r.claim)
	return r
}

func (r *rawQueueSQL) finish(n int) string {
	q := r.d.Quote
	where := q("id") + " = ?"
	if n > 1 {
		where = q("id") + " IN (" + marks(n) + ")"
	}
	return r.d.Rebind("UPDATE " + q("Queues") + " SET " + q("status") + " = ?, " + q("end_date") + " = ? WHERE " + where + " AND " + q("status") + " = 'IN_PROGRESS'")
}

func (r *rawQueueSQL) insert(n int) string {
	q := r.d.Quote
	var b strings.Builder
	b.WriteString("INSERT INTO " + q("Queues") + " (" + q("id") + ", " + q("queue_name") + ", " + q("status") + ", " + q("data") + ", " + q("reference") + ", " + q("created_date") + ", " + q("created_by") + ") VALUES")
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(" (?, ?, 'NEW', ?, ?, ?, ?)")
	}
	return r.d.Rebind(b.String())
}

func marks(n int) string { return strings.Repeat("?, ", n-1) + "?" }

// rawClaimFinish claims up to n elements and finishes them DONE, as the
// library's Claim/ClaimBatch and Finish/FinishBatch do, and says how many.
func rawClaimFinish(ctx context.Context, db *store.DB, n int) (int, error) {
	r := rawSQLFor(db)
	var ids []any
	var err error
	if r.claimed != nil {
		ids, err = rawClaimLocked(ctx, db, r, n)
	} else {
		ids, err = scanClaimed(db.SQL().QueryContext(ctx, r.claim, r.claimArgs(db.Now(), n)...))
	}
	if err != nil || len(ids) == 0 {
		return 0, err
	}
	res, err := db.SQL().ExecContext(ctx, r.finish(len(ids)), append([]any{"DONE", db.Now()}, ids...)...)
	if err != nil {
		return 0, err
	}
	if done, err := res.RowsAffected(); err != nil || int(done) != len(ids) {
		return 0, fmt.Errorf("raw finish: %d of %d rows, %v", done, len(ids), err)
	}
	return len(ids), nil
}

// rawClaimLocked is MySQL's claim: the locking SELECT and the UPDATE of the
// ids it returned, in one transaction.
func rawClaimLocked(ctx context.Context, db *store.DB, r *rawQueueSQL, n int) ([]any, error) {
	tx, err := db.SQL().BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	now := db.Now()
	ids, err := scanClaimed(tx.QueryContext(ctx, r.claim, r.claimArgs(now, n)...))
	if err != nil || len(ids) == 0 {
		return nil, err
	}
	if _, err := tx.ExecContext(ctx, r.claimed(len(ids)), append([]any{now}, ids...)...); err != nil {
		return nil, err
	}
	return ids, tx.Commit()
}

// scanClaimed reads every column of the claimed rows, as the library does,
// and returns their ids.
func scanClaimed(rows *sql.Rows, err error) ([]any, error) {
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ids []any
	for rows.Next() {
		var id uuid.UUID
		var name, status string
		var data, ref, msg, by sql.NullString
		var created, started, ended any
		if err := rows.Scan(&id, &name, &status, &data, &ref, &created, &started, &ended, &msg, &by); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}
