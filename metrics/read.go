package metrics

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"

	"github.com/flowstore/flowstore/queue"
	"github.com/flowstore/flowstore/store"
	"github.com/flowstore/flowstore/trigger"
)

// nextQueue is the name after ? in the queue index: one index seek per
// queue, instead of a DISTINCT over the whole table.
func nextQueue(d *store.Dialect) string {
	qn := d.Quote("queue_name")
	return d.Rebind("SELECT " + qn + " FROM " + d.Quote("Queues") + " WHERE " + qn + " > ? ORDER BY " + qn + d.Limit("1"))
}

// queueDepth counts one queue's elements per status, each count stopping at
// limit: a UNION of one capped subquery per status, each an index range of
// (queue_name, status, created_date, id). The ORDER BY follows the index
// (and is what SQL Server's OFFSET … FETCH needs).
func queueDepth(d *store.Dialect, limit int) string {
	var b strings.Builder
	for i, st := range queue.Statuses() {
		if i > 0 {
			b.WriteString(" UNION ALL ")
		}
		alias := "t" + strconv.Itoa(i)
		fmt.Fprintf(&b, "SELECT '%s' AS status, COUNT(*) AS n FROM (SELECT 1 AS one FROM %s WHERE %s = ? AND %s = '%s' ORDER BY %s, %s%s) %s",
			st, d.Quote("Queues"), d.Quote("queue_name"), d.Quote("status"), st,
			d.Quote("created_date"), d.Quote("id"), d.Limit(strconv.Itoa(limit)), alias)
	}
	return d.Rebind(b.String())
}

func (m *Metrics) readDepth(ctx context.Context, db *store.DB) ([]depthRow, error) {
	d := db.SQLDialect()
	q := db.SQL()
	var names []string
	next, last := nextQueue(d), ""
	for len(names) < m.maxQueues {
		var name string
		err := q.QueryRowContext(ctx, next, last).Scan(&name)
		if err == sql.ErrNoRows {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("queue names: %w", d.Classify(err))
		}
		names, last = append(names, name), name
	}
	depth := queueDepth(d, m.depthCap)
	statuses := queue.Statuses()
	out := make([]depthRow, 0, len(names)*len(statuses))
	args := make([]any, len(statuses))
	for _, name := range names {
		for i := range args {
			args[i] = name
		}
		rows, err := q.QueryContext(ctx, depth, args...)
		if err != nil {
			return nil, fmt.Errorf("queue %q: %w", name, d.Classify(err))
		}
		for rows.Next() {
			var r depthRow
			if err := rows.Scan(&r.status, &r.n); err != nil {
				rows.Close()
				return nil, fmt.Errorf("queue %q: %w", name, d.Classify(err))
			}
			r.queue = name
			out = append(out, r)
		}
		err = rows.Close()
		if err == nil {
			err = rows.Err()
		}
		if err != nil {
			return nil, fmt.Errorf("queue %q: %w", name, d.Classify(err))
		}
	}
	return out, nil
}

// readEngine reads WFO's engine_settings row: the exact running counter and
// the global lock.
func readEngine(ctx context.Context, db *store.DB) (running, locked float64, err error) {
	d := db.SQLDialect()
	var n int64
	var l bool
	err = db.SQL().QueryRowContext(ctx, "SELECT "+d.Quote("running_processes")+", "+d.Quote("global_lock")+" FROM "+d.Quote("engine_settings")).Scan(&n, &l)
	if err == sql.ErrNoRows {
		return 0, 0, nil // no engine ever ran; nothing is running
	}
	if err != nil {
		return 0, 0, d.Classify(err)
	}
	if l {
		locked = 1
	}
	return float64(n), locked, nil
}

// readHeartbeats reads the Schedulers rows (a few per installation: one
// per scheduler name).
func readHeartbeats(ctx context.Context, db *store.DB) (map[string]float64, error) {
	st, err := trigger.New(db)
	if err != nil {
		return nil, err
	}
	infos, err := st.Schedulers(ctx)
	if err != nil {
		return nil, err
	}
	now := db.Now()
	out := make(map[string]float64, len(infos))
	for _, s := range infos {
		out[s.MachineName] = max(0, now.Sub(s.LastUpdate).Seconds())
	}
	return out, nil
}
