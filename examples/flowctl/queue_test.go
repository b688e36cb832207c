package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/flowstore/flowstore"
)

func TestQueueCommands(t *testing.T) {
	dsn := tempDSN(t)
	code, _, errOut := flowctl(t, "", "--dsn", dsn, "migrate")
	require.Equal(t, 0, code, errOut)

	code, out, _ := flowctl(t, "", "--dsn", dsn, "queue", "stats")
	require.Equal(t, 0, code)
	require.Contains(t, out, "no queues")

	code, out, errOut = flowctl(t, "", "--dsn", dsn, "queue", "push", "invoices", "--reference", "INV-1", "--data", `{"amount":12}`)
	require.Equal(t, 0, code, errOut)
	require.Contains(t, out, "enqueued ")
	code, _, errOut = flowctl(t, "", "--dsn", dsn, "queue", "push", "--reference", "INV-2", "invoices")
	require.Equal(t, 0, code, errOut)

	// A worker takes one; it goes stale later.
	clockNow := time.Now().Add(-2 * time.Hour)
	db, err := flowstore.Open(context.Background(), dsn, flowstore.WithClock(func() time.Time { return clockNow }), flowstore.WithoutMigrate())
	require.NoError(t, err)
	defer db.Close()
	claimed, err := db.Queue.Claim(context.Background(), "invoices")
	require.NoError(t, err)
	require.Equal(t, "INV-1", claimed.Reference)

	code, out, _ = flowctl(t, "", "--dsn", dsn, "queue", "stats")
	require.Equal(t, 0, code)
	require.Regexp(t, `invoices\s+1\s+1\s+0\s+0\s+0\s+2`, out)

	code, out, _ = flowctl(t, "", "--dsn", dsn, "queue", "list", "invoices", "--status", "in progress")
	require.Equal(t, 0, code)
	require.Contains(t, out, "INV-1")
	require.NotContains(t, out, "INV-2")
	require.Contains(t, out, "1 of 1 elements")

	code, out, _ = flowctl(t, "", "--dsn", dsn, "queue", "requeue-stale", "invoices", "--older-than", "3h")
	require.Equal(t, 0, code)
	require.Contains(t, out, "requeued 0 elements")
	code, out, _ = flowctl(t, "", "--dsn", dsn, "queue", "requeue-stale", "invoices", "--older-than", "1h")
	require.Equal(t, 0, code)
	require.Contains(t, out, "requeued 1 elements")
	code, out, _ = flowctl(t, "", "--dsn", dsn, "queue", "list", "invoices")
	require.Equal(t, 0, code)
	require.Contains(t, out, "2 of 2 elements")
	require.NotContains(t, out, "IN_PROGRESS")

	for _, bad := range [][]string{
		{"queue"},
		{"queue", "frobnicate"},
		{"queue", "list"},
		{"queue", "list", "invoices", "--status", "SLEEPING"},
		{"queue", "requeue-stale", "invoices"},
	} {
		code, _, errOut := flowctl(t, "", append([]string{"--dsn", dsn}, bad...)...)
		require.Equal(t, 2, code, "%v: %s", bad, errOut)
		require.Contains(t, errOut, "usage:\n  flowctl queue stats", "the usage of every queue subcommand")
	}
	code, _, errOut = flowctl(t, "", "--dsn", dsn, "queue", "push", "q", "--reference", strings.Repeat("r", 101))
	require.Equal(t, 1, code)
	requireError(t, errOut, "flowctl queue: queue: enqueue: value too long: reference is 101 characters, at most 100 fit")
}
