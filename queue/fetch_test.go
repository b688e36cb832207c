package queue_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/flowstore/flowstore/internal/testdb"
	"github.com/flowstore/flowstore/queue"
	"github.com/flowstore/flowstore/store"
)

// claimCounter is an Observer that records how many claims run at once.
type claimCounter struct {
	now, peak atomic.Int64
}

func (c *claimCounter) QueueClaimStart(ctx context.Context, _ string) context.Context {
	n := c.now.Add(1)
	for {
		p := c.peak.Load()
		if n <= p || c.peak.CompareAndSwap(p, n) {
			return ctx
		}
	}
}

func (c *claimCounter) QueueClaimed(context.Context, string, []queue.Element, error) {
	c.now.Add(-1)
}

func (*claimCounter) QueueFinished(context.Context, queue.FinishEvent)  {}
func (*claimCounter) QueueEnqueued(context.Context, string, int, error) {}

// A busy Worker keeps up to two claims under way (one where writes are
// serial), and the slots promised to a claim under way count as taken:
// however the claims and the handlers interleave, no more handlers run
// than the concurrency allows, and each element runs once and ends DONE.
func TestWorkerClaimsInFlight(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		claims := &claimCounter{}
		q := newQueue(t, db, queue.WithObserver(claims))
		const n, concurrency = 400, 8
		refs := make([]string, n)
		for i := range refs {
			refs[i] = fmt.Sprintf("r-%d", i)
		}
		enqueueRefs(t, q, "inflight", refs...)

		var mu sync.Mutex
		calls := map[string]int{}
		var running, peak atomic.Int64
		h := func(ctx context.Context, e queue.Element) error {
			r := running.Add(1)
			defer running.Add(-1)
			for {
				p := peak.Load()
				if r <= p || peak.CompareAndSwap(p, r) {
					break
				}
			}
			mu.Lock()
			calls[e.Reference]++
			mu.Unlock()
			// Uneven handler times free the slots a few at a time.
			time.Sleep(time.Duration(rand.IntN(1500)) * time.Microsecond)
			return nil
		}
		w, err := queue.NewWorker(q, []string{"inflight"}, h, queue.WithConcurrency(concurrency), queue.WithPollInterval(50*time.Millisecond))
		require.NoError(t, err)
		stop := runWorker(t, w)
		waitCounts(t, q, "inflight", map[queue.Status]int{queue.StatusDone: n})
		require.NoError(t, stop())

		require.Len(t, calls, n)
		for ref, c := range calls {
			require.Equal(t, 1, c, "handler calls for %s", ref)
		}
		require.LessOrEqual(t, peak.Load(), int64(concurrency), "handlers at once")
		require.Greater(t, peak.Load(), int64(1), "handlers ran concurrently")
		most := int64(2)
		if db.SQLDialect().Has(store.FeatureSerialWrites) {
			most = 1
		}
		require.LessOrEqual(t, claims.peak.Load(), most, "claims at once")
		st := w.Stats()
		require.Equal(t, int64(n), st.Claimed)
		require.Equal(t, int64(n), st.Done)
	})
}

// finishRecorder is an Observer that sums the finishes it is told of, per
// status.
type finishRecorder struct {
	mu     sync.Mutex
	n      map[queue.Status]int
	errs   int
	queues map[string]bool
}

func (*finishRecorder) QueueClaimStart(ctx context.Context, _ string) context.Context { return ctx }
func (*finishRecorder) QueueClaimed(context.Context, string, []queue.Element, error)  {}
func (*finishRecorder) QueueEnqueued(context.Context, string, int, error)             {}

func (r *finishRecorder) QueueFinished(_ context.Context, ev queue.FinishEvent) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.n[ev.Status] += ev.N
	if ev.Err != nil {
		r.errs++
	}
	r.queues[ev.Queue] = true
	if ev.Claimed.IsZero() {
		panic("a Worker's finish without its claim's start_date")
	}
}

// A Worker tells the store's observers of the finishes it writes — DONEs
// its completer batches, FAILEDs, CompleteTx's DONE — as the store's own
// finishing methods do, so that metrics count a Worker's work.
func TestWorkerReportsFinishes(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		rec := &finishRecorder{n: map[queue.Status]int{}, queues: map[string]bool{}}
		q := newQueue(t, db, queue.WithObserver(rec))
		// A quarter each: DONE, FAILED, DONE through CompleteTx, and FAILED
		// after CompleteTx's own function failed with a conflict (no finish
		// of CompleteTx's to report).
		const n = 120
		refs := make([]string, n)
		for i := range refs {
			refs[i] = fmt.Sprint(i)
		}
		enqueueRefs(t, q, "observed", refs...)
		h := func(ctx context.Context, e queue.Element) error {
			var i int
			fmt.Sscan(e.Reference, &i)
			switch i % 4 {
			case 1:
				return fmt.Errorf("element %d fails", i)
			case 2:
				return queue.CompleteTx(ctx, func(context.Context, *store.Session) error { return nil })
			case 3:
				return queue.CompleteTx(ctx, func(context.Context, *store.Session) error {
					return fmt.Errorf("the handler's own write: %w", store.ErrConflict)
				})
			}
			return nil
		}
		w, err := queue.NewWorker(q, []string{"observed"}, h, queue.WithConcurrency(8))
		require.NoError(t, err)
		stop := runWorker(t, w)
		waitCounts(t, q, "observed", map[queue.Status]int{queue.StatusDone: n / 2, queue.StatusFailed: n / 2})
		require.NoError(t, stop())
		rec.mu.Lock()
		defer rec.mu.Unlock()
		require.Equal(t, map[queue.Status]int{queue.StatusDone: n / 2, queue.StatusFailed: n / 2}, rec.n)
		require.Zero(t, rec.errs)
		require.Equal(t, map[string]bool{"observed": true}, rec.queues)
	})
}
