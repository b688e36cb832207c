// Command scheduler runs a flowstore trigger Scheduler over one trigger of
// each type and prints each start and end:
//
//	go run ./examples/scheduler                 # SQLite file in a temp directory
//	go run ./examples/scheduler -dsn postgres://…
//
// It creates a single trigger due now, a scheduled trigger due now that then
// fires every minute, and a queue trigger that fires once its queue holds
// three NEW elements (the example puts three there; the handler works them
// off). Run again on the same database, it finds its triggers and makes
// them due again. It stops when each trigger has run once, or after -for, or on
// Ctrl-C: the Scheduler runs in a goroutine until its context is
// cancelled, and stopping it means cancelling that context and waiting for
// Run to return.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/flowstore/flowstore"
	"github.com/flowstore/flowstore/queue"
	"github.com/flowstore/flowstore/store"
	"github.com/flowstore/flowstore/trigger"
)

func main() {
	dsn := flag.String("dsn", "", "database DSN (default: a new SQLite file in a temp directory)")
	runFor := flag.Duration("for", 0, "keep running this long (default: until each trigger ran once)")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Stdout, *dsn, *runFor); err != nil {
		fmt.Fprintln(os.Stderr, "scheduler:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, out io.Writer, dsn string, runFor time.Duration) error {
	if dsn == "" {
		dir, err := os.MkdirTemp("", "flowstore-scheduler-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		dsn = "sqlite:" + filepath.Join(dir, "flowstore.db")
	}
	fs, err := flowstore.Open(ctx, dsn) // migrates
	if err != nil {
		return err
	}
	defer fs.Close()
	now := fs.Store().Now()
	const queueName = "example-invoices"
	specs := []trigger.Spec{
		{Type: trigger.Single, Name: "welcome mail", ProcessName: "mailer", ProcessPath: "robots/mailer.py", NextRun: now},
		{Type: trigger.Scheduled, Name: "every minute", ProcessName: "report", ProcessPath: "robots/report.py",
			CronExpr: "* * * * *", NextRun: now},
		{Type: trigger.Queue, Name: "invoice batch", ProcessName: "invoicer", ProcessPath: "robots/invoicer.py",
			QueueName: queueName, MinBatchSize: 3},
	}
	mine := map[uuid.UUID]bool{}
	for _, sp := range specs {
		t, verb, err := ensure(ctx, fs.Triggers, sp)
		if err != nil {
			return err
		}
		mine[t.ID] = true
		fmt.Fprintf(out, "%s %-9s %q\n", verb, t.Type, t.Name)
	}
	invoices := make([]queue.NewElement, 3)
	for i := range invoices {
		invoices[i] = queue.NewElement{Reference: fmt.Sprintf("invoice-%d", i), CreatedBy: "scheduler example"}
	}
	if _, err := fs.Queue.EnqueueBatch(ctx, queueName, invoices); err != nil {
		return err
	}

	var mu sync.Mutex
	ran := map[uuid.UUID]bool{}
	allRan := make(chan struct{})
	host, _ := os.Hostname()
	s, err := fs.NewScheduler(func(ctx context.Context, t trigger.Trigger) error {
		mu.Lock()
		fmt.Fprintf(out, "start %-9s %q (process %s)\n", t.Type, t.Name, t.ProcessName)
		mu.Unlock()
		if t.Type == trigger.Queue {
			return workQueue(ctx, fs.Queue, t.QueueName)
		}
		select { // the robot's work
		case <-time.After(100 * time.Millisecond):
			return nil
		case <-ctx.Done():
			return context.Cause(ctx)
		}
	},
		trigger.WithName("example-"+host),
		trigger.WithPollInterval(200*time.Millisecond),
		trigger.WithOnSettled(func(t trigger.Trigger, status trigger.Status, err error) {
			mu.Lock()
			defer mu.Unlock()
			fmt.Fprintf(out, "end   %-9s %q -> %s", t.Type, t.Name, status)
			if err != nil {
				fmt.Fprintf(out, " (%v)", err)
			}
			if t.Type == trigger.Scheduled {
				fmt.Fprintf(out, ", next run %s", t.NextRun.Format(time.RFC3339))
			}
			fmt.Fprintln(out)
			if mine[t.ID] && !ran[t.ID] {
				ran[t.ID] = true
				if len(ran) == len(mine) {
					close(allRan)
				}
			}
		}))
	if err != nil {
		return err
	}

	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- s.Run(runCtx) }()
	// Wait until each trigger ran once — or, with -for, that long, however
	// often they run.
	wait, until := allRan, (<-chan time.Time)(nil)
	if runFor > 0 {
		wait, until = nil, time.After(runFor)
	}
	select {
	case <-wait:
	case <-until:
	case <-ctx.Done():
	case err := <-done: // Run could not start: its name is taken, or the database is gone
		return err
	}
	cancel()
	return <-done // nil once the running handlers ended and their runs are recorded
}

// exampleIDs derives the example's trigger ids from their names, so that a
// run finds the triggers an earlier run on the same database created.
var exampleIDs = uuid.MustParse("6f1d3c1e-5a0e-4c59-9a51-3f0c2b7d9e10")

// ensure creates the trigger sp describes, or finds the one an earlier run
// created ("found") and makes it due again: a single trigger that ran is
// DONE, and Resume makes it IDLE; the others are IDLE already. Trigger names
// need not be unique, so the trigger is found by its id, which Create takes
// from the spec.
func ensure(ctx context.Context, ts trigger.Store, sp trigger.Spec) (trigger.Trigger, string, error) {
	sp.ID = uuid.NewSHA1(exampleIDs, []byte(sp.Name))
	t, err := ts.Get(ctx, sp.ID)
	if errors.Is(err, store.ErrNotFound) {
		t, err = ts.Create(ctx, sp)
		return t, "created", err
	} else if err != nil {
		return t, "", err
	}
	if sp.Type != trigger.Queue {
		if t, err = ts.Update(ctx, t.ID, trigger.Patch{NextRun: &sp.NextRun}); err != nil {
			return t, "", err
		}
	}
	if _, err := ts.Resume(ctx, t.ID); err != nil {
		return t, "", err
	}
	return t, "found", nil
}

// workQueue stands in for the robot of a queue trigger: it works off the
// queue's elements, claiming them a batch at a time.
func workQueue(ctx context.Context, q queue.Store, name string) error {
	for {
		batch, err := q.ClaimBatch(ctx, name, 100)
		if err != nil || len(batch) == 0 {
			return err
		}
		ids := make([]uuid.UUID, len(batch))
		for i, e := range batch {
			ids[i] = e.ID
		}
		if _, err := q.FinishBatch(ctx, ids, queue.Done("")); err != nil {
			return err
		}
	}
}
