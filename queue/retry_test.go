package queue_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
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

// retryColumns reads an element's attempts and retry_at as stored, NULL
// as nil: the columns a Worker without WithRetry must leave alone.
func retryColumns(t *testing.T, db *store.DB, id uuid.UUID) (attempts, retryAt any) {
	t.Helper()
	d := db.SQLDialect()
	var a sql0
	var r sql0
	row := db.SQL().QueryRowContext(t.Context(), d.Rebind("SELECT "+d.Quote("attempts")+", "+d.Quote("retry_at")+" FROM "+d.Quote("Queues")+" WHERE "+d.Quote("id")+" = ?"), db.RefUUID(id))
	require.NoError(t, row.Scan(&a, &r))
	return a.v, r.v
}

// sql0 scans any value, NULL as nil.
type sql0 struct{ v any }

func (s *sql0) Scan(v any) error { s.v = v; return nil }

// setRetry writes a FAILED element's retry columns as a retrying Worker
// (of this or another process) leaves them.
func setRetry(t *testing.T, db *store.DB, id uuid.UUID, attempts int, retryAt time.Time) {
	t.Helper()
	d := db.SQLDialect()
	q := d.Quote
	res, err := db.SQL().ExecContext(t.Context(), d.Rebind("UPDATE "+q("Queues")+" SET "+q("status")+" = 'FAILED', "+q("end_date")+" = ?, "+
		q("message")+" = ?, "+q("attempts")+" = ?, "+q("retry_at")+" = ? WHERE "+q("id")+" = ?"),
		db.Naive(db.Now()), "failed", attempts, db.Naive(retryAt), db.RefUUID(id))
	require.NoError(t, err)
	n, err := res.RowsAffected()
	require.NoError(t, err)
	require.EqualValues(t, 1, n)
}

// TestRetryDue: RetryDue sets back to NEW exactly the queue's FAILED
// elements whose retry_at has passed, once, even with sweeps running at
// the same time; a FAILED element without retry_at (OpenOrchestrator's)
// stays FAILED; ForceStatus cancels a waiting retry.
func TestRetryDue(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		q := newQueue(t, db)
		ids := enqueueRefs(t, q, "rd", "due", "later", "oo-failed", "in-progress", "forced")
		other := enqueueRefs(t, q, "rd-other", "due-elsewhere")
		now := db.Now()
		setRetry(t, db, ids[0], 2, now.Add(-time.Second))
		setRetry(t, db, ids[1], 1, now.Add(time.Hour))
		require.NoError(t, q.ForceStatus(ctx, ids[2], queue.StatusFailed, "robot failed it"))
		require.NoError(t, q.ForceStatus(ctx, ids[3], queue.StatusInProgress, ""))
		setRetry(t, db, ids[4], 1, now.Add(-time.Second))
		setRetry(t, db, other[0], 1, now.Add(-time.Second))

		// An administrator's ForceStatus wins over the schedule.
		require.NoError(t, q.ForceStatus(ctx, ids[4], queue.StatusFailed, ""))
		forced, err := q.Get(ctx, ids[4])
		require.NoError(t, err)
		require.True(t, forced.RetryAt.IsZero(), "ForceStatus clears retry_at")
		require.Equal(t, 1, forced.Attempts)

		waiting, err := q.Get(ctx, ids[1])
		require.NoError(t, err)
		require.Equal(t, queue.StatusFailed, waiting.Status)
		require.Equal(t, 1, waiting.Attempts)
		require.WithinDuration(t, now.Add(time.Hour), waiting.RetryAt, time.Millisecond)

		n, err := q.RetryDue(ctx, "rd", db.Now())
		require.NoError(t, err)
		require.Equal(t, 1, n)
		e, err := q.Get(ctx, ids[0])
		require.NoError(t, err)
		require.Equal(t, queue.StatusNew, e.Status)
		require.Equal(t, 2, e.Attempts, "attempts stay")
		require.Equal(t, "failed", e.Message, "the last failure's message stays")
		require.True(t, e.RetryAt.IsZero() && e.StartDate.IsZero() && e.EndDate.IsZero(), "%+v", e)
		for i, want := range []queue.Status{queue.StatusNew, queue.StatusFailed, queue.StatusFailed, queue.StatusInProgress, queue.StatusFailed} {
			e, err := q.Get(ctx, ids[i])
			require.NoError(t, err)
			require.Equal(t, want, e.Status, "element %d", i)
		}
		a, r := retryColumns(t, db, ids[2])
		require.Nil(t, a)
		require.Nil(t, r)
		n, err = q.RetryDue(ctx, "rd", db.Now())
		require.NoError(t, err)
		require.Zero(t, n, "a second sweep finds nothing")

		// The claim hands the element out again.
		c, err := q.Claim(ctx, "rd")
		require.NoError(t, err)
		require.Equal(t, ids[0], c.ID)

		// Sweeps at the same time move each element once.
		const many = 40
		more := make([]string, many)
		for i := range more {
			more[i] = fmt.Sprint("m", i)
		}
		for _, id := range enqueueRefs(t, q, "rd-many", more...) {
			setRetry(t, db, id, 1, now.Add(-time.Second))
		}
		var total atomic.Int64
		var wg sync.WaitGroup
		for range 6 {
			wg.Go(func() {
				n, err := q.RetryDue(ctx, "rd-many", db.Now())
				if err != nil {
					t.Error(err)
				}
				total.Add(int64(n))
			})
		}
		wg.Wait()
		require.EqualValues(t, many, total.Load())
		cnt, err := q.Counts(ctx)
		require.NoError(t, err)
		require.Equal(t, map[queue.Status]int{queue.StatusNew: many}, cnt["rd-many"])
		require.Equal(t, map[queue.Status]int{queue.StatusFailed: 1}, cnt["rd-other"], "another queue is left alone")
	})
}

func TestRetryDueRefuses(t *testing.T) {
	db := testdb.Fresh(t, store.SQLite)
	q := newQueue(t, db)
	var nilCtx context.Context
	_, err := q.RetryDue(nilCtx, "q", db.Now())
	require.ErrorIs(t, err, store.ErrInvalid)
	_, err = q.RetryDue(t.Context(), "q", time.Time{})
	require.ErrorIs(t, err, store.ErrInvalid)
	_, err = q.RetryDue(t.Context(), "", db.Now())
	require.ErrorIs(t, err, store.ErrInvalid)
	_, err = q.RetryDue(t.Context(), "bad\x00name", db.Now())
	require.ErrorIs(t, err, store.ErrInvalid)

	h := func(context.Context, queue.Element) error { return nil }
	for _, n := range []int{0, -1} {
		_, err := queue.NewWorker(q, []string{"q"}, h, queue.WithRetry(n, nil))
		require.ErrorIs(t, err, store.ErrInvalid, "WithRetry(%d)", n)
	}
	_, err = queue.NewWorker(q, []string{"q"}, h, queue.WithRetry(1, nil))
	require.NoError(t, err)
}

func TestRetryBackoff(t *testing.T) {
	for _, c := range []struct {
		attempt int
		base    time.Duration
	}{{0, time.Second}, {1, time.Second}, {2, 2 * time.Second}, {3, 4 * time.Second}, {12, 2048 * time.Second}, {13, time.Hour}, {1000, time.Hour}} {
		for range 50 {
			d := queue.RetryBackoff(c.attempt)
			require.GreaterOrEqual(t, d, c.base, "attempt %d", c.attempt)
			require.LessOrEqual(t, d, c.base+c.base/4, "attempt %d", c.attempt)
		}
	}
}

// TestWorkerRetries: with WithRetry(3, …) a failing element runs three
// times, each retry no earlier than its backoff after the run before, and
// is then FAILED for good; one that fails twice and then succeeds is DONE
// with two attempts recorded.
func TestWorkerRetries(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		q := newQueue(t, db)
		ids := enqueueRefs(t, q, "retry", "always", "twice", "ok")
		backoff := func(attempt int) time.Duration { return time.Duration(attempt) * 150 * time.Millisecond }
		var mu sync.Mutex
		calls := map[string][]time.Time{}
		seen := map[string][]int{} // the Attempts each run's handler saw
		w, err := queue.NewWorker(q, []string{"retry"}, func(ctx context.Context, e queue.Element) error {
			mu.Lock()
			calls[e.Reference] = append(calls[e.Reference], time.Now())
			seen[e.Reference] = append(seen[e.Reference], e.Attempts)
			n := len(calls[e.Reference])
			mu.Unlock()
			switch {
			case e.Reference == "always", e.Reference == "twice" && n <= 2:
				return fmt.Errorf("fail %d of %s", n, e.Reference)
			}
			return nil
		}, queue.WithRetry(3, backoff), queue.WithPollInterval(50*time.Millisecond), queue.WithConcurrency(4))
		require.NoError(t, err)
		stop := runWorker(t, w)

		// While it waits, an element is FAILED with its retry_at set.
		deadline := time.Now().Add(time.Minute)
		for {
			e, err := q.Get(ctx, ids[0])
			require.NoError(t, err)
			if e.Status == queue.StatusFailed && !e.RetryAt.IsZero() {
				require.Equal(t, 1, e.Attempts)
				require.Equal(t, "fail 1 of always", e.Message)
				require.WithinDuration(t, e.EndDate.Add(backoff(1)), e.RetryAt, 50*time.Millisecond)
				break
			}
			require.True(t, time.Now().Before(deadline), "never saw the element waiting: %+v", e)
			time.Sleep(5 * time.Millisecond)
		}
		for {
			e, err := q.Get(ctx, ids[0])
			require.NoError(t, err)
			if e.Attempts == 3 {
				break
			}
			require.True(t, time.Now().Before(deadline), "attempts used up: %+v", e)
			time.Sleep(20 * time.Millisecond)
		}
		waitCounts(t, q, "retry", map[queue.Status]int{queue.StatusDone: 2, queue.StatusFailed: 1})
		// Several sweep periods more: nothing runs again.
		time.Sleep(600 * time.Millisecond)
		require.NoError(t, stop())

		always, err := q.Get(ctx, ids[0])
		require.NoError(t, err)
		require.Equal(t, queue.StatusFailed, always.Status)
		require.Equal(t, "fail 3 of always", always.Message)
		require.True(t, always.RetryAt.IsZero(), "the last failure is final")
		twice, err := q.Get(ctx, ids[1])
		require.NoError(t, err)
		require.Equal(t, queue.StatusDone, twice.Status)
		require.Equal(t, 2, twice.Attempts)
		// A handler sees how many runs of its element failed before.
		mu.Lock()
		require.Equal(t, map[string][]int{"always": {0, 1, 2}, "twice": {0, 1, 2}, "ok": {0}}, seen)
		mu.Unlock()
		ok, err := q.Get(ctx, ids[2])
		require.NoError(t, err)
		require.Equal(t, 0, ok.Attempts)
		a, r := retryColumns(t, db, ids[2])
		require.Nil(t, a, "an element that never failed keeps NULL")
		require.Nil(t, r)

		require.Len(t, calls["always"], 3)
		require.Len(t, calls["twice"], 3)
		require.Len(t, calls["ok"], 1)
		for _, ref := range []string{"always", "twice"} {
			for i := 1; i < 3; i++ {
				gap := calls[ref][i].Sub(calls[ref][i-1])
				// retry_at is set after the run that failed ended: the
				// next run cannot start before its backoff has passed
				// (less the microsecond the columns round to).
				require.GreaterOrEqual(t, gap, backoff(i)-time.Millisecond, "%s: run %d came %s after run %d", ref, i+1, gap, i)
			}
		}
		st := w.Stats()
		require.EqualValues(t, 5, st.Failed, "failures written")
		require.EqualValues(t, 4, st.Retried, "elements set back to NEW")
		require.EqualValues(t, 0, st.Lost)
	})
}

// TestWorkerWithoutRetry: without WithRetry a failing element is FAILED
// once, as OpenOrchestrator marks it, and the retry columns stay NULL —
// also for an element OpenOrchestrator wrote. A FAILED element without
// retry_at is never picked up by a retrying Worker's sweeps.
func TestWorkerWithoutRetry(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		q := newQueue(t, db)
		o := robot{t: t, db: db, zone: db.Zone()}
		robotID := o.create("plain", "from-robot", "", "robot", time.Now())
		ours := enqueueRefs(t, q, "plain", "from-flowstore")[0]
		failedByRobot := o.create("retrying", "failed-by-robot", "", "robot", time.Now())
		o.setStatus(failedByRobot, queue.StatusFailed, time.Now())

		var calls sync.Map
		count := func(ref string) int {
			v, _ := calls.LoadOrStore(ref, new(atomic.Int64))
			return int(v.(*atomic.Int64).Add(1))
		}
		h := func(ctx context.Context, e queue.Element) error {
			count(e.Reference)
			return errors.New("no luck")
		}
		plain, err := queue.NewWorker(q, []string{"plain"}, h, queue.WithPollInterval(20*time.Millisecond))
		require.NoError(t, err)
		retrying, err := queue.NewWorker(q, []string{"retrying"}, h, queue.WithRetry(5, func(int) time.Duration { return 0 }),
			queue.WithPollInterval(20*time.Millisecond))
		require.NoError(t, err)
		stopPlain := runWorker(t, plain)
		stopRetrying := runWorker(t, retrying)
		waitCounts(t, q, "plain", map[queue.Status]int{queue.StatusFailed: 2})
		// Well over five poll intervals: the retrying Worker sweeps several
		// times.
		time.Sleep(500 * time.Millisecond)
		require.NoError(t, stopPlain())
		require.NoError(t, stopRetrying())

		for _, id := range []uuid.UUID{robotID, ours, failedByRobot} {
			e, err := q.Get(ctx, id)
			require.NoError(t, err)
			require.Equal(t, queue.StatusFailed, e.Status, e.Reference)
			a, r := retryColumns(t, db, id)
			require.Nil(t, a, "%s: attempts", e.Reference)
			require.Nil(t, r, "%s: retry_at", e.Reference)
		}
		for _, ref := range []string{"from-robot", "from-flowstore"} {
			v, ok := calls.Load(ref)
			require.True(t, ok, ref)
			require.EqualValues(t, 1, v.(*atomic.Int64).Load(), "%s ran once", ref)
		}
		_, ran := calls.Load("failed-by-robot")
		require.False(t, ran, "a FAILED element without retry_at is not retried")
		require.Zero(t, retrying.Stats().Retried)
		require.EqualValues(t, 2, plain.Stats().Failed)
	})
}

// TestWorkerRetryExactlyOnce: two retrying Workers work one queue whose
// handlers fail at random before committing their work with CompleteTx.
// No element ever runs in two handlers at once, every element ends DONE,
// its attempts count its failed runs, and the work recorded is exactly
// one row per element.
func TestWorkerRetryExactlyOnce(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		_, err := db.SQL().ExecContext(ctx, "CREATE TABLE worker_done (element_id VARCHAR(64) NOT NULL)")
		require.NoError(t, err)
		q := newQueue(t, db)
		const n = 60
		refs := make([]string, n)
		for i := range refs {
			refs[i] = fmt.Sprint(i)
		}
		ids := enqueueRefs(t, q, "once", refs...)
		insert := db.SQLDialect().Rebind("INSERT INTO worker_done (element_id) VALUES (?)")

		var mu sync.Mutex
		running := map[uuid.UUID]bool{}
		failures := map[uuid.UUID]int{}
		var overlaps atomic.Int64
		h := func(ctx context.Context, e queue.Element) error {
			mu.Lock()
			if running[e.ID] {
				overlaps.Add(1)
			}
			running[e.ID] = true
			mu.Unlock()
			defer func() {
				mu.Lock()
				delete(running, e.ID)
				mu.Unlock()
			}()
			time.Sleep(time.Duration(1+rand.IntN(4)) * time.Millisecond)
			if rand.IntN(2) == 0 {
				mu.Lock()
				failures[e.ID]++
				mu.Unlock()
				return errors.New("transient")
			}
			return queue.CompleteTx(ctx, func(ctx context.Context, s *store.Session) error {
				_, err := s.Raw().ExecContext(ctx, insert, e.ID.String())
				return err
			})
		}
		var stops []func() error
		var workers []*queue.Worker
		for range 2 {
			w, err := queue.NewWorker(q, []string{"once"}, h, queue.WithConcurrency(8), queue.WithPollInterval(20*time.Millisecond),
				queue.WithRetry(1000, func(int) time.Duration { return time.Duration(rand.IntN(10)) * time.Millisecond }))
			require.NoError(t, err)
			workers = append(workers, w)
			stops = append(stops, runWorker(t, w))
		}
		waitCounts(t, q, "once", map[queue.Status]int{queue.StatusDone: n})
		for _, stop := range stops {
			require.NoError(t, stop())
		}
		require.Zero(t, overlaps.Load(), "an element ran in two handlers at once")

		want := make([]string, n)
		for i, id := range ids {
			want[i] = id.String()
		}
		require.ElementsMatch(t, want, recorded(t, db), "each element's work committed exactly once")
		total, retried := 0, int64(0)
		for _, id := range ids {
			e, err := q.Get(ctx, id)
			require.NoError(t, err)
			require.Equal(t, failures[id], e.Attempts, "attempts of %s", e.Reference)
			require.True(t, e.RetryAt.IsZero())
			total += failures[id]
		}
		for _, w := range workers {
			retried += w.Stats().Retried
		}
		require.Greater(t, total, 0, "some runs failed")
		require.EqualValues(t, total, retried, "each failure was retried once")
	})
}

// TestWorkerRetryFenced: a handler whose element another claim took over
// while it ran fails; its Worker writes neither FAILED nor a retry over
// the new claim.
func TestWorkerRetryFenced(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		q := newQueue(t, db)
		id := enqueueRefs(t, q, "fenced", "x")[0]
		started, release := make(chan struct{}), make(chan struct{})
		w, err := queue.NewWorker(q, []string{"fenced"}, func(ctx context.Context, e queue.Element) error {
			close(started)
			<-release
			return errors.New("late failure")
		}, queue.WithRetry(3, nil))
		require.NoError(t, err)
		stop := runWorker(t, w)
		<-started
		time.Sleep(5 * time.Millisecond)
		require.NoError(t, q.ForceStatus(ctx, id, queue.StatusInProgress, "")) // another claim, as after an expired lease
		taken, err := q.Get(ctx, id)
		require.NoError(t, err)
		close(release)
		require.NoError(t, stop())
		st := w.Stats()
		require.Equal(t, [3]int64{1, 0, 0}, [3]int64{st.Lost, st.Failed, st.Retried}, "lost, failed, retried")
		got, err := q.Get(ctx, id)
		require.NoError(t, err)
		require.Equal(t, queue.StatusInProgress, got.Status)
		require.Equal(t, taken.StartDate, got.StartDate)
		require.Zero(t, got.Attempts)
		require.True(t, got.RetryAt.IsZero())
	})
}

// A Worker with WithRetry runs a failing element again after a backoff,
// up to a maximum of attempts.
func ExampleWithRetry() {
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
	e, err := q.Enqueue(ctx, "invoices", queue.NewElement{Reference: "INV-1"})
	if err != nil {
		panic(err)
	}

	var runs atomic.Int64
	w, err := queue.NewWorker(q, []string{"invoices"}, func(ctx context.Context, e queue.Element) error {
		n := runs.Add(1)
		fmt.Println("paying", e.Reference, "run", n)
		if n < 3 {
			return errors.New("gateway busy")
		}
		return nil
	}, queue.WithConcurrency(1), queue.WithRetry(5, func(attempt int) time.Duration {
		return time.Duration(attempt) * 10 * time.Millisecond
	}))
	if err != nil {
		panic(err)
	}
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error)
	go func() { done <- w.Run(runCtx) }()
	for {
		got, err := q.Get(ctx, e.ID)
		if err != nil {
			panic(err)
		}
		if got.Status == queue.StatusDone {
			fmt.Println(got.Status, "after", got.Attempts, "failed attempts; last message:", got.Message)
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	stop()
	if err := <-done; err != nil {
		panic(err)
	}
	// Output:
	// paying INV-1 run 1
	// paying INV-1 run 2
	// paying INV-1 run 3
	// DONE after 2 failed attempts; last message: gateway busy
}

// BenchmarkRetryDue: one idle sweep (nothing due) of a queue holding
// 50,000 FAILED elements without retry_at — OpenOrchestrator's failures,
// or a Worker's without WithRetry — and 100 waiting for a later retry.
// The index on (queue_name, retry_at), partial where the dialect allows,
// keeps the sweep from reading the FAILED elements.
func BenchmarkRetryDue(b *testing.B) {
	for _, d := range testdb.Live() {
		b.Run(string(d), func(b *testing.B) {
			ctx := b.Context()
			db := testdb.Fresh(b, d)
			q := newQueue(b, db)
			const n = 50000
			els := make([]queue.NewElement, 10000)
			for range n / len(els) {
				_, err := q.EnqueueBatch(ctx, "bench", els)
				require.NoError(b, err)
			}
			waiting, err := q.EnqueueBatch(ctx, "bench", els[:100])
			require.NoError(b, err)
			dl := db.SQLDialect()
			_, err = db.SQL().ExecContext(ctx, dl.Rebind("UPDATE "+dl.Quote("Queues")+" SET "+dl.Quote("status")+" = 'FAILED', "+
				dl.Quote("end_date")+" = ? WHERE "+dl.Quote("queue_name")+" = 'bench'"), db.Naive(db.Now()))
			require.NoError(b, err)
			later := db.Naive(db.Now().Add(time.Hour))
			for _, id := range waiting {
				_, err := db.SQL().ExecContext(ctx, dl.Rebind("UPDATE "+dl.Quote("Queues")+" SET "+dl.Quote("retry_at")+" = ?, "+
					dl.Quote("attempts")+" = 1 WHERE "+dl.Quote("id")+" = ?"), later, db.RefUUID(id))
				require.NoError(b, err)
			}
			if d == store.Postgres {
				// As autovacuum would soon: without statistics the planner
				// takes the (queue_name, status, end_date) index and reads
				// every FAILED element (5.7 ms here, against 0.03 ms).
				_, err := db.SQL().ExecContext(ctx, "ANALYZE "+dl.Quote("Queues"))
				require.NoError(b, err)
			}
			for b.Loop() {
				n, err := q.RetryDue(ctx, "bench", db.Now())
				if err != nil || n != 0 {
					b.Fatal(n, err)
				}
			}
		})
	}
}
