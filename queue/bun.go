package queue

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"iter"
	"slices"
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
	d     *store.Dialect
	sql   *statements
	lease time.Duration
}

var _ Store = (*bunStore)(nil)

// New returns the queue store of db. It checks its options and does no I/O.
func New(db *store.DB, opts ...Option) (Store, error) {
	if db == nil {
		return nil, fmt.Errorf("queue: new store: %w: nil database", store.ErrInvalid)
	}
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	if err := errors.Join(o.errs...); err != nil {
		return nil, fmt.Errorf("queue: new store: %w: %w", store.ErrInvalid, err)
	}
	d := db.SQLDialect()
	return &bunStore{h: db.Handle(), d: d, sql: newStatements(d), lease: o.lease}, nil
}

// WithTx returns the same store bound to the session s.
func (s *bunStore) WithTx(sess *store.Session) Store {
	c := *s
	c.h = sess.Handle()
	return &c
}

// ---- validation and errors

// invalid is a store.ErrInvalid with its detail.
func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{store.ErrInvalid}, args...)...)
}

// checkLen refuses a value longer than its column with store.ErrTooLong,
// counting as the dialect's varchar(n) counts.
func (s *bunStore) checkLen(column, v string, max int) error {
	return s.d.CheckText(column, v, max)
}

func (s *bunStore) checkQueue(queue string) error {
	if queue == "" {
		return invalid("empty queue name")
	}
	return s.checkLen("queue_name", queue, MaxQueueName)
}

// message checks a finishing result and returns the message to store.
func (s *bunStore) message(r Result) (string, error) {
	if !r.Status.Final() {
		if err := r.Status.Validate(); err != nil {
			return "", err
		}
		return "", invalid("finish with %s: a result must be DONE, FAILED or ABANDONED", r.Status)
	}
	return s.fitMessage(r.Message, r.TruncateMessage)
}

func (s *bunStore) fitMessage(msg string, truncate bool) (string, error) {
	if err := s.checkLen("message", msg, MaxMessage); err != nil {
		if !truncate {
			return "", err
		}
		msg = s.d.CutText(msg, MaxMessage)
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

// exec runs a write statement on the handle.
func (s *bunStore) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return s.h.Raw().ExecContext(ctx, query, args...)
}

// fail prefixes an error of operation op with the package, once. Driver
// errors are classified first; the unexported helpers below return errors
// without a prefix, so that fail is the only place one is added.
func (s *bunStore) fail(op string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("queue: %s: %w", op, s.h.Classify(err))
}

// ---- enqueue

func (s *bunStore) Enqueue(ctx context.Context, queue string, e NewElement) (Element, error) {
	el, err := s.enqueue(ctx, queue, e)
	return el, s.fail("enqueue", err)
}

func (s *bunStore) enqueue(ctx context.Context, queue string, e NewElement) (Element, error) {
	if err := errors.Join(s.checkQueue(queue), s.checkNew(e)); err != nil {
		return Element{}, err
	}
	id, err := uuid.NewV7()
	if err != nil {
		return Element{}, err
	}
	now := s.h.Now()
	if _, err := s.exec(ctx, s.sql.insert1, id, queue, null(e.Data), null(e.Reference), now, null(e.CreatedBy)); err != nil {
		return Element{}, err
	}
	return Element{ID: id, QueueName: queue, Status: StatusNew, Data: e.Data, Reference: e.Reference, CreatedDate: now, CreatedBy: e.CreatedBy}, nil
}

func (s *bunStore) EnqueueBatch(ctx context.Context, queue string, elements []NewElement) ([]uuid.UUID, error) {
	ids, err := s.enqueueBatch(ctx, queue, elements)
	return ids, s.fail("enqueue batch", err)
}

func (s *bunStore) enqueueBatch(ctx context.Context, queue string, elements []NewElement) ([]uuid.UUID, error) {
	if len(elements) == 0 {
		return nil, invalid("no elements")
	}
	errs := []error{s.checkQueue(queue)}
	for i, e := range elements {
		if err := s.checkNew(e); err != nil {
			errs = append(errs, fmt.Errorf("element %d: %w", i, err))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	ids := make([]uuid.UUID, len(elements))
	for i := range ids {
		id, err := uuid.NewV7()
		if err != nil {
			return nil, err
		}
		ids[i] = id
	}
	if err := s.insertBatch(ctx, queue, ids, elements, s.h.Now()); err != nil {
		return nil, err
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

// insertBatch writes a batch of NEW elements, its i-th with ids[i] and
// stamped batchCreated(start, i), in as few INSERTs as the dialect allows
// and atomically: several INSERTs run in one transaction (a savepoint in a
// session), so a failing one leaves nothing behind.
func (s *bunStore) insertBatch(ctx context.Context, queue string, ids []uuid.UUID, els []NewElement, start time.Time) error {
	per := s.sql.batchRows
	insert := func(ctx context.Context, h store.Handle) error {
		for lo := 0; lo < len(ids); lo += per {
			hi := min(lo+per, len(ids))
			if err := s.insertChunk(ctx, h, queue, ids[lo:hi], els[lo:hi], start, lo); err != nil {
				return err
			}
		}
		return nil
	}
	if len(ids) <= per {
		return insert(ctx, s.h) // one statement is atomic by itself
	}
	return s.h.InTx(ctx, insert)
}

// newRows are the NEW elements of one INSERT of a batch, for bun to
// insert; first is the batch index of the first.
func newRows(queue string, ids []uuid.UUID, els []NewElement, start time.Time, first int) []Element {
	rows := make([]Element, len(ids))
	for i, e := range els {
		rows[i] = Element{ID: ids[i], QueueName: queue, Status: StatusNew, Data: e.Data, Reference: e.Reference,
			CreatedDate: batchCreated(start, first+i), CreatedBy: e.CreatedBy}
	}
	return rows
}

// insertChunk writes one INSERT of a batch; first is the batch index of its
// first row.
func (s *bunStore) insertChunk(ctx context.Context, h store.Handle, queue string, ids []uuid.UUID, els []NewElement, start time.Time, first int) error {
	if s.sql.inlineBatch {
		rows := newRows(queue, ids, els, start, first)
		_, err := h.IDB().NewInsert().Model(&rows).Exec(ctx)
		return err
	}
	args := make([]any, 0, len(ids)*insertRowParams)
	for i, e := range els {
		args = append(args, ids[i], queue, null(e.Data), null(e.Reference), batchCreated(start, first+i), null(e.CreatedBy))
	}
	_, err := h.Raw().ExecContext(ctx, s.sql.insertMany(len(ids)), args...)
	return err
}

// ---- claim

func (s *bunStore) Claim(ctx context.Context, queue string) (Element, error) {
	e, err := s.claimOne(ctx, queue, "", false)
	return e, s.fail(fmt.Sprintf("claim from %q", queue), err)
}

func (s *bunStore) ClaimReference(ctx context.Context, queue, reference string) (Element, error) {
	op := fmt.Sprintf("claim %q from %q", reference, queue)
	if reference == "" {
		// "" is stored as NULL, which no reference = ? matches.
		return Element{}, s.fail(op, invalid("empty reference (use Claim for any element)"))
	}
	if err := s.checkLen("reference", reference, MaxReference); err != nil {
		return Element{}, s.fail(op, err)
	}
	e, err := s.claimOne(ctx, queue, reference, true)
	return e, s.fail(op, err)
}

func (s *bunStore) claimOne(ctx context.Context, queue, reference string, byRef bool) (Element, error) {
	els, err := s.claim(ctx, queue, reference, byRef, 1)
	if err != nil {
		return Element{}, err
	}
	if len(els) == 0 {
		return Element{}, ErrEmpty
	}
	return els[0], nil
}

func (s *bunStore) ClaimBatch(ctx context.Context, queue string, n int) ([]Element, error) {
	op := fmt.Sprintf("claim batch from %q", queue)
	if n <= 0 || n > MaxClaimBatch {
		return nil, s.fail(op, invalid("n = %d (want 1 to %d)", n, MaxClaimBatch))
	}
	els, err := s.claim(ctx, queue, "", false, n)
	return els, s.fail(op, err)
}

func (s *bunStore) claim(ctx context.Context, queue, reference string, byRef bool, n int) ([]Element, error) {
	if err := s.checkQueue(queue); err != nil {
		return nil, err
	}
	now := s.h.Now()
	k := claimKind{byReference: byRef, lease: s.lease > 0}
	c := s.sql.claims[k]
	args := c.Bind([]any{now}, claimArgs(k, queue, now.Add(-s.lease), reference), n)
	var els []Element
	var err error
	if !c.TwoStep {
		els, err = queryElements(ctx, s.h.Raw(), c.Statement, args)
	} else {
		err = s.h.InTx(ctx, func(ctx context.Context, h store.Handle) error {
			els, err = queryElements(ctx, h.Raw(), c.Statement, args)
			if err != nil || len(els) == 0 {
				return err
			}
			mark := make([]any, 0, len(els)+1)
			mark = append(mark, now)
			for _, e := range els {
				mark = append(mark, e.ID)
			}
			_, err := h.Raw().ExecContext(ctx, c.MarkClaimed(len(els)), mark...)
			return err
		})
		for i := range els {
			els[i].Status, els[i].StartDate = StatusInProgress, now
		}
	}
	if err != nil {
		return nil, err
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
	return s.fail("finish "+id.String(), s.finish(ctx, id, r))
}

func (s *bunStore) finish(ctx context.Context, id uuid.UUID, r Result) error {
	msg, err := s.message(r)
	if err != nil {
		return err
	}
	now := s.h.Now()
	var res sql.Result
	if msg == "" {
		res, err = s.exec(ctx, s.sql.finish1, string(r.Status), now, id)
	} else {
		res, err = s.exec(ctx, s.sql.finish1Msg, string(r.Status), now, msg, id)
	}
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil || n == 1 {
		return err
	}
	return s.whyNot(ctx, id)
}

func (s *bunStore) FinishClaimed(ctx context.Context, e Element, r Result) error {
	return s.fail("finish claimed "+e.ID.String(), s.finishClaimed(ctx, e, r))
}

func (s *bunStore) finishClaimed(ctx context.Context, e Element, r Result) error {
	msg, err := s.message(r)
	if err != nil {
		return err
	}
	if e.StartDate.IsZero() {
		return invalid("the element has no start_date (pass the Element a claim returned)")
	}
	now, started := s.h.Now(), store.UTC(e.StartDate)
	var res sql.Result
	if msg == "" {
		res, err = s.exec(ctx, s.sql.finishClaimed1, string(r.Status), now, e.ID, started)
	} else {
		res, err = s.exec(ctx, s.sql.finishClaimed1Msg, string(r.Status), now, msg, e.ID, started)
	}
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil || n == 1 {
		return err
	}
	cur, err := s.get(ctx, e.ID)
	if err != nil {
		return err
	}
	if cur.Status == StatusInProgress {
		return fmt.Errorf("%w: taken over by a claim at %s (this claim started at %s; its lease ran out)",
			store.ErrConflict, cur.StartDate.Format(time.RFC3339Nano), started.Format(time.RFC3339Nano))
	}
	return fmt.Errorf("%w: element is %s, not IN_PROGRESS", store.ErrConflict, cur.Status)
}

// whyNot explains a conditional update that changed nothing: the element
// is missing (ErrNotFound) or not IN_PROGRESS (ErrConflict).
func (s *bunStore) whyNot(ctx context.Context, id uuid.UUID) error {
	e, err := s.get(ctx, id)
	if err != nil {
		return err
	}
	return fmt.Errorf("%w: element is %s, not IN_PROGRESS", store.ErrConflict, e.Status)
}

func (s *bunStore) FinishBatch(ctx context.Context, ids []uuid.UUID, r Result) (int, error) {
	n, err := s.finishBatch(ctx, ids, r)
	return n, s.fail("finish batch", err)
}

func (s *bunStore) finishBatch(ctx context.Context, ids []uuid.UUID, r Result) (int, error) {
	msg, err := s.message(r)
	if err != nil {
		return 0, err
	}
	if len(ids) == 0 {
		return 0, nil
	}
	ids = unique(ids)
	now := s.h.Now()
	per := s.sql.finishRows
	total := 0
	run := func(ctx context.Context, h store.Handle) error {
		total = 0
		for lo := 0; lo < len(ids); lo += per {
			chunk := ids[lo:min(lo+per, len(ids))]
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
	if len(ids) <= per {
		err = run(ctx, s.h)
	} else {
		err = s.h.InTx(ctx, run)
	}
	if err != nil {
		return 0, err
	}
	if total < len(ids) {
		return total, fmt.Errorf("%w: %d of %d elements were not IN_PROGRESS (or do not exist) and were left alone", store.ErrConflict, len(ids)-total, len(ids))
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
	return s.fail("force status of "+id.String(), s.forceStatus(ctx, id, status, message))
}

func (s *bunStore) forceStatus(ctx context.Context, id uuid.UUID, status Status, message string) error {
	if err := status.Validate(); err != nil {
		return err
	}
	if err := s.checkLen("message", message, MaxMessage); err != nil {
		return err
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
		return err
	}
	n, err := res.RowsAffected()
	if err != nil || n > 0 {
		return err
	}
	// Where rows affected counts changed rows (MySQL), an unchanged row
	// reads as 0 too: only a missing one is an error.
	_, err = s.get(ctx, id)
	return err
}

// ---- stale work

func (s *bunStore) RequeueStale(ctx context.Context, queue string, olderThan time.Duration) (int, error) {
	n, err := s.requeueStale(ctx, queue, olderThan)
	return n, s.fail("requeue stale", err)
}

func (s *bunStore) requeueStale(ctx context.Context, queue string, olderThan time.Duration) (int, error) {
	if err := s.checkStale(queue, olderThan); err != nil {
		return 0, err
	}
	return affected(s.exec(ctx, s.sql.requeueStale(), queue, s.h.Now().Add(-olderThan)))
}

func (s *bunStore) FailStale(ctx context.Context, queue string, olderThan time.Duration, message string) (int, error) {
	n, err := s.failStale(ctx, queue, olderThan, message)
	return n, s.fail("fail stale", err)
}

func (s *bunStore) failStale(ctx context.Context, queue string, olderThan time.Duration, message string) (int, error) {
	if err := errors.Join(s.checkStale(queue, olderThan), s.checkLen("message", message, MaxMessage)); err != nil {
		return 0, err
	}
	now := s.h.Now()
	args := []any{now}
	if message != "" {
		args = append(args, message)
	}
	args = append(args, queue, now.Add(-olderThan))
	return affected(s.exec(ctx, s.sql.failStale(message != ""), args...))
}

func (s *bunStore) checkStale(queue string, olderThan time.Duration) error {
	if olderThan < 0 {
		return invalid("negative duration %s", olderThan)
	}
	return s.checkQueue(queue)
}

// affected returns the rows a statement changed.
func affected(res sql.Result, err error) (int, error) {
	if err != nil {
		return 0, err
	}
	n, err := res.RowsAffected()
	return int(n), err
}

// ---- reads

func (s *bunStore) Get(ctx context.Context, id uuid.UUID) (Element, error) {
	e, err := s.get(ctx, id)
	return e, s.fail("get "+id.String(), err)
}

// get reads one element; a missing one is store.ErrNotFound.
func (s *bunStore) get(ctx context.Context, id uuid.UUID) (Element, error) {
	var e Element
	if err := s.h.IDB().NewSelect().Model(&e).Where("? = ?", bun.Ident("id"), id).Scan(ctx); err != nil {
		return Element{}, s.h.Classify(err)
	}
	normalise(&e)
	return e, nil
}

func (s *bunStore) List(ctx context.Context, f Filter) (Page, error) {
	p, err := s.list(ctx, f)
	return p, s.fail("list", err)
}

func (s *bunStore) list(ctx context.Context, f Filter) (Page, error) {
	page := Page{Total: -1}
	count, list, err := listQueries(s.h.IDB(), f, &page.Elements)
	if err != nil {
		return Page{}, err
	}
	if f.Count {
		n, err := count.Count(ctx)
		if err != nil {
			return Page{}, err
		}
		page.Total = int(n)
	}
	if err := list.Scan(ctx); err != nil && !errors.Is(err, sql.ErrNoRows) {
		return Page{}, err
	}
	for i := range page.Elements {
		normalise(&page.Elements[i])
	}
	return page, nil
}

func (s *bunStore) All(ctx context.Context, f Filter) iter.Seq2[Element, error] {
	const op = "all"
	orderBy, n, err := checkFilter(f)
	if err != nil {
		return func(yield func(Element, error) bool) { yield(Element{}, s.fail(op, err)) }
	}
	pages := store.Stream(ctx, n, func(ctx context.Context, after *Element, n int) ([]Element, error) {
		var els []Element
		if err := allPage(s.h.IDB(), f, orderBy, after, n, &els).Scan(ctx); err != nil && !errors.Is(err, sql.ErrNoRows) {
			return nil, err
		}
		for i := range els {
			normalise(&els[i])
		}
		return els, nil
	})
	return func(yield func(Element, error) bool) {
		for e, err := range pages {
			if err != nil {
				yield(Element{}, s.fail(op, err))
				return
			}
			if !yield(e, nil) {
				return
			}
		}
	}
}

func (s *bunStore) Counts(ctx context.Context) (Counts, error) {
	c, err := s.countAll(ctx)
	return c, s.fail("counts", err)
}

func (s *bunStore) countAll(ctx context.Context) (Counts, error) {
	rows, err := s.h.Raw().QueryContext(ctx, s.sql.counts)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := Counts{}
	for rows.Next() {
		var name, status string
		var n int
		if err := rows.Scan(&name, &status, &n); err != nil {
			return nil, err
		}
		if out[name] == nil {
			out[name] = map[Status]int{}
		}
		out[name][Status(status)] = n
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return out, nil
}

func (s *bunStore) Delete(ctx context.Context, id uuid.UUID) error {
	n, err := affected(s.exec(ctx, s.sql.delete1, id))
	if err == nil && n == 0 {
		err = store.ErrNotFound
	}
	return s.fail("delete "+id.String(), err)
}

func (s *bunStore) Prune(ctx context.Context, queue string, before time.Time) (int, error) {
	n, err := s.prune(ctx, queue, before)
	return n, s.fail("prune", err)
}

func (s *bunStore) prune(ctx context.Context, queue string, before time.Time) (int, error) {
	if queue != "" {
		if err := s.checkQueue(queue); err != nil {
			return 0, err
		}
	}
	args := []any{store.UTC(before)}
	if queue != "" {
		args = append(args, queue)
	}
	return affected(s.exec(ctx, s.sql.prune(queue != ""), args...))
}
