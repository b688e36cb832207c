package queue_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/flowstore/flowstore/internal/testdb"
	"github.com/flowstore/flowstore/queue"
	"github.com/flowstore/flowstore/store"
)

// The exactly-once claim test: 16 goroutines in this process and 4 child
// processes with 4 goroutines each drain one queue at the same time, half of
// them one element at a time, half in batches. Every element must be claimed
// by exactly one worker, and every worker's finish (conditional on
// IN_PROGRESS) must succeed.
const (
	claimElements  = 400
	claimGoroutine = 16
	claimChildren  = 4
	childWorkers   = 4
)

func TestClaimExactlyOnce(t *testing.T) {
	if testdb.IsChild() {
		claimChild(t)
		return
	}
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		q := newQueue(t, db)
		els := make([]queue.NewElement, claimElements)
		for i := range els {
			els[i].Reference = strconv.Itoa(i)
		}
		ids, err := q.EnqueueBatch(ctx, "once", els)
		require.NoError(t, err)
		// A second queue the workers must not touch.
		_, err = q.Enqueue(ctx, "bystander", queue.NewElement{})
		require.NoError(t, err)

		dir := t.TempDir()
		var children sync.WaitGroup
		children.Go(func() {
			testdb.RunChildren(t, claimChildren, "TestClaimExactlyOnce", map[string]string{"CLAIM_DSN": testdb.DSN(t, db), "CLAIM_DIR": dir})
		})
		// Start together with the children: wait until they are all ready.
		waitFiles(t, dir, "ready-", claimChildren)
		require.NoError(t, os.WriteFile(filepath.Join(dir, "start"), nil, 0o644))
		mine := drain(t, db, "parent", claimGoroutine, func() { meet(t, dir, "parent") })
		children.Wait()

		seen := map[uuid.UUID]string{}
		record := func(who string, got []uuid.UUID) {
			for _, id := range got {
				if prev, dup := seen[id]; dup {
					t.Errorf("element %s claimed twice: by %s and by %s", id, prev, who)
				}
				seen[id] = who
			}
		}
		record("parent", mine)
		for i := range claimChildren {
			b, err := os.ReadFile(filepath.Join(dir, fmt.Sprintf("claimed-%d", i)))
			require.NoError(t, err)
			var got []uuid.UUID
			for _, line := range strings.Fields(string(b)) {
				got = append(got, uuid.MustParse(line))
			}
			require.NotEmpty(t, got, "child %d claimed nothing: no real concurrency", i)
			record(fmt.Sprintf("child %d", i), got)
		}
		require.NotEmpty(t, mine, "the parent claimed nothing")
		require.Len(t, seen, claimElements)
		for _, id := range ids {
			require.Contains(t, seen, id)
		}
		c, err := q.Counts(ctx)
		require.NoError(t, err)
		require.Equal(t, queue.Counts{"once": {queue.StatusDone: claimElements}, "bystander": {queue.StatusNew: 1}}, c)
	})
}

// claimChild is the child side: announce readiness, wait for the start
// signal, drain, and write the claimed ids to a file.
func claimChild(t *testing.T) {
	dir := os.Getenv("CLAIM_DIR")
	db, err := store.Open(t.Context(), os.Getenv("CLAIM_DSN"))
	require.NoError(t, err)
	defer db.Close()
	me := claimSlot(t, dir)
	require.NoError(t, os.WriteFile(filepath.Join(dir, fmt.Sprintf("ready-%d", me)), nil, 0o644))
	waitFiles(t, dir, "start", 1)
	who := fmt.Sprintf("child %d", me)
	got := drain(t, db, who, childWorkers, func() { meet(t, dir, who) })
	var b strings.Builder
	for _, id := range got {
		b.WriteString(id.String() + "\n")
	}
	require.NoError(t, os.WriteFile(filepath.Join(dir, fmt.Sprintf("claimed-%d", me)), []byte(b.String()), 0o644))
}

// claimSlot gives each child a distinct number by creating slot files
// exclusively.
func claimSlot(t *testing.T, dir string) int {
	for i := 0; ; i++ {
		f, err := os.OpenFile(filepath.Join(dir, fmt.Sprintf("slot-%d", i)), os.O_CREATE|os.O_EXCL, 0o644)
		if err == nil {
			f.Close()
			return i
		}
		require.ErrorIs(t, err, os.ErrExist)
	}
}

// waitFiles waits until dir holds n files whose names start with prefix.
func waitFiles(t *testing.T, dir, prefix string, n int) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		m, err := filepath.Glob(filepath.Join(dir, prefix+"*"))
		require.NoError(t, err)
		if len(m) >= n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("waited a minute for %d %s* files, have %d", n, prefix, len(m))
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// meet is the processes' meeting point after their first claims: it marks
// who as having claimed, then waits until the parent and every child have.
// Without it a process that the machine's load starts late can find the
// queue drained by the others, and the test would not show that every
// process took part.
func meet(t *testing.T, dir, who string) {
	require.NoError(t, os.WriteFile(filepath.Join(dir, "first-"+strings.ReplaceAll(who, " ", "-")), nil, 0o644))
	waitFiles(t, dir, "first-", claimChildren+1)
}

// drain runs workers goroutines that claim and finish until the queue is
// empty; even-numbered ones claim one element at a time, odd ones three.
// Goroutine 0 claims first, alone, and calls met before the others start.
// It returns every id claimed.
func drain(t *testing.T, db *store.DB, who string, workers int, met func()) []uuid.UUID {
	q := newQueue(t, db)
	ctx := t.Context()
	var mu sync.Mutex
	var all []uuid.UUID
	var wg sync.WaitGroup
	first := make(chan struct{})
	release := sync.OnceFunc(func() { close(first) })
	for w := range workers {
		wg.Go(func() {
			if w > 0 {
				<-first
			} else {
				defer release()
			}
			for i := 0; ; i++ {
				if w == 0 && i == 1 {
					met()
					release()
				}
				var els []queue.Element
				if w%2 == 0 {
					e, err := q.Claim(ctx, "once")
					if errors.Is(err, queue.ErrEmpty) {
						return
					}
					if err != nil {
						t.Errorf("%s worker %d: claim: %v", who, w, err)
						return
					}
					els = []queue.Element{e}
				} else {
					var err error
					els, err = q.ClaimBatch(ctx, "once", 3)
					if err != nil {
						t.Errorf("%s worker %d: claim batch: %v", who, w, err)
						return
					}
					if len(els) == 0 {
						return
					}
				}
				ids := make([]uuid.UUID, len(els))
				for i, e := range els {
					if e.Status != queue.StatusInProgress || e.QueueName != "once" {
						t.Errorf("%s worker %d: claimed %+v", who, w, e)
					}
					ids[i] = e.ID
				}
				mu.Lock()
				all = append(all, ids...)
				mu.Unlock()
				// The work itself: a moment with the elements claimed, as a
				// real worker has, so that every process takes part before
				// the queue is drained (on SQLite the parent's goroutines
				// could otherwise take the write lock turn after turn).
				time.Sleep(time.Millisecond)
				if len(ids) == 1 {
					if err := q.Finish(ctx, ids[0], queue.Done(who)); err != nil {
						t.Errorf("%s worker %d: finish: %v", who, w, err)
					}
				} else if n, err := q.FinishBatch(ctx, ids, queue.Done(who)); err != nil || n != len(ids) {
					t.Errorf("%s worker %d: finish batch: %d of %d, %v", who, w, n, len(ids), err)
				}
			}
		})
	}
	wg.Wait()
	return all
}

// TestClaimNeverExceedsLimit forces, on PostgreSQL, the plan in which a
// claim of the form UPDATE … WHERE id IN (SELECT … LIMIT n FOR UPDATE SKIP
// LOCKED) takes far more than n elements: statistics from an empty table
// and the planner's other join methods switched off make it run the
// subquery once per row of a nested loop, each run skipping the rows
// already changed and locking the next n. The claim's MATERIALIZED CTE runs
// once whatever the plan. (The other dialects have no such plan: SQLite
// evaluates an IN list once, MySQL claims with a plain SELECT and SQL
// Server updates its TOP (n) CTE.)
func TestClaimNeverExceedsLimit(t *testing.T) {
	db := testdb.Fresh(t, store.Postgres)
	ctx := t.Context()
	q := newQueue(t, db)
	_, err := db.SQL().ExecContext(ctx, `ANALYZE "Queues"`) // while it is empty
	require.NoError(t, err)
	_, err = q.EnqueueBatch(ctx, "limit", make([]queue.NewElement, 50))
	require.NoError(t, err)
	for _, n := range []int{1, 2, 7} {
		err = db.InTx(ctx, func(ctx context.Context, s *store.Session) error {
			for _, off := range []string{"enable_hashjoin", "enable_mergejoin", "enable_hashagg", "enable_sort", "enable_material"} {
				if _, err := s.Raw().ExecContext(ctx, "SET LOCAL "+off+" = off"); err != nil {
					return err
				}
			}
			var els []queue.Element
			var err error
			if n == 1 {
				var e queue.Element
				if e, err = q.WithTx(s).Claim(ctx, "limit"); err == nil {
					els = []queue.Element{e}
				}
			} else {
				els, err = q.WithTx(s).ClaimBatch(ctx, "limit", n)
			}
			if err != nil {
				return err
			}
			require.Equal(t, n, len(els), "claimed elements returned")
			// Claim returns one element: count what the statement changed.
			c, err := q.WithTx(s).Counts(ctx)
			if err != nil {
				return err
			}
			require.Equal(t, n, c["limit"][queue.StatusInProgress], "elements the claim set IN_PROGRESS")
			return errors.New("roll back") // leave the queue as it was
		})
		require.EqualError(t, err, "roll back")
		c, err := q.Counts(ctx)
		require.NoError(t, err)
		require.Equal(t, queue.Counts{"limit": {queue.StatusNew: 50}}, c)
	}
}
