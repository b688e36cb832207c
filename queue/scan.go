package queue

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/flowstore/flowstore/store"
)

// queryElements runs a statement that returns rows in the order of
// readColumns and scans them. It is the read side of the hot paths, which
// bypass bun. keys holds each row's id as the database returned it — the
// spelling the row is stored under — for a statement that must find
// exactly those rows again (a two-step claim's UPDATE).
func (s *bunStore) queryElements(ctx context.Context, q store.Querier, query string, args []any) (els []Element, keys []any, err error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var e Element
		var id idCol
		var status string
		var data, ref, msg, by, key sql.NullString
		var created, started, ended, retryAt timeCol
		var attempts sql.NullInt64
		if err = rows.Scan(&id, &e.QueueName, &status, &data, &ref, &created, &started, &ended, &msg, &by, &key, &attempts, &retryAt); err != nil {
			return nil, nil, err
		}
		e.ID, e.Status = id.id, Status(status)
		e.Data, e.Reference, e.Message, e.CreatedBy, e.Key = data.String, ref.String, msg.String, by.String, key.String
		e.CreatedDate, e.StartDate, e.EndDate = s.timeOf(created), s.timeOf(started), s.timeOf(ended)
		e.Attempts, e.RetryAt = int(attempts.Int64), s.timeOf(retryAt)
		els = append(els, e)
		keys = append(keys, id.raw)
	}
	return els, keys, rows.Err()
}

// idCol scans an id: a native UUID, or text in either spelling (32 hex
// digits as OpenOrchestrator writes them, or dashed as earlier flowstore
// releases did; uuid.UUID's Scan reads both). raw keeps the value as
// stored, text as a string.
type idCol struct {
	id  uuid.UUID
	raw any
}

func (c *idCol) Scan(v any) error {
	switch b := v.(type) {
	case []byte:
		if len(b) != 16 { // text, not a binary UUID
			v = string(b)
		} else {
			v = append([]byte(nil), b...)
		}
	}
	c.raw = v
	return c.id.Scan(v)
}

// timeCol scans a nullable naive time column (see bunStore.timeOf). The
// drivers hand back a time.Time whose wall clock is the stored one (in UTC
// or without a meaningful zone), or — SQLite, whose column types are only
// declarations — the stored text: SQLAlchemy's form
// "2026-12-05 23:47:13.123456", which flowstore writes too. Text with a
// UTC offset, as an earlier flowstore wrote before migration 0070
// converted it, names an instant and is read as one.
type timeCol struct {
	t       time.Time
	instant bool // t is an instant (text with an offset), not a wall clock
}

// naiveTextLayouts are the offset-less text forms of a naive time.
var naiveTextLayouts = []string{"2006-01-02 15:04:05.999999999", "2006-01-02T15:04:05.999999999"}

// offsetTextLayouts are the text forms with an offset (bun's, the driver's).
var offsetTextLayouts = []string{"2006-01-02 15:04:05.999999999-07:00", "2006-01-02 15:04:05.999999999Z07:00", time.RFC3339Nano}

func (c *timeCol) Scan(v any) error {
	*c = timeCol{}
	switch v := v.(type) {
	case nil:
	case time.Time:
		c.t = v
	case string:
		return c.parse(v)
	case []byte:
		return c.parse(string(v))
	default:
		return fmt.Errorf("cannot read a time from %T", v)
	}
	return nil
}

func (c *timeCol) parse(s string) error {
	for _, layout := range naiveTextLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			c.t = t
			return nil
		}
	}
	for _, layout := range offsetTextLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			c.t, c.instant = t, true
			return nil
		}
	}
	return fmt.Errorf("cannot read time %q", s)
}

// timeOf is the instant a scanned time column names, in UTC; NULL is the
// zero time.
func (s *bunStore) timeOf(c timeCol) time.Time {
	if c.instant {
		return store.UTC(c.t)
	}
	return s.fromNaive(c.t)
}

// normalise turns the naive times bun scanned into the instants they name.
func (s *bunStore) normalise(e *Element) {
	e.CreatedDate = s.fromNaive(e.CreatedDate)
	e.StartDate = s.fromNaive(e.StartDate)
	e.EndDate = s.fromNaive(e.EndDate)
	e.RetryAt = s.fromNaive(e.RetryAt)
}
