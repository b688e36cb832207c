package logs

import (
	"context"
	"fmt"
	"iter"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/flowstore/flowstore/store"
)

// bunStore is the Store on bun, for every dialect. Writes bind parameters
// on the driver (Handle.Raw); reads go through bun.
type bunStore struct {
	h        store.Handle
	d        *store.Dialect
	q        *stmts
	pageSize int // rows All reads per query
}

var _ Store = (*bunStore)(nil)

// pageSize is how many rows All reads per query.
const pageSize = 1000

// New returns the Logs store of db. It renders the package's statements
// for db's dialect and does no I/O.
func New(db *store.DB) (Store, error) {
	if db == nil {
		return nil, fmt.Errorf("logs: new store: %w: nil *store.DB", store.ErrInvalid)
	}
	return newStore(db), nil
}

func newStore(db *store.DB) *bunStore {
	return &bunStore{h: db.Handle(), d: db.SQLDialect(), q: newStmts(db.SQLDialect()), pageSize: pageSize}
}

// WithTx implements Store.
func (b *bunStore) WithTx(s *store.Session) Store { return b.on(s.Handle()) }

// on returns the same store on h.
func (b *bunStore) on(h store.Handle) *bunStore {
	c := *b
	c.h = h
	return &c
}

// prepare validates an entry and fills its defaults. A message over
// MessageMax units is cut in the middle (OpenOrchestrator's rule). Text
// the table cannot hold exactly — invalid UTF-8, NUL — is refused here by
// the one text rule (store.Dialect.CheckText), before anything is written:
// PostgreSQL refuses both (SQLSTATE 22021), MariaDB drops a NUL, and SQLite
// would store bytes no other reader of the table decodes. Refusing it on
// every dialect also keeps one bad entry from failing the whole multi-row
// statement it would have been part of.
func (b *bunStore) prepare(e *Entry, now time.Time) error {
	if err := e.Level.Validate(); err != nil {
		return err
	}
	if err := b.d.CheckText("Logs.process_name", e.ProcessName, ProcessNameMax); err != nil {
		return err
	}
	// No length limit here: a longer message is shortened below.
	if err := b.d.CheckText("Logs.log_message", e.Message, 0); err != nil {
		return err
	}
	if e.ID == uuid.Nil {
		id, err := uuid.NewV7()
		if err != nil {
			return err
		}
		e.ID = id
	}
	if e.Time.IsZero() {
		e.Time = now
	} else {
		e.Time = store.UTC(e.Time)
	}
	e.Message = truncateMiddle(b.d, e.Message, MessageMax)
	return nil
}

// truncateMiddle keeps the first ceil(max/2) and the last floor(max/2)
// text units of s when s is longer than max in the dialect's units:
// OpenOrchestrator's rule for log messages (database/truncated_string.py).
// A character is never split, so on SQL Server, where a character above
// U+FFFF takes two units, the result may be a unit short of max.
func truncateMiddle(d *store.Dialect, s string, max int) string {
	if len(s) <= max || d.TextLen(s) <= max {
		return s
	}
	// The two halves cannot overlap: s is longer than max.
	return d.CutText(s, (max+1)/2) + d.CutTextTail(s, max/2)
}

// Write implements Store.
func (b *bunStore) Write(ctx context.Context, e Entry) error {
	if err := store.CheckContext(ctx); err != nil {
		return fmt.Errorf("logs: write: %w", err)
	}
	if err := b.prepare(&e, b.h.Now()); err != nil {
		return fmt.Errorf("logs: write: %w", err)
	}
	if err := b.writePrepared(ctx, []Entry{e}); err != nil {
		return fmt.Errorf("logs: write: %w", err)
	}
	return nil
}

// WriteBatch implements Store. More than one statement runs in one
// transaction (a savepoint inside a session), so the batch is written whole
// or not at all.
func (b *bunStore) WriteBatch(ctx context.Context, entries []Entry) error {
	if err := store.CheckContext(ctx); err != nil {
		return fmt.Errorf("logs: write batch: %w", err)
	}
	if len(entries) == 0 {
		return nil
	}
	now := b.h.Now()
	rows := make([]Entry, len(entries))
	copy(rows, entries)
	for i := range rows {
		if err := b.prepare(&rows[i], now); err != nil {
			return fmt.Errorf("logs: write batch: entry %d: %w", i, err)
		}
	}
	if err := b.writePrepared(ctx, rows); err != nil {
		return fmt.Errorf("logs: write batch of %d: %w", len(rows), err)
	}
	return nil
}

// writePrepared inserts entries that prepare has checked, in statements of
// perInsert rows, as OpenOrchestrator writes them: the id in SQLAlchemy's
// spelling (DB.RefUUID) and log_time as the wall clock of the DB's zone
// (DB.Naive). It returns the dialect's classified error unwrapped, so that
// callers add their own context once.
func (b *bunStore) writePrepared(ctx context.Context, rows []Entry) error {
	db := b.h.DB()
	per := b.q.perInsert
	args := make([]any, 0, paramsPerRow*min(len(rows), per))
	write := func(ctx context.Context, h store.Handle) error {
		for start := 0; start < len(rows); start += per {
			chunk := rows[start:min(len(rows), start+per)]
			args = args[:0]
			for i := range chunk {
				e := &chunk[i]
				args = append(args, db.RefUUID(e.ID), db.Naive(e.Time), string(e.Level), e.ProcessName, e.Message)
			}
			if _, err := h.Raw().ExecContext(ctx, b.q.insert(len(chunk)), args...); err != nil {
				return h.Classify(err)
			}
		}
		return nil
	}
	if len(rows) <= per {
		return write(ctx, b.h) // one statement is atomic by itself
	}
	return b.h.InTx(ctx, write)
}

// row is a Logs row as a read scans it. Besides the Entry it becomes, it
// keeps the id and the log_time exactly as stored, which the next keyset
// page must compare with (see keyset).
type row struct {
	bun.BaseModel `bun:"table:Logs,alias:log_entry"`
	ID            storedID  `bun:"id,pk"`
	Time          time.Time `bun:"log_time"` // the stored wall clock, as the driver returns it
	Level         Level     `bun:"log_level"`
	ProcessName   string    `bun:"process_name"`
	Message       string    `bun:"log_message"`
}

// storedID is Logs.id as scanned: the UUID, and where ids are text
// (SQLite, MySQL/MariaDB) the text the row holds — SQLAlchemy's 32 hex
// digits, or the dashed form an earlier flowstore wrote.
type storedID struct {
	id   uuid.UUID
	text string
}

// Scan implements sql.Scanner.
func (s *storedID) Scan(src any) error {
	s.text = ""
	switch v := src.(type) {
	case string:
		s.text = v
	case []byte:
		if len(v) != len(uuid.UUID{}) { // 16 bytes are a native uuid's
			s.text = string(v)
		}
	}
	return s.id.Scan(src)
}

// entry returns the row as an Entry: log_time read as the instant its wall
// clock names in the DB's zone (DB.FromNaive), in UTC.
func (b *bunStore) entry(r *row) Entry {
	return Entry{
		ID:          r.ID.id,
		Time:        store.UTC(b.h.DB().FromNaive(r.Time)),
		Level:       r.Level,
		ProcessName: r.ProcessName,
		Message:     r.Message,
	}
}

// keyset is where the page after a row starts: its log_time and id as the
// row holds them, so that the comparison is the one ORDER BY log_time DESC,
// id DESC sorts by.
//
// Both are the stored values, not values derived from the Entry. Where ids
// are text, the order is the text's: a 32-hex id and a dashed one do not sort
// as their UUIDs do ('-' sorts before every hex digit), so a tie-break on
// the UUID respelled would skip or repeat rows of a table holding both
// spellings. A naive time is compared as the wall clock the row holds;
// converting it to an instant and back would move a wall clock that the
// zone skips (a spring-forward hour, which a writer in another zone can
// write) by an hour.
type keyset struct {
	time any // the wall clock, NaiveLayout
	id   any // the stored text, or the native uuid
}

func (b *bunStore) keyOf(r *row) keyset {
	id := b.h.DB().RefUUID(r.ID.id)
	if _, text := id.(string); text && r.ID.text != "" {
		id = r.ID.text
	}
	return keyset{time: r.Time.Format(store.NaiveLayout), id: id}
}

// filter applies f's conditions to a query. Times are compared as
// OpenOrchestrator compares them: as wall clocks of the DB's zone
// (DB.Naive). The text looked up goes through the write's text rule first,
// so a value no row can hold is refused the same way (store.ErrInvalid,
// store.ErrTooLong) instead of reaching the database.
func (b *bunStore) filter(q *bun.SelectQuery, f Filter) (*bun.SelectQuery, error) {
	if f.Offset < 0 || f.Limit < 0 {
		return nil, fmt.Errorf("%w: negative offset or limit", store.ErrInvalid)
	}
	db := b.h.DB()
	if !f.From.IsZero() {
		q = q.Where("log_time >= ?", db.Naive(f.From))
	}
	if !f.To.IsZero() {
		q = q.Where("log_time <= ?", db.Naive(f.To))
	}
	if f.ProcessName != "" {
		if err := b.d.CheckText("Logs.process_name", f.ProcessName, ProcessNameMax); err != nil {
			return nil, err
		}
		q = q.Where("process_name = ?", f.ProcessName)
	}
	if f.Level != "" {
		if err := f.Level.Validate(); err != nil {
			return nil, err
		}
		q = q.Where("log_level = ?", string(f.Level))
	}
	if f.Search != "" {
		if err := b.d.CheckText("search term", f.Search, 0); err != nil {
			return nil, err
		}
		q = q.Where("log_message LIKE ? ESCAPE '!'", "%"+likeEscaper.Replace(f.Search)+"%")
	}
	return q, nil
}

// pageQuery selects one page of filtered rows newest first (ties by id),
// starting after the row whose keyset is after when it is set (keyset
// pagination).
func (b *bunStore) pageQuery(model any, f Filter, after *keyset, limit, offset int) (*bun.SelectQuery, error) {
	q, err := b.filter(b.h.IDB().NewSelect().Model(model), f)
	if err != nil {
		return nil, err
	}
	if after != nil {
		// The plain "<= t" lets the log_time index bound the scan; written
		// only as "(log_time < t OR (log_time = t AND id < x))" PostgreSQL
		// filters from the newest row down on every page (170 ms instead of
		// 0.5 ms per page at 500,000 rows).
		q = q.Where("log_time <= ?", after.time).Where("(log_time < ? OR id < ?)", after.time, after.id)
	}
	return q.OrderExpr("log_time DESC, id DESC").Limit(int64(limit)).Offset(int64(offset)), nil
}

// Query implements Store.
func (b *bunStore) Query(ctx context.Context, f Filter) (Page, error) {
	if err := store.CheckContext(ctx); err != nil {
		return Page{}, fmt.Errorf("logs: query: %w", err)
	}
	page, err := b.query(ctx, f)
	if err != nil {
		return Page{}, fmt.Errorf("logs: query: %w", err)
	}
	return page, nil
}

func (b *bunStore) query(ctx context.Context, f Filter) (Page, error) {
	var page Page
	limit, err := store.PageLimit(f.Limit)
	if err != nil {
		return page, err
	}
	var rows []row
	q, err := b.pageQuery(&rows, f, nil, limit, f.Offset)
	if err != nil {
		return page, err
	}
	if err := q.Scan(ctx); err != nil {
		return page, b.h.Classify(err)
	}
	cq, _ := b.filter(b.h.IDB().NewSelect().Model((*row)(nil)), f)
	n, err := cq.Count(ctx)
	if err != nil {
		return page, fmt.Errorf("count: %w", b.h.Classify(err))
	}
	page.Total = int(n)
	page.Entries = make([]Entry, len(rows))
	for i := range rows {
		page.Entries[i] = b.entry(&rows[i])
	}
	return page, nil
}

// All implements Store. It reads pages of 1000 rows, each query starting
// after the last row of the previous one (keyset pagination on log_time,
// id, as stored), so memory stays constant however many rows there are, no
// connection is held between pages, and rows written while iterating are
// not returned twice. Stop early by breaking out of the loop. Offset must
// be zero.
func (b *bunStore) All(ctx context.Context, f Filter) iter.Seq2[Entry, error] {
	return func(yield func(Entry, error) bool) {
		if err := store.CheckContext(ctx); err != nil {
			yield(Entry{}, fmt.Errorf("logs: all: %w", err))
			return
		}
		if f.Offset != 0 {
			yield(Entry{}, fmt.Errorf("logs: all: %w: All takes no offset", store.ErrInvalid))
			return
		}
		if f.Limit < 0 {
			yield(Entry{}, fmt.Errorf("logs: all: %w: negative limit", store.ErrInvalid))
			return
		}
		left := f.Limit
		var after *keyset
		buf := make([]row, 0, b.pageSize)
		for {
			n := b.pageSize
			if f.Limit > 0 {
				n = min(n, left)
			}
			buf = buf[:0]
			q, err := b.pageQuery(&buf, f, after, n, 0)
			if err == nil {
				err = b.h.Classify(q.Scan(ctx))
			}
			if err != nil {
				yield(Entry{}, fmt.Errorf("logs: all: %w", err))
				return
			}
			for i := range buf {
				if !yield(b.entry(&buf[i]), nil) {
					return
				}
			}
			if len(buf) < n {
				return
			}
			k := b.keyOf(&buf[len(buf)-1])
			after = &k
			if f.Limit > 0 {
				if left -= len(buf); left <= 0 {
					return
				}
			}
		}
	}
}

// ProcessNames implements Store.
func (b *bunStore) ProcessNames(ctx context.Context) ([]string, error) {
	if err := store.CheckContext(ctx); err != nil {
		return nil, fmt.Errorf("logs: process names: %w", err)
	}
	var names []string
	err := b.h.IDB().NewSelect().Model((*Entry)(nil)).Distinct().Column("process_name").Order("process_name").Scan(ctx, &names)
	if err != nil {
		return nil, fmt.Errorf("logs: process names: %w", b.h.Classify(err))
	}
	return names, nil
}

// Prune implements Store. Rows go whose log_time, a wall clock of the DB's
// zone, is before before's wall clock there; a zero before deletes nothing.
func (b *bunStore) Prune(ctx context.Context, before time.Time) (int64, error) {
	if err := store.CheckContext(ctx); err != nil {
		return 0, fmt.Errorf("logs: prune: %w", err)
	}
	if before.IsZero() {
		return 0, nil
	}
	n, err := b.h.Exec(ctx, b.q.prune, b.h.DB().Naive(before))
	if err != nil {
		return 0, fmt.Errorf("logs: prune: %w", err)
	}
	return n, nil
}
