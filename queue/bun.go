package queue

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/flowstore/flowstore/store"
)

// bunStore is the Store on a store.Handle. Every write binds parameters on
// the handle's database/sql executor (Handle.Raw) with the statements of
// sql.go; reads use bun, except Counts.
type bunStore struct {
	h     store.Handle
	sql   *dialectSQL
	lease time.Duration
	// turn, on SQLite only, lets one of this process's writers at a time
	// at the database (see writeTurn).
	turn chan struct{}
}

var _ Store = (*bunStore)(nil)

// New returns the queue store of db.
func New(db *store.DB, opts ...Option) Store {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	s := &bunStore{h: db.Handle(), sql: newDialectSQL(db.Dialect()), lease: o.lease}
	if s.sql.serialWrites {
		t, _ := writeTurns.LoadOrStore(db, make(chan struct{}, 1))
		s.turn = t.(chan struct{})
	}
	return s
}

// writeTurns holds one write turn per *store.DB whose writes take turns
// (SQLite), shared by every queue store of that database.
var writeTurns sync.Map

// writeTurn waits until this process's other queue writers on the same
// SQLite database are done, and returns the function that ends the turn.
//
// SQLite admits one writer at a time. A writer that finds the database
// locked sleeps in SQLite's busy handler — 1 ms, then 2, 5, 10 … — even
// when the lock is free again after a few microseconds, so goroutines
// competing for it spend most of their time asleep. Queued on a channel
// they wake the moment it is their turn. Writers of other processes still
// meet in the busy handler, as before. A store bound to a session needs no
// turn: its transaction already holds the write lock.
func (s *bunStore) writeTurn(ctx context.Context) (func(), error) {
	if s.turn == nil || s.h.Session() != nil {
		return func() {}, nil
	}
	select {
	case s.turn <- struct{}{}:
		return func() { <-s.turn }, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// WithTx returns the same store bound to the session s.
func (s *bunStore) WithTx(sess *store.Session) Store {
	c := *s
	c.h = sess.Handle()
	return &c
}

// ---- validation

// checkLen refuses a value longer than its column with store.ErrTooLong.
func (s *bunStore) checkLen(column, v string, max int) error {
	if len(v) <= max { // bytes ≥ characters ≥ … so short values need no count
		return nil
	}
	if n := s.sql.length(v); n > max {
		return fmt.Errorf("%w: queue %s is %d characters, the column holds %d", store.ErrTooLong, column, n, max)
	}
	return nil
}

func (s *bunStore) checkQueue(queue string) error {
	if queue == "" {
		return fmt.Errorf("%w: empty queue name", store.ErrInvalid)
	}
	return s.checkLen("queue_name", queue, MaxQueueName)
}

// message checks a finishing result and returns the message to store.
func (s *bunStore) message(r Result) (string, error) {
	if !r.Status.Final() {
		if err := r.Status.Validate(); err != nil {
			return "", err
		}
		return "", fmt.Errorf("%w: finish with %s: a result must be DONE, FAILED or ABANDONED", store.ErrInvalid, r.Status)
	}
	return s.fitMessage(r.Message, r.TruncateMessage)
}

func (s *bunStore) fitMessage(msg string, truncate bool) (string, error) {
	if err := s.checkLen("message", msg, MaxMessage); err != nil {
		if !truncate {
			return "", err
		}
		msg = cut(msg, MaxMessage, s.sql.utf16)
	}
	return msg, nil
}

func (s *bunStore) checkNew(e NewElement) error {
	return errors.Join(
		s.checkLen("reference", e.Reference, MaxReference),
		s.checkLen("data", e.Data, MaxData),
		s.checkLen("created_by", e.CreatedBy, MaxCreatedBy),
	)
}

// null turns "" into SQL NULL, as the nullable text columns store it.
func null(v string) any {
	if v == "" {
		return nil
	}
	return v
}

// exec runs a write statement on the handle, in this process's SQLite write
// turn.
func (s *bunStore) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	done, err := s.writeTurn(ctx)
	if err != nil {
		return nil, err
	}
	defer done()
	return s.h.Raw().ExecContext(ctx, query, args...)
}

func (s *bunStore) fail(op string, err error) error {
	return fmt.Errorf("queue: %s: %w", op, s.h.Classify(err))
}

// ---- enqueue

func (s *bunStore) Enqueue(ctx context.Context, queue string, e NewElement) (Element, error) {
	if err := errors.Join(s.checkQueue(queue), s.checkNew(e)); err != nil {
		return Element{}, fmt.Errorf("queue: enqueue: %w", err)
	}
	id, err := uuid.NewV7()
	if err != nil {
		return Element{}, fmt.Errorf("queue: enqueue: %w", err)
	}
	now := s.h.Now()
	if _, err := s.exec(ctx, s.sql.insert1, id, queue, null(e.Data), null(e.Reference), now, null(e.CreatedBy)); err != nil {
		return Element{}, s.fail("enqueue", err)
	}
	return Element{ID: id, QueueName: queue, Status: StatusNew, Data: e.Data, Reference: e.Reference, CreatedDate: now, CreatedBy: e.CreatedBy}, nil
}

func (s *bunStore) EnqueueBatch(ctx context.Context, queue string, references, data []string, createdBy string) ([]uuid.UUID, error) {
	if len(references) == 0 || len(references) != len(data) {
		return nil, fmt.Errorf("queue: enqueue batch: %w: %d references and %d data (want equal, non-zero lengths)", store.ErrInvalid, len(references), len(data))
	}
	errs := []error{s.checkQueue(queue), s.checkLen("created_by", createdBy, MaxCreatedBy)}
	for i := range references {
		if err := errors.Join(s.checkLen("reference", references[i], MaxReference), s.checkLen("data", data[i], MaxData)); err != nil {
			errs = append(errs, fmt.Errorf("element %d: %w", i, err))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("queue: enqueue batch: %w", err)
	}
	ids := make([]uuid.UUID, len(references))
	for i := range ids {
		id, err := uuid.NewV7()
		if err != nil {
			return nil, fmt.Errorf("queue: enqueue batch: %w", err)
		}
		ids[i] = id
	}
	if err := s.insertBatch(ctx, queue, ids, references, data, createdBy, s.h.Now()); err != nil {
		return nil, s.fail("enqueue batch", err)
	}
	return ids, nil
}

// batchCreated is the created_date of the i-th element of a batch that
// starts at start: i microseconds later (the columns' precision).
//
// Claims order by (created_date, id). With one created_date for the whole
// batch its order would rest on the ids, and while UUIDv7s sort by time
// byte-wise (PostgreSQL, MySQL, SQLite), SQL Server compares a
// uniqueidentifier's random last six bytes first. Distinct, increasing
// created_dates make a batch come out in input order on every dialect, and
// keep created_date what OpenOrchestrator means by it — when the element
// was created, by the client's clock — to within the batch's length in
// microseconds.
func batchCreated(start time.Time, i int) time.Time {
	return start.Add(time.Duration(i) * time.Microsecond)
}

// insertBatch writes a batch of NEW elements, its i-th stamped
// batchCreated(start, i), in as few INSERTs as the dialect allows and
// atomically: several INSERTs run in one transaction (a savepoint in a
// session), so a failing one leaves nothing behind.
func (s *bunStore) insertBatch(ctx context.Context, queue string, ids []uuid.UUID, refs, data []string, createdBy string, start time.Time) error {
	per := s.sql.batchRows()
	insert := func(ctx context.Context, h store.Handle) error {
		for lo := 0; lo < len(ids); lo += per {
			hi := min(lo+per, len(ids))
			if err := s.insertChunk(ctx, h, queue, ids[lo:hi], refs[lo:hi], data[lo:hi], createdBy, start, lo); err != nil {
				return err
			}
		}
		return nil
	}
	done, err := s.writeTurn(ctx)
	if err != nil {
		return err
	}
	defer done()
	if len(ids) <= per {
		return insert(ctx, s.h) // one statement is atomic by itself
	}
	return s.h.InTx(ctx, insert)
}

// newRows are the NEW elements of one INSERT of a batch, for bun to
// insert; first is the batch index of the first.
func newRows(queue string, ids []uuid.UUID, refs, data []string, createdBy string, start time.Time, first int) []Element {
	rows := make([]Element, len(ids))
	for i := range ids {
		rows[i] = Element{ID: ids[i], QueueName: queue, Status: StatusNew, Data: data[i], Reference: refs[i],
			CreatedDate: batchCreated(start, first+i), CreatedBy: createdBy}
	}
	return rows
}

// insertChunk writes one INSERT of a batch; first is the batch index of its
// first row.
func (s *bunStore) insertChunk(ctx context.Context, h store.Handle, queue string, ids []uuid.UUID, refs, data []string, createdBy string, start time.Time, first int) error {
	if s.sql.inlineBatch {
		rows := newRows(queue, ids, refs, data, createdBy, start, first)
		_, err := h.IDB().NewInsert().Model(&rows).Exec(ctx)
		return err
	}
	args := make([]any, 0, len(ids)*insertRowParams)
	cb := null(createdBy)
	for i := range ids {
		args = append(args, ids[i], queue, null(data[i]), null(refs[i]), batchCreated(start, first+i), cb)
	}
	_, err := h.Raw().ExecContext(ctx, s.sql.insertMany(len(ids)), args...)
	return err
}

// ---- claim

func (s *bunStore) Claim(ctx context.Context, queue string) (Element, error) {
	return s.claimOne(ctx, queue, "", false)
}

func (s *bunStore) ClaimReference(ctx context.Context, queue, reference string) (Element, error) {
	if reference == "" {
		// "" is stored as NULL, which no reference = ? matches.
		return Element{}, fmt.Errorf("queue: claim: %w: empty reference (use Claim for any element)", store.ErrInvalid)
	}
	if err := s.checkLen("reference", reference, MaxReference); err != nil {
		return Element{}, fmt.Errorf("queue: claim: %w", err)
	}
	return s.claimOne(ctx, queue, reference, true)
}

func (s *bunStore) claimOne(ctx context.Context, queue, reference string, byRef bool) (Element, error) {
	els, err := s.claim(ctx, queue, reference, byRef, 1)
	if err != nil {
		return Element{}, err
	}
	if len(els) == 0 {
		return Element{}, fmt.Errorf("queue %q: %w", queue, ErrEmpty)
	}
	return els[0], nil
}

func (s *bunStore) ClaimBatch(ctx context.Context, queue string, n int) ([]Element, error) {
	if n <= 0 || n > MaxClaimBatch {
		return nil, fmt.Errorf("queue: claim batch: %w: n = %d (want 1 to %d)", store.ErrInvalid, n, MaxClaimBatch)
	}
	return s.claim(ctx, queue, "", false, n)
}

func (s *bunStore) claim(ctx context.Context, queue, reference string, byRef bool, n int) ([]Element, error) {
	if err := s.checkQueue(queue); err != nil {
		return nil, fmt.Errorf("queue: claim: %w", err)
	}
	now := s.h.Now()
	st := s.sql.claims[claimKind{byReference: byRef, lease: s.lease > 0}]
	args := st.bind(claimValues{now: now, cutoff: now.Add(-s.lease), queue: queue, reference: reference, limit: n})
	var els []Element
	var err error
	switch s.sql.style {
	case claimReturning:
		var done func()
		if done, err = s.writeTurn(ctx); err == nil {
			els, err = queryElements(ctx, s.h.Raw(), st.SQL, args)
			done()
		}
	case claimLockThenUpdate:
		err = s.h.InTx(ctx, func(ctx context.Context, h store.Handle) error {
			els, err = queryElements(ctx, h.Raw(), st.SQL, args)
			if err != nil || len(els) == 0 {
				return err
			}
			upd := make([]any, 0, len(els)+1)
			upd = append(upd, now)
			for _, e := range els {
				upd = append(upd, e.ID)
			}
			_, err := h.Raw().ExecContext(ctx, s.sql.updateClaimed(len(els)), upd...)
			return err
		})
		for i := range els {
			els[i].Status, els[i].StartDate = StatusInProgress, now
		}
	}
	if err != nil {
		return nil, s.fail(fmt.Sprintf("claim from %q", queue), err)
	}
	// UPDATE … RETURNING returns rows in no particular order: put them
	// back into the order the claim picked them in.
	if len(els) > 1 {
		slices.SortFunc(els, s.sql.claimOrder)
	}
	return els, nil
}

// ---- finish

func (s *bunStore) Finish(ctx context.Context, id uuid.UUID, r Result) error {
	msg, err := s.message(r)
	if err != nil {
		return fmt.Errorf("queue: finish %s: %w", id, err)
	}
	now := s.h.Now()
	var res sql.Result
	if msg == "" {
		res, err = s.exec(ctx, s.sql.finish1, string(r.Status), now, id)
	} else {
		res, err = s.exec(ctx, s.sql.finish1Msg, string(r.Status), now, msg, id)
	}
	if err != nil {
		return s.fail("finish "+id.String(), err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return s.fail("finish "+id.String(), err)
	} else if n == 1 {
		return nil
	}
	return s.whyNot(ctx, id, "finish")
}

func (s *bunStore) FinishClaimed(ctx context.Context, e Element, r Result) error {
	msg, err := s.message(r)
	if err != nil {
		return fmt.Errorf("queue: finish claimed %s: %w", e.ID, err)
	}
	if e.StartDate.IsZero() {
		return fmt.Errorf("queue: finish claimed %s: %w: the element has no start_date (pass the Element a claim returned)", e.ID, store.ErrInvalid)
	}
	now, started := s.h.Now(), store.UTC(e.StartDate)
	var res sql.Result
	if msg == "" {
		res, err = s.exec(ctx, s.sql.finishClaimed1, string(r.Status), now, e.ID, started)
	} else {
		res, err = s.exec(ctx, s.sql.finishClaimed1Msg, string(r.Status), now, msg, e.ID, started)
	}
	if err != nil {
		return s.fail("finish claimed "+e.ID.String(), err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return s.fail("finish claimed "+e.ID.String(), err)
	} else if n == 1 {
		return nil
	}
	cur, err := s.Get(ctx, e.ID)
	if err != nil {
		return fmt.Errorf("queue: finish claimed %s: %w", e.ID, err)
	}
	if cur.Status == StatusInProgress {
		return fmt.Errorf("queue: finish claimed %s: %w: taken over by a claim at %s (this claim started at %s; its lease ran out)",
			e.ID, store.ErrConflict, cur.StartDate.Format(time.RFC3339Nano), started.Format(time.RFC3339Nano))
	}
	return fmt.Errorf("queue: finish claimed %s: %w: element is %s, not IN_PROGRESS", e.ID, store.ErrConflict, cur.Status)
}

// whyNot explains a conditional update that changed nothing: the element
// is missing (ErrNotFound) or not IN_PROGRESS (ErrConflict).
func (s *bunStore) whyNot(ctx context.Context, id uuid.UUID, op string) error {
	e, err := s.Get(ctx, id)
	if err != nil {
		return fmt.Errorf("queue: %s %s: %w", op, id, err)
	}
	return fmt.Errorf("queue: %s %s: %w: element is %s, not IN_PROGRESS", op, id, store.ErrConflict, e.Status)
}

// finishChunk is how many ids one FinishBatch statement carries: well
// under every dialect's parameter limit (SQL Server's 2100 is the lowest).
const finishChunk = 1000

func (s *bunStore) FinishBatch(ctx context.Context, ids []uuid.UUID, r Result) (int, error) {
	msg, err := s.message(r)
	if err != nil {
		return 0, fmt.Errorf("queue: finish batch: %w", err)
	}
	if len(ids) == 0 {
		return 0, nil
	}
	ids = unique(ids)
	now := s.h.Now()
	total := 0
	run := func(ctx context.Context, h store.Handle) error {
		total = 0
		for lo := 0; lo < len(ids); lo += finishChunk {
			chunk := ids[lo:min(lo+finishChunk, len(ids))]
			args := make([]any, 0, len(chunk)+3)
			args = append(args, string(r.Status), now)
			if msg != "" {
				args = append(args, msg)
			}
			for _, id := range chunk {
				args = append(args, id)
			}
			res, err := h.Raw().ExecContext(ctx, s.sql.finish(len(chunk), msg != ""), args...)
			if err != nil {
				return err
			}
			n, err := res.RowsAffected()
			if err != nil {
				return err
			}
			total += int(n)
		}
		return nil
	}
	done, err := s.writeTurn(ctx)
	if err != nil {
		return 0, s.fail("finish batch", err)
	}
	defer done()
	if len(ids) <= finishChunk {
		err = run(ctx, s.h)
	} else {
		err = s.h.InTx(ctx, run)
	}
	if err != nil {
		return 0, s.fail("finish batch", err)
	}
	if total < len(ids) {
		return total, fmt.Errorf("queue: finish batch: %w: %d of %d elements were not IN_PROGRESS (or do not exist) and were left alone", store.ErrConflict, len(ids)-total, len(ids))
	}
	return total, nil
}

func unique(ids []uuid.UUID) []uuid.UUID {
	seen := make(map[uuid.UUID]struct{}, len(ids))
	out := ids[:0:0]
	for _, id := range ids {
		if _, dup := seen[id]; !dup {
			seen[id] = struct{}{}
			out = append(out, id)
		}
	}
	return out
}

func (s *bunStore) ForceStatus(ctx context.Context, id uuid.UUID, status Status, message string) error {
	if err := status.Validate(); err != nil {
		return fmt.Errorf("queue: force status of %s: %w", id, err)
	}
	if err := s.checkLen("message", message, MaxMessage); err != nil {
		return fmt.Errorf("queue: force status of %s: %w", id, err)
	}
	args := []any{string(status)}
	var dateColumn string
	switch {
	case status == StatusInProgress:
		dateColumn = "start_date"
	case status.Final():
		dateColumn = "end_date"
	}
	if dateColumn != "" {
		args = append(args, s.h.Now())
	}
	if message != "" {
		args = append(args, message)
	}
	args = append(args, id)
	res, err := s.exec(ctx, s.sql.force(dateColumn, message != ""), args...)
	if err != nil {
		return s.fail("force status of "+id.String(), err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return s.fail("force status of "+id.String(), err)
	} else if n == 0 {
		// MySQL counts changed rows, so an unchanged one reads as 0 too.
		if _, err := s.Get(ctx, id); err != nil {
			return fmt.Errorf("queue: force status of %s: %w", id, err)
		}
	}
	return nil
}

// ---- stale work

func (s *bunStore) RequeueStale(ctx context.Context, queue string, olderThan time.Duration) (int, error) {
	if err := s.checkStale(queue, olderThan); err != nil {
		return 0, fmt.Errorf("queue: requeue stale: %w", err)
	}
	res, err := s.exec(ctx, s.sql.requeueStale(), queue, s.h.Now().Add(-olderThan))
	return s.affected("requeue stale", res, err)
}

func (s *bunStore) FailStale(ctx context.Context, queue string, olderThan time.Duration, message string) (int, error) {
	if err := errors.Join(s.checkStale(queue, olderThan), s.checkLen("message", message, MaxMessage)); err != nil {
		return 0, fmt.Errorf("queue: fail stale: %w", err)
	}
	now := s.h.Now()
	args := []any{now}
	if message != "" {
		args = append(args, message)
	}
	args = append(args, queue, now.Add(-olderThan))
	res, err := s.exec(ctx, s.sql.failStale(message != ""), args...)
	return s.affected("fail stale", res, err)
}

func (s *bunStore) checkStale(queue string, olderThan time.Duration) error {
	if olderThan < 0 {
		return fmt.Errorf("%w: negative duration %s", store.ErrInvalid, olderThan)
	}
	return s.checkQueue(queue)
}

func (s *bunStore) affected(op string, res sql.Result, err error) (int, error) {
	if err != nil {
		return 0, s.fail(op, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, s.fail(op, err)
	}
	return int(n), nil
}

// ---- reads

func (s *bunStore) Get(ctx context.Context, id uuid.UUID) (Element, error) {
	var e Element
	err := s.h.IDB().NewSelect().Model(&e).Where("? = ?", bun.Ident("id"), id).Scan(ctx)
	if err != nil {
		return Element{}, s.fail("get "+id.String(), err)
	}
	normalise(&e)
	return e, nil
}

// orderable are the columns List may sort by.
var orderable = map[string]bool{}

func init() {
	for _, c := range columns {
		orderable[c] = true
	}
}

// likeEscaper escapes LIKE's wildcards (and SQL Server's '[') with '!', an
// escape character no dialect treats specially inside a string literal.
var likeEscaper = strings.NewReplacer("!", "!!", "%", "!%", "_", "!_", "[", "![")

func (s *bunStore) List(ctx context.Context, f Filter) (Page, error) {
	page := Page{Total: -1}
	count, list, err := listQueries(s.h.IDB(), f, &page.Elements)
	if err != nil {
		return Page{}, fmt.Errorf("queue: list: %w", err)
	}
	if f.Count {
		n, err := count.Count(ctx)
		if err != nil {
			return Page{}, s.fail("list", err)
		}
		page.Total = int(n)
	}
	if err := list.Scan(ctx); err != nil && !errors.Is(err, sql.ErrNoRows) {
		return Page{}, s.fail("list", err)
	}
	for i := range page.Elements {
		normalise(&page.Elements[i])
	}
	return page, nil
}

// listQueries checks a filter and builds List's two queries on idb: count
// (for Filter.Count) and the page, which scans into dst. bun builds them,
// so they are the same on every dialect but for its own rendering (paging,
// quoting, literals); the golden test pins them.
func listQueries(idb bun.IDB, f Filter, dst *[]Element) (count, page *bun.SelectQuery, err error) {
	if f.Status != "" {
		if err := f.Status.Validate(); err != nil {
			return nil, nil, err
		}
	}
	orderBy := f.OrderBy
	if orderBy == "" {
		orderBy = "created_date"
	}
	if !orderable[orderBy] {
		return nil, nil, fmt.Errorf("%w: cannot order by %q (want a column of Queues)", store.ErrInvalid, f.OrderBy)
	}
	if f.Offset < 0 || f.Limit < 0 {
		return nil, nil, fmt.Errorf("%w: negative offset or limit", store.ErrInvalid)
	}
	limit := f.Limit
	if limit == 0 {
		limit = 100
	}
	filter := func(q *bun.SelectQuery) *bun.SelectQuery {
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
			q = q.Where("? >= ?", bun.Ident("created_date"), store.UTC(f.From))
		}
		if !f.To.IsZero() {
			q = q.Where("? <= ?", bun.Ident("created_date"), store.UTC(f.To))
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
	dir := "ASC"
	if f.Desc {
		dir = "DESC"
	}
	count = filter(idb.NewSelect().Model((*Element)(nil)))
	page = filter(idb.NewSelect().Model(dst)).
		OrderExpr("? "+dir, bun.Ident(orderBy)).
		OrderExpr("? "+dir, bun.Ident("id")).
		Offset(int64(f.Offset)).Limit(int64(limit))
	return count, page, nil
}

func (s *bunStore) Counts(ctx context.Context) (Counts, error) {
	rows, err := s.h.Raw().QueryContext(ctx, s.sql.counts)
	if err != nil {
		return nil, s.fail("counts", err)
	}
	defer rows.Close()
	out := Counts{}
	for rows.Next() {
		var name, status string
		var n int
		if err := rows.Scan(&name, &status, &n); err != nil {
			return nil, s.fail("counts", err)
		}
		if out[name] == nil {
			out[name] = map[Status]int{}
		}
		out[name][Status(status)] = n
	}
	if err := rows.Err(); err != nil {
		return nil, s.fail("counts", err)
	}
	return out, nil
}

func (s *bunStore) Delete(ctx context.Context, id uuid.UUID) error {
	res, err := s.exec(ctx, s.sql.delete1, id)
	n, err := s.affected("delete "+id.String(), res, err)
	if err != nil {
		return err
	}
	if n == 0 {
		return fmt.Errorf("queue: delete %s: %w", id, store.ErrNotFound)
	}
	return nil
}

func (s *bunStore) Prune(ctx context.Context, queue string, before time.Time) (int, error) {
	if queue != "" {
		if err := s.checkQueue(queue); err != nil {
			return 0, fmt.Errorf("queue: prune: %w", err)
		}
	}
	args := []any{store.UTC(before)}
	if queue != "" {
		args = append(args, queue)
	}
	res, err := s.exec(ctx, s.sql.prune(queue != ""), args...)
	return s.affected("prune", res, err)
}
