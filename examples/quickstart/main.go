// Command quickstart is the first thing to run: a tour of flowstore on an
// embedded SQLite database (no setup needed). It migrates the schema, then
// uses each part of the library once and says what happened:
//
//  1. the schema: the tables of four workflow systems, with their own names;
//  2. an encrypted credential and a constant (OpenOrchestrator);
//  3. a work queue: a batch enqueued, claimed atomically, finished;
//  4. a scheduled trigger fired by a Scheduler, exactly once;
//  5. a workflow whose step writes and enqueues, fails once, and is retried —
//     the failed attempt leaves nothing behind (WFO orchestrator-core);
//  6. a process-instance snapshot updated by two writers: one conflict (Kogito);
//  7. a pipeline run with its run number and history copies (ContainerOps V1).
//
// Everything goes through package flowstore: Open, the stores it binds
// (fs.Queue, fs.Snapshots, …) and the long-running parts it makes
// (fs.NewScheduler, fs.NewEngine), which run in a goroutine until their
// context is cancelled. The database file is kept, and its path printed, so
// you can look inside.
//
//	go run ./examples/quickstart                     # SQLite file in a temp directory
//	go run ./examples/quickstart -dsn postgres://…   # the same tour on another database
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/flowstore/flowstore"
	"github.com/flowstore/flowstore/crypto/secret"
	"github.com/flowstore/flowstore/internal/refschema"
	"github.com/flowstore/flowstore/orchestrator"
	"github.com/flowstore/flowstore/orchestrator/pipeline"
	"github.com/flowstore/flowstore/queue"
	"github.com/flowstore/flowstore/store"
	"github.com/flowstore/flowstore/store/snapshot"
	"github.com/flowstore/flowstore/trigger"
)

func main() {
	dsn := flag.String("dsn", "", "database DSN (default: a new SQLite file in a temp directory)")
	flag.Parse()
	if err := run(context.Background(), *dsn, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "quickstart:", err)
		os.Exit(1)
	}
}

// tour is what every section shares: the handle, where to print, and a
// suffix that keeps names unique when the tour runs twice on one database.
type tour struct {
	fs  *flowstore.DB
	out io.Writer
	tag string
}

func (t *tour) say(format string, args ...any) { fmt.Fprintf(t.out, "   "+format+"\n", args...) }

func (t *tour) section(n int, title string) { fmt.Fprintf(t.out, "\n%d. %s\n", n, title) }

func run(ctx context.Context, dsn string, out io.Writer) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	file := ""
	if dsn == "" {
		dir, err := os.MkdirTemp("", "flowstore-quickstart-")
		if err != nil {
			return err
		}
		file = filepath.Join(dir, "flowstore.db")
		dsn = "sqlite:" + file
	}

	// An OpenOrchestrator-style Fernet key: credentials written with it stay
	// readable by OpenOrchestrator. Real programs load theirs with
	// secret.ParseRing(os.Getenv("OpenOrchestratorKey")).
	key, err := secret.GenerateKey(secret.Fernet)
	if err != nil {
		return err
	}
	ring, err := secret.NewRing(key)
	if err != nil {
		return err
	}
	start := time.Now()
	fs, err := flowstore.Open(ctx, dsn, flowstore.WithKeyRing(ring)) // migrates
	if err != nil {
		return err
	}
	defer fs.Close()
	t := &tour{fs: fs, out: out, tag: uuid.NewString()[:8]}

	fmt.Fprintf(out, "flowstore quickstart on %s\n", fs.SQLDialect().Name())
	steps := []func(context.Context) error{
		func(ctx context.Context) error { return t.schema(ctx, time.Since(start)) },
		t.records, t.queue, t.trigger, t.workflow, t.snapshot, t.pipeline,
	}
	for _, step := range steps {
		if err := step(ctx); err != nil {
			return err
		}
	}

	if file != "" {
		fmt.Fprintf(out, "\ndatabase: %s\nlook inside with: sqlite3 %s '.tables'\n", file, file)
	} else {
		fmt.Fprintf(out, "\nthe tour's rows carry the tag %q\n", t.tag)
	}
	return nil
}

// 1. The schema.
func (t *tour) schema(ctx context.Context, took time.Duration) error {
	v, err := t.fs.Store().SchemaVersion(ctx)
	if err != nil {
		return err
	}
	t.section(1, fmt.Sprintf("migrated the schema to version %d in %s; it holds the tables of four systems, with their own names:", v, took.Round(time.Millisecond)))
	perSystem := map[string][]string{}
	var systems []string
	for _, tb := range refschema.Tables {
		if perSystem[tb.System] == nil {
			systems = append(systems, tb.System)
		}
		perSystem[tb.System] = append(perSystem[tb.System], tb.Name)
	}
	for _, s := range systems {
		t.say("%-17s %2d tables: %s", s, len(perSystem[s]), summarize(perSystem[s], 5))
	}
	return nil
}

// 2. Credentials and constants.
func (t *tour) records(ctx context.Context) error {
	t.section(2, "a credential, encrypted with an OpenOrchestrator-compatible Fernet key, and a constant:")
	name := "smtp-" + t.tag
	if err := t.fs.Credentials.Set(ctx, name, "robot@example.com", "s3cret!"); err != nil {
		return err
	}
	stored, err := t.fs.Credentials.GetEncrypted(ctx, name)
	if err != nil {
		return err
	}
	plain, err := t.fs.Credentials.Get(ctx, name)
	if err != nil {
		return err
	}
	t.say("Credentials[%s] stores %s… (%d characters); Get decrypts it to %q", name, stored.Password[:12], len(stored.Password), plain.Password)
	other, err := secret.GenerateKey(secret.Fernet)
	if err != nil {
		return err
	}
	wrongRing, err := secret.NewRing(other)
	if err != nil {
		return err
	}
	// Another program on the same database, with another key: New binds
	// every store to the database already open (Open migrated it).
	elsewhere, err := flowstore.New(ctx, t.fs.Store(), flowstore.WithKeyRing(wrongRing), flowstore.WithoutMigrate())
	if err != nil {
		return err
	}
	if _, err := elsewhere.Credentials.Get(ctx, name); errors.Is(err, store.ErrDecrypt) {
		t.say("another key cannot read it: errors.Is(err, store.ErrDecrypt)")
	} else {
		return fmt.Errorf("a wrong key read the credential: %v", err)
	}
	if err := t.fs.Constants.Set(ctx, "greeting-"+t.tag, "hello from flowstore"); err != nil {
		return err
	}
	c, err := t.fs.Constants.Get(ctx, "greeting-"+t.tag)
	if err != nil {
		return err
	}
	t.say("Constants[%s] = %q, changed at %s", c.Name, c.Value, c.ChangedAt.Format(time.RFC3339))
	return nil
}

// 3. A work queue.
func (t *tour) queue(ctx context.Context) error {
	t.section(3, "a work queue: enqueue a batch, claim atomically, finish:")
	name := "invoices-" + t.tag
	batch := []queue.NewElement{
		{Reference: "INV-1", Data: `{"amount": 10}`, CreatedBy: "quickstart"},
		{Reference: "INV-2", Data: `{"amount": 20}`, CreatedBy: "quickstart"},
		{Reference: "INV-3", Data: `{"amount": -5}`, CreatedBy: "quickstart"},
	}
	if _, err := t.fs.Queue.EnqueueBatch(ctx, name, batch); err != nil {
		return err
	}
	t.say("enqueued %d elements in one statement", len(batch))
	claimed, err := t.fs.Queue.ClaimBatch(ctx, name, 10)
	if err != nil {
		return err
	}
	t.say("claimed %d elements, oldest first, atomically (no element goes to two workers)", len(claimed))
	for _, e := range claimed {
		r := queue.Done("paid")
		if strings.Contains(e.Data, "-") {
			r = queue.Failed("negative amount")
		}
		if err := t.fs.Queue.Finish(ctx, e.ID, r); err != nil {
			return err
		}
	}
	counts, err := t.fs.Queue.Counts(ctx)
	if err != nil {
		return err
	}
	t.say("finished them: %v", counts[name])
	if _, err := t.fs.Queue.Claim(ctx, name); errors.Is(err, queue.ErrEmpty) {
		t.say("the next claim finds nothing: errors.Is(err, queue.ErrEmpty)")
	} else {
		return fmt.Errorf("claim on a drained queue: %v", err)
	}
	return nil
}

// 4. A scheduled trigger and a Scheduler.
func (t *tour) trigger(ctx context.Context) error {
	t.section(4, "a scheduled trigger, started by a Scheduler:")
	tr, err := t.fs.Triggers.Create(ctx, trigger.Spec{Type: trigger.Scheduled, Name: "nightly report " + t.tag,
		ProcessName: "report", ProcessPath: "robots/report.py", CronExpr: "0 2 * * *", NextRun: t.fs.Store().Now()})
	if err != nil {
		return err
	}
	t.say("created %q with cron %q, due now", tr.Name, tr.CronExpr)
	type outcome struct {
		trigger trigger.Trigger
		status  trigger.Status
	}
	settled := make(chan outcome, 1)
	s, err := t.fs.NewScheduler(func(ctx context.Context, started trigger.Trigger) error {
		if started.ID == tr.ID {
			t.say("the scheduler started it (status %s): the handler runs the robot", started.Status)
		}
		return nil
	},
		trigger.WithName("quickstart-"+t.tag),
		trigger.WithPollInterval(50*time.Millisecond),
		trigger.WithOnSettled(func(started trigger.Trigger, st trigger.Status, _ error) {
			if started.ID == tr.ID {
				settled <- outcome{started, st}
			}
		}))
	if err != nil {
		return err
	}
	r := goRun(ctx, s.Run)
	var got outcome
	select {
	case got = <-settled:
	case <-r.finished: // Run could not start (its name taken, the database gone)
		return fmt.Errorf("the scheduler stopped before the trigger ran: %v", r.err)
	case <-ctx.Done():
		return fmt.Errorf("the trigger did not run: %w", errors.Join(ctx.Err(), r.stop()))
	}
	t.say("the run ended; the trigger is %s again, next run %s (missed runs are not replayed)", got.status, got.trigger.NextRun.Format(time.RFC3339))
	if err := r.stop(); err != nil {
		return err
	}
	t.say("cancelled the scheduler's context: Run returned once it had released its name")
	return nil
}

// 5. A workflow run by the engine.
func (t *tour) workflow(ctx context.Context) (err error) {
	t.section(5, "a workflow: each step's writes and its step record commit together:")
	// This engine runs its process itself (RunProcess, Resume); the long
	// poll interval keeps its Run from taking the process first. Run must
	// be running all the same: it registers the engine every step is
	// fenced on.
	engine, err := t.fs.NewEngine(orchestrator.WithPollInterval(time.Hour))
	if err != nil {
		return err
	}
	r := goRun(ctx, engine.Run)
	defer func() { err = errors.Join(err, r.stop()) }()
	invoices := "billing-" + t.tag
	attempts := 0
	wf := orchestrator.Workflow{Name: "bill_customer_" + t.tag, Target: orchestrator.TargetSystem, Description: "Bill a customer",
		Steps: []orchestrator.Step{
			{Name: "Bill customer", Fn: func(ctx context.Context, s *store.Session, st orchestrator.State) (orchestrator.Result, error) {
				attempts++
				stores := t.fs.Bind(s) // every store, inside the step's transaction
				if err := stores.Constants.Set(ctx, "last_bill-"+t.tag, fmt.Sprint(st["customer"])); err != nil {
					return orchestrator.Result{}, err
				}
				if _, err := stores.Queue.Enqueue(ctx, invoices, queue.NewElement{Reference: fmt.Sprint(st["customer"])}); err != nil {
					return orchestrator.Result{}, err
				}
				if attempts == 1 {
					// A failing step (an error, or orchestrator.Fail) is
					// rolled back to its savepoint and recorded as failed.
					return orchestrator.Fail(errors.New("payment gateway timed out")), nil
				}
				st["billed"] = true
				return orchestrator.Success(st), nil
			}},
			{Name: "Send receipt", Fn: func(ctx context.Context, s *store.Session, st orchestrator.State) (orchestrator.Result, error) {
				return orchestrator.Success(st), nil
			}},
		}}
	if err := engine.Register(ctx, wf); err != nil {
		return err
	}
	pid, err := engine.Start(ctx, wf.Name, orchestrator.State{"customer": "ACME"})
	if err != nil {
		return err
	}
	p, err := engine.RunProcess(ctx, pid)
	if err != nil {
		return err
	}
	reason := ""
	if p.FailedReason != nil {
		reason = *p.FailedReason
	}
	pending, err := t.queued(ctx, invoices)
	if err != nil {
		return err
	}
	t.say("first attempt wrote a constant, enqueued an invoice, then failed: process %s (%s)", p.LastStatus, reason)
	t.say("the failed step was rolled back: %s queued", plural(pending, "invoice"))
	if p, err = engine.Resume(ctx, pid, nil); err != nil {
		return err
	}
	if pending, err = t.queued(ctx, invoices); err != nil {
		return err
	}
	t.say("retried: process %s, %s queued", p.LastStatus, plural(pending, "invoice"))
	steps, err := t.fs.Processes.Steps(ctx, pid)
	if err != nil {
		return err
	}
	var log []string
	for _, s := range steps {
		log = append(log, fmt.Sprintf("%s=%s", s.Name, s.Status))
	}
	t.say("step log: %s", strings.Join(log, ", "))
	return nil
}

// queued counts a queue's elements (List with Count asks the database for
// the total, however many there are).
func (t *tour) queued(ctx context.Context, name string) (int, error) {
	page, err := t.fs.Queue.List(ctx, queue.Filter{Queue: name, Count: true, Limit: 1})
	return page.Total, err
}

// 6. A snapshot with optimistic locking.
func (t *tour) snapshot(ctx context.Context) error {
	t.section(6, "a process-instance snapshot with optimistic locking:")
	id := uuid.NewString()
	if err := t.fs.Snapshots.Create(ctx, &snapshot.Snapshot{ID: id, ProcessID: "orders", Payload: []byte("state: new")}); err != nil {
		return err
	}
	alice, err := t.fs.Snapshots.Get(ctx, id)
	if err != nil {
		return err
	}
	bob, err := t.fs.Snapshots.Get(ctx, id)
	if err != nil {
		return err
	}
	t.say("two writers read version %d", alice.Version)
	alice.Payload = []byte("state: paid")
	if err := t.fs.Snapshots.Update(ctx, alice); err != nil {
		return err
	}
	t.say("the first update wins: version %d", alice.Version)
	bob.Payload = []byte("state: cancelled")
	err = t.fs.Snapshots.Update(ctx, bob)
	var conflict *store.ConflictError
	if !errors.As(err, &conflict) {
		return fmt.Errorf("a stale update was not refused: %v", err)
	}
	t.say("the second is refused, nothing written: %v", err)
	got, err := snapshot.Retry(ctx, t.fs.Snapshots, id, 0, func(ctx context.Context, s *snapshot.Snapshot) error {
		s.Payload = append(s.Payload, []byte(", shipped")...)
		return nil
	})
	if err != nil {
		return err
	}
	t.say("snapshot.Retry reloads and reapplies: version %d, payload %q", got.Version, got.Payload)
	return nil
}

// 7. A pipeline run.
func (t *tour) pipeline(ctx context.Context) error {
	t.section(7, "a ContainerOps pipeline: a definition and two runs:")
	def, err := t.fs.Pipelines.CreateWorkflow(ctx, pipeline.WorkflowSpec{
		Workflow: pipeline.Workflow{Namespace: "acme", Repository: "shop", Name: "release-" + t.tag, Version: "v1", State: pipeline.StateRunnable},
		Stages: []pipeline.StageSpec{
			{Stage: pipeline.Stage{Name: "start", Title: "Start", Type: pipeline.StageStart}},
			{Stage: pipeline.Stage{Name: "build", Title: "Build", Type: pipeline.StageRun}, Actions: []pipeline.Action{
				{Name: "compile", Title: "Compile", ImageName: "golang", ImageTag: "1.26"},
			}},
			{Stage: pipeline.Stage{Name: "end", Title: "End", Type: pipeline.StageEnd}},
		},
	})
	if err != nil {
		return err
	}
	t.say("defined %s/%s/%s version %s with %d stages", def.Workflow.Namespace, def.Workflow.Repository, def.Workflow.Name, def.Workflow.Version, len(def.Stages))
	for range 2 {
		r, err := t.fs.Pipelines.StartRun(ctx, def.Workflow.ID, pipeline.StartOptions{})
		if err != nil {
			return err
		}
		t.say("run %d: copied into workflow_log %d, %d stage_log rows, state %s", r.Workflow.Sequence, r.Workflow.ID, len(r.Stages), r.Workflow.RunState)
	}
	runs, err := t.fs.Pipelines.ListRuns(ctx, pipeline.RunFilter{Namespace: "acme", Repository: "shop", Workflow: def.Workflow.Name, Limit: 10})
	if err != nil {
		return err
	}
	t.say("history lists %d runs, newest first: run %d", len(runs), runs[0].Sequence)
	return nil
}

// running is a long-running part's Run, in a goroutine of its own.
type running struct {
	cancel   context.CancelFunc
	finished chan struct{} // closed when Run has returned
	err      error         // what Run returned; read after finished
}

// goRun starts run (a Scheduler's or an Engine's Run) in a goroutine, on a
// context of its own derived from ctx.
func goRun(ctx context.Context, run func(context.Context) error) *running {
	ctx, cancel := context.WithCancel(ctx)
	r := &running{cancel: cancel, finished: make(chan struct{})}
	go func() {
		defer close(r.finished)
		r.err = run(ctx)
	}()
	return r
}

// stop is how every long-running part of flowstore stops: cancel Run's
// context, then wait for Run to return — it lets running work finish and
// releases what it holds first.
func (r *running) stop() error {
	r.cancel()
	<-r.finished
	return r.err
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

func summarize(names []string, n int) string {
	if len(names) <= n {
		return strings.Join(names, ", ")
	}
	return fmt.Sprintf("%s … and %d more", strings.Join(names[:n], ", "), len(names)-n)
}
