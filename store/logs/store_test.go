package logs_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/flowstore/flowstore/internal/testdb"
	"github.com/flowstore/flowstore/store"
	"github.com/flowstore/flowstore/store/logs"
)

// fixedClock is a store clock tests move by hand.
type fixedClock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *fixedClock {
	return &fixedClock{t: time.Date(2026, 3, 4, 5, 6, 7, 891011000, time.UTC)}
}

func (c *fixedClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

// withClock reopens db's database with a controlled clock.
func withClock(t *testing.T, db *store.DB, clock *fixedClock) *store.DB {
	t.Helper()
	c, err := store.New(context.Background(), db.Bun(), store.WithClock(clock.Now))
	require.NoError(t, err)
	return c
}

// newStore returns the Logs store of db.
func newStore(t testing.TB, db *store.DB) logs.Store {
	t.Helper()
	l, err := logs.New(db)
	require.NoError(t, err)
	return l
}

func TestNewRefusesNilDB(t *testing.T) {
	_, err := logs.New(nil)
	require.ErrorIs(t, err, store.ErrInvalid)
	require.EqualError(t, err, "logs: new store: invalid input: nil *store.DB")
	_, err = logs.NewHandler(nil)
	require.ErrorIs(t, err, store.ErrInvalid)
	require.EqualError(t, err, "logs: new handler: invalid input: nil *store.DB")
}

func TestLogsWriteAndQuery(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		clock := newClock()
		l := newStore(t, withClock(t, db, clock))
		base := clock.Now()
		// 30 rows, one per minute, alternating processes and levels.
		var batch []logs.Entry
		levels := []logs.Level{logs.LevelTrace, logs.LevelInfo, logs.LevelError}
		for i := range 30 {
			batch = append(batch, logs.Entry{
				Time:        base.Add(time.Duration(i) * time.Minute),
				Level:       levels[i%3],
				ProcessName: []string{"robot-a", "robot-b"}[i%2],
				Message:     fmt.Sprintf("message %02d 100%% done_ok", i),
			})
		}
		require.NoError(t, l.WriteBatch(ctx, batch))
		require.NoError(t, l.Write(ctx, logs.Entry{Level: logs.LevelInfo, ProcessName: "robot-c", Message: "now"}))

		page, err := l.Query(ctx, logs.Filter{Limit: 5})
		require.NoError(t, err)
		require.Equal(t, 31, page.Total)
		require.Len(t, page.Entries, 5)
		require.Equal(t, "message 29 100% done_ok", page.Entries[0].Message, "newest first")
		require.True(t, page.Entries[0].Time.Equal(store.UTC(base.Add(29*time.Minute))))
		require.NotEqual(t, uuid.Nil, page.Entries[0].ID)

		page, err = l.Query(ctx, logs.Filter{Offset: 5, Limit: 5, ProcessName: "robot-a"})
		require.NoError(t, err)
		require.Equal(t, 15, page.Total)
		require.Equal(t, "message 18 100% done_ok", page.Entries[0].Message)

		// Inclusive time range: minutes 10..20 are 11 rows.
		page, err = l.Query(ctx, logs.Filter{From: base.Add(10 * time.Minute), To: base.Add(20 * time.Minute)})
		require.NoError(t, err)
		require.Equal(t, 11, page.Total)

		page, err = l.Query(ctx, logs.Filter{Level: logs.LevelError})
		require.NoError(t, err)
		require.Equal(t, 10, page.Total)
		for _, e := range page.Entries {
			require.Equal(t, logs.LevelError, e.Level)
		}

		// Search escapes LIKE wildcards: "0%" must not match "00 1…".
		page, err = l.Query(ctx, logs.Filter{Search: "100% done_ok"})
		require.NoError(t, err)
		require.Equal(t, 30, page.Total)
		page, err = l.Query(ctx, logs.Filter{Search: "s_ge"})
		require.NoError(t, err)
		require.Zero(t, page.Total, "_ is not a wildcard")
		page, err = l.Query(ctx, logs.Filter{Search: "message 07"})
		require.NoError(t, err)
		require.Equal(t, 1, page.Total)

		names, err := l.ProcessNames(ctx)
		require.NoError(t, err)
		require.Equal(t, []string{"robot-a", "robot-b", "robot-c"}, names)

		n, err := l.Prune(ctx, base.Add(10*time.Minute))
		require.NoError(t, err)
		require.EqualValues(t, 11, n, "minutes 0..9 and the row written at the clock's time, minute 0")
		page, err = l.Query(ctx, logs.Filter{})
		require.NoError(t, err)
		require.Equal(t, 20, page.Total)
	})
}

func TestLogsRefuseBadInput(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		l := newStore(t, db)
		good := logs.Entry{Level: logs.LevelInfo, ProcessName: "p", Message: "m"}
		bad := []logs.Entry{good, {Level: "WARN", ProcessName: "p"}}
		require.ErrorIs(t, l.WriteBatch(ctx, bad), store.ErrInvalid)
		bad[1] = logs.Entry{Level: logs.LevelInfo, ProcessName: strings.Repeat("p", 101)}
		require.ErrorIs(t, l.WriteBatch(ctx, bad), store.ErrTooLong)
		page, err := l.Query(ctx, logs.Filter{})
		require.NoError(t, err)
		require.Zero(t, page.Total, "nothing written")
		_, err = l.Query(ctx, logs.Filter{Level: "nope"})
		require.ErrorIs(t, err, store.ErrInvalid)
		_, err = l.Query(ctx, logs.Filter{Limit: -1})
		require.ErrorIs(t, err, store.ErrInvalid)
		require.EqualError(t, err, "logs: query: invalid input: negative limit -1")
		err = l.WriteBatch(ctx, bad)
		require.True(t, strings.HasPrefix(err.Error(), "logs: write batch: entry 1: value too long: Logs.process_name is 101 characters"), err.Error())
		for _, err := range l.All(ctx, logs.Filter{Limit: -1}) {
			require.ErrorIs(t, err, store.ErrInvalid)
		}
		yields := 0
		for _, err := range l.All(ctx, logs.Filter{Offset: 3}) {
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
		l := newStore(t, db)
		good := logs.Entry{Level: logs.LevelInfo, ProcessName: "p", Message: "good"}
		for name, e := range map[string]logs.Entry{
			"NUL in message":           {Level: logs.LevelInfo, ProcessName: "p", Message: "x\x00"},
			"invalid UTF-8 in message": {Level: logs.LevelInfo, ProcessName: "p", Message: "bad \xff\xfe bytes"},
			"truncated UTF-8 sequence": {Level: logs.LevelInfo, ProcessName: "p", Message: "cut \xe2\x82"},
			"NUL in process name":      {Level: logs.LevelInfo, ProcessName: "p\x00", Message: "m"},
			"invalid UTF-8 in process": {Level: logs.LevelInfo, ProcessName: "p\xc3", Message: "m"},
		} {
			err := l.Write(ctx, e)
			require.ErrorIs(t, err, store.ErrInvalid, name)
			require.NotErrorIs(t, err, store.ErrTooLong, name)
			require.ErrorIs(t, l.WriteBatch(ctx, []logs.Entry{good, e, good}), store.ErrInvalid, name)
		}
		page, err := l.Query(ctx, logs.Filter{})
		require.NoError(t, err)
		require.Zero(t, page.Total, "nothing written")

		// U+FFFD itself and other non-ASCII text are fine.
		require.NoError(t, l.Write(ctx, logs.Entry{Level: logs.LevelInfo, ProcessName: "prøcess", Message: "x\uFFFD ü 😀"}))
		page, err = l.Query(ctx, logs.Filter{})
		require.NoError(t, err)
		require.Equal(t, "x\uFFFD ü 😀", page.Entries[0].Message)
	})
}

// Messages over 8000 characters keep the first and last 4000, as
// OpenOrchestrator's truncate_message does.
func TestLogsTruncateLongMessages(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		l := newStore(t, db)
		head := strings.Repeat("h", 4000)
		tail := strings.Repeat("ü", 4000)
		msg := head + strings.Repeat("-", 5) + tail
		require.NoError(t, l.Write(ctx, logs.Entry{Level: logs.LevelInfo, ProcessName: "p", Message: msg}))
		exact := strings.Repeat("x", 8000)
		require.NoError(t, l.Write(ctx, logs.Entry{Level: logs.LevelInfo, ProcessName: "q", Message: exact}))
		page, err := l.Query(ctx, logs.Filter{ProcessName: "p"})
		require.NoError(t, err)
		require.Equal(t, head+tail, page.Entries[0].Message)
		page, err = l.Query(ctx, logs.Filter{ProcessName: "q"})
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
		l := newStore(t, withClock(t, db, clock))
		n := 2*logs.RowsPerInsert(l) + 7
		batch := make([]logs.Entry, n)
		for i := range batch {
			batch[i] = logs.Entry{
				Time:        clock.Now().Add(time.Duration(i/3) * time.Second), // three rows per instant
				Level:       logs.LevelInfo,
				ProcessName: "bulk",
				Message:     fmt.Sprint(i),
			}
		}
		require.NoError(t, l.WriteBatch(ctx, batch))
		seen := map[uuid.UUID]bool{}
		var prev *logs.Entry
		count := 0
		for e, err := range l.All(ctx, logs.Filter{ProcessName: "bulk"}) {
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
		for _, err := range l.All(ctx, logs.Filter{Limit: 1005}) {
			require.NoError(t, err)
			count++
		}
		require.Equal(t, 1005, count)
		count = 0
		for range l.All(ctx, logs.Filter{}) {
			if count++; count == 3 {
				break
			}
		}
		require.Equal(t, 3, count)
	})
}

// Query's zero limit is store.DefaultLimit, as for every list.
func TestLogsQueryDefaultLimit(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		l := newStore(t, db)
		batch := make([]logs.Entry, store.DefaultLimit+5)
		for i := range batch {
			batch[i] = logs.Entry{Level: logs.LevelInfo, ProcessName: "many", Message: fmt.Sprint(i)}
		}
		require.NoError(t, l.WriteBatch(ctx, batch))
		page, err := l.Query(ctx, logs.Filter{})
		require.NoError(t, err)
		require.Len(t, page.Entries, store.DefaultLimit)
		require.Equal(t, store.DefaultLimit+5, page.Total)
		n := 0
		for _, err := range l.All(ctx, logs.Filter{}) {
			require.NoError(t, err)
			n++
		}
		require.Equal(t, store.DefaultLimit+5, n, "All streams every row; its zero limit caps nothing")
	})
}

// The truncation counts the dialect's text units: on SQL Server a
// character above U+FFFF is two UTF-16 code units and is never split. An
// offline handle has the dialect without a server.
func TestTruncateMiddleCountsDialectUnits(t *testing.T) {
	mssql := testdb.Offline(store.SQLServer).SQLDialect()
	pg := testdb.Offline(store.Postgres).SQLDialect()
	emoji := strings.Repeat("😀", 5000) // 5000 characters, 10000 UTF-16 units
	require.Equal(t, emoji, logs.TruncateMiddle(pg, emoji, 8000), "5000 characters fit where characters count")
	got := logs.TruncateMiddle(mssql, emoji, 8000)
	require.Equal(t, strings.Repeat("😀", 4000), got, "2000 characters (4000 units) from each end")
	odd := "a" + emoji // 10001 units on SQL Server: 4000 at the head ("a" and 1999 emoji, the next would cross), 4000 at the tail
	got = logs.TruncateMiddle(mssql, odd, 8000)
	require.Equal(t, "a"+strings.Repeat("😀", 1999)+strings.Repeat("😀", 2000), got)
	require.LessOrEqual(t, mssql.TextLen(got), 8000)
	short := strings.Repeat("x", 8000)
	require.Equal(t, short, logs.TruncateMiddle(mssql, short, 8000), "8000 units are kept whole")
}

// A batch bound to a session commits or rolls back with it.
func TestLogsInSession(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		l := newStore(t, db)
		big := make([]logs.Entry, logs.RowsPerInsert(l)+1)
		for i := range big {
			big[i] = logs.Entry{Level: logs.LevelTrace, ProcessName: "tx", Message: "m"}
		}
		err := db.InTx(ctx, func(ctx context.Context, s *store.Session) error {
			require.NoError(t, l.WithTx(s).WriteBatch(ctx, big))
			return fmt.Errorf("abandon")
		})
		require.Error(t, err)
		page, err := l.Query(ctx, logs.Filter{})
		require.NoError(t, err)
		require.Zero(t, page.Total)
	})
}
