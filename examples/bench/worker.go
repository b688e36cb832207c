package main

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/flowstore/flowstore/queue"
)

// The Worker runtime (queue.Worker, issue 15): its throughput with handlers
// that do nothing, and its pickup latency. Both are library-only cases: no
// raw program does the same job (River, the peer the issue names, is not a
// dependency of this module).
//
// Throughput: prepare fills the run's queue with n elements; the timed op
// starts a Worker on it, waits until its handler ran n times, stops it and
// waits for Run to return — so the figure includes the completer writing
// every DONE, not just the handlers being called.
//
// Pickup latency: a Worker waits on the empty run's queue; one goroutine
// enqueues n elements, one Enqueue each, paced at a fixed rate; each
// element's latency is from its Enqueue returning (the commit acknowledged)
// to its handler starting. A handler that starts before its Enqueue call
// has returned counts 0. The case reports p50 and p99 and the rate the
// enqueuer reached.
func init() {
	register(&benchCase{
		name:    "queue: Worker, no-op handlers, concurrency 100",
		order:   130,
		workers: 1,
		ops:     100000,
		prepare: fillQueue,
		library: workerThroughput(100),
	})
	for i, rate := range []int{10, 100, 1000} {
		register(&benchCase{
			name:    fmt.Sprintf("queue: Worker pickup latency, %d enqueues/s", rate),
			order:   140 + i,
			ops:     10 * rate, // ten seconds of enqueues at scale 1
			latency: pickupLatency(float64(rate)),
		})
	}
}

// workerThroughput is the throughput op with a Worker of conc handlers.
func workerThroughput(conc int) op {
	return func(ctx context.Context, e *env, _, max int) (int, error) {
		var handled atomic.Int64
		all := make(chan struct{})
		target := int64(max)
		w, err := queue.NewWorker(e.queue.lib, []string{e.tag}, func(context.Context, queue.Element) error {
			if handled.Add(1) == target {
				close(all)
			}
			return nil
		}, queue.WithConcurrency(conc))
		if err != nil {
			return 0, err
		}
		if err := runWorker(ctx, w, all); err != nil {
			return 0, err
		}
		return int(handled.Load()), nil
	}
}

// runWorker runs w until all is closed, then stops it and waits for Run to
// return (it writes what its completer holds first).
func runWorker(ctx context.Context, w *queue.Worker, all <-chan struct{}) error {
	wctx, stop := context.WithCancel(ctx)
	defer stop()
	done := make(chan error, 1)
	go func() { done <- w.Run(wctx) }()
	select {
	case <-all:
	case <-ctx.Done():
	}
	stop()
	err := <-done
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return err
}

// latency is a pickup-latency case's result.
type latency struct {
	Rate     float64 `json:"target_enqueues_per_sec"`
	Achieved float64 `json:"achieved_enqueues_per_sec"`
	Samples  int     `json:"samples"`
	P50ms    float64 `json:"p50_ms"`
	P99ms    float64 `json:"p99_ms"`
}

// latencyPatience bounds the wait for the last pickups once every element
// is enqueued.
const latencyPatience = 30 * time.Second

func pickupLatency(rate float64) func(ctx context.Context, e *env, n int) (*latency, error) {
	return func(ctx context.Context, e *env, n int) (*latency, error) {
		if err := emptyQueue(ctx, e); err != nil {
			return nil, err
		}
		n = max(5, n)
		started := make([]time.Time, n)
		committed := make([]time.Time, n)
		var mu sync.Mutex
		seen := 0
		all := make(chan struct{})
		w, err := queue.NewWorker(e.queue.lib, []string{e.tag}, func(_ context.Context, el queue.Element) error {
			now := time.Now()
			i, err := strconv.Atoi(strings.TrimPrefix(el.Reference, "lat-"))
			if err != nil || i < 0 || i >= n {
				return fmt.Errorf("bench: unexpected element %q", el.Reference)
			}
			mu.Lock()
			defer mu.Unlock()
			if started[i].IsZero() {
				started[i] = now
				if seen++; seen == n {
					close(all)
				}
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		wctx, stop := context.WithCancel(ctx)
		defer stop()
		done := make(chan error, 1)
		go func() { done <- w.Run(wctx) }()
		stopWorker := func() error { stop(); return <-done }
		// The Worker gets a moment to start (subscribe, LISTEN) and go
		// idle, as a worker waiting for work is.
		if err := sleepUntil(ctx, time.Now().Add(300*time.Millisecond)); err != nil {
			return nil, errors.Join(err, stopWorker())
		}
		begin := time.Now()
		for i := range n {
			if err := sleepUntil(ctx, begin.Add(time.Duration(float64(i)/rate*float64(time.Second)))); err != nil {
				return nil, errors.Join(err, stopWorker())
			}
			if _, err := e.queue.lib.Enqueue(ctx, e.tag, queue.NewElement{Reference: "lat-" + strconv.Itoa(i), Data: "{}", CreatedBy: benchCreatedBy}); err != nil {
				return nil, errors.Join(err, stopWorker())
			}
			committed[i] = time.Now()
		}
		// n enqueues span n-1 intervals of 1/rate.
		achieved := float64(n-1) / time.Since(begin).Seconds()
		select {
		case <-all:
		case <-ctx.Done():
			return nil, errors.Join(ctx.Err(), stopWorker())
		case <-time.After(latencyPatience):
			mu.Lock()
			k := seen
			mu.Unlock()
			return nil, errors.Join(fmt.Errorf("the worker picked up %d of %d elements within %s of the last enqueue", k, n, latencyPatience), stopWorker())
		}
		if err := stopWorker(); err != nil {
			return nil, err
		}
		mu.Lock()
		lat := make([]time.Duration, n)
		for i := range lat {
			lat[i] = max(0, started[i].Sub(committed[i]))
		}
		mu.Unlock()
		return &latency{Rate: rate, Achieved: math.Round(achieved), Samples: n, P50ms: ms(percentile(lat, 0.50)), P99ms: ms(percentile(lat, 0.99))}, nil
	}
}

// percentile is the nearest-rank p-th percentile of ds (which it sorts).
func percentile(ds []time.Duration, p float64) time.Duration {
	sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
	k := int(math.Ceil(p*float64(len(ds)))) - 1
	return ds[min(max(k, 0), len(ds)-1)]
}

// ms is d in milliseconds, to the microsecond.
func ms(d time.Duration) float64 { return math.Round(float64(d)/1e3) / 1e3 }

func sleepUntil(ctx context.Context, at time.Time) error {
	d := time.Until(at)
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
