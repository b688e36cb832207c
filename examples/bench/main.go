// Command bench measures flowstore's hot paths against the raw driver doing
// the same SQL with bound parameters, in the same run, on the same database,
// and prints one table: case, library ops/s, raw ops/s, ratio.
//
//	go run ./examples/bench                          # SQLite file in a temp dir
//	go run ./examples/bench -dsn postgres://…        # any flowstore DSN
//	go run ./examples/bench -run queue -json out.json
//
// Each case runs both sides -rounds times, back to back, alternating which
// goes first. The table shows each side's median rate and the median of the
// rounds' ratios: a burst of background load spoils one round, not the
// figure. Every case registers itself from its own file (see register).
//
// The cases measure the stores on a *store.DB, the level below package
// flowstore, and the raw side runs on that DB's own pool; so the bench opens
// with store.Open rather than flowstore.Open, and links the dialects a -dsn
// may name itself (store links no driver).
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/flowstore/flowstore/store"
	_ "github.com/flowstore/flowstore/store/dialect/mysql"
	_ "github.com/flowstore/flowstore/store/dialect/postgres"
	_ "github.com/flowstore/flowstore/store/dialect/sqlite"
	_ "github.com/flowstore/flowstore/store/dialect/sqlserver"
)

// benchCase is one hot path, measured through flowstore and through the raw
// driver. Both sides do ops operations in total, split over workers
// goroutines; prepare readies a fresh state for a side (a queue filled with
// n elements, say) and is not timed.
type benchCase struct {
	name    string
	order   int // position in the table
	workers int
	ops     int
	prepare func(ctx context.Context, db *store.DB, n int) error
	library op
	raw     op
}

// op performs some operations (one, or a batch) and says how many. max is
// how many operations are still wanted; an op may do fewer.
type op func(ctx context.Context, db *store.DB, worker, max int) (int, error)

var cases []*benchCase

func register(c *benchCase) { cases = append(cases, c) }

// result is one line of the table.
type result struct {
	Case       string  `json:"case"`
	Workers    int     `json:"workers"`
	Ops        int     `json:"ops"`
	LibraryOps float64 `json:"library_ops_per_sec"`
	RawOps     float64 `json:"raw_ops_per_sec"`
	Ratio      float64 `json:"ratio"`
}

type report struct {
	Dialect string    `json:"dialect"`
	Machine string    `json:"machine"`
	Date    string    `json:"date"`
	Results []result  `json:"results"`
	When    time.Time `json:"-"`
}

func main() {
	dsn := flag.String("dsn", "", "database DSN (default: a new SQLite file in a temp directory)")
	runRE := flag.String("run", "", "only cases whose name matches this regular expression")
	rounds := flag.Int("rounds", 7, "rounds per case; each side's median counts")
	scale := flag.Float64("scale", 1, "multiply every case's least operation count (rounds last at least 300ms anyway)")
	jsonOut := flag.String("json", "", "also write the results as JSON to this file (- for stdout)")
	flag.Parse()
	if err := run(context.Background(), *dsn, *runRE, *rounds, *scale, *jsonOut, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, dsn, runRE string, rounds int, scale float64, jsonOut string, stdout, progress io.Writer) (err error) {
	filter, err := regexp.Compile(runRE)
	if err != nil {
		return err
	}
	if dsn == "" {
		dir, err := os.MkdirTemp("", "flowstore-bench-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		dsn = "sqlite:" + filepath.Join(dir, "bench.db")
	}
	db, err := store.Open(ctx, dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	bg := startBackground(ctx, db)
	// Deferred after Close, so it runs first: the engine and the log
	// handler stop before the database closes under them.
	defer func() { err = errors.Join(err, bg.stop()) }()
	if err := db.Migrate(ctx); err != nil {
		return err
	}
	sort.SliceStable(cases, func(i, j int) bool { return cases[i].order < cases[j].order })
	rep := report{Dialect: string(db.SQLDialect().Name()), Machine: machine(), Date: time.Now().UTC().Format("2006-01-02")}
	for _, c := range cases {
		if !filter.MatchString(c.name) {
			continue
		}
		n, err := calibrate(ctx, db, c, max(1, int(float64(c.ops)*scale)))
		if err != nil {
			return fmt.Errorf("%s: %w", c.name, err)
		}
		res, err := measure(ctx, db, c, n, rounds)
		if err != nil {
			return fmt.Errorf("%s: %w", c.name, err)
		}
		fmt.Fprintf(progress, "%-48s library %10.0f ops/s   raw %10.0f ops/s   ratio %.2f\n", c.name, res.LibraryOps, res.RawOps, res.Ratio)
		rep.Results = append(rep.Results, res)
	}
	printTable(stdout, rep)
	if jsonOut != "" {
		return writeJSON(jsonOut, stdout, rep)
	}
	return nil
}

// background runs the long-running parts some cases measure through — the
// orchestrator engine, the log handler — for the rest of a run, beside the
// measured work, as an application runs them. Each has the library's one
// lifecycle: made without I/O, then Run until its context ends.
type background struct {
	db     *store.DB
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
	mu     sync.Mutex
	errs   []error
}

// backgrounds maps each open *store.DB of a run to its background.
var backgrounds sync.Map

func startBackground(ctx context.Context, db *store.DB) *background {
	b := &background{db: db}
	b.ctx, b.cancel = context.WithCancel(ctx)
	backgrounds.Store(db, b)
	return b
}

// goRun runs a part's Run method in db's background until the run ends.
// A Run that fails (an engine that cannot register, say) has its error
// reported when the run ends, beside whatever the case waiting for it
// returned.
func goRun(db *store.DB, what string, runFn func(context.Context) error) {
	v, ok := backgrounds.Load(db)
	if !ok {
		panic("bench: goRun on a database run did not open")
	}
	b := v.(*background)
	b.wg.Go(func() {
		if err := runFn(b.ctx); err != nil {
			b.mu.Lock()
			b.errs = append(b.errs, fmt.Errorf("%s: %w", what, err))
			b.mu.Unlock()
		}
	})
}

// stop ends every part's Run and waits until each has returned (a part
// finishes what it holds within its stop timeout).
func (b *background) stop() error {
	b.cancel()
	b.wg.Wait()
	backgrounds.Delete(b.db)
	b.mu.Lock()
	defer b.mu.Unlock()
	return errors.Join(b.errs...)
}

// roundTarget is how long one side's round should last at least: shorter
// rounds are decided by a GC cycle or a WAL checkpoint falling into one side.
const roundTarget = 300 * time.Millisecond

// calibrate runs the library side once (a warm-up, not counted) with n
// operations and returns n scaled up so that a round lasts about
// roundTarget — at most 20 times n.
func calibrate(ctx context.Context, db *store.DB, c *benchCase, n int) (int, error) {
	if c.prepare != nil {
		if err := c.prepare(ctx, db, n); err != nil {
			return 0, fmt.Errorf("prepare: %w", err)
		}
	}
	rate, err := timeSide(ctx, db, c.library, c.workers, n)
	if err != nil {
		return 0, err
	}
	if took := time.Duration(float64(n) / rate * float64(time.Second)); took < roundTarget {
		n = min(20*n, int(float64(n)*float64(roundTarget)/float64(took))+1)
	}
	return n, nil
}

func measure(ctx context.Context, db *store.DB, c *benchCase, n, rounds int) (result, error) {
	rounds = max(1, rounds)
	lib, raw, ratios := make([]float64, rounds), make([]float64, rounds), make([]float64, rounds)
	for r := range rounds {
		sides := []struct {
			fn   op
			rate *float64
		}{{c.library, &lib[r]}, {c.raw, &raw[r]}}
		if r%2 == 1 {
			sides[0], sides[1] = sides[1], sides[0]
		}
		for _, s := range sides {
			if c.prepare != nil {
				if err := c.prepare(ctx, db, n); err != nil {
					return result{}, fmt.Errorf("prepare: %w", err)
				}
			}
			rate, err := timeSide(ctx, db, s.fn, c.workers, n)
			if err != nil {
				return result{}, err
			}
			*s.rate = rate
		}
		ratios[r] = lib[r] / raw[r]
	}
	return result{Case: c.name, Workers: c.workers, Ops: n, LibraryOps: median(lib), RawOps: median(raw), Ratio: median(ratios)}, nil
}

// median of xs (which it sorts).
func median(xs []float64) float64 {
	sort.Float64s(xs)
	m := len(xs) / 2
	if len(xs)%2 == 0 {
		return (xs[m-1] + xs[m]) / 2
	}
	return xs[m]
}

// timeSide runs n operations over workers goroutines and returns ops/s.
func timeSide(ctx context.Context, db *store.DB, fn op, workers, n int) (float64, error) {
	var remaining atomic.Int64
	remaining.Store(int64(n))
	var done atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	start := time.Now()
	for w := range max(1, workers) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				left := remaining.Load()
				if left <= 0 {
					return
				}
				did, err := fn(ctx, db, w, int(left))
				if err != nil {
					errs <- err
					remaining.Store(0)
					return
				}
				if did == 0 {
					// Nothing left to do for this worker (e.g. the queue
					// is drained); others may still be finishing.
					return
				}
				remaining.Add(-int64(did))
				done.Add(int64(did))
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	close(errs)
	if err := <-errs; err != nil {
		return 0, err
	}
	return float64(done.Load()) / elapsed.Seconds(), nil
}

func printTable(w io.Writer, rep report) {
	fmt.Fprintf(w, "\nflowstore bench on %s — %s — %s\n\n", rep.Dialect, rep.Machine, rep.Date)
	fmt.Fprintf(w, "| %-48s | %12s | %12s | %5s |\n", "case", "library/s", "raw/s", "ratio")
	fmt.Fprintf(w, "|%s|%s|%s|%s|\n", strings.Repeat("-", 50), strings.Repeat("-", 14), strings.Repeat("-", 14), strings.Repeat("-", 7))
	for _, r := range rep.Results {
		fmt.Fprintf(w, "| %-48s | %12.0f | %12.0f | %5.2f |\n", r.Case, r.LibraryOps, r.RawOps, r.Ratio)
	}
}

func writeJSON(path string, stdout io.Writer, rep report) error {
	b, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return err
	}
	b = append(b, '\n')
	if path == "-" {
		_, err = stdout.Write(b)
		return err
	}
	return os.WriteFile(path, b, 0o644)
}

func machine() string {
	return fmt.Sprintf("%s/%s, %d CPUs, %s", runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), runtime.Version())
}
