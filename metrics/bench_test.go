package metrics_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/flowstore/flowstore/internal/testdb"
	"github.com/flowstore/flowstore/metrics"
	"github.com/flowstore/flowstore/queue"
	"github.com/flowstore/flowstore/store"
)

// BenchmarkGatherUncached measures one scrape that reads the database
// (cache off): 10 queues of 20,000 elements each, 200,000 in all, in three
// statuses, with the default depth cap (100,000).
func BenchmarkGatherUncached(b *testing.B) {
	for _, d := range testdb.Live() {
		if d == store.SQLServer {
			continue
		}
		b.Run(string(d), func(b *testing.B) {
			ctx := context.Background()
			sdb := testdb.Fresh(b, d)
			q, err := queue.New(sdb)
			if err != nil {
				b.Fatal(err)
			}
			batch := make([]queue.NewElement, 1000)
			for i := range 10 {
				name := fmt.Sprint("q", i)
				for range 20 {
					if _, err := q.EnqueueBatch(ctx, name, batch); err != nil {
						b.Fatal(err)
					}
				}
				els, err := q.ClaimBatch(ctx, name, 1000)
				if err != nil {
					b.Fatal(err)
				}
				for _, e := range els[:500] {
					if err := q.FinishClaimed(ctx, e, queue.Done("")); err != nil {
						b.Fatal(err)
					}
				}
			}
			m, err := metrics.New(metrics.WithCacheFor(0))
			if err != nil {
				b.Fatal(err)
			}
			if err := m.ObserveDB(sdb); err != nil {
				b.Fatal(err)
			}
			reg := prometheus.NewRegistry()
			reg.MustRegister(m)
			b.ResetTimer()
			for b.Loop() {
				if _, err := reg.Gather(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
