// Command quickstart is the first thing to run: a tour of flowstore on an
// embedded SQLite database (no setup needed). It migrates the schema, then
// uses each part of the library once and says what happened:
//
//  1. the schema: the tables of four workflow systems, with their own names;
//  2. credentials — Fernet as OpenOrchestrator writes them, and AES-256-GCM
//     with key ids, rotated to a new key — and a constant;
//  3. Go's slog writing to OpenOrchestrator's Logs table;
//  4. a work queue: a batch enqueued, claimed atomically, finished, and an
//     element whose worker died taken over when its lease ran out;
//  5. a scheduled trigger fired by a Scheduler, exactly once;
//  6. a workflow whose step writes and enqueues, fails once, is held by the
//     engine lock and then retried — the failed attempt leaves nothing
//     behind (WFO orchestrator-core);
//  7. a process-instance snapshot updated by two writers, one conflict, and
//     found again from an event's correlation (Kogito);
//  8. a pipeline run with its run number and history copies (ContainerOps V1).
//
// Everything goes through package flowstore: Open, the stores it binds
// (fs.Queue, fs.Snapshots, …) and the long-running parts it makes
// (fs.NewScheduler, fs.NewEngine, fs.NewLogHandler), which run in a
// goroutine until their context is cancelled.
//
// The database is one file under the user cache directory, printed at the
// end with the command that deletes it; run the tour again and it works on
// the same file, finding what the last run left (names are fixed, not
// random). -dsn runs the same tour on another database: use a scratch one,
// since the tour briefly sets the engines' global lock there.
//
//	go run ./examples/quickstart                     # SQLite file in the user cache directory
//	go run ./examples/quickstart -dsn postgres://…   # the same tour on another database
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
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
	"github.com/flowstore/flowstore/store/correlation"
	"github.com/flowstore/flowstore/store/credential"
	"github.com/flowstore/flowstore/store/logs"
	"github.com/flowstore/flowstore/store/snapshot"
	"github.com/flowstore/flowstore/trigger"
)

func main() {
	dsn := flag.String("dsn", "", "database DSN (default: a SQLite file in the user cache directory, kept between runs)")
	flag.Parse()
	if err := run(context.Background(), *dsn, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "quickstart:", err)
		os.Exit(1)
	}
}

// prefix starts the name of everything the tour creates. The names are
// fixed, so a run finds what the previous one left and replaces it.
const prefix = "quickstart"

// tour is what every section shares: the handle and where to print.
type tour struct {
	fs  *flowstore.DB
	out io.Writer
}

func (t *tour) say(format string, args ...any) { fmt.Fprintf(t.out, "   "+format+"\n", args...) }

func (t *tour) section(n int, title string) { fmt.Fprintf(t.out, "\n%d. %s\n", n, title) }

// defaultDatabase is the SQLite file the tour uses without -dsn: one path
// under the user cache directory ($XDG_CACHE_HOME or ~/.cache on Linux,
// ~/Library/Caches on macOS, %LocalAppData% on Windows), the same every run.
func defaultDatabase() (string, error) {
	dir, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("no user cache directory (%w): name a database with -dsn", err)
	}
	dir = filepath.Join(dir, "flowstore")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	return filepath.Join(dir, "quickstart.db"), nil
}

func run(ctx context.Context, dsn string, out io.Writer) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	file := ""
	if dsn == "" {
		var err error
		if file, err = defaultDatabase(); err != nil {
			return err
		}
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
	// flowstore.Open opens and migrates in one call. The tour opens first
	// and reads the schema version, so that it can say whether migrating
	// did anything.
	start := time.Now()
	sdb, err := store.Open(ctx, dsn)
	if err != nil {
		return err
	}
	before, err := sdb.SchemaVersion(ctx)
	if err != nil {
		return errors.Join(err, sdb.Close())
	}
	fs, err := flowstore.New(ctx, sdb, flowstore.WithKeyRing(ring)) // migrates
	if err != nil {
		return errors.Join(err, sdb.Close())
	}
	defer fs.Close()
	took := time.Since(start)
	t := &tour{fs: fs, out: out}

	fmt.Fprintf(out, "flowstore quickstart on %s\n", fs.SQLDialect().Name())
	steps := []func(context.Context) error{
		func(ctx context.Context) error { return t.schema(ctx, before, took) },
		t.records, t.logs, t.queue, t.trigger, t.workflow, t.snapshot, t.pipeline,
	}
	for _, step := range steps {
		if err := step(ctx); err != nil {
			return err
		}
	}

	fmt.Fprintf(out, "\nthe tour took %s\n", time.Since(start).Round(time.Millisecond))
	if file != "" {
		fmt.Fprintf(out, "database: %s (kept: the next run reuses it)\n", file)
		fmt.Fprintf(out, "look inside with: sqlite3 %s '.tables'\n", file)
		fmt.Fprintf(out, "delete it with:   rm %s\n", file)
	} else {
		fmt.Fprintf(out, "\nthe tour's rows are named %s…\n", prefix)
	}
	return nil
}

// 1. The schema.
func (t *tour) schema(ctx context.Context, before int, took time.Duration) error {
	v, err := t.fs.Store().SchemaVersion(ctx)
	if err != nil {
		return err
	}
	what := fmt.Sprintf("schema already at version %d (nothing to migrate)", v)
	if v != before {
		what = fmt.Sprintf("migrated the schema from version %d to %d in %s", before, v, took.Round(time.Millisecond))
	}
	t.section(1, what+"; it holds the tables of four systems, with their own names:")
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
	t.section(2, "credentials — Fernet as OpenOrchestrator writes them, AES-256-GCM with key rotation — and a constant:")
	name := prefix + "-smtp"
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
	t.say("Credentials[%s] stores a Fernet token %s… (%d characters); Get decrypts it to %q", name, stored.Password[:12], len(stored.Password), plain.Password)

	// AES-256-GCM tokens name their key ("gcm1.<key id>."). Rotation: a
	// ring whose primary is the new key and which still holds the old one
	// reads the old tokens and writes new ones.
	oldKey, err := secret.GenerateKey(secret.AESGCM)
	if err != nil {
		return err
	}
	newKey, err := secret.GenerateKey(secret.AESGCM)
	if err != nil {
		return err
	}
	oldRing, err := secret.NewRing(oldKey)
	if err != nil {
		return err
	}
	newRing, err := secret.NewRing(newKey, oldKey)
	if err != nil {
		return err
	}
	// Two programs on the same database, one with each ring. Their stores
	// bind to the database already open; they do no I/O until used.
	before, err := credential.New(t.fs.Store(), credential.WithKeyRing(oldRing))
	if err != nil {
		return err
	}
	after, err := credential.New(t.fs.Store(), credential.WithKeyRing(newRing))
	if err != nil {
		return err
	}
	api := prefix + "-api"
	if err := before.Set(ctx, api, "robot", "token-123"); err != nil {
		return err
	}
	if stored, err = before.GetEncrypted(ctx, api); err != nil {
		return err
	}
	t.say("Credentials[%s] under AES-256-GCM key %s: %s…", api, oldKey.ID(), stored.Password[:18])
	got, err := after.Get(ctx, api)
	if err != nil {
		return err
	}
	// Set through the new ring re-encrypts the one credential; Rotate would
	// re-encrypt every row of the table at once.
	if err := after.Set(ctx, api, got.Username, got.Password); err != nil {
		return err
	}
	if stored, err = after.GetEncrypted(ctx, api); err != nil {
		return err
	}
	t.say("rotated to key %s: the new ring read the old token (%q) and wrote %s…", newKey.ID(), got.Password, stored.Password[:18])
	if _, err := before.Get(ctx, api); errors.Is(err, store.ErrDecrypt) {
		t.say("a program with only the old key cannot read it now: errors.Is(err, store.ErrDecrypt)")
	} else {
		return fmt.Errorf("a ring without the new key read the rotated credential: %v", err)
	}

	if err := t.fs.Constants.Set(ctx, prefix+"-greeting", "hello from flowstore"); err != nil {
		return err
	}
	c, err := t.fs.Constants.Get(ctx, prefix+"-greeting")
	if err != nil {
		return err
	}
	t.say("Constants[%s] = %q, changed at %s", c.Name, c.Value, c.ChangedAt.Format(time.RFC3339))
	return nil
}

// 3. slog into the Logs table.
func (t *tour) logs(ctx context.Context) error {
	t.section(3, "Go's log/slog writing to OpenOrchestrator's Logs table:")
	from := t.fs.Store().Now()
	h, err := t.fs.NewLogHandler(logs.WithProcessName(prefix), logs.WithFlushInterval(20*time.Millisecond))
	if err != nil {
		return err
	}
	r := goRun(ctx, h.Run) // writes buffered records in batches until stopped
	log := slog.New(h)
	log.Info("invoice booked", "invoice", "INV-1", "amount", 10)
	log.Error("payment gateway timed out", "invoice", "INV-2")
	// Stopping the handler writes what it still buffers.
	if err := r.stop(); err != nil {
		return err
	}
	page, err := t.fs.Logs.Query(ctx, logs.Filter{ProcessName: prefix, From: from, Limit: 10})
	if err != nil {
		return err
	}
	t.say("two slog calls, %s in Logs under process_name %q, newest first:", plural(len(page.Entries), "row"), prefix)
	for _, e := range page.Entries {
		t.say("  %-5s %s", e.Level, e.Message)
	}
	return nil
}

// 4. A work queue.
func (t *tour) queue(ctx context.Context) error {
	t.section(4, "a work queue: enqueue a batch, claim atomically, finish, take over a dead worker's element:")
	name := prefix + "-invoices"
	if err := clearQueue(ctx, t.fs.Queue, name); err != nil {
		return err
	}
	// Claims through this store also take over an element whose worker
	// has held it longer than the lease: that worker is taken to be dead.
	const lease = 100 * time.Millisecond
	leased, err := queue.New(t.fs.Store(), queue.WithLease(lease))
	if err != nil {
		return err
	}
	batch := []queue.NewElement{
		{Reference: "INV-1", Data: `{"amount": 10}`, CreatedBy: prefix},
		{Reference: "INV-2", Data: `{"amount": 20}`, CreatedBy: prefix},
		{Reference: "INV-3", Data: `{"amount": -5}`, CreatedBy: prefix},
	}
	if _, err := t.fs.Queue.EnqueueBatch(ctx, name, batch); err != nil {
		return err
	}
	t.say("enqueued %d elements in one statement", len(batch))
	lost, err := leased.Claim(ctx, name)
	if err != nil {
		return err
	}
	t.say("worker A claimed %s, then died without finishing it", lost.Reference)
	claimed, err := leased.ClaimBatch(ctx, name, 10)
	if err != nil {
		return err
	}
	t.say("worker B claimed %d more, oldest first, atomically (no element goes to two workers)", len(claimed))
	finish := func(e queue.Element) error {
		r := queue.Done("paid")
		if strings.Contains(e.Data, "-") {
			r = queue.Failed("negative amount")
		}
		return leased.FinishClaimed(ctx, e, r)
	}
	for _, e := range claimed {
		if err := finish(e); err != nil {
			return err
		}
	}
	time.Sleep(lease + 20*time.Millisecond)
	taken, err := leased.Claim(ctx, name)
	if err != nil {
		return fmt.Errorf("take over %s after its lease: %w", lost.Reference, err)
	}
	t.say("%s's lease (%s) ran out: worker B's next claim took it over", taken.Reference, lease)
	if err := leased.FinishClaimed(ctx, lost, queue.Done("paid late")); errors.Is(err, store.ErrConflict) {
		t.say("worker A, back late, cannot finish it over B's claim: errors.Is(err, store.ErrConflict)")
	} else {
		return fmt.Errorf("a finish over a taken-over claim: %v", err)
	}
	if err := finish(taken); err != nil {
		return err
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

// clearQueue deletes every element of a queue: what an earlier run left.
func clearQueue(ctx context.Context, q queue.Store, name string) error {
	var ids []uuid.UUID
	for e, err := range q.All(ctx, queue.Filter{Queue: name}) {
		if err != nil {
			return err
		}
		ids = append(ids, e.ID)
	}
	for _, id := range ids {
		if err := q.Delete(ctx, id); err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
	}
	return nil
}

// tourIDs derives the ids of the tour's triggers from their names, so a run
// finds the trigger an earlier run created (trigger names need not be
// unique; ids are).
var tourIDs = uuid.MustParse("0c6b8d52-3f7e-4a43-9d0e-7b9a51c2e4f3")

// 5. A scheduled trigger and a Scheduler.
func (t *tour) trigger(ctx context.Context) error {
	t.section(5, "a scheduled trigger, started by a Scheduler:")
	now := t.fs.Store().Now()
	spec := trigger.Spec{Type: trigger.Scheduled, Name: prefix + " nightly report",
		ProcessName: "report", ProcessPath: "robots/report.py", CronExpr: "0 2 * * *", NextRun: now}
	spec.ID = uuid.NewSHA1(tourIDs, []byte(spec.Name))
	tr, err := t.fs.Triggers.Get(ctx, spec.ID)
	switch {
	case errors.Is(err, store.ErrNotFound):
		if tr, err = t.fs.Triggers.Create(ctx, spec); err != nil {
			return err
		}
		t.say("created %q with cron %q, due now", tr.Name, tr.CronExpr)
	case err != nil:
		return err
	default:
		// The last run left it IDLE, due at 02:00: make it due now.
		if tr, err = t.fs.Triggers.Update(ctx, tr.ID, trigger.Patch{NextRun: &now}); err != nil {
			return err
		}
		t.say("found %q from the last run; made it due now", tr.Name)
	}
	type outcome struct {
		trigger trigger.Trigger
		status  trigger.Status
	}
	settled := make(chan outcome, 1)
	host, _ := os.Hostname()
	s, err := t.fs.NewScheduler(func(ctx context.Context, started trigger.Trigger) error {
		if started.ID == tr.ID {
			t.say("the scheduler started it (status %s): the handler runs the robot", started.Status)
		}
		return nil
	},
		trigger.WithName(prefix+"@"+host),
		trigger.WithPollInterval(50*time.Millisecond),
		trigger.WithOnSettled(func(started trigger.Trigger, st trigger.Status, _ error) {
			if started.ID == tr.ID {
				select {
				case settled <- outcome{started, st}:
				default:
				}
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

// 6. A workflow run by the engine, and the engine lock.
func (t *tour) workflow(ctx context.Context) (err error) {
	t.section(6, "a workflow: each step's writes and its step record commit together; the engine lock holds it:")
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
	invoices := prefix + "-billing"
	if err := clearQueue(ctx, t.fs.Queue, invoices); err != nil {
		return err
	}
	attempts := 0
	wf := orchestrator.Workflow{Name: prefix + "_bill_customer", Target: orchestrator.TargetSystem, Description: "Bill a customer",
		Steps: []orchestrator.Step{
			{Name: "Bill customer", Fn: func(ctx context.Context, s *store.Session, st orchestrator.State) (orchestrator.Result, error) {
				attempts++
				stores := t.fs.Bind(s) // every store, inside the step's transaction
				if err := stores.Constants.Set(ctx, prefix+"-last_bill", fmt.Sprint(st["customer"])); err != nil {
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
	if err := engine.Register(ctx, wf); err != nil { // the workflows row: inserted, or updated
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

	// The global lock (engine_settings.global_lock) stops every engine on
	// the database at its next step boundary; while it is set, nothing
	// starts or resumes.
	if err := t.fs.Processes.Lock(ctx); err != nil {
		return err
	}
	unlocked := false
	defer func() {
		if !unlocked { // never leave the engines locked
			_, uerr := t.fs.Processes.Unlock(context.WithoutCancel(ctx))
			err = errors.Join(err, uerr)
		}
	}()
	st, err := t.fs.Processes.EngineStatus(ctx)
	if err != nil {
		return err
	}
	if _, err := engine.Resume(ctx, pid, nil); errors.Is(err, store.ErrLocked) {
		t.say("locked the engines (status %s): the retry is refused, errors.Is(err, store.ErrLocked)", st.Global)
	} else {
		return fmt.Errorf("a resume while locked: %v", err)
	}
	if _, err := t.fs.Processes.Unlock(ctx); err != nil {
		return err
	}
	unlocked = true
	if p, err = engine.Resume(ctx, pid, nil); err != nil {
		return err
	}
	if pending, err = t.queued(ctx, invoices); err != nil {
		return err
	}
	t.say("unlocked and retried: process %s, %s queued", p.LastStatus, plural(pending, "invoice"))
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

// 7. A snapshot with optimistic locking, and a correlation.
func (t *tour) snapshot(ctx context.Context) error {
	t.section(7, "a process-instance snapshot with optimistic locking, found again by correlation:")
	const id = prefix + "-order-42"
	// What the last run left: the instance and its correlation.
	if err := t.fs.Snapshots.Delete(ctx, id); err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	if c, err := t.fs.Correlations.FindByCorrelatedID(ctx, id); err == nil {
		if err := t.fs.Correlations.Delete(ctx, c.EncodedID); err != nil {
			return err
		}
	} else if !errors.Is(err, store.ErrNotFound) {
		return err
	}
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

	// The instance waits for a delivery event about order 42 of ACME.
	parts := []correlation.Part{{Key: "orderId", Value: "42"}, {Key: "customer", Value: "ACME"}}
	if _, err := t.fs.Correlations.Create(ctx, id, parts...); err != nil {
		return err
	}
	// The event arrives carrying those attributes, in any order.
	c, err := t.fs.Correlations.FindByEncodedID(ctx, correlation.Encode(parts[1], parts[0]))
	if err != nil {
		return err
	}
	waiting, err := t.fs.Snapshots.Get(ctx, c.CorrelatedID)
	if err != nil {
		return err
	}
	t.say("an event with customer=ACME, orderId=42 finds its instance by correlation %s…: %s at version %d",
		c.EncodedID[:8], waiting.ID, waiting.Version)
	return nil
}

// 8. A pipeline run.
func (t *tour) pipeline(ctx context.Context) error {
	t.section(8, "a ContainerOps pipeline: a definition and two runs:")
	const name = prefix + "-release"
	def, verb, err := t.definition(ctx, name)
	if err != nil {
		return err
	}
	t.say("%s %s/%s/%s version %s with %d stages", verb, def.Workflow.Namespace, def.Workflow.Repository, def.Workflow.Name, def.Workflow.Version, len(def.Stages))
	for range 2 {
		r, err := t.fs.Pipelines.StartRun(ctx, def.Workflow.ID, pipeline.StartOptions{})
		if err != nil {
			return err
		}
		t.say("run %d: copied into workflow_log %d, %d stage_log rows, state %s", r.Workflow.Sequence, r.Workflow.ID, len(r.Stages), r.Workflow.RunState)
	}
	// A page of the history, one more than shown, to know if there is more.
	const shown = 4
	runs, err := t.fs.Pipelines.ListRuns(ctx, pipeline.RunFilter{Namespace: "acme", Repository: "shop", Workflow: name, Limit: shown + 1})
	if err != nil {
		return err
	}
	var list []string
	for _, r := range runs[:min(shown, len(runs))] {
		list = append(list, fmt.Sprintf("run %d", r.Sequence))
	}
	if len(runs) > shown {
		list = append(list, "…")
	}
	t.say("history, newest first: %s", strings.Join(list, ", "))
	return nil
}

// definition returns the tour's pipeline: the version an earlier run
// defined ("found"), or a new one ("defined"). It is created runnable, and
// CreateWorkflow keeps the state it is given.
func (t *tour) definition(ctx context.Context, name string) (*pipeline.Definition, string, error) {
	latest, err := t.fs.Pipelines.LatestRunnable(ctx, "acme", "shop", name)
	if err == nil {
		def, err := t.fs.Pipelines.GetWorkflow(ctx, latest.ID)
		return def, "found", err
	} else if !errors.Is(err, store.ErrNotFound) {
		return nil, "", err
	}
	def, err := t.fs.Pipelines.CreateWorkflow(ctx, pipeline.WorkflowSpec{
		Workflow: pipeline.Workflow{Namespace: "acme", Repository: "shop", Name: name, Version: "v1", State: pipeline.StateRunnable},
		Stages: []pipeline.StageSpec{
			{Stage: pipeline.Stage{Name: "start", Title: "Start", Type: pipeline.StageStart}},
			{Stage: pipeline.Stage{Name: "build", Title: "Build", Type: pipeline.StageRun}, Actions: []pipeline.Action{
				{Name: "compile", Title: "Compile", ImageName: "golang", ImageTag: "1.26"},
			}},
			{Stage: pipeline.Stage{Name: "end", Title: "End", Type: pipeline.StageEnd}},
		},
	})
	return def, "defined", err
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
