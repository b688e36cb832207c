// Command goqitebench compares the throughput of flowstore's queue.Worker
// with goqite (maragu.dev/goqite v0.4.0), in the same run, on SQLite: each
// side has its own database file in a temporary directory, handlers do
// nothing, and what is timed is the working alone, from the workers' start
// until every job is durably completed.
//
// It is a module of its own so that goqite never becomes a dependency of
// flowstore:
//
//	cd examples/goqitebench && go run . [-n 100000] [-rounds 3] [-concurrency 100]
//
// Both sides insert their n jobs first, untimed: flowstore with EnqueueBatch
// in chunks of 10,000, goqite with jobs.CreateTx, 10,000 messages to a
// transaction. Before each timed round both files are checkpointed
// (wal_checkpoint(TRUNCATE)), so that no side starts with the other's or
// its own fill still in the WAL.
//
// flowstore: flowstore.Open("sqlite:///<dir>/flowstore.db"), a queue.Worker
// with a no-op handler and -concurrency (the Worker's default, 100); a round
// ends when Run has returned after the n-th handler, which writes every
// buffered DONE, and the Queues table then has n elements DONE.
//
// goqite: its jobs runner (package maragu.dev/goqite/jobs), the way its
// README runs background jobs, with one no-op job registered; Limit is
// -concurrency, the same as flowstore's, and PollInterval 10 ms as in the
// README. The README's example has Limit 1 and NewRunner's default is
// GOMAXPROCS, but the runner sleeps PollInterval whenever Limit jobs are in
// flight, which caps it at Limit per PollInterval (100 jobs/s at Limit 1),
// so the runner is given flowstore's concurrency instead. A round ends when
// the runner's Start has returned after the n-th job (Start waits for every
// job's Delete), and the goqite table then has no rows left. With -goqite
// loop the runner is replaced by -concurrency goroutines that each
// Receive and Delete until Receive finds nothing, the loop goqite's own
// benchmark (BenchmarkQueue) times.
//
// goqite's table is made from the schema_sqlite.sql of its module (found
// with `go list -m`). Its database/sql pool uses the same driver
// (modernc.org/sqlite, "sqlite") with exactly the DSN flowstore opens its
// own file with (store.ParseDSN: journal_mode WAL, synchronous NORMAL,
// busy_timeout 10 s, foreign_keys on, immediate transactions), and one open
// connection (-goqite-conns), as goqite's README examples set
// (SetMaxOpenConns(1)): SQLite has one writer at a time, and every goqite
// Receive and Delete is a write transaction.
package main

import (
	"context"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"maragu.dev/goqite"
	"maragu.dev/goqite/jobs"

	"github.com/flowstore/flowstore"
	"github.com/flowstore/flowstore/internal/cpuuse"
	"github.com/flowstore/flowstore/internal/workerbench"
	"github.com/flowstore/flowstore/store"
)

// goqiteSchema reads the table goqite needs from its module's
// schema_sqlite.sql (the package does not export it), found through the go
// command, which `go run` has at hand.
func goqiteSchema() (string, error) {
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "maragu.dev/goqite").Output()
	if err != nil {
		return "", fmt.Errorf("finding goqite's module: %w", err)
	}
	b, err := os.ReadFile(filepath.Join(strings.TrimSpace(string(out)), "schema_sqlite.sql"))
	return string(b), err
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "goqitebench:", err)
		os.Exit(1)
	}
}

type config struct {
	n            int
	rounds       int
	concurrency  int
	poll         time.Duration
	goqiteMode   string
	goqiteConns  int
	stats        bool
	keepDatabase bool
}

func run(ctx context.Context, args []string) error {
	var c config
	fs := flag.NewFlagSet("goqitebench", flag.ContinueOnError)
	fs.IntVar(&c.n, "n", 100_000, "jobs per throughput round")
	fs.IntVar(&c.rounds, "rounds", 3, "throughput rounds per side, alternating which side goes first")
	fs.IntVar(&c.concurrency, "concurrency", 100, "flowstore Worker concurrency and goqite runner Limit (or Receive/Delete goroutines)")
	fs.DurationVar(&c.poll, "poll", 10*time.Millisecond, "goqite runner PollInterval (its README's)")
	fs.StringVar(&c.goqiteMode, "goqite", "runner", "how goqite works: runner (jobs.Runner) or loop (Receive+Delete goroutines, as its benchmark)")
	fs.IntVar(&c.goqiteConns, "goqite-conns", 1, "goqite's database/sql pool size (SetMaxOpenConns; its README's is 1; 0: unlimited)")
	fs.BoolVar(&c.stats, "stats", false, "print the flowstore Worker's counts (queue.WorkerStats) after each round")
	fs.BoolVar(&c.keepDatabase, "keep", false, "keep the temporary directory with both database files (printed)")
	only := fs.String("only", "", "run one side only: goqite or flowstore (default both)")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the whole run (both sides) to this file")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if c.n <= 0 || c.rounds <= 0 || c.concurrency <= 0 || c.poll <= 0 || c.goqiteConns < 0 {
		return errors.New("-n, -rounds, -concurrency and -poll must be positive, -goqite-conns not negative")
	}
	if c.goqiteMode != "runner" && c.goqiteMode != "loop" {
		return fmt.Errorf("-goqite %q: want runner or loop", c.goqiteMode)
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

	dir, err := os.MkdirTemp("", "goqitebench-")
	if err != nil {
		return err
	}
	if c.keepDatabase {
		fmt.Println("databases in", dir)
	} else {
		defer os.RemoveAll(dir)
	}

	// The path is absolute, so this is SQLAlchemy's four-slash form.
	fsdb, err := flowstore.Open(ctx, "sqlite:///"+filepath.Join(dir, "flowstore.db"))
	if err != nil {
		return err
	}
	defer fsdb.Close()
	gq, err := openGoqite(ctx, filepath.Join(dir, "goqite.db"), c)
	if err != nil {
		return fmt.Errorf("goqite: %w", err)
	}
	defer gq.db.Close()

	sides := []side{gq, &flowstoreSide{Side: workerbench.Side{Store: fsdb.Queue, Queue: "goqitebench", Concurrency: c.concurrency, Stats: c.stats}, db: fsdb}}
	if *only != "" {
		sides = slices.DeleteFunc(sides, func(s side) bool { return s.name() != *only })
		if len(sides) == 0 {
			return fmt.Errorf("-only %q: no such side (goqite, flowstore)", *only)
		}
	}
	for _, s := range sides {
		if err := s.reset(ctx); err != nil {
			return fmt.Errorf("%s: reset: %w", s.name(), err)
		}
	}

	fmt.Printf("throughput, %d jobs per round, no-op handlers, SQLite (jobs/s; median of %d rounds)\n", c.n, c.rounds)
	for _, s := range sides {
		switch {
		case s.name() == "flowstore":
			fmt.Printf("  flowstore: queue.Worker, concurrency %d\n", c.concurrency)
		case c.goqiteMode == "runner":
			fmt.Printf("  goqite:    jobs.Runner, Limit %d, PollInterval %s, %s\n", c.concurrency, c.poll, conns(c.goqiteConns))
		default:
			fmt.Printf("  goqite:    %d goroutines of Receive+Delete, %s\n", c.concurrency, conns(c.goqiteConns))
		}
	}
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
			for _, t := range sides {
				if err := checkpoint(ctx, t.sqlDB()); err != nil {
					return fmt.Errorf("%s: %w", t.name(), err)
				}
			}
			before := cpuuse.Read()
			took, err := s.work(ctx, c.n)
			if err != nil {
				return fmt.Errorf("%s: work: %w", s.name(), err)
			}
			used := cpuuse.Read().Since(before)
			r := float64(c.n) / took.Seconds()
			perSide[s.name()] = append(perSide[s.name()], r)
			fmt.Printf("  round %d %-9s %9.0f jobs/s (%s)  cpu per job: this process %5.1f µs, the rest of the machine %5.1f µs\n",
				round+1, s.name(), r, took.Round(time.Millisecond), cpuuse.PerOp(used.Self, c.n), cpuuse.PerOp(used.Others, c.n))
			if err := s.reset(ctx); err != nil {
				return err
			}
		}
	}
	if len(sides) == 2 {
		fl, gr := median(perSide["flowstore"]), median(perSide["goqite"])
		fmt.Printf("  median: flowstore %.0f jobs/s, goqite %.0f jobs/s, flowstore/goqite %.2f\n", fl, gr, fl/gr)
	}
	return nil
}

func conns(n int) string {
	switch n {
	case 0:
		return "unlimited connections"
	case 1:
		return "1 connection"
	}
	return fmt.Sprintf("%d connections", n)
}

// checkpoint moves everything in a database's WAL into its file and
// truncates the WAL, so that each round starts alike whichever side filled
// or worked before.
func checkpoint(ctx context.Context, db *sql.DB) error {
	var busy, logFrames, checkpointed int
	if err := db.QueryRowContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`).Scan(&busy, &logFrames, &checkpointed); err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	if busy != 0 {
		return errors.New("checkpoint: busy")
	}
	return nil
}

// side is one queue implementation under measurement.
type side interface {
	name() string
	sqlDB() *sql.DB
	reset(ctx context.Context) error
	fill(ctx context.Context, n int) error
	// work starts workers on the filled jobs and returns how long it took
	// until all n were durably completed.
	work(ctx context.Context, n int) (time.Duration, error)
}

func median(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	return s[len(s)/2]
}

// ---- goqite ----

const goqiteJob = "flowstore_goqitebench"

type goqiteSide struct {
	db          *sql.DB
	q           *goqite.Queue
	mode        string // runner or loop
	concurrency int
	poll        time.Duration
}

// openGoqite opens path with flowstore's SQLite DSN and pragmas and creates
// goqite's table in it.
func openGoqite(ctx context.Context, path string, c config) (*goqiteSide, error) {
	t, err := store.ParseDSN("sqlite:" + path)
	if err != nil {
		return nil, err
	}
	db, err := sql.Open(t.Driver, t.DriverDSN)
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(c.goqiteConns)
	db.SetMaxIdleConns(max(c.goqiteConns, 2))
	schema, err := goqiteSchema()
	if err != nil {
		db.Close()
		return nil, err
	}
	if _, err := db.ExecContext(ctx, schema); err != nil {
		db.Close()
		return nil, fmt.Errorf("schema: %w", err)
	}
	return &goqiteSide{
		db:          db,
		q:           goqite.New(goqite.NewOpts{DB: db, Name: "goqitebench"}),
		mode:        c.goqiteMode,
		concurrency: c.concurrency,
		poll:        c.poll,
	}, nil
}

func (*goqiteSide) name() string     { return "goqite" }
func (g *goqiteSide) sqlDB() *sql.DB { return g.db }

func (g *goqiteSide) reset(ctx context.Context) error {
	_, err := g.db.ExecContext(ctx, `DELETE FROM goqite`)
	return err
}

func (g *goqiteSide) fill(ctx context.Context, n int) error {
	for done := 0; done < n; done += 10_000 {
		tx, err := g.db.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		for i := done; i < min(done+10_000, n); i++ {
			if _, err := jobs.CreateTx(ctx, tx, g.q, goqiteJob, goqite.Message{Body: []byte(strconv.Itoa(i))}); err != nil {
				tx.Rollback()
				return err
			}
		}
		if err := tx.Commit(); err != nil {
			return err
		}
	}
	return nil
}

func (g *goqiteSide) left(ctx context.Context) (int, error) {
	var left int
	err := g.db.QueryRowContext(ctx, `SELECT count(*) FROM goqite`).Scan(&left)
	return left, err
}

func (g *goqiteSide) work(ctx context.Context, n int) (time.Duration, error) {
	var took time.Duration
	var err error
	if g.mode == "loop" {
		took, err = g.workLoop(ctx)
	} else {
		took, err = g.workRunner(ctx, n)
	}
	if err != nil {
		return 0, err
	}
	left, err := g.left(ctx)
	if err != nil {
		return 0, err
	}
	if left != 0 {
		return 0, fmt.Errorf("%d of %d messages left after the workers stopped", left, n)
	}
	return took, nil
}

// workRunner runs goqite's jobs.Runner until its n-th job has run, then
// stops it; Start returns once every running job's Delete has returned.
func (g *goqiteSide) workRunner(ctx context.Context, n int) (time.Duration, error) {
	var handled atomic.Int64
	all := make(chan struct{})
	log := &runnerLog{}
	r := jobs.NewRunner(jobs.NewRunnerOpts{
		Limit:        g.concurrency,
		Log:          log,
		PollInterval: g.poll,
		Queue:        g.q,
	})
	r.Register(goqiteJob, func(context.Context, []byte) error {
		if handled.Add(1) == int64(n) {
			close(all)
		}
		return nil
	})
	rctx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	start := time.Now()
	go func() { r.Start(rctx); close(done) }()
	select {
	case <-all:
	case <-ctx.Done():
		stop()
		<-done
		return 0, ctx.Err()
	}
	stop()
	<-done
	took := time.Since(start) // Start returned: every Delete has returned
	if e := log.errors.Load(); e > 0 {
		return 0, fmt.Errorf("the runner logged %d errors, the last: %s", e, log.last())
	}
	return took, nil
}

// workLoop is goqite's own benchmark loop without its Send: concurrency
// goroutines Receive and Delete until Receive finds no message.
func (g *goqiteSide) workLoop(ctx context.Context) (time.Duration, error) {
	var wg sync.WaitGroup
	errs := make([]error, g.concurrency)
	start := time.Now()
	for i := range g.concurrency {
		wg.Go(func() {
			for {
				m, err := g.q.Receive(ctx)
				if err != nil || m == nil {
					errs[i] = err
					return
				}
				if err := g.q.Delete(ctx, m.ID); err != nil {
					errs[i] = err
					return
				}
			}
		})
	}
	wg.Wait()
	took := time.Since(start)
	return took, errors.Join(errs...)
}

// runnerLog is the jobs.Runner's logger: it keeps the errors the runner
// only logs (a failed Receive or Delete), which the round then reports.
type runnerLog struct {
	errors atomic.Int64
	mu     sync.Mutex
	lastE  string
}

func (l *runnerLog) Info(msg string, args ...any) {
	if !strings.HasPrefix(msg, "Error") {
		return
	}
	l.errors.Add(1)
	l.mu.Lock()
	l.lastE = fmt.Sprint(append([]any{msg}, args...)...)
	l.mu.Unlock()
}

func (l *runnerLog) last() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.lastE
}

// ---- flowstore ----

// flowstoreSide is the shared Worker side (internal/workerbench).
type flowstoreSide struct {
	workerbench.Side
	db *flowstore.DB
}

func (*flowstoreSide) name() string                            { return "flowstore" }
func (f *flowstoreSide) sqlDB() *sql.DB                        { return f.db.Store().SQL() }
func (f *flowstoreSide) reset(ctx context.Context) error       { return f.Reset(ctx) }
func (f *flowstoreSide) fill(ctx context.Context, n int) error { return f.Fill(ctx, n) }
func (f *flowstoreSide) work(ctx context.Context, n int) (time.Duration, error) {
	return f.Work(ctx, n)
}
