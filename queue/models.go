package queue

import (
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/flowstore/flowstore/store"
)

// Status is the state of a queue element, stored exactly as OpenOrchestrator
// stores it: the upper-case member name of its QueueStatus enum.
type Status string

// The five statuses OpenOrchestrator knows. A worker moves an element from
// StatusNew to StatusInProgress (Claim) and on to one of the three final
// statuses (Finish).
const (
	StatusNew        Status = "NEW"
	StatusInProgress Status = "IN_PROGRESS"
	StatusDone       Status = "DONE"
	StatusFailed     Status = "FAILED"
	StatusAbandoned  Status = "ABANDONED"
)

// Statuses returns every status in lifecycle order.
func Statuses() []Status {
	return []Status{StatusNew, StatusInProgress, StatusDone, StatusFailed, StatusAbandoned}
}

// String returns the stored name.
func (s Status) String() string { return string(s) }

// Final reports whether s ends an element's life (DONE, FAILED, ABANDONED).
func (s Status) Final() bool {
	return s == StatusDone || s == StatusFailed || s == StatusAbandoned
}

// Validate returns an error wrapping store.ErrInvalid for a status
// OpenOrchestrator does not know.
func (s Status) Validate() error {
	switch s {
	case StatusNew, StatusInProgress, StatusDone, StatusFailed, StatusAbandoned:
		return nil
	}
	return fmt.Errorf("%w: unknown queue status %q (want NEW, IN_PROGRESS, DONE, FAILED or ABANDONED)", store.ErrInvalid, string(s))
}

// ParseStatus accepts a stored name ("IN_PROGRESS") or OpenOrchestrator's
// display value ("In Progress"), in any case.
func ParseStatus(name string) (Status, error) {
	norm := make([]byte, 0, len(name))
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case c >= 'a' && c <= 'z':
			c -= 'a' - 'A'
		case c == ' ' || c == '-':
			c = '_'
		}
		norm = append(norm, c)
	}
	s := Status(norm)
	if err := s.Validate(); err != nil {
		return "", err
	}
	return s, nil
}

// Column lengths of the Queues table. Longer values are refused with
// store.ErrTooLong before anything is written.
const (
	MaxQueueName = 100
	MaxReference = 100
	MaxData      = 2000
	MaxMessage   = 1000
	MaxCreatedBy = 100
)

// Element is one row of OpenOrchestrator's Queues table. All queues share the
// table; QueueName tells them apart.
//
// The nullable text columns (data, reference, message, created_by) map to
// plain strings: NULL reads as "" and "" is written as NULL, as
// OpenOrchestrator writes None. Times are UTC; a NULL start or end date is
// the zero time.
type Element struct {
	bun.BaseModel `bun:"table:Queues"`

	ID          uuid.UUID `bun:"id,pk"`
	QueueName   string    `bun:"queue_name,notnull"`
	Status      Status    `bun:"status,notnull"`
	Data        string    `bun:"data,nullzero"`
	Reference   string    `bun:"reference,nullzero"`
	CreatedDate time.Time `bun:"created_date,notnull"`
	StartDate   time.Time `bun:"start_date,nullzero"`
	EndDate     time.Time `bun:"end_date,nullzero"`
	Message     string    `bun:"message,nullzero"`
	CreatedBy   string    `bun:"created_by,nullzero"`
}

// NewElement is what Enqueue needs to create an element: everything else
// (id, status NEW, created_date from the store's clock) is set by the store.
type NewElement struct {
	Reference string
	Data      string
	CreatedBy string
}

// Result is how a worker finishes an element: the final status and an
// optional message.
type Result struct {
	// Status is StatusDone, StatusFailed or StatusAbandoned.
	Status Status
	// Message replaces the element's message when it is not empty; an empty
	// Message leaves the stored one alone (OpenOrchestrator's rule).
	Message string
	// TruncateMessage cuts a Message longer than MaxMessage characters to
	// fit, instead of refusing it with store.ErrTooLong. A worker recording
	// an error text it does not control may want this; nothing else is ever
	// cut.
	TruncateMessage bool
}

// Done is a Result that marks an element DONE with an optional message.
func Done(message string) Result { return Result{Status: StatusDone, Message: message} }

// Failed is a Result that marks an element FAILED with an optional message.
func Failed(message string) Result { return Result{Status: StatusFailed, Message: message} }

// Abandoned is a Result that marks an element ABANDONED with an optional
// message.
func Abandoned(message string) Result { return Result{Status: StatusAbandoned, Message: message} }

// Filter selects elements for List. The zero Filter lists the first 100
// elements of every queue, oldest first.
type Filter struct {
	// Queue restricts the list to one queue ("" for all).
	Queue string
	// Status restricts the list to one status ("" for all).
	Status Status
	// Reference matches the reference exactly ("" for any).
	Reference string
	// From and To bound created_date, both inclusive; a zero time is open.
	From, To time.Time
	// Search keeps elements whose reference starts with the term, or whose
	// data or message contains it (OpenOrchestrator's search box). Whether
	// the match ignores case follows the column's collation: case-sensitive
	// on PostgreSQL, case-insensitive on SQL Server and MySQL by default, and
	// for ASCII letters on SQLite.
	Search string
	// OrderBy is a column name of the Queues table; "" means created_date.
	// The element id always breaks ties, so pages are stable.
	OrderBy string
	// Desc sorts descending.
	Desc bool
	// Offset skips that many elements; Limit returns at most that many
	// (0 means 100, OpenOrchestrator's page size).
	Offset, Limit int
	// Count asks for the number of all matching elements, regardless of
	// Offset and Limit (a second query with the same filters).
	Count bool
}

// Page is one page of List.
type Page struct {
	Elements []Element
	// Total is the number of elements matching the filter when
	// Filter.Count was set, else -1.
	Total int
}

// Counts is the number of elements per queue and status, as
// OpenOrchestrator's get_queue_count returns it. A queue exists only while it
// has elements, so only queues with rows appear.
type Counts map[string]map[Status]int
