// Command queueworker drains a flowstore work queue with a pool of workers
// and reports how fast it went: a progress line each second and a summary.
//
//	queueworker -dsn postgres://… -queue demo -workers 4 -batch 100 -n 100000
//
// With -n it first enqueues n elements (in batches of 10,000). The work is
// done by a queue.Worker with -workers × -batch handler slots and a no-op
// handler: it claims as many elements as it has free slots in one
// statement and finishes the handlers' results in batches (see package
// queue, "Worker"). It stops when every element that was NEW at the start
// is done, and counts the time until the Worker has written the last
// result.
//
// With -compare it then does the same work again with the raw driver: the
// same claim and finish SQL, hand-written in internal/rawqueue, with bound
// parameters on the same database, in -workers loops that each claim up to
// -batch elements and finish them in one statement. It prints the
// library's speed as a ratio of the raw driver's, for enqueueing and for
// working.
//
// It opens the database as an application does, with flowstore.Open (every
// dialect linked, the schema migrated), and works the queue through its
// Queue store; the raw side runs on the same pool, the *store.DB underneath
// (DB.Store).
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/flowstore/flowstore"
	"github.com/flowstore/flowstore/queue"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

type config struct {
	dsn, queue     string
	workers, batch int
	n              int
	compare        bool
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("queueworker", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var c config
	fs.StringVar(&c.dsn, "dsn", "sqlite:queueworker.db", "database DSN")
	fs.StringVar(&c.queue, "queue", "queueworker", "queue name")
	fs.IntVar(&c.workers, "workers", 4, "concurrent workers (the Worker has -workers × -batch handler slots)")
	fs.IntVar(&c.batch, "batch", 1, fmt.Sprintf("elements each raw worker claims and finishes per statement (at most %d)", queue.MaxClaimBatch))
	fs.IntVar(&c.n, "n", 0, "enqueue this many elements first")
	fs.BoolVar(&c.compare, "compare", false, "also run the same work with the raw driver and print the ratio")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if c.workers < 1 || c.batch < 1 || c.batch > queue.MaxClaimBatch || c.n < 0 {
		fmt.Fprintf(stderr, "queueworker: -workers must be at least 1, -batch from 1 to %d, -n not negative\n", queue.MaxClaimBatch)
		return 2
	}
	if err := work(ctx, c, stdout); err != nil {
		fmt.Fprintf(stderr, "queueworker: %v\n", err)
		return 1
	}
	return 0
}

// side is one way of doing the work (the library, or the raw driver) and
// what it has measured.
type side struct {
	name             string
	enqueue          func(ctx context.Context) error
	drain            func(ctx context.Context) (n int, secs float64, err error)
	enqN, workN      int
	enqSecs, workSec float64
}

func (s *side) rates() (enq, work float64) {
	return float64(s.enqN) / s.enqSecs, float64(s.workN) / s.workSec
}

func work(ctx context.Context, c config, out io.Writer) error {
	db, err := flowstore.Open(ctx, c.dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	pool := db.Store().SQL()
	pool.SetMaxOpenConns(max(c.workers+1, 2))
	pool.SetMaxIdleConns(max(c.workers+1, 2))
	q := db.Queue
	lib := &side{name: "flowstore", enqueue: func(ctx context.Context) error { return enqueueLib(ctx, q, c) },
		drain: func(ctx context.Context) (int, float64, error) { return drainWorker(ctx, c, out, "flowstore", q) }}
	order := []*side{lib}
	var rs *side
	if c.compare {
		r := newRaw(db.Store())
		rs = &side{name: "raw driver", enqueue: func(ctx context.Context) error { return r.enqueue(ctx, c) },
			drain: func(ctx context.Context) (int, float64, error) { return drain(ctx, c, out, "raw driver", r.worker(c)) }}
		// raw, lib, lib, raw: neither side always runs first, on the
		// colder database.
		order = []*side{rs, lib, lib, rs}
	}
	for _, s := range order {
		if c.n > 0 {
			start := time.Now()
			if err := s.enqueue(ctx); err != nil {
				return err
			}
			secs := time.Since(start).Seconds()
			s.enqN += c.n
			s.enqSecs += secs
			fmt.Fprintf(out, "%s: enqueued %d elements in %.2fs: %.0f elements/s\n", s.name, c.n, secs, float64(c.n)/secs)
		}
		n, secs, err := s.drain(ctx)
		if err != nil {
			return err
		}
		s.workN += n
		s.workSec += secs
	}
	if rs == nil {
		return nil
	}
	libEnq, libWork := lib.rates()
	rawEnq, rawWork := rs.rates()
	fmt.Fprintf(out, "summary (%s, %d workers, batch %d): flowstore %.0f elements/s, raw driver %.0f elements/s, ratio %.2f",
		db.SQLDialect().Name(), c.workers, c.batch, libWork, rawWork, libWork/rawWork)
	if c.n > 0 {
		fmt.Fprintf(out, "; enqueue flowstore %.0f/s, raw %.0f/s, ratio %.2f", libEnq, rawEnq, libEnq/rawEnq)
	}
	fmt.Fprintln(out)
	return nil
}

func enqueueLib(ctx context.Context, q queue.Store, c config) error {
	for lo := 0; lo < c.n; lo += 10000 {
		k := min(10000, c.n-lo)
		els := make([]queue.NewElement, k)
		for i := range els {
			ref, data := item(lo + i)
			els[i] = queue.NewElement{Reference: ref, Data: data, CreatedBy: createdBy}
		}
		if _, err := q.EnqueueBatch(ctx, c.queue, els); err != nil {
			return err
		}
	}
	return nil
}

// createdBy is who both sides say enqueued the elements.
const createdBy = "queueworker"

// item is the reference and the data of the i-th element both sides
// enqueue.
func item(i int) (ref, data string) {
	return "item-" + strconv.Itoa(i), `{"item":` + strconv.Itoa(i) + `}`
}

// workFunc works one claim's worth of elements and returns how many; 0
// means the queue is empty.
type workFunc func(ctx context.Context) (int, error)

// drainWorker works the queue with a queue.Worker whose handler does
// nothing, until every element that was NEW when it started is done, and
// returns how many were done and the seconds it took, up to the moment the
// Worker had written every result (Run returned).
func drainWorker(ctx context.Context, c config, out io.Writer, who string, q queue.Store) (int, float64, error) {
	counts, err := q.Counts(ctx)
	if err != nil {
		return 0, 0, err
	}
	target := int64(counts[c.queue][queue.StatusNew])
	var done atomic.Int64
	reached := make(chan struct{})
	w, err := queue.NewWorker(q, []string{c.queue}, func(ctx context.Context, e queue.Element) error {
		if done.Add(1) == target {
			close(reached)
		}
		return nil
	}, queue.WithConcurrency(c.workers*c.batch))
	if err != nil {
		return 0, 0, err
	}
	start := time.Now()
	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	finished := make(chan error, 1)
	go func() {
		if target > 0 {
			select {
			case <-reached:
			case <-runCtx.Done():
			}
		}
		stop()
	}()
	go func() { finished <- w.Run(runCtx) }()
	err = progress(out, who, start, &done, finished)
	elapsed := time.Since(start)
	if err == nil {
		err = ctx.Err()
	}
	if err != nil {
		return 0, 0, err
	}
	n := int(done.Load())
	fmt.Fprintf(out, "%s: %d elements done in %.2fs: %.0f elements/s (Worker, %d handler slots)\n", who, n, elapsed.Seconds(), float64(n)/elapsed.Seconds(), c.workers*c.batch)
	return n, elapsed.Seconds(), nil
}

// progress prints a progress line each second until finished delivers
// the work's error.
func progress(out io.Writer, who string, start time.Time, done *atomic.Int64, finished <-chan error) error {
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	last := int64(0)
	for {
		select {
		case <-tick.C:
			d := done.Load()
			fmt.Fprintf(out, "%s: %6.1fs %10d done %10d/s\n", who, time.Since(start).Seconds(), d, d-last)
			last = d
		case err := <-finished:
			return err
		}
	}
}

// drain runs the workers until the queue is empty, printing progress each
// second, and returns how many elements were done and the seconds it took.
func drain(ctx context.Context, c config, out io.Writer, who string, w workFunc) (int, float64, error) {
	var done atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, c.workers)
	start := time.Now()
	finished := make(chan error, 1)
	for range c.workers {
		wg.Go(func() {
			for ctx.Err() == nil {
				k, err := w(ctx)
				if err != nil {
					errs <- err
					return
				}
				if k == 0 {
					return
				}
				done.Add(int64(k))
			}
		})
	}
	go func() { wg.Wait(); finished <- nil }()
	_ = progress(out, who, start, &done, finished)
	elapsed := time.Since(start)
	close(errs)
	if err := <-errs; err != nil {
		return 0, 0, err
	}
	if err := ctx.Err(); err != nil {
		return 0, 0, err
	}
	n := int(done.Load())
	fmt.Fprintf(out, "%s: %d elements done in %.2fs: %.0f elements/s (%d workers, batch %d)\n", who, n, elapsed.Seconds(), float64(n)/elapsed.Seconds(), c.workers, c.batch)
	return n, elapsed.Seconds(), nil
}
