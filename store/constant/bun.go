package constant

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/flowstore/flowstore/store"
)

// bunStore is the Store on bun, for every dialect.
type bunStore struct {
	h store.Handle
	d *store.Dialect
	q *stmts
}

var _ Store = (*bunStore)(nil)

// New returns the Constants store of db. It renders the package's
// statements for db's dialect and does no I/O.
func New(db *store.DB) (Store, error) {
	if db == nil {
		return nil, fmt.Errorf("constant: new store: %w: nil *store.DB", store.ErrInvalid)
	}
	return &bunStore{h: db.Handle(), d: db.SQLDialect(), q: newStmts(db.SQLDialect())}, nil
}

// WithTx implements Store.
func (b *bunStore) WithTx(s *store.Session) Store {
	return &bunStore{h: s.Handle(), d: b.d, q: b.q}
}

// check refuses a name or value that is empty, longer than its column or
// not text the column holds exactly (store.Dialect.CheckText: invalid
// UTF-8, NUL), before anything is written.
func (b *bunStore) check(name, value string) error {
	if err := b.checkName(name); err != nil {
		return err
	}
	return b.d.CheckText("Constants.value", value, ValueMax)
}

// checkName refuses a name no row can have, by the rule the writes apply:
// lookups (Get, Delete) refuse what Set would, the same way, instead of
// sending it to the database.
func (b *bunStore) checkName(name string) error {
	if name == "" {
		return fmt.Errorf("%w: empty name", store.ErrInvalid)
	}
	return b.d.CheckText("Constants.name", name, NameMax)
}

// now is the store clock's time and the value that stores it in
// changed_at: the wall clock of the DB's zone, as OpenOrchestrator's
// datetime.now() (DB.Naive).
func (b *bunStore) now() (time.Time, any) {
	now := b.h.Now()
	return now, b.h.DB().Naive(now)
}

// Get implements Store.
func (b *bunStore) Get(ctx context.Context, name string) (*Constant, error) {
	k, err := b.getChecked(ctx, name)
	if err != nil {
		return nil, fmt.Errorf("constant: get %q: %w", name, err)
	}
	return k, nil
}

func (b *bunStore) getChecked(ctx context.Context, name string) (*Constant, error) {
	if err := store.CheckContext(ctx); err != nil {
		return nil, err
	}
	if err := b.checkName(name); err != nil {
		return nil, err
	}
	return b.get(ctx, name)
}

// get reads a row by a name checkName has passed.
func (b *bunStore) get(ctx context.Context, name string) (*Constant, error) {
	var k Constant
	if err := b.h.IDB().NewSelect().Model(&k).Where("name = ?", name).Scan(ctx); err != nil {
		return nil, b.h.Classify(err)
	}
	k.ChangedAt = b.fromNaive(k.ChangedAt)
	return &k, nil
}

// fromNaive reads a scanned changed_at: the instant its wall clock names in
// the DB's zone, in UTC.
func (b *bunStore) fromNaive(t time.Time) time.Time {
	return store.UTC(b.h.DB().FromNaive(t))
}

// Set implements Store.
func (b *bunStore) Set(ctx context.Context, name, value string) error {
	if err := store.CheckContext(ctx); err != nil {
		return fmt.Errorf("constant: set %q: %w", name, err)
	}
	if err := b.check(name, value); err != nil {
		return fmt.Errorf("constant: set %q: %w", name, err)
	}
	_, changedAt := b.now()
	if _, err := b.h.Raw().ExecContext(ctx, b.q.upsert, name, value, changedAt); err != nil {
		return fmt.Errorf("constant: set %q: %w", name, b.h.Classify(err))
	}
	return nil
}

// Create implements Store. Inside a session the insert runs in a
// savepoint, so a duplicate leaves the session usable (PostgreSQL would
// otherwise abort the whole transaction).
func (b *bunStore) Create(ctx context.Context, name, value string) error {
	if err := store.CheckContext(ctx); err != nil {
		return fmt.Errorf("constant: create %q: %w", name, err)
	}
	if err := b.check(name, value); err != nil {
		return fmt.Errorf("constant: create %q: %w", name, err)
	}
	_, changedAt := b.now()
	err := b.h.InTx(ctx, func(ctx context.Context, h store.Handle) error {
		_, err := h.Raw().ExecContext(ctx, b.q.insert, name, value, changedAt)
		return h.Classify(err)
	})
	if err != nil {
		return fmt.Errorf("constant: create %q: %w", name, err)
	}
	return nil
}

// Update implements Store.
//
// Where rows affected may count changed rather than matched rows
// (store.FeatureCountsChangedRows: MySQL on a pool adopted without
// clientFoundRows=true), an update that writes the value and changed_at a
// row already has reports 0; Update then reads the row back and succeeds if
// it holds exactly what was to be written.
func (b *bunStore) Update(ctx context.Context, name, value string) error {
	if err := store.CheckContext(ctx); err != nil {
		return fmt.Errorf("constant: update %q: %w", name, err)
	}
	if err := b.check(name, value); err != nil {
		return fmt.Errorf("constant: update %q: %w", name, err)
	}
	now, changedAt := b.now()
	res, err := b.h.Raw().ExecContext(ctx, b.q.update, value, changedAt, name)
	err = oneRow(b.h, res, err)
	if errors.Is(err, store.ErrNotFound) && b.d.Has(store.FeatureCountsChangedRows) {
		// Compared as the wall clocks stored: in the hour a fall-back
		// repeats, the instant read back may be the other one of the two.
		db := b.h.DB()
		if k, gerr := b.get(ctx, name); gerr == nil && k.Value == value && db.Naive(k.ChangedAt) == db.Naive(now) {
			return nil
		}
	}
	if err != nil {
		return fmt.Errorf("constant: update %q: %w", name, err)
	}
	return nil
}

// Delete implements Store.
func (b *bunStore) Delete(ctx context.Context, name string) error {
	if err := b.delete(ctx, name); err != nil {
		return fmt.Errorf("constant: delete %q: %w", name, err)
	}
	return nil
}

func (b *bunStore) delete(ctx context.Context, name string) error {
	if err := store.CheckContext(ctx); err != nil {
		return err
	}
	if err := b.checkName(name); err != nil {
		return err
	}
	res, err := b.h.Raw().ExecContext(ctx, b.q.delete, name)
	return oneRow(b.h, res, err)
}

// List implements Store.
func (b *bunStore) List(ctx context.Context) ([]Constant, error) {
	if err := store.CheckContext(ctx); err != nil {
		return nil, fmt.Errorf("constant: list: %w", err)
	}
	var out []Constant
	if err := b.h.IDB().NewSelect().Model(&out).Order("name").Scan(ctx); err != nil {
		return nil, fmt.Errorf("constant: list: %w", b.h.Classify(err))
	}
	for i := range out {
		out[i].ChangedAt = b.fromNaive(out[i].ChangedAt)
	}
	return out, nil
}

// oneRow turns the result of a single-row UPDATE or DELETE into nil, or
// store.ErrNotFound when no row matched.
func oneRow(h store.Handle, res sql.Result, err error) error {
	if err != nil {
		return h.Classify(err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return h.Classify(err)
	}
	if n == 0 {
		return store.ErrNotFound
	}
	return nil
}
