package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/flowstore/flowstore/internal/rawqueue"
	"github.com/flowstore/flowstore/internal/testdb"
	"github.com/flowstore/flowstore/orchestrator"
	"github.com/flowstore/flowstore/store"
)

// mainEnv makes the test binary run the command's main instead of the tests
// (TestRunMatchingNothingExits2 runs it as a child process).
const mainEnv = "FLOWSTORE_BENCH_RUN_MAIN"

func TestMain(m *testing.M) {
	if os.Getenv(mainEnv) == "1" {
		main()
		os.Exit(0)
	}
	testdb.Main(m)
}

// testRound is the tests' shortest round: they check what a run writes,
// reports and leaves, not its figures, and the bench's own 300 ms rounds
// made TestBenchLeavesNothing take a minute and a half under -race.
const testRound = 20 * time.Millisecond

// someCases are one case of each hot path, the queue's with the anchor.
var someCases = []string{
	"queue: claim + finish, 4 workers",
	"queue: batch claim + finish (100), 1 workers",
	"queue: bulk enqueue",
	"snapshot: CAS update 1 KiB, 1 workers",
	"snapshot: get by id 1 KiB, 1 workers",
	"logs: slog handler",
	"session: InTx + 1 insert, 1 workers",
	"engine: one step",
	"queue: Worker, no-op handlers",
	"queue: Worker pickup latency, 10 enqueues/s",
}

// TestBenchRuns runs a few cases on a SQLite file of its own (no -dsn) and
// checks the table and the JSON: positive rates, the anchor where it
// belongs, and ratios that are the printed rates divided.
func TestBenchRuns(t *testing.T) {
	rep, _ := checkRun(t, "", "sqlite", []string{"queue: claim + finish, 1 workers", "snapshot: get by id 1 KiB, 1 workers", "engine: one step"}, false)
	if len(rep.Anchor) == 0 {
		t.Error("the report does not show the anchor's SQL")
	}
}

// TestBenchLeavesNothing is issue 18.6 on every live dialect: with -dsn
// the bench runs twice on one database, both runs succeed, and the
// database then holds what it held before — no queue element, log,
// constant, snapshot, workflow, process or engine row, no anchor table,
// running_processes where it was. A database holding rows that are not the
// bench's is refused, unless -dirty-ok, and those rows survive the run.
func TestBenchLeavesNothing(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		dsn := testdb.DSN(t, db)
		before := contents(t, db)
		var runs []string
		for range 2 {
			rep, _ := checkRun(t, dsn, string(db.SQLDialect().Name()), someCases, false)
			runs = append(runs, rep.Run)
		}
		if runs[0] == runs[1] || !strings.HasPrefix(runs[0], benchPrefix) {
			t.Errorf("run tags %q", runs)
		}
		if after := contents(t, db); after != before {
			t.Errorf("the database changed:\nbefore %s\nafter  %s", before, after)
		}
		checkNoEngine(t, db)
		for _, tag := range runs {
			checkAnchorGone(t, db, tag)
		}

		// Someone else's row: refused, then -dirty-ok leaves it alone.
		d := db.SQLDialect()
		if _, err := db.SQL().ExecContext(t.Context(), d.Rebind("INSERT INTO "+d.Quote("Constants")+" (name, value, changed_at) VALUES (?, ?, ?)"), "someone-else", "theirs", db.Now()); err != nil {
			t.Fatal(err)
		}
		withForeign := contents(t, db)
		err := run(t.Context(), options{dsn: dsn, run: "^session: InTx \\+ 1 insert, 1 workers$", rounds: 1, scale: 0.05, minRound: testRound}, io.Discard, io.Discard)
		if !errors.Is(err, errDirty) || !strings.Contains(err.Error(), "Constants: 1") || !strings.Contains(err.Error(), "-dirty-ok") {
			t.Fatalf("a run on a database with a foreign constant: %v; want errDirty naming Constants: 1 and -dirty-ok", err)
		}
		if got := contents(t, db); got != withForeign {
			t.Errorf("the refused run changed the database:\nbefore %s\nafter  %s", withForeign, got)
		}
		checkRun(t, dsn, string(db.SQLDialect().Name()), []string{"session: InTx + 1 insert, 1 workers", "queue: claim + finish, 1 workers"}, true)
		if got := contents(t, db); got != withForeign {
			t.Errorf("the -dirty-ok run changed the database:\nbefore %s\nafter  %s", withForeign, got)
		}
		var value string
		if err := db.SQL().QueryRowContext(t.Context(), d.Rebind("SELECT value FROM "+d.Quote("Constants")+" WHERE name = ?"), "someone-else").Scan(&value); err != nil || value != "theirs" {
			t.Errorf("the foreign constant after -dirty-ok: %q, %v", value, err)
		}
	})
}

// TestBenchCancelCleansUp: a run cancelled (Ctrl-C) while the engine case
// runs its processes returns the cancellation and still removes everything
// it wrote — a process the cancellation left running included.
func TestBenchCancelCleansUp(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		before := contents(t, db)
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		w := &cancelWriter{on: "engine: one step", after: 300 * time.Millisecond, cancel: cancel}
		err := run(ctx, options{dsn: testdb.DSN(t, db), run: "^(session: InTx \\+ 1 insert, 1 workers|engine: one step)", rounds: 5, scale: 0.2, minRound: testRound}, io.Discard, w)
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("run: %v; want context.Canceled", err)
		}
		if !w.fired() {
			t.Fatal("the run ended before the engine case started")
		}
		if after := contents(t, db); after != before {
			t.Errorf("the database changed:\nbefore %s\nafter  %s", before, after)
		}
		checkNoEngine(t, db)
	})
}

// cancelWriter is a progress writer that cancels the run a while after the
// progress names the case on.
type cancelWriter struct {
	on     string
	after  time.Duration
	cancel context.CancelFunc
	mu     sync.Mutex
	timer  *time.Timer
}

func (w *cancelWriter) Write(b []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.timer == nil && bytes.Contains(b, []byte(w.on)) {
		w.timer = time.AfterFunc(w.after, w.cancel)
	}
	return len(b), nil
}

func (w *cancelWriter) fired() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.timer != nil
}

// TestRunMatchingNothing: a -run that selects no case is an error the
// command exits 2 on, before it opens any database.
func TestRunMatchingNothing(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "never.db")
	for _, re := range []string{"^no such case$", "(unclosed"} {
		err := run(t.Context(), options{dsn: "sqlite:" + missing, run: re, rounds: 1, scale: 1}, io.Discard, io.Discard)
		if !errors.Is(err, errNoCases) {
			t.Errorf("-run %q: %v; want errNoCases", re, err)
		}
	}
	if _, err := os.Stat(missing); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the run created %s: %v", missing, err)
	}
}

// TestRunMatchingNothingExits2 runs the command itself.
func TestRunMatchingNothingExits2(t *testing.T) {
	cmd := exec.Command(os.Args[0], "-run", "^no such case$")
	cmd.Env = append(os.Environ(), mainEnv+"=1")
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 2 {
		t.Fatalf("exit: %v; want status 2\n%s", err, out)
	}
	if !strings.Contains(string(out), "matches none of the") {
		t.Errorf("output: %s", out)
	}
}

// TestRatioIsThePrintedRates: the ratio columns are computed from the
// rates as printed, whatever the rounds' own ratios were.
func TestRatioIsThePrintedRates(t *testing.T) {
	// Rates chosen so that the medians' ratio differs from the median of
	// the rounds' ratios: rounds (lib, raw) = (10, 50), (40, 10), (20, 100)
	// have ratios 0.2, 4, 0.2 (median 0.2), while the medians are 20 and
	// 50 (0.4). The table must show the ratio of what it prints.
	libRates := []float64{10, 40, 20}
	rawRates := []float64{50, 10, 100}
	c := &benchCase{name: "fake", workers: 1, ops: 1,
		library: fakeSide(libRates), raw: fakeSide(rawRates), anchor: fakeSide([]float64{80, 80, 80})}
	res, err := measure(t.Context(), nil, c, 1, 3, nil)
	if err != nil {
		t.Fatal(err)
	}
	// The rates are measured, so only their order is known; the ratios
	// must be exactly the printed rates divided.
	if res.Ratio != res.LibraryOps/res.RawOps || res.VsAnchor != res.LibraryOps/res.AnchorOps {
		t.Errorf("%+v: ratios are not the printed rates divided", res)
	}
	if res.LibraryOps >= res.RawOps || res.Ratio >= 1 {
		t.Errorf("%+v: the library's median rate is the slower one; the ratio must say so", res)
	}
	var out bytes.Buffer
	printTable(&out, report{Results: []result{{Case: "x", LibraryOps: 19123, RawOps: 28729, Ratio: ratio(19123, 28729)}}})
	if !strings.Contains(out.String(), "|        19123 |        28729 |  0.67 |") {
		t.Errorf("table:\n%s", out.String())
	}
	if !strings.Contains(out.String(), "ratio = flowstore rate / raw rate") || !strings.Contains(out.String(), ">1 means flowstore is faster") {
		t.Errorf("the header does not say what the ratio is:\n%s", out.String())
	}
}

// fakeSide is an op whose k-th call (one a round) takes long enough to make
// its rate about rates[k] operations per second: it sleeps 1/rate.
func fakeSide(rates []float64) op {
	var mu sync.Mutex
	k := 0
	return func(ctx context.Context, _ *env, _, _ int) (int, error) {
		mu.Lock()
		r := rates[k%len(rates)]
		k++
		mu.Unlock()
		time.Sleep(time.Duration(float64(time.Second) / r))
		return 1, nil
	}
}

// TestProgress: plain lines off a terminal (no carriage return), one line
// rewritten in place on one; both count cases and estimate the time left.
func TestProgress(t *testing.T) {
	var plain, tty bytes.Buffer
	now := time.Unix(0, 0)
	for _, p := range []*progress{newProgress(&plain, false, 2, 2), newProgress(&tty, true, 2, 2)} {
		p.start, p.now = now, func() time.Time { return now }
		p.startCase(1, "a")
		now = now.Add(10 * time.Second)
		p.round(1)
		now = now.Add(10 * time.Second)
		p.round(2)
		p.endCase(result{Case: "a", LibraryOps: 5, RawOps: 10, Ratio: 0.5})
		p.startCase(2, "b")
		now = time.Unix(0, 0)
	}
	want := "case 1 of 2: a — elapsed 0:00, expected remaining: unknown yet\n" +
		"a                                                library          5 ops/s   raw         10 ops/s   ratio 0.50\n" +
		"case 2 of 2: b — elapsed 0:20, expected remaining 0:20\n"
	if plain.String() != want {
		t.Errorf("plain progress:\n%q\nwant\n%q", plain.String(), want)
	}
	got := tty.String()
	if strings.Count(got, "\n") != 1 || !strings.Contains(got, "\r\x1b[Kcase 1 of 2: a — elapsed 0:10, expected remaining 0:30") ||
		!strings.HasSuffix(got, "\r\x1b[Kcase 2 of 2: b — elapsed 0:20, expected remaining 0:20") {
		t.Errorf("terminal progress: %q", got)
	}
	if isTerminal(&plain) {
		t.Error("a buffer is not a terminal")
	}
}

// checkRun runs, once each, the cases whose names start with one of want,
// and checks the table and the JSON report.
func checkRun(t *testing.T, dsn, dialect string, want []string, dirtyOK bool) (report, string) {
	t.Helper()
	alts := make([]string, len(want))
	for i, w := range want {
		alts[i] = regexp.QuoteMeta(w)
	}
	var out bytes.Buffer
	jsonPath := filepath.Join(t.TempDir(), "bench.json")
	err := run(t.Context(), options{dsn: dsn, run: `^(` + strings.Join(alts, "|") + `)`, rounds: 1, scale: 0.05, jsonOut: jsonPath, dirtyOK: dirtyOK, minRound: testRound}, &out, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range want {
		if !strings.Contains(out.String(), "| "+w) {
			t.Errorf("table lacks %q:\n%s", "| "+w, out.String())
		}
	}
	rep := readReport(t, jsonPath)
	if rep.Dialect != dialect || len(rep.Results) != len(want) {
		t.Fatalf("JSON report: %+v", rep)
	}
	for _, r := range rep.Results {
		if l := r.Latency; l != nil {
			if r.LibraryOps != 0 || l.Samples < 5 || l.Achieved <= 0 || l.P50ms < 0 || l.P50ms > l.P99ms {
				t.Errorf("%s: %+v, latency %+v", r.Case, r, *l)
			}
			if !regexp.MustCompile(`\| ` + regexp.QuoteMeta(r.Case) + ` +\| +\d+ \| +\d+ \| +\d+ \| +[0-9.]+ \| +[0-9.]+ \|`).MatchString(out.String()) {
				t.Errorf("no latency row for %s:\n%s", r.Case, out.String())
			}
			continue
		}
		if strings.Contains(r.Case, "Worker") { // library only
			if r.LibraryOps <= 0 || r.RawOps != 0 || r.Ratio != 0 || !regexp.MustCompile(`\| `+regexp.QuoteMeta(r.Case)+` +\| +\d+ \| +\| +\| +\| +\|`).MatchString(out.String()) {
				t.Errorf("%s: %+v\n%s", r.Case, r, out.String())
			}
			continue
		}
		if r.LibraryOps <= 0 || r.RawOps <= 0 || r.Ratio != r.LibraryOps/r.RawOps {
			t.Errorf("%s: library %.0f/s, raw %.0f/s, ratio %v", r.Case, r.LibraryOps, r.RawOps, r.Ratio)
		}
		single := strings.HasPrefix(r.Case, "queue: claim + finish")
		if single != (r.AnchorOps > 0) || (single && r.VsAnchor != r.LibraryOps/r.AnchorOps) {
			t.Errorf("%s: anchor %.0f/s, vs anchor %v", r.Case, r.AnchorOps, r.VsAnchor)
		}
		// The table's ratio is the table's rates divided.
		row := regexp.MustCompile(`\| ` + regexp.QuoteMeta(r.Case) + ` +\| +(\d+) \| +(\d+) \| +([0-9.]+) \|`).FindStringSubmatch(out.String())
		if row == nil {
			t.Errorf("no table row for %s:\n%s", r.Case, out.String())
			continue
		}
		lib, _ := strconv.ParseFloat(row[1], 64)
		raw, _ := strconv.ParseFloat(row[2], 64)
		if row[3] != fmt.Sprintf("%.2f", lib/raw) {
			t.Errorf("%s: table ratio %s for %s/s ÷ %s/s", r.Case, row[3], row[1], row[2])
		}
	}
	return rep, out.String()
}

// contents describes what the database holds where the bench writes: the
// row count of each of those tables and the engine_settings row.
func contents(t *testing.T, db *store.DB) string {
	t.Helper()
	d := db.SQLDialect()
	var b strings.Builder
	tables := []string{"processes", "process_steps", "input_states"}
	for _, o := range ownedTables {
		tables = append(tables, o.table)
	}
	for _, table := range tables {
		var n int
		if err := db.SQL().QueryRowContext(t.Context(), "SELECT COUNT(*) FROM "+d.Quote(table)).Scan(&n); err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "%s=%d ", table, n)
	}
	st, err := orchestrator.New(db)
	if err != nil {
		t.Fatal(err)
	}
	s, err := st.Settings(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(&b, "engine_settings=%+v", *s)
	return b.String()
}

// checkNoEngine: no live engine, no process running.
func checkNoEngine(t *testing.T, db *store.DB) {
	t.Helper()
	st, err := orchestrator.New(db)
	if err != nil {
		t.Fatal(err)
	}
	status, err := st.EngineStatus(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if status.Engines != 0 || status.RunningProcesses != 0 || status.Executing != 0 {
		t.Errorf("after the run: %+v; want no engine and no running process", status)
	}
}

// checkAnchorGone: the run's anchor table no longer exists — a table of its
// name can be made again.
func checkAnchorGone(t *testing.T, db *store.DB, tag string) {
	t.Helper()
	raw, err := openRawPool(t.Context(), testdb.DSN(t, db))
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	a := rawqueue.NewAnchor(db.SQLDialect(), tablePrefix+strings.TrimPrefix(tag, benchPrefix))
	if err := a.Create(t.Context(), raw); err != nil {
		t.Fatalf("the anchor table of run %s is still there: %v", tag, err)
	}
	if err := a.Drop(t.Context(), raw); err != nil {
		t.Fatal(err)
	}
}

// TestLadder runs the schema ladder (-ladder) on every live dialect: it
// prints each rung with positive rates and the anchor's, the copy of rung
// 3 has the claim's index alone, and the run drops its copies of Queues
// when it ends, leaving the database as it was.
func TestLadder(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		before := contents(t, db)
		var out bytes.Buffer
		jsonPath := filepath.Join(t.TempDir(), "ladder.json")
		err := run(t.Context(), options{dsn: testdb.DSN(t, db), ladder: true, run: `, (1|4) workers$`, rounds: 1, scale: 0.05, minRound: testRound, jsonOut: jsonPath}, &out, io.Discard)
		if err != nil {
			t.Fatal(err)
		}
		for k := 1; k <= len(rungs); k++ {
			if !strings.Contains(out.String(), fmt.Sprintf("| ladder %d: ", k)) {
				t.Errorf("the table lacks rung %d:\n%s", k, out.String())
			}
		}
		claim := "ix_Queues_queue_name_status_created_date_id"
		if db.SQLDialect().Name() == store.Postgres {
			claim = "ix_Queues_claim_new" // migration 0072
		}
		if want := fmt.Sprintf("rung %d indexes (besides the primary key): %s\n", len(rungs), claim); !strings.Contains(out.String(), want) {
			t.Errorf("the output lacks %q:\n%s", want, out.String())
		}
		rep := readReport(t, jsonPath)
		if len(rep.Results) != 2*len(rungs) {
			t.Fatalf("%d results, want %d", len(rep.Results), 2*len(rungs))
		}
		for _, r := range rep.Results {
			if r.LibraryOps <= 0 || r.AnchorOps <= 0 || r.VsAnchor != r.LibraryOps/r.AnchorOps {
				t.Errorf("result %+v", r)
			}
		}
		d := db.SQLDialect()
		for k := 1; k <= len(rungs); k++ {
			table := fmt.Sprintf("%s%s_l%d", tablePrefix, strings.TrimPrefix(rep.Run, benchPrefix), k)
			if _, err := db.SQL().ExecContext(t.Context(), "SELECT 1 FROM "+d.Quote(table)); err == nil {
				t.Errorf("the ladder's table %s is still there", table)
			}
		}
		checkAnchorGone(t, db, rep.Run)
		if after := contents(t, db); after != before {
			t.Errorf("the database changed:\nbefore %s\nafter  %s", before, after)
		}
	})
}

// readReport reads the JSON report a run wrote to path.
func readReport(t *testing.T, path string) report {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var rep report
	if err := json.Unmarshal(b, &rep); err != nil {
		t.Fatal(err)
	}
	return rep
}
