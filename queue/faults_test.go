package queue_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/flowstore/flowstore/internal/testdb"
	"github.com/flowstore/flowstore/queue"
	"github.com/flowstore/flowstore/store"
)

// TestEnqueueKey pins what an idempotent enqueue does: a key the queue
// holds returns the element it names (whatever has become of it), a key
// held by an element with other values is store.ErrDuplicate, keys are per
// queue and free again once their element is gone; in a session the
// store's own duplicate-key error does not spoil the transaction.
func TestEnqueueKey(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		db, clk := withClock(t, db)
		q := newQueue(t, db)
		in := queue.NewElement{Reference: "INV-1", Data: `{"amount":12}`, CreatedBy: "shop", Key: "order-1"}
		e1, err := q.Enqueue(ctx, "k", in)
		require.NoError(t, err)
		require.Equal(t, "order-1", e1.Key)
		clk.advance(time.Second)
		again, err := q.Enqueue(ctx, "k", in)
		require.NoError(t, err)
		require.Equal(t, e1, again, "a retry returns the element the key made, created_date and all")
		got, err := q.Get(ctx, e1.ID)
		require.NoError(t, err)
		require.Equal(t, e1, got)

		other := in
		other.Data = `{"amount":13}`
		_, err = q.Enqueue(ctx, "k", other)
		require.ErrorIs(t, err, store.ErrDuplicate, "the key names an element with other data")
		require.Contains(t, err.Error(), e1.ID.String())
		require.Contains(t, err.Error(), `key "order-1"`)

		elsewhere, err := q.Enqueue(ctx, "k2", in)
		require.NoError(t, err)
		require.NotEqual(t, e1.ID, elsewhere.ID, "keys are per queue")

		// Without a key, every enqueue adds an element, as OpenOrchestrator's.
		_, err = q.Enqueue(ctx, "k", queue.NewElement{Reference: "INV-1"})
		require.NoError(t, err)
		_, err = q.Enqueue(ctx, "k", queue.NewElement{Reference: "INV-1"})
		require.NoError(t, err)
		c, err := q.Counts(ctx)
		require.NoError(t, err)
		require.Equal(t, queue.Counts{"k": {queue.StatusNew: 3}, "k2": {queue.StatusNew: 1}}, c)

		// The key names the element whatever its status.
		claimed, err := q.Claim(ctx, "k")
		require.NoError(t, err)
		require.Equal(t, e1.ID, claimed.ID)
		require.Equal(t, "order-1", claimed.Key, "claims return the key")
		require.NoError(t, q.Finish(ctx, e1.ID, queue.Done("")))
		again, err = q.Enqueue(ctx, "k", in)
		require.NoError(t, err)
		require.Equal(t, e1.ID, again.ID)
		require.Equal(t, queue.StatusDone, again.Status)

		// Gone, the key is free again.
		require.NoError(t, q.Delete(ctx, e1.ID))
		fresh, err := q.Enqueue(ctx, "k", in)
		require.NoError(t, err)
		require.NotEqual(t, e1.ID, fresh.ID)

		// In a session: the duplicate key is met inside a savepoint, so the
		// session goes on (PostgreSQL would otherwise abort it).
		var later queue.Element
		err = db.InTx(ctx, func(ctx context.Context, s *store.Session) error {
			qs := q.WithTx(s)
			x, err := qs.Enqueue(ctx, "k", in)
			if err != nil {
				return err
			}
			require.Equal(t, fresh.ID, x.ID)
			later, err = qs.Enqueue(ctx, "k", queue.NewElement{Key: "order-2"})
			return err
		})
		require.NoError(t, err)
		got, err = q.Get(ctx, later.ID)
		require.NoError(t, err, "the session's later write committed")
		require.Equal(t, "order-2", got.Key)

		// Bad keys are refused before anything is written.
		_, err = q.Enqueue(ctx, "k", queue.NewElement{Key: strings.Repeat("k", queue.MaxKey+1)})
		require.ErrorIs(t, err, store.ErrTooLong)
		_, err = q.Enqueue(ctx, "k", queue.NewElement{Key: "nul\x00"})
		require.ErrorIs(t, err, store.ErrInvalid)
	})
}

// TestEnqueueBatchKeys: a batch's keyed elements that the queue holds
// already come back as their ids, the rest are written, in input order;
// retrying the batch adds nothing keyed; a key repeated within a batch, or
// held with other values, refuses the whole batch.
func TestEnqueueBatchKeys(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		q := newQueue(t, db)
		held, err := q.Enqueue(ctx, "kb", queue.NewElement{Reference: "r0", Key: "k0"})
		require.NoError(t, err)
		batch := []queue.NewElement{{Reference: "r1", Key: "k1"}, {Reference: "r0", Key: "k0"}, {Reference: "r2", Key: "k2"}}
		ids, err := q.EnqueueBatch(ctx, "kb", batch)
		require.NoError(t, err)
		require.Len(t, ids, 3)
		require.Equal(t, held.ID, ids[1], "the held key's element")
		retry, err := q.EnqueueBatch(ctx, "kb", batch)
		require.NoError(t, err)
		require.Equal(t, ids, retry, "a retry of the batch returns the same ids")
		c, err := q.Counts(ctx)
		require.NoError(t, err)
		require.Equal(t, 3, c["kb"][queue.StatusNew])

		els, err := q.ClaimBatch(ctx, "kb", 10)
		require.NoError(t, err)
		require.Equal(t, []uuid.UUID{held.ID, ids[0], ids[2]}, idsOf(els), "the held element first, then the batch's new ones in input order")
		require.Equal(t, []string{"k0", "k1", "k2"}, []string{els[0].Key, els[1].Key, els[2].Key})

		_, err = q.EnqueueBatch(ctx, "kb", []queue.NewElement{{Key: "k9"}, {Key: "k9"}})
		require.ErrorIs(t, err, store.ErrInvalid, "a key twice in one batch")
		_, err = q.EnqueueBatch(ctx, "kb", []queue.NewElement{{Reference: "new", Key: "k8"}, {Reference: "not r1", Key: "k1"}})
		require.ErrorIs(t, err, store.ErrDuplicate, "k1 is held with another reference")
		require.Contains(t, err.Error(), "element 1: ")
		c, err = q.Counts(ctx)
		require.NoError(t, err)
		require.Equal(t, queue.Counts{"kb": {queue.StatusInProgress: 3}}, c, "a refused batch writes nothing, not even k8")
	})
}

// TestEnqueueKeyUnderDeadlines is issue 14's scenario: goroutines enqueue
// with deadlines too tight for many calls to succeed, and retry every
// failed call with the same key until it succeeds — some singly, some in
// batches, several goroutines racing on each key. Each key must end up as
// exactly one element, and every call that succeeded for a key must have
// returned that element's id.
func TestEnqueueKeyUnderDeadlines(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		const keys, workers, batch = 40, 6, 4
		q := newQueue(t, db)
		var mu sync.Mutex
		got := map[string]map[uuid.UUID]bool{}
		record := func(key string, id uuid.UUID) {
			mu.Lock()
			defer mu.Unlock()
			if got[key] == nil {
				got[key] = map[uuid.UUID]bool{}
			}
			got[key][id] = true
		}
		element := func(k int) queue.NewElement {
			return queue.NewElement{Reference: fmt.Sprintf("ref-%d", k), Data: fmt.Sprintf(`{"k":%d}`, k), CreatedBy: "retrier", Key: fmt.Sprintf("key-%02d", k)}
		}
		var failed, retried atomic.Int64
		// try runs op with a fresh deadline of 0.1 to 20 ms until it
		// succeeds, each retry allowing half as much again, as a caller
		// backing off would (a deadline that ends a read on PostgreSQL
		// closes its connection, and opening one takes milliseconds — tens
		// of them under the race detector, where 2 ms more per retry took
		// dozens of attempts).
		try := func(w int, op func(ctx context.Context) error) {
			backoff := time.Duration(0)
			for attempt := 1; ; attempt++ {
				deadline := time.Duration(100+rand.IntN(20000))*time.Microsecond + backoff
				backoff = min(backoff*3/2+2*time.Millisecond, 10*time.Second)
				if attempt == 1 && rand.IntN(4) == 0 {
					// A deadline shorter than any round trip, so that some
					// calls fail however fast the machine is.
					deadline = time.Duration(1+rand.IntN(300)) * time.Microsecond
				}
				ctx, cancel := context.WithTimeout(context.Background(), deadline)
				err := op(ctx)
				cancel()
				if err == nil {
					if attempt > 1 {
						retried.Add(1)
					}
					return
				}
				failed.Add(1)
				if errors.Is(err, store.ErrInvalid) || strings.Contains(err.Error(), "enqueued with another") {
					t.Errorf("worker %d: %v", w, err) // not a fault the deadline caused
					return
				}
				if attempt == 500 {
					t.Errorf("worker %d: still failing after %d attempts: %v", w, attempt, err)
					return
				}
			}
		}
		var wg sync.WaitGroup
		for w := range workers {
			wg.Go(func() {
				order := rand.Perm(keys)
				if w%2 == 0 {
					for _, k := range order {
						try(w, func(ctx context.Context) error {
							e, err := q.Enqueue(ctx, "retry", element(k))
							if err == nil {
								record(element(k).Key, e.ID)
							}
							return err
						})
					}
					return
				}
				for lo := 0; lo < keys; lo += batch {
					var els []queue.NewElement
					for _, k := range order[lo:min(lo+batch, keys)] {
						els = append(els, element(k))
					}
					try(w, func(ctx context.Context) error {
						ids, err := q.EnqueueBatch(ctx, "retry", els)
						if err == nil {
							for i, id := range ids {
								record(els[i].Key, id)
							}
						}
						return err
					})
				}
			})
		}
		wg.Wait()
		t.Logf("%d calls failed and were retried; %d enqueues succeeded only on a retry", failed.Load(), retried.Load())
		require.Positive(t, failed.Load(), "the deadlines never bit: the test proved nothing")

		require.Len(t, got, keys)
		for key, ids := range got {
			require.Len(t, ids, 1, "%s: calls returned different elements", key)
		}
		ctx := t.Context()
		c, err := q.Counts(ctx)
		require.NoError(t, err)
		require.Equal(t, queue.Counts{"retry": {queue.StatusNew: keys}}, c, "exactly one element per key")
		d := db.SQLDialect()
		var dups int
		require.NoError(t, db.SQL().QueryRowContext(ctx, `SELECT COUNT(*) FROM (SELECT `+d.Quote("idempotency_key")+` FROM `+d.Quote("Queues")+
			` GROUP BY `+d.Quote("idempotency_key")+` HAVING COUNT(*) > 1) dup`).Scan(&dups))
		require.Zero(t, dups)
		for e, err := range q.All(ctx, queue.Filter{Queue: "retry"}) {
			require.NoError(t, err)
			require.True(t, got[e.Key][e.ID], "%s is the element the calls returned", e.Key)
		}
	})
}

// badTexts are values no column can hold exactly.
var badTexts = map[string]string{"NUL": "nul\x00name", "invalid UTF-8": "bad\xffutf8"}

// TestBadTextRefused: text the database cannot store exactly is refused
// with store.ErrInvalid before anything is written — in every value a
// caller writes and in every value a read looks up — on every dialect,
// instead of being stored altered, failing with a driver error, or
// reaching bun's inlining.
func TestBadTextRefused(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		q := newQueue(t, db)
		_, err := q.Enqueue(ctx, "q", queue.NewElement{Reference: "keep"})
		require.NoError(t, err)
		claimed, err := q.Claim(ctx, "q")
		require.NoError(t, err)
		_, err = q.Enqueue(ctx, "q", queue.NewElement{Reference: "new"})
		require.NoError(t, err)
		before, err := q.Counts(ctx)
		require.NoError(t, err)

		for name, bad := range badTexts {
			truncated := queue.Failed(bad)
			truncated.TruncateMessage = true
			ops := map[string]func() error{
				"Enqueue queue":        func() error { _, err := q.Enqueue(ctx, bad, queue.NewElement{}); return err },
				"Enqueue reference":    func() error { _, err := q.Enqueue(ctx, "q", queue.NewElement{Reference: bad}); return err },
				"Enqueue data":         func() error { _, err := q.Enqueue(ctx, "q", queue.NewElement{Data: bad}); return err },
				"Enqueue created_by":   func() error { _, err := q.Enqueue(ctx, "q", queue.NewElement{CreatedBy: bad}); return err },
				"Enqueue key":          func() error { _, err := q.Enqueue(ctx, "q", queue.NewElement{Key: bad}); return err },
				"EnqueueBatch queue":   func() error { _, err := q.EnqueueBatch(ctx, bad, []queue.NewElement{{}}); return err },
				"EnqueueBatch element": func() error { _, err := q.EnqueueBatch(ctx, "q", []queue.NewElement{{}, {Data: bad}}); return err },
				"Claim":                func() error { _, err := q.Claim(ctx, bad); return err },
				"ClaimReference":       func() error { _, err := q.ClaimReference(ctx, "q", bad); return err },
				"ClaimBatch":           func() error { _, err := q.ClaimBatch(ctx, bad, 1); return err },
				"Finish":               func() error { return q.Finish(ctx, claimed.ID, queue.Failed(bad)) },
				"Finish truncating":    func() error { return q.Finish(ctx, claimed.ID, truncated) },
				"FinishClaimed":        func() error { return q.FinishClaimed(ctx, claimed, queue.Failed(bad)) },
				"FinishBatch":          func() error { _, err := q.FinishBatch(ctx, []uuid.UUID{claimed.ID}, queue.Failed(bad)); return err },
				"ForceStatus":          func() error { return q.ForceStatus(ctx, claimed.ID, queue.StatusAbandoned, bad) },
				"RequeueStale":         func() error { _, err := q.RequeueStale(ctx, bad, 0); return err },
				"FailStale queue":      func() error { _, err := q.FailStale(ctx, bad, 0, ""); return err },
				"FailStale message":    func() error { _, err := q.FailStale(ctx, "q", 0, bad); return err },
				"Prune":                func() error { _, err := q.Prune(ctx, bad, time.Now()); return err },
				"List queue":           func() error { _, err := q.List(ctx, queue.Filter{Queue: bad}); return err },
				"List reference":       func() error { _, err := q.List(ctx, queue.Filter{Reference: bad}); return err },
				"List search":          func() error { _, err := q.List(ctx, queue.Filter{Search: bad, Count: true}); return err },
				"All": func() error {
					for _, err := range q.All(ctx, queue.Filter{Search: bad}) {
						return err
					}
					return nil
				},
			}
			for op, call := range ops {
				err := call()
				require.ErrorIs(t, err, store.ErrInvalid, "%s with %s", op, name)
				require.True(t, strings.HasPrefix(err.Error(), "queue: "), err.Error())
			}
		}
		after, err := q.Counts(ctx)
		require.NoError(t, err)
		require.Equal(t, before, after, "nothing written")
		got, err := q.Get(ctx, claimed.ID)
		require.NoError(t, err)
		require.Equal(t, claimed, got, "the claimed element is untouched")
	})
}

// TestNilContext: every method refuses a nil context with store.ErrInvalid
// instead of panicking inside database/sql (which leaves the pool's lock
// held, so that every later call hangs), on the pool and in a session.
func TestNilContext(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		q := newQueue(t, db)
		require.Equal(t, 18, testdb.RefusesNilContext(t, q), "every method with a context")
		s, err := db.Begin(t.Context())
		require.NoError(t, err)
		require.Equal(t, 18, testdb.RefusesNilContext(t, q.WithTx(s)))
		require.NoError(t, s.Rollback())

		// With valid arguments too, so the refusal is the context's.
		var nilCtx context.Context
		_, err = q.Enqueue(nilCtx, "q", queue.NewElement{})
		require.ErrorContains(t, err, "queue: enqueue: invalid input: nil context")
		_, err = q.ClaimBatch(nilCtx, "q", 1)
		require.ErrorContains(t, err, "nil context")
		_, err = q.Get(nilCtx, uuid.New())
		require.ErrorContains(t, err, "nil context")
		for _, err := range q.All(nilCtx, queue.Filter{}) {
			require.ErrorContains(t, err, "nil context")
		}
		// The pool still works.
		_, err = q.Enqueue(t.Context(), "q", queue.NewElement{})
		require.NoError(t, err)
	})
}
