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
