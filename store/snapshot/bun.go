package snapshot

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"iter"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/flowstore/flowstore/store"
)

// Column lengths checked before writing, in the dialect's text units.
const (
	idMax          = 36  // process_instances.id, CHAR(36)
	businessKeyMax = 255 // business_key_mapping.business_key
	eventTypeMax   = 256 // event_types.event_type
)

// maxInList bounds the ids bound in one IN list (SQL Server takes at most
// 2100 parameters per statement).
const maxInList = 1000

// bunStore is the Store on a flowstore database, for every dialect.
type bunStore struct {
	h      store.Handle
	d      *store.Dialect
	q      *stmts
	codec  Codec            // used for writes; nil: store payloads as given
	codecs map[string]Codec // used for reads, by name
	page   int
	// serverMax caches the server's payload limit where the server sets it
	// (MySQL's max_allowed_packet): 0 until first needed, then shared by
	// every WithTx copy.
	serverMax *atomic.Int64
}

var _ Store = (*bunStore)(nil)

// New returns the snapshot store of db. It renders the package's
// statements for db's dialect and does no I/O; it fails only on a nil db
// or an invalid option.
func New(db *store.DB, opts ...Option) (Store, error) {
	if db == nil {
		return nil, fmt.Errorf("snapshot: new store: %w: nil *store.DB", store.ErrInvalid)
	}
	o := options{codecs: map[string]Codec{"gzip": Gzip{}}, page: 32}
	for _, opt := range opts {
		if err := opt(&o); err != nil {
			return nil, fmt.Errorf("snapshot: new store: %w", err)
		}
	}
	return &bunStore{
		h: db.Handle(), d: db.SQLDialect(), q: newStmts(db.SQLDialect(), o.page),
		codec: o.codec, codecs: o.codecs, page: o.page,
		serverMax: new(atomic.Int64),
	}, nil
}

// WithTx implements Store.
func (b *bunStore) WithTx(s *store.Session) Store {
	c := *b
	c.h = s.Handle()
	return &c
}

// Create implements Store.
func (b *bunStore) Create(ctx context.Context, s *Snapshot) error {
	if err := b.create(ctx, s); err != nil {
		return fmt.Errorf("snapshot: create %s: %w", idOf(s), err)
	}
	return nil
}

func (b *bunStore) create(ctx context.Context, s *Snapshot) error {
	if err := store.CheckContext(ctx); err != nil {
		return err
	}
	if err := b.checkKey(s); err != nil {
		return err
	}
	if err := b.checkRef(ProcessRef{ID: s.ProcessID, Version: s.ProcessVersion}, "process_instances."); err != nil {
		return err
	}
	if s.BusinessKey != "" {
		if err := b.checkBusinessKey(s.BusinessKey); err != nil {
			return err
		}
	}
	events, err := b.eventSet(s.EventTypes)
	if err != nil {
		return err
	}
	stored, codec, err := b.encode(ctx, s.Payload)
	if err != nil {
		return err
	}
	insert := func(ctx context.Context, h store.Handle) error {
		if _, err := h.Raw().ExecContext(ctx, b.q.insert, s.ID, stored, s.ProcessID, nullString(s.ProcessVersion), codec); err != nil {
			return h.Classify(err)
		}
		// No instance had this id until the INSERT above, so event types
		// of it are left over — Kogito's create writes them before the
		// instance, and with its transactions off a failed create leaves
		// them behind — and would make the new instance wait for events it
		// never asked for. Kogito's create deletes them too.
		if err := b.replaceEventTypes(ctx, h, s.ID, events); err != nil {
			return err
		}
		if s.BusinessKey != "" {
			if _, err := h.Raw().ExecContext(ctx, b.q.insertBusinessKey, s.BusinessKey, s.ID); err != nil {
				return fmt.Errorf("business key %q: %w", s.BusinessKey, h.Classify(err))
			}
		}
		return nil
	}
	// A transaction, or in a session a savepoint: a duplicate must not leave
	// the caller's transaction aborted (PostgreSQL) or half done.
	if err := b.h.InTx(ctx, insert); err != nil {
		return err
	}
	s.Version = 0
	s.Codec = codecString(codec)
	return nil
}

// Get implements Store.
func (b *bunStore) Get(ctx context.Context, id string) (*Snapshot, error) {
	s, err := b.get(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("snapshot: get %s: %w", display(id), err)
	}
	return s, nil
}

func (b *bunStore) get(ctx context.Context, id string) (*Snapshot, error) {
	if err := b.checkLookup(ctx, id); err != nil {
		return nil, err
	}
	s, err := b.scan(b.h.Raw().QueryRowContext(ctx, b.q.get, id))
	if err != nil {
		return nil, b.notFound(err)
	}
	return s, nil
}

// checkLookup refuses what no row can match, before a statement runs: a nil
// context, or an id that could not have been written (see checkID).
func (b *bunStore) checkLookup(ctx context.Context, id string) error {
	if err := store.CheckContext(ctx); err != nil {
		return err
	}
	return b.checkID(id)
}

// notFound classifies a read's error, sql.ErrNoRows as store.ErrNotFound.
func (b *bunStore) notFound(err error) error {
	if errors.Is(err, sql.ErrNoRows) {
		return store.ErrNotFound
	}
	return b.h.Classify(err)
}

// Update implements Store.
func (b *bunStore) Update(ctx context.Context, s *Snapshot) error {
	if err := b.update(ctx, s); err != nil {
		return fmt.Errorf("snapshot: update %s: %w", idOf(s), err)
	}
	return nil
}

func (b *bunStore) update(ctx context.Context, s *Snapshot) error {
	if err := store.CheckContext(ctx); err != nil {
		return err
	}
	events, stored, codec, err := b.prepareUpdate(ctx, s)
	if err != nil {
		return err
	}
	if s.EventTypes == nil {
		if err := b.cas(ctx, b.h, s, stored, codec); err != nil {
			return err
		}
	} else {
		err = b.h.InTx(ctx, func(ctx context.Context, h store.Handle) error {
			if err := b.cas(ctx, h, s, stored, codec); err != nil {
				return err
			}
			return b.replaceEventTypes(ctx, h, s.ID, events)
		})
		if err != nil {
			return err
		}
	}
	s.Version++
	s.Codec = codecString(codec)
	return nil
}

// prepareUpdate checks an update's input and encodes its payload, before
// anything is written: the event-type set (nil when s.EventTypes is nil,
// which keeps the stored set), the stored payload and its codec.
func (b *bunStore) prepareUpdate(ctx context.Context, s *Snapshot) (events []string, stored []byte, codec any, err error) {
	if err := b.checkKey(s); err != nil {
		return nil, nil, nil, err
	}
	if s.EventTypes != nil {
		if events, err = b.eventSet(s.EventTypes); err != nil {
			return nil, nil, nil, err
		}
	}
	stored, codec, err = b.encode(ctx, s.Payload)
	return events, stored, codec, err
}

func (b *bunStore) cas(ctx context.Context, h store.Handle, s *Snapshot, stored []byte, codec any) error {
	res, err := h.Raw().ExecContext(ctx, b.q.update, stored, codec, s.Version+1, s.ID, s.Version)
	if err != nil {
		return h.Classify(err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return h.Classify(err)
	}
	if n == 1 {
		return nil
	}
	actual := int64(-1)
	if err := h.Raw().QueryRowContext(ctx, b.q.versionOf, s.ID).Scan(&actual); err != nil && !errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("read the current version: %w", h.Classify(err))
	}
	return &store.ConflictError{Table: "process_instances", ID: s.ID, Expected: s.Version, Actual: actual}
}

// UpdateUnchecked implements Store.
func (b *bunStore) UpdateUnchecked(ctx context.Context, s *Snapshot) error {
	if err := b.updateUnchecked(ctx, s); err != nil {
		return fmt.Errorf("snapshot: update unchecked %s: %w", idOf(s), err)
	}
	return nil
}

func (b *bunStore) updateUnchecked(ctx context.Context, s *Snapshot) error {
	if err := store.CheckContext(ctx); err != nil {
		return err
	}
	events, stored, codec, err := b.prepareUpdate(ctx, s)
	if err != nil {
		return err
	}
	var version int64
	err = b.h.InTx(ctx, func(ctx context.Context, h store.Handle) error {
		res, err := h.Raw().ExecContext(ctx, b.q.updateUnchecked, stored, codec, s.ID)
		if err != nil {
			return h.Classify(err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return h.Classify(err)
		} else if n == 0 {
			return store.ErrNotFound
		}
		// The row is locked by our UPDATE until commit: this reads our own
		// version, not another writer's.
		if err := h.Raw().QueryRowContext(ctx, b.q.versionOf, s.ID).Scan(&version); err != nil {
			return h.Classify(err)
		}
		if s.EventTypes != nil {
			return b.replaceEventTypes(ctx, h, s.ID, events)
		}
		return nil
	})
	if err != nil {
		return err
	}
	s.Version = version
	s.Codec = codecString(codec)
	return nil
}

// Delete implements Store. It deletes the event types itself, as Kogito
// does: event_types has no foreign key to cascade from (Kogito's schema has
// none, and migration 0041 dropped flowstore's). The business key would go
// by cascade; it is deleted here all the same.
func (b *bunStore) Delete(ctx context.Context, id string) error {
	if err := b.checkLookup(ctx, id); err != nil {
		return fmt.Errorf("snapshot: delete %s: %w", display(id), err)
	}
	err := b.h.InTx(ctx, func(ctx context.Context, h store.Handle) error {
		raw := h.Raw()
		if _, err := raw.ExecContext(ctx, b.q.deleteEventTypes, id); err != nil {
			return h.Classify(err)
		}
		if _, err := raw.ExecContext(ctx, b.q.deleteBusinessKey, id); err != nil {
			return h.Classify(err)
		}
		res, err := raw.ExecContext(ctx, b.q.deleteInstance, id)
		if err != nil {
			return h.Classify(err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return h.Classify(err)
		} else if n == 0 {
			return store.ErrNotFound
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("snapshot: delete %s: %w", display(id), err)
	}
	return nil
}

// Exists implements Store.
func (b *bunStore) Exists(ctx context.Context, id string) (bool, error) {
	if err := b.checkLookup(ctx, id); err != nil {
		return false, fmt.Errorf("snapshot: exists %s: %w", display(id), err)
	}
	var one int
	err := b.h.Raw().QueryRowContext(ctx, b.q.exists, id).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("snapshot: exists %s: %w", display(id), b.h.Classify(err))
	}
	return true, nil
}

// Stat implements Store.
func (b *bunStore) Stat(ctx context.Context, id string) (*Info, error) {
	info, err := b.stat(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("snapshot: stat %s: %w", display(id), err)
	}
	return info, nil
}

func (b *bunStore) stat(ctx context.Context, id string) (*Info, error) {
	if err := b.checkLookup(ctx, id); err != nil {
		return nil, err
	}
	var (
		info    Info
		version sql.NullInt64
		pv      sql.NullString
		codec   sql.NullString
	)
	raw := b.h.Raw()
	err := raw.QueryRowContext(ctx, b.q.stat, id).Scan(&info.ID, &info.ProcessID, &version, &pv, &codec, &info.StoredSize)
	if err != nil {
		return nil, b.notFound(err)
	}
	info.ID = trimID(info.ID)
	info.Version = version.Int64
	info.ProcessVersion = stringPtr(pv)
	info.Codec = codec.String
	var key string
	switch err := raw.QueryRowContext(ctx, b.q.businessKeyOf, id).Scan(&key); {
	case err == nil:
		info.BusinessKey = strings.TrimRight(key, " ")
	case !errors.Is(err, sql.ErrNoRows):
		return nil, fmt.Errorf("business key: %w", b.h.Classify(err))
	}
	rows, err := raw.QueryContext(ctx, b.q.eventTypesOf, id)
	if err != nil {
		return nil, fmt.Errorf("event types: %w", b.h.Classify(err))
	}
	defer rows.Close()
	for rows.Next() {
		var et string
		if err := rows.Scan(&et); err != nil {
			return nil, fmt.Errorf("event types: %w", b.h.Classify(err))
		}
		info.EventTypes = append(info.EventTypes, et)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("event types: %w", b.h.Classify(err))
	}
	return &info, nil
}

// Count implements Store.
func (b *bunStore) Count(ctx context.Context, p ProcessRef) (int64, error) {
	if err := b.checkScope(ctx, p); err != nil {
		return 0, fmt.Errorf("snapshot: count %s: %w", p.display(), err)
	}
	var n int64
	if err := b.h.Raw().QueryRowContext(ctx, b.q.count[p.scope()], p.args()...).Scan(&n); err != nil {
		return 0, fmt.Errorf("snapshot: count %s: %w", p.display(), b.h.Classify(err))
	}
	return n, nil
}

// checkScope refuses a nil context, or a process definition no row can
// belong to (see checkRef), before a statement scoped by it runs.
func (b *bunStore) checkScope(ctx context.Context, p ProcessRef) error {
	if err := store.CheckContext(ctx); err != nil {
		return err
	}
	return b.checkRef(p, "")
}

// IDs implements Store.
func (b *bunStore) IDs(ctx context.Context, p ProcessRef) ([]string, error) {
	ids, err := b.ids(ctx, p)
	if err != nil {
		return nil, fmt.Errorf("snapshot: ids of %s: %w", p.display(), err)
	}
	return ids, nil
}

func (b *bunStore) ids(ctx context.Context, p ProcessRef) ([]string, error) {
	if err := b.checkScope(ctx, p); err != nil {
		return nil, err
	}
	var ids []string
	after := ""
	for {
		rows, err := b.h.Raw().QueryContext(ctx, b.q.listIDs[p.scope()], append(p.args(), after)...)
		if err != nil {
			return nil, b.h.Classify(err)
		}
		n := 0
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return nil, b.h.Classify(err)
			}
			ids = append(ids, trimID(id))
			after = id
			n++
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return nil, b.h.Classify(err)
		}
		if n < b.page {
			return ids, nil
		}
	}
}

// All implements Store. It reads a page (WithPageSize) at a time by keyset
// and holds no cursor open while the loop body runs, so memory stays
// bounded by the page whatever the table holds, and the body may write —
// update or delete the snapshot it was given, even in the same session.
// Rows created or moved while it runs may or may not be seen. Stop early
// by breaking out of the loop.
func (b *bunStore) All(ctx context.Context, p ProcessRef) iter.Seq2[*Snapshot, error] {
	what := "all of " + p.display()
	if err := b.checkScope(ctx, p); err != nil {
		return failed(what, err)
	}
	return b.pages(ctx, b.q.page[p.scope()], p.args(), what)
}

// WaitingForEventType implements Store.
func (b *bunStore) WaitingForEventType(ctx context.Context, p ProcessRef, eventType string) iter.Seq2[*Snapshot, error] {
	what := fmt.Sprintf("waiting for %q in %s", eventType, p.display())
	err := b.checkScope(ctx, p)
	if err == nil {
		err = b.checkEventType(eventType)
	}
	if err != nil {
		return failed(what, err)
	}
	return b.pages(ctx, b.q.waitingPage[p.scope()], append(p.args(), eventType), what)
}

// failed is an iterator that yields err, as an iterator method reports input
// it refuses before it reads anything.
func failed(what string, err error) iter.Seq2[*Snapshot, error] {
	return func(yield func(*Snapshot, error) bool) {
		yield(nil, fmt.Errorf("snapshot: %s: %w", what, err))
	}
}

func (b *bunStore) pages(ctx context.Context, query string, args []any, what string) iter.Seq2[*Snapshot, error] {
	page := func(ctx context.Context, after **Snapshot, _ int) ([]*Snapshot, error) {
		from := ""
		if after != nil {
			from = (*after).ID
		}
		return b.readPage(ctx, query, append(slices.Clip(args), from))
	}
	return func(yield func(*Snapshot, error) bool) {
		for s, err := range store.Stream(ctx, b.page, page) {
			if err != nil {
				yield(nil, fmt.Errorf("snapshot: %s: %w", what, err))
				return
			}
			if !yield(s, nil) {
				return
			}
		}
	}
}

func (b *bunStore) readPage(ctx context.Context, query string, args []any) ([]*Snapshot, error) {
	rows, err := b.h.Raw().QueryContext(ctx, query, args...)
	if err != nil {
		return nil, b.h.Classify(err)
	}
	defer rows.Close()
	var page []*Snapshot
	for rows.Next() {
		s, err := b.scan(rows)
		if err != nil {
			if s != nil { // the row was read; its payload was not decoded
				return nil, fmt.Errorf("%s: %w", s.ID, err)
			}
			return nil, b.h.Classify(err)
		}
		page = append(page, s)
	}
	return page, b.h.Classify(rows.Err())
}

// FindByBusinessKey implements Store.
func (b *bunStore) FindByBusinessKey(ctx context.Context, p ProcessRef, key string) (*Snapshot, error) {
	s, err := b.findByBusinessKey(ctx, p, key)
	if err != nil {
		return nil, fmt.Errorf("snapshot: find %s by business key %q: %w", p.display(), key, err)
	}
	return s, nil
}

// findByBusinessKey looks the key up as written and as Kogito's char(255)
// column holds it on PostgreSQL, padded with blanks to 255 characters (the
// dialect's text units): PostgreSQL, SQL Server and MariaDB compare CHAR
// values without their padding anyway, but a padded value in a VARCHAR
// column — or on SQLite, or under a NO PAD collation — is found only so.
func (b *bunStore) findByBusinessKey(ctx context.Context, p ProcessRef, key string) (*Snapshot, error) {
	if err := b.checkScope(ctx, p); err != nil {
		return nil, err
	}
	if key == "" {
		return nil, fmt.Errorf("%w: empty business key", store.ErrInvalid)
	}
	if err := b.checkBusinessKey(key); err != nil {
		return nil, err
	}
	padded := key + strings.Repeat(" ", max(0, businessKeyMax-b.d.TextLen(key)))
	s, err := b.scan(b.h.Raw().QueryRowContext(ctx, b.q.findByKey[p.scope()], append(p.args(), key, padded)...))
	if err != nil {
		return nil, b.notFound(err)
	}
	s.BusinessKey = key
	return s, nil
}

// MigrateInstances implements Store (Kogito's migrateAll and
// migrateProcessInstances): every instance of from when no ids are given —
// one UPDATE — or else only those ids, in one UPDATE per 1000 ids, all in
// one transaction. Ids that are not instances of from are left alone; the
// count says how many moved. Versions are not bumped: the payload did not
// change.
func (b *bunStore) MigrateInstances(ctx context.Context, from, to ProcessRef, ids ...string) (int64, error) {
	n, err := b.migrate(ctx, from, to, ids)
	if err != nil {
		return 0, fmt.Errorf("snapshot: migrate %s to %s: %w", from.display(), to.display(), err)
	}
	return n, nil
}

func (b *bunStore) migrate(ctx context.Context, from, to ProcessRef, ids []string) (int64, error) {
	if err := b.checkScope(ctx, from); err != nil {
		return 0, err
	}
	// The target is written into every moved row: refuse one that does not
	// fit before the UPDATE, which would fail (or, on a MySQL server not in
	// strict mode, truncate) only once it ran.
	if err := b.checkRef(to, "target "); err != nil {
		return 0, err
	}
	for _, id := range ids {
		if err := b.checkID(id); err != nil {
			return 0, err
		}
	}
	setArgs := []any{to.ID, nullString(to.Version)}
	if len(ids) == 0 {
		res, err := b.h.Raw().ExecContext(ctx, b.q.migrateAll[from.scope()], append(setArgs, from.args()...)...)
		if err != nil {
			return 0, b.h.Classify(err)
		}
		n, err := res.RowsAffected()
		return n, b.h.Classify(err)
	}
	var total int64
	err := b.h.InTx(ctx, func(ctx context.Context, h store.Handle) error {
		total = 0
		for chunk := range slices.Chunk(ids, maxInList) {
			args := append(append(slices.Clip(setArgs), from.args()...), toAny(chunk)...)
			q := b.d.Rebind(b.q.migrateSome[from.scope()] + inList(len(chunk)))
			res, err := h.Raw().ExecContext(ctx, q, args...)
			if err != nil {
				return h.Classify(err)
			}
			n, err := res.RowsAffected()
			if err != nil {
				return h.Classify(err)
			}
			total += n
		}
		return nil
	})
	return total, err
}

// scan reads one row of columns. When the row was read but its payload
// cannot be decoded, it returns the snapshot as far as it got with the
// error, so that a caller reading many rows can say which one failed.
func (b *bunStore) scan(row interface{ Scan(...any) error }) (*Snapshot, error) {
	var (
		s       Snapshot
		version sql.NullInt64
		pv      sql.NullString
		codec   sql.NullString
	)
	if err := row.Scan(&s.ID, &s.Payload, &s.ProcessID, &version, &pv, &codec); err != nil {
		return nil, err
	}
	s.ID = trimID(s.ID)
	s.Version = version.Int64
	s.ProcessVersion = stringPtr(pv)
	if codec.Valid {
		c, ok := b.codecs[codec.String]
		if !ok {
			return &s, fmt.Errorf("%w: payload written with codec %q, which this store does not have (see WithReadCodecs)", store.ErrUnsupported, codec.String)
		}
		plain, err := c.Decode(s.Payload)
		if err != nil {
			return &s, fmt.Errorf("decode payload (%s): %w", codec.String, err)
		}
		s.Payload = plain
		s.Codec = codec.String
	}
	if s.Payload == nil {
		s.Payload = []byte{}
	}
	return &s, nil
}

// encode applies the store's codec and checks that the result fits the
// dialect; codec is the value for payload_codec.
func (b *bunStore) encode(ctx context.Context, payload []byte) (stored []byte, codec any, err error) {
	if payload == nil {
		payload = []byte{} // NOT NULL column; an empty payload is still a payload
	}
	stored = payload
	if b.codec != nil {
		if stored, err = b.codec.Encode(payload); err != nil {
			return nil, nil, fmt.Errorf("encode payload (%s): %w", b.codec.Name(), err)
		}
		codec = b.codec.Name()
	}
	if err := b.checkPayload(ctx, len(payload), len(stored)); err != nil {
		return nil, nil, err
	}
	return stored, codec, nil
}

// checkPayload refuses a stored payload the database would not take, before
// anything is sent: a codec can make it larger than the caller's payload
// (an encrypted token is about 4/3 of it), and on MySQL/MariaDB a value over
// max_allowed_packet sent in one packet makes the server drop the
// connection rather than report an error.
func (b *bunStore) checkPayload(ctx context.Context, plain, stored int) error {
	var server int64
	if b.q.maxBlobQuery != "" {
		if stored <= lookupFloor {
			return nil
		}
		if server = b.serverMax.Load(); server == 0 {
			if err := b.h.Raw().QueryRowContext(ctx, b.q.maxBlobQuery).Scan(&server); err != nil {
				return fmt.Errorf("read the server's payload limit: %w", b.h.Classify(err))
			}
			b.serverMax.Store(server)
		}
	}
	limit, what := b.q.payloadLimit(server, !b.h.DB().Adopted())
	if int64(stored) <= limit {
		return nil
	}
	size := fmt.Sprintf("%d bytes", stored)
	if b.codec != nil {
		size += fmt.Sprintf(" as stored by codec %q (%d before)", b.codec.Name(), plain)
	}
	return fmt.Errorf("%w: the payload is %s; at most %d bytes fit (%s)", store.ErrTooLong, size, limit, what)
}

func (b *bunStore) insertEventTypes(ctx context.Context, h store.Handle, id string, events []string) error {
	for chunk := range slices.Chunk(events, maxInList/2) {
		var sb strings.Builder
		sb.WriteString(b.q.insertEventTypesHead)
		args := make([]any, 0, 2*len(chunk))
		for i, et := range chunk {
			if i > 0 {
				sb.WriteString(", ")
			}
			sb.WriteString(b.q.insertEventTypesRow)
			args = append(args, id, et)
		}
		if _, err := h.Raw().ExecContext(ctx, b.d.Rebind(sb.String()), args...); err != nil {
			return fmt.Errorf("event types: %w", h.Classify(err))
		}
	}
	return nil
}

func (b *bunStore) replaceEventTypes(ctx context.Context, h store.Handle, id string, events []string) error {
	if _, err := h.Raw().ExecContext(ctx, b.q.deleteEventTypes, id); err != nil {
		return fmt.Errorf("event types: %w", h.Classify(err))
	}
	return b.insertEventTypes(ctx, h, id, events)
}

// checkKey refuses a snapshot that names no row a write could address: nil,
// or an id checkID refuses (such a row cannot exist, so Update would
// otherwise report it as a conflict).
func (b *bunStore) checkKey(s *Snapshot) error {
	if s == nil {
		return fmt.Errorf("%w: nil snapshot", store.ErrInvalid)
	}
	return b.checkID(s.ID)
}

// checkID applies the rules of process_instances.id to an id a write stores
// or a read looks up: not empty, the text rule and the CHAR(36) column's
// length, and no trailing blank (see noTrailingBlank).
func (b *bunStore) checkID(id string) error {
	if id == "" {
		return fmt.Errorf("%w: no id", store.ErrInvalid)
	}
	if err := b.d.CheckText("process_instances.id", id, idMax); err != nil {
		return err
	}
	return noTrailingBlank("process_instances.id", id)
}

// checkRef applies the rules of process_id and process_version (prefix
// names the columns in messages): a process id, and the text rule and the
// dialect's key-text limit on both (CheckKeyText).
func (b *bunStore) checkRef(p ProcessRef, prefix string) error {
	if p.ID == "" {
		return fmt.Errorf("%w: no %sprocess id", store.ErrInvalid, strings.TrimPrefix(prefix, "process_instances."))
	}
	if err := b.d.CheckKeyText(prefix+"process_id", p.ID); err != nil {
		return err
	}
	if p.Version != nil {
		return b.d.CheckKeyText(prefix+"process_version", *p.Version)
	}
	return nil
}

// checkBusinessKey applies the rules of business_key_mapping.business_key:
// the text rule, 255 of the dialect's text units, no trailing blank.
func (b *bunStore) checkBusinessKey(key string) error {
	if err := b.d.CheckText("business_key_mapping.business_key", key, businessKeyMax); err != nil {
		return err
	}
	return noTrailingBlank("business_key_mapping.business_key", key)
}

// noTrailingBlank refuses a value for a column Kogito declares CHAR
// (process_instances.id CHAR(36), and on PostgreSQL business_key_mapping's
// business_key char(255)) that ends with a blank. Such a column pads its
// values with blanks and its comparisons ignore them, so reads hand values
// back trimmed and "k" and "k " are one key: a trailing blank could not be
// read back as written.
func noTrailingBlank(what, s string) error {
	if strings.HasSuffix(s, " ") {
		return fmt.Errorf("%w: %s ends with a blank, which the CHAR column Kogito keeps it in does not keep", store.ErrInvalid, what)
	}
	return nil
}

// checkEventType applies the rules of event_types.event_type.
func (b *bunStore) checkEventType(et string) error {
	if et == "" {
		return fmt.Errorf("%w: empty event type", store.ErrInvalid)
	}
	return b.d.CheckText("event_types.event_type", et, eventTypeMax)
}

// eventSet validates event types and removes duplicates (the table's key is
// instance + type), keeping the caller's order.
func (b *bunStore) eventSet(types []string) ([]string, error) {
	out := make([]string, 0, len(types))
	seen := make(map[string]bool, len(types))
	for _, et := range types {
		if err := b.checkEventType(et); err != nil {
			return nil, err
		}
		if !seen[et] {
			seen[et] = true
			out = append(out, et)
		}
	}
	return out, nil
}

// idOf names a snapshot in an error message, whatever state it is in.
func idOf(s *Snapshot) string {
	if s == nil {
		return "<nil>"
	}
	return display(s.ID)
}

// display is a value as an error message names it: as it is, or quoted when
// it is not text a message can carry as it is (empty, a NUL, invalid UTF-8).
func display(s string) string {
	if s == "" || store.ValidText("", s) != nil {
		return strconv.Quote(s)
	}
	return s
}

// trimID removes the blanks PostgreSQL and SQL Server pad CHAR(36) with when
// an id is shorter than 36 characters (Kogito's ids are UUIDs and never are).
func trimID(id string) string { return strings.TrimRight(id, " ") }

func nullString(p *string) any {
	if p == nil {
		return nil
	}
	return *p
}

func stringPtr(ns sql.NullString) *string {
	if !ns.Valid {
		return nil
	}
	v := ns.String
	return &v
}

func codecString(c any) string {
	if s, ok := c.(string); ok {
		return s
	}
	return ""
}

func toAny(ss []string) []any {
	out := make([]any, len(ss))
	for i, v := range ss {
		out[i] = v
	}
	return out
}
