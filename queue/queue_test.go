package queue_test

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
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

// testZone is the zone of the naive times in the tests that control the
// clock: west of UTC and with daylight saving time, so that a time written
// or compared in UTC instead of the zone's wall clock shows.
var testZone = mustZone("America/New_York")

func mustZone(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}

// withClock reopens db's database with a controlled clock, its naive times
// in testZone.
func withClock(t *testing.T, db *store.DB) (*store.DB, *clock) {
	t.Helper()
	c := &clock{t: time.Date(2026, 3, 1, 12, 0, 0, 123456000, time.UTC)}
	cdb, err := store.New(context.Background(), db.Bun(), store.WithClock(c.now), store.WithZone(testZone))
	require.NoError(t, err)
	return cdb, c
}

func TestEnqueueClaimFinish(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		db, clk := withClock(t, db)
		q := newQueue(t, db)

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
		q := newQueue(t, db)
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
		q := newQueue(t, db)
		_, err := q.EnqueueBatch(ctx, "b", nil)
		require.ErrorIs(t, err, store.ErrInvalid)
		_, err = q.EnqueueBatch(ctx, "b", []queue.NewElement{})
		require.ErrorIs(t, err, store.ErrInvalid)

		const n = 1200 // more than one statement on SQL Server (1000 rows each)
		in := make([]queue.NewElement, n)
		for i := range in {
			in[i] = queue.NewElement{Reference: fmt.Sprintf("ref-%04d", i), Data: fmt.Sprintf("data %d", i), CreatedBy: fmt.Sprintf("loader %d", i%3)}
		}
		ids, err := q.EnqueueBatch(ctx, "b", in)
		require.NoError(t, err)
		require.Len(t, ids, n)

		els, err := q.ClaimBatch(ctx, "b", 10)
		require.NoError(t, err)
		require.Len(t, els, 10)
		for i, e := range els {
			require.Equal(t, ids[i], e.ID, "a batch comes out in input order")
			require.Equal(t, in[i].Reference, e.Reference)
			require.Equal(t, in[i].Data, e.Data)
			require.Equal(t, in[i].CreatedBy, e.CreatedBy, "each element has its own creator")
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
		for i, e := range rest {
			require.Equal(t, in[10+i].CreatedBy, e.CreatedBy)
		}
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
		q := newQueue(t, db)
		const n = 50
		batch := func(by string) []queue.NewElement {
			els := make([]queue.NewElement, n)
			for i := range els {
				els[i] = queue.NewElement{Reference: fmt.Sprint(i), CreatedBy: by}
			}
			return els
		}
		a, err := q.EnqueueBatch(ctx, "order", batch("a"))
		require.NoError(t, err)
		b, err := q.EnqueueBatch(ctx, "order", batch("b"))
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
		q := newQueue(t, db, queue.WithLease(time.Minute))
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
		q := newQueue(t, db)
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
		_, err = q.EnqueueBatch(ctx, "q", []queue.NewElement{{Reference: "ok"}, {Reference: long(queue.MaxReference + 1)}})
		require.ErrorIs(t, err, store.ErrTooLong)
		_, err = q.EnqueueBatch(ctx, "q", []queue.NewElement{{Reference: "ok"}, {Reference: "ok", Data: long(queue.MaxData + 1)}})
		require.ErrorIs(t, err, store.ErrTooLong, "batch data")
		_, err = q.EnqueueBatch(ctx, "q", []queue.NewElement{{Reference: "ok", CreatedBy: "me"}, {Reference: "ok", CreatedBy: long(queue.MaxCreatedBy + 1)}})
		require.ErrorIs(t, err, store.ErrTooLong, "batch created_by")
		require.Contains(t, err.Error(), "element 1: ", "names the element")
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
		q := newQueue(t, db)
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
		q := newQueue(t, db, queue.WithLease(time.Minute))
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
		q := newQueue(t, db)
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
		q := newQueue(t, db)
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

// TestAll streams lists longer than a page with every kind of order
// column — plain, nullable text, nullable time — in both directions, and
// checks the order against the dialect's own: created_date or the column,
// then the id as the database orders ids.
func TestAll(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		db, clk := withClock(t, db)
		q := newQueue(t, db)
		refs := []string{"", "a", "b", "c"}
		for i := range 23 {
			if i%3 == 0 {
				clk.advance(time.Second) // three elements per created_date: ties
			}
			_, err := q.Enqueue(ctx, "all", queue.NewElement{Reference: refs[i%4]})
			require.NoError(t, err)
		}
		_, err := q.Enqueue(ctx, "bystander", queue.NewElement{Reference: "a"})
		require.NoError(t, err)
		clk.advance(time.Second)
		_, err = q.ClaimBatch(ctx, "all", 4) // four elements with one start_date
		require.NoError(t, err)
		clk.advance(time.Second)
		_, err = q.Claim(ctx, "all")
		require.NoError(t, err)
		clk.advance(time.Second)
		_, err = q.ClaimBatch(ctx, "all", 3)
		require.NoError(t, err)

		p, err := q.List(ctx, queue.Filter{Queue: "all", Limit: 1000})
		require.NoError(t, err)
		stored := p.Elements
		require.Len(t, stored, 23)
		cmpIDs := db.SQLDialect().CompareUUIDs
		sorted := func(cmp func(a, b queue.Element) int) []uuid.UUID {
			els := slices.Clone(stored)
			slices.SortFunc(els, func(a, b queue.Element) int {
				if c := cmp(a, b); c != 0 {
					return c
				}
				return cmpIDs(a.ID, b.ID)
			})
			return idsOf(els)
		}
		reversed := func(ids []uuid.UUID) []uuid.UUID { slices.Reverse(ids); return ids }
		byCreated := func(a, b queue.Element) int { return a.CreatedDate.Compare(b.CreatedDate) }
		byRef := func(a, b queue.Element) int { return strings.Compare(a.Reference, b.Reference) }
		byStart := func(a, b queue.Element) int { // the zero time (NULL) first
			return a.StartDate.Compare(b.StartDate)
		}
		all := func(f queue.Filter) []uuid.UUID {
			t.Helper()
			var ids []uuid.UUID
			for e, err := range q.All(ctx, f) {
				require.NoError(t, err)
				ids = append(ids, e.ID)
			}
			return ids
		}

		require.Equal(t, sorted(byCreated), idsOf(stored), "List orders as the test expects")
		require.Equal(t, sorted(byCreated), all(queue.Filter{Queue: "all", Limit: 4}), "created_date, 6 pages")
		require.Equal(t, reversed(sorted(byCreated)), all(queue.Filter{Queue: "all", Desc: true, Limit: 5}), "created_date descending")
		require.Equal(t, sorted(byCreated)[5:], all(queue.Filter{Queue: "all", Offset: 5, Limit: 4}), "an offset skips before the first page")
		require.Equal(t, sorted(byCreated), all(queue.Filter{Queue: "all"}), "Limit 0: one page of store.DefaultLimit")
		require.Equal(t, sorted(func(a, b queue.Element) int { return 0 }), all(queue.Filter{Queue: "all", OrderBy: "id", Limit: 4}), "by id")
		require.Equal(t, sorted(byRef), all(queue.Filter{Queue: "all", OrderBy: "reference", Limit: 3}), "nullable text, empty first")
		require.Equal(t, reversed(sorted(byRef)), all(queue.Filter{Queue: "all", OrderBy: "reference", Desc: true, Limit: 3}), "nullable text descending")
		require.Equal(t, sorted(byStart), all(queue.Filter{Queue: "all", OrderBy: "start_date", Limit: 3}), "nullable time, NULL first")
		require.Equal(t, reversed(sorted(byStart)), all(queue.Filter{Queue: "all", OrderBy: "start_date", Desc: true, Limit: 3}), "nullable time descending, NULL last")
		require.Len(t, all(queue.Filter{Queue: "all", Status: queue.StatusInProgress, Limit: 2}), 8, "the filter applies to every page")
		require.Len(t, all(queue.Filter{Reference: "a", Limit: 2}), 7, "six in the queue, one bystander")

		// Stopping early stops the paging.
		var first []uuid.UUID
		for e, err := range q.All(ctx, queue.Filter{Queue: "all", Limit: 4}) {
			require.NoError(t, err)
			first = append(first, e.ID)
			if len(first) == 6 {
				break
			}
		}
		require.Equal(t, sorted(byCreated)[:6], first)

		// A bad filter is one error, prefixed once.
		n := 0
		for _, err := range q.All(ctx, queue.Filter{OrderBy: "nope"}) {
			require.ErrorIs(t, err, store.ErrInvalid)
			require.True(t, strings.HasPrefix(err.Error(), "queue: all: invalid input: "), err.Error())
			n++
		}
		require.Equal(t, 1, n)
		for _, err := range q.All(ctx, queue.Filter{Limit: -1}) {
			require.ErrorIs(t, err, store.ErrInvalid)
		}
	})
}

// TestDefaultLimit: a Filter.Limit of 0 means store.DefaultLimit for List,
// and a page size for All, which still reads everything.
func TestDefaultLimit(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		q := newQueue(t, db)
		const n = store.DefaultLimit + 20
		_, err := q.EnqueueBatch(ctx, "many", make([]queue.NewElement, n))
		require.NoError(t, err)
		p, err := q.List(ctx, queue.Filter{Queue: "many", Count: true})
		require.NoError(t, err)
		require.Len(t, p.Elements, store.DefaultLimit)
		require.Equal(t, n, p.Total)
		_, err = q.List(ctx, queue.Filter{Limit: -1})
		require.ErrorIs(t, err, store.ErrInvalid)
		k := 0
		for _, err := range q.All(ctx, queue.Filter{Queue: "many"}) {
			require.NoError(t, err)
			k++
		}
		require.Equal(t, n, k)
	})
}

// prefix finds the package's prefix in a message.
var prefix = regexp.MustCompile(`\bqueue: `)

// TestErrorMessages: each message names the package and the operation
// once, then the sentinel and its detail.
func TestErrorMessages(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		q := newQueue(t, db)
		e, err := q.Enqueue(ctx, "msgs", queue.NewElement{})
		require.NoError(t, err)
		c, err := q.Claim(ctx, "msgs")
		require.NoError(t, err)
		require.NoError(t, q.Finish(ctx, c.ID, queue.Done("")))
		missing := uuid.MustParse("00000000-0000-7000-8000-000000000001")

		_, claimErr := q.Claim(ctx, "msgs")
		_, refErr := q.ClaimReference(ctx, "msgs", "nope")
		_, batchErr := q.ClaimBatch(ctx, "msgs", 0)
		_, getErr := q.Get(ctx, missing)
		_, longErr := q.Enqueue(ctx, "msgs", queue.NewElement{Reference: strings.Repeat("x", queue.MaxReference+1)})
		_, listErr := q.List(ctx, queue.Filter{OrderBy: "nope"})
		_, newErr := queue.New(db, queue.WithLease(0))
		_, nilErr := queue.New(nil)
		for want, err := range map[string]error{
			`queue: claim from "msgs": not found: nothing to claim`:                                   claimErr,
			`queue: claim "nope" from "msgs": not found: nothing to claim`:                            refErr,
			`queue: claim batch from "msgs": invalid input: n = 0 (want 1 to 1000)`:                   batchErr,
			"queue: finish " + e.ID.String() + ": conflict: element is DONE, not IN_PROGRESS":         q.Finish(ctx, e.ID, queue.Done("")),
			"queue: finish " + missing.String() + ": not found":                                       q.Finish(ctx, missing, queue.Done("")),
			"queue: finish claimed " + e.ID.String() + ": conflict: element is DONE, not IN_PROGRESS": q.FinishClaimed(ctx, c, queue.Done("")),
			"queue: force status of " + missing.String() + ": not found":                              q.ForceStatus(ctx, missing, queue.StatusNew, ""),
			"queue: get " + missing.String() + ": not found":                                          getErr,
			"queue: delete " + missing.String() + ": not found":                                       q.Delete(ctx, missing),
			"queue: enqueue: value too long: reference is 101 characters, at most 100 fit":            longErr,
			`queue: list: invalid input: cannot order by "nope" (want a column of Queues)`:            listErr,
			"queue: new store: invalid input: WithLease(0s): must be positive":                        newErr,
			"queue: new store: invalid input: nil database":                                           nilErr,
		} {
			require.EqualError(t, err, want)
			require.Len(t, prefix.FindAllString(err.Error(), -1), 1, "one prefix: %s", err)
		}
		require.ErrorIs(t, newErr, store.ErrInvalid)
		require.ErrorIs(t, claimErr, queue.ErrEmpty)
	})
}
