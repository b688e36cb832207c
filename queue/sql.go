package queue

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/flowstore/flowstore/store"
)

// This file holds the dialect-specific SQL of the package: the claim
// statements, and the few numbers (how many rows one INSERT may carry) that
// differ per dialect. A dialectSQL is built once per store from the dialect;
// the methods of bun.go never branch on the dialect themselves.
//
// Statements are written with '?' placeholders and rebound to the dialect's
// form ($1, @p1) when built. Each records the order of its arguments, so the
// same claim request binds correctly whatever order a dialect's syntax puts
// them in (SQL Server's TOP (n) comes first, PostgreSQL's LIMIT last).

// arg names one argument of a prepared claim statement.
type arg int

const (
	argNow       arg = iota // the new start_date
	argQueue                // queue_name
	argReference            // reference (ClaimReference only)
	argCutoff               // start_date before which a lease has run out
	argLimit                // how many elements at most
)

// stmt is a statement in the dialect's placeholder form and the order of
// its arguments.
type stmt struct {
	SQL  string
	Args []arg
}

// claimKind selects one of the claim statement variants.
type claimKind struct {
	byReference bool
	lease       bool
}

// claimStyle is how a dialect claims atomically.
type claimStyle int

const (
	// claimReturning: one UPDATE that picks, changes and returns the rows
	// (PostgreSQL, SQLite: UPDATE … RETURNING; SQL Server: UPDATE of a
	// TOP (n) CTE … OUTPUT INSERTED).
	claimReturning claimStyle = iota
	// claimLockThenUpdate: in one transaction, SELECT … FOR UPDATE SKIP
	// LOCKED, then UPDATE those ids (MySQL/MariaDB have no UPDATE …
	// RETURNING).
	claimLockThenUpdate
)

// dialectSQL is the SQL of one dialect.
type dialectSQL struct {
	dialect store.Dialect
	style   claimStyle
	// claims holds the claim statement of each variant: for
	// claimReturning the whole claim, for claimLockThenUpdate the locking
	// SELECT (the UPDATE by ids follows).
	claims map[claimKind]stmt
	// maxParams is the most bound parameters one statement may carry.
	maxParams int
	// maxValuesRows caps the rows of one INSERT … VALUES list (SQL Server:
	// 1000), 0 for no cap of its own.
	maxValuesRows int
	// inlineBatch makes EnqueueBatch let bun inline the values instead of
	// binding them: on SQL Server binding would allow only 2100/6 rows per
	// statement, inlining the full 1000 the VALUES list allows.
	inlineBatch bool
	// length counts a value the way the dialect's varchar(n) counts: in
	// characters, or on SQL Server in UTF-16 code units (NVARCHAR).
	length func(string) int

	// Statements built once.
	insert1, finish1, finish1Msg string
}

// columns is the Queues table's column list in the order every statement
// returns and scan reads them.
var columns = []string{"id", "queue_name", "status", "data", "reference", "created_date", "start_date", "end_date", "message", "created_by"}

func newDialectSQL(d store.Dialect) *dialectSQL {
	ds := &dialectSQL{dialect: d, claims: map[claimKind]stmt{}, length: utf8.RuneCountInString}
	switch d {
	case store.Postgres:
		ds.maxParams = 65535
	case store.SQLite:
		ds.maxParams = 32766 // SQLITE_MAX_VARIABLE_NUMBER since 3.32
	case store.MySQL:
		ds.maxParams = 65535
		ds.style = claimLockThenUpdate
	case store.SQLServer:
		ds.maxParams = 2100
		ds.maxValuesRows = 1000
		ds.inlineBatch = true
		ds.length = utf16Len
	default:
		panic(fmt.Sprintf("queue: unknown dialect %q", d))
	}
	for _, byRef := range []bool{false, true} {
		for _, lease := range []bool{false, true} {
			k := claimKind{byReference: byRef, lease: lease}
			ds.claims[k] = ds.buildClaim(k)
		}
	}
	ds.insert1 = ds.insertOne()
	ds.finish1 = ds.finish(1, false)
	ds.finish1Msg = ds.finish(1, true)
	return ds
}

// q quotes an identifier for the dialect. Identifiers come from code only.
func (ds *dialectSQL) q(name string) string {
	if ds.dialect == store.MySQL {
		return "`" + name + "`"
	}
	return `"` + name + `"`
}

func (ds *dialectSQL) table() string { return ds.q("Queues") }

// cols returns the column list, each prefixed (e.g. "INSERTED.").
func (ds *dialectSQL) cols(prefix string) string {
	parts := make([]string, len(columns))
	for i, c := range columns {
		parts[i] = prefix + ds.q(c)
	}
	return strings.Join(parts, ", ")
}

// claimable is the predicate of an element a claim may take, with its
// arguments: NEW, or (with a lease) IN_PROGRESS since before the cutoff.
func (ds *dialectSQL) claimable(k claimKind) (string, []arg) {
	args := []arg{argQueue}
	w := ds.q("queue_name") + " = ?"
	if k.lease {
		w += " AND " + ds.q("status") + " IN ('NEW', 'IN_PROGRESS') AND (" + ds.q("status") + " = 'NEW' OR " + ds.q("start_date") + " < ?)"
		args = append(args, argCutoff)
	} else {
		w += " AND " + ds.q("status") + " = 'NEW'"
	}
	if k.byReference {
		w += " AND " + ds.q("reference") + " = ?"
		args = append(args, argReference)
	}
	return w, args
}

func (ds *dialectSQL) order() string {
	return ds.q("created_date") + ", " + ds.q("id")
}

func (ds *dialectSQL) buildClaim(k claimKind) stmt {
	where, wargs := ds.claimable(k)
	t := ds.table()
	set := ds.q("status") + " = 'IN_PROGRESS', " + ds.q("start_date") + " = ?"
	var sql string
	var args []arg
	switch ds.dialect {
	case store.Postgres:
		// The subquery locks the rows it picks and skips rows other
		// claimers hold; PostgreSQL re-checks a picked row's predicate
		// against its latest committed version, so a row claimed and
		// committed meanwhile is passed over, not taken twice.
		sql = "UPDATE " + t + " SET " + set + " WHERE " + ds.q("id") + " IN (SELECT " + ds.q("id") + " FROM " + t +
			" WHERE " + where + " ORDER BY " + ds.order() + " LIMIT ? FOR UPDATE SKIP LOCKED) RETURNING " + ds.cols("")
		args = append(append([]arg{argNow}, wargs...), argLimit)
	case store.SQLite:
		// One writer at a time: the statement runs under the database's
		// write lock from its first step, so picking and changing the rows
		// cannot interleave with another claim.
		sql = "UPDATE " + t + " SET " + set + " WHERE " + ds.q("id") + " IN (SELECT " + ds.q("id") + " FROM " + t +
			" WHERE " + where + " ORDER BY " + ds.order() + " LIMIT ?) RETURNING " + ds.cols("")
		args = append(append([]arg{argNow}, wargs...), argLimit)
	case store.SQLServer:
		// UPDATE TOP (n) ignores ORDER BY, so the ordered TOP (n) goes into
		// a CTE and the UPDATE targets the CTE. UPDLOCK holds the picked
		// rows until the statement's transaction ends, READPAST skips rows
		// another claimer holds instead of waiting, ROWLOCK keeps the locks
		// on rows (not pages) so READPAST skips only what is taken.
		sql = "WITH next AS (SELECT TOP (?) * FROM " + t + " WITH (UPDLOCK, READPAST, ROWLOCK) WHERE " + where +
			" ORDER BY " + ds.order() + ") UPDATE next SET " + set + " OUTPUT " + ds.cols("INSERTED.")
		args = append(append([]arg{argLimit}, wargs...), argNow)
	case store.MySQL:
		// The locking SELECT; the UPDATE by ids follows in the same
		// transaction (updateClaimed).
		sql = "SELECT " + ds.cols("") + " FROM " + t + " WHERE " + where + " ORDER BY " + ds.order() +
			" LIMIT ? FOR UPDATE SKIP LOCKED"
		args = append(wargs, argLimit)
	}
	return stmt{SQL: ds.dialect.Rebind(sql), Args: args}
}

// updateClaimed is MySQL's second claim statement: mark the locked rows.
func (ds *dialectSQL) updateClaimed(n int) string {
	return ds.dialect.Rebind("UPDATE " + ds.table() + " SET " + ds.q("status") + " = 'IN_PROGRESS', " + ds.q("start_date") +
		" = ? WHERE " + ds.q("id") + " IN (" + placeholders(n) + ")")
}

// insertOne adds one NEW element.
func (ds *dialectSQL) insertOne() string {
	return ds.dialect.Rebind(ds.insertHead() + " (?, ?, 'NEW', ?, ?, ?, ?)")
}

func (ds *dialectSQL) insertHead() string {
	return "INSERT INTO " + ds.table() + " (" + ds.q("id") + ", " + ds.q("queue_name") + ", " + ds.q("status") + ", " +
		ds.q("data") + ", " + ds.q("reference") + ", " + ds.q("created_date") + ", " + ds.q("created_by") + ") VALUES"
}

// insertRowParams is how many parameters one row of insertMany binds.
const insertRowParams = 6

// batchRows is how many rows one INSERT of EnqueueBatch carries at most.
func (ds *dialectSQL) batchRows() int {
	n := ds.maxParams / insertRowParams
	if ds.inlineBatch {
		n = ds.maxValuesRows
	}
	if ds.maxValuesRows > 0 {
		n = min(n, ds.maxValuesRows)
	}
	return n
}

// insertMany adds n NEW elements with bound parameters.
func (ds *dialectSQL) insertMany(n int) string {
	var b strings.Builder
	b.Grow(len(ds.insertHead()) + n*26)
	b.WriteString(ds.insertHead())
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(" (?, ?, 'NEW', ?, ?, ?, ?)")
	}
	return ds.dialect.Rebind(b.String())
}

// finish sets a final status on IN_PROGRESS elements by id; withMessage
// also replaces the message.
func (ds *dialectSQL) finish(n int, withMessage bool) string {
	set := ds.q("status") + " = ?, " + ds.q("end_date") + " = ?"
	if withMessage {
		set += ", " + ds.q("message") + " = ?"
	}
	where := ds.q("id") + " = ?"
	if n != 1 {
		where = ds.q("id") + " IN (" + placeholders(n) + ")"
	}
	return ds.dialect.Rebind("UPDATE " + ds.table() + " SET " + set + " WHERE " + where + " AND " + ds.q("status") + " = 'IN_PROGRESS'")
}

// force sets any status on one element; the date it stamps depends on the
// status (see ForceStatus).
func (ds *dialectSQL) force(dateColumn string, withMessage bool) string {
	set := ds.q("status") + " = ?"
	if dateColumn != "" {
		set += ", " + ds.q(dateColumn) + " = ?"
	}
	if withMessage {
		set += ", " + ds.q("message") + " = ?"
	}
	return ds.dialect.Rebind("UPDATE " + ds.table() + " SET " + set + " WHERE " + ds.q("id") + " = ?")
}

// requeueStale puts elements IN_PROGRESS since before the cutoff back to NEW.
func (ds *dialectSQL) requeueStale() string {
	return ds.dialect.Rebind("UPDATE " + ds.table() + " SET " + ds.q("status") + " = 'NEW', " + ds.q("start_date") + " = NULL WHERE " +
		ds.q("queue_name") + " = ? AND " + ds.q("status") + " = 'IN_PROGRESS' AND " + ds.q("start_date") + " < ?")
}

// failStale marks elements IN_PROGRESS since before the cutoff FAILED.
func (ds *dialectSQL) failStale(withMessage bool) string {
	set := ds.q("status") + " = 'FAILED', " + ds.q("end_date") + " = ?"
	if withMessage {
		set += ", " + ds.q("message") + " = ?"
	}
	return ds.dialect.Rebind("UPDATE " + ds.table() + " SET " + set + " WHERE " +
		ds.q("queue_name") + " = ? AND " + ds.q("status") + " = 'IN_PROGRESS' AND " + ds.q("start_date") + " < ?")
}

// placeholders returns "?, ?, …" with n marks.
func placeholders(n int) string {
	if n <= 0 {
		return ""
	}
	return strings.Repeat("?, ", n-1) + "?"
}

// utf16Len counts UTF-16 code units: characters outside the Basic
// Multilingual Plane take two of an NVARCHAR's n.
func utf16Len(s string) int {
	n := 0
	for _, r := range s {
		n++
		if r > 0xFFFF {
			n++
		}
	}
	return n
}
