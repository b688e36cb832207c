package queue_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/flowstore/flowstore/internal/testdb"
	"github.com/flowstore/flowstore/queue"
	"github.com/flowstore/flowstore/store"
)

// clock is a settable clock for store.WithClock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// withClock reopens db's database with a controlled clock.
func withClock(t *testing.T, db *store.DB) (*store.DB, *clock) {
	t.Helper()
	c := &clock{t: time.Date(2026, 3, 1, 12, 0, 0, 123456000, time.UTC)}
	cdb, err := store.New(db.Bun(), store.WithClock(c.now))
	require.NoError(t, err)
	return cdb, c
}

func TestEnqueueClaimFinish(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		db, clk := withClock(t, db)
		q := queue.New(db)

		e1, err := q.Enqueue(ctx, "invoices", queue.NewElement{Reference: "r1", Data: `{"n":1}`, CreatedBy: "robot"})
		require.NoError(t, err)
		require.Equal(t, queue.StatusNew, e1.Status)
		clk.advance(time.Second)
		e2, err := q.Enqueue(ctx, "invoices", queue.NewElement{Reference: "r2"})
		require.NoError(t, err)
		_, err = q.Enqueue(ctx, "other", queue.NewElement{})
		require.NoError(t, err)

		got, err := q.Get(ctx, e1.ID)
		require.NoError(t, err)
		require.Equal(t, e1, got, "Get returns what Enqueue returned")

		clk.advance(time.Second)
		c1, err := q.Claim(ctx, "invoices")
		require.NoError(t, err)
		require.Equal(t, e1.ID, c1.ID, "oldest first")
		require.Equal(t, queue.StatusInProgress, c1.Status)
		require.True(t, clk.now().Equal(c1.StartDate), "start_date from the store clock")
		require.Equal(t, `{"n":1}`, c1.Data)
		require.Equal(t, "robot", c1.CreatedBy)
		require.True(t, e1.CreatedDate.Equal(c1.CreatedDate))
		got, err = q.Get(ctx, e1.ID)
		require.NoError(t, err)
		require.Equal(t, c1, got, "the claim returns the stored row")

		_, err = q.ClaimReference(ctx, "invoices", "")
		require.ErrorIs(t, err, store.ErrInvalid, "an empty reference is stored as NULL: nothing could match")
		c2, err := q.ClaimReference(ctx, "invoices", "r2")
		require.NoError(t, err)
		require.Equal(t, e2.ID, c2.ID)
		_, err = q.Claim(ctx, "invoices")
		require.ErrorIs(t, err, queue.ErrEmpty)
		require.ErrorIs(t, err, store.ErrNotFound)

		clk.advance(time.Second)
		require.NoError(t, q.Finish(ctx, c1.ID, queue.Done("ok")))
		got, err = q.Get(ctx, c1.ID)
		require.NoError(t, err)
		require.Equal(t, queue.StatusDone, got.Status)
		require.Equal(t, "ok", got.Message)
		require.True(t, clk.now().Equal(got.EndDate))

		err = q.Finish(ctx, c1.ID, queue.Failed("again"))
		require.ErrorIs(t, err, store.ErrConflict, "only IN_PROGRESS can be finished")
		got, err = q.Get(ctx, c1.ID)
		require.NoError(t, err)
		require.Equal(t, queue.StatusDone, got.Status)
		require.Equal(t, "ok", got.Message)

		require.ErrorIs(t, q.Finish(ctx, uuid.New(), queue.Done("")), store.ErrNotFound)
		require.ErrorIs(t, q.Finish(ctx, c2.ID, queue.Result{Status: queue.StatusNew}), store.ErrInvalid)

		// An empty message keeps the stored one (OpenOrchestrator's rule).
		require.NoError(t, q.ForceStatus(ctx, c1.ID, queue.StatusInProgress, ""))
		require.NoError(t, q.Finish(ctx, c1.ID, queue.Abandoned("")))
		got, err = q.Get(ctx, c1.ID)
		require.NoError(t, err)
		require.Equal(t, queue.StatusAbandoned, got.Status)
		require.Equal(t, "ok", got.Message)
	})
}

func TestForceStatus(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		db, clk := withClock(t, db)
		q := queue.New(db)
		e, err := q.Enqueue(ctx, "q", queue.NewElement{})
		require.NoError(t, err)
		clk.advance(time.Minute)
		require.NoError(t, q.ForceStatus(ctx, e.ID, queue.StatusFailed, "by hand"))
		got, err := q.Get(ctx, e.ID)
		require.NoError(t, err)
		require.Equal(t, queue.StatusFailed, got.Status)
		require.True(t, got.StartDate.IsZero())
		require.True(t, clk.now().Equal(got.EndDate))
		require.Equal(t, "by hand", got.Message)

		clk.advance(time.Minute)
		require.NoError(t, q.ForceStatus(ctx, e.ID, queue.StatusNew, ""))
		got, err = q.Get(ctx, e.ID)
		require.NoError(t, err)
		require.Equal(t, queue.StatusNew, got.Status)
		require.False(t, got.EndDate.IsZero(), "NEW clears nothing")
		require.NoError(t, q.ForceStatus(ctx, e.ID, queue.StatusNew, ""), "same status again")

		require.ErrorIs(t, q.ForceStatus(ctx, uuid.New(), queue.StatusDone, ""), store.ErrNotFound)
		require.ErrorIs(t, q.ForceStatus(ctx, e.ID, queue.Status("DONEISH"), ""), store.ErrInvalid)
	})
}

func TestBatches(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		q := queue.New(db)
		_, err := q.EnqueueBatch(ctx, "b", nil, nil, "")
		require.ErrorIs(t, err, store.ErrInvalid)
		_, err = q.EnqueueBatch(ctx, "b", []string{"a"}, []string{"x", "y"}, "")
		require.ErrorIs(t, err, store.ErrInvalid)

		const n = 1200 // more than one statement on SQL Server (1000 rows each)
		refs, data := make([]string, n), make([]string, n)
		for i := range refs {
			refs[i], data[i] = fmt.Sprintf("ref-%04d", i), fmt.Sprintf("data %d", i)
		}
		ids, err := q.EnqueueBatch(ctx, "b", refs, data, "loader")
		require.NoError(t, err)
		require.Len(t, ids, n)

		els, err := q.ClaimBatch(ctx, "b", 10)
		require.NoError(t, err)
		require.Len(t, els, 10)
		for i, e := range els {
			require.Equal(t, ids[i], e.ID, "a batch comes out in input order")
			require.Equal(t, refs[i], e.Reference)
			require.Equal(t, "loader", e.CreatedBy)
			require.Equal(t, queue.StatusInProgress, e.Status)
		}
		done := []uuid.UUID{els[0].ID, els[1].ID, els[2].ID, els[0].ID}
		k, err := q.FinishBatch(ctx, done, queue.Done("batch"))
		require.NoError(t, err)
		require.Equal(t, 3, k)
		k, err = q.FinishBatch(ctx, []uuid.UUID{els[0].ID, els[3].ID}, queue.Failed(""))
		require.ErrorIs(t, err, store.ErrConflict)
		require.Equal(t, 1, k, "the IN_PROGRESS one is still finished")

		_, err = q.ClaimBatch(ctx, "b", n)
		require.ErrorIs(t, err, store.ErrInvalid, "more than MaxClaimBatch at once")
		_, err = q.ClaimBatch(ctx, "b", 0)
		require.ErrorIs(t, err, store.ErrInvalid)
		var rest []queue.Element
		for len(rest) < n-10 {
			els, err := q.ClaimBatch(ctx, "b", queue.MaxClaimBatch)
			require.NoError(t, err)
			require.NotEmpty(t, els)
			rest = append(rest, els...)
		}
		require.Len(t, rest, n-10)
		require.Equal(t, ids[10:], idsOf(rest), "the rest, in input order too")
		all := make([]uuid.UUID, len(rest))
		for i, e := range rest {
			all[i] = e.ID
		}
		k, err = q.FinishBatch(ctx, all, queue.Done(""))
		require.NoError(t, err)
		require.Equal(t, n-10, k)
		c, err := q.Counts(ctx)
		require.NoError(t, err)
		require.Equal(t, queue.Counts{"b": {queue.StatusDone: n - 10 + 3, queue.StatusFailed: 1, queue.StatusInProgress: 6}}, c)
		empty, err := q.ClaimBatch(ctx, "b", 5)
		require.NoError(t, err)
		require.Empty(t, empty)
	})
}

func idsOf(els []queue.Element) []uuid.UUID {
	ids := make([]uuid.UUID, len(els))
	for i, e := range els {
		ids[i] = e.ID
	}
	return ids
}

// TestBatchOrder: a batch comes out in input order because its elements
// have distinct created_dates (start + i µs), and ClaimBatch's order is the
// database's ORDER BY created_date, id — also where two batches, enqueued
// at the same instant of a frozen clock, tie element by element and only
// the dialect's id order decides.
func TestBatchOrder(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		db, clk := withClock(t, db)
		q := queue.New(db)
		const n = 50
		refs := make([]string, n)
		for i := range refs {
			refs[i] = fmt.Sprint(i)
		}
		a, err := q.EnqueueBatch(ctx, "order", refs, make([]string, n), "a")
		require.NoError(t, err)
		b, err := q.EnqueueBatch(ctx, "order", refs, make([]string, n), "b")
		require.NoError(t, err)
		for i, id := range a {
			e, err := q.Get(ctx, id)
			require.NoError(t, err)
			require.True(t, clk.now().Add(time.Duration(i)*time.Microsecond).Equal(e.CreatedDate), "element %d: created_date = start + %d µs, got %s", i, i, e.CreatedDate)
		}

		// The database's order of the same rows, from List.
		p, err := q.List(ctx, queue.Filter{Queue: "order", Limit: 2 * n})
		require.NoError(t, err)
		dbOrder := idsOf(p.Elements)

		claimed, err := q.ClaimBatch(ctx, "order", 2*n)
		require.NoError(t, err)
		require.Equal(t, dbOrder, idsOf(claimed), "ClaimBatch returns the rows in the database's order")
		var gotA, gotB []uuid.UUID
		for i, e := range claimed {
			if e.CreatedBy == "a" {
				gotA = append(gotA, e.ID)
			} else {
				gotB = append(gotB, e.ID)
			}
			require.Equal(t, fmt.Sprint(i/2), e.Reference, "the batches interleave element by element")
		}
		require.Equal(t, a, gotA, "batch a in input order")
		require.Equal(t, b, gotB, "batch b in input order")
	})
}

func TestFinishClaimed(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		db, clk := withClock(t, db)
		q := queue.New(db, queue.WithLease(time.Minute))
		e, err := q.Enqueue(ctx, "fence", queue.NewElement{Reference: "slow"})
		require.NoError(t, err)

		slow, err := q.Claim(ctx, "fence")
		require.NoError(t, err)
		clk.advance(61 * time.Second) // the slow worker's lease runs out
		fast, err := q.Claim(ctx, "fence")
		require.NoError(t, err)
		require.Equal(t, e.ID, fast.ID, "taken over")
		require.False(t, fast.StartDate.Equal(slow.StartDate))

		clk.advance(time.Second)
		err = q.FinishClaimed(ctx, slow, queue.Failed("too late"))
		require.ErrorIs(t, err, store.ErrConflict, "the slow worker cannot finish over the new claim")
		require.Contains(t, err.Error(), "taken over")
		got, err := q.Get(ctx, e.ID)
		require.NoError(t, err)
		require.Equal(t, queue.StatusInProgress, got.Status)
		require.True(t, fast.StartDate.Equal(got.StartDate), "the new claim stands")
		require.Empty(t, got.Message)

		require.NoError(t, q.FinishClaimed(ctx, fast, queue.Done("fast")))
		got, err = q.Get(ctx, e.ID)
		require.NoError(t, err)
		require.Equal(t, queue.StatusDone, got.Status)
		require.Equal(t, "fast", got.Message)
		require.True(t, clk.now().Equal(got.EndDate))

		require.ErrorIs(t, q.FinishClaimed(ctx, fast, queue.Done("")), store.ErrConflict, "finished already")
		require.ErrorIs(t, q.FinishClaimed(ctx, queue.Element{ID: uuid.New(), StartDate: clk.now()}, queue.Done("")), store.ErrNotFound)
		require.ErrorIs(t, q.FinishClaimed(ctx, queue.Element{ID: e.ID}, queue.Done("")), store.ErrInvalid, "an element no claim returned")
		require.ErrorIs(t, q.FinishClaimed(ctx, fast, queue.Result{Status: queue.StatusNew}), store.ErrInvalid)

		// Plain Finish is not fenced: it finishes whoever's claim it is —
		// what FinishClaimed exists to prevent.
		e2, err := q.Enqueue(ctx, "fence", queue.NewElement{})
		require.NoError(t, err)
		slow, err = q.Claim(ctx, "fence")
		require.NoError(t, err)
		require.Equal(t, e2.ID, slow.ID)
		clk.advance(61 * time.Second)
		fast, err = q.Claim(ctx, "fence")
		require.NoError(t, err)
		require.Equal(t, e2.ID, fast.ID)
		require.NoError(t, q.Finish(ctx, slow.ID, queue.Done("slow")))
		require.ErrorIs(t, q.FinishClaimed(ctx, fast, queue.Done("fast")), store.ErrConflict)
	})
}

func TestTooLong(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		q := queue.New(db)
		long := func(n int) string { return strings.Repeat("é", n) } // 2 bytes, 1 character
		_, err := q.Enqueue(ctx, "q", queue.NewElement{Data: long(queue.MaxData), Reference: long(queue.MaxReference), CreatedBy: long(queue.MaxCreatedBy)})
		require.NoError(t, err, "values exactly at the limit fit")
		for name, e := range map[string]queue.NewElement{
			"data":       {Data: long(queue.MaxData + 1)},
			"reference":  {Reference: long(queue.MaxReference + 1)},
			"created_by": {CreatedBy: long(queue.MaxCreatedBy + 1)},
		} {
			_, err := q.Enqueue(ctx, "q", e)
			require.ErrorIs(t, err, store.ErrTooLong, name)
		}
		_, err = q.Enqueue(ctx, long(queue.MaxQueueName+1), queue.NewElement{})
		require.ErrorIs(t, err, store.ErrTooLong)
		_, err = q.EnqueueBatch(ctx, "q", []string{"ok", long(queue.MaxReference + 1)}, []string{"", ""}, "")
		require.ErrorIs(t, err, store.ErrTooLong)
		_, err = q.EnqueueBatch(ctx, "q", []string{"ok", "ok"}, []string{"", long(queue.MaxData + 1)}, "")
		require.ErrorIs(t, err, store.ErrTooLong, "batch data")
		_, err = q.EnqueueBatch(ctx, "q", []string{"ok"}, []string{""}, long(queue.MaxCreatedBy+1))
		require.ErrorIs(t, err, store.ErrTooLong, "batch created_by")
		_, err = q.ClaimReference(ctx, "q", long(queue.MaxReference+1))
		require.ErrorIs(t, err, store.ErrTooLong)
		_, err = q.Enqueue(ctx, "", queue.NewElement{})
		require.ErrorIs(t, err, store.ErrInvalid)
		c, err := q.Counts(ctx)
		require.NoError(t, err)
		require.Equal(t, 1, c["q"][queue.StatusNew], "nothing written by the refused calls")

		e, err := q.Claim(ctx, "q")
		require.NoError(t, err)
		require.ErrorIs(t, q.Finish(ctx, e.ID, queue.Failed(long(queue.MaxMessage+1))), store.ErrTooLong)
		got, err := q.Get(ctx, e.ID)
		require.NoError(t, err)
		require.Equal(t, queue.StatusInProgress, got.Status, "a refused finish writes nothing")
		r := queue.Failed(long(queue.MaxMessage + 5))
		r.TruncateMessage = true
		require.NoError(t, q.Finish(ctx, e.ID, r))
		got, err = q.Get(ctx, e.ID)
		require.NoError(t, err)
		require.Equal(t, long(queue.MaxMessage), got.Message, "cut only when asked")

		// The other writers of a message refuse a long one, and write nothing.
		e2, err := q.Enqueue(ctx, "q2", queue.NewElement{})
		require.NoError(t, err)
		c2, err := q.Claim(ctx, "q2")
		require.NoError(t, err)
		require.Equal(t, e2.ID, c2.ID)
		k, err := q.FinishBatch(ctx, []uuid.UUID{c2.ID}, queue.Failed(long(queue.MaxMessage+1)))
		require.ErrorIs(t, err, store.ErrTooLong, "FinishBatch")
		require.Zero(t, k)
		require.ErrorIs(t, q.FinishClaimed(ctx, c2, queue.Failed(long(queue.MaxMessage+1))), store.ErrTooLong, "FinishClaimed")
		require.ErrorIs(t, q.ForceStatus(ctx, c2.ID, queue.StatusAbandoned, long(queue.MaxMessage+1)), store.ErrTooLong, "ForceStatus")
		n, err := q.FailStale(ctx, "q2", 0, long(queue.MaxMessage+1))
		require.ErrorIs(t, err, store.ErrTooLong, "FailStale")
		require.Zero(t, n)
		got, err = q.Get(ctx, c2.ID)
		require.NoError(t, err)
		require.Equal(t, c2, got, "nothing written by the refused calls")
		// At the limit they write.
		require.NoError(t, q.ForceStatus(ctx, c2.ID, queue.StatusInProgress, long(queue.MaxMessage)))
		k, err = q.FinishBatch(ctx, []uuid.UUID{c2.ID}, queue.Failed(long(queue.MaxMessage)))
		require.NoError(t, err)
		require.Equal(t, 1, k)
	})
}

func TestStaleWork(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		db, clk := withClock(t, db)
		q := queue.New(db)
		for range 3 {
			_, err := q.Enqueue(ctx, "s", queue.NewElement{})
			require.NoError(t, err)
		}
		old, err := q.ClaimBatch(ctx, "s", 2)
		require.NoError(t, err)
		clk.advance(10 * time.Minute)
		fresh, err := q.Claim(ctx, "s")
		require.NoError(t, err)
		clk.advance(time.Minute)

		n, err := q.RequeueStale(ctx, "s", 5*time.Minute)
		require.NoError(t, err)
		require.Equal(t, 2, n)
		got, err := q.Get(ctx, old[0].ID)
		require.NoError(t, err)
		require.Equal(t, queue.StatusNew, got.Status)
		require.True(t, got.StartDate.IsZero())
		got, err = q.Get(ctx, fresh.ID)
		require.NoError(t, err)
		require.Equal(t, queue.StatusInProgress, got.Status, "younger than the limit")

		again, err := q.ClaimBatch(ctx, "s", 5)
		require.NoError(t, err)
		require.Len(t, again, 2, "requeued elements are claimable again")
		clk.advance(time.Hour)
		n, err = q.FailStale(ctx, "s", 30*time.Minute, "worker lost")
		require.NoError(t, err)
		require.Equal(t, 3, n)
		got, err = q.Get(ctx, fresh.ID)
		require.NoError(t, err)
		require.Equal(t, queue.StatusFailed, got.Status)
		require.Equal(t, "worker lost", got.Message)
		require.True(t, clk.now().Equal(got.EndDate))
	})
}

func TestLease(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		db, clk := withClock(t, db)
		q := queue.New(db, queue.WithLease(time.Minute))
		e1, err := q.Enqueue(ctx, "l", queue.NewElement{})
		require.NoError(t, err)
		clk.advance(time.Second)
		e2, err := q.Enqueue(ctx, "l", queue.NewElement{})
		require.NoError(t, err)
		c, err := q.Claim(ctx, "l")
		require.NoError(t, err)
		require.Equal(t, e1.ID, c.ID)
		c, err = q.Claim(ctx, "l")
		require.NoError(t, err)
		require.Equal(t, e2.ID, c.ID, "a held lease is not taken")
		_, err = q.Claim(ctx, "l")
		require.ErrorIs(t, err, queue.ErrEmpty)
		clk.advance(61 * time.Second)
		c, err = q.Claim(ctx, "l")
		require.NoError(t, err)
		require.Equal(t, e1.ID, c.ID, "an expired lease is claimable again")
		require.True(t, clk.now().Equal(c.StartDate), "and gets a new lease")
	})
}

func TestReads(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		db, clk := withClock(t, db)
		q := queue.New(db)
		start := clk.now()
		var ids []uuid.UUID
		for i := range 12 {
			e, err := q.Enqueue(ctx, "r", queue.NewElement{Reference: fmt.Sprintf("inv-%02d", i), Data: fmt.Sprintf("amount %d%%", i)})
			require.NoError(t, err)
			ids = append(ids, e.ID)
			clk.advance(time.Second)
		}
		_, err := q.Enqueue(ctx, "other", queue.NewElement{Reference: "inv-99"})
		require.NoError(t, err)

		p, err := q.List(ctx, queue.Filter{Queue: "r", Limit: 5, Offset: 5, Count: true})
		require.NoError(t, err)
		require.Equal(t, 12, p.Total)
		require.Len(t, p.Elements, 5)
		require.Equal(t, ids[5], p.Elements[0].ID)

		p, err = q.List(ctx, queue.Filter{Queue: "r", Desc: true, Limit: 2})
		require.NoError(t, err)
		require.Equal(t, -1, p.Total)
		require.Equal(t, []uuid.UUID{ids[11], ids[10]}, []uuid.UUID{p.Elements[0].ID, p.Elements[1].ID})

		p, err = q.List(ctx, queue.Filter{From: start.Add(2 * time.Second), To: start.Add(4 * time.Second), Count: true})
		require.NoError(t, err)
		require.Equal(t, 3, p.Total, "date range is inclusive at both ends")

		p, err = q.List(ctx, queue.Filter{Search: "inv-1", Count: true})
		require.NoError(t, err)
		require.Equal(t, 2, p.Total, "reference prefix")
		p, err = q.List(ctx, queue.Filter{Search: "1%", Count: true})
		require.NoError(t, err)
		require.Equal(t, 2, p.Total, "a %% in the term is literal: amount 1%% and amount 11%%")
		p, err = q.List(ctx, queue.Filter{Reference: "inv-99"})
		require.NoError(t, err)
		require.Len(t, p.Elements, 1)
		require.Equal(t, "other", p.Elements[0].QueueName)

		c, err := q.Claim(ctx, "r")
		require.NoError(t, err)
		p, err = q.List(ctx, queue.Filter{Status: queue.StatusInProgress})
		require.NoError(t, err)
		require.Len(t, p.Elements, 1)
		require.Equal(t, c.ID, p.Elements[0].ID)
		p, err = q.List(ctx, queue.Filter{OrderBy: "reference", Desc: true, Limit: 1})
		require.NoError(t, err)
		require.Equal(t, "inv-99", p.Elements[0].Reference)
		_, err = q.List(ctx, queue.Filter{OrderBy: "id; DROP TABLE x"})
		require.ErrorIs(t, err, store.ErrInvalid)

		// Prune removes finished elements older than the cut only.
		require.NoError(t, q.Finish(ctx, c.ID, queue.Done("")))
		clk.advance(time.Hour)
		n, err := q.Prune(ctx, "r", clk.now().Add(-2*time.Hour))
		require.NoError(t, err)
		require.Equal(t, 0, n)
		n, err = q.Prune(ctx, "", clk.now())
		require.NoError(t, err)
		require.Equal(t, 1, n)
		_, err = q.Get(ctx, c.ID)
		require.ErrorIs(t, err, store.ErrNotFound)

		require.NoError(t, q.Delete(ctx, ids[3]))
		require.ErrorIs(t, q.Delete(ctx, ids[3]), store.ErrNotFound)
		counts, err := q.Counts(ctx)
		require.NoError(t, err)
		require.Equal(t, queue.Counts{"r": {queue.StatusNew: 10}, "other": {queue.StatusNew: 1}}, counts)
	})
}

func TestEnqueueInSession(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		q := queue.New(db)
		boom := errors.New("boom")
		err := db.InTx(ctx, func(ctx context.Context, s *store.Session) error {
			_, err := q.WithTx(s).Enqueue(ctx, "tx", queue.NewElement{Reference: "rolled back"})
			require.NoError(t, err)
			return boom
		})
		require.ErrorIs(t, err, boom)
		err = db.InTx(ctx, func(ctx context.Context, s *store.Session) error {
			qs := q.WithTx(s)
			if _, err := qs.Enqueue(ctx, "tx", queue.NewElement{Reference: "kept"}); err != nil {
				return err
			}
			e, err := qs.Claim(ctx, "tx")
			if err != nil {
				return err
			}
			return qs.Finish(ctx, e.ID, queue.Done("in one commit"))
		})
		require.NoError(t, err)
		p, err := q.List(ctx, queue.Filter{Queue: "tx"})
		require.NoError(t, err)
		require.Len(t, p.Elements, 1)
		require.Equal(t, "kept", p.Elements[0].Reference)
		require.Equal(t, queue.StatusDone, p.Elements[0].Status)
	})
}
