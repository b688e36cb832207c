package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/uptrace/bun"
)

// Constant is a row of OpenOrchestrator's Constants table: a named value
// robots read at run time (a URL, a folder, a switch).
type Constant struct {
	bun.BaseModel `bun:"table:Constants"`
	// Name is the key (Constants.name), at most ConstantNameMax characters.
	Name string `bun:"name,pk"`
	// Value is the text robots read (Constants.value), at most
	// ConstantValueMax characters.
	Value string `bun:"value"`
	// ChangedAt is when the value was last written (Constants.changed_at),
	// in UTC, by the store clock of the writer.
	ChangedAt time.Time `bun:"changed_at"`
}

// Column limits of Constants (varchar(100), varchar(1000)).
const (
	ConstantNameMax  = 100
	ConstantValueMax = 1000
)

// ConstantStore reads and writes Constants. changed_at always comes from the
// store clock (DB.Now), never from the caller or the database.
type ConstantStore interface {
	// Get returns the constant, or an error matching ErrNotFound.
	Get(ctx context.Context, name string) (*Constant, error)
	// Set creates the constant or replaces its value (an upsert, atomic on
	// every dialect).
	Set(ctx context.Context, name, value string) error
	// Create adds a new constant; ErrDuplicate if the name exists.
	Create(ctx context.Context, name, value string) error
	// Update replaces the value of an existing constant; ErrNotFound if absent.
	Update(ctx context.Context, name, value string) error
	// Delete removes the constant; ErrNotFound if absent.
	Delete(ctx context.Context, name string) error
	// List returns every constant ordered by name.
	List(ctx context.Context) ([]Constant, error)
}

// Constants is the bun implementation of ConstantStore.
type Constants struct {
	h   Handle
	sql recordSQL
}

var _ ConstantStore = (*Constants)(nil)

// NewConstants returns the Constants store of db.
func NewConstants(db *DB) *Constants {
	return &Constants{h: db.Handle(), sql: recordsFor(db.Dialect())}
}

// WithTx returns the store bound to s: its writes commit with s.
func (c *Constants) WithTx(s *Session) *Constants {
	return &Constants{h: s.Handle(), sql: c.sql}
}

// check refuses a name or value that is empty or longer than its column, so
// nothing is written and the error says which limit.
func (c *Constants) check(name, value string) error {
	if name == "" {
		return fmt.Errorf("%w: constant name is empty", ErrInvalid)
	}
	if n := c.sql.columnLen(name); n > ConstantNameMax {
		return fmt.Errorf("%w: constant name is %d characters; Constants.name holds %d", ErrTooLong, n, ConstantNameMax)
	}
	if n := c.sql.columnLen(value); n > ConstantValueMax {
		return fmt.Errorf("%w: constant %q: value is %d characters; Constants.value holds %d", ErrTooLong, name, n, ConstantValueMax)
	}
	return nil
}

// Get returns the constant, or an error matching ErrNotFound.
func (c *Constants) Get(ctx context.Context, name string) (*Constant, error) {
	var k Constant
	err := c.h.IDB().NewSelect().Model(&k).Where("name = ?", name).Scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("flowstore: constant %q: %w", name, c.h.Classify(err))
	}
	k.ChangedAt = UTC(k.ChangedAt)
	return &k, nil
}

// Set creates the constant or replaces its value.
func (c *Constants) Set(ctx context.Context, name, value string) error {
	if err := c.check(name, value); err != nil {
		return err
	}
	_, err := c.h.Raw().ExecContext(ctx, c.sql.upsertConstant, name, value, c.h.Now())
	if err != nil {
		return fmt.Errorf("flowstore: set constant %q: %w", name, c.h.Classify(err))
	}
	return nil
}

// Create adds a new constant; ErrDuplicate if the name exists. Inside a
// session the insert runs in a savepoint, so a duplicate leaves the session
// usable (PostgreSQL would otherwise abort the whole transaction).
func (c *Constants) Create(ctx context.Context, name, value string) error {
	if err := c.check(name, value); err != nil {
		return err
	}
	err := c.h.InTx(ctx, func(ctx context.Context, h Handle) error {
		_, err := h.Raw().ExecContext(ctx, c.sql.insertConstant, name, value, h.Now())
		return h.Classify(err)
	})
	if err != nil {
		return fmt.Errorf("flowstore: create constant %q: %w", name, err)
	}
	return nil
}

// Update replaces the value of an existing constant; ErrNotFound if absent.
//
// On MySQL/MariaDB the rows-affected count must be the rows matched, which
// Open arranges (clientFoundRows=true). On a handle adopted with New that
// counts changed rows instead, an update that writes the value and
// changed_at a row already has reports 0; Update then reads the row back and
// succeeds if it holds exactly what was to be written.
func (c *Constants) Update(ctx context.Context, name, value string) error {
	if err := c.check(name, value); err != nil {
		return err
	}
	now := c.h.Now()
	res, err := c.h.Raw().ExecContext(ctx, c.sql.updateConstant, value, now, name)
	err = rowsChanged(c.h, res, err, "update constant", name)
	if errors.Is(err, ErrNotFound) && c.sql.countsChangedRows {
		if k, gerr := c.Get(ctx, name); gerr == nil && k.Value == value && k.ChangedAt.Equal(now) {
			return nil
		}
	}
	return err
}

// Delete removes the constant; ErrNotFound if absent.
func (c *Constants) Delete(ctx context.Context, name string) error {
	res, err := c.h.Raw().ExecContext(ctx, c.sql.deleteConstant, name)
	return rowsChanged(c.h, res, err, "delete constant", name)
}

// List returns every constant ordered by name.
func (c *Constants) List(ctx context.Context) ([]Constant, error) {
	var out []Constant
	if err := c.h.IDB().NewSelect().Model(&out).Order("name").Scan(ctx); err != nil {
		return nil, fmt.Errorf("flowstore: list constants: %w", c.h.Classify(err))
	}
	for i := range out {
		out[i].ChangedAt = UTC(out[i].ChangedAt)
	}
	return out, nil
}

// rowsChanged turns the result of a single-row UPDATE or DELETE into nil, or
// ErrNotFound when no row matched.
func rowsChanged(h Handle, res interface{ RowsAffected() (int64, error) }, err error, what, name string) error {
	if err != nil {
		return fmt.Errorf("flowstore: %s %q: %w", what, name, h.Classify(err))
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("flowstore: %s %q: %w", what, name, err)
	}
	if n == 0 {
		return fmt.Errorf("flowstore: %s %q: %w", what, name, ErrNotFound)
	}
	return nil
}
