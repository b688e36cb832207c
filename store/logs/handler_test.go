package logs_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/flowstore/flowstore/internal/testdb"
	"github.com/flowstore/flowstore/store"
	"github.com/flowstore/flowstore/store/logs"
)

func logRows(t *testing.T, db *store.DB, f logs.Filter) []logs.Entry {
	t.Helper()
	var out []logs.Entry
	for e, err := range newStore(t, db).All(context.Background(), f) {
		require.NoError(t, err)
		out = append(out, e)
	}
	return out
}

// newHandler returns a handler on db, or fails the test.
func newHandler(t testing.TB, db *store.DB, opts ...logs.HandlerOption) *logs.Handler {
	t.Helper()
	h, err := logs.NewHandler(db, opts...)
	require.NoError(t, err)
	return h
}

// run starts h.Run and returns what stops it: it ends Run's context and
// waits for Run to return nil, failing the test after 60 s. The test's
// cleanup stops it too.
func run(t testing.TB, h *logs.Handler) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- h.Run(ctx) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			select {
			case err := <-done:
				require.NoError(t, err)
			case <-time.After(60 * time.Second):
				t.Fatal("Run did not return within 60 s of its context's end")
			}
		})
	}
	t.Cleanup(stop)
	return stop
}

// errorLog collects what a handler reports through its error callback.
type errorLog struct {
	mu             sync.Mutex
	dropped, other []error
}

func (l *errorLog) add(err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if errors.Is(err, logs.ErrRecordDropped) {
		l.dropped = append(l.dropped, err)
	} else {
		l.other = append(l.other, err)
	}
}

func (l *errorLog) counts() (dropped, other int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.dropped), len(l.other)
}

func TestLogHandlerFormatsAndMapsLevels(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		h := newHandler(t, db, logs.WithProcessName("robot"), logs.WithLevel(slog.LevelDebug), logs.WithFlushInterval(time.Hour))
		stop := run(t, h)
		log := slog.New(h)
		log.Debug("debug becomes trace")
		log.Info("plain")
		log.Warn("warn is info", "n", 3)
		log.Error("failed", "err", errors.New("disk full"), "path", "/tmp/a b")
		log.With(logs.ProcessKey, "other-robot").WithGroup("req").Info("grouped", "id", 7, slog.Group("user", "name", "ann"))
		log.Log(ctx, slog.LevelError+4, "beyond error", "ok", true, "d", 1500*time.Millisecond)
		require.NoError(t, h.Flush(ctx))

		rows := logRows(t, db, logs.Filter{})
		got := map[string]logs.Entry{}
		for _, r := range rows {
			got[r.Message] = r
		}
		want := []struct {
			msg     string
			level   logs.Level
			process string
		}{
			{"debug becomes trace", logs.LevelTrace, "robot"},
			{"plain", logs.LevelInfo, "robot"},
			{"warn is info n=3", logs.LevelInfo, "robot"},
			{`failed err="disk full" path="/tmp/a b"`, logs.LevelError, "robot"},
			{"grouped req.id=7 req.user.name=ann", logs.LevelInfo, "other-robot"},
			{"beyond error ok=true d=1.5s", logs.LevelError, "robot"},
		}
		require.Len(t, rows, len(want), "%v", rows)
		for _, w := range want {
			r, ok := got[w.msg]
			require.True(t, ok, "missing %q in %v", w.msg, rows)
			require.Equal(t, w.level, r.Level, w.msg)
			require.Equal(t, w.process, r.ProcessName, w.msg)
		}
		stop()
		err := h.Handle(ctx, slog.NewRecord(time.Now(), slog.LevelInfo, "late", 0))
		require.ErrorIs(t, err, logs.ErrHandlerClosed)
		require.EqualError(t, err, "logs: handle: log handler has stopped")
		require.ErrorIs(t, h.Flush(ctx), logs.ErrHandlerClosed)
		err = h.Run(ctx)
		require.ErrorIs(t, err, store.ErrInvalid, "Run may be called once")
		require.EqualError(t, err, "logs: run: invalid input: Run was already called")
		require.False(t, h.Enabled(ctx, slog.LevelDebug-1))
	})
}

// Many goroutines log at once with a small batch and buffer; when Run
// returns, every record that Handle accepted is written, exactly once.
func TestLogHandlerLosesNothingAccepted(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		h := newHandler(t, db, logs.WithProcessName("many"), logs.WithBatchSize(16), logs.WithBufferSize(32), logs.WithFlushInterval(5*time.Millisecond))
		stop := run(t, h)
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
		stop()
		rows := logRows(t, db, logs.Filter{ProcessName: "many"})
		require.Len(t, rows, workers*each)
		seen := map[string]bool{}
		for _, r := range rows {
			require.False(t, seen[r.Message], "duplicate %s", r.Message)
			seen[r.Message] = true
		}
	})
}

// Batches are written when a whole batch waits, without a flush.
func TestLogHandlerWritesFullBatches(t *testing.T) {
	db := testdb.Fresh(t, store.SQLite)
	h := newHandler(t, db, logs.WithProcessName("b"), logs.WithBatchSize(10), logs.WithFlushInterval(time.Hour))
	run(t, h)
	for i := range 25 {
		slog.New(h).Info(strconv.Itoa(i))
	}
	// Run gets to it on its own; wait for it (bounded) and then check that
	// exactly the two full batches, and not the remainder, are in.
	deadline := time.Now().Add(30 * time.Second)
	for len(logRows(t, db, logs.Filter{})) < 20 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	require.Len(t, logRows(t, db, logs.Filter{}), 20)
	require.NoError(t, h.Flush(context.Background()))
	require.Len(t, logRows(t, db, logs.Filter{}), 25)
}

// NewHandler does no I/O — it is happy with a database that cannot run a
// statement — and Handle buffers records before Run; Flush writes them
// without Run, and Run, started late, writes the rest.
func TestLogHandlerLifecycle(t *testing.T) {
	for _, d := range store.DialectNames() {
		_, err := logs.NewHandler(testdb.Offline(d), logs.WithProcessName("offline"))
		require.NoError(t, err, d)
	}
	for _, bad := range []logs.HandlerOption{
		logs.WithBatchSize(0), logs.WithBufferSize(-1), logs.WithFlushInterval(0),
		logs.WithStopTimeout(-time.Second), logs.WithQueryTimeout(0), logs.WithLevel(nil),
	} {
		_, err := logs.NewHandler(testdb.Offline(store.SQLite), bad)
		require.ErrorIs(t, err, store.ErrInvalid)
		require.True(t, strings.HasPrefix(err.Error(), "logs: new handler: invalid input: "), err.Error())
	}

	testdb.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		h := newHandler(t, db, logs.WithProcessName("early"), logs.WithFlushInterval(time.Hour))
		log := slog.New(h)
		log.Info("before run 1")
		log.Info("before run 2")
		require.Empty(t, logRows(t, db, logs.Filter{}), "nothing is written before Run or Flush")
		require.NoError(t, h.Flush(ctx))
		require.Len(t, logRows(t, db, logs.Filter{}), 2, "Flush writes without Run")
		log.Info("before run 3")
		stop := run(t, h)
		stop()
		require.Len(t, logRows(t, db, logs.Filter{}), 3, "Run writes what is buffered when it stops")
	})
}

// While the table cannot be written, records stay buffered and the error
// callback is told; once it can, Flush writes them all.
func TestLogHandlerKeepsRecordsWhileWritesFail(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		var errs errorLog
		h := newHandler(t, db, logs.WithProcessName("f"), logs.WithFlushInterval(time.Hour), logs.WithOnError(errs.add))
		stop := run(t, h)
		q := db.SQLDialect().Quote
		_, err := db.SQL().ExecContext(ctx, "ALTER TABLE "+q("Logs")+" RENAME TO "+q("Logs_away"))
		require.NoError(t, err)
		for i := range 5 {
			slog.New(h).Info(strconv.Itoa(i))
		}
		err = h.Flush(ctx)
		require.Error(t, err, "the table is gone")
		require.True(t, strings.HasPrefix(err.Error(), "logs: flush: write 5 records (5 waiting): "), err.Error())
		_, err = db.SQL().ExecContext(ctx, "ALTER TABLE "+q("Logs_away")+" RENAME TO "+q("Logs"))
		require.NoError(t, err)
		require.NoError(t, h.Flush(ctx))
		stop()
		require.Len(t, logRows(t, db, logs.Filter{ProcessName: "f"}), 5)
		dropped, _ := errs.counts()
		require.Zero(t, dropped, "nothing was given up")
	})
}

// A full buffer makes Handle wait; a context that ends first makes it
// fail, and that record is not written but reported as dropped.
func TestLogHandlerFullBufferHonoursContext(t *testing.T) {
	db := testdb.Fresh(t, store.SQLite)
	ctx := context.Background()
	var errs errorLog
	h := newHandler(t, db, logs.WithProcessName("full"), logs.WithBatchSize(2), logs.WithBufferSize(2), logs.WithFlushInterval(time.Hour), logs.WithOnError(errs.add))
	stop := run(t, h)
	q := db.SQLDialect().Quote
	_, err := db.SQL().ExecContext(ctx, "ALTER TABLE "+q("Logs")+" RENAME TO "+q("Logs_away"))
	require.NoError(t, err)
	accepted := 0
	for i := range 10 {
		cctx, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
		err := h.Handle(cctx, slog.NewRecord(time.Now(), slog.LevelInfo, strconv.Itoa(i), 0))
		if err == nil {
			accepted++
		} else {
			require.ErrorIs(t, err, context.DeadlineExceeded)
		}
		cancel()
	}
	require.Less(t, accepted, 10, "a bounded buffer must push back")
	dropped, _ := errs.counts()
	require.Equal(t, 10-accepted, dropped, "each record Handle gave up on is reported")
	errs.mu.Lock()
	require.Contains(t, errs.dropped[0].Error(), "the buffer stayed full until the caller's context ended")
	errs.mu.Unlock()
	_, err = db.SQL().ExecContext(ctx, "ALTER TABLE "+q("Logs_away")+" RENAME TO "+q("Logs"))
	require.NoError(t, err)
	stop()
	require.Len(t, logRows(t, db, logs.Filter{}), accepted)
}

// When the stop timeout runs out before the buffer is written, Run still
// returns, and reports the records it gives up; a record handed to the
// stopped handler is refused and reported too.
func TestLogHandlerStopTimeout(t *testing.T) {
	db := testdb.Fresh(t, store.SQLite)
	ctx := context.Background()
	var errs errorLog
	h := newHandler(t, db, logs.WithProcessName("stuck"), logs.WithFlushInterval(time.Hour),
		logs.WithStopTimeout(200*time.Millisecond), logs.WithOnError(errs.add))
	q := db.SQLDialect().Quote
	_, err := db.SQL().ExecContext(ctx, "ALTER TABLE "+q("Logs")+" RENAME TO "+q("Logs_away"))
	require.NoError(t, err)
	stop := run(t, h)
	for i := range 3 {
		require.NoError(t, h.Handle(ctx, slog.NewRecord(time.Now(), slog.LevelInfo, strconv.Itoa(i), 0)))
	}
	start := time.Now()
	stop()
	require.Less(t, time.Since(start), 30*time.Second, "bounded by the stop timeout, not the flush interval")
	require.ErrorIs(t, h.Handle(ctx, slog.NewRecord(time.Now(), slog.LevelInfo, "late", 0)), logs.ErrHandlerClosed)
	errs.mu.Lock()
	defer errs.mu.Unlock()
	require.Len(t, errs.dropped, 2, "the records Run gave up, then the late one: %v", errs.dropped)
	require.Contains(t, errs.dropped[0].Error(), "stopped with 3 records not written")
	require.Contains(t, errs.dropped[1].Error(), `"late"`)
	require.NotEmpty(t, errs.other, "the failed writes are reported as such")
	_, err = db.SQL().ExecContext(ctx, "ALTER TABLE "+q("Logs_away")+" RENAME TO "+q("Logs"))
	require.NoError(t, err)
	require.Empty(t, logRows(t, db, logs.Filter{}))
}

// Several OS processes log through their own handlers into one database.
func TestLogHandlerAcrossProcesses(t *testing.T) {
	for _, d := range testdb.Live() {
		t.Run(string(d), func(t *testing.T) {
			db := testdb.Fresh(t, d)
			testdb.RunChildren(t, 3, "TestLogHandlerChild", map[string]string{"FLOWSTORE_CHILD_DSN": testdb.DSN(t, db)})
			rows := logRows(t, db, logs.Filter{})
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
	h := newHandler(t, db, logs.WithProcessName(fmt.Sprint("child-", os.Getpid())), logs.WithBatchSize(32))
	stop := run(t, h)
	log := slog.New(h)
	for i := range 200 {
		log.Info("line", "i", i)
	}
	stop()
}

// A record whose text the Logs table cannot hold (NUL: SQLSTATE 22021 on
// PostgreSQL; invalid UTF-8: refused by PostgreSQL and MariaDB) used to fail
// its whole batch forever: the good records around it were never written
// and Handle at last blocked. Handle now mends such text (U+FFFD), so every
// record is written.
func TestLogHandlerMendsTextTheTableCannotHold(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		var errs errorLog
		// A handler stuck on the bad record would give it up when its stop
		// timeout ran out, and report it: the check of errs below fails then
		// instead of the test hanging.
		h := newHandler(t, db, logs.WithProcessName("mend"), logs.WithBatchSize(4), logs.WithFlushInterval(time.Hour), logs.WithOnError(errs.add))
		stop := run(t, h)
		log := slog.New(h)
		log.Info("good 1")
		log.Info("good 2")
		log.Info("x\x00")
		log.Info("bad \xff\xfe utf8", "k\x00", "v")
		log.With(logs.ProcessKey, "pro\x00cess").Info("named")
		log.Info("good 3")
		log.Info("good 4")
		stop()
		dropped, other := errs.counts()
		require.Zero(t, dropped+other, "nothing failed")

		var got []string
		for _, r := range logRows(t, db, logs.Filter{}) {
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
	q := db.SQLDialect().Quote
	stmt := "ALTER TABLE " + q("Logs") + " ADD CONSTRAINT logs_no_poison CHECK (log_message <> 'poison')"
	if db.SQLDialect().Name() == store.SQLite { // SQLite cannot add a constraint to a table
		stmt = `CREATE TRIGGER logs_no_poison BEFORE INSERT ON "Logs" WHEN NEW.log_message = 'poison' BEGIN SELECT RAISE(ABORT, 'poison refused'); END`
	}
	_, err := db.SQL().ExecContext(context.Background(), stmt)
	require.NoError(t, err)
}

// A record the database refuses no longer stops the handler: the batch is
// written row by row, the refused row is reported (ErrRecordDropped) and
// dropped, and every good record before and after it is written — also
// when the refused record is alone in its batch, and without Handle ever
// blocking.
func TestLogHandlerDropsOnlyTheRecordTheDatabaseRefuses(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		poisonLogs(t, db)
		var errs errorLog
		h := newHandler(t, db, logs.WithProcessName("poison"), logs.WithBatchSize(4), logs.WithBufferSize(8),
			logs.WithFlushInterval(10*time.Millisecond), logs.WithOnError(errs.add))
		stop := run(t, h)
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
		stop()

		rows := logRows(t, db, logs.Filter{})
		require.Len(t, rows, want)
		for _, r := range rows {
			require.NotEqual(t, "poison", r.Message)
			require.NotEqual(t, "log handler probe", r.Message, "the probe row is rolled back")
		}
		errs.mu.Lock()
		defer errs.mu.Unlock()
		require.Len(t, errs.dropped, 5, "each refused record is reported once: %v", errs.dropped)
		for _, err := range errs.dropped {
			require.Contains(t, err.Error(), `"poison"`)
			require.True(t, strings.HasPrefix(err.Error(), "logs: handler: log record dropped: "), err.Error())
		}
		require.Empty(t, errs.other, "nothing else failed")
	})
}

// The handler stamps each row with the record's own time, not with the
// store clock at write time; a record without a time gets the clock's.
func TestLogHandlerUsesRecordTime(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		clock := newClock()
		h := newHandler(t, withClock(t, db, clock), logs.WithProcessName("time"), logs.WithFlushInterval(time.Hour))
		stop := run(t, h)
		at := time.Date(2025, 12, 24, 18, 30, 1, 123456789, time.FixedZone("CET", 3600))
		require.NoError(t, h.Handle(ctx, slog.NewRecord(at, slog.LevelInfo, "stamped", 0)))
		require.NoError(t, h.Handle(ctx, slog.NewRecord(time.Time{}, slog.LevelInfo, "unstamped", 0)))
		stop()
		got := map[string]time.Time{}
		for _, r := range logRows(t, db, logs.Filter{}) {
			got[r.Message] = r.Time
		}
		require.Equal(t, store.UTC(at), got["stamped"], "r.Time in UTC, to the microsecond")
		require.Equal(t, time.UTC, got["stamped"].Location())
		require.Equal(t, store.UTC(clock.Now()), got["unstamped"])
	})
}

// The buffer size bounds every record accepted and not yet written: the
// batch being written and those waiting together, not the buffer size each.
func TestLogHandlerBufferSizeBoundsAllWaitingRecords(t *testing.T) {
	db := testdb.Fresh(t, store.SQLite)
	ctx := context.Background()
	const batch, buffer = 2, 6
	h := newHandler(t, db, logs.WithProcessName("bound"), logs.WithBatchSize(batch), logs.WithBufferSize(buffer),
		logs.WithFlushInterval(time.Hour), logs.WithOnError(func(error) {}))
	stop := run(t, h)
	q := db.SQLDialect().Quote
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
	require.Equal(t, buffer, accepted, "the first batch fails and waits; the buffer holds the rest of its size")
	_, err = db.SQL().ExecContext(ctx, "ALTER TABLE "+q("Logs_away")+" RENAME TO "+q("Logs"))
	require.NoError(t, err)
	stop()
	require.Len(t, logRows(t, db, logs.Filter{}), accepted)
}
