package main

import (
	"bytes"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/flowstore/flowstore/internal/testdb"
	"github.com/flowstore/flowstore/orchestrator"
	"github.com/flowstore/flowstore/store"
)

func TestMain(m *testing.M) { testdb.Main(m) }

// TestBenchRuns runs a few cases once on SQLite and checks that the table and
// the JSON report them with positive rates (the figures themselves are for
// people, not for assertions).
func TestBenchRuns(t *testing.T) {
	checkRun(t, "", "sqlite", []string{"queue: claim + finish, 1 workers", "snapshot: get by id 1 KiB, 1 workers", "engine: one step"})
}

// TestBenchRunsOnEveryDialect runs one case of each hot path once on every
// other live dialect, whose raw sides quote, bind and claim in their own
// forms.
func TestBenchRunsOnEveryDialect(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		if db.SQLDialect().Name() == store.SQLite {
			t.Skip("TestBenchRuns runs on SQLite")
		}
		checkRun(t, testdb.DSN(t, db), string(db.SQLDialect().Name()), []string{
			"queue: claim + finish, 4 workers",
			"queue: batch claim + finish (100), 1 workers",
			"queue: bulk enqueue",
			"snapshot: CAS update 1 KiB, 1 workers",
			"snapshot: get by id 1 KiB, 1 workers",
			"logs: slog handler",
			"session: InTx + 1 insert, 1 workers",
			"engine: one step",
		})
		checkEngineStopped(t, db)
	})
}

// checkEngineStopped checks what the engine case leaves behind: the engine
// ran for the run and left with it (no live engine), its polls took no
// process, and the raw side's process is still created, as the raw UPDATE
// requires to match its row.
func checkEngineStopped(t *testing.T, db *store.DB) {
	t.Helper()
	ctx := t.Context()
	st, err := orchestrator.New(db)
	if err != nil {
		t.Fatal(err)
	}
	status, err := st.EngineStatus(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if status.Engines != 0 || status.RunningProcesses != 0 {
		t.Errorf("after the run: %d live engines, %d running processes; want none", status.Engines, status.RunningProcesses)
	}
	created, err := st.Processes(ctx, orchestrator.ProcessFilter{Status: orchestrator.StatusCreated})
	if err != nil {
		t.Fatal(err)
	}
	if len(created) != 1 || created[0].WorkflowName != "bench-raw" || created[0].LastStep == nil || *created[0].LastStep != "insert" {
		t.Fatalf("created processes after the run: %+v; want the raw side's one, with its steps", created)
	}
	steps, err := st.Steps(ctx, created[0].PID)
	if err != nil {
		t.Fatal(err)
	}
	if len(steps) == 0 {
		t.Error("the raw side wrote no step rows")
	}
}

// checkRun runs, once each, the cases whose names start with one of want,
// and checks the table and the JSON report.
func checkRun(t *testing.T, dsn, dialect string, want []string) {
	t.Helper()
	alts := make([]string, len(want))
	for i, w := range want {
		alts[i] = regexp.QuoteMeta(w)
	}
	var out bytes.Buffer
	jsonPath := filepath.Join(t.TempDir(), "bench.json")
	err := run(t.Context(), dsn, `^(`+strings.Join(alts, "|")+`)`, 1, 0.05, jsonPath, &out, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range want {
		if !strings.Contains(out.String(), "| "+w) {
			t.Errorf("table lacks %q:\n%s", "| "+w, out.String())
		}
	}
	b, err := os.ReadFile(jsonPath)
	if err != nil {
		t.Fatal(err)
	}
	var rep report
	if err := json.Unmarshal(b, &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Dialect != dialect || len(rep.Results) != len(want) {
		t.Fatalf("JSON report: %+v", rep)
	}
	for _, r := range rep.Results {
		if r.LibraryOps <= 0 || r.RawOps <= 0 || r.Ratio <= 0 {
			t.Errorf("%s: library %.0f/s, raw %.0f/s, ratio %.2f", r.Case, r.LibraryOps, r.RawOps, r.Ratio)
		}
	}
}
