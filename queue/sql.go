package queue

import (
	"errors"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"github.com/flowstore/flowstore/store"
)

// This file holds the package's SQL: the statements with bound parameters
// that the writes and claims run on the handle's database/sql executor, and
// the bun queries of List and All. Everything that differs between dialects
// — quoting, placeholders, the claim's form, how many rows one statement may
// carry — comes from the dialect layer (*store.Dialect); a statements value
// is built from it once per store, and nothing here or in bun.go asks which
// dialect it is.
//
// Statements are written with '?' placeholders and rebound to the dialect's
// form ($1, @p1) when built.

// columns are the Queues table's columns List and All may order by:
// OpenOrchestrator's ten, then flowstore's idempotency_key (migration
// 0021).
var columns = []string{"id", "queue_name", "status", "data", "reference", "created_date", "start_date", "end_date", "message", "created_by", "idempotency_key"}

// readColumns are the columns every statement that returns elements
// returns (claims, Get, the lookups by key): columns, then flowstore's
// retry columns (migration 0022), so that a handler sees its element's
// Attempts.
var readColumns = append(columns[:len(columns):len(columns)], "attempts", "retry_at")

// claimKind selects one of the claim statement variants.
type claimKind struct {
	byReference bool
	lease       bool
}

// claimKinds are every claim variant, in the order the golden files list them.
var claimKinds = []claimKind{{}, {byReference: true}, {lease: true}, {byReference: true, lease: true}}

// insertRowParams is how many parameters one row of insertMany binds.
const insertRowParams = 7

// statements is the package's SQL for one dialect.
type statements struct {
	d *store.Dialect
	// spellings is how many spellings of one id a lookup by id matches
	// (len(store.DB.RefUUIDs)): 1 where ids are native UUIDs, 2 where they
	// are text (SQLAlchemy's 32 hex digits, and the dashed form earlier
	// flowstore releases wrote). Every lookup by id binds them all.
	spellings int
	// claims holds the claim of each variant.
	claims map[claimKind]store.ClaimSQL
	// batchRows is how many rows one INSERT of EnqueueBatch carries.
	batchRows int
	// inlineBatch makes EnqueueBatch let bun inline the values instead of
	// binding them, where the parameter limit would allow fewer rows per
	// statement than the VALUES list may have (SQL Server: 2100 / 6 = 350
	// bound rows, 1000 inlined).
	inlineBatch bool
	// finishRows is how many ids one FinishBatch statement carries.
	finishRows int
	// keyRows is how many keys one lookup of existing keys carries.
	keyRows int

	// Statements built once.
	insert1, finish1, finish1Msg, finishClaimed1, finishClaimed1Msg string
	counts, delete1, get1, byKey1                                   string
}

// newStatements builds the statements of a dialect whose ids a lookup
// matches in spellings forms (see statements.spellings).
func newStatements(d *store.Dialect, spellings int) *statements {
	st := &statements{d: d, spellings: max(1, spellings), claims: map[claimKind]store.ClaimSQL{}}
	for _, k := range claimKinds {
		st.claims[k] = d.Claim(store.Claim{
			Table:   "Queues",
			Key:     "id",
			Columns: readColumns,
			Where:   st.claimable(k),
			OrderBy: st.claimOrderBy(),
			Set:     st.q("status") + " = 'IN_PROGRESS', " + st.q("start_date") + " = ?",
			// A plain claim reads the partial index ix_Queues_claim_new
			// (queue_name, created_date, id) on PostgreSQL; the others
			// bind the queue in their Where.
			Partition: partition(k),
		})
	}
	st.batchRows = d.RowsPerStatement(insertRowParams)
	if rows := d.MaxValuesRows(); rows > st.batchRows {
		st.batchRows, st.inlineBatch = rows, true
	}
	// Status, end date and message come before the ids.
	st.finishRows = max(1, min(MaxClaimBatch, (d.MaxParams()-3)/st.spellings))
	// The queue's name comes before the keys.
	st.keyRows = max(1, min(MaxClaimBatch, d.MaxParams()-1))
	st.insert1 = st.insertOne()
	st.finish1 = st.finish(1, false)
	st.finish1Msg = st.finish(1, true)
	st.finishClaimed1 = st.finishClaimed(false)
	st.finishClaimed1Msg = st.finishClaimed(true)
	st.counts = st.countsByQueueAndStatus()
	st.delete1 = st.deleteOne()
	st.get1 = st.getOne()
	st.byKey1 = st.byKeys(1)
	return st
}

// q quotes an identifier for the dialect. Identifiers come from code only.
func (st *statements) q(name string) string { return st.d.Quote(name) }

func (st *statements) table() string { return st.q("Queues") }

// byID is the predicate that selects n elements by id, binding every
// spelling of each (idArgs): "id = ?" where one parameter does, else
// "id IN (…)".
func (st *statements) byID(n int) string {
	if k := n * st.spellings; k > 1 {
		return st.q("id") + " IN (" + store.Placeholders(k) + ")"
	}
	return st.q("id") + " = ?"
}

// claimable is the predicate of an element a claim may take: NEW, or (with
// a lease) IN_PROGRESS since before the cutoff. Its arguments are those of
// claimArgs, in that order.
func (st *statements) claimable(k claimKind) string {
	var w string
	if partition(k) == "" {
		w = st.q("queue_name") + " = ? AND "
	}
	if k.lease {
		w += st.q("status") + " IN ('NEW', 'IN_PROGRESS') AND (" + st.q("status") + " = 'NEW' OR " + st.q("start_date") + " < ?)"
	} else {
		w += st.q("status") + " = 'NEW'"
	}
	if k.byReference {
		w += " AND " + st.q("reference") + " = ?"
	}
	return w
}

// partition is the store.Claim.Partition of a claim variant: the queue's
// name for a plain claim, none for the others (a claim by reference reads
// the reference's index, a claim with a lease also expired IN_PROGRESS
// elements, which the partial index does not hold).
func partition(k claimKind) string {
	if k == (claimKind{}) {
		return "queue_name"
	}
	return ""
}

// claimArgs are the arguments of claimable(k): the queue's name, the
// lease's cutoff time, the reference.
func claimArgs(k claimKind, queue, cutoff, reference any) []any {
	args := []any{queue}
	if k.lease {
		args = append(args, cutoff)
	}
	if k.byReference {
		args = append(args, reference)
	}
	return args
}

// claimOrderBy is the claims' ORDER BY, served by the index
// ix_Queues_queue_name_status_created_date_id. The elements of one
// EnqueueBatch have distinct created_dates (see batchCreated); the id only
// breaks ties between elements enqueued apart in the same microsecond.
func (st *statements) claimOrderBy() string {
	return st.q("created_date") + ", " + st.q("id")
}

// claimOrder compares two claimed elements as claimOrderBy does on the
// dialect, for putting the rows of an UPDATE … RETURNING (which come in no
// particular order) back into the order the claim picked them in. wall
// gives an element's created_date as the column holds it — the naive wall
// clock, which orders as the database orders it also in the hour a
// fall-back repeats, where the instants do not — and ids compare as the
// dialect orders them (where ids are text, SQLAlchemy's 32 hex digits sort
// as the bytes do).
func (st *statements) claimOrder(wall func(time.Time) time.Time) func(a, b Element) int {
	return func(a, b Element) int {
		if c := wall(a.CreatedDate).Compare(wall(b.CreatedDate)); c != 0 {
			return c
		}
		return st.d.CompareUUIDs(a.ID, b.ID)
	}
}

// insertOne adds one NEW element.
func (st *statements) insertOne() string {
	return st.d.Rebind(st.insertHead() + " " + insertRow)
}

// insertRow is one row of an INSERT: id, queue_name, data, reference,
// created_date, created_by, idempotency_key (insertRowParams).
const insertRow = "(?, ?, 'NEW', ?, ?, ?, ?, ?)"

func (st *statements) insertHead() string {
	return "INSERT INTO " + st.table() + " (" + st.d.QuoteAll("", "id", "queue_name", "status", "data", "reference", "created_date", "created_by", "idempotency_key") + ") VALUES"
}

// insertMany adds n NEW elements with bound parameters.
func (st *statements) insertMany(n int) string {
	var b strings.Builder
	head := st.insertHead()
	b.Grow(len(head) + n*(len(insertRow)+2))
	b.WriteString(head)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteByte(' ')
		b.WriteString(insertRow)
	}
	return st.d.Rebind(b.String())
}

// finish sets a final status on IN_PROGRESS elements by id; withMessage
// also replaces the message.
func (st *statements) finish(n int, withMessage bool) string {
	set := st.q("status") + " = ?, " + st.q("end_date") + " = ?"
	if withMessage {
		set += ", " + st.q("message") + " = ?"
	}
	return st.d.Rebind("UPDATE " + st.table() + " SET " + set + " WHERE " + st.byID(n) + " AND " + st.q("status") + " = 'IN_PROGRESS'")
}

// finishClaimed is finish fenced by the claim: it also names the
// start_date the claim set, so it changes nothing once another claim has
// taken the element over (a new start_date) — see FinishClaimed.
func (st *statements) finishClaimed(withMessage bool) string {
	set := st.q("status") + " = ?, " + st.q("end_date") + " = ?"
	if withMessage {
		set += ", " + st.q("message") + " = ?"
	}
	return st.d.Rebind("UPDATE " + st.table() + " SET " + set + " WHERE " + st.byID(1) + " AND " +
		st.q("status") + " = 'IN_PROGRESS' AND " + st.q("start_date") + " = ?")
}

// force sets any status on one element; the date it stamps depends on the
// status (see ForceStatus).
func (st *statements) force(dateColumn string, withMessage bool) string {
	// A forced status cancels a retry the element waits for (retry_at):
	// an administrator's decision wins over the Worker's schedule.
	set := st.q("status") + " = ?, " + st.q("retry_at") + " = NULL"
	if dateColumn != "" {
		set += ", " + st.q(dateColumn) + " = ?"
	}
	if withMessage {
		set += ", " + st.q("message") + " = ?"
	}
	return st.d.Rebind("UPDATE " + st.table() + " SET " + set + " WHERE " + st.byID(1))
}

// requeueStale puts elements IN_PROGRESS since before the cutoff back to NEW.
func (st *statements) requeueStale() string {
	return st.d.Rebind("UPDATE " + st.table() + " SET " + st.q("status") + " = 'NEW', " + st.q("start_date") + " = NULL WHERE " +
		st.q("queue_name") + " = ? AND " + st.q("status") + " = 'IN_PROGRESS' AND " + st.q("start_date") + " < ?")
}

// failStale marks elements IN_PROGRESS since before the cutoff FAILED.
func (st *statements) failStale(withMessage bool) string {
	set := st.q("status") + " = 'FAILED', " + st.q("end_date") + " = ?"
	if withMessage {
		set += ", " + st.q("message") + " = ?"
	}
	return st.d.Rebind("UPDATE " + st.table() + " SET " + set + " WHERE " +
		st.q("queue_name") + " = ? AND " + st.q("status") + " = 'IN_PROGRESS' AND " + st.q("start_date") + " < ?")
}

// failRetrying marks one IN_PROGRESS element FAILED for a retrying
// Worker, fenced by its claim's start_date as finishClaimed is: the
// end date, the message (NULL keeps the stored one), the failed attempts
// so far and the time it goes back to NEW (NULL: never, the attempts are
// used up). Arguments: end_date, message, attempts, retry_at, the id's
// spellings, start_date.
func (st *statements) failRetrying() string {
	return st.d.Rebind("UPDATE " + st.table() + " SET " + st.q("status") + " = 'FAILED', " + st.q("end_date") + " = ?, " +
		st.q("message") + " = COALESCE(?, " + st.q("message") + "), " + st.q("attempts") + " = ?, " + st.q("retry_at") + " = ? WHERE " +
		st.byID(1) + " AND " + st.q("status") + " = 'IN_PROGRESS' AND " + st.q("start_date") + " = ?")
}

// retryDue puts a queue's FAILED elements whose retry_at has passed back
// to NEW, as an enqueue left them: no start or end date, no retry
// pending; attempts and the last failure's message stay. Only FAILED rows
// with a retry_at change (the explicit IS NOT NULL lets SQL Server use
// its filtered index), so two sweeps at once move each element once,
// and an element a claim holds (IN_PROGRESS) is never touched. Arguments:
// the queue's name, the naive bound.
func (st *statements) retryDue() string {
	return st.d.Rebind("UPDATE " + st.table() + " SET " + st.q("status") + " = 'NEW', " + st.q("start_date") + " = NULL, " +
		st.q("end_date") + " = NULL, " + st.q("retry_at") + " = NULL WHERE " + st.q("queue_name") + " = ? AND " +
		st.q("status") + " = 'FAILED' AND " + st.q("retry_at") + " IS NOT NULL AND " + st.q("retry_at") + " < ?")
}

// countsByQueueAndStatus counts the elements per queue and status.
func (st *statements) countsByQueueAndStatus() string {
	qn, s := st.q("queue_name"), st.q("status")
	return "SELECT " + qn + ", " + s + ", COUNT(*) FROM " + st.table() + " GROUP BY " + qn + ", " + s
}

// deleteOne removes one element by id.
func (st *statements) deleteOne() string {
	return st.d.Rebind("DELETE FROM " + st.table() + " WHERE " + st.byID(1))
}

// getOne reads one element by id.
func (st *statements) getOne() string {
	return st.d.Rebind("SELECT " + st.d.QuoteAll("", readColumns...) + " FROM " + st.table() + " WHERE " + st.byID(1))
}

// byKeys reads the elements of a queue that n idempotency keys name.
func (st *statements) byKeys(n int) string {
	where := st.q("idempotency_key") + " = ?"
	if n > 1 {
		where = st.q("idempotency_key") + " IN (" + store.Placeholders(n) + ")"
	}
	return st.d.Rebind("SELECT " + st.d.QuoteAll("", readColumns...) + " FROM " + st.table() + " WHERE " + st.q("queue_name") + " = ? AND " + where)
}

// prune deletes finished elements that ended before a time, in one queue
// (withQueue) or in all.
func (st *statements) prune(withQueue bool) string {
	q := "DELETE FROM " + st.table() + " WHERE " + st.q("status") + " IN ('DONE', 'FAILED', 'ABANDONED') AND " + st.q("end_date") + " < ?"
	if withQueue {
		q += " AND " + st.q("queue_name") + " = ?"
	}
	return st.d.Rebind(q)
}

// ---- List and All (built by bun, which inlines the values)

// orderable are the columns List and All may sort by.
var orderable = map[string]bool{}

func init() {
	for _, c := range columns {
		orderable[c] = true
	}
}

// likeEscaper escapes LIKE's wildcards (and SQL Server's '[') with '!', an
// escape character no dialect treats specially inside a string literal.
var likeEscaper = strings.NewReplacer("!", "!!", "%", "!%", "_", "!_", "[", "![")

// checkFilter checks a filter and returns the column it orders by and its
// page size. The text a filter looks up follows the text rule a write
// follows (store.Dialect.CheckText): a value that could not be stored is
// refused with store.ErrInvalid or store.ErrTooLong, as on write, before
// bun inlines it into a statement.
func checkFilter(d *store.Dialect, f Filter) (orderBy string, limit int, err error) {
	if f.Status != "" {
		if err := f.Status.Validate(); err != nil {
			return "", 0, err
		}
	}
	if err := errors.Join(
		d.CheckText("queue_name", f.Queue, MaxQueueName),
		d.CheckText("reference", f.Reference, MaxReference),
		store.ValidText("search term", f.Search),
	); err != nil {
		return "", 0, err
	}
	orderBy = f.OrderBy
	if orderBy == "" {
		orderBy = "created_date"
	}
	if !orderable[orderBy] {
		return "", 0, invalid("cannot order by %q (want a column of Queues)", f.OrderBy)
	}
	if f.Offset < 0 {
		return "", 0, invalid("negative offset %d", f.Offset)
	}
	limit, err = store.PageLimit(f.Limit)
	return orderBy, limit, err
}

// filtered adds the filter's conditions to q. The bounds on created_date
// are naive wall clocks of db's zone, as the column holds them.
func filtered(q *bun.SelectQuery, db *store.DB, f Filter) *bun.SelectQuery {
	if f.Queue != "" {
		q = q.Where("? = ?", bun.Ident("queue_name"), f.Queue)
	}
	if f.Status != "" {
		q = q.Where("? = ?", bun.Ident("status"), string(f.Status))
	}
	if f.Reference != "" {
		q = q.Where("? = ?", bun.Ident("reference"), f.Reference)
	}
	if !f.From.IsZero() {
		q = q.Where("? >= ?", bun.Ident("created_date"), db.Naive(f.From))
	}
	if !f.To.IsZero() {
		q = q.Where("? <= ?", bun.Ident("created_date"), db.Naive(f.To))
	}
	if f.Search != "" {
		term := likeEscaper.Replace(f.Search)
		q = q.WhereGroup(" AND ", func(q *bun.SelectQuery) *bun.SelectQuery {
			return q.Where("? LIKE ? ESCAPE '!'", bun.Ident("reference"), term+"%").
				WhereOr("? LIKE ? ESCAPE '!'", bun.Ident("data"), "%"+term+"%").
				WhereOr("? LIKE ? ESCAPE '!'", bun.Ident("message"), "%"+term+"%")
		})
	}
	return q
}

// listQueries checks a filter and builds List's two queries on idb: count
// (for Filter.Count) and the page, which scans into dst. bun builds them,
// so they are the same on every dialect but for its own rendering (paging,
// quoting, literals); the golden test pins them.
func listQueries(idb bun.IDB, db *store.DB, f Filter, dst *[]Element) (count, page *bun.SelectQuery, err error) {
	orderBy, limit, err := checkFilter(db.SQLDialect(), f)
	if err != nil {
		return nil, nil, err
	}
	dir := "ASC"
	if f.Desc {
		dir = "DESC"
	}
	count = filtered(idb.NewSelect().Model((*Element)(nil)), db, f)
	page = filtered(idb.NewSelect().Model(dst), db, f).
		OrderExpr("? "+dir, bun.Ident(orderBy)).
		OrderExpr("? "+dir, bun.Ident("id")).
		Offset(int64(f.Offset)).Limit(int64(limit))
	return count, page, nil
}

// Kinds of order column, for All's keyset paging.
const (
	keyPlain        = iota // never NULL
	keyNullableText        // NULL and "" are the same element value: paged by COALESCE with the empty string
	keyNullableTime        // NULL is the zero time: NULLs first in ascending order
)

var keyKinds = map[string]int{
	"data": keyNullableText, "reference": keyNullableText, "message": keyNullableText, "created_by": keyNullableText,
	"idempotency_key": keyNullableText, "start_date": keyNullableTime, "end_date": keyNullableTime,
}

// keyOf is e's value in the order column, as the column holds it: times as
// naive wall clocks of db's zone, the id in OpenOrchestrator's spelling.
func keyOf(db *store.DB, e *Element, column string) any {
	switch column {
	case "queue_name":
		return e.QueueName
	case "status":
		return string(e.Status)
	case "data":
		return e.Data
	case "reference":
		return e.Reference
	case "message":
		return e.Message
	case "created_by":
		return e.CreatedBy
	case "idempotency_key":
		return e.Key
	case "created_date":
		return db.Naive(e.CreatedDate)
	case "start_date":
		return db.Naive(e.StartDate)
	case "end_date":
		return db.Naive(e.EndDate)
	}
	return db.RefUUID(e.ID)
}

// allPage builds one page of All: up to n elements f selects, in the order
// of orderBy and id, after the element after (nil: the first page, which
// honours f.Offset). Keyset paging needs a total order that a WHERE clause
// can continue, and the dialects put NULLs at different ends of an ORDER
// BY, so a nullable column is ordered explicitly: text by its value with
// NULL taken as the empty string (COALESCE), as Element reads NULL and ""
// alike; times with NULLs (the zero time) first in ascending order and
// last in descending.
func allPage(idb bun.IDB, db *store.DB, f Filter, orderBy string, after *Element, n int, dst *[]Element) *bun.SelectQuery {
	q := filtered(idb.NewSelect().Model(dst), db, f)
	dir, cmp := "ASC", ">"
	if f.Desc {
		dir, cmp = "DESC", "<"
	}
	id, col := bun.Ident("id"), bun.Ident(orderBy)
	var key any = col
	kind := keyKinds[orderBy]
	switch kind {
	case keyNullableText:
		key = bun.SafeQuery("COALESCE(?, '')", col)
	case keyNullableTime:
		q = q.OrderExpr("CASE WHEN ? IS NULL THEN 0 ELSE 1 END "+dir, col)
	}
	if orderBy != "id" {
		q = q.OrderExpr("? "+dir, key)
	}
	q = q.OrderExpr("? "+dir, id)
	if after == nil {
		return q.Offset(int64(f.Offset)).Limit(int64(n))
	}
	afterID := db.RefUUID(after.ID)
	switch {
	case orderBy == "id":
		q = q.Where("? "+cmp+" ?", id, afterID)
	case kind == keyNullableTime && keyOf(db, after, orderBy) == nil:
		if f.Desc { // NULLs last: only NULLs can follow
			q = q.Where("? IS NULL AND ? < ?", col, id, afterID)
		} else { // NULLs first: more NULLs, then every value
			q = q.Where("((? IS NULL AND ? > ?) OR ? IS NOT NULL)", col, id, afterID, col)
		}
	case kind == keyNullableTime && f.Desc:
		// Smaller values, then the NULLs.
		v := keyOf(db, after, orderBy)
		q = q.Where("(? IS NULL OR ? < ? OR (? = ? AND ? < ?))", col, col, v, col, v, id, afterID)
	default:
		// The plain bound lets an index on the column bound the scan; the
		// OR alone would not. (In ascending order it also passes over the
		// NULLs of a time column, which came first.)
		v := keyOf(db, after, orderBy)
		q = q.Where("? "+cmp+"= ?", key, v).Where("(? "+cmp+" ? OR ? "+cmp+" ?)", key, v, id, afterID)
	}
	return q.Limit(int64(n))
}
