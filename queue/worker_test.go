package queue_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/flowstore/flowstore/internal/testdb"
	"github.com/flowstore/flowstore/queue"
	"github.com/flowstore/flowstore/store"
)

// runWorker starts w.Run and returns what stops it and waits for Run's
// result.
func runWorker(t testing.TB, w *queue.Worker) (stop func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	res := make(chan error, 1)
	go func() { res <- w.Run(ctx) }()
	var once sync.Once
	var err error
	stop = func() error {
		once.Do(func() {
			cancel()
			select {
			case err = <-res:
			case <-time.After(2 * time.Minute):
				err = errors.New("Run did not return")
			}
		})
		return err
	}
	t.Cleanup(func() { _ = stop() })
	return stop
}

// waitCounts polls until the queue's counts equal want.
func waitCounts(t *testing.T, q queue.Store, name string, want map[queue.Status]int) {
	t.Helper()
	deadline := time.Now().Add(90 * time.Second)
	var got map[queue.Status]int
	for time.Now().Before(deadline) {
		c, err := q.Counts(context.Background())
		require.NoError(t, err)
		got = c[name]
		if fmt.Sprint(got) == fmt.Sprint(want) {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	require.Equal(t, want, got, "counts of %s", name)
}

func enqueueRefs(t *testing.T, q queue.Store, name string, refs ...string) []uuid.UUID {
	t.Helper()
	els := make([]queue.NewElement, len(refs))
	for i, r := range refs {
		els[i] = queue.NewElement{Reference: r}
	}
	ids, err := q.EnqueueBatch(context.Background(), name, els)
	require.NoError(t, err)
	return ids
}

func TestWorkerRunsHandlers(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		q := newQueue(t, db)
		var refs []string
		for i := range 120 {
			switch i % 6 {
			case 4:
				refs = append(refs, fmt.Sprintf("err-%d", i))
			case 5:
				refs = append(refs, fmt.Sprintf("panic-%d", i))
			default:
				refs = append(refs, fmt.Sprintf("ok-%d", i))
			}
		}
		enqueueRefs(t, q, "wa", refs[:80]...)
		enqueueRefs(t, q, "wb", refs[80:]...)

		var mu sync.Mutex
		calls := map[string]int{}
		var now, peak atomic.Int64
		h := func(ctx context.Context, e queue.Element) error {
			n := now.Add(1)
			defer now.Add(-1)
			for {
				p := peak.Load()
				if n <= p || peak.CompareAndSwap(p, n) {
					break
				}
			}
			mu.Lock()
			calls[e.QueueName+"/"+e.Reference]++
			mu.Unlock()
			time.Sleep(2 * time.Millisecond)
			switch {
			case strings.HasPrefix(e.Reference, "err-"):
				return errors.New("boom " + e.Reference)
			case strings.HasPrefix(e.Reference, "panic-"):
				panic("kaboom " + e.Reference)
			}
			return nil
		}
		w, err := queue.NewWorker(q, []string{"wa", "wb"}, h, queue.WithConcurrency(6), queue.WithPollInterval(50*time.Millisecond))
		require.NoError(t, err)
		stop := runWorker(t, w)
		waitCounts(t, q, "wa", map[queue.Status]int{queue.StatusDone: 54, queue.StatusFailed: 26})
		waitCounts(t, q, "wb", map[queue.Status]int{queue.StatusDone: 26, queue.StatusFailed: 14})
		require.NoError(t, stop())

		require.Len(t, calls, 120)
		for k, n := range calls {
			require.Equal(t, 1, n, "handler calls for %s", k)
		}
		require.LessOrEqual(t, peak.Load(), int64(6), "concurrency limit")
		require.Greater(t, peak.Load(), int64(1), "handlers ran concurrently")

		for e, err := range q.All(context.Background(), queue.Filter{Status: queue.StatusFailed}) {
			require.NoError(t, err)
			switch {
			case strings.HasPrefix(e.Reference, "err-"):
				require.Equal(t, "boom "+e.Reference, e.Message)
			case strings.HasPrefix(e.Reference, "panic-"):
				require.True(t, strings.HasPrefix(e.Message, "panic: kaboom "+e.Reference+"\n"), e.Message)
			default:
				t.Fatalf("%s failed: %s", e.Reference, e.Message)
			}
			require.False(t, e.EndDate.IsZero())
		}
	})
}

func TestNewWorkerRefuses(t *testing.T) {
	db := testdb.Fresh(t, store.SQLite)
	q := newQueue(t, db)
	h := func(context.Context, queue.Element) error { return nil }
	leased := newQueue(t, db, queue.WithLease(time.Minute))
	s, err := db.Begin(t.Context())
	require.NoError(t, err)
	defer s.Rollback()
	for name, c := range map[string]struct {
		s    queue.Store
		qs   []string
		h    queue.Handler
		opts []queue.WorkerOption
	}{
		"nil store":       {nil, []string{"a"}, h, nil},
		"session":         {q.WithTx(s), []string{"a"}, h, nil},
		"no queue":        {q, nil, h, nil},
		"empty queue":     {q, []string{""}, h, nil},
		"twice":           {q, []string{"a", "a"}, h, nil},
		"nil handler":     {q, []string{"a"}, nil, nil},
		"concurrency":     {q, []string{"a"}, h, []queue.WorkerOption{queue.WithConcurrency(0)}},
		"stop timeout":    {q, []string{"a"}, h, []queue.WorkerOption{queue.WithStopTimeout(-1)}},
		"poll":            {q, []string{"a"}, h, []queue.WorkerOption{queue.WithPollInterval(0)}},
		"lease mismatch":  {leased, []string{"a"}, h, []queue.WorkerOption{queue.WithWorkerLease(time.Second)}},
		"handler timeout": {q, []string{"a"}, h, []queue.WorkerOption{queue.WithHandlerTimeout(-time.Second)}},
	} {
		_, err := queue.NewWorker(c.s, c.qs, c.h, c.opts...)
		require.ErrorIs(t, err, store.ErrInvalid, name)
	}
	w, err := queue.NewWorker(leased, []string{"a"}, h, queue.WithWorkerLease(time.Minute))
	require.NoError(t, err)
	require.ErrorIs(t, w.Run(nil), store.ErrInvalid) //nolint:staticcheck // a nil context is refused
	err = queue.CompleteTx(t.Context(), func(context.Context, *store.Session) error { return nil })
	require.ErrorIs(t, err, store.ErrInvalid, "outside a handler")
}

// TestWorkerStopWaits: a stopping Worker lets running handlers finish
// within the stop timeout, and their DONE is written when Run returns.
func TestWorkerStopWaits(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		q := newQueue(t, db)
		enqueueRefs(t, q, "stop", "a", "b", "c")
		started := make(chan struct{}, 3)
		release := make(chan struct{})
		w, err := queue.NewWorker(q, []string{"stop"}, func(ctx context.Context, e queue.Element) error {
			started <- struct{}{}
			<-release
			return ctx.Err() // nil: not cancelled within the stop timeout
		}, queue.WithStopTimeout(time.Minute))
		require.NoError(t, err)
		stop := runWorker(t, w)
		for range 3 {
			<-started
		}
		stopped := make(chan error, 1)
		go func() { stopped <- stop() }()
		time.Sleep(50 * time.Millisecond)
		select {
		case err := <-stopped:
			t.Fatalf("Run returned (%v) while handlers ran", err)
		default:
		}
		close(release)
		require.NoError(t, <-stopped)
		c, err := q.Counts(t.Context())
		require.NoError(t, err)
		require.Equal(t, map[queue.Status]int{queue.StatusDone: 3}, c["stop"], "written before Run returned")
	})
}

// TestWorkerStopCancels: handlers still running after the stop timeout
// are cancelled and their elements left IN_PROGRESS for lease recovery.
func TestWorkerStopCancels(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		q := newQueue(t, db)
		enqueueRefs(t, q, "cut", "a", "b")
		started := make(chan struct{}, 2)
		w, err := queue.NewWorker(q, []string{"cut"}, func(ctx context.Context, e queue.Element) error {
			started <- struct{}{}
			<-ctx.Done()
			return ctx.Err()
		}, queue.WithStopTimeout(20*time.Millisecond))
		require.NoError(t, err)
		stop := runWorker(t, w)
		<-started
		<-started
		require.NoError(t, stop())
		c, err := q.Counts(t.Context())
		require.NoError(t, err)
		require.Equal(t, map[queue.Status]int{queue.StatusInProgress: 2}, c["cut"])
		n, err := q.RequeueStale(t.Context(), "cut", 0)
		require.NoError(t, err)
		require.Equal(t, 2, n, "recovery hands them out again")
	})
}

// TestWorkerExtendsLease: a handler running for several leases keeps its
// element (no other claim takes it over), and finishes it.
func TestWorkerExtendsLease(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		const lease = 600 * time.Millisecond
		q := newQueue(t, db, queue.WithLease(lease))
		enqueueRefs(t, q, "long", "x")
		started := make(chan queue.Element, 1)
		w, err := queue.NewWorker(q, []string{"long"}, func(ctx context.Context, e queue.Element) error {
			started <- e
			select {
			case <-time.After(3 * lease):
				return nil
			case <-ctx.Done():
				return context.Cause(ctx)
			}
		})
		require.NoError(t, err)
		stop := runWorker(t, w)
		e := <-started
		other := newQueue(t, db, queue.WithLease(lease))
		for range 4 {
			time.Sleep(lease / 2)
			els, err := other.ClaimBatch(t.Context(), "long", 10)
			require.NoError(t, err)
			require.Empty(t, els, "the lease is extended while the handler runs")
		}
		waitCounts(t, q, "long", map[queue.Status]int{queue.StatusDone: 1})
		require.NoError(t, stop())
		st := w.Stats()
		require.GreaterOrEqual(t, st.Extended, int64(2), "extended every third of the lease")
		require.Equal(t, int64(1), st.Done)
		got, err := q.Get(t.Context(), e.ID)
		require.NoError(t, err)
		require.True(t, got.StartDate.After(e.StartDate), "start_date moved with the lease")
	})
}

// TestWorkerLeaseLost: when another claim takes an element over, the
// handler's context is cancelled with ErrLeaseLost and the Worker writes
// nothing over the new claim.
func TestWorkerLeaseLost(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		const lease = 300 * time.Millisecond
		q := newQueue(t, db, queue.WithLease(lease))
		enqueueRefs(t, q, "lost", "x")
		started := make(chan queue.Element, 1)
		cause := make(chan error, 1)
		w, err := queue.NewWorker(q, []string{"lost"}, func(ctx context.Context, e queue.Element) error {
			started <- e
			select {
			case <-ctx.Done():
				cause <- context.Cause(ctx)
			case <-time.After(time.Minute):
				cause <- errors.New("not cancelled")
			}
			return nil // claims success: must not be written
		})
		require.NoError(t, err)
		stop := runWorker(t, w)
		e := <-started
		time.Sleep(5 * time.Millisecond)
		// Another claimer takes the element over (as after an expired
		// lease): a new start_date.
		require.NoError(t, q.ForceStatus(t.Context(), e.ID, queue.StatusInProgress, ""))
		taken, err := q.Get(t.Context(), e.ID)
		require.NoError(t, err)
		require.ErrorIs(t, <-cause, queue.ErrLeaseLost)
		require.NoError(t, stop())
		st := w.Stats()
		require.Equal(t, [4]int64{1, 1, 0, 0}, [4]int64{st.Claimed, st.Lost, st.Done, st.Failed}, "claimed, lost, done, failed")
		got, err := q.Get(t.Context(), e.ID)
		require.NoError(t, err)
		require.Equal(t, queue.StatusInProgress, got.Status, "not finished over the new claim")
		require.Equal(t, taken.StartDate, got.StartDate)
	})
}

// TestWorkerHandlerTimeout: a handler over its time is cancelled and its
// error recorded.
func TestWorkerHandlerTimeout(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		q := newQueue(t, db)
		ids := enqueueRefs(t, q, "slow", "x")
		w, err := queue.NewWorker(q, []string{"slow"}, func(ctx context.Context, e queue.Element) error {
			<-ctx.Done()
			return ctx.Err()
		}, queue.WithHandlerTimeout(50*time.Millisecond))
		require.NoError(t, err)
		stop := runWorker(t, w)
		waitCounts(t, q, "slow", map[queue.Status]int{queue.StatusFailed: 1})
		require.NoError(t, stop())
		e, err := q.Get(t.Context(), ids[0])
		require.NoError(t, err)
		require.Equal(t, "context deadline exceeded (handler timed out after 50ms)", e.Message)
	})
}

// TestWorkerWakesOnEnqueue: an enqueue in the same process wakes an idle
// Worker at once; its poll (an hour) would not find the element within
// the test.
func TestWorkerWakesOnEnqueue(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		q := newQueue(t, db)
		got := make(chan string, 2)
		w, err := queue.NewWorker(q, []string{"wake"}, func(ctx context.Context, e queue.Element) error {
			got <- e.Reference
			return nil
		}, queue.WithPollInterval(time.Hour))
		require.NoError(t, err)
		runWorker(t, w)
		time.Sleep(200 * time.Millisecond) // its first claim found nothing
		_, err = q.Enqueue(t.Context(), "wake", queue.NewElement{Reference: "one"})
		require.NoError(t, err)
		requireGot(t, got, "one")
		enqueueRefs(t, q, "wake", "two")
		requireGot(t, got, "two")
	})
}

func requireGot(t *testing.T, got chan string, want string) {
	t.Helper()
	select {
	case r := <-got:
		require.Equal(t, want, r)
	case <-time.After(20 * time.Second):
		t.Fatalf("%s was not picked up", want)
	}
}

// TestWorkerWakesOnNotify: on PostgreSQL an enqueue from another pool (as
// from another process) wakes the Worker through LISTEN/NOTIFY; an enqueue
// rolled back wakes nobody and leaves nothing.
func TestWorkerWakesOnNotify(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		if !db.SQLDialect().Has(store.FeatureNotify) {
			t.Skip("no LISTEN/NOTIFY on", db.SQLDialect().Name())
		}
		other, err := store.Open(t.Context(), testdb.DSN(t, db))
		require.NoError(t, err)
		defer other.Close()
		oq := newQueue(t, other)
		got := make(chan string, 2)
		w, err := queue.NewWorker(newQueue(t, db), []string{"push"}, func(ctx context.Context, e queue.Element) error {
			got <- e.Reference
			return nil
		}, queue.WithPollInterval(time.Hour))
		require.NoError(t, err)
		runWorker(t, w)
		time.Sleep(300 * time.Millisecond) // LISTEN is up, the first claim found nothing
		_, err = oq.Enqueue(t.Context(), "push", queue.NewElement{Reference: "one"})
		require.NoError(t, err)
		requireGot(t, got, "one")
		require.NoError(t, other.InTx(t.Context(), func(ctx context.Context, s *store.Session) error {
			_, err := oq.WithTx(s).EnqueueBatch(ctx, "push", []queue.NewElement{{Reference: "two"}})
			return err
		}))
		requireGot(t, got, "two")
	})
}

// TestCompleteTx: the handler's writes and the element's DONE commit
// together; when the handler's transaction fails, neither is written.
func TestCompleteTx(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		_, err := db.SQL().ExecContext(ctx, "CREATE TABLE worker_done (element_id VARCHAR(64) NOT NULL)")
		require.NoError(t, err)
		q := newQueue(t, db)
		ids := enqueueRefs(t, q, "tx", "ok-1", "bad", "ok-2")
		w, err := queue.NewWorker(q, []string{"tx"}, func(ctx context.Context, e queue.Element) error {
			return queue.CompleteTx(ctx, func(ctx context.Context, s *store.Session) error {
				if _, err := s.Raw().ExecContext(ctx, db.SQLDialect().Rebind("INSERT INTO worker_done (element_id) VALUES (?)"), e.ID.String()); err != nil {
					return err
				}
				if e.Reference == "bad" {
					return errors.New("refused")
				}
				return nil
			})
		})
		require.NoError(t, err)
		stop := runWorker(t, w)
		waitCounts(t, q, "tx", map[queue.Status]int{queue.StatusDone: 2, queue.StatusFailed: 1})
		require.NoError(t, stop())
		require.ElementsMatch(t, []string{ids[0].String(), ids[2].String()}, recorded(t, db))
		bad, err := q.Get(ctx, ids[1])
		require.NoError(t, err)
		require.Equal(t, "queue: complete tx "+ids[1].String()+": refused", bad.Message)
	})
}

// recorded returns the element ids handlers wrote to worker_done.
func recorded(t testing.TB, db *store.DB) []string {
	rows, err := db.SQL().QueryContext(context.Background(), "SELECT element_id FROM worker_done")
	require.NoError(t, err)
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id string
		require.NoError(t, rows.Scan(&id))
		out = append(out, id)
	}
	require.NoError(t, rows.Err())
	return out
}

// TestWorkerKilled runs Workers in four OS processes whose handlers record
// their element's id in a table inside the transaction that finishes it
// (CompleteTx), kills processes at random (SIGKILL) and starts new ones,
// until every element is DONE. Leases hand the dead processes' elements
// to the others; the recorded ids are exactly the enqueued ones, each
// once: nothing lost, nothing done twice. A tenth of the handler runs
// fail and are retried (WithRetry), so retries cross the kills too.
func TestWorkerKilled(t *testing.T) {
	if testdb.IsChild() {
		killedChild(t)
		return
	}
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		_, err := db.SQL().ExecContext(ctx, "CREATE TABLE worker_done (element_id VARCHAR(64) NOT NULL)")
		require.NoError(t, err)
		q := newQueue(t, db)
		// At most 16 handlers of 5-25 ms run at once: the work takes well
		// over a second, longer than the kills.
		const n = 2000
		els := make([]queue.NewElement, n)
		for i := range els {
			els[i].Reference = fmt.Sprint(i)
		}
		ids, err := q.EnqueueBatch(ctx, "killed", els)
		require.NoError(t, err)

		env := map[string]string{"KILLED_DSN": testdb.DSN(t, db)}
		// A child that exits by itself (its Worker failed) is reported.
		exited := make(chan *testdb.Child, 32)
		var killedMu sync.Mutex
		killed := map[*testdb.Child]bool{}
		start := func() *testdb.Child {
			c := testdb.StartChild(t, "TestWorkerKilled", env)
			go func() {
				_ = c.Wait()
				killedMu.Lock()
				defer killedMu.Unlock()
				if !killed[c] {
					exited <- c
				}
			}()
			return c
		}
		kill := func(c *testdb.Child) {
			killedMu.Lock()
			killed[c] = true
			killedMu.Unlock()
			require.NoError(t, c.Kill())
			_ = c.Wait()
		}
		children := make([]*testdb.Child, 4)
		for i := range children {
			children[i] = start()
		}
		require.NoError(t, children[0].WaitOutput("worker running", time.Minute))
		rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 15))
		kills := 0
		for range 10 {
			time.Sleep(time.Duration(50+rng.IntN(150)) * time.Millisecond)
			i := rng.IntN(len(children))
			kill(children[i])
			kills++
			children[i] = start()
		}
		c, err := q.Counts(ctx)
		require.NoError(t, err)
		require.Less(t, c["killed"][queue.StatusDone], n, "the kills came while there was work")
		deadline := time.Now().Add(4 * time.Minute)
		for {
			c, err := q.Counts(ctx)
			require.NoError(t, err)
			if c["killed"][queue.StatusDone] == n {
				break
			}
			select {
			case c := <-exited:
				t.Fatalf("a worker process exited by itself:\n%s", c.Output())
			case <-time.After(50 * time.Millisecond):
			}
			require.True(t, time.Now().Before(deadline), "not all done: %v", c["killed"])
		}
		for _, c := range children {
			kill(c)
		}
		got := recorded(t, db)
		t.Logf("%d kills; %d ids recorded", kills, len(got))
		want := make([]string, n)
		for i, id := range ids {
			want[i] = id.String()
		}
		require.ElementsMatch(t, want, got, "each element's work committed exactly once")
		var retried int
		require.NoError(t, db.SQL().QueryRowContext(ctx, "SELECT COUNT(*) FROM "+db.SQLDialect().Quote("Queues")+" WHERE "+
			db.SQLDialect().Quote("attempts")+" > 0").Scan(&retried))
		t.Logf("%d elements were retried", retried)
		require.Positive(t, retried, "some handlers failed and were retried")
	})
}

func killedChild(t *testing.T) {
	ctx := context.Background()
	db, err := store.Open(ctx, os.Getenv("KILLED_DSN"))
	require.NoError(t, err)
	q := newQueue(t, db, queue.WithLease(time.Second))
	insert := db.SQLDialect().Rebind("INSERT INTO worker_done (element_id) VALUES (?)")
	w, err := queue.NewWorker(q, []string{"killed"}, func(ctx context.Context, e queue.Element) error {
		time.Sleep(time.Duration(5+rand.IntN(20)) * time.Millisecond)
		if rand.IntN(10) == 0 {
			// Retried (WithRetry): the retries go through the kills too.
			return errors.New("transient")
		}
		return queue.CompleteTx(ctx, func(ctx context.Context, s *store.Session) error {
			_, err := s.Raw().ExecContext(ctx, insert, e.ID.String())
			return err
		})
	}, queue.WithConcurrency(4), queue.WithRetry(1000, func(int) time.Duration { return 20 * time.Millisecond }))
	require.NoError(t, err)
	fmt.Println("worker running")
	require.NoError(t, w.Run(ctx)) // until killed
}

// A Worker runs a handler for each element; an error marks the element
// FAILED with its text.
func ExampleNewWorker() {
	ctx := context.Background()
	db, err := store.Open(ctx, "sqlite::memory:")
	if err != nil {
		panic(err)
	}
	defer db.Close()
	if err := db.Migrate(ctx); err != nil {
		panic(err)
	}
	q, err := queue.New(db)
	if err != nil {
		panic(err)
	}
	if _, err := q.EnqueueBatch(ctx, "invoices", []queue.NewElement{{Reference: "INV-1"}, {Reference: "INV-2"}}); err != nil {
		panic(err)
	}

	w, err := queue.NewWorker(q, []string{"invoices"}, func(ctx context.Context, e queue.Element) error {
		fmt.Println("paying", e.Reference)
		if e.Reference == "INV-2" {
			return errors.New("card declined")
		}
		return nil
	}, queue.WithConcurrency(1))
	if err != nil {
		panic(err)
	}
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error)
	go func() { done <- w.Run(runCtx) }()
	for {
		c, err := q.Counts(ctx)
		if err != nil {
			panic(err)
		}
		if c["invoices"][queue.StatusNew]+c["invoices"][queue.StatusInProgress] == 0 {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	stop()
	if err := <-done; err != nil {
		panic(err)
	}
	for e, err := range q.All(ctx, queue.Filter{Queue: "invoices"}) {
		if err != nil {
			panic(err)
		}
		fmt.Println(strings.TrimSpace(fmt.Sprint(e.Reference, " ", e.Status, " ", e.Message)))
	}
	// Output:
	// paying INV-1
	// paying INV-2
	// INV-1 DONE
	// INV-2 FAILED card declined
}

// BenchmarkWorker: a Worker with a no-op handler drains b.N elements;
// the time runs until Run has written every result.
func BenchmarkWorker(b *testing.B) {
	for _, d := range testdb.Live() {
		b.Run(string(d), func(b *testing.B) {
			db := testdb.Fresh(b, d)
			q := newQueue(b, db)
			els := make([]queue.NewElement, b.N)
			for lo := 0; lo < b.N; lo += 10000 {
				_, err := q.EnqueueBatch(b.Context(), "bench", els[lo:min(lo+10000, b.N)])
				require.NoError(b, err)
			}
			var done atomic.Int64
			reached := make(chan struct{})
			target := int64(b.N)
			w, err := queue.NewWorker(q, []string{"bench"}, func(ctx context.Context, e queue.Element) error {
				if done.Add(1) == target {
					close(reached)
				}
				return nil
			}, queue.WithConcurrency(400))
			require.NoError(b, err)
			b.ResetTimer()
			ctx, cancel := context.WithCancel(b.Context())
			res := make(chan error, 1)
			go func() { res <- w.Run(ctx) }()
			<-reached
			cancel()
			require.NoError(b, <-res)
			b.StopTimer()
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "elements/s")
		})
	}
}

// BenchmarkWorkerPickup measures pickup latency — from the start of an
// Enqueue (so the INSERT and its commit are included) to the handler's
// start — with 100 enqueues a second into an otherwise idle Worker, and
// reports its median and 99th percentile. Run it with -benchtime 1x.
// Where the dialect has LISTEN/NOTIFY, "notify" enqueues through another
// pool, as another process would: only the notification wakes the Worker.
func BenchmarkWorkerPickup(b *testing.B) {
	for _, d := range testdb.Live() {
		for _, via := range []string{"local", "notify"} {
			b.Run(string(d)+"/"+via, func(b *testing.B) {
				db := testdb.Fresh(b, d)
				enq := newQueue(b, db)
				if via == "notify" {
					if !db.SQLDialect().Has(store.FeatureNotify) {
						b.Skip("no LISTEN/NOTIFY")
					}
					other, err := store.Open(b.Context(), testdb.DSN(b, db))
					require.NoError(b, err)
					b.Cleanup(func() { other.Close() })
					enq = newQueue(b, other)
				}
				benchPickup(b, newQueue(b, db), enq)
			})
		}
	}
}

func benchPickup(b *testing.B, q, enq queue.Store) {
	// The Worker works q; enq enqueues.
	const n, rate = 300, 100
	var sent sync.Map
	lat := make(chan time.Duration, n)
	w, err := queue.NewWorker(q, []string{"pickup"}, func(ctx context.Context, e queue.Element) error {
		t0, _ := sent.Load(e.Reference)
		lat <- time.Since(t0.(time.Time))
		return nil
	})
	require.NoError(b, err)
	runWorker(b, w)
	time.Sleep(100 * time.Millisecond)
	tick := time.NewTicker(time.Second / rate)
	for i := range n {
		<-tick.C
		ref := fmt.Sprint(i)
		sent.Store(ref, time.Now())
		_, err := enq.Enqueue(b.Context(), "pickup", queue.NewElement{Reference: ref})
		require.NoError(b, err)
	}
	tick.Stop()
	all := make([]time.Duration, n)
	for i := range all {
		all[i] = <-lat
	}
	slices.Sort(all)
	b.ReportMetric(float64(all[n/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(all[n*99/100].Microseconds())/1000, "p99-ms")
}

// TestWorkerHandlerOutlivesRun: a handler that ignores its context is left
// behind when Run returns; its late result is not written (the element
// waits for lease recovery) and does not upset the stopped Worker.
func TestWorkerHandlerOutlivesRun(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		q := newQueue(t, db)
		ids := enqueueRefs(t, q, "stubborn", "x")
		started, release, returned := make(chan struct{}), make(chan struct{}), make(chan struct{})
		w, err := queue.NewWorker(q, []string{"stubborn"}, func(ctx context.Context, e queue.Element) error {
			defer close(returned)
			close(started)
			<-release
			return nil
		}, queue.WithStopTimeout(10*time.Millisecond), queue.WithQueryTimeout(100*time.Millisecond),
			queue.WithWorkerLogger(slog.New(slog.DiscardHandler)))
		require.NoError(t, err)
		stop := runWorker(t, w)
		<-started
		require.NoError(t, stop())
		close(release)
		<-returned
		time.Sleep(50 * time.Millisecond) // the late result is dropped, not written
		e, err := q.Get(t.Context(), ids[0])
		require.NoError(t, err)
		require.Equal(t, queue.StatusInProgress, e.Status)
	})
}

// TestWorkerFailureText: an error text no message column can hold as it
// is — too long, with NUL and invalid UTF-8 — is stored cleaned and cut,
// not refused.
func TestWorkerFailureText(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		q := newQueue(t, db)
		ids := enqueueRefs(t, q, "text", "x")
		long := "bad\x00\xff" + strings.Repeat("é", 3000)
		w, err := queue.NewWorker(q, []string{"text"}, func(ctx context.Context, e queue.Element) error {
			return errors.New(long)
		})
		require.NoError(t, err)
		stop := runWorker(t, w)
		waitCounts(t, q, "text", map[queue.Status]int{queue.StatusFailed: 1})
		require.NoError(t, stop())
		e, err := q.Get(t.Context(), ids[0])
		require.NoError(t, err)
		require.True(t, strings.HasPrefix(e.Message, "bad\uFFFDéé"), e.Message[:10])
		require.LessOrEqual(t, db.SQLDialect().TextLen(e.Message), queue.MaxMessage)
		require.Greater(t, db.SQLDialect().TextLen(e.Message), queue.MaxMessage-10)
	})
}
