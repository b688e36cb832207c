package store_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/flowstore/flowstore/internal/testdb"
	"github.com/flowstore/flowstore/store"
)

func logRows(t *testing.T, logs *store.Logs, f store.LogFilter) []store.LogEntry {
	t.Helper()
	var out []store.LogEntry
	for e, err := range logs.All(context.Background(), f) {
		require.NoError(t, err)
		out = append(out, e)
	}
	return out
}

func TestLogHandlerFormatsAndMapsLevels(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		logs := store.NewLogs(db)
		h := store.NewLogHandler(logs, store.LogHandlerOptions{ProcessName: "robot", Level: slog.LevelDebug, FlushInterval: time.Hour})
		log := slog.New(h)
		log.Debug("debug becomes trace")
		log.Info("plain")
		log.Warn("warn is info", "n", 3)
		log.Error("failed", "err", errors.New("disk full"), "path", "/tmp/a b")
		log.With(store.LogProcessKey, "other-robot").WithGroup("req").Info("grouped", "id", 7, slog.Group("user", "name", "ann"))
		log.Log(ctx, slog.LevelError+4, "beyond error", "ok", true, "d", 1500*time.Millisecond)
		require.NoError(t, h.Flush(ctx))

		rows := logRows(t, logs, store.LogFilter{})
		got := map[string]store.LogEntry{}
		for _, r := range rows {
			got[r.Message] = r
		}
		want := []struct {
			msg     string
			level   store.LogLevel
			process string
		}{
			{"debug becomes trace", store.LogTrace, "robot"},
			{"plain", store.LogInfo, "robot"},
			{"warn is info n=3", store.LogInfo, "robot"},
			{`failed err="disk full" path="/tmp/a b"`, store.LogError, "robot"},
			{"grouped req.id=7 req.user.name=ann", store.LogInfo, "other-robot"},
			{"beyond error ok=true d=1.5s", store.LogError, "robot"},
		}
		require.Len(t, rows, len(want), "%v", rows)
		for _, w := range want {
			r, ok := got[w.msg]
			require.True(t, ok, "missing %q in %v", w.msg, rows)
			require.Equal(t, w.level, r.Level, w.msg)
			require.Equal(t, w.process, r.ProcessName, w.msg)
		}
		require.NoError(t, h.Close(ctx))
		require.ErrorIs(t, h.Handle(ctx, slog.NewRecord(time.Now(), slog.LevelInfo, "late", 0)), store.ErrLogHandlerClosed)
		require.NoError(t, h.Close(ctx), "Close twice is harmless")
		require.False(t, h.Enabled(ctx, slog.LevelDebug-1))
	})
}

// Many goroutines log at once with a small batch and buffer; Close must
// have written every record that Handle accepted, exactly once.
func TestLogHandlerLosesNothingAccepted(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		logs := store.NewLogs(db)
		h := store.NewLogHandler(logs, store.LogHandlerOptions{ProcessName: "many", BatchSize: 16, BufferSize: 32, FlushInterval: 5 * time.Millisecond})
		log := slog.New(h)
		const workers, each = 8, 50
		var wg sync.WaitGroup
		for w := range workers {
			wg.Go(func() {
				for i := range each {
					log.Info(fmt.Sprintf("w%d-%d", w, i))
				}
			})
		}
		wg.Wait()
		require.NoError(t, h.Close(ctx))
		rows := logRows(t, logs, store.LogFilter{ProcessName: "many"})
		require.Len(t, rows, workers*each)
		seen := map[string]bool{}
		for _, r := range rows {
			require.False(t, seen[r.Message], "duplicate %s", r.Message)
			seen[r.Message] = true
		}
	})
}

// Batches are written when BatchSize records wait, without a flush.
func TestLogHandlerWritesFullBatches(t *testing.T) {
	db := testdb.Fresh(t, store.SQLite)
	logs := store.NewLogs(db)
	h := store.NewLogHandler(logs, store.LogHandlerOptions{ProcessName: "b", BatchSize: 10, FlushInterval: time.Hour})
	defer h.Close(context.Background())
	for i := range 25 {
		slog.New(h).Info(strconv.Itoa(i))
	}
	// The writer gets to it on its own; wait for it (bounded) and then
	// check that exactly the two full batches, and not the remainder, are in.
	deadline := time.Now().Add(30 * time.Second)
	for len(logRows(t, logs, store.LogFilter{})) < 20 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	require.Len(t, logRows(t, logs, store.LogFilter{}), 20)
	require.NoError(t, h.Flush(context.Background()))
	require.Len(t, logRows(t, logs, store.LogFilter{}), 25)
}

// While the table cannot be written, records stay buffered and OnError is
// told; once it can, Flush writes them all.
func TestLogHandlerKeepsRecordsWhileWritesFail(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		logs := store.NewLogs(db)
		var failures atomic.Int32
		h := store.NewLogHandler(logs, store.LogHandlerOptions{ProcessName: "f", FlushInterval: time.Hour, OnError: func(error) { failures.Add(1) }})
		q := db.Dialect().Quote
		_, err := db.SQL().ExecContext(ctx, "ALTER TABLE "+q("Logs")+" RENAME TO "+q("Logs_away"))
		require.NoError(t, err)
		for i := range 5 {
			slog.New(h).Info(strconv.Itoa(i))
		}
		require.Error(t, h.Flush(ctx), "the table is gone")
		_, err = db.SQL().ExecContext(ctx, "ALTER TABLE "+q("Logs_away")+" RENAME TO "+q("Logs"))
		require.NoError(t, err)
		require.NoError(t, h.Flush(ctx))
		require.NoError(t, h.Close(ctx))
		require.Len(t, logRows(t, logs, store.LogFilter{ProcessName: "f"}), 5)
	})
}

// A full buffer makes Handle wait; a context that ends first makes it
// fail, and that record is not written.
func TestLogHandlerFullBufferHonoursContext(t *testing.T) {
	db := testdb.Fresh(t, store.SQLite)
	ctx := context.Background()
	logs := store.NewLogs(db)
	h := store.NewLogHandler(logs, store.LogHandlerOptions{ProcessName: "full", BatchSize: 2, BufferSize: 2, FlushInterval: time.Hour, OnError: func(error) {}})
	q := db.Dialect().Quote
	_, err := db.SQL().ExecContext(ctx, "ALTER TABLE "+q("Logs")+" RENAME TO "+q("Logs_away"))
	require.NoError(t, err)
	accepted := 0
	for i := range 10 {
		cctx, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
		if h.Handle(cctx, slog.NewRecord(time.Now(), slog.LevelInfo, strconv.Itoa(i), 0)) == nil {
			accepted++
		}
		cancel()
	}
	require.Less(t, accepted, 10, "a bounded buffer must push back")
	_, err = db.SQL().ExecContext(ctx, "ALTER TABLE "+q("Logs_away")+" RENAME TO "+q("Logs"))
	require.NoError(t, err)
	require.NoError(t, h.Close(ctx))
	require.Len(t, logRows(t, logs, store.LogFilter{}), accepted)
}

// Several OS processes log through their own handlers into one database.
func TestLogHandlerAcrossProcesses(t *testing.T) {
	for _, d := range testdb.Live() {
		t.Run(string(d), func(t *testing.T) {
			db := testdb.Fresh(t, d)
			testdb.RunChildren(t, 3, "TestLogHandlerChild", map[string]string{"FLOWSTORE_CHILD_DSN": testdb.DSN(t, db)})
			rows := logRows(t, store.NewLogs(db), store.LogFilter{})
			require.Len(t, rows, 3*200)
			perProcess := map[string]int{}
			for _, r := range rows {
				perProcess[r.ProcessName]++
			}
			require.Len(t, perProcess, 3)
			for p, n := range perProcess {
				require.Equal(t, 200, n, p)
			}
		})
	}
}

// TestLogHandlerChild is one child of TestLogHandlerAcrossProcesses.
func TestLogHandlerChild(t *testing.T) {
	if !testdb.IsChild() {
		t.Skip("child process of TestLogHandlerAcrossProcesses")
	}
	ctx := context.Background()
	db, err := store.Open(ctx, os.Getenv("FLOWSTORE_CHILD_DSN"))
	require.NoError(t, err)
	defer db.Close()
	h := store.NewLogHandler(store.NewLogs(db), store.LogHandlerOptions{ProcessName: fmt.Sprint("child-", os.Getpid()), BatchSize: 32})
	log := slog.New(h)
	for i := range 200 {
		log.Info("line", "i", i)
	}
	require.NoError(t, h.Close(ctx))
}

// A record whose text the Logs table cannot hold (NUL: SQLSTATE 22021 on
// PostgreSQL; invalid UTF-8: refused by PostgreSQL and MariaDB) used to fail
// its whole batch forever: the good records around it were never written
// and Handle at last blocked. Handle now mends such text (U+FFFD), so every
// record is written.
func TestLogHandlerMendsTextTheTableCannotHold(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		logs := store.NewLogs(db)
		var errs []error
		var mu sync.Mutex
		h := store.NewLogHandler(logs, store.LogHandlerOptions{ProcessName: "mend", BatchSize: 4, FlushInterval: time.Hour,
			OnError: func(err error) { mu.Lock(); errs = append(errs, err); mu.Unlock() }})
		log := slog.New(h)
		log.Info("good 1")
		log.Info("good 2")
		log.Info("x\x00")
		log.Info("bad \xff\xfe utf8", "k\x00", "v")
		log.With(store.LogProcessKey, "pro\x00cess").Info("named")
		log.Info("good 3")
		log.Info("good 4")
		// Bounded, so that a handler stuck on the bad record fails the test
		// instead of hanging it.
		cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		require.NoError(t, h.Close(cctx))
		mu.Lock()
		require.Empty(t, errs, "nothing failed")
		mu.Unlock()

		var got []string
		for _, r := range logRows(t, logs, store.LogFilter{}) {
			got = append(got, r.ProcessName+": "+r.Message)
		}
		require.ElementsMatch(t, []string{
			"mend: good 1", "mend: good 2",
			"mend: x\uFFFD",
			"mend: bad \uFFFD utf8 k\uFFFD=v",
			"pro\uFFFDcess: named",
			"mend: good 3", "mend: good 4",
		}, got)
	})
}

// poisonLogs makes the database itself refuse Logs rows whose message is
// "poison" — as a constraint or column type of an adopted schema might
// refuse a record that passes every check of ours.
func poisonLogs(t *testing.T, db *store.DB) {
	t.Helper()
	q := db.Dialect().Quote
	stmt := "ALTER TABLE " + q("Logs") + " ADD CONSTRAINT logs_no_poison CHECK (log_message <> 'poison')"
	if db.Dialect() == store.SQLite { // SQLite cannot add a constraint to a table
		stmt = `CREATE TRIGGER logs_no_poison BEFORE INSERT ON "Logs" WHEN NEW.log_message = 'poison' BEGIN SELECT RAISE(ABORT, 'poison refused'); END`
	}
	_, err := db.SQL().ExecContext(context.Background(), stmt)
	require.NoError(t, err)
}

// A record the database refuses no longer stops the handler: the batch is
// written row by row, the refused row is reported (ErrLogRecordDropped) and
// dropped, and every good record before and after it is written — also
// when the refused record is alone in its batch, and without Handle ever
// blocking.
func TestLogHandlerDropsOnlyTheRecordTheDatabaseRefuses(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		poisonLogs(t, db)
		logs := store.NewLogs(db)
		var mu sync.Mutex
		var dropped, other []error
		h := store.NewLogHandler(logs, store.LogHandlerOptions{ProcessName: "poison", BatchSize: 4, BufferSize: 8, FlushInterval: 10 * time.Millisecond,
			OnError: func(err error) {
				mu.Lock()
				defer mu.Unlock()
				if errors.Is(err, store.ErrLogRecordDropped) {
					dropped = append(dropped, err)
				} else {
					other = append(other, err)
				}
			}})
		log := slog.New(h)
		want := 0
		for i := range 40 {
			if i%10 == 5 {
				// Bounded: a handler stuck on the bad record would fill its
				// buffer of 8 and block here.
				cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
				require.NoError(t, h.Handle(cctx, slog.NewRecord(time.Now(), slog.LevelInfo, "poison", 0)))
				cancel()
				continue
			}
			cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
			require.NoError(t, h.Handle(cctx, slog.NewRecord(time.Now(), slog.LevelInfo, "good "+strconv.Itoa(i), 0)))
			cancel()
			want++
		}
		// Bounded, so that a handler stuck on the bad record fails the test
		// instead of hanging it.
		bctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		require.NoError(t, h.Flush(bctx))
		// A refused record alone in its batch: no other row of the batch
		// shows that the database takes rows, the probe does.
		require.NoError(t, h.Handle(ctx, slog.NewRecord(time.Now(), slog.LevelError, "poison", 0)))
		require.NoError(t, h.Flush(bctx))
		log.Info("good after")
		want++
		require.NoError(t, h.Close(bctx))

		rows := logRows(t, logs, store.LogFilter{})
		require.Len(t, rows, want)
		for _, r := range rows {
			require.NotEqual(t, "poison", r.Message)
			require.NotEqual(t, "log handler probe", r.Message, "the probe row is rolled back")
		}
		mu.Lock()
		defer mu.Unlock()
		require.Len(t, dropped, 5, "each refused record is reported once: %v", dropped)
		for _, err := range dropped {
			require.Contains(t, err.Error(), `"poison"`)
		}
		require.Empty(t, other, "nothing else failed")
	})
}

// The handler stamps each row with the record's own time, not with the
// store clock at write time; a record without a time gets the clock's.
func TestLogHandlerUsesRecordTime(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		clock := newClock()
		logs := store.NewLogs(withClock(t, db, clock))
		h := store.NewLogHandler(logs, store.LogHandlerOptions{ProcessName: "time", FlushInterval: time.Hour})
		at := time.Date(2025, 12, 24, 18, 30, 1, 123456789, time.FixedZone("CET", 3600))
		require.NoError(t, h.Handle(ctx, slog.NewRecord(at, slog.LevelInfo, "stamped", 0)))
		require.NoError(t, h.Handle(ctx, slog.NewRecord(time.Time{}, slog.LevelInfo, "unstamped", 0)))
		require.NoError(t, h.Close(ctx))
		got := map[string]time.Time{}
		for _, r := range logRows(t, logs, store.LogFilter{}) {
			got[r.Message] = r.Time
		}
		require.Equal(t, store.UTC(at), got["stamped"], "r.Time in UTC, to the microsecond")
		require.Equal(t, time.UTC, got["stamped"].Location())
		require.Equal(t, store.UTC(clock.Now()), got["unstamped"])
	})
}

// BufferSize bounds every record accepted and not yet written: the writer's
// batch and the channel together, not BufferSize each.
func TestLogHandlerBufferSizeBoundsAllWaitingRecords(t *testing.T) {
	db := testdb.Fresh(t, store.SQLite)
	ctx := context.Background()
	logs := store.NewLogs(db)
	const batch, buffer = 2, 6
	h := store.NewLogHandler(logs, store.LogHandlerOptions{ProcessName: "bound", BatchSize: batch, BufferSize: buffer, FlushInterval: time.Hour, OnError: func(error) {}})
	q := db.Dialect().Quote
	_, err := db.SQL().ExecContext(ctx, "ALTER TABLE "+q("Logs")+" RENAME TO "+q("Logs_away"))
	require.NoError(t, err)
	accepted := 0
	for i := range 3 * buffer {
		cctx, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
		if h.Handle(cctx, slog.NewRecord(time.Now(), slog.LevelInfo, strconv.Itoa(i), 0)) == nil {
			accepted++
		}
		cancel()
	}
	require.Equal(t, buffer, accepted, "the first batch fails and waits; the channel holds the rest of BufferSize")
	_, err = db.SQL().ExecContext(ctx, "ALTER TABLE "+q("Logs_away")+" RENAME TO "+q("Logs"))
	require.NoError(t, err)
	require.NoError(t, h.Close(ctx))
	require.Len(t, logRows(t, logs, store.LogFilter{}), accepted)
}
