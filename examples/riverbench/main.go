// Command riverbench compares flowstore's queue.Worker with River, in the
// same run on the same PostgreSQL database: throughput with handlers that do
// nothing, and pickup latency (enqueue commit → handler start) at fixed
// enqueue rates.
//
// It is a module of its own so that River never becomes a dependency of
// flowstore:
//
//	cd examples/riverbench && go run . -dsn 'postgres://…' [-n 100000] [-rates 10,100,1000]
//
// River is configured as its own benchmark (cmd/river/riverbench) tunes it:
// FetchCooldown 2 ms, FetchPollInterval 20 ms, MaxWorkers 2,000; flowstore's
// Worker gets the same concurrency (-concurrency, default 2,000), since with
// no-op handlers the number of elements in flight bounds what one claim
// round trip can hand out (at 100, a claim takes at most 100). Both sides
// insert their jobs first and time only the working, until every job is
// durably completed (River: its completer's events; flowstore: Worker.Run
// returned, which writes every buffered DONE). Each side works in its own
// tables (River's river_job, OpenOrchestrator's Queues) of one database,
// which the program empties of its own rows before and after.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivermigrate"

	"github.com/flowstore/flowstore"
	"github.com/flowstore/flowstore/internal/cpuuse"
	"github.com/flowstore/flowstore/internal/workerbench"
	"github.com/flowstore/flowstore/queue"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "riverbench:", err)
		os.Exit(1)
	}
}

type config struct {
	dsn         string
	n           int
	rounds      int
	rates       []int
	latencyFor  time.Duration
	concurrency int
	stats       bool
}

func run(ctx context.Context, args []string) error {
	var c config
	fs := flag.NewFlagSet("riverbench", flag.ContinueOnError)
	fs.StringVar(&c.dsn, "dsn", os.Getenv("FLOWSTORE_DSN"), "PostgreSQL DSN (postgres://…)")
	fs.IntVar(&c.n, "n", 100_000, "jobs per throughput round")
	fs.IntVar(&c.rounds, "rounds", 3, "throughput rounds per side, alternating which side goes first")
	rates := fs.String("rates", "10,100,1000", "enqueue rates (per second) of the latency cases")
	fs.DurationVar(&c.latencyFor, "latency-for", 10*time.Second, "how long each latency case enqueues (0: skip the latency cases)")
	fs.IntVar(&c.concurrency, "concurrency", 2_000, "flowstore Worker concurrency (River's MaxWorkers is 2,000)")
	fs.BoolVar(&c.stats, "stats", false, "print the flowstore Worker's counts (queue.WorkerStats) after each throughput round")
	only := fs.String("only", "", "run one side only: river or flowstore (default both)")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the whole run (both sides) to this file")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	if !strings.HasPrefix(c.dsn, "postgres://") && !strings.HasPrefix(c.dsn, "postgresql://") {
		return errors.New("-dsn must name a PostgreSQL database (postgres://…)")
	}
	for _, r := range strings.Split(*rates, ",") {
		v, err := strconv.Atoi(strings.TrimSpace(r))
		if err != nil || v <= 0 {
			return fmt.Errorf("-rates: %q is not a positive number", r)
		}
		c.rates = append(c.rates, v)
	}

	pool, err := pgxpool.New(ctx, c.dsn)
	if err != nil {
		return err
	}
	defer pool.Close()
	migrator, err := rivermigrate.New(riverpgxv5.New(pool), nil)
	if err != nil {
		return err
	}
	if _, err := migrator.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
		return fmt.Errorf("river migrate: %w", err)
	}
	fsdb, err := flowstore.Open(ctx, c.dsn)
	if err != nil {
		return err
	}
	defer fsdb.Close()

	sides := []side{&riverSide{pool: pool}, &flowstoreSide{workerbench.Side{Store: fsdb.Queue, Queue: "riverbench", Concurrency: c.concurrency, Stats: c.stats}}}
	if *only != "" {
		sides = slices.DeleteFunc(sides, func(s side) bool { return s.name() != *only })
		if len(sides) == 0 {
			return fmt.Errorf("-only %q: no such side (river, flowstore)", *only)
		}
	}
	for _, s := range sides {
		if err := s.reset(ctx); err != nil {
			return fmt.Errorf("%s: reset: %w", s.name(), err)
		}
		defer s.reset(context.WithoutCancel(ctx))
	}

	fmt.Printf("throughput, %d jobs per round, no-op handlers (jobs/s; median of %d rounds)\n", c.n, c.rounds)
	perSide := map[string][]float64{}
	for round := range c.rounds {
		order := slices.Clone(sides)
		if round%2 == 1 {
			slices.Reverse(order)
		}
		for _, s := range order {
			if err := s.fill(ctx, c.n); err != nil {
				return fmt.Errorf("%s: fill: %w", s.name(), err)
			}
			if err := settle(ctx, pool); err != nil {
				return err
			}
			before := cpuuse.Read()
			took, err := s.work(ctx, c.n)
			if err != nil {
				return fmt.Errorf("%s: work: %w", s.name(), err)
			}
			used := cpuuse.Read().Since(before)
			r := float64(c.n) / took.Seconds()
			perSide[s.name()] = append(perSide[s.name()], r)
			fmt.Printf("  round %d %-9s %9.0f jobs/s (%s)  cpu per job: this process %4.1f µs, the rest of the machine %5.1f µs\n",
				round+1, s.name(), r, took.Round(time.Millisecond), cpuuse.PerOp(used.Self, c.n), cpuuse.PerOp(used.Others, c.n))
			if err := s.reset(ctx); err != nil {
				return err
			}
		}
	}
	if len(sides) == 2 {
		fl, rv := median(perSide["flowstore"]), median(perSide["river"])
		fmt.Printf("  median: flowstore %.0f jobs/s, river %.0f jobs/s, flowstore/river %.2f\n\n", fl, rv, fl/rv)
	}

	if c.latencyFor == 0 {
		return nil
	}
	fmt.Printf("pickup latency, enqueue commit → handler start, %s per rate\n", c.latencyFor)
	fmt.Printf("  %-9s %8s %10s %10s %10s\n", "side", "rate/s", "p50", "p99", "max")
	for _, rate := range c.rates {
		for _, s := range sides {
			lat, err := s.latency(ctx, rate, c.latencyFor)
			if err != nil {
				return fmt.Errorf("%s: latency: %w", s.name(), err)
			}
			slices.Sort(lat)
			fmt.Printf("  %-9s %8d %10s %10s %10s\n", s.name(), rate, pct(lat, 0.50), pct(lat, 0.99), lat[len(lat)-1].Round(10*time.Microsecond))
			if err := s.reset(ctx); err != nil {
				return err
			}
		}
	}
	return nil
}

// settle vacuums and analyzes both sides' tables and runs a checkpoint, so
// that each round starts alike whichever side went before: without dead
// rows the previous round's deletes left, with fresh statistics, and with
// no checkpoint of the previous round's writes under way.
func settle(ctx context.Context, pool *pgxpool.Pool) error {
	for _, stmt := range []string{`VACUUM (ANALYZE) river_job, "Queues"`, `CHECKPOINT`} {
		if _, err := pool.Exec(ctx, stmt); err != nil {
			return fmt.Errorf("settle: %s: %w", stmt, err)
		}
	}
	return nil
}

// side is one queue implementation under measurement.
type side interface {
	name() string
	reset(ctx context.Context) error
	fill(ctx context.Context, n int) error
	// work starts workers on the filled jobs and returns how long it took
	// until all n were durably completed.
	work(ctx context.Context, n int) (time.Duration, error)
	// latency enqueues at rate per second for d, one job per commit, and
	// returns each job's time from its commit to its handler's start.
	latency(ctx context.Context, rate int, d time.Duration) ([]time.Duration, error)
}

// pace calls enqueue at rate per second for d, from one goroutine; enqueue
// gets the job's index.
func pace(ctx context.Context, rate int, d time.Duration, enqueue func(i int) error) (int, error) {
	interval := time.Second / time.Duration(rate)
	n := int(d / interval)
	start := time.Now()
	for i := range n {
		if wait := time.Until(start.Add(time.Duration(i) * interval)); wait > 0 {
			select {
			case <-ctx.Done():
				return i, ctx.Err()
			case <-time.After(wait):
			}
		}
		if err := enqueue(i); err != nil {
			return i, err
		}
	}
	return n, nil
}

// latencies collects one latency per job: committed[i] is when job i's
// enqueue returned, started[i] when its handler began; a handler can start
// before its enqueue call returned, which counts as 0.
type latencies struct {
	mu        sync.Mutex
	committed map[int]time.Time
	started   map[int]time.Time
	count     atomic.Int64
	all       chan struct{}
	want      int64
}

func newLatencies(n int) *latencies {
	return &latencies{committed: map[int]time.Time{}, started: map[int]time.Time{}, all: make(chan struct{}), want: int64(n)}
}

func (l *latencies) commit(i int, at time.Time) {
	l.mu.Lock()
	l.committed[i] = at
	l.mu.Unlock()
}

func (l *latencies) start(i int, at time.Time) {
	l.mu.Lock()
	l.started[i] = at
	l.mu.Unlock()
	if l.count.Add(1) == l.want {
		close(l.all)
	}
}

func (l *latencies) result() []time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make([]time.Duration, 0, len(l.started))
	for i, s := range l.started {
		d := s.Sub(l.committed[i])
		if d < 0 || l.committed[i].IsZero() {
			d = 0
		}
		out = append(out, d)
	}
	return out
}

func median(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	return s[len(s)/2]
}

func pct(sorted []time.Duration, p float64) time.Duration {
	i := int(p * float64(len(sorted)-1))
	return sorted[i].Round(10 * time.Microsecond)
}

// ---- River ----

type noopArgs struct {
	Index int `json:"i"`
}

func (noopArgs) Kind() string { return "flowstore_riverbench" }

type riverSide struct {
	pool *pgxpool.Pool
}

func (*riverSide) name() string { return "river" }

func (r *riverSide) reset(ctx context.Context) error {
	_, err := r.pool.Exec(ctx, `DELETE FROM river_job WHERE kind = 'flowstore_riverbench'`)
	return err
}

func (r *riverSide) client(onStart func(i int)) (*river.Client[pgx.Tx], error) {
	workers := river.NewWorkers()
	river.AddWorker(workers, river.WorkFunc(func(_ context.Context, job *river.Job[noopArgs]) error {
		if onStart != nil {
			onStart(job.Args.Index)
		}
		return nil
	}))
	return river.NewClient(riverpgxv5.New(r.pool), &river.Config{
		FetchCooldown:     2 * time.Millisecond,
		FetchPollInterval: 20 * time.Millisecond,
		Queues:            map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: 2_000}},
		Workers:           workers,
	})
}

func (r *riverSide) fill(ctx context.Context, n int) error {
	c, err := r.client(nil)
	if err != nil {
		return err
	}
	for done := 0; done < n; done += 10_000 {
		params := make([]river.InsertManyParams, min(10_000, n-done))
		for i := range params {
			params[i] = river.InsertManyParams{Args: noopArgs{Index: done + i}}
		}
		if _, err := c.InsertMany(ctx, params); err != nil {
			return err
		}
	}
	return nil
}

func (r *riverSide) work(ctx context.Context, n int) (time.Duration, error) {
	c, err := r.client(nil)
	if err != nil {
		return 0, err
	}
	events, cancel := c.SubscribeConfig(&river.SubscribeConfig{ChanSize: n,
		Kinds: []river.EventKind{river.EventKindJobCompleted, river.EventKindJobFailed, river.EventKindJobCancelled}})
	defer cancel()
	start := time.Now()
	if err := c.Start(ctx); err != nil {
		return 0, err
	}
	for seen := 0; seen < n; seen++ {
		select {
		case <-ctx.Done():
			return 0, ctx.Err()
		case <-events:
		}
	}
	took := time.Since(start)
	return took, c.Stop(ctx)
}

func (r *riverSide) latency(ctx context.Context, rate int, d time.Duration) ([]time.Duration, error) {
	want := int(d / (time.Second / time.Duration(rate)))
	l := newLatencies(want)
	c, err := r.client(func(i int) { l.start(i, time.Now()) })
	if err != nil {
		return nil, err
	}
	if err := c.Start(ctx); err != nil {
		return nil, err
	}
	defer c.Stop(context.WithoutCancel(ctx))
	time.Sleep(200 * time.Millisecond) // let its producer and listener settle
	if _, err := pace(ctx, rate, d, func(i int) error {
		_, err := c.Insert(ctx, noopArgs{Index: i}, nil)
		l.commit(i, time.Now())
		return err
	}); err != nil {
		return nil, err
	}
	select {
	case <-l.all:
	case <-time.After(30 * time.Second):
		return nil, fmt.Errorf("only %d of %d jobs started", l.count.Load(), want)
	}
	return l.result(), nil
}

// ---- flowstore ----

// flowstoreSide is the shared Worker side (internal/workerbench) plus the
// latency case.
type flowstoreSide struct{ workerbench.Side }

func (*flowstoreSide) name() string                            { return "flowstore" }
func (f *flowstoreSide) reset(ctx context.Context) error       { return f.Reset(ctx) }
func (f *flowstoreSide) fill(ctx context.Context, n int) error { return f.Fill(ctx, n) }
func (f *flowstoreSide) work(ctx context.Context, n int) (time.Duration, error) {
	return f.Work(ctx, n)
}

func (f *flowstoreSide) latency(ctx context.Context, rate int, d time.Duration) ([]time.Duration, error) {
	want := int(d / (time.Second / time.Duration(rate)))
	l := newLatencies(want)
	w, err := f.Worker(func(e queue.Element) {
		i, _ := strconv.Atoi(e.Reference)
		l.start(i, time.Now())
	})
	if err != nil {
		return nil, err
	}
	wctx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- w.Run(wctx) }()
	defer func() { stop(); <-done }()
	time.Sleep(200 * time.Millisecond) // let it claim nothing once and start listening
	if _, err := pace(ctx, rate, d, func(i int) error {
		_, err := f.Store.Enqueue(ctx, f.Queue, queue.NewElement{Reference: strconv.Itoa(i)})
		l.commit(i, time.Now())
		return err
	}); err != nil {
		return nil, err
	}
	select {
	case <-l.all:
	case <-time.After(30 * time.Second):
		return nil, fmt.Errorf("only %d of %d elements started", l.count.Load(), want)
	}
	return l.result(), nil
}
