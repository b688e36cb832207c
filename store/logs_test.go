package store_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/flowstore/flowstore/internal/testdb"
	"github.com/flowstore/flowstore/store"
)

func TestLogsWriteAndQuery(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		clock := newClock()
		logs := store.NewLogs(withClock(t, db, clock))
		base := clock.Now()
		// 30 rows, one per minute, alternating processes and levels.
		var batch []store.LogEntry
		levels := []store.LogLevel{store.LogTrace, store.LogInfo, store.LogError}
		for i := range 30 {
			batch = append(batch, store.LogEntry{
				Time:        base.Add(time.Duration(i) * time.Minute),
				Level:       levels[i%3],
				ProcessName: []string{"robot-a", "robot-b"}[i%2],
				Message:     fmt.Sprintf("message %02d 100%% done_ok", i),
			})
		}
		require.NoError(t, logs.WriteBatch(ctx, batch))
		require.NoError(t, logs.Write(ctx, store.LogEntry{Level: store.LogInfo, ProcessName: "robot-c", Message: "now"}))

		page, err := logs.Query(ctx, store.LogFilter{Limit: 5})
		require.NoError(t, err)
		require.Equal(t, 31, page.Total)
		require.Len(t, page.Entries, 5)
		require.Equal(t, "message 29 100% done_ok", page.Entries[0].Message, "newest first")
		require.True(t, page.Entries[0].Time.Equal(store.UTC(base.Add(29*time.Minute))))
		require.NotEqual(t, uuid.Nil, page.Entries[0].ID)

		page, err = logs.Query(ctx, store.LogFilter{Offset: 5, Limit: 5, ProcessName: "robot-a"})
		require.NoError(t, err)
		require.Equal(t, 15, page.Total)
		require.Equal(t, "message 18 100% done_ok", page.Entries[0].Message)

		// Inclusive time range: minutes 10..20 are 11 rows.
		page, err = logs.Query(ctx, store.LogFilter{From: base.Add(10 * time.Minute), To: base.Add(20 * time.Minute)})
		require.NoError(t, err)
		require.Equal(t, 11, page.Total)

		page, err = logs.Query(ctx, store.LogFilter{Level: store.LogError})
		require.NoError(t, err)
		require.Equal(t, 10, page.Total)
		for _, e := range page.Entries {
			require.Equal(t, store.LogError, e.Level)
		}

		// Search escapes LIKE wildcards: "0%" must not match "00 1…".
		page, err = logs.Query(ctx, store.LogFilter{Search: "100% done_ok"})
		require.NoError(t, err)
		require.Equal(t, 30, page.Total)
		page, err = logs.Query(ctx, store.LogFilter{Search: "s_ge"})
		require.NoError(t, err)
		require.Zero(t, page.Total, "_ is not a wildcard")
		page, err = logs.Query(ctx, store.LogFilter{Search: "message 07"})
		require.NoError(t, err)
		require.Equal(t, 1, page.Total)

		names, err := logs.ProcessNames(ctx)
		require.NoError(t, err)
		require.Equal(t, []string{"robot-a", "robot-b", "robot-c"}, names)

		n, err := logs.Prune(ctx, base.Add(10*time.Minute))
		require.NoError(t, err)
		require.EqualValues(t, 11, n, "minutes 0..9 and the row written at the clock's time, minute 0")
		page, err = logs.Query(ctx, store.LogFilter{})
		require.NoError(t, err)
		require.Equal(t, 20, page.Total)
	})
}

func TestLogsRefuseBadInput(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		logs := store.NewLogs(db)
		good := store.LogEntry{Level: store.LogInfo, ProcessName: "p", Message: "m"}
		bad := []store.LogEntry{good, {Level: "WARN", ProcessName: "p"}}
		require.ErrorIs(t, logs.WriteBatch(ctx, bad), store.ErrInvalid)
		bad[1] = store.LogEntry{Level: store.LogInfo, ProcessName: strings.Repeat("p", 101)}
		require.ErrorIs(t, logs.WriteBatch(ctx, bad), store.ErrTooLong)
		page, err := logs.Query(ctx, store.LogFilter{})
		require.NoError(t, err)
		require.Zero(t, page.Total, "nothing written")
		_, err = logs.Query(ctx, store.LogFilter{Level: "nope"})
		require.ErrorIs(t, err, store.ErrInvalid)
		yields := 0
		for _, err := range logs.All(ctx, store.LogFilter{Offset: 3}) {
			require.ErrorIs(t, err, store.ErrInvalid)
			yields++
		}
		require.Equal(t, 1, yields, "All yields the error once (a loop that yields nothing would pass the check above)")
	})
}

// Text no dialect stores faithfully is refused before anything is written:
// NUL (PostgreSQL: SQLSTATE 22021) and invalid UTF-8 (PostgreSQL, MariaDB),
// in the message or the process name, in Write and in WriteBatch.
func TestLogsRefuseInvalidText(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		logs := store.NewLogs(db)
		good := store.LogEntry{Level: store.LogInfo, ProcessName: "p", Message: "good"}
		for name, e := range map[string]store.LogEntry{
			"NUL in message":           {Level: store.LogInfo, ProcessName: "p", Message: "x\x00"},
			"invalid UTF-8 in message": {Level: store.LogInfo, ProcessName: "p", Message: "bad \xff\xfe bytes"},
			"truncated UTF-8 sequence": {Level: store.LogInfo, ProcessName: "p", Message: "cut \xe2\x82"},
			"NUL in process name":      {Level: store.LogInfo, ProcessName: "p\x00", Message: "m"},
			"invalid UTF-8 in process": {Level: store.LogInfo, ProcessName: "p\xc3", Message: "m"},
		} {
			err := logs.Write(ctx, e)
			require.ErrorIs(t, err, store.ErrInvalid, name)
			require.NotErrorIs(t, err, store.ErrTooLong, name)
			require.ErrorIs(t, logs.WriteBatch(ctx, []store.LogEntry{good, e, good}), store.ErrInvalid, name)
		}
		page, err := logs.Query(ctx, store.LogFilter{})
		require.NoError(t, err)
		require.Zero(t, page.Total, "nothing written")

		// U+FFFD itself and other non-ASCII text are fine.
		require.NoError(t, logs.Write(ctx, store.LogEntry{Level: store.LogInfo, ProcessName: "prøcess", Message: "x\uFFFD ü 😀"}))
		page, err = logs.Query(ctx, store.LogFilter{})
		require.NoError(t, err)
		require.Equal(t, "x\uFFFD ü 😀", page.Entries[0].Message)
	})
}

// Messages over 8000 characters keep the first and last 4000, as
// OpenOrchestrator's truncate_message does.
func TestLogsTruncateLongMessages(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		logs := store.NewLogs(db)
		head := strings.Repeat("h", 4000)
		tail := strings.Repeat("ü", 4000)
		msg := head + strings.Repeat("-", 5) + tail
		require.NoError(t, logs.Write(ctx, store.LogEntry{Level: store.LogInfo, ProcessName: "p", Message: msg}))
		exact := strings.Repeat("x", 8000)
		require.NoError(t, logs.Write(ctx, store.LogEntry{Level: store.LogInfo, ProcessName: "q", Message: exact}))
		page, err := logs.Query(ctx, store.LogFilter{ProcessName: "p"})
		require.NoError(t, err)
		require.Equal(t, head+tail, page.Entries[0].Message)
		page, err = logs.Query(ctx, store.LogFilter{ProcessName: "q"})
		require.NoError(t, err)
		require.Equal(t, exact, page.Entries[0].Message, "8000 characters are kept whole")
	})
}

// A batch larger than one statement's rows is written whole, in order, and
// All streams it back newest first across page boundaries, including rows
// that share a log_time.
func TestLogsBatchAndIterator(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		clock := newClock()
		logs := store.NewLogs(withClock(t, db, clock))
		n := 2*logs.RowsPerInsert() + 7
		batch := make([]store.LogEntry, n)
		for i := range batch {
			batch[i] = store.LogEntry{
				Time:        clock.Now().Add(time.Duration(i/3) * time.Second), // three rows per instant
				Level:       store.LogInfo,
				ProcessName: "bulk",
				Message:     fmt.Sprint(i),
			}
		}
		require.NoError(t, logs.WriteBatch(ctx, batch))
		seen := map[uuid.UUID]bool{}
		var prev *store.LogEntry
		count := 0
		for e, err := range logs.All(ctx, store.LogFilter{ProcessName: "bulk"}) {
			require.NoError(t, err)
			require.False(t, seen[e.ID], "row returned twice")
			seen[e.ID] = true
			if prev != nil {
				require.False(t, e.Time.After(prev.Time), "newest first")
			}
			prev = &e
			count++
		}
		require.Equal(t, n, count)

		// Limit caps the stream; breaking out early stops it.
		count = 0
		for _, err := range logs.All(ctx, store.LogFilter{Limit: 1005}) {
			require.NoError(t, err)
			count++
		}
		require.Equal(t, 1005, count)
		count = 0
		for range logs.All(ctx, store.LogFilter{}) {
			if count++; count == 3 {
				break
			}
		}
		require.Equal(t, 3, count)
	})
}

// A batch bound to a session commits or rolls back with it.
func TestLogsInSession(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		logs := store.NewLogs(db)
		big := make([]store.LogEntry, logs.RowsPerInsert()+1)
		for i := range big {
			big[i] = store.LogEntry{Level: store.LogTrace, ProcessName: "tx", Message: "m"}
		}
		err := db.InTx(ctx, func(ctx context.Context, s *store.Session) error {
			require.NoError(t, logs.WithTx(s).WriteBatch(ctx, big))
			return fmt.Errorf("abandon")
		})
		require.Error(t, err)
		page, err := logs.Query(ctx, store.LogFilter{})
		require.NoError(t, err)
		require.Zero(t, page.Total)
	})
}
