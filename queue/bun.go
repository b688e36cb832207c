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
	db    *store.DB
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
	return observe(&bunStore{h: db.Handle(), db: db, d: d, sql: newStatements(d, len(db.RefUUIDs(uuid.Nil))), lease: o.lease}, db, o.observers), nil
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

// checkText applies the text rule (store.Dialect.CheckText) to a value a
// caller gave, written or looked up: NUL or invalid UTF-8 is
// store.ErrInvalid, a value longer than its column store.ErrTooLong,
// counted as the dialect's varchar(n) counts.
func (s *bunStore) checkText(column, v string, max int) error {
	return s.d.CheckText(column, v, max)
}

func (s *bunStore) checkQueue(queue string) error {
	if queue == "" {
		return invalid("empty queue name")
	}
	return s.checkText("queue_name", queue, MaxQueueName)
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

// fitMessage checks a message and, when truncate is set, cuts one that is
// too long to fit; text no column can hold is refused either way.
func (s *bunStore) fitMessage(msg string, truncate bool) (string, error) {
	if err := s.checkText("message", msg, MaxMessage); err != nil {
		if !truncate || !errors.Is(err, store.ErrTooLong) {
			return "", err
		}
		msg = s.d.CutText(msg, MaxMessage)
	}
	return msg, nil
}

func (s *bunStore) checkNew(e NewElement) error {
	return errors.Join(
		s.checkText("reference", e.Reference, MaxReference),
		s.checkText("data", e.Data, MaxData),
		s.checkText("created_by", e.CreatedBy, MaxCreatedBy),
		s.checkText("key", e.Key, MaxKey),
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

// ---- times

// The Queues table holds naive wall-clock times of the DB's zone, as
// OpenOrchestrator writes them (see the package documentation): every time
// is bound as store.DB.Naive gives it, and read back with store.DB.FromNaive.

// naive is t as a naive column holds it (nil for the zero time).
func (s *bunStore) naive(t time.Time) any { return s.db.Naive(t) }

// wall is t's wall clock in the DB's zone, as a time in UTC: what a naive
// column holds, in a form that orders as the column does.
func (s *bunStore) wall(t time.Time) time.Time {
	if t.IsZero() {
		return t
	}
	w := t.In(s.db.Zone())
	return time.Date(w.Year(), w.Month(), w.Day(), w.Hour(), w.Minute(), w.Second(), w.Nanosecond(), time.UTC)
}

// fromNaive is the instant a scanned naive time names, in UTC.
func (s *bunStore) fromNaive(t time.Time) time.Time { return store.UTC(s.db.FromNaive(t)) }

// asRead is t as a read of naive(t) returns it: t itself, except in the
// hour a fall-back repeats, whose wall clock names two instants. What a
// write returns is what a later read gives.
func (s *bunStore) asRead(t time.Time) time.Time { return s.fromNaive(s.wall(t)) }

// before returns the naive bound for "stored before at": a stored wall
// clock below it names an instant before at however it is read, so an
// element is never taken for older than it is.
//
// Wall clocks order as their instants do except across a fall-back: the
// wall clocks of the repeated hour's second pass sort below those of its
// first. When at falls in a first pass, the wall clocks after it that sort
// below naive(at) — the second pass's — may name instants after at, so the
// bound is the wall clock the second pass starts at (the one right after
// the transition) instead. Elements stored during the first pass then
// count as younger than they are until the second pass has caught up with
// their wall clock — at most the length of the shift (an hour) — and never
// as older.
func (s *bunStore) before(at time.Time) any {
	if _, end := at.In(s.db.Zone()).ZoneBounds(); !end.IsZero() {
		if s.wall(end).Before(s.wall(at)) {
			return s.naive(end)
		}
	}
	return s.naive(at)
}

// ---- enqueue

func (s *bunStore) Enqueue(ctx context.Context, queue string, e NewElement) (Element, error) {
	el, err := s.enqueue(ctx, queue, e)
	return el, s.fail("enqueue", err)
}

func (s *bunStore) enqueue(ctx context.Context, queue string, e NewElement) (Element, error) {
	if err := store.CheckContext(ctx); err != nil {
		return Element{}, err
	}
	if err := errors.Join(s.checkQueue(queue), s.checkNew(e)); err != nil {
		return Element{}, err
	}
	var el Element
	var err error
	if e.Key == "" {
		el, err = s.insertOne(ctx, s.h, queue, e)
	} else {
		el, err = s.enqueueKeyed(ctx, queue, e)
	}
	if err == nil {
		wakeLocal(s.db, queue) // wake.go
	}
	return el, err
}

// insertOne writes one NEW element on h.
func (s *bunStore) insertOne(ctx context.Context, h store.Handle, queue string, e NewElement) (Element, error) {
	id, err := uuid.NewV7()
	if err != nil {
		return Element{}, err
	}
	now := h.Now()
	if _, err := h.Raw().ExecContext(ctx, s.notifying(s.sql.insert1), s.db.RefUUID(id), queue, null(e.Data), null(e.Reference), s.naive(now), null(e.CreatedBy), null(e.Key)); err != nil {
		return Element{}, err
	}
	return Element{ID: id, QueueName: queue, Status: StatusNew, Data: e.Data, Reference: e.Reference,
		CreatedDate: s.asRead(now), CreatedBy: e.CreatedBy, Key: e.Key}, nil
}

// keyAttempts bounds how often a keyed enqueue starts over when a key it
// found free is taken, or a key it found taken is free again, by the time
// it writes.
const keyAttempts = 4

// enqueueKeyed adds an element with an idempotency key, or returns the one
// the key already names. The INSERT goes first: the unique index on
// (queue_name, idempotency_key) decides between concurrent enqueues of one
// key (the loser waits for the winner's transaction and then fails with a
// duplicate key), and only then is the element the key names read. In a
// session the INSERT runs in a savepoint, since a failed statement ends a
// PostgreSQL transaction.
func (s *bunStore) enqueueKeyed(ctx context.Context, queue string, e NewElement) (Element, error) {
	for attempt := 1; ; attempt++ {
		var el Element
		var err error
		if s.h.Session() != nil {
			err = s.h.InTx(ctx, func(ctx context.Context, h store.Handle) error {
				el, err = s.insertOne(ctx, h, queue, e)
				return err
			})
		} else {
			el, err = s.insertOne(ctx, s.h, queue, e)
		}
		if err == nil || !isDuplicateKey(s.h.Classify(err)) {
			return el, err
		}
		held, err := s.byKeys(ctx, s.h, queue, []string{e.Key})
		if err != nil {
			return Element{}, err
		}
		if x, ok := held[e.Key]; ok {
			return x, sameElement(x, e)
		}
		if attempt == keyAttempts {
			return Element{}, fmt.Errorf("%w: key %q: the element holding it vanished %d times in a row", store.ErrConflict, e.Key, attempt)
		}
	}
}

// isDuplicateKey reports whether err is the database refusing a row whose
// key another row holds.
func isDuplicateKey(err error) bool {
	var dbErr *store.DBError
	return errors.As(err, &dbErr) && dbErr.Kind == store.ErrDuplicate
}

// sameElement checks that the element a key names is the one e would
// enqueue: an idempotent enqueue returns it only then.
func sameElement(x Element, e NewElement) error {
	if x.Reference == e.Reference && x.Data == e.Data && x.CreatedBy == e.CreatedBy {
		return nil
	}
	return fmt.Errorf("%w: key %q names element %s, enqueued with another reference, data or created_by", store.ErrDuplicate, e.Key, x.ID)
}

// byKeys reads the elements of a queue that keys name, by key.
func (s *bunStore) byKeys(ctx context.Context, h store.Handle, queue string, keys []string) (map[string]Element, error) {
	out := make(map[string]Element, len(keys))
	for lo := 0; lo < len(keys); lo += s.sql.keyRows {
		chunk := keys[lo:min(lo+s.sql.keyRows, len(keys))]
		query := s.sql.byKey1
		if len(chunk) > 1 {
			query = s.sql.byKeys(len(chunk))
		}
		args := make([]any, 0, len(chunk)+1)
		args = append(args, queue)
		for _, k := range chunk {
			args = append(args, k)
		}
		els, _, err := s.queryElements(ctx, h.Raw(), query, args)
		if err != nil {
			return nil, err
		}
		for _, x := range els {
			out[x.Key] = x
		}
	}
	return out, nil
}

func (s *bunStore) EnqueueBatch(ctx context.Context, queue string, elements []NewElement) ([]uuid.UUID, error) {
	ids, err := s.enqueueBatch(ctx, queue, elements)
	if err == nil {
		wakeLocal(s.db, queue) // wake.go
	}
	return ids, s.fail("enqueue batch", err)
}

func (s *bunStore) enqueueBatch(ctx context.Context, queue string, elements []NewElement) ([]uuid.UUID, error) {
	if err := store.CheckContext(ctx); err != nil {
		return nil, err
	}
	if len(elements) == 0 {
		return nil, invalid("no elements")
	}
	errs := []error{s.checkQueue(queue)}
	var keys []string
	keyed := map[string]int{}
	for i, e := range elements {
		if err := s.checkNew(e); err != nil {
			errs = append(errs, fmt.Errorf("element %d: %w", i, err))
		}
		if e.Key == "" {
			continue
		}
		if j, dup := keyed[e.Key]; dup {
			errs = append(errs, fmt.Errorf("element %d: %w", i, invalid("key %q is element %d's already", e.Key, j)))
			continue
		}
		keyed[e.Key] = i
		keys = append(keys, e.Key)
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
	if len(keys) == 0 {
		if err := s.insertBatch(ctx, queue, ids, elements, s.h.Now()); err != nil {
			return nil, err
		}
		return ids, nil
	}
	for attempt := 1; ; attempt++ {
		out, err := s.enqueueBatchKeyed(ctx, queue, ids, elements, keys)
		if err == nil || attempt == keyAttempts || !isDuplicateKey(s.h.Classify(err)) {
			return out, err
		}
	}
}

// enqueueBatchKeyed writes the elements of a batch whose keys no element
// of the queue holds yet, and returns the batch's ids in input order:
// ids[i] for a new element, the held element's id for a key already held.
// It reads the held keys and writes the rest in one transaction (a
// savepoint in a session); a key another writer takes in between fails
// the INSERT with a duplicate key, rolls everything back, and the caller
// starts over.
func (s *bunStore) enqueueBatchKeyed(ctx context.Context, queue string, ids []uuid.UUID, els []NewElement, keys []string) ([]uuid.UUID, error) {
	out := make([]uuid.UUID, len(ids))
	err := s.h.InTx(ctx, func(ctx context.Context, h store.Handle) error {
		held, err := s.byKeys(ctx, h, queue, keys)
		if err != nil {
			return err
		}
		start := h.Now()
		rows := make([]pendingRow, 0, len(els))
		for i, e := range els {
			if x, ok := held[e.Key]; ok && e.Key != "" {
				if err := sameElement(x, e); err != nil {
					return fmt.Errorf("element %d: %w", i, err)
				}
				out[i] = x.ID
				continue
			}
			out[i] = ids[i]
			rows = append(rows, pendingRow{id: ids[i], e: e, created: batchCreated(start, i)})
		}
		return s.insertRows(ctx, h, queue, rows)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// batchCreated is the created_date of the i-th element of a batch that
// starts at start: i microseconds later (the columns' precision).
//
// Claims order by (created_date, id). With one created_date for the whole
// batch its order would rest on the ids, and while UUIDv7s sort by time
// byte-wise (PostgreSQL, and as the 32 hex digits of MySQL and SQLite),
// SQL Server compares a uniqueidentifier's random last six bytes first.
// Distinct, increasing created_dates make a batch come out in input order
// on every dialect, and keep created_date what OpenOrchestrator means by
// it — when the element was created, by the client's clock — to within
// the batch's length in microseconds.
func batchCreated(start time.Time, i int) time.Time {
	return start.Add(time.Duration(i) * time.Microsecond)
}

// pendingRow is one element of a batch to write.
type pendingRow struct {
	id      uuid.UUID
	e       NewElement
	created time.Time
}

// insertBatch writes a batch of NEW elements, its i-th with ids[i] and
// stamped batchCreated(start, i).
func (s *bunStore) insertBatch(ctx context.Context, queue string, ids []uuid.UUID, els []NewElement, start time.Time) error {
	rows := make([]pendingRow, len(ids))
	for i := range rows {
		rows[i] = pendingRow{id: ids[i], e: els[i], created: batchCreated(start, i)}
	}
	return s.insertRows(ctx, s.h, queue, rows)
}

// insertRows writes NEW elements in as few INSERTs as the dialect allows
// and atomically: several INSERTs run in one transaction (a savepoint in a
// session), so a failing one leaves nothing behind.
func (s *bunStore) insertRows(ctx context.Context, h store.Handle, queue string, rows []pendingRow) error {
	per := s.sql.batchRows
	insert := func(ctx context.Context, h store.Handle) error {
		for lo := 0; lo < len(rows); lo += per {
			if err := s.insertChunk(ctx, h, queue, rows[lo:min(lo+per, len(rows))]); err != nil {
				return err
			}
		}
		return nil
	}
	switch {
	case len(rows) == 0:
		return nil
	case len(rows) <= per:
		return insert(ctx, h) // one statement is atomic by itself
	}
	return h.InTx(ctx, insert)
}

// newRow is one row of an INSERT that bun inlines (see
// statements.inlineBatch), its values as the bound INSERT binds them: the
// id in OpenOrchestrator's spelling, created_date as naive text, "" as
// NULL.
type newRow struct {
	bun.BaseModel `bun:"table:Queues"`

	ID          any    `bun:"id"`
	QueueName   string `bun:"queue_name"`
	Status      string `bun:"status"`
	Data        any    `bun:"data"`
	Reference   any    `bun:"reference"`
	CreatedDate any    `bun:"created_date"`
	CreatedBy   any    `bun:"created_by"`
	Key         any    `bun:"idempotency_key"`
}

// newRows are the rows of one inlined INSERT.
func (s *bunStore) newRows(queue string, rows []pendingRow) []newRow {
	out := make([]newRow, len(rows))
	for i, r := range rows {
		out[i] = newRow{ID: s.db.RefUUID(r.id), QueueName: queue, Status: string(StatusNew), Data: null(r.e.Data), Reference: null(r.e.Reference),
			CreatedDate: s.naive(r.created), CreatedBy: null(r.e.CreatedBy), Key: null(r.e.Key)}
	}
	return out
}

// insertChunk writes one INSERT of a batch.
func (s *bunStore) insertChunk(ctx context.Context, h store.Handle, queue string, rows []pendingRow) error {
	if s.sql.inlineBatch {
		model := s.newRows(queue, rows)
		_, err := h.IDB().NewInsert().Model(&model).Exec(ctx)
		return err
	}
	args := make([]any, 0, len(rows)*insertRowParams)
	for _, r := range rows {
		args = append(args, s.db.RefUUID(r.id), queue, null(r.e.Data), null(r.e.Reference), s.naive(r.created), null(r.e.CreatedBy), null(r.e.Key))
	}
	_, err := h.Raw().ExecContext(ctx, s.notifying(s.sql.insertMany(len(rows))), args...)
	return err
}

// ---- claim

func (s *bunStore) Claim(ctx context.Context, queue string) (Element, error) {
	e, err := s.claimOne(ctx, queue, "", false)
	return e, s.fail(fmt.Sprintf("claim from %q", queue), err)
}

func (s *bunStore) ClaimReference(ctx context.Context, queue, reference string) (Element, error) {
	e, err := s.claimReference(ctx, queue, reference)
	return e, s.fail(fmt.Sprintf("claim %q from %q", reference, queue), err)
}

func (s *bunStore) claimReference(ctx context.Context, queue, reference string) (Element, error) {
	if reference == "" {
		// "" is stored as NULL, which no reference = ? matches.
		return Element{}, invalid("empty reference (use Claim for any element)")
	}
	if err := s.checkText("reference", reference, MaxReference); err != nil {
		return Element{}, err
	}
	return s.claimOne(ctx, queue, reference, true)
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
		if err := store.CheckContext(ctx); err != nil {
			return nil, s.fail(op, err)
		}
		return nil, s.fail(op, invalid("n = %d (want 1 to %d)", n, MaxClaimBatch))
	}
	els, err := s.claim(ctx, queue, "", false, n)
	return els, s.fail(op, err)
}

func (s *bunStore) claim(ctx context.Context, queue, reference string, byRef bool, n int) ([]Element, error) {
	if err := store.CheckContext(ctx); err != nil {
		return nil, err
	}
	if err := s.checkQueue(queue); err != nil {
		return nil, err
	}
	now := s.h.Now()
	k := claimKind{byReference: byRef, lease: s.lease > 0}
	c := s.sql.claims[k]
	var cutoff any
	if k.lease {
		cutoff = s.before(now.Add(-s.lease))
	}
	args := c.Bind([]any{s.naive(now)}, claimArgs(k, queue, cutoff, reference), n)
	var els []Element
	var err error
	if !c.TwoStep {
		els, _, err = s.queryElements(ctx, s.h.Raw(), c.Statement, args)
	} else {
		err = s.h.InTx(ctx, func(ctx context.Context, h store.Handle) error {
			var keys []any
			els, keys, err = s.queryElements(ctx, h.Raw(), c.Statement, args)
			if err != nil || len(els) == 0 {
				return err
			}
			// The ids as stored, so the UPDATE changes exactly the rows
			// the SELECT locked.
			mark := make([]any, 0, len(keys)+1)
			mark = append(mark, s.naive(now))
			mark = append(mark, keys...)
			_, err := h.Raw().ExecContext(ctx, c.MarkClaimed(len(keys)), mark...)
			return err
		})
		started := s.asRead(now)
		for i := range els {
			els[i].Status, els[i].StartDate = StatusInProgress, started
		}
	}
	if err != nil {
		return nil, err
	}
	// UPDATE … RETURNING returns rows in no particular order: put them
	// back into the order the claim picked them in.
	if len(els) > 1 {
		slices.SortFunc(els, s.sql.claimOrder(s.wall))
	}
	return els, nil
}

// ---- finish

// idArgs are the arguments that find ids: every spelling of each
// (store.DB.RefUUIDs), as statements.byID expects them.
func (s *bunStore) idArgs(args []any, ids ...uuid.UUID) []any {
	for _, id := range ids {
		args = append(args, s.db.RefUUIDs(id)...)
	}
	return args
}

func (s *bunStore) Finish(ctx context.Context, id uuid.UUID, r Result) error {
	return s.fail("finish "+id.String(), s.finish(ctx, id, r))
}

func (s *bunStore) finish(ctx context.Context, id uuid.UUID, r Result) error {
	if err := store.CheckContext(ctx); err != nil {
		return err
	}
	msg, err := s.message(r)
	if err != nil {
		return err
	}
	query, args := s.sql.finish1, []any{string(r.Status), s.naive(s.h.Now())}
	if msg != "" {
		query, args = s.sql.finish1Msg, append(args, msg)
	}
	res, err := s.exec(ctx, query, s.idArgs(args, id)...)
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
	if err := store.CheckContext(ctx); err != nil {
		return err
	}
	msg, err := s.message(r)
	if err != nil {
		return err
	}
	if e.StartDate.IsZero() {
		return invalid("the element has no start_date (pass the Element a claim returned)")
	}
	query, args := s.sql.finishClaimed1, []any{string(r.Status), s.naive(s.h.Now())}
	if msg != "" {
		query, args = s.sql.finishClaimed1Msg, append(args, msg)
	}
	args = append(s.idArgs(args, e.ID), s.naive(e.StartDate))
	res, err := s.exec(ctx, query, args...)
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
			store.ErrConflict, cur.StartDate.Format(time.RFC3339Nano), store.UTC(e.StartDate).Format(time.RFC3339Nano))
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
	if err := store.CheckContext(ctx); err != nil {
		return 0, err
	}
	msg, err := s.message(r)
	if err != nil {
		return 0, err
	}
	if len(ids) == 0 {
		return 0, nil
	}
	ids = unique(ids)
	now := s.naive(s.h.Now())
	per := s.sql.finishRows
	total := 0
	run := func(ctx context.Context, h store.Handle) error {
		total = 0
		for lo := 0; lo < len(ids); lo += per {
			chunk := ids[lo:min(lo+per, len(ids))]
			args := make([]any, 0, len(chunk)*s.sql.spellings+3)
			args = append(args, string(r.Status), now)
			if msg != "" {
				args = append(args, msg)
			}
			res, err := h.Raw().ExecContext(ctx, s.sql.finish(len(chunk), msg != ""), s.idArgs(args, chunk...)...)
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
	if err := store.CheckContext(ctx); err != nil {
		return err
	}
	if err := status.Validate(); err != nil {
		return err
	}
	if err := s.checkText("message", message, MaxMessage); err != nil {
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
		args = append(args, s.naive(s.h.Now()))
	}
	if message != "" {
		args = append(args, message)
	}
	res, err := s.exec(ctx, s.sql.force(dateColumn, message != ""), s.idArgs(args, id)...)
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
	if err := s.checkStale(ctx, queue, olderThan); err != nil {
		return 0, err
	}
	return affected(s.exec(ctx, s.sql.requeueStale(), queue, s.before(s.h.Now().Add(-olderThan))))
}

func (s *bunStore) FailStale(ctx context.Context, queue string, olderThan time.Duration, message string) (int, error) {
	n, err := s.failStale(ctx, queue, olderThan, message)
	return n, s.fail("fail stale", err)
}

func (s *bunStore) failStale(ctx context.Context, queue string, olderThan time.Duration, message string) (int, error) {
	if err := errors.Join(s.checkStale(ctx, queue, olderThan), s.checkText("message", message, MaxMessage)); err != nil {
		return 0, err
	}
	now := s.h.Now()
	args := []any{s.naive(now)}
	if message != "" {
		args = append(args, message)
	}
	args = append(args, queue, s.before(now.Add(-olderThan)))
	return affected(s.exec(ctx, s.sql.failStale(message != ""), args...))
}

func (s *bunStore) checkStale(ctx context.Context, queue string, olderThan time.Duration) error {
	if err := store.CheckContext(ctx); err != nil {
		return err
	}
	if olderThan < 0 {
		return invalid("negative duration %s", olderThan)
	}
	return s.checkQueue(queue)
}

// ---- retries (a Worker's WithRetry)

func (s *bunStore) RetryDue(ctx context.Context, queue string, now time.Time) (int, error) {
	n, err := s.retryDue(ctx, queue, now)
	return n, s.fail(fmt.Sprintf("retry due in %q", queue), err)
}

func (s *bunStore) retryDue(ctx context.Context, queue string, now time.Time) (int, error) {
	if err := store.CheckContext(ctx); err != nil {
		return 0, err
	}
	if now.IsZero() {
		return 0, invalid("zero time (pass the store clock's time, store.DB.Now)")
	}
	if err := s.checkQueue(queue); err != nil {
		return 0, err
	}
	return affected(s.exec(ctx, s.sql.retryDue(), queue, s.before(now)))
}

// failRetrying marks an element a claim returned (e, with the claim's
// start_date) FAILED with msg and its count of failed attempts, to go
// back to NEW at retryAt (zero: never), fenced by the claim as
// finishClaimed is. A claim that no longer holds the element is
// store.ErrConflict (or store.ErrNotFound), and nothing changes.
func (s *bunStore) failRetrying(ctx context.Context, e Element, msg string, attempts int, retryAt time.Time) error {
	if err := store.CheckContext(ctx); err != nil {
		return err
	}
	msg, err := s.fitMessage(msg, true)
	if err != nil {
		return err
	}
	if e.StartDate.IsZero() {
		return invalid("the element has no start_date (pass the Element a claim returned)")
	}
	args := []any{s.naive(s.h.Now()), null(msg), attempts, s.naive(retryAt)}
	args = append(s.idArgs(args, e.ID), s.naive(e.StartDate))
	n, err := affected(s.exec(ctx, s.sql.failRetrying(), args...))
	if err != nil || n == 1 {
		return err
	}
	cur, err := s.get(ctx, e.ID)
	if err != nil {
		return err
	}
	return fmt.Errorf("%w: element is %s since %s, not IN_PROGRESS under the claim of %s", store.ErrConflict,
		cur.Status, cur.StartDate.Format(time.RFC3339Nano), store.UTC(e.StartDate).Format(time.RFC3339Nano))
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

// get reads one element, found by every spelling of its id; a missing one
// is store.ErrNotFound.
func (s *bunStore) get(ctx context.Context, id uuid.UUID) (Element, error) {
	if err := store.CheckContext(ctx); err != nil {
		return Element{}, err
	}
	els, _, err := s.queryElements(ctx, s.h.Raw(), s.sql.get1, s.idArgs(nil, id))
	if err != nil {
		return Element{}, err
	}
	if len(els) == 0 {
		return Element{}, store.ErrNotFound
	}
	return els[0], nil
}

func (s *bunStore) List(ctx context.Context, f Filter) (Page, error) {
	p, err := s.list(ctx, f)
	return p, s.fail("list", err)
}

func (s *bunStore) list(ctx context.Context, f Filter) (Page, error) {
	if err := store.CheckContext(ctx); err != nil {
		return Page{}, err
	}
	page := Page{Total: -1}
	count, list, err := listQueries(s.h.IDB(), s.db, f, &page.Elements)
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
		s.normalise(&page.Elements[i])
	}
	return page, nil
}

func (s *bunStore) All(ctx context.Context, f Filter) iter.Seq2[Element, error] {
	const op = "all"
	orderBy, n, err := checkFilter(s.d, f)
	if err == nil {
		err = store.CheckContext(ctx)
	}
	if err != nil {
		return func(yield func(Element, error) bool) { yield(Element{}, s.fail(op, err)) }
	}
	pages := store.Stream(ctx, n, func(ctx context.Context, after *Element, n int) ([]Element, error) {
		var els []Element
		if err := allPage(s.h.IDB(), s.db, f, orderBy, after, n, &els).Scan(ctx); err != nil && !errors.Is(err, sql.ErrNoRows) {
			return nil, err
		}
		for i := range els {
			s.normalise(&els[i])
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
	if err := store.CheckContext(ctx); err != nil {
		return nil, err
	}
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
	return s.fail("delete "+id.String(), s.delete(ctx, id))
}

func (s *bunStore) delete(ctx context.Context, id uuid.UUID) error {
	if err := store.CheckContext(ctx); err != nil {
		return err
	}
	n, err := affected(s.exec(ctx, s.sql.delete1, s.idArgs(nil, id)...))
	if err == nil && n == 0 {
		err = store.ErrNotFound
	}
	return err
}

func (s *bunStore) Prune(ctx context.Context, queue string, before time.Time) (int, error) {
	n, err := s.prune(ctx, queue, before)
	return n, s.fail("prune", err)
}

func (s *bunStore) prune(ctx context.Context, queue string, before time.Time) (int, error) {
	if err := store.CheckContext(ctx); err != nil {
		return 0, err
	}
	if queue != "" {
		if err := s.checkQueue(queue); err != nil {
			return 0, err
		}
	}
	if before.IsZero() {
		return 0, nil // nothing ended before the zero time
	}
	args := []any{s.before(before)}
	if queue != "" {
		args = append(args, queue)
	}
	return affected(s.exec(ctx, s.sql.prune(queue != ""), args...))
}
