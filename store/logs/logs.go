package logs

import (
	"context"
	"fmt"
	"iter"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/flowstore/flowstore/store"
)

// Level is a level as OpenOrchestrator stores it in Logs.log_level: the
// upper-case member name of its LogLevel enum.
type Level string

// The three levels OpenOrchestrator knows.
const (
	LevelTrace Level = "TRACE"
	LevelInfo  Level = "INFO"
	LevelError Level = "ERROR"
)

// ParseLevel accepts a level in any case ("trace", "Info", "ERROR").
func ParseLevel(s string) (Level, error) {
	l := Level(strings.ToUpper(strings.TrimSpace(s)))
	if err := l.Validate(); err != nil {
		return "", err
	}
	return l, nil
}

// Validate reports store.ErrInvalid for anything but the three stored
// levels.
func (l Level) Validate() error {
	switch l {
	case LevelTrace, LevelInfo, LevelError:
		return nil
	}
	return fmt.Errorf("%w: log level %q (want TRACE, INFO or ERROR)", store.ErrInvalid, string(l))
}

// String returns the stored form.
func (l Level) String() string { return string(l) }

// Entry is a row of OpenOrchestrator's Logs table.
type Entry struct {
	// The alias is the one bun gave the table when the type was called
	// LogEntry: the rendered SQL (and its golden files) stays the same.
	bun.BaseModel `bun:"table:Logs,alias:log_entry"`
	// ID is the row's key (Logs.id). Write gives a zero ID a new UUID (v7,
	// so the ids of one writer grow with time).
	ID uuid.UUID `bun:"id,pk"`
	// Time is when the entry was logged. Logs.log_time holds it as
	// OpenOrchestrator does, the wall clock of the DB's zone without a zone
	// (store.DB.Naive); reads return the instant it names, in UTC to the
	// microsecond (a wall clock of the hour a fall-back repeats names two,
	// and reads as one of them). Write gives a zero Time the store clock's
	// time.
	Time time.Time `bun:"log_time"`
	// Level is TRACE, INFO or ERROR (Logs.log_level).
	Level Level `bun:"log_level"`
	// ProcessName names the process that logged (Logs.process_name), at
	// most ProcessNameMax of the dialect's text units.
	ProcessName string `bun:"process_name"`
	// Message is the text (Logs.log_message). Write keeps the first and last
	// 4000 units of a longer one (see MessageMax).
	Message string `bun:"log_message"`
}

// Column limits of Logs, in the dialect's text units (characters, or
// UTF-16 code units on SQL Server).
const (
	ProcessNameMax = 100
	// MessageMax is the length of Logs.log_message. A longer message keeps
	// its first 4000 and last 4000 units, as OpenOrchestrator does (the one
	// place flowstore truncates instead of refusing).
	MessageMax = 8000
)

// Filter selects log rows. Zero fields do not filter.
type Filter struct {
	// From and To bound log_time, both inclusive. Like OpenOrchestrator,
	// the store compares their wall clocks in the DB's zone with the wall
	// clocks stored (across a fall-back the bounds are wall clocks, not
	// instants).
	From, To time.Time
	// ProcessName matches exactly. It is held to the text rule of the
	// column (store.Dialect.CheckText): a name no row can have is
	// store.ErrInvalid or store.ErrTooLong, as Write says.
	ProcessName string
	// Level matches exactly.
	Level Level
	// Search matches messages containing it (LIKE '%…%', wildcards in it
	// escaped); invalid UTF-8 or a NUL in it is store.ErrInvalid. Case
	// sensitivity is the database's: PostgreSQL compares
	// case-sensitively, SQLite ignores ASCII case, SQL Server and MySQL follow
	// the column's collation (case-insensitive by default).
	Search string
	// Offset skips rows (Query only; All refuses it).
	Offset int
	// Limit caps the rows returned. For Query, 0 means store.DefaultLimit;
	// for All, which streams every matching row, 0 means no cap. Negative
	// is store.ErrInvalid.
	Limit int
}

// Page is one page of a query and the number of rows matching in all.
type Page struct {
	// Entries are the page's rows, newest first.
	Entries []Entry
	// Total is how many rows match the filter, ignoring Offset and Limit.
	Total int
}

// Store writes and reads Logs.
type Store interface {
	// Write inserts one entry. A zero ID gets a new UUID (v7), a zero Time
	// the store clock's time. Text that is not valid UTF-8 or contains NUL
	// is refused with store.ErrInvalid.
	Write(ctx context.Context, e Entry) error
	// WriteBatch inserts entries in multi-row statements (as many rows per
	// statement as the dialect's parameter limit allows, at most 1000),
	// atomically. Every entry is checked before anything is written; the
	// caller's slice is not modified.
	WriteBatch(ctx context.Context, entries []Entry) error
	// Query returns the filtered rows newest first by log_time as stored
	// (ties by id), the page that Offset and Limit select, and the total
	// count.
	Query(ctx context.Context, f Filter) (Page, error)
	// All streams every filtered row newest first (ties by id), in keyset
	// pages, at most Limit rows when Limit is set.
	All(ctx context.Context, f Filter) iter.Seq2[Entry, error]
	// ProcessNames returns the distinct process names, sorted.
	ProcessNames(ctx context.Context) ([]string, error)
	// Prune deletes rows whose log_time, a wall clock of the DB's zone, is
	// before before's, and says how many. A zero before deletes nothing.
	Prune(ctx context.Context, before time.Time) (int64, error)
	// WithTx returns the same store bound to s: its writes commit or roll
	// back with the session's other work.
	WithTx(s *store.Session) Store
}
