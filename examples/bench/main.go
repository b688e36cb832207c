// Command bench measures flowstore's hot paths against the raw driver doing
// the same SQL with bound parameters, in the same run, on the same database,
// and prints one table: case, library ops/s, raw ops/s, their ratio, and
// for the single-element queue claim an anchor — the plainest claim the
// dialect has on a minimal table (internal/rawqueue.Anchor).
//
//	go run ./examples/bench                          # SQLite file in a temp dir
//	go run ./examples/bench -dsn postgres://…        # any flowstore DSN
//	go run ./examples/bench -run queue -json out.json
//	go run ./examples/bench -list                    # the cases, one a line
//	go run ./examples/bench -dsn postgres://… -ladder # the schema ladder (ladder.go)
//
// Each case runs every side -rounds times, back to back, rotating which
// goes first. The table shows each side's median rate, and the ratio of
// those two printed medians: flowstore's rate divided by the raw rate, so
// above 1 flowstore is faster. A burst of background load spoils one round,
// not the figure. Every case registers itself from its own file (see
// register). The queue.Worker cases (worker.go) have no raw side: their
// throughput row shows the library's rate alone, and the pickup-latency
// cases print p50/p99 in a table of their own.
//
// Progress goes to stderr: "case n of m", the time elapsed and the time
// expected to remain, rewritten in place on a terminal, one plain line per
// case elsewhere. A -run that matches no case exits 2.
//
// With -dsn the bench works on the database it is given, and only on rows
// of its own: every queue, log process name, constant, snapshot, workflow
// and engine name it writes starts with flowstore-bench-<run>, and its
// anchor table is flowstore_bench_<run>. It removes all of them when it
// ends — also after Ctrl-C (a second Ctrl-C quits at once, leaving them) —
// so the database holds afterwards what it held before, and
// engine_settings.running_processes is back where it was. It refuses a
// database whose tables it writes hold rows that are not a bench's, since
// its figures would then measure someone else's data and its cleanup run
// beside someone else's work; -dirty-ok runs anyway, still touching only
// its own rows.
//
// The cases measure the stores on a *store.DB, the level below package
// flowstore, so the bench opens with store.Open rather than flowstore.Open,
// and links the dialects a -dsn may name itself (store links no driver).
// The raw sides run on a pool of their own, opened with database/sql and
// the dialect's plain driver from the same DSN (see openRawPool): the
// library's pool takes turns to write on SQLite, which a baseline must not
// borrow.
package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"os/signal"
	"path/filepath"
	"regexp"
	"runtime"
	"runtime/pprof"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/google/uuid"

	"github.com/flowstore/flowstore/store"
	_ "github.com/flowstore/flowstore/store/dialect/mysql"
	_ "github.com/flowstore/flowstore/store/dialect/postgres"
	_ "github.com/flowstore/flowstore/store/dialect/sqlite"
	_ "github.com/flowstore/flowstore/store/dialect/sqlserver"
)

// benchCase is one hot path, measured through flowstore and through the raw
// driver (and, where set, the anchor). Every side does ops operations in
// total, split over workers goroutines; prepare readies a fresh state for
// the library or the raw side (a queue filled with n elements, say) and
// anchorPrepare for the anchor; neither is timed.
type benchCase struct {
	name    string
	order   int // position in the table
	workers int
	ops     int
	prepare func(ctx context.Context, e *env, n int) error
	library op
	// raw is nil for a case only the library can do (there is then no
	// ratio).
	raw op
	// anchor, when set, is measured as a third side: the minimal-table
	// claim (rawqueue.Anchor).
	anchorPrepare func(ctx context.Context, e *env, n int) error
	anchor        op
	// latency, when set, replaces the sides: the case measures latencies
	// over n samples, once (see worker.go), and has no rate.
	latency func(ctx context.Context, e *env, n int) (*latency, error)
}

// op performs some operations (one, or a batch) and says how many. max is
// how many operations are still wanted; an op may do fewer.
type op func(ctx context.Context, e *env, worker, max int) (int, error)

var cases []*benchCase

func register(c *benchCase) { cases = append(cases, c) }

// result is one line of the table. The rates are whole operations per
// second, as printed, and the ratios are computed from those printed rates
// (so a reader can check them).
type result struct {
	Case       string  `json:"case"`
	Workers    int     `json:"workers"`
	Ops        int     `json:"ops"`
	LibraryOps float64 `json:"library_ops_per_sec"`
	RawOps     float64 `json:"raw_ops_per_sec,omitempty"`
	// Ratio is LibraryOps / RawOps: above 1, flowstore is faster.
	Ratio     float64 `json:"ratio,omitempty"`
	AnchorOps float64 `json:"anchor_ops_per_sec,omitempty"`
	// VsAnchor is LibraryOps / AnchorOps.
	VsAnchor float64 `json:"library_vs_anchor,omitempty"`
	// Latency is a latency case's result (its rates are 0).
	Latency *latency `json:"pickup_latency,omitempty"`
}

type report struct {
	// Run is the run's tag, which every name it wrote started with.
	Run     string   `json:"run"`
	Dialect string   `json:"dialect"`
	Machine string   `json:"machine"`
	Date    string   `json:"date"`
	Rounds  int      `json:"rounds"`
	Anchor  []string `json:"anchor_sql,omitempty"`
	Results []result `json:"results"`
}

// options are the command's flags.
type options struct {
	dsn     string
	run     string
	rounds  int
	scale   float64
	jsonOut string
	dirtyOK bool
	// ladder runs the schema ladder (ladder.go) instead of the cases.
	ladder bool
	// minRound replaces roundTarget when set: the tests, which check what a
	// run writes and leaves rather than its figures, use short rounds.
	minRound time.Duration
}

// errNoCases: -run selects nothing. The command exits 2 on it, as on a bad
// flag.
var errNoCases = errors.New("no case matches")

// errCleanup: the run could not remove all it wrote.
var errCleanup = errors.New("cleanup")

// errDirty: the database holds rows that are not a bench's.
var errDirty = errors.New("the database holds rows that are not the bench's")

func main() {
	var o options
	flag.StringVar(&o.dsn, "dsn", "", "database DSN (default: a new SQLite file in a temp directory)")
	flag.StringVar(&o.run, "run", "", "only cases whose name matches this regular expression")
	flag.IntVar(&o.rounds, "rounds", 7, "rounds per case; each side's median counts")
	flag.Float64Var(&o.scale, "scale", 1, "multiply every case's least operation count (rounds last at least 300ms anyway)")
	flag.StringVar(&o.jsonOut, "json", "", "also write the results as JSON to this file (- for stdout)")
	flag.BoolVar(&o.dirtyOK, "dirty-ok", false, "run on a database that holds rows other than the bench's (it still touches only its own)")
	flag.BoolVar(&o.ladder, "ladder", false, "run the schema ladder instead: the single claim + finish on copies of Queues with fewer indexes, against the anchor")
	list := flag.Bool("list", false, "list the cases and exit")
	cpuProfile := flag.String("cpuprofile", "", "write the run's CPU profile (both sides) to this file")
	flag.Parse()
	if *list {
		pool := sortedCases()
		if o.ladder {
			pool = ladderCases()
		}
		for _, c := range pool {
			fmt.Println(c.name)
		}
		return
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		// After the first signal the bench stops and cleans up; a second
		// one then ends the process at once.
		<-ctx.Done()
		stop()
	}()
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err == nil {
			err = pprof.StartCPUProfile(f)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			os.Exit(1)
		}
	}
	err := run(ctx, o, os.Stdout, os.Stderr)
	stop()
	if *cpuProfile != "" {
		pprof.StopCPUProfile()
	}
	switch {
	case errors.Is(err, context.Canceled) && ctx.Err() != nil && !errors.Is(err, errCleanup):
		fmt.Fprintln(os.Stderr, "\nbench: interrupted; everything the run wrote is removed")
		os.Exit(130)
	case errors.Is(err, errNoCases):
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(2)
	case err != nil:
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func sortedCases() []*benchCase {
	sort.SliceStable(cases, func(i, j int) bool { return cases[i].order < cases[j].order })
	return cases
}

// selectCases returns the cases of pool whose name matches runRE, in
// pool's order.
func selectCases(pool []*benchCase, runRE string) ([]*benchCase, error) {
	filter, err := regexp.Compile(runRE)
	if err != nil {
		return nil, fmt.Errorf("%w: -run %q: %v", errNoCases, runRE, err)
	}
	var sel []*benchCase
	for _, c := range pool {
		if filter.MatchString(c.name) {
			sel = append(sel, c)
		}
	}
	if len(sel) == 0 {
		return nil, fmt.Errorf("%w: -run %q matches none of the %d cases (see -list)", errNoCases, runRE, len(pool))
	}
	return sel, nil
}

func run(ctx context.Context, o options, stdout, progressOut io.Writer) (err error) {
	pool := sortedCases()
	if o.ladder {
		pool = ladderCases()
	}
	sel, err := selectCases(pool, o.run)
	if err != nil {
		return err
	}
	dsn := o.dsn
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
	if err := db.Migrate(ctx); err != nil {
		return err
	}
	if err := checkClean(ctx, db); err != nil {
		if !errors.Is(err, errDirty) || !o.dirtyOK {
			return err
		}
		fmt.Fprintf(progressOut, "bench: -dirty-ok: %v; running anyway, on rows of its own only\n", err)
	}
	raw, err := openRawPool(ctx, dsn)
	if err != nil {
		return err
	}
	defer raw.Close()
	e := newEnv(ctx, db, raw)
	// Deferred after both Close calls, so it runs before them: the engine
	// and the log handler stop, then the run's rows go, then the pools.
	defer func() { err = errors.Join(interrupted(ctx, err), e.cleanup(ctx)) }()

	rep := report{Run: e.tag, Dialect: string(db.SQLDialect().Name()), Machine: machine(), Date: time.Now().UTC().Format("2006-01-02"), Rounds: max(1, o.rounds)}
	prog := newProgress(progressOut, isTerminal(progressOut), len(sel), rep.Rounds)
	for i, c := range sel {
		prog.startCase(i+1, c.name)
		if c.latency != nil {
			l, err := c.latency(ctx, e, int(float64(c.ops)*o.scale))
			if err != nil {
				return fmt.Errorf("%s: %w", c.name, err)
			}
			res := result{Case: c.name, Ops: l.Samples, Latency: l}
			prog.endCase(res)
			rep.Results = append(rep.Results, res)
			continue
		}
		target := roundTarget
		if o.minRound > 0 {
			target = o.minRound
		}
		n, err := calibrate(ctx, e, c, max(1, int(float64(c.ops)*o.scale)), target)
		if err != nil {
			return fmt.Errorf("%s: %w", c.name, err)
		}
		res, err := measure(ctx, e, c, n, rep.Rounds, prog.round)
		if err != nil {
			return fmt.Errorf("%s: %w", c.name, err)
		}
		prog.endCase(res)
		rep.Results = append(rep.Results, res)
	}
	if e.anchor != nil {
		rep.Anchor = e.anchor.a.Statements()
	}
	if o.ladder {
		printLadder(stdout, rep, e)
	} else {
		printTable(stdout, rep)
	}
	if o.jsonOut != "" {
		return writeJSON(o.jsonOut, stdout, rep)
	}
	return nil
}

// interrupted makes the error of a run whose context ended (Ctrl-C) say
// so, whatever part of the run noticed first (an engine that stopped with
// the run, say): errors.Is(err, context.Canceled) holds.
func interrupted(ctx context.Context, err error) error {
	if cause := ctx.Err(); err != nil && cause != nil && !errors.Is(err, cause) {
		return fmt.Errorf("%w: %w", cause, err)
	}
	return err
}

// env is one run: the database, the raw side's pool, the run's tag, and
// what the cases keep for the run (each builds its part in its prepare,
// untimed, before any worker reads it).
type env struct {
	db  *store.DB
	raw *sql.DB
	// tag starts every name the run writes (benchPrefix and 8 hex digits);
	// tableTag names its anchor table.
	tag, tableTag string
	bg            *background

	// Built by the cases' prepare functions.
	queue  *queueSides
	anchor *anchorSide
	ladder []*ladderTable
	engine *engineSide
	logs   *logSide
}

func newEnv(ctx context.Context, db *store.DB, raw *sql.DB) *env {
	hex := strings.ReplaceAll(uuid.NewString(), "-", "")[:8]
	e := &env{db: db, raw: raw, tag: benchPrefix + hex, tableTag: tablePrefix + hex}
	e.bg = startBackground(ctx)
	return e
}

var nameSeq atomic.Int64

// name returns a name no other row of this run uses, starting with the
// run's tag.
func (e *env) name(kind string) string {
	return fmt.Sprintf("%s-%s-%d", e.tag, kind, nameSeq.Add(1))
}

// background runs the long-running parts some cases measure through — the
// orchestrator engine, the log handler — for the rest of a run, beside the
// measured work, as an application runs them. Each has the library's one
// lifecycle: made without I/O, then Run until its context ends.
type background struct {
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
	mu     sync.Mutex
	errs   []error
}

func startBackground(ctx context.Context) *background {
	b := &background{}
	b.ctx, b.cancel = context.WithCancel(ctx)
	return b
}

// goRun runs a part's Run method until the run ends. A Run that fails (an
// engine that cannot register, say) has its error reported when the run
// ends, beside whatever the case waiting for it returned.
func (b *background) goRun(what string, runFn func(context.Context) error) {
	b.wg.Go(func() {
		if err := runFn(b.ctx); err != nil && !errors.Is(err, context.Canceled) {
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
	b.mu.Lock()
	defer b.mu.Unlock()
	return errors.Join(b.errs...)
}

// roundTarget is how long one side's round should last at least: shorter
// rounds are decided by a GC cycle or a WAL checkpoint falling into one side.
const roundTarget = 300 * time.Millisecond

// calibrate runs the library side once (a warm-up, not counted) with n
// operations and returns n scaled up so that a round lasts about target
// (roundTarget unless the tests ask for less) — at most 20 times n.
func calibrate(ctx context.Context, e *env, c *benchCase, n int, target time.Duration) (int, error) {
	if c.prepare != nil {
		if err := c.prepare(ctx, e, n); err != nil {
			return 0, fmt.Errorf("prepare: %w", err)
		}
	}
	rate, err := timeSide(ctx, e, c.library, c.workers, n)
	if err != nil {
		return 0, err
	}
	if took := time.Duration(float64(n) / rate * float64(time.Second)); took < target {
		n = min(20*n, int(float64(n)*float64(target)/float64(took))+1)
	}
	return n, nil
}

// side is one of a case's competitors in measure.
type side struct {
	fn      op
	prepare func(ctx context.Context, e *env, n int) error
	rates   []float64
}

// measure runs every side of c rounds times, each round starting with
// another side, and reports each side's median rate and the ratios of those
// medians. roundDone, if set, hears of every finished round.
func measure(ctx context.Context, e *env, c *benchCase, n, rounds int, roundDone func(done int)) (result, error) {
	rounds = max(1, rounds)
	sides := []*side{{fn: c.library, prepare: c.prepare}}
	if c.raw != nil {
		sides = append(sides, &side{fn: c.raw, prepare: c.prepare})
	}
	if c.anchor != nil {
		sides = append(sides, &side{fn: c.anchor, prepare: c.anchorPrepare})
	}
	for r := range rounds {
		for k := range sides {
			s := sides[(r+k)%len(sides)]
			if s.prepare != nil {
				if err := s.prepare(ctx, e, n); err != nil {
					return result{}, fmt.Errorf("prepare: %w", err)
				}
			}
			rate, err := timeSide(ctx, e, s.fn, c.workers, n)
			if err != nil {
				return result{}, err
			}
			s.rates = append(s.rates, rate)
		}
		if roundDone != nil {
			roundDone(r + 1)
		}
	}
	res := result{Case: c.name, Workers: c.workers, Ops: n, LibraryOps: math.Round(median(sides[0].rates))}
	k := 1
	if c.raw != nil {
		res.RawOps = math.Round(median(sides[k].rates))
		res.Ratio = ratio(res.LibraryOps, res.RawOps)
		k++
	}
	if c.anchor != nil {
		res.AnchorOps = math.Round(median(sides[k].rates))
		res.VsAnchor = ratio(res.LibraryOps, res.AnchorOps)
	}
	return res, nil
}

// ratio is a / b (0 when b is 0, which a rate rounded to whole operations
// per second can be).
func ratio(a, b float64) float64 {
	if b == 0 {
		return 0
	}
	return a / b
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
func timeSide(ctx context.Context, e *env, fn op, workers, n int) (float64, error) {
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
				did, err := fn(ctx, e, w, int(left))
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
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	if done.Load() == 0 {
		return 0, errors.New("no operation done")
	}
	return float64(done.Load()) / elapsed.Seconds(), nil
}

// ratioHeader says what the ratio columns are, above the table.
const ratioHeader = "ratio = flowstore rate / raw rate (library/s ÷ raw/s, the two columns left of it); >1 means flowstore is faster.\n" +
	"anchor/s = the plainest single-row claim + finish on a minimal table, same run; vs anchor = library/s ÷ anchor/s."

func printTable(w io.Writer, rep report) {
	fmt.Fprintf(w, "\nflowstore bench on %s — %s — %s — median of %d rounds\n\n", rep.Dialect, rep.Machine, rep.Date, rep.Rounds)
	fmt.Fprintf(w, "%s\n\n", ratioHeader)
	fmt.Fprintf(w, "| %-48s | %12s | %12s | %5s | %12s | %9s |\n", "case", "library/s", "raw/s", "ratio", "anchor/s", "vs anchor")
	fmt.Fprintf(w, "|%s|%s|%s|%s|%s|%s|\n", strings.Repeat("-", 50), strings.Repeat("-", 14), strings.Repeat("-", 14), strings.Repeat("-", 7), strings.Repeat("-", 14), strings.Repeat("-", 11))
	var lats []result
	for _, r := range rep.Results {
		if r.Latency != nil {
			lats = append(lats, r)
			continue
		}
		raw, rat, anchor, vs := "", "", "", ""
		if r.RawOps > 0 {
			raw, rat = fmt.Sprintf("%.0f", r.RawOps), fmt.Sprintf("%.2f", r.Ratio)
		}
		if r.AnchorOps > 0 {
			anchor, vs = fmt.Sprintf("%.0f", r.AnchorOps), fmt.Sprintf("%.2f", r.VsAnchor)
		}
		fmt.Fprintf(w, "| %-48s | %12.0f | %12s | %5s | %12s | %9s |\n", r.Case, r.LibraryOps, raw, rat, anchor, vs)
	}
	if len(lats) > 0 {
		fmt.Fprintf(w, "\npickup latency: enqueue committed → handler started, one Enqueue at a time at a fixed rate\n\n")
		fmt.Fprintf(w, "| %-48s | %10s | %10s | %7s | %8s | %8s |\n", "case", "target/s", "reached/s", "samples", "p50 ms", "p99 ms")
		fmt.Fprintf(w, "|%s|%s|%s|%s|%s|%s|\n", strings.Repeat("-", 50), strings.Repeat("-", 12), strings.Repeat("-", 12), strings.Repeat("-", 9), strings.Repeat("-", 10), strings.Repeat("-", 10))
		for _, r := range lats {
			l := r.Latency
			fmt.Fprintf(w, "| %-48s | %10.0f | %10.0f | %7d | %8.3f | %8.3f |\n", r.Case, l.Rate, l.Achieved, l.Samples, l.P50ms, l.P99ms)
		}
	}
	if len(rep.Anchor) > 0 {
		fmt.Fprintf(w, "\nanchor SQL:\n")
		for _, s := range rep.Anchor {
			fmt.Fprintf(w, "  %s\n", s)
		}
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
