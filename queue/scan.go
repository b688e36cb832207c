package queue

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/flowstore/flowstore/store"
)

// queryElements runs a statement that returns rows in the order of columns
// and scans them. It is the read side of the hot paths, which bypass bun.
func queryElements(ctx context.Context, q store.Querier, query string, args []any) ([]Element, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Element
	for rows.Next() {
		var e Element
		var status string
		var data, ref, msg, by sql.NullString
		var created, started, ended timeCol
		if err := rows.Scan(&e.ID, &e.QueueName, &status, &data, &ref, &created, &started, &ended, &msg, &by); err != nil {
			return nil, err
		}
		e.Status = Status(status)
		e.Data, e.Reference, e.Message, e.CreatedBy = data.String, ref.String, msg.String, by.String
		e.CreatedDate, e.StartDate, e.EndDate = created.t, started.t, ended.t
		out = append(out, e)
	}
	return out, rows.Err()
}

// timeCol scans a nullable time column. SQLite hands back the text bun
// wrote (its column types are only declarations), the other drivers a
// time.Time; both become UTC, NULL the zero time.
type timeCol struct{ t time.Time }

// sqliteTimeLayouts are the text forms a time may have in SQLite: bun's and
// the driver's (with offset), and the offset-less form SQLite's own
// CURRENT_TIMESTAMP and OpenOrchestrator's naive times use (read as UTC).
var sqliteTimeLayouts = []string{
	"2006-01-02 15:04:05.999999999-07:00",
	"2006-01-02 15:04:05.999999999Z07:00",
	time.RFC3339Nano,
	"2006-01-02 15:04:05.999999999",
	"2006-01-02T15:04:05.999999999",
}

func (c *timeCol) Scan(v any) error {
	switch v := v.(type) {
	case nil:
		c.t = time.Time{}
	case time.Time:
		c.t = store.UTC(v)
	case string:
		return c.parse(v)
	case []byte:
		return c.parse(string(v))
	default:
		return fmt.Errorf("queue: cannot read a time from %T", v)
	}
	return nil
}

func (c *timeCol) parse(s string) error {
	for _, layout := range sqliteTimeLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			c.t = store.UTC(t)
			return nil
		}
	}
	return fmt.Errorf("queue: cannot read time %q", s)
}

// normalise puts the times bun scanned into UTC (pgx returns local times).
func normalise(e *Element) {
	e.CreatedDate = store.UTC(e.CreatedDate)
	e.StartDate = store.UTC(e.StartDate)
	e.EndDate = store.UTC(e.EndDate)
}
