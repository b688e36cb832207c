package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/flowstore/flowstore/internal/testdb"
)

func TestMain(m *testing.M) { testdb.Main(m) }

// TestRunsTwiceOnOneDatabase runs the example twice on one database per live
// dialect, as a user re-running it with -dsn does. Both runs must succeed,
// the second reusing the workflow version the first defined and numbering its
// runs after the first's.
func TestRunsTwiceOnOneDatabase(t *testing.T) {
	for _, d := range testdb.Live() {
		t.Run(string(d), func(t *testing.T) {
			dsn := testdb.FreshDSN(t, d)
			var first, second bytes.Buffer
			if err := run(t.Context(), dsn, &first); err != nil {
				t.Fatalf("first run: %v\n%s", err, first.String())
			}
			if err := run(t.Context(), dsn, &second); err != nil {
				t.Fatalf("second run: %v\n%s", err, second.String())
			}
			for _, want := range []string{"defined acme/shop/release version v1 (code 1)", "run 2  RunFailed"} {
				if !strings.Contains(first.String(), want) {
					t.Errorf("first run lacks %q:\n%s", want, first.String())
				}
			}
			for _, want := range []string{"using acme/shop/release version v1 (code 1)", "run 4  RunFailed  WORKFLOW_RUN_FAILED\n  run 3  RunSuccess", "run 4 in detail"} {
				if !strings.Contains(second.String(), want) {
					t.Errorf("second run lacks %q:\n%s", want, second.String())
				}
			}
		})
	}
}
