package main

import (
	"bytes"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestBenchRuns runs a few cases once on SQLite and checks that the table and
// the JSON report them with positive rates (the figures themselves are for
// people, not for assertions).
func TestBenchRuns(t *testing.T) {
	var out bytes.Buffer
	jsonPath := filepath.Join(t.TempDir(), "bench.json")
	err := run(t.Context(), "", `^(queue: claim \+ finish, 1 workers|snapshot: get by id 1 KiB, 1 workers|engine: .*)$`, 1, 0.05, jsonPath, &out, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"| queue: claim + finish, 1 workers", "| snapshot: get by id 1 KiB, 1 workers", "| engine: one step"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, out.String())
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
	if rep.Dialect != "sqlite" || len(rep.Results) != 3 {
		t.Fatalf("JSON report: %+v", rep)
	}
	for _, r := range rep.Results {
		if r.LibraryOps <= 0 || r.RawOps <= 0 || r.Ratio <= 0 {
			t.Errorf("%s: library %.0f/s, raw %.0f/s, ratio %.2f", r.Case, r.LibraryOps, r.RawOps, r.Ratio)
		}
	}
}
