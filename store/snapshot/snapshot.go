package snapshot

import (
	"context"
	"fmt"
	"iter"
	"regexp"

	"github.com/uptrace/bun"

	"github.com/flowstore/flowstore/store"
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

	// ID is the process instance id (Kogito: a UUID; at most 36 of the
	// dialect's text units, not ending with a blank: the column is
	// CHAR(36)).
	ID string `bun:"id,pk"`
	// Payload is the serialised instance (Kogito: protobuf), any size the
	// dialect holds as stored, after the codec: about 1 GB on PostgreSQL
	// and SQLite, 2 GiB on SQL Server, the server's max_allowed_packet on
	// MySQL/MariaDB (16 MiB by default on MariaDB, 64 MiB on MySQL 8). A
	// larger one is store.ErrTooLong before anything is written.
	Payload []byte `bun:"payload,notnull"`
	// ProcessID is the process definition's id. It and ProcessVersion may
	// each be at most 450 characters on MySQL/MariaDB and SQL Server (their
	// columns are VARCHAR(450), NVARCHAR(450)) and 1300 bytes of UTF-8 on
	// PostgreSQL (the column is unbounded, but the index on process_id, id,
	// process_version takes entries of at most 2704 bytes); SQLite has no
	// limit. A longer one is store.ErrTooLong before anything is written.
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
	// instance). At most 255 of the dialect's text units, not ending with a
	// blank (Kogito's column is char(255) on PostgreSQL, which keeps no
	// trailing blanks). Reads do not fill it; see FindByBusinessKey and
	// Stat.
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

// display is the definition as an error message names it (see display).
func (p ProcessRef) display() string { return display(p.String()) }

// scope picks a statement of a [2] pair: [0] matches process_version = ?,
// [1] process_version IS NULL.
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

// Info describes a stored snapshot without its payload (Stat).
type Info struct {
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

// Store is Kogito's process-instance persistence with optimistic locking.
// Depend on the interface to substitute a fake in tests.
//
// Every method refuses a nil context, and applies the store's text rule to
// every id, process id and version, business key and event type it is
// given, on lookups as on writes (see the package documentation, "Input"):
// store.ErrInvalid or store.ErrTooLong, and nothing is written or read.
type Store interface {
	// Create inserts a new snapshot with version 0 (s.Version is set to 0),
	// its event types and its business key, atomically. An existing id or
	// business key is store.ErrDuplicate. Event types left for the id by a
	// create that failed outside a transaction (Kogito writes them first)
	// are deleted, as Kogito's create deletes them.
	Create(ctx context.Context, s *Snapshot) error
	// Get loads the snapshot with this id: payload (decoded), version,
	// process id and version; store.ErrNotFound if absent. BusinessKey and
	// EventTypes stay empty (see Stat).
	Get(ctx context.Context, id string) (*Snapshot, error)
	// Update is the compare-and-swap write: it stores s.Payload and version
	// s.Version+1 only if the row still has version s.Version, and then
	// sets s.Version to the new version. If another writer got there first,
	// or the row is gone, nothing is written and the error is a
	// *store.ConflictError (errors.Is store.ErrConflict) with the expected
	// and the current version (-1 when the row no longer exists). A non-nil
	// s.EventTypes replaces the stored set in the same transaction, after
	// the version check. ProcessID and ProcessVersion are not written (see
	// MigrateInstances). Bad input — no id, a payload or event type too long
	// for the dialect — is store.ErrInvalid or store.ErrTooLong, never a
	// conflict, and nothing is written.
	Update(ctx context.Context, s *Snapshot) error
	// UpdateUnchecked stores s.Payload without comparing versions — last
	// writer wins, as in Kogito with optimistic locking off — but still
	// bumps the version, so locking writers notice; s.Version is set to the
	// new version. A non-nil s.EventTypes replaces the stored set.
	// store.ErrNotFound if the row does not exist. Input is checked as by
	// Update.
	UpdateUnchecked(ctx context.Context, s *Snapshot) error
	// Delete removes the snapshot, its event types and its business key in
	// one transaction (store.ErrNotFound if absent): the end of an
	// instance's life.
	Delete(ctx context.Context, id string) error
	// Exists reports whether a snapshot with this id exists.
	Exists(ctx context.Context, id string) (bool, error)
	// Stat describes a snapshot — metadata, stored size, codec, business
	// key (its padding trimmed), event types — without loading or decoding
	// its payload, so it works for rows whose codec the store does not have.
	Stat(ctx context.Context, id string) (*Info, error)

	// IDs lists the ids of a process definition's snapshots in id order,
	// reading them a page at a time.
	IDs(ctx context.Context, p ProcessRef) ([]string, error)
	// All streams a process definition's snapshots in id order, a page
	// (WithPageSize) at a time.
	All(ctx context.Context, p ProcessRef) iter.Seq2[*Snapshot, error]
	// Count counts a process definition's snapshots.
	Count(ctx context.Context, p ProcessRef) (int64, error)
	// FindByBusinessKey loads the snapshot of p that business_key_mapping
	// maps key to (store.ErrNotFound if none, or if the key belongs to
	// another definition). A key Kogito's char(255) column holds padded
	// with blanks is found by the key without them.
	FindByBusinessKey(ctx context.Context, p ProcessRef, key string) (*Snapshot, error)
	// WaitingForEventType streams, like All, the snapshots of p waiting
	// for eventType (Kogito's event_types).
	WaitingForEventType(ctx context.Context, p ProcessRef, eventType string) iter.Seq2[*Snapshot, error]
	// MigrateInstances moves instances of from (all, or those with the given
	// ids) to the definition to, and reports how many moved.
	MigrateInstances(ctx context.Context, from, to ProcessRef, ids ...string) (int64, error)

	// WithTx returns the same store bound to s: its writes commit or roll
	// back with the session's other work.
	WithTx(s *store.Session) Store
}

// Option configures New.
type Option func(*options) error

type options struct {
	codec  Codec            // used for writes; nil: store payloads as given
	codecs map[string]Codec // used for reads, by name
	page   int
}

// WithCodec makes the store encode every payload it writes with c (and
// record c's name in the row). Off by default.
func WithCodec(c Codec) Option {
	return func(o *options) error {
		if err := checkCodec(c); err != nil {
			return err
		}
		o.codec = c
		o.codecs[c.Name()] = c
		return nil
	}
}

// WithReadCodecs lets the store read rows written with other codecs (an old
// encryption scheme being phased out, say) without writing with them.
func WithReadCodecs(cs ...Codec) Option {
	return func(o *options) error {
		for _, c := range cs {
			if err := checkCodec(c); err != nil {
				return err
			}
			if _, taken := o.codecs[c.Name()]; !taken {
				o.codecs[c.Name()] = c
			}
		}
		return nil
	}
}

// WithPageSize sets how many snapshots All, WaitingForEventType and IDs
// read per query (default 32): the most All holds in memory at once.
func WithPageSize(n int) Option {
	return func(o *options) error {
		if n < 1 || n > 10000 {
			return fmt.Errorf("%w: page size %d (want 1-10000)", store.ErrInvalid, n)
		}
		o.page = n
		return nil
	}
}

var codecName = regexp.MustCompile(`^[A-Za-z0-9._:-]{1,64}$`)

func checkCodec(c Codec) error {
	if c == nil {
		return fmt.Errorf("%w: nil codec", store.ErrInvalid)
	}
	if !codecName.MatchString(c.Name()) {
		return fmt.Errorf("%w: codec name %q must be 1-64 characters of [A-Za-z0-9._:-]", store.ErrInvalid, c.Name())
	}
	return nil
}
