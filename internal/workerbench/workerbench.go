// Package workerbench is the flowstore side of the programs that compare
// queue.Worker with other queues (examples/riverbench, examples/goqitebench):
// it fills one queue, works it off with a Worker whose handler does
// nothing, checks that every element ended DONE, and empties the queue
// again. Each program adds the other side and the measuring around it.
package workerbench

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/flowstore/flowstore/queue"
)

// Side works one queue of a queue store.
type Side struct {
	Store       queue.Store
	Queue       string
	Concurrency int  // the Worker's WithConcurrency
	Stats       bool // print the Worker's counts after each Work
}

// Reset removes every element of the queue.
func (s *Side) Reset(ctx context.Context) error {
	if _, err := s.Store.Prune(ctx, s.Queue, time.Now().Add(time.Hour)); err != nil {
		return err
	}
	// Prune removes finished elements; what a stopped round left NEW goes too.
	for {
		page, err := s.Store.List(ctx, queue.Filter{Queue: s.Queue, Limit: 1000})
		if err != nil || len(page.Elements) == 0 {
			return err
		}
		for _, e := range page.Elements {
			if err := s.Store.Delete(ctx, e.ID); err != nil {
				return err
			}
		}
	}
}

// Fill enqueues n elements, 10,000 to a batch, each with its number in
// its data, as riverbench's River jobs carry theirs in their args; like
// those, they have nothing the dashboard indexes (no reference).
func (s *Side) Fill(ctx context.Context, n int) error {
	for done := 0; done < n; done += 10_000 {
		batch := make([]queue.NewElement, min(10_000, n-done))
		for i := range batch {
			batch[i] = queue.NewElement{Data: `{"i":` + strconv.Itoa(done+i) + `}`}
		}
		if _, err := s.Store.EnqueueBatch(ctx, s.Queue, batch); err != nil {
			return err
		}
	}
	return nil
}

// Worker returns a Worker on the queue whose handler calls onStart and
// returns nil.
func (s *Side) Worker(onStart func(e queue.Element)) (*queue.Worker, error) {
	return queue.NewWorker(s.Store, []string{s.Queue}, func(_ context.Context, e queue.Element) error {
		onStart(e)
		return nil
	}, queue.WithConcurrency(s.Concurrency))
}

// Work runs a Worker until its handler has run n times, stops it and
// returns how long that took until Run returned (which writes every
// buffered DONE). It fails unless the queue then has n elements DONE.
func (s *Side) Work(ctx context.Context, n int) (time.Duration, error) {
	var handled atomic.Int64
	all := make(chan struct{})
	w, err := s.Worker(func(queue.Element) {
		if handled.Add(1) == int64(n) {
			close(all)
		}
	})
	if err != nil {
		return 0, err
	}
	wctx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	start := time.Now()
	go func() { done <- w.Run(wctx) }()
	select {
	case <-all:
	case err := <-done:
		stop()
		return 0, fmt.Errorf("worker stopped early: %w", err)
	}
	stop()
	if err := <-done; err != nil && !errors.Is(err, context.Canceled) {
		return 0, err
	}
	took := time.Since(start)
	if s.Stats {
		st := w.Stats()
		fmt.Printf("    worker: %d claims, %.1f elements per claim, %+v\n", st.Claims, float64(st.Claimed)/float64(max(st.Claims, 1)), st)
	}
	counts, err := s.Store.Counts(ctx)
	if err != nil {
		return 0, err
	}
	if got := counts[s.Queue][queue.StatusDone]; got != n {
		return 0, fmt.Errorf("%d of %d elements DONE after the Worker stopped", got, n)
	}
	return took, nil
}
