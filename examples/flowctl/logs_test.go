package main

import (
	"bytes"
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/flowstore/flowstore"
	"github.com/flowstore/flowstore/store/logs"
)

func writeLogs(t *testing.T, dsn string, entries ...logs.Entry) {
	t.Helper()
	db, err := flowstore.Open(context.Background(), dsn, flowstore.WithoutMigrate())
	require.NoError(t, err)
	defer db.Close()
	require.NoError(t, db.Logs.WriteBatch(context.Background(), entries))
}

func TestLogsCommand(t *testing.T) {
	dsn := migrated(t)
	now := time.Now().UTC()
	writeLogs(t, dsn,
		logs.Entry{Time: now.Add(-3 * time.Hour), Level: logs.LevelInfo, ProcessName: "a", Message: "old"},
		logs.Entry{Time: now.Add(-2 * time.Minute), Level: logs.LevelError, ProcessName: "a", Message: "broke"},
		logs.Entry{Time: now.Add(-1 * time.Minute), Level: logs.LevelTrace, ProcessName: "b", Message: "detail"},
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
	writeLogs(t, dsn, logs.Entry{Level: logs.LevelInfo, ProcessName: "a", Message: "before"})
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
	writeLogs(t, dsn, logs.Entry{Level: logs.LevelError, ProcessName: "a", Message: "arrived later"})
	waitFor("arrived later")
	cancel()
	require.Equal(t, 0, <-done, errOut.String())
	require.Equal(t, 1, strings.Count(out.String(), "before"), "printed once")
	require.Equal(t, 1, strings.Count(out.String(), "arrived later"), "printed once")
}

// startFollow runs "flowctl logs --follow" with extra flags until the test
// ends; it returns its output and a function that waits (bounded) for s in it.
func startFollow(t *testing.T, dsn string, flags ...string) (*syncBuffer, func(s string, within time.Duration)) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	out, errOut := new(syncBuffer), new(syncBuffer)
	done := make(chan int)
	args := append([]string{"--dsn", dsn, "logs", "--follow", "--interval", "10ms"}, flags...)
	go func() {
		done <- run(ctx, args, nil, out, errOut, func(string) string { return "" })
	}()
	t.Cleanup(func() {
		cancel()
		require.Equal(t, 0, <-done, errOut.String())
	})
	return out, func(s string, within time.Duration) {
		t.Helper()
		deadline := time.Now().Add(within)
		for !strings.Contains(out.String(), s) && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
		}
		require.Contains(t, out.String(), s, "stderr: %s", errOut.String())
	}
}

// A row stamped before the newest row printed but committed after it — a
// LogHandler batch that waited for its flush, a writer with a slower clock —
// is still printed, once: --follow polls from --lag before the newest time
// printed. (It used to poll from that time only, and never showed the row.)
func TestLogsFollowPrintsLateCommits(t *testing.T) {
	dsn := migrated(t)
	now := time.Now().UTC()
	writeLogs(t, dsn, logs.Entry{Time: now, Level: logs.LevelInfo, ProcessName: "a", Message: "newest"})
	out, waitFor := startFollow(t, dsn, "--lag", "3s")
	waitFor("newest", 30*time.Second)
	// A few polls pass, so a buggy follow has moved its window past it.
	time.Sleep(100 * time.Millisecond)
	writeLogs(t, dsn, logs.Entry{Time: now.Add(-time.Second), Level: logs.LevelInfo, ProcessName: "b", Message: "late commit"})
	waitFor("late commit", 10*time.Second)
	writeLogs(t, dsn, logs.Entry{Time: now.Add(time.Second), Level: logs.LevelInfo, ProcessName: "a", Message: "after"})
	waitFor("after", 10*time.Second)
	time.Sleep(100 * time.Millisecond) // more polls over the same window
	for _, s := range []string{"newest", "late commit", "after"} {
		require.Equal(t, 1, strings.Count(out.String(), s), "%s printed once:\n%s", s, out.String())
	}
}

// Rows that --limit left out are not printed by --follow's first poll,
// although they lie in its window; a row committed later is.
func TestLogsFollowRespectsLimit(t *testing.T) {
	dsn := migrated(t)
	now := time.Now().UTC()
	writeLogs(t, dsn,
		logs.Entry{Time: now.Add(-3 * time.Second), Level: logs.LevelInfo, ProcessName: "a", Message: "left out 1"},
		logs.Entry{Time: now.Add(-2 * time.Second), Level: logs.LevelInfo, ProcessName: "a", Message: "left out 2"},
		logs.Entry{Time: now.Add(-1 * time.Second), Level: logs.LevelInfo, ProcessName: "a", Message: "shown"},
	)
	out, waitFor := startFollow(t, dsn, "--limit", "1", "--lag", "10s")
	waitFor("shown", 30*time.Second)
	writeLogs(t, dsn, logs.Entry{Time: now.Add(-1500 * time.Millisecond), Level: logs.LevelInfo, ProcessName: "b", Message: "late"})
	waitFor("late", 10*time.Second)
	time.Sleep(100 * time.Millisecond)
	require.NotContains(t, out.String(), "left out")
	require.Equal(t, 1, strings.Count(out.String(), "shown"))
	require.Equal(t, 1, strings.Count(out.String(), "late"))
}

func TestLogsFollowRefusesBadDurations(t *testing.T) {
	dsn := migrated(t)
	code, _, errOut := flowctl(t, "", "--dsn", dsn, "logs", "--follow", "--lag", "-1s")
	require.Equal(t, 2, code, errOut)
	code, _, errOut = flowctl(t, "", "--dsn", dsn, "logs", "--follow", "--interval", "0s")
	require.Equal(t, 2, code, errOut)
}
