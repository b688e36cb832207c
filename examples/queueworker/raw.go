package main

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/flowstore/flowstore/store"
)

// raw is the comparison: the statements the queue package runs, written
// out by hand (the same text as queue/testdata/sql/<dialect>.sql; see
// TestRawSQLIsTheLibrarys), executed with bound parameters on the same
// *sql.DB.
type raw struct {
	db        *store.DB
	claim     string
	claimArgs func(now time.Time, queue string, limit int) []any // in claim's order
	finish1   string                                             // args: status, now, id
}

const rawColumns = `"id", "queue_name", "status", "data", "reference", "created_date", "start_date", "end_date", "message", "created_by"`

func newRaw(db *store.DB) (*raw, error) {
	r := &raw{db: db}
	switch db.Dialect() {
	case store.Postgres:
		r.claim = `WITH claimable AS MATERIALIZED (SELECT "id" FROM "Queues" WHERE "queue_name" = $1 AND "status" = 'NEW' ORDER BY "created_date", "id" LIMIT $2 FOR UPDATE SKIP LOCKED) ` +
			`UPDATE "Queues" SET "status" = 'IN_PROGRESS', "start_date" = $3 WHERE "id" = ANY(ARRAY(SELECT "id" FROM claimable)) RETURNING ` + rawColumns
		r.claimArgs = func(now time.Time, queue string, limit int) []any { return []any{queue, limit, now} }
	case store.SQLite:
		r.claim = `UPDATE "Queues" SET "status" = 'IN_PROGRESS', "start_date" = ? WHERE "id" IN (SELECT "id" FROM "Queues" WHERE "queue_name" = ? AND "status" = 'NEW' ORDER BY "created_date", "id" LIMIT ?) RETURNING ` + rawColumns
		r.claimArgs = func(now time.Time, queue string, limit int) []any { return []any{now, queue, limit} }
	default:
		return nil, fmt.Errorf("-compare supports postgres and sqlite, not %s", db.Dialect())
	}
	r.finish1 = r.finish(1)
	return r, nil
}

func (r *raw) finish(n int) string {
	where := `"id" = ?`
	if n > 1 {
		where = `"id" IN (` + strings.Repeat("?, ", n-1) + `?)`
	}
	return r.db.Dialect().Rebind(`UPDATE "Queues" SET "status" = ?, "end_date" = ? WHERE ` + where + ` AND "status" = 'IN_PROGRESS'`)
}

func (r *raw) enqueue(ctx context.Context, c config) error {
	const head = `INSERT INTO "Queues" ("id", "queue_name", "status", "data", "reference", "created_date", "created_by") VALUES`
	for lo := 0; lo < c.n; lo += 5000 {
		k := min(5000, c.n-lo)
		refs, data := payload(lo, k)
		var b strings.Builder
		b.WriteString(head)
		args := make([]any, 0, 6*k)
		now := r.db.Now()
		for i := range k {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(" (?, ?, 'NEW', ?, ?, ?, ?)")
			// As EnqueueBatch stamps them: the i-th element i µs after the first.
			created := now.Add(time.Duration(i) * time.Microsecond)
			args = append(args, uuid.Must(uuid.NewV7()), c.queue, data[i], refs[i], created, "queueworker")
		}
		if _, err := r.db.SQL().ExecContext(ctx, r.db.Dialect().Rebind(b.String()), args...); err != nil {
			return err
		}
	}
	return nil
}

func (r *raw) worker(c config) workFunc {
	return func(ctx context.Context) (int, error) {
		rows, err := r.db.SQL().QueryContext(ctx, r.claim, r.claimArgs(r.db.Now(), c.queue, c.batch)...)
		if err != nil {
			return 0, err
		}
		var ids []any
		for rows.Next() {
			var id uuid.UUID
			var queue, status string
			var data, ref, msg, by sql.NullString
			var created, started, ended any
			if err := rows.Scan(&id, &queue, &status, &data, &ref, &created, &started, &ended, &msg, &by); err != nil {
				rows.Close()
				return 0, err
			}
			ids = append(ids, id)
		}
		if err := rows.Close(); err != nil {
			return 0, err
		}
		if err := rows.Err(); err != nil || len(ids) == 0 {
			return 0, err
		}
		args := append([]any{"DONE", r.db.Now()}, ids...)
		q := r.finish1
		if len(ids) > 1 {
			q = r.finish(len(ids))
		}
		res, err := r.db.SQL().ExecContext(ctx, q, args...)
		if err != nil {
			return 0, err
		}
		n, err := res.RowsAffected()
		return int(n), err
	}
}
