package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"iter"
	"slices"
	"strings"
	"sync/atomic"

	"github.com/uptrace/bun"
)

// Snapshot is one row of Kogito's process_instances table: the serialised
// state of a live process instance, with the version used for optimistic
// locking. Kogito deletes the row when the instance completes or aborts, so
// the table holds live instances only.
//
// The bun tags name the table and columns exactly; Payload is the decoded
// payload, which is what is stored unless a Codec is configured.
type Snapshot struct {
	bun.BaseModel `bun:"table:process_instances"`

	// ID is the process instance id (Kogito: a UUID; at most 36 characters).
	ID string `bun:"id,pk"`
	// Payload is the serialised instance (Kogito: protobuf), any size the
	// dialect holds as stored, after the codec: about 1 GB on PostgreSQL
	// and SQLite, 2 GiB on SQL Server, the server's max_allowed_packet on
	// MySQL/MariaDB (16 MiB by default on MariaDB, 64 MiB on MySQL 8). A
	// larger one is ErrTooLong before anything is written.
	Payload []byte `bun:"payload,notnull"`
	// ProcessID is the process definition's id. It and ProcessVersion may
	// each be at most 450 characters on MySQL/MariaDB and SQL Server (their
	// columns are VARCHAR(450), NVARCHAR(450)) and 1300 bytes of UTF-8 on
	// PostgreSQL (the column is unbounded, but the index on process_id, id,
	// process_version takes entries of at most 2704 bytes); SQLite has no
	// limit. A longer one is ErrTooLong before anything is written.
	ProcessID string `bun:"process_id,notnull"`
	// Version counts the updates: 0 after Create, +1 on every Update. Update
	// succeeds only if the row still has this version. A NULL in the
	// database reads as 0.
	Version int64 `bun:"version"`
	// ProcessVersion is the definition's version; nil for an unversioned
	// definition (NULL in the database).
	ProcessVersion *string `bun:"process_version"`
	// Codec is the name of the codec the stored payload was written with,
	// "" for none. Set when reading; writes use the store's codec.
	Codec string `bun:"payload_codec,nullzero"`

	// BusinessKey, when set on Create, maps a caller's key to the instance
	// (business_key_mapping; unique across all processes; deleted with the
	// instance). Reads do not fill it; see FindByBusinessKey and Stat.
	BusinessKey string `bun:"-"`
	// EventTypes is the complete set of event types the instance waits for
	// (event_types). Create stores it; Update replaces the stored set with it
	// in the same transaction as the version check when it is non-nil (an
	// empty, non-nil slice clears it) and leaves the stored set alone when it
	// is nil. Reads leave it nil, so a load-modify-update keeps the set unless
	// the caller sets it; see WaitingForEventType and Stat.
	EventTypes []string `bun:"-"`
}

// ProcessRef names a process definition: queries over snapshots are scoped
// by process id and version, as in Kogito. A nil Version names the
// unversioned definition and matches rows whose process_version IS NULL —
// never rows of a versioned one.
type ProcessRef struct {
	ID      string  // the process definition's id (process_id)
	Version *string // its version; nil for the unversioned definition
}

// Unversioned names a process definition without a version.
func Unversioned(processID string) ProcessRef { return ProcessRef{ID: processID} }

// Versioned names a process definition at one version.
func Versioned(processID, version string) ProcessRef {
	return ProcessRef{ID: processID, Version: &version}
}

// String renders "id" or "id@version".
func (p ProcessRef) String() string {
	if p.Version == nil {
		return p.ID
	}
	return p.ID + "@" + *p.Version
}

func (p ProcessRef) scope() int {
	if p.Version == nil {
		return 1
	}
	return 0
}

func (p ProcessRef) args() []any {
	if p.Version == nil {
		return []any{p.ID}
	}
	return []any{p.ID, *p.Version}
}

// SnapshotInfo describes a stored snapshot without its payload (Stat).
type SnapshotInfo struct {
	ID             string  // the process instance id
	ProcessID      string  // the process definition's id
	ProcessVersion *string // the definition's version; nil for NULL
	Version        int64   // the optimistic-locking version; NULL reads as 0
	// StoredSize is the payload's size in the database, after the codec.
	StoredSize  int64
	Codec       string   // "" for none
	BusinessKey string   // "" for none
	EventTypes  []string // the event types it waits for, sorted; nil for none
}

// SnapshotStore is Kogito's process-instance persistence with optimistic
// locking. Snapshots implements it on every dialect; depend on the interface
// to substitute a fake in tests.
type SnapshotStore interface {
	// Create inserts a new snapshot with version 0, its event types and its
	// business key, atomically. An existing id or business key is
	// ErrDuplicate.
	Create(ctx context.Context, s *Snapshot) error
	// Get loads payload and version by id (ErrNotFound if absent).
	Get(ctx context.Context, id string) (*Snapshot, error)
	// Update writes s.Payload if the row still has s.Version, and bumps the
	// version (s.Version is updated). A mismatch or a vanished row is a
	// *ConflictError (errors.Is ErrConflict).
	Update(ctx context.Context, s *Snapshot) error
	// UpdateUnchecked writes s.Payload whatever the stored version is — for
	// callers who turn optimistic locking off — and still bumps the version.
	UpdateUnchecked(ctx context.Context, s *Snapshot) error
	// Delete removes the snapshot with its event types and business key
	// (ErrNotFound if absent): the end of an instance's life.
	Delete(ctx context.Context, id string) error
	// Exists reports whether a snapshot with this id exists.
	Exists(ctx context.Context, id string) (bool, error)
	// Stat describes a snapshot without loading its payload.
	Stat(ctx context.Context, id string) (*SnapshotInfo, error)

	// IDs lists the ids of a process definition's snapshots, in id order.
	IDs(ctx context.Context, p ProcessRef) ([]string, error)
	// All streams a process definition's snapshots in id order.
	All(ctx context.Context, p ProcessRef) iter.Seq2[*Snapshot, error]
	// Count counts a process definition's snapshots.
	Count(ctx context.Context, p ProcessRef) (int64, error)
	// FindByBusinessKey loads the snapshot of p mapped to key (ErrNotFound).
	FindByBusinessKey(ctx context.Context, p ProcessRef, key string) (*Snapshot, error)
	// WaitingForEventType streams the snapshots of p waiting for eventType.
	WaitingForEventType(ctx context.Context, p ProcessRef, eventType string) iter.Seq2[*Snapshot, error]
	// MigrateInstances moves instances of from (all, or those with the given
	// ids) to the definition to, and reports how many moved.
	MigrateInstances(ctx context.Context, from, to ProcessRef, ids ...string) (int64, error)
}

// Snapshots is the SnapshotStore on a flowstore database. The hot paths (Get,
// Update, Create) bind their parameters on the driver in one statement each,
// so they cost what the raw driver costs; see the package benchmarks.
type Snapshots struct {
	h      Handle
	q      *snapshotSQL
	codec  Codec            // used for writes; nil: store payloads as given
	codecs map[string]Codec // used for reads, by name
	page   int
	// owned: the pool was opened by Open, which configures the MySQL
	// driver to chunk large values to the server's packet size.
	owned bool
	// serverMax caches the server's payload limit where the server sets it
	// (MySQL's max_allowed_packet): 0 until first needed, then shared by
	// every WithTx copy.
	serverMax *atomic.Int64
}

var _ SnapshotStore = (*Snapshots)(nil)

// SnapshotOption configures NewSnapshots.
type SnapshotOption func(*Snapshots) error

// WithCodec makes the store encode every payload it writes with c (and record
// c's name in the row). Off by default.
func WithCodec(c Codec) SnapshotOption {
	return func(s *Snapshots) error {
		if err := snapCheckCodec(c); err != nil {
			return err
		}
		s.codec = c
		s.codecs[c.Name()] = c
		return nil
	}
}

// WithReadCodecs lets the store read rows written with other codecs (an old
// encryption scheme being phased out, say) without writing with them.
func WithReadCodecs(cs ...Codec) SnapshotOption {
	return func(s *Snapshots) error {
		for _, c := range cs {
			if err := snapCheckCodec(c); err != nil {
				return err
			}
			if _, taken := s.codecs[c.Name()]; !taken {
				s.codecs[c.Name()] = c
			}
		}
		return nil
	}
}

// WithPageSize sets how many snapshots All and WaitingForEventType read per
// query (default 32): the most they hold in memory at once.
func WithPageSize(n int) SnapshotOption {
	return func(s *Snapshots) error {
		if n < 1 || n > 10000 {
			return fmt.Errorf("%w: page size %d (want 1-10000)", ErrInvalid, n)
		}
		s.page = n
		return nil
	}
}

// NewSnapshots returns the snapshot store on db. It fails only on invalid
// options.
func NewSnapshots(db *DB, opts ...SnapshotOption) (*Snapshots, error) {
	if db == nil {
		return nil, fmt.Errorf("%w: nil *store.DB", ErrInvalid)
	}
	s := &Snapshots{h: db.Handle(), codecs: map[string]Codec{"gzip": Gzip{}}, page: 32, owned: db.owned, serverMax: new(atomic.Int64)}
	for _, o := range opts {
		if err := o(s); err != nil {
			return nil, err
		}
	}
	s.q = newSnapshotSQL(db.Dialect(), s.page)
	return s, nil
}

// WithTx returns the same store bound to the session: its writes commit or
// roll back with the session's.
func (s *Snapshots) WithTx(sess *Session) *Snapshots {
	c := *s
	c.h = sess.Handle()
	return &c
}

// Create inserts s with version 0 (s.Version is set to 0), plus its event
// types and business key, in one transaction.
func (s *Snapshots) Create(ctx context.Context, snap *Snapshot) error {
	if err := s.checkKey(snap); err != nil {
		return err
	}
	sd := s.q.sd
	if snap.ProcessID == "" {
		return fmt.Errorf("%w: snapshot %s without a process id", ErrInvalid, snap.ID)
	}
	if err := sd.checkProcessRef("process_instances.process_id", snap.ProcessID); err != nil {
		return err
	}
	if snap.ProcessVersion != nil {
		if err := sd.checkProcessRef("process_instances.process_version", *snap.ProcessVersion); err != nil {
			return err
		}
	}
	if err := sd.checkLen("business_key_mapping.business_key", snap.BusinessKey, 255); err != nil {
		return err
	}
	events, err := s.eventSet(snap.EventTypes)
	if err != nil {
		return err
	}
	stored, codec, err := s.encode(ctx, snap.ID, snap.Payload)
	if err != nil {
		return err
	}
	insert := func(ctx context.Context, h Handle) error {
		if _, err := h.Raw().ExecContext(ctx, s.q.insert, snap.ID, stored, snap.ProcessID, snapNullString(snap.ProcessVersion), codec); err != nil {
			return fmt.Errorf("flowstore: create snapshot %s: %w", snap.ID, h.Classify(err))
		}
		if err := s.insertEventTypes(ctx, h, snap.ID, events); err != nil {
			return err
		}
		if snap.BusinessKey != "" {
			if _, err := h.Raw().ExecContext(ctx, s.q.insertBusinessKey, snap.BusinessKey, snap.ID); err != nil {
				return fmt.Errorf("flowstore: create snapshot %s: business key %q: %w", snap.ID, snap.BusinessKey, h.Classify(err))
			}
		}
		return nil
	}
	if len(events) == 0 && snap.BusinessKey == "" && s.h.Session() == nil {
		err = insert(ctx, s.h) // one statement: atomic by itself
	} else {
		// A transaction, or in a session a savepoint: a duplicate must not
		// leave the caller's transaction aborted (PostgreSQL) or half done.
		err = s.h.InTx(ctx, insert)
	}
	if err != nil {
		return err
	}
	snap.Version = 0
	snap.Codec = snapCodecString(codec)
	return nil
}

// Get loads the snapshot with this id: payload (decoded), version, process
// id and version. BusinessKey and EventTypes stay empty (see Stat).
func (s *Snapshots) Get(ctx context.Context, id string) (*Snapshot, error) {
	row := s.h.Raw().QueryRowContext(ctx, s.q.get, id)
	snap, err := s.scan(row)
	if err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, fmt.Errorf("flowstore: snapshot %s: %w", id, ErrNotFound)
		}
		return nil, fmt.Errorf("flowstore: get snapshot %s: %w", id, s.h.Classify(err))
	}
	return snap, nil
}

// Update is the compare-and-swap write: it stores snap.Payload and version
// snap.Version+1 only if the row still has version snap.Version, and then
// sets snap.Version to the new version. If another writer got there first,
// or the row is gone, nothing is written and the error is a *ConflictError
// (errors.Is(err, ErrConflict)) with the expected and the current version
// (-1 when the row no longer exists). A non-nil snap.EventTypes replaces the
// stored set in the same transaction, after the version check.
// ProcessID and ProcessVersion are not written: MigrateInstances moves
// instances between definitions. Bad input — no id, a payload or event type
// too long for the dialect — is ErrInvalid or ErrTooLong, never a conflict,
// and nothing is written.
func (s *Snapshots) Update(ctx context.Context, snap *Snapshot) error {
	events, stored, codec, err := s.prepareUpdate(ctx, snap)
	if err != nil {
		return err
	}
	if snap.EventTypes == nil {
		if err := s.cas(ctx, s.h, snap, stored, codec); err != nil {
			return err
		}
	} else {
		err = s.h.InTx(ctx, func(ctx context.Context, h Handle) error {
			if err := s.cas(ctx, h, snap, stored, codec); err != nil {
				return err
			}
			return s.replaceEventTypes(ctx, h, snap.ID, events)
		})
		if err != nil {
			return err
		}
	}
	snap.Version++
	snap.Codec = snapCodecString(codec)
	return nil
}

// prepareUpdate checks an update's input and encodes its payload, before
// anything is written: the event-type set (nil when snap.EventTypes is nil,
// which keeps the stored set), the stored payload and its codec.
func (s *Snapshots) prepareUpdate(ctx context.Context, snap *Snapshot) (events []string, stored []byte, codec any, err error) {
	if err := s.checkKey(snap); err != nil {
		return nil, nil, nil, err
	}
	if snap.EventTypes != nil {
		if events, err = s.eventSet(snap.EventTypes); err != nil {
			return nil, nil, nil, err
		}
	}
	stored, codec, err = s.encode(ctx, snap.ID, snap.Payload)
	return events, stored, codec, err
}

func (s *Snapshots) cas(ctx context.Context, h Handle, snap *Snapshot, stored []byte, codec any) error {
	res, err := h.Raw().ExecContext(ctx, s.q.update, stored, codec, snap.Version+1, snap.ID, snap.Version)
	if err != nil {
		return fmt.Errorf("flowstore: update snapshot %s: %w", snap.ID, h.Classify(err))
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("flowstore: update snapshot %s: %w", snap.ID, h.Classify(err))
	}
	if n == 1 {
		return nil
	}
	actual := int64(-1)
	if err := h.Raw().QueryRowContext(ctx, s.q.versionOf, snap.ID).Scan(&actual); err != nil && !errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("flowstore: update snapshot %s: read current version: %w", snap.ID, h.Classify(err))
	}
	return &ConflictError{Table: "process_instances", ID: snap.ID, Expected: snap.Version, Actual: actual}
}

// UpdateUnchecked stores snap.Payload without comparing versions — last
// writer wins, as in Kogito with optimistic locking off — but still bumps the
// version, so locking writers notice. snap.Version is set to the new
// version. A non-nil snap.EventTypes replaces the stored set. ErrNotFound if
// the row does not exist. Input is checked as by Update.
func (s *Snapshots) UpdateUnchecked(ctx context.Context, snap *Snapshot) error {
	events, stored, codec, err := s.prepareUpdate(ctx, snap)
	if err != nil {
		return err
	}
	var version int64
	err = s.h.InTx(ctx, func(ctx context.Context, h Handle) error {
		res, err := h.Raw().ExecContext(ctx, s.q.updateUnchecked, stored, codec, snap.ID)
		if err != nil {
			return fmt.Errorf("flowstore: update snapshot %s: %w", snap.ID, h.Classify(err))
		}
		if n, err := res.RowsAffected(); err != nil {
			return fmt.Errorf("flowstore: update snapshot %s: %w", snap.ID, h.Classify(err))
		} else if n == 0 {
			return fmt.Errorf("flowstore: update snapshot %s: %w", snap.ID, ErrNotFound)
		}
		// The row is locked by our UPDATE until commit: this reads our own
		// version, not another writer's.
		if err := h.Raw().QueryRowContext(ctx, s.q.versionOf, snap.ID).Scan(&version); err != nil {
			return fmt.Errorf("flowstore: update snapshot %s: %w", snap.ID, h.Classify(err))
		}
		if snap.EventTypes != nil {
			return s.replaceEventTypes(ctx, h, snap.ID, events)
		}
		return nil
	})
	if err != nil {
		return err
	}
	snap.Version = version
	snap.Codec = snapCodecString(codec)
	return nil
}

// Delete removes the snapshot, its event types and its business key in one
// transaction (the schema also cascades, but a database created by Kogito
// has no foreign key on event_types). ErrNotFound if there is no such row.
func (s *Snapshots) Delete(ctx context.Context, id string) error {
	return s.h.InTx(ctx, func(ctx context.Context, h Handle) error {
		raw := h.Raw()
		if _, err := raw.ExecContext(ctx, s.q.deleteEventTypes, id); err != nil {
			return fmt.Errorf("flowstore: delete snapshot %s: %w", id, h.Classify(err))
		}
		if _, err := raw.ExecContext(ctx, s.q.deleteBusinessKey, id); err != nil {
			return fmt.Errorf("flowstore: delete snapshot %s: %w", id, h.Classify(err))
		}
		res, err := raw.ExecContext(ctx, s.q.deleteInstance, id)
		if err != nil {
			return fmt.Errorf("flowstore: delete snapshot %s: %w", id, h.Classify(err))
		}
		if n, err := res.RowsAffected(); err != nil {
			return fmt.Errorf("flowstore: delete snapshot %s: %w", id, h.Classify(err))
		} else if n == 0 {
			return fmt.Errorf("flowstore: delete snapshot %s: %w", id, ErrNotFound)
		}
		return nil
	})
}

// Exists reports whether the snapshot exists.
func (s *Snapshots) Exists(ctx context.Context, id string) (bool, error) {
	var one int
	err := s.h.Raw().QueryRowContext(ctx, s.q.exists, id).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("flowstore: snapshot %s exists: %w", id, s.h.Classify(err))
	}
	return true, nil
}

// Stat describes the snapshot — metadata, stored size, codec, business key,
// event types — without loading or decoding its payload, so it works for
// rows whose codec this store does not have.
func (s *Snapshots) Stat(ctx context.Context, id string) (*SnapshotInfo, error) {
	var (
		info    SnapshotInfo
		version sql.NullInt64
		pv      sql.NullString
		codec   sql.NullString
	)
	raw := s.h.Raw()
	err := raw.QueryRowContext(ctx, s.q.stat, id).Scan(&info.ID, &info.ProcessID, &version, &pv, &codec, &info.StoredSize)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("flowstore: snapshot %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("flowstore: stat snapshot %s: %w", id, s.h.Classify(err))
	}
	info.ID = snapTrimID(info.ID)
	info.Version = version.Int64
	info.ProcessVersion = snapStringPtr(pv)
	info.Codec = codec.String
	var key string
	switch err := raw.QueryRowContext(ctx, s.q.businessKeyOf, id).Scan(&key); {
	case err == nil:
		info.BusinessKey = strings.TrimRight(key, " ")
	case !errors.Is(err, sql.ErrNoRows):
		return nil, fmt.Errorf("flowstore: stat snapshot %s: %w", id, s.h.Classify(err))
	}
	rows, err := raw.QueryContext(ctx, s.q.eventTypesOf, id)
	if err != nil {
		return nil, fmt.Errorf("flowstore: stat snapshot %s: %w", id, s.h.Classify(err))
	}
	defer rows.Close()
	for rows.Next() {
		var et string
		if err := rows.Scan(&et); err != nil {
			return nil, fmt.Errorf("flowstore: stat snapshot %s: event types: %w", id, s.h.Classify(err))
		}
		info.EventTypes = append(info.EventTypes, et)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("flowstore: stat snapshot %s: %w", id, s.h.Classify(err))
	}
	return &info, nil
}

// Count counts the snapshots of one process definition.
func (s *Snapshots) Count(ctx context.Context, p ProcessRef) (int64, error) {
	var n int64
	if err := s.h.Raw().QueryRowContext(ctx, s.q.count[p.scope()], p.args()...).Scan(&n); err != nil {
		return 0, fmt.Errorf("flowstore: count snapshots of %s: %w", p, s.h.Classify(err))
	}
	return n, nil
}

// IDs lists the ids of one process definition's snapshots in id order, reading
// them a page at a time.
func (s *Snapshots) IDs(ctx context.Context, p ProcessRef) ([]string, error) {
	var ids []string
	after := ""
	for {
		rows, err := s.h.Raw().QueryContext(ctx, s.q.listIDs[p.scope()], append(p.args(), after)...)
		if err != nil {
			return nil, fmt.Errorf("flowstore: list snapshots of %s: %w", p, s.h.Classify(err))
		}
		n := 0
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return nil, fmt.Errorf("flowstore: list snapshots of %s: %w", p, s.h.Classify(err))
			}
			ids = append(ids, snapTrimID(id))
			after = id
			n++
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return nil, fmt.Errorf("flowstore: list snapshots of %s: %w", p, s.h.Classify(err))
		}
		if n < s.page {
			return ids, nil
		}
	}
}

// All streams the snapshots of one process definition in id order. It reads
// a page (WithPageSize) at a time by keyset and holds no cursor open while
// the loop body runs, so memory stays bounded by the page whatever the table
// holds, and the body may write — update or delete the snapshot it was
// given, even in the same session. Rows created or moved while it runs may or
// may not be seen. Stop early by breaking out of the loop.
func (s *Snapshots) All(ctx context.Context, p ProcessRef) iter.Seq2[*Snapshot, error] {
	return s.pages(ctx, s.q.page[p.scope()], p.args(), "list snapshots of "+p.String())
}

// WaitingForEventType streams, like All, the snapshots of one process
// definition that wait for eventType (Kogito's event_types).
func (s *Snapshots) WaitingForEventType(ctx context.Context, p ProcessRef, eventType string) iter.Seq2[*Snapshot, error] {
	return s.pages(ctx, s.q.waitingPage[p.scope()], append(p.args(), eventType), "snapshots of "+p.String()+" waiting for "+eventType)
}

func (s *Snapshots) pages(ctx context.Context, query string, args []any, what string) iter.Seq2[*Snapshot, error] {
	return func(yield func(*Snapshot, error) bool) {
		after := ""
		for {
			page, err := s.readPage(ctx, query, append(slices.Clip(args), after))
			if err != nil {
				yield(nil, fmt.Errorf("flowstore: %s: %w", what, err))
				return
			}
			for _, snap := range page {
				if !yield(snap, nil) {
					return
				}
			}
			if len(page) < s.page {
				return
			}
			after = page[len(page)-1].ID
		}
	}
}

func (s *Snapshots) readPage(ctx context.Context, query string, args []any) ([]*Snapshot, error) {
	rows, err := s.h.Raw().QueryContext(ctx, query, args...)
	if err != nil {
		return nil, s.h.Classify(err)
	}
	defer rows.Close()
	var page []*Snapshot
	for rows.Next() {
		snap, err := s.scan(rows)
		if err != nil {
			return nil, s.h.Classify(err)
		}
		page = append(page, snap)
	}
	return page, s.h.Classify(rows.Err())
}

// FindByBusinessKey loads the snapshot of p that business_key_mapping maps
// key to (ErrNotFound if none, or if the key belongs to another definition).
func (s *Snapshots) FindByBusinessKey(ctx context.Context, p ProcessRef, key string) (*Snapshot, error) {
	row := s.h.Raw().QueryRowContext(ctx, s.q.findByKey[p.scope()], append(p.args(), key)...)
	snap, err := s.scan(row)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("flowstore: snapshot of %s with business key %q: %w", p, key, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("flowstore: find snapshot of %s by business key %q: %w", p, key, s.h.Classify(err))
	}
	snap.BusinessKey = key
	return snap, nil
}

// snapMaxInList bounds the ids bound in one IN list (SQL Server takes at most
// 2100 parameters per statement).
const snapMaxInList = 1000

// MigrateInstances moves snapshots of the definition from to the definition
// to (Kogito's migrateAll and migrateProcessInstances): every instance of
// from when no ids are given — one UPDATE — or else only those ids, in one
// UPDATE per 1000 ids, all in one transaction. Ids that are not instances of
// from are left alone; the count says how many moved. Versions are not
// bumped: the payload did not change.
func (s *Snapshots) MigrateInstances(ctx context.Context, from, to ProcessRef, ids ...string) (int64, error) {
	if to.ID == "" {
		return 0, fmt.Errorf("%w: migrate snapshots: empty target process id", ErrInvalid)
	}
	// The target is written into every moved row: refuse one that does not
	// fit before the UPDATE, which would fail (or, on a MySQL server not in
	// strict mode, truncate) only once it ran.
	if err := s.q.sd.checkProcessRef("migrate snapshots: target process_id", to.ID); err != nil {
		return 0, err
	}
	if to.Version != nil {
		if err := s.q.sd.checkProcessRef("migrate snapshots: target process_version", *to.Version); err != nil {
			return 0, err
		}
	}
	setArgs := []any{to.ID, snapNullString(to.Version)}
	if len(ids) == 0 {
		res, err := s.h.Raw().ExecContext(ctx, s.h.Dialect().Rebind(s.q.migrateAll[from.scope()]), append(setArgs, from.args()...)...)
		if err != nil {
			return 0, fmt.Errorf("flowstore: migrate snapshots of %s to %s: %w", from, to, s.h.Classify(err))
		}
		n, err := res.RowsAffected()
		if err != nil {
			return 0, fmt.Errorf("flowstore: migrate snapshots of %s to %s: %w", from, to, s.h.Classify(err))
		}
		return n, nil
	}
	var total int64
	err := s.h.InTx(ctx, func(ctx context.Context, h Handle) error {
		total = 0
		for chunk := range slices.Chunk(ids, snapMaxInList) {
			args := append(append(slices.Clip(setArgs), from.args()...), snapToAny(chunk)...)
			q := h.Dialect().Rebind(s.q.migrateSome[from.scope()] + snapInList(len(chunk)))
			res, err := h.Raw().ExecContext(ctx, q, args...)
			if err != nil {
				return fmt.Errorf("flowstore: migrate snapshots of %s to %s: %w", from, to, h.Classify(err))
			}
			n, err := res.RowsAffected()
			if err != nil {
				return fmt.Errorf("flowstore: migrate snapshots of %s to %s: %w", from, to, h.Classify(err))
			}
			total += n
		}
		return nil
	})
	return total, err
}

// scan reads one row of snapshotColumns.
func (s *Snapshots) scan(row interface{ Scan(...any) error }) (*Snapshot, error) {
	var (
		snap    Snapshot
		version sql.NullInt64
		pv      sql.NullString
		codec   sql.NullString
	)
	if err := row.Scan(&snap.ID, &snap.Payload, &snap.ProcessID, &version, &pv, &codec); err != nil {
		return nil, err
	}
	snap.ID = snapTrimID(snap.ID)
	snap.Version = version.Int64
	snap.ProcessVersion = snapStringPtr(pv)
	if codec.Valid {
		c, ok := s.codecs[codec.String]
		if !ok {
			return nil, fmt.Errorf("%w: snapshot %s: payload written with codec %q, which this store does not have (see WithReadCodecs)", ErrUnsupported, snap.ID, codec.String)
		}
		plain, err := c.Decode(snap.Payload)
		if err != nil {
			return nil, fmt.Errorf("flowstore: snapshot %s: decode payload (%s): %w", snap.ID, codec.String, err)
		}
		snap.Payload = plain
		snap.Codec = codec.String
	}
	if snap.Payload == nil {
		snap.Payload = []byte{}
	}
	return &snap, nil
}

// encode applies the store's codec and checks that the result fits the
// dialect; codec is the value for payload_codec.
func (s *Snapshots) encode(ctx context.Context, id string, payload []byte) (stored []byte, codec any, err error) {
	if payload == nil {
		payload = []byte{} // NOT NULL column; an empty payload is still a payload
	}
	stored = payload
	if s.codec != nil {
		if stored, err = s.codec.Encode(payload); err != nil {
			return nil, nil, fmt.Errorf("flowstore: snapshot %s: encode payload (%s): %w", id, s.codec.Name(), err)
		}
		codec = s.codec.Name()
	}
	if err := s.checkPayload(ctx, id, len(payload), len(stored)); err != nil {
		return nil, nil, err
	}
	return stored, codec, nil
}

// checkPayload refuses a stored payload the database would not take, before
// anything is sent: a codec can make it larger than the caller's payload
// (an encrypted token is about 4/3 of it), and on MySQL/MariaDB a value over
// max_allowed_packet sent in one packet makes the server drop the
// connection rather than report an error.
func (s *Snapshots) checkPayload(ctx context.Context, id string, plain, stored int) error {
	sd := s.q.sd
	var server int64
	if sd.payloadMaxQuery != "" {
		if stored <= snapPayloadLookupFloor {
			return nil
		}
		if server = s.serverMax.Load(); server == 0 {
			if err := s.h.Raw().QueryRowContext(ctx, sd.payloadMaxQuery).Scan(&server); err != nil {
				return fmt.Errorf("flowstore: snapshot %s: read the server's payload limit: %w", id, s.h.Classify(err))
			}
			s.serverMax.Store(server)
		}
	}
	limit, what := sd.payloadLimit(server, s.owned)
	if int64(stored) <= limit {
		return nil
	}
	size := fmt.Sprintf("%d bytes", stored)
	if s.codec != nil {
		size += fmt.Sprintf(" as stored by codec %q (%d before)", s.codec.Name(), plain)
	}
	return fmt.Errorf("%w: snapshot %s: the payload is %s; at most %d bytes fit (%s)", ErrTooLong, id, size, limit, what)
}

func (s *Snapshots) insertEventTypes(ctx context.Context, h Handle, id string, events []string) error {
	for chunk := range slices.Chunk(events, snapMaxInList/2) {
		var b strings.Builder
		b.WriteString(s.q.insertEventTypesHead)
		args := make([]any, 0, 2*len(chunk))
		for i, et := range chunk {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(s.q.insertEventTypesRow)
			args = append(args, id, et)
		}
		if _, err := h.Raw().ExecContext(ctx, h.Dialect().Rebind(b.String()), args...); err != nil {
			return fmt.Errorf("flowstore: snapshot %s: event types: %w", id, h.Classify(err))
		}
	}
	return nil
}

func (s *Snapshots) replaceEventTypes(ctx context.Context, h Handle, id string, events []string) error {
	if _, err := h.Raw().ExecContext(ctx, s.q.deleteEventTypes, id); err != nil {
		return fmt.Errorf("flowstore: snapshot %s: event types: %w", id, h.Classify(err))
	}
	return s.insertEventTypes(ctx, h, id, events)
}

// checkKey refuses a snapshot that names no row a write could address: nil,
// no id, or an id longer than the CHAR(36) column (such a row cannot exist,
// so Update would otherwise report it as a conflict).
func (s *Snapshots) checkKey(snap *Snapshot) error {
	if snap == nil {
		return fmt.Errorf("%w: nil snapshot", ErrInvalid)
	}
	if snap.ID == "" {
		return fmt.Errorf("%w: snapshot without an id", ErrInvalid)
	}
	return s.q.sd.checkLen("process_instances.id", snap.ID, 36)
}

// eventSet validates event types and removes duplicates (the table's key is
// instance + type), keeping the caller's order.
func (s *Snapshots) eventSet(types []string) ([]string, error) {
	out := make([]string, 0, len(types))
	seen := make(map[string]bool, len(types))
	for _, et := range types {
		if et == "" {
			return nil, fmt.Errorf("%w: empty event type", ErrInvalid)
		}
		if err := s.q.sd.checkLen("event_types.event_type", et, 256); err != nil {
			return nil, err
		}
		if !seen[et] {
			seen[et] = true
			out = append(out, et)
		}
	}
	return out, nil
}

// snapTrimID removes the blanks PostgreSQL and SQL Server pad CHAR(36) with when
// an id is shorter than 36 characters (Kogito's ids are UUIDs and never are).
func snapTrimID(id string) string { return strings.TrimRight(id, " ") }

func snapNullString(p *string) any {
	if p == nil {
		return nil
	}
	return *p
}

func snapStringPtr(ns sql.NullString) *string {
	if !ns.Valid {
		return nil
	}
	v := ns.String
	return &v
}

func snapCodecString(c any) string {
	if s, ok := c.(string); ok {
		return s
	}
	return ""
}

func snapToAny(ss []string) []any {
	out := make([]any, len(ss))
	for i, v := range ss {
		out[i] = v
	}
	return out
}
