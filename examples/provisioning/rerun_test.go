package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/flowstore/flowstore/internal/testdb"
)

func TestMain(m *testing.M) { testdb.Main(m) }

// TestRunsTwiceOnOneDatabase runs the example twice on one database per live
// dialect, as a user re-running it with -dsn does: the second run finds the
// catalogue the first created (product names are unique) and provisions a
// second subscription.
func TestRunsTwiceOnOneDatabase(t *testing.T) {
	for _, d := range testdb.Live() {
		t.Run(string(d), func(t *testing.T) {
			dsn := testdb.FreshDSN(t, d)
			for i, want := range []string{"ACME has 1 active Fiber subscription (", "ACME has 2 active Fiber subscriptions"} {
				var out bytes.Buffer
				if err := run(t.Context(), dsn, &out); err != nil {
					t.Fatalf("run %d: %v\n%s", i+1, err, out.String())
				}
				for _, w := range []string{want, "6  Done                   complete", `subscription "Fiber for ACME" is active, port vlan 100`} {
					if !strings.Contains(out.String(), w) {
						t.Errorf("run %d lacks %q:\n%s", i+1, w, out.String())
					}
				}
			}
		})
	}
}
