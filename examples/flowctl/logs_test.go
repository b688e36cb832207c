package main

import (
	"bytes"
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/flowstore/flowstore/store"
)

func writeLogs(t *testing.T, dsn string, entries ...store.LogEntry) {
	t.Helper()
	db, err := store.Open(context.Background(), dsn)
	require.NoError(t, err)
	defer db.Close()
	require.NoError(t, store.NewLogs(db).WriteBatch(context.Background(), entries))
}

func TestLogsCommand(t *testing.T) {
	dsn := migrated(t)
	now := time.Now().UTC()
	writeLogs(t, dsn,
		store.LogEntry{Time: now.Add(-3 * time.Hour), Level: store.LogInfo, ProcessName: "a", Message: "old"},
		store.LogEntry{Time: now.Add(-2 * time.Minute), Level: store.LogError, ProcessName: "a", Message: "broke"},
		store.LogEntry{Time: now.Add(-1 * time.Minute), Level: store.LogTrace, ProcessName: "b", Message: "detail"},
	)
	code, out, errOut := flowctl(t, "", "--dsn", dsn, "logs")
	require.Equal(t, 0, code, errOut)
	require.Regexp(t, `(?s)INFO  a: old.*ERROR a: broke.*TRACE b: detail`, out, "oldest first")

	_, out, _ = flowctl(t, "", "--dsn", dsn, "logs", "--since", "1h")
	require.NotContains(t, out, "old")
	require.Contains(t, out, "broke")
	_, out, _ = flowctl(t, "", "--dsn", dsn, "logs", "--process", "a", "--level", "error")
	require.Equal(t, 1, strings.Count(out, "\n"), out)
	_, out, _ = flowctl(t, "", "--dsn", dsn, "logs", "--limit", "1")
	require.Contains(t, out, "detail")
	require.Equal(t, 1, strings.Count(out, "\n"))
	code, _, errOut = flowctl(t, "", "--dsn", dsn, "logs", "--level", "warn")
	require.Equal(t, 2, code, errOut)
}

// syncBuffer is a bytes.Buffer safe for a writer and a reader at once.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

func TestLogsFollow(t *testing.T) {
	dsn := migrated(t)
	writeLogs(t, dsn, store.LogEntry{Level: store.LogInfo, ProcessName: "a", Message: "before"})
	ctx, cancel := context.WithCancel(context.Background())
	var out, errOut syncBuffer
	done := make(chan int)
	go func() {
		done <- run(ctx, []string{"--dsn", dsn, "logs", "--follow", "--interval", "10ms"}, nil, &out, &errOut, func(string) string { return "" })
	}()
	waitFor := func(s string) {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for !strings.Contains(out.String(), s) && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
		}
		require.Contains(t, out.String(), s)
	}
	waitFor("before")
	writeLogs(t, dsn, store.LogEntry{Level: store.LogError, ProcessName: "a", Message: "arrived later"})
	waitFor("arrived later")
	cancel()
	require.Equal(t, 0, <-done, errOut.String())
	require.Equal(t, 1, strings.Count(out.String(), "before"), "printed once")
	require.Equal(t, 1, strings.Count(out.String(), "arrived later"), "printed once")
}
