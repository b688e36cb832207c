// Command scheduler runs a flowstore trigger Scheduler over one trigger of
// each type and prints each start and end:
//
//	go run ./examples/scheduler                 # SQLite file in a temp directory
//	go run ./examples/scheduler -dsn postgres://…
//
// It creates a single trigger due now, a scheduled trigger due now that then
// fires every minute, and a queue trigger that fires once its queue holds
// three NEW elements (the example puts three there; the handler works them
// off). It stops when each trigger has run once, or after -for.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"sync"
	"time"

	"github.com/google/uuid"

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
	db, err := store.Open(ctx, dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := db.Migrate(ctx); err != nil {
		return err
	}
	triggers := trigger.New(db)
	now := db.Now()
	queueName := "invoices-" + uuid.NewString()[:8]
	specs := []trigger.Spec{
		{Type: trigger.Single, Name: "welcome mail", ProcessName: "mailer", ProcessPath: "robots/mailer.py", NextRun: now},
		{Type: trigger.Scheduled, Name: "every minute", ProcessName: "report", ProcessPath: "robots/report.py",
			CronExpr: "* * * * *", NextRun: now},
		{Type: trigger.Queue, Name: "invoice batch", ProcessName: "invoicer", ProcessPath: "robots/invoicer.py",
			QueueName: queueName, MinBatchSize: 3},
	}
	mine := map[uuid.UUID]bool{}
	for _, sp := range specs {
		t, err := triggers.Create(ctx, sp)
		if err != nil {
			return err
		}
		mine[t.ID] = true
		fmt.Fprintf(out, "created %-9s %q\n", t.Type, t.Name)
	}
	for i := range 3 {
		if err := enqueue(ctx, db, queueName, fmt.Sprintf("invoice-%d", i)); err != nil {
			return err
		}
	}

	var mu sync.Mutex
	ran := map[uuid.UUID]bool{}
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	if runFor > 0 {
		runCtx, cancel = context.WithTimeout(ctx, runFor)
		defer cancel()
	}
	host, _ := os.Hostname()
	s, err := trigger.NewScheduler(db, trigger.SchedulerConfig{
		Name:         "example-" + host,
		PollInterval: 200 * time.Millisecond,
		Handler: func(ctx context.Context, t trigger.Trigger) error {
			mu.Lock()
			fmt.Fprintf(out, "start %-9s %q (process %s)\n", t.Type, t.Name, t.ProcessName)
			mu.Unlock()
			if t.Type == trigger.Queue {
				return workQueue(ctx, db, t.QueueName)
			}
			time.Sleep(100 * time.Millisecond) // the robot's work
			return nil
		},
		OnSettled: func(t trigger.Trigger, status trigger.Status, err error) {
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
			ran[t.ID] = true
			if runFor == 0 && len(ran) == len(mine) {
				cancel()
			}
		},
	})
	if err != nil {
		return err
	}
	return s.Run(runCtx)
}

// enqueue and workQueue stand in for the queue package: an element is a row
// of OpenOrchestrator's Queues table.
func enqueue(ctx context.Context, db *store.DB, queue, reference string) error {
	q := db.Dialect().Quote
	_, err := db.Bun().NewRaw("INSERT INTO "+q("Queues")+" ("+q("id")+", "+q("queue_name")+", "+q("status")+", "+q("reference")+", "+q("created_date")+") VALUES (?, ?, 'NEW', ?, ?)",
		uuid.New(), queue, reference, db.Now()).Exec(ctx)
	return err
}

func workQueue(ctx context.Context, db *store.DB, queue string) error {
	q := db.Dialect().Quote
	_, err := db.Bun().NewRaw("UPDATE "+q("Queues")+" SET "+q("status")+" = 'DONE', "+q("end_date")+" = ? WHERE "+q("queue_name")+" = ? AND "+q("status")+" = 'NEW'",
		db.Now(), queue).Exec(ctx)
	return err
}
