// Package rawqueue is the comparison side of the queue benchmarks
// (examples/bench, examples/queueworker -compare): the claim, finish and
// insert statements the queue package runs, written out by hand and
// executed with bound parameters straight on database/sql, without bun or
// the queue package. What differs between dialects — quoting, placeholders,
// the claim's form, the parameter limit — comes from the dialect layer, as
// in the library. It writes and compares as the library does, on
// OpenOrchestrator's conventions: ids in SQLAlchemy's spelling
// (store.DB.RefUUID; a lookup by id binds every spelling, RefUUIDs), times
// as naive wall clocks of the DB's zone (store.DB.Naive), so both sides of
// a benchmark do the same work. Its test keeps the text equal to what the
// queue package runs (queue/testdata/sql) and the rows equal to what the
// library writes. The …On methods run on a pool of the caller's own (the
// bench opens one with the plain driver, so that the raw side does not
// share the library's pool and its SQLite write turns).
//
// Anchor is the other yardstick: the dialect's plainest single-row claim on
// a minimal table, which says what the library's statements and the
// reference table cost against what the database allows.
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

// SQL is one database's statements.
type SQL struct {
	db *store.DB
	d  *store.Dialect
	// table is "Queues", or a copy of it (OnTable).
	table string
	// spellings is how many spellings of an id a lookup by id binds.
	spellings int
	// claim picks and marks up to n NEW elements and returns them — or,
	// where the dialect claims in two steps, locks and returns them, and
	// claim.MarkClaimed marks them in the same transaction.
	claim store.ClaimSQL
	// perInsert is how many rows one INSERT binds at most.
	perInsert int
}

// columns are the Queues table's columns, in the order the claim returns
// them.
var columns = []string{"id", "queue_name", "status", "data", "reference", "created_date", "start_date", "end_date", "message", "created_by", "idempotency_key", "attempts", "retry_at"}

// insertRowParams is how many parameters one row of Insert binds.
const insertRowParams = 7

// For returns the statements of a database (its dialect, and the spelling
// of its ids and times).
func For(db *store.DB) *SQL {
	return forTable(db, "Queues")
}

// OnTable returns the same statements on another table with the Queues
// table's columns: the bench's schema ladder (examples/bench -ladder) runs
// them on copies of Queues with fewer indexes, to measure what each index
// costs a claim and a finish.
func (r *SQL) OnTable(table string) *SQL {
	return forTable(r.db, table)
}

func forTable(db *store.DB, table string) *SQL {
	d := db.SQLDialect()
	q := d.Quote
	return &SQL{
		db:        db,
		d:         d,
		table:     table,
		spellings: len(db.RefUUIDs(uuid.Nil)),
		claim: d.Claim(store.Claim{
			Table:     table,
			Key:       "id",
			Columns:   columns,
			Where:     q("status") + " = 'NEW'",
			OrderBy:   q("created_date") + ", " + q("id"),
			Set:       q("status") + " = 'IN_PROGRESS', " + q("start_date") + " = ?",
			Partition: "queue_name",
		}),
		perInsert: d.RowsPerStatement(insertRowParams),
	}
}

// Claim is the claim statement (where the dialect claims in two steps, the
// locking SELECT).
func (r *SQL) Claim() string { return r.claim.Statement }

// MarkClaimed is the second claim statement for n locked rows, where the
// dialect claims in two steps (MySQL/MariaDB); "" on the others, which
// claim in one statement.
func (r *SQL) MarkClaimed(n int) string {
	if !r.claim.TwoStep {
		return ""
	}
	return r.claim.MarkClaimed(n)
}

// Finish sets n IN_PROGRESS elements to a final status (arguments: status,
// end_date, then every spelling of each id).
func (r *SQL) Finish(n int) string {
	q := r.d.Quote
	where := q("id") + " = ?"
	if k := n * r.spellings; k > 1 {
		where = q("id") + " IN (" + store.Placeholders(k) + ")"
	}
	return r.d.Rebind("UPDATE " + q(r.table) + " SET " + q("status") + " = ?, " + q("end_date") + " = ? WHERE " + where + " AND " + q("status") + " = 'IN_PROGRESS'")
}

// Insert adds n NEW elements (seven arguments a row: id, queue_name, data,
// reference, created_date, created_by, idempotency_key).
func (r *SQL) Insert(n int) string {
	var b strings.Builder
	b.WriteString("INSERT INTO " + r.d.Quote(r.table) + " (" + r.d.QuoteAll("", "id", "queue_name", "status", "data", "reference", "created_date", "created_by", "idempotency_key") + ") VALUES")
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(" (?, ?, 'NEW', ?, ?, ?, ?, ?)")
	}
	return r.d.Rebind(b.String())
}

// ClaimArgs returns the claim statement's arguments in its order, the
// claim's time as a naive wall clock.
func (r *SQL) ClaimArgs(queue string, now time.Time, n int) []any {
	return r.claim.Bind([]any{r.db.Naive(now)}, []any{queue}, n)
}

// idArgs appends every spelling of each id.
func (r *SQL) idArgs(args []any, ids []uuid.UUID) []any {
	for _, id := range ids {
		args = append(args, r.db.RefUUIDs(id)...)
	}
	return args
}

// ClaimFinish claims up to n elements of a queue and finishes them DONE, as
// Claim/ClaimBatch and Finish/FinishBatch do, and says how many it worked.
// It runs on db's own pool; ClaimFinishOn takes another.
func (r *SQL) ClaimFinish(ctx context.Context, db *store.DB, queue string, n int) (int, error) {
	return r.ClaimFinishOn(ctx, db.SQL(), queue, n)
}

// ClaimFinishOn is ClaimFinish on a pool of the raw driver's own (see
// package bench's -dsn): the library's pool takes turns to write on SQLite
// (store.FeatureSerialWrites), which a raw baseline must not borrow. The
// pool must reach the database of the SQL's DB, with the same session
// settings; times and ids are still spelled as that DB spells them.
func (r *SQL) ClaimFinishOn(ctx context.Context, pool *sql.DB, queue string, n int) (int, error) {
	var ids []uuid.UUID
	var err error
	if r.claim.TwoStep {
		ids, err = r.claimLocked(ctx, pool, queue, n)
	} else {
		ids, _, err = scanClaimed(pool.QueryContext(ctx, r.Claim(), r.ClaimArgs(queue, r.db.Now(), n)...))
	}
	if err != nil || len(ids) == 0 {
		return 0, err
	}
	res, err := pool.ExecContext(ctx, r.Finish(len(ids)), r.idArgs([]any{"DONE", r.db.Naive(r.db.Now())}, ids)...)
	if err != nil {
		return 0, err
	}
	if done, err := res.RowsAffected(); err != nil || int(done) != len(ids) {
		return 0, fmt.Errorf("raw finish: %d of %d rows, %v", done, len(ids), err)
	}
	return len(ids), nil
}

// claimLocked is a two-step claim (MySQL/MariaDB): the locking SELECT and
// the UPDATE of the ids it returned — as stored, like the library — in one
// transaction.
func (r *SQL) claimLocked(ctx context.Context, pool *sql.DB, queue string, n int) ([]uuid.UUID, error) {
	tx, err := pool.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	now := r.db.Now()
	ids, stored, err := scanClaimed(tx.QueryContext(ctx, r.Claim(), r.ClaimArgs(queue, now, n)...))
	if err != nil || len(ids) == 0 {
		return nil, err
	}
	if _, err := tx.ExecContext(ctx, r.claim.MarkClaimed(len(ids)), append([]any{r.db.Naive(now)}, stored...)...); err != nil {
		return nil, err
	}
	return ids, tx.Commit()
}

// scanClaimed reads every column of the claimed rows, as the library does,
// and returns their ids, parsed and as stored (text as a string).
func scanClaimed(rows *sql.Rows, err error) ([]uuid.UUID, []any, error) {
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	var ids []uuid.UUID
	var stored []any
	for rows.Next() {
		var raw any
		var name, status string
		var data, ref, msg, by, key sql.NullString
		var created, started, ended, retryAt any
		var attempts sql.NullInt64
		if err := rows.Scan(&raw, &name, &status, &data, &ref, &created, &started, &ended, &msg, &by, &key, &attempts, &retryAt); err != nil {
			return nil, nil, err
		}
		if b, ok := raw.([]byte); ok && len(b) != 16 {
			raw = string(b)
		}
		var id uuid.UUID
		if err := id.Scan(raw); err != nil {
			return nil, nil, err
		}
		ids, stored = append(ids, id), append(stored, raw)
	}
	return ids, stored, rows.Err()
}

// Enqueue inserts one NEW element per reference, with the data of the same
// index, in multi-row INSERTs as large as the dialect's parameter limit
// allows (bound, on every dialect), stamping the i-th element i µs after
// the first as EnqueueBatch does. It is not atomic across statements: it is
// a benchmark's baseline. It runs on db's own pool; EnqueueOn takes another.
func (r *SQL) Enqueue(ctx context.Context, db *store.DB, queue string, refs, data []string, createdBy string) error {
	return r.EnqueueOn(ctx, db.SQL(), queue, refs, data, createdBy)
}

// EnqueueOn is Enqueue on a pool of the raw driver's own (see ClaimFinishOn).
func (r *SQL) EnqueueOn(ctx context.Context, pool *sql.DB, queue string, refs, data []string, createdBy string) error {
	per := r.perInsert
	now := r.db.Now()
	for lo := 0; lo < len(refs); lo += per {
		k := min(per, len(refs)-lo)
		args := make([]any, 0, insertRowParams*k)
		for i := lo; i < lo+k; i++ {
			created := now.Add(time.Duration(i) * time.Microsecond)
			args = append(args, r.db.RefUUID(uuid.Must(uuid.NewV7())), queue, data[i], refs[i], r.db.Naive(created), createdBy, nil)
		}
		if _, err := pool.ExecContext(ctx, r.Insert(k), args...); err != nil {
			return err
		}
	}
	return nil
}
