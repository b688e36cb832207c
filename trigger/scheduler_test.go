package trigger_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/flowstore/flowstore/internal/testdb"
	"github.com/flowstore/flowstore/store"
	"github.com/flowstore/flowstore/trigger"
)

// raceSet is the triggers of the exactly-once tests: scheduled ones due at
// every five minutes, single ones due once, queue ones whose handler works
// through their queue.
type raceSet struct {
	scheduled, single, queue []trigger.Trigger
}

func makeRaceSet(t *testing.T, s trigger.Store, db *store.DB) raceSet {
	var rs raceSet
	ctx := t.Context()
	for i := range 12 {
		tr, err := s.Create(ctx, scheduled(fmt.Sprintf("sched-%02d", i), "*/5 * * * *", T0.Add(-time.Minute)))
		require.NoError(t, err)
		rs.scheduled = append(rs.scheduled, tr)
	}
	for i := range 6 {
		tr, err := s.Create(ctx, single(fmt.Sprintf("single-%02d", i), T0.Add(-time.Minute)))
		require.NoError(t, err)
		rs.single = append(rs.single, tr)
	}
	for i := range 2 {
		name := fmt.Sprintf("queue-%02d", i)
		tr, err := s.Create(ctx, queued(name, name, 3))
		require.NoError(t, err)
		enqueue(t, db, name, 3)
		rs.queue = append(rs.queue, tr)
	}
	return rs
}

// raceHandler works like a robot: a queue trigger drains its queue; every
// run takes a moment, so runs of racing schedulers overlap.
func raceHandler(db *store.DB, record func(trigger.Trigger)) trigger.Handler {
	return func(ctx context.Context, t trigger.Trigger) error {
		record(t)
		time.Sleep(time.Millisecond)
		if t.Type == trigger.Queue {
			return drain(ctx, db, t.QueueName)
		}
		return nil
	}
}

// settled reports whether no trigger is running and none is due.
func settled(ctx context.Context, s trigger.Store, now time.Time) (bool, error) {
	active, err := s.List(ctx, trigger.Filter{Statuses: []trigger.Status{trigger.StatusRunning, trigger.StatusPausing, trigger.StatusKilling}})
	if err != nil {
		return false, err
	}
	due, err := s.Due(ctx, now, 1)
	if err != nil {
		return false, err
	}
	return len(active) == 0 && len(due) == 0, nil
}

func waitFor(t *testing.T, what string, cond func() (bool, error)) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		ok, err := cond()
		require.NoError(t, err)
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestExactlyOnceGoroutines: 8 schedulers in one process race for the same
// triggers through three cron occurrences; every trigger starts exactly once
// per occurrence.
func TestExactlyOnceGoroutines(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		c := newClock(T0)
		cdb := withClock(t, db, c)
		s := newStore(t, cdb)
		rs := makeRaceSet(t, s, cdb)

		type key struct {
			id    uuid.UUID
			round int
		}
		var mu sync.Mutex
		starts := map[key]int{}
		startedBy := map[string]int{}
		round := 0
		ctx, cancel := context.WithCancel(t.Context())
		var wg sync.WaitGroup
		for i := range 8 {
			name := fmt.Sprintf("sched-%d", i)
			sch, err := trigger.NewScheduler(cdb,
				raceHandler(cdb, func(tr trigger.Trigger) {
					mu.Lock()
					starts[key{tr.ID, round}]++
					startedBy[name]++
					mu.Unlock()
				}),
				trigger.WithName(name),
				trigger.WithPollInterval(2*time.Millisecond),
				trigger.WithLease(time.Hour),
				trigger.WithMaxConcurrent(4),
			)
			require.NoError(t, err)
			wg.Go(func() { require.NoError(t, sch.Run(ctx)) })
		}
		const rounds = 3
		for r := range rounds {
			mu.Lock()
			round = r
			mu.Unlock()
			if r > 0 {
				for _, q := range rs.queue {
					enqueue(t, cdb, q.QueueName, 3)
				}
			}
			c.Set(T0.Add(time.Duration(r) * 5 * time.Minute))
			waitFor(t, fmt.Sprintf("round %d to settle", r), func() (bool, error) {
				mu.Lock()
				n := 0
				for k := range starts {
					if k.round == r {
						n++
					}
				}
				mu.Unlock()
				want := len(rs.scheduled) + len(rs.queue)
				if r == 0 {
					want += len(rs.single)
				}
				if n < want {
					return false, nil
				}
				return settled(t.Context(), s, c.Now())
			})
		}
		cancel()
		wg.Wait()

		doubles, missing := 0, 0
		for r := range rounds {
			for _, group := range [][]trigger.Trigger{rs.scheduled, rs.single, rs.queue} {
				for _, tr := range group {
					n := starts[key{tr.ID, r}]
					want := 1
					if tr.Type == trigger.Single && r > 0 {
						want = 0
					}
					if n > want {
						doubles += n - want
					}
					if n < want {
						missing++
					}
				}
			}
		}
		t.Logf("%s: 8 goroutine schedulers, %d rounds: %d starts, %d double starts, %d missing; starts per scheduler %v",
			db.SQLDialect().Name(), rounds, len(starts), doubles, missing, startedBy)
		require.Zero(t, doubles, "double starts")
		require.Zero(t, missing, "missing starts")
		for _, tr := range rs.single {
			require.Equal(t, trigger.StatusDone, get(t, s, tr.ID).Status)
		}
		for _, tr := range rs.scheduled {
			got := get(t, s, tr.ID)
			require.Equal(t, trigger.StatusIdle, got.Status)
			require.Equal(t, T0.Add(15*time.Minute), got.NextRun)
		}
	})
}

// TestExactlyOnceProcesses: the same race with 8 schedulers in 8 OS
// processes, through three cron occurrences. The parent steers the
// children's clocks through a file: first a warm-up time at which nothing is
// due, until every child is up and ticking (its heartbeat in Schedulers
// shows the warm-up time) — the start barrier; then each occurrence's time,
// waiting until every child's heartbeat shows it before filling the queues,
// and until every trigger ran before moving on. Every trigger starts exactly
// once per occurrence, and the starts are spread over several processes.
func TestExactlyOnceProcesses(t *testing.T) {
	if testdb.IsChild() {
		raceChild(t)
		return
	}
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		c := newClock(T0)
		cdb := withClock(t, db, c)
		s := newStore(t, cdb)
		rs := makeRaceSet(t, s, cdb)
		// The queues are filled per occurrence, once every child's clock
		// shows it: a queue trigger is due whatever the time.
		for _, q := range rs.queue {
			require.NoError(t, drain(ctx, cdb, q.QueueName))
		}
		dir := t.TempDir()
		clockPath, logPath := filepath.Join(dir, "clock"), filepath.Join(dir, "starts.log")
		setChildClock := func(content string) {
			tmp := clockPath + ".tmp"
			require.NoError(t, os.WriteFile(tmp, []byte(content), 0o644))
			require.NoError(t, os.Rename(tmp, clockPath)) // children never read half a write
		}
		const processes = 8
		// childrenAt waits until every child has heartbeaten at (so its
		// clock shows) at.
		childrenAt := func(at time.Time) {
			waitFor(t, "every child's heartbeat at "+at.Format(time.TimeOnly), func() (bool, error) {
				infos, err := s.Schedulers(ctx)
				n := 0
				for _, info := range infos {
					if strings.HasPrefix(info.MachineName, "proc-") && info.LastUpdate.Equal(at) {
						n++
					}
				}
				return n == processes, err
			})
		}
		warmUp := T0.Add(-10 * time.Minute) // before every trigger's next_run
		setChildClock(warmUp.Format(time.RFC3339Nano))
		env := map[string]string{"TRIGGER_DSN": testdb.DSN(t, db), "TRIGGER_CLOCK_FILE": clockPath, "TRIGGER_LOG": logPath}
		children := make([]*testdb.Child, processes)
		for i := range children {
			children[i] = testdb.StartChild(t, "TestExactlyOnceProcesses", env)
		}
		childrenAt(warmUp)

		type start struct {
			pid string
			id  string
			at  time.Time
		}
		readStarts := func() []start {
			raw, err := os.ReadFile(logPath)
			if os.IsNotExist(err) {
				return nil
			}
			require.NoError(t, err)
			var out []start
			for _, line := range strings.Split(strings.TrimSpace(string(raw)), "\n") {
				if line == "" {
					continue
				}
				f := strings.Fields(line)
				require.Len(t, f, 3, "log line %q", line)
				at, err := time.Parse(time.RFC3339Nano, f[1])
				require.NoError(t, err)
				out = append(out, start{pid: f[0], at: at, id: f[2]})
			}
			return out
		}
		const rounds = 3
		occurrences := make([]time.Time, rounds)
		for r := range rounds {
			at := T0.Add(time.Duration(r) * 5 * time.Minute)
			occurrences[r] = at
			c.Set(at)
			setChildClock(at.Format(time.RFC3339Nano))
			childrenAt(at)
			for _, q := range rs.queue {
				enqueue(t, cdb, q.QueueName, 3)
			}
			want := len(rs.scheduled) + len(rs.queue)
			if r == 0 {
				want += len(rs.single)
			}
			waitFor(t, fmt.Sprintf("occurrence %d to run", r), func() (bool, error) {
				ids := map[string]bool{}
				for _, st := range readStarts() {
					if st.at.Equal(at) {
						ids[st.id] = true
					}
				}
				if len(ids) < want {
					return false, nil
				}
				return settled(ctx, s, at)
			})
		}
		setChildClock("stop")
		for i, child := range children {
			err := child.Wait()
			require.NoError(t, err, "child %d:\n%s", i+1, child.Output())
			require.Contains(t, child.Output(), "--- PASS: TestExactlyOnceProcesses (", "child %d ran the test", i+1)
		}

		type key struct {
			id string
			at time.Time
		}
		counts := map[key]int{}
		byPid := map[string]int{}
		starts := readStarts()
		for _, st := range starts {
			require.Contains(t, occurrences, st.at, "a start at %s, which is no occurrence", st.at)
			counts[key{st.id, st.at}]++
			byPid[st.pid]++
		}
		doubles, missing := 0, 0
		for r, at := range occurrences {
			for _, group := range [][]trigger.Trigger{rs.scheduled, rs.single, rs.queue} {
				for _, tr := range group {
					want := 1
					if tr.Type == trigger.Single && r > 0 {
						want = 0
					}
					n := counts[key{tr.ID.String(), at}]
					if n > want {
						doubles += n - want
					}
					if n < want {
						missing++
					}
				}
			}
		}
		t.Logf("%s: %d scheduler processes, %d occurrences: %d starts, %d double starts, %d missing; starts per process %v",
			db.SQLDialect().Name(), processes, rounds, len(starts), doubles, missing, byPid)
		require.Zero(t, doubles, "double starts")
		require.Zero(t, missing, "missing starts")
		require.GreaterOrEqual(t, len(byPid), 2, "processes that started something: the race had competitors")
	})
}

// raceChild is one scheduler process of TestExactlyOnceProcesses. Its store
// clock follows the parent's clock file; "stop" ends it.
func raceChild(t *testing.T) {
	clockPath := os.Getenv("TRIGGER_CLOCK_FILE")
	readClock := func() (at time.Time, stop bool) {
		raw, err := os.ReadFile(clockPath)
		require.NoError(t, err)
		if string(raw) == "stop" {
			return time.Time{}, true
		}
		at, err = time.Parse(time.RFC3339Nano, string(raw))
		require.NoError(t, err)
		return at, false
	}
	at, _ := readClock()
	c := newClock(at)
	db, err := store.Open(t.Context(), os.Getenv("TRIGGER_DSN"), store.WithClock(c.Now))
	require.NoError(t, err)
	defer db.Close()
	f, err := os.OpenFile(os.Getenv("TRIGGER_LOG"), os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	require.NoError(t, err)
	defer f.Close()
	pid := os.Getpid()
	var mu sync.Mutex
	sch, err := trigger.NewScheduler(db,
		raceHandler(db, func(tr trigger.Trigger) {
			mu.Lock()
			defer mu.Unlock()
			// LastRun is the occurrence: Begin sets it to this
			// process's clock. One write(2) per line, O_APPEND.
			_, err := fmt.Fprintf(f, "%d %s %s\n", pid, tr.LastRun.Format(time.RFC3339Nano), tr.ID)
			if err != nil {
				panic(err)
			}
		}),
		trigger.WithName(fmt.Sprintf("proc-%d", pid)),
		trigger.WithPollInterval(2*time.Millisecond),
		trigger.WithLease(time.Hour),
		trigger.WithMaxConcurrent(4),
	)
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- sch.Run(ctx) }()
	for {
		at, stop := readClock()
		if stop {
			break
		}
		c.Set(at)
		time.Sleep(time.Millisecond)
	}
	cancel()
	require.NoError(t, <-done)
}

// TestStaleSchedulerRecovery: the runs of a scheduler whose heartbeat went
// stale are failed or returned to IDLE, as configured; a live scheduler's
// runs are not touched.
func TestStaleSchedulerRecovery(t *testing.T) {
	for _, mode := range []trigger.RecoverMode{trigger.RecoverFail, trigger.RecoverIdle} {
		t.Run(mode.String(), func(t *testing.T) {
			testdb.Each(t, func(t *testing.T, db *store.DB) {
				ctx := t.Context()
				c := newClock(T0)
				cdb := withClock(t, db, c)
				s := newStore(t, cdb)
				// "dead" started two triggers and a pause and kill were asked
				// for on two more; "alive" started one.
				var dead []trigger.Trigger
				for i := range 4 {
					tr, err := s.Create(ctx, scheduled(fmt.Sprintf("dead-%d", i), "0 * * * *", T0.Add(-time.Minute)))
					require.NoError(t, err)
					tr, err = s.Begin(ctx, tr, "dead")
					require.NoError(t, err)
					dead = append(dead, tr)
				}
				_, err := s.Pause(ctx, dead[2].ID)
				require.NoError(t, err)
				_, err = s.Kill(ctx, dead[3].ID)
				require.NoError(t, err)
				alive, err := s.Create(ctx, scheduled("alive", "0 * * * *", T0.Add(-time.Minute)))
				require.NoError(t, err)
				alive, err = s.Begin(ctx, alive, "alive")
				require.NoError(t, err)
				require.NoError(t, s.Heartbeat(ctx, "dead"))
				c.Add(10 * time.Minute)
				require.NoError(t, s.Heartbeat(ctx, "alive"))

				sch, err := trigger.NewScheduler(cdb,
					func(context.Context, trigger.Trigger) error { return nil },
					trigger.WithName("rescuer"),
					trigger.WithPollInterval(time.Minute),
					trigger.WithLease(5*time.Minute),
					trigger.WithRecover(mode),
				)
				require.NoError(t, err)
				// One tick: heartbeat, recovery, starts. The recovered
				// triggers are not due again until 11:00, so nothing starts.
				require.NoError(t, sch.Tick(ctx))
				// Fail: as if the handler failed (a pending pause is moot: the
				// trigger is FAILED). Idle: as if never started (a pending
				// pause takes effect).
				want, wantPausing := trigger.StatusFailed, trigger.StatusFailed
				if mode == trigger.RecoverIdle {
					want, wantPausing = trigger.StatusIdle, trigger.StatusPaused
				}
				for i, w := range []trigger.Status{want, want, wantPausing, trigger.StatusKilled} {
					got := get(t, s, dead[i].ID)
					require.Equal(t, w, got.Status, dead[i].Name)
					require.Empty(t, got.RunningOn)
				}
				require.Equal(t, trigger.StatusRunning, get(t, s, alive.ID).Status)
				// An End through the Store (an operator's, another
				// system's) names no scheduler, so it ends the live
				// scheduler's run too. A scheduler's own End is owner-bound:
				// see TestLateEndAfterRecoveryIsRefused.
				st, err := s.End(ctx, alive.ID)
				require.NoError(t, err, "a plain End is not owner-bound")
				require.Equal(t, trigger.StatusIdle, st)
			})
		})
	}
}

// TestLateEndAfterRecoveryIsRefused: a scheduler whose heartbeat went stale
// (its clock stood still while the others' went on) has its run recovered
// and started again by another; when its handler finally returns, the record
// of its run is owner-bound and refused, and the new run is left alone.
func TestLateEndAfterRecoveryIsRefused(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		slowClock, liveClock := newClock(T0), newClock(T0)
		slowDB, liveDB := withClock(t, db, slowClock), withClock(t, db, liveClock)
		s := newStore(t, liveDB)
		tr, err := s.Create(ctx, scheduled("late", "*/5 * * * *", T0.Add(-time.Minute)))
		require.NoError(t, err)

		started := make(chan string, 2)
		releaseSlow, releaseRescuer := make(chan struct{}), make(chan struct{})
		slowSettled := make(chan trigger.Status, 1)
		var warnings syncBuffer
		slow, err := trigger.NewScheduler(slowDB,
			func(context.Context, trigger.Trigger) error {
				started <- "slow"
				<-releaseSlow
				return nil
			},
			trigger.WithName("slow"),
			trigger.WithPollInterval(time.Minute),
			trigger.WithLease(5*time.Minute),
			trigger.WithOnSettled(func(_ trigger.Trigger, st trigger.Status, _ error) { slowSettled <- st }),
			trigger.WithLogger(slog.New(slog.NewTextHandler(&warnings, nil))),
		)
		require.NoError(t, err)
		runCtx, cancel := context.WithCancel(ctx)
		done := make(chan error, 1)
		go func() { done <- slow.Run(runCtx) }()
		require.Equal(t, "slow", <-started)

		// Ten minutes later for everyone but "slow": its heartbeat (T0) is
		// stale, its run goes back to IDLE, is due (next_run T0+5m), and
		// the rescuer starts it in the same tick.
		liveClock.Set(T0.Add(10 * time.Minute))
		rescuer, err := trigger.NewScheduler(liveDB,
			func(context.Context, trigger.Trigger) error {
				started <- "rescuer"
				<-releaseRescuer
				return nil
			},
			trigger.WithName("rescuer"),
			trigger.WithPollInterval(time.Minute),
			trigger.WithLease(5*time.Minute),
			trigger.WithRecover(trigger.RecoverIdle),
		)
		require.NoError(t, err)
		require.NoError(t, rescuer.Tick(ctx))
		require.Equal(t, "rescuer", <-started)
		got := get(t, s, tr.ID)
		require.Equal(t, trigger.StatusRunning, got.Status)
		require.Equal(t, "rescuer", got.RunningOn)

		// "slow" wakes up and records its run: refused, it is not its own.
		close(releaseSlow)
		require.Equal(t, trigger.StatusRunning, <-slowSettled, "OnSettled reports the status found")
		got = get(t, s, tr.ID)
		require.Equal(t, trigger.StatusRunning, got.Status, "the rescuer's run goes on")
		require.Equal(t, "rescuer", got.RunningOn)
		require.Contains(t, warnings.String(), "record run")
		require.Contains(t, warnings.String(), "of a run started by scheduler slow")

		close(releaseRescuer)
		waitFor(t, "the rescuer's run to end", func() (bool, error) { return len(rescuer.Running()) == 0, nil })
		require.Equal(t, trigger.StatusIdle, get(t, s, tr.ID).Status)
		cancel()
		require.NoError(t, <-done)
	})
}

// syncBuffer is a bytes.Buffer safe for a logger and a test to share.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// statementLog records the statements run on a bun handle (a query hook).
type statementLog struct {
	mu    sync.Mutex
	stmts []string
}

func (l *statementLog) BeforeQuery(ctx context.Context, _ *bun.QueryEvent) context.Context {
	return ctx
}

func (l *statementLog) AfterQuery(_ context.Context, e *bun.QueryEvent) {
	l.mu.Lock()
	l.stmts = append(l.stmts, e.Query)
	l.mu.Unlock()
}

// writes returns, and forgets, the statements seen since the last call that
// are not plain reads: BEGIN (on SQLite an immediate transaction takes the
// write lock), UPDATE, COMMIT and the like.
func (l *statementLog) writes() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []string
	for _, q := range l.stmts {
		if !strings.HasPrefix(strings.TrimSpace(q), "SELECT") {
			out = append(out, q)
		}
	}
	l.stmts = nil
	return out
}

// TestStaleRecoveryIdleWritesNothing: schedulers that died long ago but own
// no run any more (their Schedulers rows stay) cost a read per tick, not a
// write transaction each; a dead scheduler that owns a run is settled once.
func TestStaleRecoveryIdleWritesNothing(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		c := newClock(T0)
		cdb := withClock(t, db, c)
		stmts := &statementLog{}
		cdb.Bun().AddQueryHook(stmts)
		s := newStore(t, cdb)
		for i := range 3 {
			require.NoError(t, s.Heartbeat(ctx, fmt.Sprintf("gone-%d", i)))
		}
		tr, err := s.Create(ctx, scheduled("orphan", "0 * * * *", T0.Add(-time.Minute)))
		require.NoError(t, err)
		_, err = s.Begin(ctx, tr, "dead")
		require.NoError(t, err)
		require.NoError(t, s.Heartbeat(ctx, "dead"))
		c.Add(10 * time.Minute)
		staleBefore := c.Now().Add(-5 * time.Minute)
		stmts.writes()

		n, err := s.RecoverStale(ctx, staleBefore, trigger.RecoverIdle)
		require.NoError(t, err)
		require.Equal(t, 1, n)
		begins := 0
		for _, q := range stmts.writes() {
			if strings.HasPrefix(q, "BEGIN") {
				begins++
			}
		}
		require.Equal(t, 1, begins, "one write transaction, for the one stale scheduler that owns a run")
		require.Equal(t, trigger.StatusIdle, get(t, s, tr.ID).Status)

		for range 3 { // tick after tick
			n, err = s.RecoverStale(ctx, staleBefore, trigger.RecoverIdle)
			require.NoError(t, err)
			require.Zero(t, n)
		}
		require.Empty(t, stmts.writes(), "nothing to recover, nothing written")
		infos, err := s.Schedulers(ctx)
		require.NoError(t, err)
		require.Len(t, infos, 4, "the dead schedulers' rows stay, as OpenOrchestrator's do")
	})
}

// TestSchedulerRefusesALiveName: a scheduler whose name's heartbeat is
// younger than StaleAfter (a second instance under the same name, as in a
// rolling deploy) refuses to run with a NameInUseError and leaves the live
// instance's runs alone; once the heartbeat is stale, a scheduler of the name
// starts and recovers the runs left behind.
func TestSchedulerRefusesALiveName(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		c := newClock(T0)
		cdb := withClock(t, db, c)
		s := newStore(t, cdb)
		tr, err := s.Create(ctx, single("busy", T0.Add(-time.Minute)))
		require.NoError(t, err)
		require.NoError(t, s.Heartbeat(ctx, "box-1")) // the live instance
		_, err = s.Begin(ctx, tr, "box-1")
		require.NoError(t, err)
		c.Add(30 * time.Second)

		started := make(chan uuid.UUID, 1)
		newBox1 := func() *trigger.Scheduler {
			sch, err := trigger.NewScheduler(cdb,
				func(_ context.Context, t trigger.Trigger) error { started <- t.ID; return nil },
				trigger.WithName("box-1"),
				trigger.WithPollInterval(5*time.Millisecond),
				trigger.WithLease(time.Minute),
				trigger.WithRecover(trigger.RecoverIdle),
			)
			require.NoError(t, err)
			return sch
		}
		sch := newBox1()
		// Bounded, so that a Run that wrongly starts returns too.
		refusedCtx, stop := context.WithTimeout(ctx, 5*time.Second)
		err = sch.Run(refusedCtx)
		stop()
		var inUse *trigger.NameInUseError
		require.ErrorAs(t, err, &inUse)
		require.ErrorIs(t, err, store.ErrConflict)
		require.Equal(t, "box-1", inUse.Name)
		require.Equal(t, T0, inUse.LastHeartbeat)
		require.ErrorContains(t, err, `scheduler name "box-1" is in use`)
		require.True(t, strings.HasPrefix(err.Error(), "trigger: scheduler name"), "%v", err)
		require.ErrorIs(t, sch.Run(ctx), store.ErrInvalid, "Run may be called once, even when it was refused")
		got := get(t, s, tr.ID)
		require.Equal(t, trigger.StatusRunning, got.Status, "the live instance's run is not reset")
		require.Equal(t, "box-1", got.RunningOn)
		infos, err := s.Schedulers(ctx)
		require.NoError(t, err)
		require.Equal(t, T0, infos[0].LastUpdate, "a refused Run writes no heartbeat")

		// The other instance is gone: its heartbeat is over a lease old.
		c.Add(time.Minute)
		sch = newBox1()
		runCtx, cancel := context.WithCancel(ctx)
		done := make(chan error, 1)
		go func() { done <- sch.Run(runCtx) }()
		require.Equal(t, tr.ID, <-started, "recovered to IDLE, due, and started again")
		cancel()
		require.NoError(t, <-done)
		require.Equal(t, trigger.StatusDone, get(t, s, tr.ID).Status)
	})
}

// TestSchedulerRestartRecoversOwnRuns: a scheduler restarted under the same
// name settles the runs its previous life left RUNNING.
func TestSchedulerRestartRecoversOwnRuns(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		c := newClock(T0)
		cdb := withClock(t, db, c)
		s := newStore(t, cdb)
		tr, err := s.Create(ctx, single("orphan", T0.Add(-time.Minute)))
		require.NoError(t, err)
		_, err = s.Begin(ctx, tr, "box-1")
		require.NoError(t, err)
		started := make(chan trigger.Trigger, 1)
		sch, err := trigger.NewScheduler(cdb,
			func(_ context.Context, t trigger.Trigger) error { started <- t; return nil },
			trigger.WithName("box-1"),
			trigger.WithPollInterval(5*time.Millisecond),
			trigger.WithRecover(trigger.RecoverIdle),
		)
		require.NoError(t, err)
		runCtx, cancel := context.WithCancel(ctx)
		done := make(chan error, 1)
		go func() { done <- sch.Run(runCtx) }()
		got := <-started // returned to IDLE at start, then due and started again
		require.Equal(t, tr.ID, got.ID)
		cancel()
		require.NoError(t, <-done)
		require.Equal(t, trigger.StatusDone, get(t, s, tr.ID).Status)
	})
}

// TestSchedulerHonoursKillPauseAndStop: KILLING cancels the handler and ends
// KILLED; PAUSING lets the run finish and ends PAUSED; stopping the scheduler
// (with no stop timeout) cancels handlers and returns their triggers to
// IDLE. TestSchedulerStopTimeout covers a stop that lets runs finish.
func TestSchedulerHonoursKillPauseAndStop(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		c := newClock(T0)
		cdb := withClock(t, db, c)
		s := newStore(t, cdb)
		kill, err := s.Create(ctx, scheduled("kill-me", "0 * * * *", T0.Add(-time.Minute)))
		require.NoError(t, err)
		pause, err := s.Create(ctx, scheduled("pause-me", "0 * * * *", T0.Add(-time.Minute)))
		require.NoError(t, err)
		stop, err := s.Create(ctx, scheduled("stop-me", "0 * * * *", T0.Add(-time.Minute)))
		require.NoError(t, err)

		started := make(chan uuid.UUID, 3)
		release := make(chan struct{})
		causes := make(chan error, 3)
		settledCh := make(chan trigger.Status, 3)
		sch, err := trigger.NewScheduler(cdb,
			func(hctx context.Context, tr trigger.Trigger) error {
				started <- tr.ID
				if tr.ID == pause.ID {
					<-release
					return nil
				}
				<-hctx.Done()
				causes <- context.Cause(hctx)
				return hctx.Err()
			},
			trigger.WithName("worker"),
			trigger.WithPollInterval(5*time.Millisecond),
			trigger.WithMaxConcurrent(3),
			trigger.WithStopTimeout(0), // cancel "stop-me" as soon as Run's context ends
			trigger.WithOnSettled(func(tr trigger.Trigger, st trigger.Status, _ error) { settledCh <- st }),
		)
		require.NoError(t, err)
		runCtx, cancel := context.WithCancel(ctx)
		done := make(chan error, 1)
		go func() { done <- sch.Run(runCtx) }()
		for range 3 {
			<-started
		}
		st, err := s.Kill(ctx, kill.ID)
		require.NoError(t, err)
		require.Equal(t, trigger.StatusKilling, st)
		require.ErrorIs(t, <-causes, trigger.ErrKilled)
		require.Equal(t, trigger.StatusKilled, <-settledCh)
		require.Equal(t, trigger.StatusKilled, get(t, s, kill.ID).Status)

		st, err = s.Pause(ctx, pause.ID)
		require.NoError(t, err)
		require.Equal(t, trigger.StatusPausing, st)
		close(release)
		require.Equal(t, trigger.StatusPaused, <-settledCh)

		cancel()
		require.NoError(t, <-done)
		require.ErrorIs(t, <-causes, context.Canceled)
		require.Equal(t, trigger.StatusIdle, <-settledCh)
		got := get(t, s, stop.ID)
		require.Equal(t, trigger.StatusIdle, got.Status, "an interrupted run waits again")
		require.Equal(t, T0.Add(time.Hour), got.NextRun, "for its next occurrence: the interrupted one is not replayed")
	})
}

// TestSchedulerBlockingWhitelistFailure: a blocking trigger runs alone; the
// whitelist and whitelist-only mode decide who may start what; a failing or
// panicking handler fails its trigger.
func TestSchedulerBlockingWhitelistFailure(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		c := newClock(T0)
		cdb := withClock(t, db, c)
		s := newStore(t, cdb)
		mk := func(sp trigger.Spec) trigger.Trigger {
			tr, err := s.Create(ctx, sp)
			require.NoError(t, err)
			return tr
		}
		blocking := single("blocking", T0.Add(-time.Hour))
		blocking.IsBlocking, blocking.Priority = true, 1
		b := mk(blocking)
		free := mk(single("free", T0.Add(-time.Hour)))
		mine := single("mine", T0.Add(-time.Hour))
		mine.SchedulerWhitelist = []string{"other", "picky"}
		m := mk(mine)
		theirs := single("theirs", T0.Add(-time.Hour))
		theirs.SchedulerWhitelist = []string{"other"}
		th := mk(theirs)
		boom := mk(single("boom", T0.Add(-time.Hour)))
		panics := mk(single("panics", T0.Add(-time.Hour)))

		var mu sync.Mutex
		var concurrent, maxWithBlocking int
		var order []string
		handler := func(_ context.Context, tr trigger.Trigger) error {
			mu.Lock()
			concurrent++
			order = append(order, tr.Name)
			if tr.IsBlocking {
				maxWithBlocking = max(maxWithBlocking, concurrent)
			}
			mu.Unlock()
			time.Sleep(2 * time.Millisecond)
			mu.Lock()
			if tr.IsBlocking {
				maxWithBlocking = max(maxWithBlocking, concurrent)
			}
			concurrent--
			mu.Unlock()
			switch tr.Name {
			case "boom":
				return fmt.Errorf("robot crashed")
			case "panics":
				panic("robot panicked")
			}
			return nil
		}
		// "picky" runs only whitelisted triggers; "any" runs the rest.
		picky, err := trigger.NewScheduler(cdb, handler, trigger.WithName("picky"), trigger.WithWhitelistOnly(true), trigger.WithPollInterval(time.Second))
		require.NoError(t, err)
		require.NoError(t, picky.Tick(ctx))
		waitFor(t, "picky's run", func() (bool, error) { return len(picky.Running()) == 0, nil })
		require.Equal(t, []string{"mine"}, order)
		require.Equal(t, trigger.StatusDone, get(t, s, m.ID).Status)

		anyS, err := trigger.NewScheduler(cdb, handler, trigger.WithName("any"), trigger.WithPollInterval(5*time.Millisecond), trigger.WithMaxConcurrent(4))
		require.NoError(t, err)
		runCtx, cancel := context.WithCancel(ctx)
		done := make(chan error, 1)
		go func() { done <- anyS.Run(runCtx) }()
		waitFor(t, "the rest to run", func() (bool, error) {
			for _, id := range []uuid.UUID{b.ID, free.ID, boom.ID, panics.ID} {
				if get(t, s, id).Status.Active() || get(t, s, id).Status == trigger.StatusIdle {
					return false, nil
				}
			}
			return true, nil
		})
		infos, err := s.Schedulers(ctx)
		require.NoError(t, err)
		require.Len(t, infos, 2)
		require.Equal(t, "any", infos[0].MachineName)
		require.Equal(t, T0, infos[0].LastUpdate)
		require.Equal(t, "picky", infos[1].MachineName)
		cancel()
		require.NoError(t, <-done)
		require.Equal(t, "blocking", order[1], "priority 1 first")
		require.Equal(t, 1, maxWithBlocking, "nothing ran beside the blocking trigger")
		require.Equal(t, trigger.StatusDone, get(t, s, b.ID).Status)
		require.Equal(t, trigger.StatusDone, get(t, s, free.ID).Status)
		require.Equal(t, trigger.StatusFailed, get(t, s, boom.ID).Status)
		require.Equal(t, trigger.StatusFailed, get(t, s, panics.ID).Status)
		require.Equal(t, trigger.StatusIdle, get(t, s, th.ID).Status, "whitelisted for another scheduler only")
		infos, err = s.Schedulers(ctx)
		require.NoError(t, err)
		require.Len(t, infos, 1, "any released its name when it stopped; picky only ticked, without Run")
		require.Equal(t, "picky", infos[0].MachineName)
	})
}

func TestNewSchedulerRejectsBadConfig(t *testing.T) {
	db := testdb.Fresh(t, store.SQLite)
	h := func(context.Context, trigger.Trigger) error { return nil }
	name := trigger.WithName("x")
	for _, c := range []struct {
		db      *store.DB
		handler trigger.Handler
		opts    []trigger.SchedulerOption
		is      error
		want    string
	}{
		{nil, h, []trigger.SchedulerOption{name}, store.ErrInvalid, "nil database"},
		{db, h, nil, store.ErrInvalid, "WithName is required"},
		{db, nil, []trigger.SchedulerOption{name}, store.ErrInvalid, "handler"},
		{db, h, []trigger.SchedulerOption{trigger.WithName(strings.Repeat("n", 101))}, store.ErrTooLong, "scheduler name"},
		{db, h, []trigger.SchedulerOption{name, trigger.WithPollInterval(time.Second), trigger.WithLease(2 * time.Second)}, store.ErrInvalid, "WithLease"},
		{db, h, []trigger.SchedulerOption{name, trigger.WithRecover(7)}, store.ErrInvalid, "recover mode"},
		{db, h, []trigger.SchedulerOption{name, trigger.WithPollInterval(0)}, store.ErrInvalid, "WithPollInterval"},
		{db, h, []trigger.SchedulerOption{name, trigger.WithMaxConcurrent(0)}, store.ErrInvalid, "WithMaxConcurrent"},
		{db, h, []trigger.SchedulerOption{name, trigger.WithLease(-time.Second)}, store.ErrInvalid, "WithLease"},
		{db, h, []trigger.SchedulerOption{name, trigger.WithStopTimeout(-time.Second)}, store.ErrInvalid, "WithStopTimeout"},
		{db, h, []trigger.SchedulerOption{name, trigger.WithQueryTimeout(0)}, store.ErrInvalid, "WithQueryTimeout"},
	} {
		_, err := trigger.NewScheduler(c.db, c.handler, c.opts...)
		require.ErrorIs(t, err, c.is, c.want)
		require.ErrorContains(t, err, c.want)
		require.True(t, strings.HasPrefix(err.Error(), "trigger: new scheduler"), "%v", err)
		require.NotContains(t, err.Error(), "trigger: trigger:")
	}
	// The defaults need nothing but a name; a stop timeout of 0 cancels
	// the handlers at once.
	_, err := trigger.NewScheduler(db, h, name, trigger.WithStopTimeout(0))
	require.NoError(t, err)
}

// TestBeginRace: 8 goroutines call Begin on the same trigger at the same
// moment, for five occurrences of each type; exactly one wins each time.
func TestBeginRace(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		c := newClock(T0)
		cdb := withClock(t, db, c)
		s := newStore(t, cdb)
		sc, err := s.Create(ctx, scheduled("race-sched", "*/5 * * * *", T0))
		require.NoError(t, err)
		sg, err := s.Create(ctx, single("race-single", T0))
		require.NoError(t, err)
		qu, err := s.Create(ctx, queued("race-queue", "race-queue", 2))
		require.NoError(t, err)
		for occurrence := range 5 {
			c.Set(T0.Add(time.Duration(occurrence) * 5 * time.Minute))
			enqueue(t, cdb, "race-queue", 2)
			for _, tr := range []trigger.Trigger{sc, sg, qu} {
				if tr.Type == trigger.Single && occurrence > 0 {
					_, err := s.Resume(ctx, tr.ID) // DONE → IDLE, due again
					require.NoError(t, err)
				}
				var wg sync.WaitGroup
				var mu sync.Mutex
				wins := 0
				gate := make(chan struct{})
				for i := range 8 {
					wg.Go(func() {
						<-gate
						_, err := s.Begin(ctx, tr, fmt.Sprintf("racer-%d", i))
						mu.Lock()
						defer mu.Unlock()
						switch {
						case err == nil:
							wins++
						case !errors.Is(err, trigger.ErrNotStarted):
							t.Errorf("%s: %v", tr.Name, err)
						}
					})
				}
				close(gate)
				wg.Wait()
				require.Equal(t, 1, wins, "%s occurrence %d: winners", tr.Name, occurrence)
				if tr.Type == trigger.Queue {
					require.NoError(t, drain(ctx, cdb, "race-queue"))
				}
				_, err := s.End(ctx, tr.ID)
				require.NoError(t, err)
			}
		}
	})
}
