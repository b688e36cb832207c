package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/flowstore/flowstore"
	"github.com/flowstore/flowstore/internal/testdb"
	"github.com/flowstore/flowstore/store/snapshot"
)

func TestMain(m *testing.M) { testdb.Main(m) }

// TestRunsTwiceOnOneDatabase runs the example twice on one database per live
// dialect; the second run also finds an instance an interrupted run left
// behind (its id is fixed) and starts over.
func TestRunsTwiceOnOneDatabase(t *testing.T) {
	for _, d := range testdb.Live() {
		t.Run(string(d), func(t *testing.T) {
			dsn := testdb.FreshDSN(t, d)
			for i := range 2 {
				var out bytes.Buffer
				if err := run(t.Context(), dsn, &out); err != nil {
					t.Fatalf("run %d: %v\n%s", i+1, err, out.String())
				}
				if !strings.Contains(out.String(), "40 changes in the payload, version 42") {
					t.Errorf("run %d:\n%s", i+1, out.String())
				}
			}
			// An instance left by a run that was killed before its
			// deferred Delete: the next run deletes it and succeeds.
			fs, err := flowstore.Open(t.Context(), dsn)
			if err != nil {
				t.Fatal(err)
			}
			defer fs.Close()
			if err := fs.Snapshots.Create(t.Context(), &snapshot.Snapshot{ID: "example-order-1", ProcessID: "order-flow", Payload: []byte("left;")}); err != nil {
				t.Fatal(err)
			}
			var out bytes.Buffer
			if err := run(t.Context(), dsn, &out); err != nil {
				t.Fatalf("run after a leftover: %v\n%s", err, out.String())
			}
			if !strings.Contains(out.String(), "deleted example-order-1, left by an earlier run") ||
				!strings.Contains(out.String(), "no update was lost") {
				t.Errorf("run after a leftover:\n%s", out.String())
			}
		})
	}
}
