package queue

import (
	"context"
	"errors"
	"strings"
	"sync"
	"time"

	"github.com/flowstore/flowstore/store"
)

// The completer writes handlers' results in batches, in the background:
// a handler's slot is free as soon as it returns, and one statement
// finishes many elements. Results arrive while the previous batch is
// being written and make up the next one, so the batches grow with the
// load and an idle Worker writes each result at once.
//
// DONE results are grouped by their claim's start_date — the elements of
// one ClaimBatch share it — and each group is finished by one UPDATE
// fenced by that start_date, as FinishClaimed fences one element: an
// element another claim has taken over is left alone. FAILED results are
// written one by one with FinishClaimed.

// completion is one handler's result.
type completion struct {
	e     Element
	start time.Time // the fence: the lease's start as stored
	err   error     // nil: DONE
}

type completer struct {
	w  *Worker
	in chan completion
	// mu makes close wait for the adds under way; closed drops the results
	// of handlers that outlive Run (they ignored their context).
	mu     sync.RWMutex
	closed bool
}

func newCompleter(w *Worker) *completer {
	return &completer{w: w, in: make(chan completion, 2*w.concurrency)}
}

// add queues a result; it blocks while the completer is that far behind,
// which holds the handler's slot and so slows the claims down.
func (c *completer) add(r completion) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if c.closed {
		c.w.log.Warn("queue: worker: a handler returned after Run ended; its element waits for lease recovery", "id", r.e.ID)
		return
	}
	c.in <- r
}

// close stops the completer once it has written what is buffered (run
// returns then).
func (c *completer) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closed = true
	close(c.in)
}

// maxBatch bounds the results written in one round.
const maxBatch = 4 * MaxClaimBatch

// run writes the results until close, in flushers goroutines that each
// take the results waiting when it is free: one where the database admits
// one writer at a time (SQLite: a second would only wait for the write
// lock), else two, so that one batch's round trip and commit overlap
// the next batch's UPDATE, and a busy
// Worker's finishes keep up with two claims in flight. Batches hold
// distinct elements, so concurrent UPDATEs never wait for each other's
// rows.
func (c *completer) run(ctx context.Context) {
	flushers := 2
	if c.w.s.d.Has(store.FeatureSerialWrites) {
		flushers = 1
	}
	var wg sync.WaitGroup
	for range flushers {
		wg.Go(func() { c.drain(ctx) })
	}
	wg.Wait()
}

// drain writes batches of results until the channel is closed and empty.
func (c *completer) drain(ctx context.Context) {
	for {
		r, ok := <-c.in
		if !ok {
			return
		}
		batch := []completion{r}
	more:
		for len(batch) < maxBatch {
			select {
			case r, ok := <-c.in:
				if !ok {
					break more
				}
				batch = append(batch, r)
			default:
				break more
			}
		}
		c.flush(ctx, batch)
	}
}

// flushAttempts bounds how often a batch is tried before its elements are
// left to lease recovery (which hands them out again: they are redone,
// never lost).
const flushAttempts = 5

func (c *completer) flush(ctx context.Context, batch []completion) {
	w := c.w
	groups := map[time.Time][]completion{}
	var order []time.Time
	for _, r := range batch {
		if r.err != nil {
			c.fail(ctx, r)
			continue
		}
		if _, ok := groups[r.start]; !ok {
			order = append(order, r.start)
		}
		groups[r.start] = append(groups[r.start], r)
	}
	per := max(1, w.s.sql.finishRows-1)
	for _, start := range order {
		g := groups[start]
		for lo := 0; lo < len(g); lo += per {
			chunk := g[lo:min(lo+per, len(g))]
			for attempt := 0; ; attempt++ {
				n, err := c.finishDone(ctx, chunk, start)
				if err == nil || attempt+1 == flushAttempts {
					c.report(ctx, chunk, start, n, err)
				}
				if err == nil {
					w.stats.done.Add(int64(n))
					if n < len(chunk) {
						w.stats.lost.Add(int64(len(chunk) - n))
						w.log.Warn("queue: worker: elements taken over by another claim were not finished", "n", len(chunk)-n, "of", len(chunk))
					}
					break
				}
				if attempt+1 == flushAttempts {
					w.log.Error("queue: worker: finish failed; the elements stay IN_PROGRESS until lease recovery", "n", len(chunk), "err", err)
					break
				}
				w.log.Warn("queue: worker: finish", "n", len(chunk), "err", err)
				sleep(ctx, time.Duration(1<<attempt)*50*time.Millisecond)
			}
		}
	}
}

// report tells the store's observers of one finishing statement: n of
// chunk's elements DONE, or the error that left them IN_PROGRESS. A
// Worker's queues are told apart (a claim takes from one queue, but two
// claims of one instant share a start_date).
func (c *completer) report(ctx context.Context, chunk []completion, start time.Time, n int, err error) {
	if c.w.observer == nil {
		return
	}
	queue := chunk[0].e.QueueName
	for _, r := range chunk[1:] {
		if r.e.QueueName != queue {
			queue = "" // as for a finish by ids only (FinishEvent.Queue)
			break
		}
	}
	c.w.finished(ctx, FinishEvent{Queue: queue, Status: StatusDone, N: n, Claimed: start, Err: err})
}

// finishDone marks IN_PROGRESS elements DONE that a claim with this
// start_date still holds, in one statement, and returns how many changed.
func (c *completer) finishDone(ctx context.Context, chunk []completion, start time.Time) (int, error) {
	s := c.w.s
	qctx, cancel := context.WithTimeout(ctx, c.w.queryTimeout)
	defer cancel()
	args := make([]any, 0, 3+len(chunk)*s.sql.spellings)
	args = append(args, string(StatusDone), s.naive(s.h.Now()))
	for _, r := range chunk {
		args = s.idArgs(args, r.e.ID)
	}
	args = append(args, s.naive(start))
	n, err := s.h.Exec(qctx, s.finishFencedSQL(len(chunk)), args...)
	return int(n), err
}

// finishFencedSQL sets a final status on n IN_PROGRESS elements whose
// start_date is the one given last.
func (s *bunStore) finishFencedSQL(n int) string {
	st := s.sql
	return st.d.Rebind("UPDATE " + st.table() + " SET " + st.q("status") + " = ?, " + st.q("end_date") + " = ? WHERE " +
		st.byID(n) + " AND " + st.q("status") + " = 'IN_PROGRESS' AND " + st.q("start_date") + " = ?")
}

// fail marks one element FAILED with its handler's error, fenced by its
// claim.
func (c *completer) fail(ctx context.Context, r completion) {
	e := r.e
	e.StartDate = r.start
	res := Result{Status: StatusFailed, Message: failureText(r.err), TruncateMessage: true}
	c.w.writeFailure(ctx, e, func(ctx context.Context) error { return c.w.s.finishClaimed(ctx, e, res) })
}

// writeFailure runs write, which marks the claimed element e FAILED fenced
// by e.StartDate, until it succeeds, the element turns out to be no longer
// this Worker's, or flushAttempts tries have failed; it reports the outcome
// to the observers and the Worker's counts, and returns whether the
// element was marked.
func (w *Worker) writeFailure(ctx context.Context, e Element, write func(ctx context.Context) error) bool {
	for attempt := 0; ; attempt++ {
		qctx, cancel := context.WithTimeout(ctx, w.queryTimeout)
		err := write(qctx)
		cancel()
		gone := errors.Is(err, store.ErrConflict) || errors.Is(err, store.ErrNotFound)
		last := attempt+1 == flushAttempts
		if err == nil || gone || last {
			w.finished(ctx, FinishEvent{Queue: e.QueueName, Status: StatusFailed, N: count(1, err), Claimed: e.StartDate, Err: err})
		}
		switch {
		case err == nil:
			w.stats.failed.Add(1)
			return true
		case gone:
			w.stats.lost.Add(1)
			w.log.Warn("queue: worker: failed element not marked FAILED", "id", e.ID, "err", err)
			return false
		case last:
			w.log.Error("queue: worker: marking FAILED failed; the element stays IN_PROGRESS until lease recovery", "id", e.ID, "err", err)
			return false
		}
		sleep(ctx, time.Duration(1<<attempt)*50*time.Millisecond)
	}
}

// failureText is an error's text as a message column can hold it: valid
// UTF-8 without NUL (the text rule refuses those; the length is cut by
// TruncateMessage).
func failureText(err error) string {
	return strings.ReplaceAll(strings.ToValidUTF8(err.Error(), "\uFFFD"), "\x00", "")
}
