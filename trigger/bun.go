package trigger

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/flowstore/flowstore/store"
)

// BunStore is the Store on bun. Build it with New; it is safe for concurrent
// use (bound to a Session, it is as safe as the Session: not at all).
type BunStore struct {
	h   store.Handle
	sql *statements
}

var _ Store = (*BunStore)(nil)

// New returns the trigger store of db.
func New(db *store.DB) *BunStore {
	return &BunStore{h: db.Handle(), sql: statementsFor(db.Dialect())}
}

// WithTx returns the same store bound to s: its writes commit with s.
func (b *BunStore) WithTx(s *store.Session) Store { return b.withTx(s) }

func (b *BunStore) withTx(s *store.Session) *BunStore {
	return &BunStore{h: s.Handle(), sql: b.sql}
}

func (b *BunStore) on(h store.Handle) *BunStore { return &BunStore{h: h, sql: b.sql} }

func (b *BunStore) exec(ctx context.Context, query string, args ...any) (int64, error) {
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

func (b *BunStore) scan(ctx context.Context, dest any, query string, args ...any) error {
	return b.h.Classify(b.h.IDB().NewRaw(query, args...).Scan(ctx, dest))
}

func (b *BunStore) triggers(ctx context.Context, query string, args ...any) ([]Trigger, error) {
	var rows []joined
	if err := b.scan(ctx, &rows, query, args...); err != nil && !errors.Is(err, store.ErrNotFound) {
		return nil, err
	}
	out := make([]Trigger, 0, len(rows))
	for i := range rows {
		t, err := rows[i].trigger()
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

func notFound(id uuid.UUID) error {
	return fmt.Errorf("%w: trigger %s", store.ErrNotFound, id)
}

// validateCommon checks the columns every trigger has.
func validateCommon(spec *Spec) (whitelist string, err error) {
	if err := required("trigger_name", spec.Name); err != nil {
		return "", err
	}
	if err := required("process_name", spec.ProcessName); err != nil {
		return "", err
	}
	if err := required("process_path", spec.ProcessPath); err != nil {
		return "", err
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
		if err := checkLen(c.col, c.v, c.max); err != nil {
			return "", err
		}
	}
	return encodeWhitelist(spec.SchedulerWhitelist)
}

// checkCron validates a cron expression for the cron_expr column.
func checkCron(expr string) (Schedule, error) {
	if err := checkLen("cron_expr", expr, MaxCronExpr); err != nil {
		return Schedule{}, err
	}
	s, err := ParseCron(expr)
	if err != nil {
		return Schedule{}, fmt.Errorf("cron_expr: %w", err)
	}
	return s, nil
}

func checkQueue(name string, minBatch int) error {
	if err := required("queue_name", name); err != nil {
		return err
	}
	if err := checkLen("queue_name", name, MaxQueueName); err != nil {
		return err
	}
	if minBatch < 1 {
		return fmt.Errorf("%w: min_batch_size is %d, must be at least 1", store.ErrInvalid, minBatch)
	}
	return nil
}

// Create implements Store.
func (b *BunStore) Create(ctx context.Context, spec Spec) (Trigger, error) {
	if err := spec.Type.Validate(); err != nil {
		return Trigger{}, err
	}
	wl, err := validateCommon(&spec)
	if err != nil {
		return Trigger{}, fmt.Errorf("trigger %q: %w", spec.Name, err)
	}
	fail := func(err error) (Trigger, error) { return Trigger{}, fmt.Errorf("trigger %q: %w", spec.Name, err) }
	now := b.h.Now()
	id := uuid.New()
	var child any
	switch spec.Type {
	case Single:
		if spec.CronExpr != "" || spec.QueueName != "" || spec.MinBatchSize != 0 {
			return fail(fmt.Errorf("%w: a SINGLE trigger takes only next_run (cron_expr, queue_name, min_batch_size must be empty)", store.ErrInvalid))
		}
		if spec.NextRun.IsZero() {
			return fail(fmt.Errorf("%w: next_run is required for a SINGLE trigger", store.ErrInvalid))
		}
		spec.NextRun = store.UTC(spec.NextRun)
		child = &singleRow{ID: id, NextRun: spec.NextRun}
	case Scheduled:
		if spec.QueueName != "" || spec.MinBatchSize != 0 {
			return fail(fmt.Errorf("%w: a SCHEDULED trigger takes cron_expr and next_run (queue_name, min_batch_size must be empty)", store.ErrInvalid))
		}
		if strings.TrimSpace(spec.CronExpr) == "" {
			return fail(fmt.Errorf("%w: cron_expr is required for a SCHEDULED trigger", store.ErrInvalid))
		}
		sched, err := checkCron(spec.CronExpr)
		if err != nil {
			return fail(err)
		}
		spec.CronExpr = sched.String()
		if spec.NextRun.IsZero() {
			spec.NextRun = sched.Next(now)
		}
		spec.NextRun = store.UTC(spec.NextRun)
		child = &scheduledRow{ID: id, CronExpr: spec.CronExpr, NextRun: spec.NextRun}
	case Queue:
		if spec.CronExpr != "" || !spec.NextRun.IsZero() {
			return fail(fmt.Errorf("%w: a QUEUE trigger takes queue_name and min_batch_size (cron_expr, next_run must be empty)", store.ErrInvalid))
		}
		if err := checkQueue(spec.QueueName, spec.MinBatchSize); err != nil {
			return fail(err)
		}
		child = &queueRow{ID: id, QueueName: spec.QueueName, MinBatchSize: spec.MinBatchSize}
	}
	parent := &triggerRow{
		ID: id, TriggerName: spec.Name, ProcessName: spec.ProcessName, ProcessPath: spec.ProcessPath,
		ProcessArgs: spec.ProcessArgs, ProcessStatus: StatusIdle, IsGitRepo: spec.IsGitRepo, IsBlocking: spec.IsBlocking,
		Type: spec.Type, GitBranch: spec.GitBranch, SchedulerWhitelist: wl, Priority: spec.Priority,
	}
	err = b.h.InTx(ctx, func(ctx context.Context, h store.Handle) error {
		if _, err := h.IDB().NewInsert().Model(parent).Exec(ctx); err != nil {
			return h.Classify(err)
		}
		if _, err := h.IDB().NewInsert().Model(child).Exec(ctx); err != nil {
			return h.Classify(err)
		}
		return nil
	})
	if err != nil {
		return fail(err)
	}
	wlNames, _ := decodeWhitelist(wl)
	return Trigger{
		ID: id, Name: spec.Name, ProcessName: spec.ProcessName, ProcessPath: spec.ProcessPath, ProcessArgs: spec.ProcessArgs,
		IsGitRepo: spec.IsGitRepo, GitBranch: spec.GitBranch, IsBlocking: spec.IsBlocking, Priority: spec.Priority,
		SchedulerWhitelist: wlNames, Type: spec.Type, Status: StatusIdle, NextRun: spec.NextRun, CronExpr: spec.CronExpr,
		QueueName: spec.QueueName, MinBatchSize: spec.MinBatchSize,
	}, nil
}

// Get implements Store.
func (b *BunStore) Get(ctx context.Context, id uuid.UUID) (Trigger, error) {
	ts, err := b.triggers(ctx, b.sql.byID, id)
	if err != nil {
		return Trigger{}, err
	}
	if len(ts) == 0 {
		return Trigger{}, notFound(id)
	}
	return ts[0], nil
}

// List implements Store.
func (b *BunStore) List(ctx context.Context, f Filter) ([]Trigger, error) {
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
	query, args := b.sql.list(f)
	return b.triggers(ctx, query, args...)
}

// Update implements Store.
func (b *BunStore) Update(ctx context.Context, id uuid.UUID, p Patch) (Trigger, error) {
	var out Trigger
	err := b.h.InTx(ctx, func(ctx context.Context, h store.Handle) error {
		s := b.on(h)
		// The Triggers row's lock first, whatever the patch names: it is
		// the order Begin takes the rows in, and the patch is then checked
		// against a row nobody changes before we commit.
		if err := s.lock(ctx, id); err != nil {
			return err
		}
		cur, err := s.Get(ctx, id)
		if err != nil {
			return err
		}
		parent, child, err := s.patchSets(cur, p)
		if err != nil {
			return fmt.Errorf("trigger %s: %w", id, err)
		}
		if len(parent.cols) > 0 {
			if _, err := s.exec(ctx, s.sql.patch("Triggers", parent.cols), append(parent.args, id)...); err != nil {
				return err
			}
		}
		if len(child.cols) > 0 {
			if _, err := s.exec(ctx, s.sql.patch(childTable(cur.Type), child.cols), append(child.args, id)...); err != nil {
				return err
			}
		}
		out, err = s.Get(ctx, id)
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
func (b *BunStore) patchSets(cur Trigger, p Patch) (parent, child sets, err error) {
	str := func(col string, v *string, max int, req bool) error {
		if v == nil {
			return nil
		}
		if req {
			if err := required(col, *v); err != nil {
				return err
			}
		}
		if err := checkLen(col, *v, max); err != nil {
			return err
		}
		if req {
			parent.add(col, *v)
		} else {
			parent.add(col, nullable(*v))
		}
		return nil
	}
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
		if err := str(f.col, f.v, f.max, f.req); err != nil {
			return sets{}, sets{}, err
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
		wl, err := encodeWhitelist(*p.SchedulerWhitelist)
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
		sched, err := checkCron(*p.CronExpr)
		if err != nil {
			return sets{}, sets{}, err
		}
		child.add("cron_expr", sched.String())
		if p.NextRun == nil {
			child.add("next_run", sched.Next(b.h.Now()))
		}
	}
	if p.NextRun != nil {
		if cur.Type == Queue {
			return sets{}, sets{}, wrongType("next_run")
		}
		if p.NextRun.IsZero() {
			return sets{}, sets{}, fmt.Errorf("%w: next_run cannot be empty", store.ErrInvalid)
		}
		child.add("next_run", store.UTC(*p.NextRun))
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
		if err := checkQueue(name, minBatch); err != nil {
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
func (b *BunStore) Delete(ctx context.Context, id uuid.UUID) error {
	return b.h.InTx(ctx, func(ctx context.Context, h store.Handle) error {
		s := b.on(h)
		// The Triggers row's lock first, as Begin and Update take it, though
		// the rows are deleted child first (the subtype rows reference it).
		if err := s.lock(ctx, id); err != nil {
			return err
		}
		for _, del := range s.sql.deleteChildren {
			if _, err := s.exec(ctx, del, id); err != nil {
				return err
			}
		}
		_, err := s.exec(ctx, s.sql.deleteTrigger, id)
		return err
	})
}

// lock takes the Triggers row's lock for the rest of the transaction, or
// returns store.ErrNotFound.
func (b *BunStore) lock(ctx context.Context, id uuid.UUID) error {
	var ids []uuid.UUID
	if err := b.scan(ctx, &ids, b.sql.lockTrigger, id); err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	if len(ids) == 0 {
		return notFound(id)
	}
	return nil
}

// Due implements Store.
func (b *BunStore) Due(ctx context.Context, now time.Time, limit int) ([]Trigger, error) {
	now = store.UTC(now)
	if limit > 0 {
		return b.triggers(ctx, b.sql.dueLimit, now, now, limit)
	}
	return b.triggers(ctx, b.sql.due, now, now)
}

// Begin implements Store.
func (b *BunStore) Begin(ctx context.Context, t Trigger, by string) (Trigger, error) {
	if err := t.Type.Validate(); err != nil {
		return Trigger{}, err
	}
	if err := checkLen("scheduler name", by, MaxSchedulerName); err != nil {
		return Trigger{}, err
	}
	now := b.h.Now()
	notStarted := func(why string) error { return fmt.Errorf("%w: %s: %s", ErrNotStarted, t.ID, why) }
	err := b.h.InTx(ctx, func(ctx context.Context, h store.Handle) error {
		s := b.on(h)
		// First the Triggers row: the conditional UPDATE takes its row lock,
		// so every other Begin, End or status change of this trigger waits
		// for us, and the checks below see everything committed before.
		n, err := s.exec(ctx, s.sql.beginTrigger, now, nullable(by), t.ID, string(t.Type))
		if err != nil {
			return err
		}
		if n == 0 {
			return notStarted("not IDLE (started elsewhere, paused, or gone)")
		}
		switch t.Type {
		case Scheduled:
			var rows []scheduledRow
			if err := s.scan(ctx, &rows, s.sql.cronOf, t.ID); err != nil && !errors.Is(err, store.ErrNotFound) {
				return err
			}
			if len(rows) == 0 {
				return notStarted("no Scheduled_Triggers row")
			}
			sched, err := ParseCron(rows[0].CronExpr)
			if err != nil {
				return fmt.Errorf("trigger %s: stored cron_expr: %w", t.ID, err)
			}
			next := sched.Next(now)
			// Conditional on still being due: a scheduler that started and
			// ended this occurrence has already moved next_run past now.
			n, err := s.exec(ctx, s.sql.beginScheduled, next, t.ID, now)
			if err != nil {
				return err
			}
			if n == 0 {
				return notStarted("next_run is after now (this occurrence already ran)")
			}
			t.CronExpr, t.NextRun = sched.String(), next
		case Single:
			var count int
			if err := s.scan(ctx, &count, s.sql.singleDue, t.ID, now); err != nil {
				return err
			}
			if count == 0 {
				return notStarted("next_run is after now")
			}
		case Queue:
			var count int
			if err := s.scan(ctx, &count, s.sql.queueDue, t.ID); err != nil {
				return err
			}
			if count == 0 {
				return notStarted("the queue holds fewer NEW elements than min_batch_size")
			}
		}
		if by != "" {
			if _, err := s.exec(ctx, s.sql.noteLatest, t.Name, now, by); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return Trigger{}, err
	}
	t.Status, t.LastRun, t.RunningOn = StatusRunning, now, by
	return t, nil
}

// End implements Store.
func (b *BunStore) End(ctx context.Context, id uuid.UUID) (Status, error) {
	return b.transition(ctx, opEnd, id, "")
}

// Fail implements Store.
func (b *BunStore) Fail(ctx context.Context, id uuid.UUID) (Status, error) {
	return b.transition(ctx, opFail, id, "")
}

// Pause implements Store.
func (b *BunStore) Pause(ctx context.Context, id uuid.UUID) (Status, error) {
	return b.transition(ctx, opPause, id, "")
}

// Resume implements Store.
func (b *BunStore) Resume(ctx context.Context, id uuid.UUID) (Status, error) {
	return b.transition(ctx, opResume, id, "")
}

// Kill implements Store.
func (b *BunStore) Kill(ctx context.Context, id uuid.UUID) (Status, error) {
	return b.transition(ctx, opKill, id, "")
}

// transition runs one conditional status UPDATE and returns the status the
// trigger has afterwards. With owner set, only a run that scheduler started
// is changed.
func (b *BunStore) transition(ctx context.Context, o op, id uuid.UUID, owner string) (Status, error) {
	tr := b.sql.transitions[o]
	args := []any{id}
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
		if err := s.scan(ctx, &rows, s.sql.statusOf, id); err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
		if len(rows) == 0 {
			return notFound(id)
		}
		after = Status(rows[0])
		if n > 0 || slices.Contains(tr.noop, after) {
			return nil
		}
		why := fmt.Sprintf("%s accepts %s", strings.TrimSuffix(string(o), "-own"), quoteStatuses(tr.froms()))
		if owner != "" {
			why += " of a run started by scheduler " + owner
		}
		return fmt.Errorf("%w: trigger %s is %s; %s", store.ErrConflict, id, after, why)
	})
	return after, err
}

// Heartbeat implements Store.
func (b *BunStore) Heartbeat(ctx context.Context, scheduler string) error {
	if err := required("machine_name", scheduler); err != nil {
		return err
	}
	if err := checkLen("machine_name", scheduler, MaxSchedulerName); err != nil {
		return err
	}
	now := b.h.Now()
	n, err := b.exec(ctx, b.sql.heartbeatUpdate, now, scheduler)
	if err != nil || n > 0 {
		return err
	}
	// No row yet — or, on MySQL, a row whose last_update already had this
	// value (MySQL counts changed rows, not matched ones).
	_, err = b.exec(ctx, b.sql.heartbeatInsert, scheduler, now)
	if errors.Is(err, store.ErrDuplicate) {
		_, err = b.exec(ctx, b.sql.heartbeatUpdate, now, scheduler)
	}
	return err
}

// Schedulers implements Store.
func (b *BunStore) Schedulers(ctx context.Context) ([]SchedulerInfo, error) {
	var out []SchedulerInfo
	if err := b.scan(ctx, &out, b.sql.listSchedulers); err != nil && !errors.Is(err, store.ErrNotFound) {
		return nil, err
	}
	for i := range out {
		out[i].LastUpdate = store.UTC(out[i].LastUpdate)
		out[i].LatestTriggerTime = store.UTC(out[i].LatestTriggerTime)
	}
	return out, nil
}

// RecoverStale implements Store. It first lists, with a plain read, the
// stale schedulers that still own a run, so that the usual tick — none is
// stale, or the stale ones' runs were settled long ago — writes nothing and
// takes no locks; then it settles each one's runs with one conditional
// UPDATE in a transaction of its own.
func (b *BunStore) RecoverStale(ctx context.Context, staleBefore time.Time, mode RecoverMode) (int, error) {
	stmts, ok := b.sql.recover[mode]
	if !ok {
		return 0, fmt.Errorf("%w: recover mode %d", store.ErrInvalid, mode)
	}
	staleBefore = store.UTC(staleBefore)
	var names []string
	if err := b.scan(ctx, &names, b.sql.staleSchedulers, staleBefore); err != nil && !errors.Is(err, store.ErrNotFound) {
		return 0, err
	}
	total := 0
	for _, name := range names {
		var n int64
		err := b.h.InTx(ctx, func(ctx context.Context, h store.Handle) (err error) {
			n, err = b.on(h).exec(ctx, stmts[0], name, name, staleBefore)
			return err
		})
		if err != nil {
			return total, fmt.Errorf("recover the runs of scheduler %q: %w", name, err)
		}
		total += int(n)
	}
	return total, nil
}

// recoverOwn settles the runs a scheduler of this name left behind (it
// crashed and was restarted before its heartbeat went stale).
func (b *BunStore) recoverOwn(ctx context.Context, name string, mode RecoverMode) (int, error) {
	n, err := b.exec(ctx, b.sql.recover[mode][1], name)
	return int(n), err
}

// lastHeartbeat returns the last_update of the scheduler's Schedulers row;
// found is false when it has none.
func (b *BunStore) lastHeartbeat(ctx context.Context, name string) (last time.Time, found bool, err error) {
	var rows []time.Time
	if err := b.scan(ctx, &rows, b.sql.lastHeartbeat, name); err != nil && !errors.Is(err, store.ErrNotFound) {
		return time.Time{}, false, err
	}
	if len(rows) == 0 {
		return time.Time{}, false, nil
	}
	return store.UTC(rows[0]), true, nil
}

// killing returns the ids of the KILLING triggers the scheduler runs.
func (b *BunStore) killing(ctx context.Context, name string) ([]uuid.UUID, error) {
	var ids []uuid.UUID
	if err := b.scan(ctx, &ids, b.sql.killing, name); err != nil && !errors.Is(err, store.ErrNotFound) {
		return nil, err
	}
	return ids, nil
}
