package trigger_test

import (
	"context"
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

func TestMain(m *testing.M) { testdb.Main(m) }

// T0 is the injected clock's start: a Sunday, 10:00 UTC.
var T0 = time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)

// clock is a settable clock for store.WithClock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock(t time.Time) *clock { return &clock{t: t} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// withClock opens a second handle on db's database whose store clock is c.
func withClock(t *testing.T, db *store.DB, c *clock) *store.DB {
	t.Helper()
	cdb, err := store.Open(t.Context(), testdb.DSN(t, db), store.WithClock(c.Now))
	require.NoError(t, err)
	t.Cleanup(func() { _ = cdb.Close() })
	return cdb
}

func base(name string) trigger.Spec {
	return trigger.Spec{Name: name, ProcessName: "proc-" + name, ProcessPath: "/robots/" + name + ".py"}
}

func single(name string, next time.Time) trigger.Spec {
	s := base(name)
	s.Type, s.NextRun = trigger.Single, next
	return s
}

func scheduled(name, cron string, next time.Time) trigger.Spec {
	s := base(name)
	s.Type, s.CronExpr, s.NextRun = trigger.Scheduled, cron, next
	return s
}

func queued(name, queue string, minBatch int) trigger.Spec {
	s := base(name)
	s.Type, s.QueueName, s.MinBatchSize = trigger.Queue, queue, minBatch
	return s
}

// enqueue adds n NEW elements to a queue with plain SQL (the queue package
// is not this package's dependency), as OpenOrchestrator writes them: ids
// as its Uuid, created_date naive.
func enqueue(t testing.TB, db *store.DB, queue string, n int) {
	t.Helper()
	q := db.SQLDialect().Quote
	for range n {
		_, err := db.Bun().NewRaw("INSERT INTO "+q("Queues")+" ("+q("id")+", "+q("queue_name")+", "+q("status")+", "+q("created_date")+") VALUES (?, ?, 'NEW', ?)",
			db.RefUUID(uuid.New()), queue, db.Naive(db.Now())).Exec(context.Background())
		require.NoError(t, err)
	}
}

// drain marks a queue's NEW elements DONE, as a robot working through them would.
func drain(ctx context.Context, db *store.DB, queue string) error {
	q := db.SQLDialect().Quote
	_, err := db.Bun().NewRaw("UPDATE "+q("Queues")+" SET "+q("status")+" = 'DONE' WHERE "+q("queue_name")+" = ? AND "+q("status")+" = 'NEW'", queue).Exec(ctx)
	return err
}

// force sets a trigger's status (and owner) directly, to set up a transition test.
func force(t testing.TB, db *store.DB, id uuid.UUID, st trigger.Status, owner string) {
	t.Helper()
	q := db.SQLDialect().Quote
	var o any
	if owner != "" {
		o = owner
	}
	_, err := db.Bun().NewRaw("UPDATE "+q("Triggers")+" SET "+q("process_status")+" = ?, "+q("flowstore_scheduler")+" = ? WHERE "+q("id")+" IN (?)", string(st), o, bun.In(db.RefUUIDs(id))).Exec(context.Background())
	require.NoError(t, err)
}

func get(t testing.TB, s trigger.Store, id uuid.UUID) trigger.Trigger {
	t.Helper()
	tr, err := s.Get(context.Background(), id)
	require.NoError(t, err)
	return tr
}

// newStore returns the trigger store of db.
func newStore(t testing.TB, db *store.DB) trigger.Store {
	t.Helper()
	s, err := trigger.New(db)
	require.NoError(t, err)
	return s
}
