package queue

import (
	"bytes"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/flowstore/flowstore/store"
)

// This file holds the SQL of the package that bun does not build — every
// statement with bound parameters — and everything else that differs per
// dialect: how many rows one INSERT may carry, how values are counted
// against column lengths, how ids sort, whether writes take turns. A
// dialectSQL is built once per store from the dialect; the methods of bun.go
// never branch on the dialect themselves.
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

// claimValues are the values a claim statement may bind.
type claimValues struct {
	now, cutoff      time.Time
	queue, reference string
	limit            int
}

// bind returns the statement's arguments in the order it binds them.
func (st stmt) bind(v claimValues) []any {
	args := make([]any, len(st.Args))
	for i, a := range st.Args {
		switch a {
		case argNow:
			args[i] = v.now
		case argQueue:
			args[i] = v.queue
		case argReference:
			args[i] = v.reference
		case argCutoff:
			args[i] = v.cutoff
		case argLimit:
			args[i] = v.limit
		}
	}
	return args
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
	// utf16 makes values count against column lengths in UTF-16 code
	// units, as SQL Server's NVARCHAR(n) counts them, instead of in
	// characters.
	utf16 bool
	// serialWrites makes the stores of one database take turns for writes
	// in the process (see writeTurn): SQLite admits one writer at a time.
	serialWrites bool
	// compareIDs orders ids as the dialect's ORDER BY "id" does.
	compareIDs func(a, b uuid.UUID) int

	// Statements built once.
	insert1, finish1, finish1Msg, finishClaimed1, finishClaimed1Msg string
	counts, delete1                                                 string
}

// columns is the Queues table's column list in the order every statement
// returns and scan reads them.
var columns = []string{"id", "queue_name", "status", "data", "reference", "created_date", "start_date", "end_date", "message", "created_by"}

func newDialectSQL(d store.Dialect) *dialectSQL {
	ds := &dialectSQL{dialect: d, claims: map[claimKind]stmt{}, compareIDs: compareBytes}
	switch d {
	case store.Postgres:
		ds.maxParams = 65535
	case store.SQLite:
		ds.maxParams = 32766 // SQLITE_MAX_VARIABLE_NUMBER since 3.32
		ds.serialWrites = true
	case store.MySQL:
		ds.maxParams = 65535
		ds.style = claimLockThenUpdate
	case store.SQLServer:
		ds.maxParams = 2100
		ds.maxValuesRows = 1000
		ds.inlineBatch = true
		ds.utf16 = true
		ds.compareIDs = compareSQLServerGUIDs
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
	ds.finishClaimed1 = ds.finishClaimed(false)
	ds.finishClaimed1Msg = ds.finishClaimed(true)
	ds.counts = ds.countsByQueueAndStatus()
	ds.delete1 = ds.deleteOne()
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

// order is the claims' ORDER BY, served by the index
// ix_Queues_queue_name_status_created_date_id. The elements of one
// EnqueueBatch have distinct created_dates (see batchCreated); the id only
// breaks ties between elements enqueued apart in the same microsecond.
func (ds *dialectSQL) order() string {
	return ds.q("created_date") + ", " + ds.q("id")
}

// claimOrder compares two claimed elements as order() does on the
// dialect, for putting the rows of an UPDATE … RETURNING (which come in no
// particular order) back into the order the claim picked them in.
func (ds *dialectSQL) claimOrder(a, b Element) int {
	if c := a.CreatedDate.Compare(b.CreatedDate); c != 0 {
		return c
	}
	return ds.compareIDs(a.ID, b.ID)
}

func (ds *dialectSQL) buildClaim(k claimKind) stmt {
	where, wargs := ds.claimable(k)
	t := ds.table()
	set := ds.q("status") + " = 'IN_PROGRESS', " + ds.q("start_date") + " = ?"
	var sql string
	var args []arg
	switch ds.dialect {
	case store.Postgres:
		// The CTE locks the rows it picks and skips rows other claimers
		// hold; PostgreSQL re-checks a picked row's predicate against its
		// latest committed version, so a row claimed and committed
		// meanwhile is passed over, not taken twice.
		//
		// The pick is a MATERIALIZED CTE, not "WHERE id IN (SELECT … LIMIT
		// n FOR UPDATE SKIP LOCKED)": PostgreSQL plans an IN subquery as a
		// join and may run it again for every row of the outer scan (a
		// nested loop), and each run skips the rows the UPDATE has just
		// changed and locks the next n — one claim then takes far more
		// than n elements (PostgreSQL bug report #15715, answered as
		// intended behaviour). Only a WITH query is guaranteed to run
		// once; MATERIALIZED keeps the planner from folding it back in.
		// TestClaimNeverExceedsLimit forces that plan. The UPDATE takes
		// the picked ids as an array (an InitPlan over the CTE), so it
		// always fetches them through the primary key, where a join with
		// the CTE may scan the whole table when statistics say it is small.
		sql = "WITH claimable AS MATERIALIZED (SELECT " + ds.q("id") + " FROM " + t + " WHERE " + where +
			" ORDER BY " + ds.order() + " LIMIT ? FOR UPDATE SKIP LOCKED) UPDATE " + t + " SET " + set +
			" WHERE " + ds.q("id") + " = ANY(ARRAY(SELECT " + ds.q("id") + " FROM claimable)) RETURNING " + ds.cols("")
		args = append(append(wargs, argLimit), argNow)
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
		// on rows (not pages) so READPAST skips only what is taken. (The
		// CTE is not called "next": NEXT is a keyword of T-SQL.)
		sql = "WITH claimable AS (SELECT TOP (?) * FROM " + t + " WITH (UPDLOCK, READPAST, ROWLOCK) WHERE " + where +
			" ORDER BY " + ds.order() + ") UPDATE claimable SET " + set + " OUTPUT " + ds.cols("INSERTED.")
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
// It binds one parameter per row, one reason ClaimBatch takes at most
// MaxClaimBatch elements.
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

// finishClaimed is finish fenced by the claim: it also names the
// start_date the claim set, so it changes nothing once another claim has
// taken the element over (a new start_date) — see FinishClaimed.
func (ds *dialectSQL) finishClaimed(withMessage bool) string {
	set := ds.q("status") + " = ?, " + ds.q("end_date") + " = ?"
	if withMessage {
		set += ", " + ds.q("message") + " = ?"
	}
	return ds.dialect.Rebind("UPDATE " + ds.table() + " SET " + set + " WHERE " + ds.q("id") + " = ? AND " +
		ds.q("status") + " = 'IN_PROGRESS' AND " + ds.q("start_date") + " = ?")
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

// countsByQueueAndStatus counts the elements per queue and status.
func (ds *dialectSQL) countsByQueueAndStatus() string {
	qn, st := ds.q("queue_name"), ds.q("status")
	return "SELECT " + qn + ", " + st + ", COUNT(*) FROM " + ds.table() + " GROUP BY " + qn + ", " + st
}

// deleteOne removes one element by id.
func (ds *dialectSQL) deleteOne() string {
	return ds.dialect.Rebind("DELETE FROM " + ds.table() + " WHERE " + ds.q("id") + " = ?")
}

// prune deletes finished elements that ended before a time, in one queue
// (withQueue) or in all.
func (ds *dialectSQL) prune(withQueue bool) string {
	q := "DELETE FROM " + ds.table() + " WHERE " + ds.q("status") + " IN ('DONE', 'FAILED', 'ABANDONED') AND " + ds.q("end_date") + " < ?"
	if withQueue {
		q += " AND " + ds.q("queue_name") + " = ?"
	}
	return ds.dialect.Rebind(q)
}

// placeholders returns "?, ?, …" with n marks.
func placeholders(n int) string {
	if n <= 0 {
		return ""
	}
	return strings.Repeat("?, ", n-1) + "?"
}

// length counts a value the way the dialect's varchar(n) counts: in
// characters, or on SQL Server in UTF-16 code units (NVARCHAR).
func (ds *dialectSQL) length(s string) int {
	if ds.utf16 {
		return utf16Len(s)
	}
	return utf8.RuneCountInString(s)
}

// utf16Len counts UTF-16 code units: characters outside the Basic
// Multilingual Plane take two of an NVARCHAR's n.
func utf16Len(s string) int {
	n := 0
	for _, r := range s {
		n += utf16Units(r)
	}
	return n
}

// utf16Units is how many UTF-16 code units r takes: two (a surrogate pair)
// outside the Basic Multilingual Plane.
func utf16Units(r rune) int {
	if r > 0xFFFF {
		return 2
	}
	return 1
}

// cut shortens s to the longest prefix of at most max units of length —
// characters, or UTF-16 code units when utf16 is set — ending on a
// character boundary, so a surrogate pair is never split.
func cut(s string, max int, utf16 bool) string {
	n := 0
	for i, r := range s {
		if utf16 {
			n += utf16Units(r)
		} else {
			n++
		}
		if n > max {
			return s[:i]
		}
	}
	return s
}

// compareBytes orders ids by their 16 bytes, as PostgreSQL orders uuid and
// SQLite and MySQL order the 36-character lower-case text.
func compareBytes(a, b uuid.UUID) int { return bytes.Compare(a[:], b[:]) }

// sqlServerGUIDOrder lists the byte positions of a uuid.UUID (RFC 9562
// order, as the text reads) from the most to the least significant in
// SQL Server's comparison of uniqueidentifier: the last six bytes first,
// then bytes 8–9, then the first three groups each read backwards. It is
// System.Data.SqlTypes.SqlGuid's order {10…15, 8, 9, 6, 7, 4, 5, 0…3},
// which indexes .NET's mixed-endian byte layout, translated to RFC
// positions. A UUIDv7's time is in its first bytes, its randomness in the
// last: SQL Server sorts UUIDv7s randomly.
var sqlServerGUIDOrder = [16]int{10, 11, 12, 13, 14, 15, 8, 9, 7, 6, 5, 4, 3, 2, 1, 0}

// compareSQLServerGUIDs orders ids as SQL Server's ORDER BY on a
// uniqueidentifier does.
func compareSQLServerGUIDs(a, b uuid.UUID) int {
	for _, i := range sqlServerGUIDOrder {
		if a[i] != b[i] {
			if a[i] < b[i] {
				return -1
			}
			return 1
		}
	}
	return 0
}
