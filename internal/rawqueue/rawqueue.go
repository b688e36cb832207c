// Package rawqueue is the comparison side of the queue benchmarks
// (examples/bench, examples/queueworker -compare): the claim, finish and
// insert statements the queue package runs, written out by hand for each
// dialect and executed with bound parameters straight on database/sql,
// without bun or the queue package. Its test keeps the text equal to what
// the queue package runs (queue/testdata/sql).
package rawqueue

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/flowstore/flowstore/store"
)

// SQL is one dialect's statements.
type SQL struct {
	d store.Dialect
	// claim picks and marks up to n NEW elements and returns them; on
	// MySQL it is the locking SELECT, and claimed marks the rows it locked
	// in the same transaction.
	claim   string
	claimed func(n int) string
	// claimArgs are claim's arguments in the order its text binds them.
	claimArgs func(queue string, now time.Time, n int) []any
	// maxParams is the most parameters one statement may bind.
	maxParams int
}

// For returns the statements of a dialect.
func For(d store.Dialect) *SQL {
	q := d.Quote
	cols := strings.Join([]string{q("id"), q("queue_name"), q("status"), q("data"), q("reference"), q("created_date"), q("start_date"), q("end_date"), q("message"), q("created_by")}, ", ")
	t, where, order := q("Queues"), q("queue_name")+" = ? AND "+q("status")+" = 'NEW'", q("created_date")+", "+q("id")
	set := q("status") + " = 'IN_PROGRESS', " + q("start_date") + " = ?"
	r := &SQL{d: d, maxParams: 65535}
	switch d {
	case store.Postgres:
		r.claim = "WITH claimable AS MATERIALIZED (SELECT " + q("id") + " FROM " + t + " WHERE " + where + " ORDER BY " + order + " LIMIT ? FOR UPDATE SKIP LOCKED) UPDATE " + t + " SET " + set + " WHERE " + q("id") + " = ANY(ARRAY(SELECT " + q("id") + " FROM claimable)) RETURNING " + cols
		r.claimArgs = func(queue string, now time.Time, n int) []any { return []any{queue, n, now} }
	case store.SQLite:
		r.claim = "UPDATE " + t + " SET " + set + " WHERE " + q("id") + " IN (SELECT " + q("id") + " FROM " + t + " WHERE " + where + " ORDER BY " + order + " LIMIT ?) RETURNING " + cols
		r.claimArgs = func(queue string, now time.Time, n int) []any { return []any{now, queue, n} }
		r.maxParams = 32766
	case store.SQLServer:
		inserted := "INSERTED." + strings.ReplaceAll(cols, ", ", ", INSERTED.")
		r.claim = "WITH claimable AS (SELECT TOP (?) * FROM " + t + " WITH (UPDLOCK, READPAST, ROWLOCK) WHERE " + where + " ORDER BY " + order + ") UPDATE claimable SET " + set + " OUTPUT " + inserted
		r.claimArgs = func(queue string, now time.Time, n int) []any { return []any{n, queue, now} }
		r.maxParams = 2100
	case store.MySQL:
		r.claim = "SELECT " + cols + " FROM " + t + " WHERE " + where + " ORDER BY " + order + " LIMIT ? FOR UPDATE SKIP LOCKED"
		r.claimArgs = func(queue string, _ time.Time, n int) []any { return []any{queue, n} }
		r.claimed = func(n int) string {
			return d.Rebind("UPDATE " + t + " SET " + set + " WHERE " + q("id") + " IN (" + marks(n) + ")")
		}
	}
	r.claim = d.Rebind(r.claim)
	return r
}

// Claim is the claim statement (on MySQL the locking SELECT).
func (r *SQL) Claim() string { return r.claim }

// MarkClaimed is MySQL's second claim statement for n locked rows; "" on the
// other dialects, which claim in one statement.
func (r *SQL) MarkClaimed(n int) string {
	if r.claimed == nil {
		return ""
	}
	return r.claimed(n)
}

// Finish sets n IN_PROGRESS elements to a final status (arguments: status,
// end_date, then the ids).
func (r *SQL) Finish(n int) string {
	q := r.d.Quote
	where := q("id") + " = ?"
	if n > 1 {
		where = q("id") + " IN (" + marks(n) + ")"
	}
	return r.d.Rebind("UPDATE " + q("Queues") + " SET " + q("status") + " = ?, " + q("end_date") + " = ? WHERE " + where + " AND " + q("status") + " = 'IN_PROGRESS'")
}

// Insert adds n NEW elements (six arguments a row: id, queue_name, data,
// reference, created_date, created_by).
func (r *SQL) Insert(n int) string {
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

// ClaimArgs returns the claim statement's arguments in its order.
func (r *SQL) ClaimArgs(queue string, now time.Time, n int) []any { return r.claimArgs(queue, now, n) }

func marks(n int) string { return strings.Repeat("?, ", n-1) + "?" }

// ClaimFinish claims up to n elements of a queue and finishes them DONE, as
// Claim/ClaimBatch and Finish/FinishBatch do, and says how many it worked.
func (r *SQL) ClaimFinish(ctx context.Context, db *store.DB, queue string, n int) (int, error) {
	var ids []any
	var err error
	if r.claimed != nil {
		ids, err = r.claimLocked(ctx, db, queue, n)
	} else {
		ids, err = scanClaimed(db.SQL().QueryContext(ctx, r.claim, r.claimArgs(queue, db.Now(), n)...))
	}
	if err != nil || len(ids) == 0 {
		return 0, err
	}
	res, err := db.SQL().ExecContext(ctx, r.Finish(len(ids)), append([]any{"DONE", db.Now()}, ids...)...)
	if err != nil {
		return 0, err
	}
	if done, err := res.RowsAffected(); err != nil || int(done) != len(ids) {
		return 0, fmt.Errorf("raw finish: %d of %d rows, %v", done, len(ids), err)
	}
	return len(ids), nil
}

// claimLocked is MySQL's claim: the locking SELECT and the UPDATE of the ids
// it returned, in one transaction.
func (r *SQL) claimLocked(ctx context.Context, db *store.DB, queue string, n int) ([]any, error) {
	tx, err := db.SQL().BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	now := db.Now()
	ids, err := scanClaimed(tx.QueryContext(ctx, r.claim, r.claimArgs(queue, now, n)...))
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

// Enqueue inserts one NEW element per reference, with the data of the same
// index, in multi-row INSERTs as large as the dialect's parameter limit
// allows, stamping the i-th element i µs after the first as EnqueueBatch
// does. It is not atomic across statements: it is a benchmark's baseline.
func (r *SQL) Enqueue(ctx context.Context, db *store.DB, queue string, refs, data []string, createdBy string) error {
	per := r.maxParams / 6
	now := db.Now()
	for lo := 0; lo < len(refs); lo += per {
		k := min(per, len(refs)-lo)
		args := make([]any, 0, 6*k)
		for i := lo; i < lo+k; i++ {
			created := now.Add(time.Duration(i) * time.Microsecond)
			args = append(args, uuid.Must(uuid.NewV7()), queue, data[i], refs[i], created, createdBy)
		}
		if _, err := db.SQL().ExecContext(ctx, r.Insert(k), args...); err != nil {
			return err
		}
	}
	return nil
}
