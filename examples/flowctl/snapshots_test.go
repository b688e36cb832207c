package main

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/flowstore/flowstore"
	"github.com/flowstore/flowstore/store/correlation"
	"github.com/flowstore/flowstore/store/snapshot"
)

// seedSnapshots migrates a temp database and stores a few snapshots and a
// correlation.
func seedSnapshots(t *testing.T) string {
	t.Helper()
	ctx := context.Background()
	dsn := tempDSN(t)
	db, err := flowstore.Open(ctx, dsn) // migrates
	require.NoError(t, err)
	defer db.Close()
	plain := db.Snapshots
	zipped, err := snapshot.New(db.Store(), snapshot.WithCodec(snapshot.Gzip{}))
	require.NoError(t, err)
	v2 := "2"
	require.NoError(t, plain.Create(ctx, &snapshot.Snapshot{ID: "a-1", ProcessID: "orders", Payload: []byte("unversioned")}))
	require.NoError(t, plain.Create(ctx, &snapshot.Snapshot{ID: "b-1", ProcessID: "orders", ProcessVersion: &v2, Payload: []byte("v2 one"), BusinessKey: "ORDER-7", EventTypes: []string{"paid", "cancelled"}}))
	s := &snapshot.Snapshot{ID: "b-2", ProcessID: "orders", ProcessVersion: &v2, Payload: []byte("v2 two, compressed")}
	require.NoError(t, zipped.Create(ctx, s))
	require.NoError(t, zipped.Update(ctx, s))
	_, err = db.Correlations.Create(ctx, "b-1", correlation.Part{Key: "orderId", Value: "7"}, correlation.Part{Key: "customer", Value: "ann"})
	require.NoError(t, err)
	return dsn
}

func TestSnapshotsList(t *testing.T) {
	dsn := seedSnapshots(t)
	code, out, errOut := flowctl(t, "", "--dsn", dsn, "snapshots", "list", "--process-id", "orders", "--process-version", "2")
	require.Equal(t, 0, code, errOut)
	require.Equal(t, "b-1\nb-2\n", out)
	require.Contains(t, errOut, "2 snapshot(s) of orders@2")

	// Without --process-version: the unversioned definition only.
	code, out, _ = flowctl(t, "", "--dsn", dsn, "snapshots", "list", "--process-id", "orders")
	require.Equal(t, 0, code)
	require.Equal(t, "a-1\n", out)

	code, _, errOut = flowctl(t, "", "--dsn", dsn, "snapshots", "list")
	require.Equal(t, 2, code)
	require.Contains(t, errOut, "--process-id")
}

func TestSnapshotsShow(t *testing.T) {
	dsn := seedSnapshots(t)
	code, out, errOut := flowctl(t, "", "--dsn", dsn, "snapshots", "show", "b-1")
	require.Equal(t, 0, code, errOut)
	for _, want := range []string{"id:               b-1", `process version:  "2"`, "version:          0", "stored size:      6 bytes",
		"payload codec:    (none)", "business key:     ORDER-7", "waiting for:      cancelled, paid"} {
		require.Contains(t, out, want)
	}

	file := filepath.Join(t.TempDir(), "payload.bin")
	code, out, errOut = flowctl(t, "", "--dsn", dsn, "snapshots", "show", "b-2", "--out", file)
	require.Equal(t, 0, code, errOut)
	require.Contains(t, out, "version:          1")
	require.Contains(t, out, "payload codec:    gzip")
	got, err := os.ReadFile(file)
	require.NoError(t, err)
	require.Equal(t, "v2 two, compressed", string(got), "--out writes the decoded payload")

	code, _, errOut = flowctl(t, "", "--dsn", dsn, "snapshots", "show", "nope")
	require.Equal(t, 1, code)
	requireError(t, errOut, "flowctl snapshots: snapshot: stat nope: not found")
	code, _, _ = flowctl(t, "", "--dsn", dsn, "snapshots", "frob")
	require.Equal(t, 2, code)
}

func TestCorrelationsFind(t *testing.T) {
	dsn := seedSnapshots(t)
	// Order does not matter: the encoded id sorts the parts.
	code, out, errOut := flowctl(t, "", "--dsn", dsn, "correlations", "find", "orderId=7", "customer=ann")
	require.Equal(t, 0, code, errOut)
	require.Contains(t, out, "encoded id:       "+correlation.Encode(correlation.Part{Key: "customer", Value: "ann"}, correlation.Part{Key: "orderId", Value: "7"}))
	require.Contains(t, out, "correlated id:    b-1")
	require.Contains(t, out, "  customer = ann\n  orderId = 7\n")

	code, _, errOut = flowctl(t, "", "--dsn", dsn, "correlations", "find", "orderId=8")
	require.Equal(t, 1, code)
	requireError(t, errOut, "flowctl correlations: correlation: find by encoded id "+correlation.Encode(correlation.Part{Key: "orderId", Value: "8"})+": not found")
	code, _, errOut = flowctl(t, "", "--dsn", dsn, "correlations", "find", "novalue")
	require.Equal(t, 2, code)
	require.Contains(t, errOut, "KEY=VALUE")
}
