package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/flowstore/flowstore/internal/testdb"
)

func TestMain(m *testing.M) { testdb.Main(m) }

// TestRunsTwiceOnOneDatabase runs the example twice on one database per live
// dialect, as a user re-running it with -dsn does: the second run finds the
// triggers the first created, by name, and runs each of them once more.
func TestRunsTwiceOnOneDatabase(t *testing.T) {
	for _, d := range testdb.Live() {
		t.Run(string(d), func(t *testing.T) {
			dsn := testdb.FreshDSN(t, d)
			for i, verb := range []string{"created", "found"} {
				ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
				var out bytes.Buffer
				start := time.Now()
				err := run(ctx, &out, dsn, 0)
				cancel()
				if err != nil {
					t.Fatalf("run %d: %v\n%s", i+1, err, out.String())
				}
				got := out.String()
				t.Logf("run %d took %s:\n%s", i+1, time.Since(start).Round(time.Millisecond), got)
				for _, want := range []string{
					verb + ` SINGLE    "welcome mail"`, verb + ` SCHEDULED "every minute"`, verb + ` QUEUE     "invoice batch"`,
					`end   SINGLE    "welcome mail" -> DONE`,
					`end   SCHEDULED "every minute" -> IDLE, next run`,
					`end   QUEUE     "invoice batch" -> IDLE`,
				} {
					if !strings.Contains(got, want) {
						t.Errorf("run %d lacks %q", i+1, want)
					}
				}
			}
		})
	}
}
