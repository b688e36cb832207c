package constant

import (
	"context"
	"time"

	"github.com/uptrace/bun"

	"github.com/flowstore/flowstore/store"
)

// Constant is a row of OpenOrchestrator's Constants table: a named value
// robots read at run time (a URL, a folder, a switch).
type Constant struct {
	bun.BaseModel `bun:"table:Constants"`
	// Name is the key (Constants.name), at most NameMax characters.
	Name string `bun:"name,pk"`
	// Value is the text robots read (Constants.value), at most ValueMax
	// characters.
	Value string `bun:"value"`
	// ChangedAt is when the value was last written, by the clock of the
	// writer. Constants.changed_at holds it as OpenOrchestrator does, the
	// wall clock of the DB's zone (store.DB.Naive); the store reads it
	// back as that instant, in UTC.
	ChangedAt time.Time `bun:"changed_at"`
}

// Column limits of Constants (varchar(100), varchar(1000)), in the
// dialect's text units (UTF-16 code units on SQL Server).
const (
	NameMax  = 100
	ValueMax = 1000
)

// Store reads and writes Constants. changed_at always comes from the store
// clock (store.DB.Now), never from the caller or the database. Names and
// values, written or looked up, go through the one text rule
// (store.Dialect.CheckText).
type Store interface {
	// Get returns the constant, or an error matching store.ErrNotFound.
	Get(ctx context.Context, name string) (*Constant, error)
	// Set creates the constant or replaces its value (an upsert, atomic on
	// every dialect).
	Set(ctx context.Context, name, value string) error
	// Create adds a new constant; store.ErrDuplicate if the name exists.
	Create(ctx context.Context, name, value string) error
	// Update replaces the value of an existing constant;
	// store.ErrNotFound if there is none.
	Update(ctx context.Context, name, value string) error
	// Delete removes the constant; store.ErrNotFound if there is none.
	Delete(ctx context.Context, name string) error
	// List returns every constant ordered by name. The table holds
	// configuration, a few hundred rows at most, so it has no paging.
	List(ctx context.Context) ([]Constant, error)
	// WithTx returns the same store bound to s: its writes commit or roll
	// back with the session's other work.
	WithTx(s *store.Session) Store
}
