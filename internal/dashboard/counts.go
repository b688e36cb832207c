package dashboard

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/flowstore/flowstore/orchestrator/pipeline"
	"github.com/flowstore/flowstore/queue"
)

const (
	// maxQueues caps the queues the overview lists.
	maxQueues = 100
	// countCap is where an overview count stops and shows "1,000+": an
	// operator needs to know that a queue is long, not by how much, and each
	// count reads at most countCap+1 index entries.
	countCap = 1000
	// countWorkers is how many count queries the overview runs at once. The
	// counts are independent index range scans; a few in parallel hide the
	// round trips without taking the whole pool.
	countWorkers = 4
	// runningRuns is how many running pipeline runs the overview lists.
	runningRuns = 10
)

// queueCount is one queue's capped counts: by status (in queueStatuses
// order) and DONE with end_date in the last hour.
type queueCount struct {
	Name     string
	ByStatus []int
	DoneHour int
}

// counts is what the overview caches: the per-queue counts and when they
// were read.
type counts struct {
	Queues []queueCount
	More   bool // more than maxQueues queues; the first are counted
	At     time.Time
}

// countCache keeps the overview's counts for Options.CountsMaxAge, so that
// many open overviews (or reloads) cost one set of count queries per
// period. One refresh runs at a time; requests arriving meanwhile wait for
// it and share its result. An action through the dashboard invalidates
// it, so the operator sees the effect of what they just did.
type countCache struct {
	mu sync.Mutex // held while reading or refreshing c
	c  *counts
}

// invalidate drops the cached counts (after a refresh in progress ends).
func (cc *countCache) invalidate() {
	cc.mu.Lock()
	cc.c = nil
	cc.mu.Unlock()
}

// overviewCounts returns counts no older than Options.CountsMaxAge (read
// now when it is negative).
func (h *handler) overviewCounts(ctx context.Context) (*counts, error) {
	if h.o.CountsMaxAge < 0 {
		return h.readCounts(ctx)
	}
	cc := &h.counts
	cc.mu.Lock()
	defer cc.mu.Unlock()
	if cc.c != nil && h.db.Now().Sub(cc.c.At) < h.o.CountsMaxAge {
		return cc.c, nil
	}
	c, err := h.readCounts(ctx)
	if err != nil {
		return nil, err
	}
	cc.c = c
	return c, nil
}

// readCounts reads the overview's per-queue counts, bounded: the queue
// names come from one index seek each (the next name after the last), and
// each count reads at most countCap+1 entries of an index — (queue_name,
// status, created_date, id) for the counts by status, (queue_name, status,
// end_date) for the work done in the last hour — so a queue of millions
// costs what one of a thousand does. queue.Store.Counts groups the whole
// table instead. One statement reads a queue's six counts (one scalar
// subquery each, so one round trip); the queues run countWorkers at a time.
//
// These reads belong in queue.Store (as QueueNames and CountCapped); they
// are here, read-only and built only from the dialect layer, until the
// queue package has them.
func (h *handler) readCounts(ctx context.Context) (*counts, error) {
	d := h.db.SQLDialect()
	db := h.db.SQL()
	now := h.db.Now()
	tbl, qn, st, cd, ed := d.Quote("Queues"), d.Quote("queue_name"), d.Quote("status"), d.Quote("created_date"), d.Quote("end_date")
	next := d.Rebind("SELECT MIN(" + qn + ") FROM " + tbl + " WHERE " + qn + " > ?")
	limit := d.Limit(fmt.Sprint(countCap + 1))
	var sel []string
	for i := range queueStatuses {
		sel = append(sel, fmt.Sprintf("(SELECT COUNT(*) FROM (SELECT %s FROM %s WHERE %s = ? AND %s = ? ORDER BY %s%s) s%d)", cd, tbl, qn, st, cd, limit, i))
	}
	sel = append(sel, fmt.Sprintf("(SELECT COUNT(*) FROM (SELECT %s FROM %s WHERE %s = ? AND %s = ? AND %s >= ? ORDER BY %s%s) h)", ed, tbl, qn, st, ed, ed, limit))
	// A SELECT without FROM: every dialect the store supports takes one.
	countQuery := d.Rebind("SELECT " + strings.Join(sel, ", "))
	c := &counts{At: now}
	after := ""
	for {
		var name sql.NullString
		if err := db.QueryRowContext(ctx, next, after).Scan(&name); err != nil {
			return nil, d.Classify(err)
		}
		if !name.Valid {
			break
		}
		if len(c.Queues) == maxQueues {
			c.More = true
			break
		}
		c.Queues = append(c.Queues, queueCount{Name: name.String, ByStatus: make([]int, len(queueStatuses))})
		after = name.String
	}
	hourAgo := h.db.Naive(now.Add(-time.Hour))
	count := func(qc *queueCount) error {
		var args, dst []any
		for i, s := range queueStatuses {
			args = append(args, qc.Name, string(s))
			dst = append(dst, &qc.ByStatus[i])
		}
		args = append(args, qc.Name, string(queue.StatusDone), hourAgo)
		dst = append(dst, &qc.DoneHour)
		return db.QueryRowContext(ctx, countQuery, args...).Scan(dst...)
	}
	// One job per queue; each writes its own row.
	jobs := make(chan *queueCount)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	errs := make(chan error, countWorkers)
	var wg sync.WaitGroup
	for range min(countWorkers, len(c.Queues)) {
		wg.Go(func() {
			for qc := range jobs {
				if err := count(qc); err != nil {
					errs <- d.Classify(err)
					cancel()
					return
				}
			}
		})
	}
feed:
	for i := range c.Queues {
		select {
		case jobs <- &c.Queues[i]:
		case <-ctx.Done():
			break feed
		}
	}
	close(jobs)
	wg.Wait()
	select {
	case err := <-errs:
		return nil, err
	default:
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return c, nil
}

// runningRun is one running pipeline run on the overview.
type runningRun struct {
	ID                              int64
	Namespace, Repository, Workflow string
	Version                         string
	Sequence                        int64
}

// runningPipelineRuns reads the newest running (RunDoing) pipeline runs, at
// most runningRuns, and whether there are more: one range of the index on
// workflow_log (run_state, id), read newest first. The pipeline store
// lists runs per workflow only; this read belongs there as well.
func (h *handler) runningPipelineRuns(ctx context.Context) ([]runningRun, bool, error) {
	d := h.db.SQLDialect()
	q := d.Rebind("SELECT " + d.Quote("id") + ", " + d.Quote("namespace") + ", " + d.Quote("repository") + ", " + d.Quote("workflow") +
		", " + d.Quote("version") + ", " + d.Quote("sequence") + " FROM " + d.Quote("workflow_log") +
		" WHERE " + d.Quote("run_state") + " = ? AND " + d.Quote("deleted_at") + " IS NULL ORDER BY " + d.Quote("id") + " DESC" +
		d.Limit(fmt.Sprint(runningRuns+1)))
	rows, err := h.db.SQL().QueryContext(ctx, q, int64(pipeline.RunDoing))
	if err != nil {
		return nil, false, d.Classify(err)
	}
	defer rows.Close()
	var out []runningRun
	for rows.Next() {
		var r runningRun
		var version sql.NullString
		if err := rows.Scan(&r.ID, &r.Namespace, &r.Repository, &r.Workflow, &version, &r.Sequence); err != nil {
			return nil, false, d.Classify(err)
		}
		r.Version = version.String
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, false, d.Classify(err)
	}
	if len(out) > runningRuns {
		return out[:runningRuns], true, nil
	}
	return out, false, nil
}
