package faults_test

import (
	"context"
	"testing"
	"time"

	"github.com/flowstore/flowstore/internal/testdb"
	"github.com/flowstore/flowstore/store"
	"github.com/flowstore/flowstore/trigger"
)

// TestSchedulerRecordsRunAfterOutage: the database cannot take writes at
// the moment a handler returns (here another connection holds SQLite's
// exclusive lock longer than the scheduler's query timeout; in
// TestRestartUnderLoad it was a MariaDB restart). The scheduler must record
// the run once the database answers again. Before the fix it tried once and
// gave up, leaving the trigger RUNNING under a live scheduler, so no
// scheduler ever recovered it and it never started again.
func TestSchedulerRecordsRunAfterOutage(t *testing.T) {
	db := testdb.Fresh(t, store.SQLite)
	ctx := t.Context()
	blocker, err := store.Open(ctx, testdb.DSN(t, db))
	if err != nil {
		t.Fatal(err)
	}
	defer blocker.Close()
	conn, err := blocker.SQL().Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	ts, err := trigger.New(db)
	if err != nil {
		t.Fatal(err)
	}
	tr, err := ts.Create(ctx, trigger.Spec{Type: trigger.Single, Name: "outage", ProcessName: "p", ProcessPath: "p.py", NextRun: db.Now().Add(-time.Second)})
	if err != nil {
		t.Fatal(err)
	}
	locked := make(chan error, 1)
	s, err := trigger.NewScheduler(db, func(ctx context.Context, _ trigger.Trigger) error {
		// The outage begins as the handler returns.
		_, err := conn.ExecContext(context.Background(), "BEGIN EXCLUSIVE")
		locked <- err
		return nil
	}, trigger.WithName("outage"), trigger.WithPollInterval(20*time.Millisecond), trigger.WithLease(10*time.Second),
		trigger.WithQueryTimeout(200*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	rctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- s.Run(rctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	}()
	select {
	case err := <-locked:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the trigger did not start within 30 s")
	}
	// Several query timeouts of outage: every attempt to record fails.
	time.Sleep(time.Second)
	if _, err := conn.ExecContext(context.Background(), "ROLLBACK"); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		got, err := ts.Get(ctx, tr.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Status == trigger.StatusDone {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("10 s after the outage the run is still %s on %q: its end was never recorded", got.Status, got.RunningOn)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
