package rawqueue

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/flowstore/flowstore/store"
)

// Anchor is the other yardstick of the queue benchmarks: not the library's
// SQL on the library's table, but the plainest single-row claim a dialect
// has, on the smallest table a queue can live in — an integer key, a
// status, a creation stamp, and one (status, id) index. A ratio of 1.0
// against the library's own SQL (SQL) says the library adds nothing to its
// statements; the anchor says what those statements and the reference
// table cost against what the database and the driver allow.
//
// The claim: where the dialect updates with RETURNING (PostgreSQL, SQLite)
//
//	UPDATE t SET status = 1 WHERE id = (SELECT id FROM t WHERE status = 0
//	  ORDER BY id LIMIT 1 [FOR UPDATE SKIP LOCKED]) RETURNING id
//
// and elsewhere the dialect's locking read of one row (FOR UPDATE SKIP
// LOCKED, or UPDLOCK, READPAST) and an UPDATE of it in one transaction.
// The finish is one more statement, UPDATE t SET status = 2 WHERE id = ?
// AND status = 1, committed on its own, as the library's Finish is.
//
// The table's key is INTEGER PRIMARY KEY on every dialect — SQLite's rowid
// itself, a 4-byte integer elsewhere — filled by Fill with 1…n rather than by
// a sequence, so one DDL text serves every dialect; created holds Unix
// microseconds. Rows stay in the table when done, as the library's do.
type Anchor struct {
	d                    *store.Dialect
	table                string
	returning            bool
	claim, lock, mark    string
	finish, create, drop string
	index                string
}

// Anchor statuses.
const (
	anchorNew     = 0
	anchorClaimed = 1
	anchorDone    = 2
)

// NewAnchor returns the anchor statements for a table of that name (which
// the caller makes unique to its run: Create makes it, Drop removes it).
func NewAnchor(d *store.Dialect, table string) *Anchor {
	q := d.Quote
	t, id, status := q(table), q("id"), q("status")
	pick := "SELECT " + id + " FROM " + d.LockedFrom(table, "", true) + " WHERE " + status + " = " + strconv.Itoa(anchorNew) +
		" ORDER BY " + id + d.Limit("1") + d.LockSuffix(true)
	a := &Anchor{
		d:         d,
		table:     table,
		returning: d.Has(store.FeatureReturning),
		create:    "CREATE TABLE " + t + " (" + id + " INTEGER NOT NULL PRIMARY KEY, " + status + " INTEGER NOT NULL, " + q("created") + " BIGINT NOT NULL)",
		index:     "CREATE INDEX " + q(table+"_status") + " ON " + t + " (" + status + ", " + id + ")",
		drop:      "DROP TABLE " + t,
		finish:    d.Rebind("UPDATE " + t + " SET " + status + " = " + strconv.Itoa(anchorDone) + " WHERE " + id + " = ? AND " + status + " = " + strconv.Itoa(anchorClaimed)),
	}
	if a.returning {
		a.claim = "UPDATE " + t + " SET " + status + " = " + strconv.Itoa(anchorClaimed) + " WHERE " + id + " = (" + pick + ") RETURNING " + id
	} else {
		a.lock = pick
		a.mark = d.Rebind("UPDATE " + t + " SET " + status + " = " + strconv.Itoa(anchorClaimed) + " WHERE " + id + " = ?")
	}
	return a
}

// Table is the anchor table's name.
func (a *Anchor) Table() string { return a.table }

// Statements returns the claim (one statement, or the locking read and the
// update) and the finish, for a report to show what the anchor runs.
func (a *Anchor) Statements() []string {
	if a.returning {
		return []string{a.claim, a.finish}
	}
	return []string{a.lock, a.mark, a.finish}
}

// Create makes the table and its index.
func (a *Anchor) Create(ctx context.Context, pool *sql.DB) error {
	for _, s := range []string{a.create, a.index} {
		if _, err := pool.ExecContext(ctx, s); err != nil {
			return fmt.Errorf("anchor: %w", err)
		}
	}
	return nil
}

// Drop removes the table.
func (a *Anchor) Drop(ctx context.Context, pool *sql.DB) error {
	if _, err := pool.ExecContext(ctx, a.drop); err != nil {
		return fmt.Errorf("anchor: %w", err)
	}
	return nil
}

// Fill empties the table and inserts n new rows, ids 1…n, in multi-row
// INSERTs as large as the dialect allows.
func (a *Anchor) Fill(ctx context.Context, pool *sql.DB, n int) error {
	q := a.d.Quote
	if _, err := pool.ExecContext(ctx, "DELETE FROM "+q(a.table)); err != nil {
		return fmt.Errorf("anchor: %w", err)
	}
	per := a.d.RowsPerStatement(3)
	now := time.Now().UnixMicro()
	for lo := 0; lo < n; lo += per {
		k := min(per, n-lo)
		var b strings.Builder
		b.WriteString("INSERT INTO " + q(a.table) + " (" + a.d.QuoteAll("", "id", "status", "created") + ") VALUES")
		args := make([]any, 0, 3*k)
		for i := range k {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(" (?, ?, ?)")
			args = append(args, lo+i+1, anchorNew, now+int64(lo+i))
		}
		if _, err := pool.ExecContext(ctx, a.d.Rebind(b.String()), args...); err != nil {
			return fmt.Errorf("anchor: %w", err)
		}
	}
	return nil
}

// ClaimFinish claims one row and finishes it, and says how many it worked:
// 0 once no new row is left.
func (a *Anchor) ClaimFinish(ctx context.Context, pool *sql.DB) (int, error) {
	var id int64
	var err error
	if a.returning {
		err = pool.QueryRowContext(ctx, a.claim).Scan(&id)
	} else {
		id, err = a.claimLocked(ctx, pool)
	}
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	res, err := pool.ExecContext(ctx, a.finish, id)
	if err != nil {
		return 0, err
	}
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		return 0, fmt.Errorf("anchor finish of %d: %d rows, %v", id, n, err)
	}
	return 1, nil
}

func (a *Anchor) claimLocked(ctx context.Context, pool *sql.DB) (int64, error) {
	tx, err := pool.BeginTx(ctx, nil)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	var id int64
	if err := tx.QueryRowContext(ctx, a.lock).Scan(&id); err != nil {
		return 0, err
	}
	if _, err := tx.ExecContext(ctx, a.mark, id); err != nil {
		return 0, err
	}
	return id, tx.Commit()
}

// Counts returns how many rows the table holds in each state: new, claimed
// and done.
func (a *Anchor) Counts(ctx context.Context, pool *sql.DB) (fresh, claimed, done int, err error) {
	q := a.d.Quote
	rows, err := pool.QueryContext(ctx, "SELECT "+q("status")+", COUNT(*) FROM "+q(a.table)+" GROUP BY "+q("status"))
	if err != nil {
		return 0, 0, 0, err
	}
	defer rows.Close()
	for rows.Next() {
		var status, n int
		if err := rows.Scan(&status, &n); err != nil {
			return 0, 0, 0, err
		}
		switch status {
		case anchorNew:
			fresh = n
		case anchorClaimed:
			claimed = n
		case anchorDone:
			done = n
		default:
			return 0, 0, 0, fmt.Errorf("anchor: a row in status %d", status)
		}
	}
	return fresh, claimed, done, rows.Err()
}
