package trigger

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/flowstore/flowstore/store"
)

// bunStore is the Store on bun. It is safe for concurrent use; bound to a
// Session it is as safe as the Session (not at all).
type bunStore struct {
	h   store.Handle
	db  *store.DB
	d   *store.Dialect
	sql *statements
}

var _ Store = (*bunStore)(nil)

// New returns the trigger store of db. It does no I/O; a nil db is
// store.ErrInvalid.
func New(db *store.DB) (Store, error) {
	s, err := newStore(db)
	if err != nil {
		return nil, fmt.Errorf("trigger: new store: %w", err)
	}
	return s, nil
}

func newStore(db *store.DB) (*bunStore, error) {
	if db == nil {
		return nil, fmt.Errorf("%w: nil database", store.ErrInvalid)
	}
	d := db.SQLDialect()
	return &bunStore{h: db.Handle(), db: db, d: d, sql: statementsFor(d)}, nil
}

// WithTx returns the same store bound to s: its writes commit with s.
func (b *bunStore) WithTx(s *store.Session) Store { return b.on(s.Handle()) }

func (b *bunStore) on(h store.Handle) *bunStore { return &bunStore{h: h, db: b.db, d: b.d, sql: b.sql} }

// The conventions of OpenOrchestrator's tables (see sql.go): naive
// wall-clock times in the store's zone, ids as SQLAlchemy's Uuid.

// naive is t as the value a naive time column is written or compared with.
func (b *bunStore) naive(t time.Time) any { return b.db.Naive(t) }

// fromNaive reads a scanned naive time: the instant it names in the store's
// zone, in UTC (zero stays zero).
func (b *bunStore) fromNaive(t time.Time) time.Time { return store.UTC(b.db.FromNaive(t)) }

// stored is t as it reads back once stored: its naive wall clock, read as
// fromNaive reads it. Create and Begin return it, so that what they return
// is what Get returns afterwards.
func (b *bunStore) stored(t time.Time) time.Time {
	v, ok := b.db.Naive(t).(string)
	if !ok {
		return time.Time{}
	}
	at, err := b.db.ParseNaive(v)
	if err != nil {
		return store.UTC(t)
	}
	return store.UTC(at)
}

// ids is the argument an "id IN (?)" lookup takes: every spelling of id.
func (b *bunStore) ids(id uuid.UUID) any { return bun.In(b.db.RefUUIDs(id)) }

// nextRun is a scheduled trigger's next run after now: the schedule's fields
// read in the store's zone unless CRON_TZ= names another, and its wall clock
// in the store's zone after now's, so that the naive next_run is after the
// naive now (see Schedule.next). A zero time (no fire time in the cron
// library's five years) is ErrNeverFires.
func (b *bunStore) nextRun(sched Schedule, now time.Time) (time.Time, error) {
	zone := b.db.Zone()
	next := sched.In(zone).next(now, zone)
	if next.IsZero() {
		return time.Time{}, fmt.Errorf("%w: cron_expr %q has no fire time after %s", ErrNeverFires, sched.String(), now.UTC().Format(time.RFC3339))
	}
	return next, nil
}

// wrap gives an error of a public method its one prefix: the package, the
// operation and what it worked on.
func wrap(err error, format string, args ...any) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("trigger: "+format+": %w", append(args, err)...)
}

func (b *bunStore) exec(ctx context.Context, query string, args ...any) (int64, error) {
	res, err := b.h.IDB().NewRaw(query, args...).Exec(ctx)
	if err != nil {
		return 0, b.h.Classify(err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, b.h.Classify(err)
	}
	return n, nil
}

func (b *bunStore) scan(ctx context.Context, dest any, query string, args ...any) error {
	return b.h.Classify(b.h.IDB().NewRaw(query, args...).Scan(ctx, dest))
}

func (b *bunStore) triggers(ctx context.Context, query string, args ...any) ([]Trigger, error) {
	var rows []joined
	if err := b.scan(ctx, &rows, query, args...); err != nil && !errors.Is(err, store.ErrNotFound) {
		return nil, err
	}
	out := make([]Trigger, 0, len(rows))
	for i := range rows {
		t, err := rows[i].trigger(b.fromNaive)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, nil
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// required refuses an empty value for a NOT NULL column.
func required(column, v string) error {
	if strings.TrimSpace(v) == "" {
		return fmt.Errorf("%w: %s is required", store.ErrInvalid, column)
	}
	return nil
}

// checkCommon checks the columns every trigger has and returns the stored
// form of the whitelist.
func (b *bunStore) checkCommon(spec *Spec) (whitelist string, err error) {
	for _, c := range []struct{ col, v string }{
		{"trigger_name", spec.Name}, {"process_name", spec.ProcessName}, {"process_path", spec.ProcessPath},
	} {
		if err := required(c.col, c.v); err != nil {
			return "", err
		}
	}
	for _, c := range []struct {
		col string
		v   string
		max int
	}{
		{"trigger_name", spec.Name, MaxTriggerName},
		{"process_name", spec.ProcessName, MaxProcessName},
		{"process_path", spec.ProcessPath, MaxProcessPath},
		{"process_args", spec.ProcessArgs, MaxProcessArgs},
		{"git_branch", spec.GitBranch, MaxGitBranch},
	} {
		if err := b.d.CheckText(c.col, c.v, c.max); err != nil {
			return "", err
		}
	}
	return b.whitelist(spec.SchedulerWhitelist)
}

// whitelist returns the stored form of a whitelist, checked against its
// column.
func (b *bunStore) whitelist(names []string) (string, error) {
	wl, err := encodeWhitelist(names)
	if err != nil {
		return "", err
	}
	return wl, b.d.CheckText("scheduler_whitelist", wl, MaxWhitelist)
}

// checkCron validates a cron expression for the cron_expr column: its
// length there, then the one parse every cron expression goes through
// (ParseCron's), which refuses one that never fires with ErrNeverFires.
func (b *bunStore) checkCron(expr string) (Schedule, error) {
	if err := b.d.CheckText("cron_expr", expr, MaxCronExpr); err != nil {
		return Schedule{}, err
	}
	s, err := parseCron("cron_expr", expr)
	if err != nil {
		return Schedule{}, cronError("cron_expr", expr, err)
	}
	return s, nil
}

func (b *bunStore) checkQueue(name string, minBatch int) error {
	if err := required("queue_name", name); err != nil {
		return err
	}
	if err := b.d.CheckText("queue_name", name, MaxQueueName); err != nil {
		return err
	}
	if minBatch < 1 {
		return fmt.Errorf("%w: min_batch_size is %d, must be at least 1", store.ErrInvalid, minBatch)
	}
	return nil
}

// checkSchedulerName checks a scheduler's name for Schedulers.machine_name
// and Triggers.flowstore_scheduler.
func (b *bunStore) checkSchedulerName(name string) error {
	if err := required("scheduler name", name); err != nil {
		return err
	}
	return b.d.CheckText("scheduler name", name, MaxSchedulerName)
}

// Create implements Store.
func (b *bunStore) Create(ctx context.Context, spec Spec) (Trigger, error) {
	if err := store.CheckContext(ctx); err != nil {
		return Trigger{}, wrap(err, "create %q", spec.Name)
	}
	t, err := b.create(ctx, spec)
	return t, wrap(err, "create %q", spec.Name)
}

func (b *bunStore) create(ctx context.Context, spec Spec) (Trigger, error) {
	if err := spec.Type.Validate(); err != nil {
		return Trigger{}, err
	}
	wl, err := b.checkCommon(&spec)
	if err != nil {
		return Trigger{}, err
	}
	now := b.h.Now()
	switch spec.Type {
	case Single:
		if spec.CronExpr != "" || spec.QueueName != "" || spec.MinBatchSize != 0 {
			return Trigger{}, fmt.Errorf("%w: a SINGLE trigger takes only next_run (cron_expr, queue_name, min_batch_size must be empty)", store.ErrInvalid)
		}
		if spec.NextRun.IsZero() {
			return Trigger{}, fmt.Errorf("%w: next_run is required for a SINGLE trigger", store.ErrInvalid)
		}
	case Scheduled:
		if spec.QueueName != "" || spec.MinBatchSize != 0 {
			return Trigger{}, fmt.Errorf("%w: a SCHEDULED trigger takes cron_expr and next_run (queue_name, min_batch_size must be empty)", store.ErrInvalid)
		}
		if strings.TrimSpace(spec.CronExpr) == "" {
			return Trigger{}, fmt.Errorf("%w: cron_expr is required for a SCHEDULED trigger", store.ErrInvalid)
		}
		sched, err := b.checkCron(spec.CronExpr)
		if err != nil {
			return Trigger{}, err
		}
		spec.CronExpr = sched.String()
		if spec.NextRun.IsZero() {
			if spec.NextRun, err = b.nextRun(sched, now); err != nil {
				return Trigger{}, err
			}
		}
	case Queue:
		if spec.CronExpr != "" || !spec.NextRun.IsZero() {
			return Trigger{}, fmt.Errorf("%w: a QUEUE trigger takes queue_name and min_batch_size (cron_expr, next_run must be empty)", store.ErrInvalid)
		}
		if err := b.checkQueue(spec.QueueName, spec.MinBatchSize); err != nil {
			return Trigger{}, err
		}
	}
	if !spec.NextRun.IsZero() {
		spec.NextRun = b.stored(spec.NextRun)
	}
	wlNames, _ := decodeWhitelist(wl)
	t := Trigger{
		ID: spec.ID, Name: spec.Name, ProcessName: spec.ProcessName, ProcessPath: spec.ProcessPath, ProcessArgs: spec.ProcessArgs,
		IsGitRepo: spec.IsGitRepo, GitBranch: spec.GitBranch, IsBlocking: spec.IsBlocking, Priority: spec.Priority,
		SchedulerWhitelist: wlNames, Type: spec.Type, Status: StatusIdle, NextRun: spec.NextRun, CronExpr: spec.CronExpr,
		QueueName: spec.QueueName, MinBatchSize: spec.MinBatchSize,
	}
	if t.ID == uuid.Nil {
		t.ID = uuid.New()
		return t, b.insert(ctx, t, wl)
	}
	// A caller-chosen id: a retry of a Create that did commit (its
	// outcome was unknown to the caller) finds the trigger it made. Every
	// spelling of the id counts, as for every lookup; two Creates racing
	// with one id meet at the primary key.
	if existing, err := b.get(ctx, t.ID); err == nil {
		return sameDefinition(existing, t)
	} else if !errors.Is(err, store.ErrNotFound) {
		return Trigger{}, err
	}
	err = b.insert(ctx, t, wl)
	if errors.Is(err, store.ErrDuplicate) {
		existing, gerr := b.get(ctx, t.ID)
		if gerr != nil {
			return Trigger{}, err
		}
		return sameDefinition(existing, t)
	}
	return t, err
}

// insert writes a new trigger's rows, parent first, in one transaction (a
// savepoint in a session), as OpenOrchestrator's SQLAlchemy inserts them.
func (b *bunStore) insert(ctx context.Context, t Trigger, whitelist string) error {
	id := b.db.RefUUID(t.ID)
	return b.h.InTx(ctx, func(ctx context.Context, h store.Handle) error {
		s := b.on(h)
		if _, err := s.exec(ctx, s.sql.insertTrigger, id, t.Name, t.ProcessName, nil, t.ProcessPath, nullable(t.ProcessArgs),
			string(StatusIdle), t.IsGitRepo, t.IsBlocking, string(t.Type), nullable(t.GitBranch), nullable(whitelist), t.Priority); err != nil {
			return err
		}
		var err error
		switch t.Type {
		case Scheduled:
			_, err = s.exec(ctx, s.sql.insertScheduled, id, t.CronExpr, s.naive(t.NextRun))
		case Single:
			_, err = s.exec(ctx, s.sql.insertSingle, id, s.naive(t.NextRun))
		case Queue:
			_, err = s.exec(ctx, s.sql.insertQueue, id, t.QueueName, t.MinBatchSize)
		}
		return err
	})
}

// sameDefinition answers a Create whose id is taken: the trigger there if
// it has the definition the Create asked for (a retry), else
// store.ErrDuplicate. What runs change — status, last_run, a scheduled
// trigger's next_run — is not part of the definition.
func sameDefinition(existing, want Trigger) (Trigger, error) {
	var diff []string
	cmp := func(field string, same bool) {
		if !same {
			diff = append(diff, field)
		}
	}
	cmp("type", existing.Type == want.Type)
	cmp("trigger_name", existing.Name == want.Name)
	cmp("process_name", existing.ProcessName == want.ProcessName)
	cmp("process_path", existing.ProcessPath == want.ProcessPath)
	cmp("process_args", existing.ProcessArgs == want.ProcessArgs)
	cmp("is_git_repo", existing.IsGitRepo == want.IsGitRepo)
	cmp("git_branch", existing.GitBranch == want.GitBranch)
	cmp("is_blocking", existing.IsBlocking == want.IsBlocking)
	cmp("priority", existing.Priority == want.Priority)
	cmp("scheduler_whitelist", slices.Equal(existing.SchedulerWhitelist, want.SchedulerWhitelist))
	switch want.Type {
	case Single:
		cmp("next_run", existing.NextRun.Equal(want.NextRun))
	case Scheduled:
		cmp("cron_expr", existing.CronExpr == want.CronExpr)
	case Queue:
		cmp("queue_name", existing.QueueName == want.QueueName)
		cmp("min_batch_size", existing.MinBatchSize == want.MinBatchSize)
	}
	if len(diff) > 0 {
		return Trigger{}, fmt.Errorf("%w: trigger %s exists with another %s", store.ErrDuplicate, want.ID, strings.Join(diff, ", "))
	}
	return existing, nil
}

// Get implements Store.
func (b *bunStore) Get(ctx context.Context, id uuid.UUID) (Trigger, error) {
	if err := store.CheckContext(ctx); err != nil {
		return Trigger{}, wrap(err, "get %s", id)
	}
	t, err := b.get(ctx, id)
	return t, wrap(err, "get %s", id)
}

func (b *bunStore) get(ctx context.Context, id uuid.UUID) (Trigger, error) {
	ts, err := b.triggers(ctx, b.sql.byID, b.ids(id))
	if err != nil {
		return Trigger{}, err
	}
	if len(ts) == 0 {
		return Trigger{}, store.ErrNotFound
	}
	return ts[0], nil
}

// List implements Store.
func (b *bunStore) List(ctx context.Context, f Filter) ([]Trigger, error) {
	if err := store.CheckContext(ctx); err != nil {
		return nil, wrap(err, "list")
	}
	ts, err := b.list(ctx, f)
	return ts, wrap(err, "list")
}

func (b *bunStore) list(ctx context.Context, f Filter) ([]Trigger, error) {
	if f.Type != "" {
		if err := f.Type.Validate(); err != nil {
			return nil, err
		}
	}
	for _, s := range f.Statuses {
		if err := s.Validate(); err != nil {
			return nil, err
		}
	}
	// The value looked up is refused as a write of it would be: one that
	// cannot be stored matches nothing, and must not reach bun's inlining.
	if err := b.d.CheckText("process_name", f.ProcessName, MaxProcessName); err != nil {
		return nil, err
	}
	query, args := b.sql.list(f)
	return b.triggers(ctx, query, args...)
}

// Update implements Store.
func (b *bunStore) Update(ctx context.Context, id uuid.UUID, p Patch) (Trigger, error) {
	if err := store.CheckContext(ctx); err != nil {
		return Trigger{}, wrap(err, "update %s", id)
	}
	t, err := b.update(ctx, id, p)
	return t, wrap(err, "update %s", id)
}

func (b *bunStore) update(ctx context.Context, id uuid.UUID, p Patch) (Trigger, error) {
	var out Trigger
	err := b.h.InTx(ctx, func(ctx context.Context, h store.Handle) error {
		s := b.on(h)
		// The Triggers row's lock first, whatever the patch names: it is
		// the order Begin takes the rows in, and the patch is then checked
		// against a row nobody changes before we commit.
		if err := s.lock(ctx, id); err != nil {
			return err
		}
		cur, err := s.get(ctx, id)
		if err != nil {
			return err
		}
		parent, child, err := s.patchSets(cur, p)
		if err != nil {
			return err
		}
		if len(parent.cols) > 0 {
			if _, err := s.exec(ctx, s.sql.patch("Triggers", parent.cols), append(parent.args, s.ids(id))...); err != nil {
				return err
			}
		}
		if len(child.cols) > 0 {
			if _, err := s.exec(ctx, s.sql.patch(childTable(cur.Type), child.cols), append(child.args, s.ids(id))...); err != nil {
				return err
			}
		}
		out, err = s.get(ctx, id)
		return err
	})
	return out, err
}

func childTable(t Type) string {
	switch t {
	case Scheduled:
		return "Scheduled_Triggers"
	case Queue:
		return "Queue_Triggers"
	default:
		return "Single_Triggers"
	}
}

// sets collects "column = ?" assignments of an UPDATE.
type sets struct {
	cols []string
	args []any
}

func (s *sets) add(col string, v any) { s.cols = append(s.cols, col); s.args = append(s.args, v) }

// patchSets validates p against the trigger cur and returns the assignments
// for the Triggers row and the subtype row.
func (b *bunStore) patchSets(cur Trigger, p Patch) (parent, child sets, err error) {
	for _, f := range []struct {
		col string
		v   *string
		max int
		req bool
	}{
		{"trigger_name", p.Name, MaxTriggerName, true},
		{"process_name", p.ProcessName, MaxProcessName, true},
		{"process_path", p.ProcessPath, MaxProcessPath, true},
		{"process_args", p.ProcessArgs, MaxProcessArgs, false},
		{"git_branch", p.GitBranch, MaxGitBranch, false},
	} {
		if f.v == nil {
			continue
		}
		if f.req {
			if err := required(f.col, *f.v); err != nil {
				return sets{}, sets{}, err
			}
		}
		if err := b.d.CheckText(f.col, *f.v, f.max); err != nil {
			return sets{}, sets{}, err
		}
		if f.req {
			parent.add(f.col, *f.v)
		} else {
			parent.add(f.col, nullable(*f.v))
		}
	}
	if p.IsGitRepo != nil {
		parent.add("is_git_repo", *p.IsGitRepo)
	}
	if p.IsBlocking != nil {
		parent.add("is_blocking", *p.IsBlocking)
	}
	if p.Priority != nil {
		parent.add("priority", *p.Priority)
	}
	if p.SchedulerWhitelist != nil {
		wl, err := b.whitelist(*p.SchedulerWhitelist)
		if err != nil {
			return sets{}, sets{}, err
		}
		parent.add("scheduler_whitelist", nullable(wl))
	}
	wrongType := func(field string) error {
		return fmt.Errorf("%w: %s does not apply to a %s trigger", store.ErrInvalid, field, cur.Type)
	}
	if p.CronExpr != nil {
		if cur.Type != Scheduled {
			return sets{}, sets{}, wrongType("cron_expr")
		}
		sched, err := b.checkCron(*p.CronExpr)
		if err != nil {
			return sets{}, sets{}, err
		}
		child.add("cron_expr", sched.String())
		if p.NextRun == nil {
			next, err := b.nextRun(sched, b.h.Now())
			if err != nil {
				return sets{}, sets{}, err
			}
			child.add("next_run", b.naive(next))
		}
	}
	if p.NextRun != nil {
		if cur.Type == Queue {
			return sets{}, sets{}, wrongType("next_run")
		}
		if p.NextRun.IsZero() {
			return sets{}, sets{}, fmt.Errorf("%w: next_run cannot be empty", store.ErrInvalid)
		}
		child.add("next_run", b.naive(*p.NextRun))
	}
	if p.QueueName != nil || p.MinBatchSize != nil {
		if cur.Type != Queue {
			if p.QueueName != nil {
				return sets{}, sets{}, wrongType("queue_name")
			}
			return sets{}, sets{}, wrongType("min_batch_size")
		}
		name, minBatch := cur.QueueName, cur.MinBatchSize
		if p.QueueName != nil {
			name = *p.QueueName
		}
		if p.MinBatchSize != nil {
			minBatch = *p.MinBatchSize
		}
		if err := b.checkQueue(name, minBatch); err != nil {
			return sets{}, sets{}, err
		}
		if p.QueueName != nil {
			child.add("queue_name", name)
		}
		if p.MinBatchSize != nil {
			child.add("min_batch_size", minBatch)
		}
	}
	return parent, child, nil
}

// Delete implements Store.
func (b *bunStore) Delete(ctx context.Context, id uuid.UUID) error {
	if err := store.CheckContext(ctx); err != nil {
		return wrap(err, "delete %s", id)
	}
	err := b.h.InTx(ctx, func(ctx context.Context, h store.Handle) error {
		s := b.on(h)
		// The Triggers row's lock first, as Begin and Update take it, though
		// the rows are deleted child first (the subtype rows reference it).
		if err := s.lock(ctx, id); err != nil {
			return err
		}
		for _, del := range s.sql.deleteChildren {
			if _, err := s.exec(ctx, del, s.ids(id)); err != nil {
				return err
			}
		}
		_, err := s.exec(ctx, s.sql.deleteTrigger, s.ids(id))
		return err
	})
	return wrap(err, "delete %s", id)
}

// lock takes the Triggers row's lock for the rest of the transaction, or
// returns store.ErrNotFound.
func (b *bunStore) lock(ctx context.Context, id uuid.UUID) error {
	var ids []uuid.UUID
	if err := b.scan(ctx, &ids, b.sql.lockTrigger, b.ids(id)); err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	if len(ids) == 0 {
		return store.ErrNotFound
	}
	return nil
}

// Due implements Store.
func (b *bunStore) Due(ctx context.Context, now time.Time, limit int) ([]Trigger, error) {
	if err := store.CheckContext(ctx); err != nil {
		return nil, wrap(err, "due")
	}
	n, err := store.PageLimit(limit)
	if err != nil {
		return nil, wrap(err, "due")
	}
	ts, err := b.due(ctx, now, n)
	return ts, wrap(err, "due")
}

// due returns the first limit due triggers, or all of them for limit 0:
// the scheduler must see every one (see Scheduler.startDue). next_run is
// compared with now's naive wall clock in the store's zone, as
// OpenOrchestrator compares it with its local datetime.now().
func (b *bunStore) due(ctx context.Context, now time.Time, limit int) ([]Trigger, error) {
	at := b.naive(now)
	if limit > 0 {
		return b.triggers(ctx, b.sql.dueLimit, at, at, limit)
	}
	return b.triggers(ctx, b.sql.due, at, at)
}

// Begin implements Store.
func (b *bunStore) Begin(ctx context.Context, t Trigger, by string) (Trigger, error) {
	if err := store.CheckContext(ctx); err != nil {
		return Trigger{}, wrap(err, "begin %s", t.ID)
	}
	started, err := b.begin(ctx, t, by)
	return started, wrap(err, "begin %s", t.ID)
}

func (b *bunStore) begin(ctx context.Context, t Trigger, by string) (Trigger, error) {
	if err := t.Type.Validate(); err != nil {
		return Trigger{}, err
	}
	if err := b.d.CheckText("scheduler name", by, MaxSchedulerName); err != nil {
		return Trigger{}, err
	}
	// Schedulers.latest_trigger gets the name the caller gives.
	if err := b.d.CheckText("trigger_name", t.Name, MaxTriggerName); err != nil {
		return Trigger{}, err
	}
	if t.Type == Scheduled && t.CronExpr != "" {
		// A cron expression that cannot give a next run (malformed, or
		// never firing, in a row another program wrote) is refused before
		// any write: the trigger stays IDLE, and a scheduler polling it
		// costs a read, not a transaction, per tick. The stored expression
		// is checked again below, under the row's lock.
		if _, err := b.checkCron(t.CronExpr); err != nil {
			return Trigger{}, err
		}
	}
	now := b.h.Now()
	at := b.naive(now)
	var next time.Time
	notStarted := func(why string) error { return fmt.Errorf("%w: %s", ErrNotStarted, why) }
	err := b.h.InTx(ctx, func(ctx context.Context, h store.Handle) error {
		s := b.on(h)
		ids := s.ids(t.ID)
		// First the Triggers row: the conditional UPDATE takes its row lock,
		// so every other Begin, End or status change of this trigger waits
		// for us, and the checks below see everything committed before.
		n, err := s.exec(ctx, s.sql.beginTrigger, at, nullable(by), ids, string(t.Type))
		if err != nil {
			return err
		}
		if n == 0 {
			return notStarted("not IDLE (started elsewhere, paused, or gone)")
		}
		switch t.Type {
		case Scheduled:
			var crons []string
			if err := s.scan(ctx, &crons, s.sql.cronOf, ids); err != nil && !errors.Is(err, store.ErrNotFound) {
				return err
			}
			if len(crons) == 0 {
				return notStarted("no Scheduled_Triggers row")
			}
			sched, err := s.checkCron(crons[0])
			if err != nil {
				return err
			}
			if next, err = s.nextRun(sched, now); err != nil {
				return err
			}
			// Conditional on still being due: a scheduler that started and
			// ended this occurrence has already moved next_run past now.
			n, err := s.exec(ctx, s.sql.beginScheduled, s.naive(next), ids, at)
			if err != nil {
				return err
			}
			if n == 0 {
				return notStarted("next_run is after now (this occurrence already ran)")
			}
			t.CronExpr = sched.String()
		case Single:
			var count int
			if err := s.scan(ctx, &count, s.sql.singleDue, ids, at); err != nil {
				return err
			}
			if count == 0 {
				return notStarted("next_run is after now")
			}
		case Queue:
			var count int
			if err := s.scan(ctx, &count, s.sql.queueDue, ids); err != nil {
				return err
			}
			if count == 0 {
				return notStarted("the queue holds fewer NEW elements than min_batch_size")
			}
		}
		if by != "" {
			if _, err := s.exec(ctx, s.sql.noteLatest, t.Name, at, by); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return Trigger{}, err
	}
	t.Status, t.LastRun, t.RunningOn = StatusRunning, b.stored(now), by
	if t.Type == Scheduled {
		t.NextRun = b.stored(next)
	}
	return t, nil
}

// End implements Store.
func (b *bunStore) End(ctx context.Context, id uuid.UUID) (Status, error) {
	return b.transitionOp(ctx, opEnd, id)
}

// Fail implements Store.
func (b *bunStore) Fail(ctx context.Context, id uuid.UUID) (Status, error) {
	return b.transitionOp(ctx, opFail, id)
}

// Pause implements Store.
func (b *bunStore) Pause(ctx context.Context, id uuid.UUID) (Status, error) {
	return b.transitionOp(ctx, opPause, id)
}

// Resume implements Store.
func (b *bunStore) Resume(ctx context.Context, id uuid.UUID) (Status, error) {
	return b.transitionOp(ctx, opResume, id)
}

// Kill implements Store.
func (b *bunStore) Kill(ctx context.Context, id uuid.UUID) (Status, error) {
	return b.transitionOp(ctx, opKill, id)
}

func (b *bunStore) transitionOp(ctx context.Context, o op, id uuid.UUID) (Status, error) {
	if err := store.CheckContext(ctx); err != nil {
		return "", wrap(err, "%s %s", o, id)
	}
	st, err := b.transition(ctx, o, id, "")
	return st, wrap(err, "%s %s", o, id)
}

// transition runs one conditional status UPDATE and returns the status the
// trigger has afterwards. With owner set, only a run that scheduler started
// is changed.
func (b *bunStore) transition(ctx context.Context, o op, id uuid.UUID, owner string) (Status, error) {
	tr := b.sql.transitions[o]
	args := []any{b.ids(id)}
	if owner != "" {
		args = append(args, owner)
	}
	var after Status
	err := b.h.InTx(ctx, func(ctx context.Context, h store.Handle) error {
		s := b.on(h)
		n, err := s.exec(ctx, tr.sql, args...)
		if err != nil {
			return err
		}
		var rows []string
		if err := s.scan(ctx, &rows, s.sql.statusOf, s.ids(id)); err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
		if len(rows) == 0 {
			return store.ErrNotFound
		}
		after = Status(rows[0])
		if n > 0 || slices.Contains(tr.noop, after) {
			return nil
		}
		why := fmt.Sprintf("%s accepts %s", strings.TrimSuffix(string(o), "-own"), quoteStatuses(tr.froms()))
		if owner != "" {
			why += " of a run started by scheduler " + owner
		}
		return fmt.Errorf("%w: the trigger is %s; %s", store.ErrConflict, after, why)
	})
	return after, err
}

// Heartbeat implements Store.
func (b *bunStore) Heartbeat(ctx context.Context, scheduler string) error {
	if err := store.CheckContext(ctx); err != nil {
		return wrap(err, "heartbeat %q", scheduler)
	}
	return wrap(b.heartbeat(ctx, scheduler), "heartbeat %q", scheduler)
}

func (b *bunStore) heartbeat(ctx context.Context, scheduler string) error {
	if err := b.checkSchedulerName(scheduler); err != nil {
		return err
	}
	now := b.naive(b.h.Now())
	n, err := b.exec(ctx, b.sql.heartbeatUpdate, now, scheduler)
	if err != nil || n > 0 {
		return err
	}
	// No row yet — or a row whose last_update already had this value,
	// where an UPDATE counts the rows it changed, not those it matched
	// (store.FeatureCountsChangedRows).
	_, err = b.exec(ctx, b.sql.heartbeatInsert, scheduler, now)
	if errors.Is(err, store.ErrDuplicate) {
		_, err = b.exec(ctx, b.sql.heartbeatUpdate, now, scheduler)
	}
	return err
}

// Schedulers implements Store.
func (b *bunStore) Schedulers(ctx context.Context) ([]SchedulerInfo, error) {
	if err := store.CheckContext(ctx); err != nil {
		return nil, wrap(err, "list schedulers")
	}
	var out []SchedulerInfo
	if err := b.scan(ctx, &out, b.sql.listSchedulers); err != nil && !errors.Is(err, store.ErrNotFound) {
		return nil, wrap(err, "list schedulers")
	}
	for i := range out {
		out[i].LastUpdate = b.fromNaive(out[i].LastUpdate)
		out[i].LatestTriggerTime = b.fromNaive(out[i].LatestTriggerTime)
	}
	return out, nil
}

// RecoverStale implements Store. It first lists, with a plain read, the
// stale schedulers that still own a run, so that the usual tick — none is
// stale, or the stale ones' runs were settled long ago — writes nothing and
// takes no locks; then it settles each one's runs with one conditional
// UPDATE in a transaction of its own.
func (b *bunStore) RecoverStale(ctx context.Context, staleBefore time.Time, mode RecoverMode) (int, error) {
	if err := store.CheckContext(ctx); err != nil {
		return 0, wrap(err, "recover stale schedulers")
	}
	if err := mode.validate(); err != nil {
		return 0, wrap(err, "recover stale schedulers")
	}
	names, err := b.staleSchedulers(ctx, staleBefore)
	if err != nil {
		return 0, wrap(err, "recover stale schedulers")
	}
	total := 0
	for _, name := range names {
		n, err := b.recoverScheduler(ctx, name, staleBefore, mode)
		total += n
		if err != nil {
			return total, wrap(err, "recover stale schedulers")
		}
	}
	return total, nil
}

func (m RecoverMode) validate() error {
	if m != RecoverFail && m != RecoverIdle {
		return fmt.Errorf("%w: unknown recover mode %d", store.ErrInvalid, m)
	}
	return nil
}

// staleSchedulers lists the schedulers whose heartbeat is before
// staleBefore and that still own a run. The heartbeats are naive, so the
// cutoff is staleBefore's naive wall clock: the instant first, then its wall
// clock, never the wall clock minus the lease. Across a spring-forward that
// is exact (the wall clock jumps, but keeps its order); in the repeated hour
// of a fall-back a heartbeat can only look younger than it is, so a live
// scheduler is never taken for dead, and a dead one is recovered up to the
// hour the clock fell back later.
func (b *bunStore) staleSchedulers(ctx context.Context, staleBefore time.Time) ([]string, error) {
	var names []string
	if err := b.scan(ctx, &names, b.sql.staleSchedulers, b.naive(staleBefore)); err != nil && !errors.Is(err, store.ErrNotFound) {
		return nil, err
	}
	return names, nil
}

// recoverScheduler settles the runs of the scheduler name, if its heartbeat
// is still before staleBefore, in a transaction of its own.
func (b *bunStore) recoverScheduler(ctx context.Context, name string, staleBefore time.Time, mode RecoverMode) (int, error) {
	var n int64
	err := b.h.InTx(ctx, func(ctx context.Context, h store.Handle) (err error) {
		n, err = b.on(h).exec(ctx, b.sql.recover[mode][0], name, name, b.naive(staleBefore))
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("the runs of scheduler %q: %w", name, err)
	}
	return int(n), nil
}

// errNameTaken: the name's row has a heartbeat younger than the lease.
var errNameTaken = errors.New("name taken")

// takeName makes the scheduler's Schedulers row its own, with a heartbeat
// at now, if the name has no row or its row's heartbeat is older than
// lease; in the same transaction it settles the runs a previous scheduler
// of the name left behind, as mode says, and returns how many. If a live
// scheduler has the name it changes nothing and returns errNameTaken.
// Taking the name is one conditional statement, so of two schedulers of
// one name starting at once only one gets it.
func (b *bunStore) takeName(ctx context.Context, name string, lease time.Duration, mode RecoverMode) (recovered int, err error) {
	err = b.h.InTx(ctx, func(ctx context.Context, h store.Handle) error {
		s := b.on(h)
		now := h.Now()
		n, err := s.exec(ctx, s.sql.takeName, s.naive(now), name, s.naive(now.Add(-lease)))
		if err != nil {
			return err
		}
		if n == 0 {
			_, err := s.exec(ctx, s.sql.heartbeatInsert, name, s.naive(now))
			if errors.Is(err, store.ErrDuplicate) {
				return errNameTaken
			}
			if err != nil {
				return err
			}
		}
		r, err := s.exec(ctx, s.sql.recover[mode][1], name)
		recovered = int(r)
		return err
	})
	return recovered, err
}

// releaseName removes the scheduler's Schedulers row unless a run it
// started is still active; it reports whether the row went.
func (b *bunStore) releaseName(ctx context.Context, name string) (bool, error) {
	n, err := b.exec(ctx, b.sql.releaseName, name, name)
	return n > 0, err
}

// lastHeartbeat returns the last_update of the scheduler's Schedulers row;
// found is false when it has none.
func (b *bunStore) lastHeartbeat(ctx context.Context, name string) (last time.Time, found bool, err error) {
	var rows []time.Time
	if err := b.scan(ctx, &rows, b.sql.lastHeartbeat, name); err != nil && !errors.Is(err, store.ErrNotFound) {
		return time.Time{}, false, err
	}
	if len(rows) == 0 {
		return time.Time{}, false, nil
	}
	return b.fromNaive(rows[0]), true, nil
}

// killing returns the ids of the KILLING triggers the scheduler runs.
func (b *bunStore) killing(ctx context.Context, name string) ([]uuid.UUID, error) {
	var ids []uuid.UUID
	if err := b.scan(ctx, &ids, b.sql.killing, name); err != nil && !errors.Is(err, store.ErrNotFound) {
		return nil, err
	}
	return ids, nil
}
