package orchestrator

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"iter"
	"time"

	"github.com/google/uuid"

	"github.com/flowstore/flowstore/orchestrator/internal/textrule"
	"github.com/flowstore/flowstore/store"
)

// Column lengths the checks below enforce before writing, in the dialect's
// text units (UTF-16 code units on SQL Server, whose columns are NVARCHAR).
const (
	maxAssignee  = 50  // processes.assignee
	maxStepName  = 255 // processes.last_step holds a step's name
	maxCreatedBy = 255 // processes.created_by, process_steps.created_by
	maxName      = 64  // engine_instances.instance_id
	maxHostname  = 255 // engine_instances.hostname
)

// bunStore is the Store on bun, for every dialect.
type bunStore struct {
	h store.Handle
	d *store.Dialect
	q *stmts
}

var _ Store = (*bunStore)(nil)

// New returns the orchestrator store of db. It renders the package's
// statements for db's dialect and does no I/O.
func New(db *store.DB) (Store, error) {
	if db == nil {
		return nil, fmt.Errorf("orchestrator: new store: %w: nil database", store.ErrInvalid)
	}
	return newStore(db), nil
}

func newStore(db *store.DB) *bunStore {
	return &bunStore{h: db.Handle(), d: db.SQLDialect(), q: newStmts(db.SQLDialect())}
}

// WithTx implements Store.
func (b *bunStore) WithTx(s *store.Session) Store { return b.withTx(s) }

func (b *bunStore) withTx(s *store.Session) *bunStore {
	return &bunStore{h: s.Handle(), d: b.d, q: b.q}
}

// on returns the same store on h (a transaction of its own, or a savepoint).
func (b *bunStore) on(h store.Handle) *bunStore { return &bunStore{h: h, d: b.d, q: b.q} }

// fail prefixes err with the package and the operation, once: the methods
// below return the errors of their unexported halves through it, and the
// engine calls those halves, adding its own context instead.
func fail(op string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("orchestrator: %s: %w", op, err)
}

// SaveWorkflow implements Store.
func (b *bunStore) SaveWorkflow(ctx context.Context, w *WorkflowRow) (*WorkflowRow, error) {
	if err := store.CheckContext(ctx); err != nil {
		return nil, fail("save workflow", err)
	}
	if w == nil {
		return nil, fail("save workflow", fmt.Errorf("%w: nil workflow", store.ErrInvalid))
	}
	out, err := b.saveWorkflow(ctx, w)
	return out, fail(fmt.Sprintf("save workflow %q", w.Name), err)
}

func (b *bunStore) saveWorkflow(ctx context.Context, w *WorkflowRow) (*WorkflowRow, error) {
	if w.Name == "" || !w.Target.Valid() {
		return nil, fmt.Errorf("%w: a workflow needs a name and a valid target (got %q)", store.ErrInvalid, w.Target)
	}
	// workflows.name is a unique key: as long as a key may be where the
	// schema leaves it unbounded (VARCHAR(450) on MySQL and SQL Server).
	if err := b.d.CheckKeyText("workflow name", w.Name); err != nil {
		return nil, err
	}
	if w.Description != nil {
		if err := store.ValidText("description", *w.Description); err != nil {
			return nil, err
		}
	}
	// Engines starting at once register the same new workflow at once: both
	// read no row, both insert, and the unique name makes one insert fail
	// with ErrDuplicate. That one then tries again, finds the winner's row
	// and goes on as an update (or as nothing, when the row is the same).
	// Each attempt is a transaction of its own, or a savepoint on a session,
	// so the failed insert is undone before the row is read again (on
	// PostgreSQL it would abort the transaction otherwise); at READ
	// COMMITTED, every dialect's level here, the new read sees the
	// committed row.
	for attempt := 0; ; attempt++ {
		out, err := b.saveWorkflowOnce(ctx, w)
		if errors.Is(err, store.ErrDuplicate) && attempt == 0 {
			continue
		}
		return out, err
	}
}

func (b *bunStore) saveWorkflowOnce(ctx context.Context, w *WorkflowRow) (*WorkflowRow, error) {
	var out *WorkflowRow
	err := b.h.InTx(ctx, func(ctx context.Context, h store.Handle) error {
		var cur WorkflowRow
		err := h.IDB().NewSelect().Model(&cur).Where("name = ?", w.Name).Scan(ctx)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			row := *w
			if row.WorkflowID == uuid.Nil {
				row.WorkflowID = uuid.New()
			}
			row.CreatedAt = h.Now()
			row.DeletedAt = nil
			if _, err := h.IDB().NewInsert().Model(&row).Exec(ctx); err != nil {
				return h.Classify(err)
			}
			out = &row
			return nil
		case err != nil:
			return h.Classify(err)
		}
		if cur.Target == w.Target && sameText(cur.Description, w.Description) && cur.DeletedAt == nil {
			// Unchanged: no write, so engines starting at once (each
			// registering its workflows) do not queue for a write lock.
			out = &cur
			return nil
		}
		cur.Target, cur.Description, cur.DeletedAt = w.Target, w.Description, nil
		if _, err := h.IDB().NewUpdate().Model(&cur).Column("target", "description", "deleted_at").WherePK().Exec(ctx); err != nil {
			return h.Classify(err)
		}
		out = &cur
		return nil
	})
	return out, err
}

// Workflow implements Store.
func (b *bunStore) Workflow(ctx context.Context, name string) (*WorkflowRow, error) {
	if err := b.checkLookup(ctx, "workflow name", name); err != nil {
		return nil, fail(fmt.Sprintf("workflow %q", name), err)
	}
	var w WorkflowRow
	err := b.h.IDB().NewSelect().Model(&w).Where("name = ?", name).Where("deleted_at IS NULL").Scan(ctx)
	if err != nil {
		return nil, fail(fmt.Sprintf("workflow %q", name), b.h.Classify(err))
	}
	return &w, nil
}

// WorkflowByID implements Store.
func (b *bunStore) WorkflowByID(ctx context.Context, id uuid.UUID) (*WorkflowRow, error) {
	if err := store.CheckContext(ctx); err != nil {
		return nil, fail("workflow "+id.String(), err)
	}
	var w WorkflowRow
	if err := b.h.IDB().NewSelect().Model(&w).Where("workflow_id = ?", id).Scan(ctx); err != nil {
		return nil, fail("workflow "+id.String(), b.h.Classify(err))
	}
	return &w, nil
}

// Workflows implements Store.
func (b *bunStore) Workflows(ctx context.Context) ([]WorkflowRow, error) {
	if err := store.CheckContext(ctx); err != nil {
		return nil, fail("workflows", err)
	}
	var ws []WorkflowRow
	err := b.h.IDB().NewSelect().Model(&ws).Where("deleted_at IS NULL").Order("name").Scan(ctx)
	if err != nil {
		return nil, fail("workflows", b.h.Classify(err))
	}
	return ws, nil
}

// DeleteWorkflow implements Store.
func (b *bunStore) DeleteWorkflow(ctx context.Context, name string) error {
	if err := b.checkLookup(ctx, "workflow name", name); err != nil {
		return fail(fmt.Sprintf("delete workflow %q", name), err)
	}
	res, err := b.h.IDB().NewUpdate().Model((*WorkflowRow)(nil)).Set("deleted_at = ?", b.h.Now()).
		Where("name = ?", name).Where("deleted_at IS NULL").Exec(ctx)
	if err != nil {
		return fail(fmt.Sprintf("delete workflow %q", name), b.h.Classify(err))
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fail(fmt.Sprintf("delete workflow %q", name), store.ErrNotFound)
	}
	return nil
}

// CreateProcess implements Store.
func (b *bunStore) CreateProcess(ctx context.Context, p *Process, initial State) error {
	if err := store.CheckContext(ctx); err != nil {
		return fail("create process", err)
	}
	if p == nil {
		return fail("create process", fmt.Errorf("%w: nil process", store.ErrInvalid))
	}
	return fail("create process", b.createProcess(ctx, p, initial))
}

func (b *bunStore) createProcess(ctx context.Context, p *Process, initial State) error {
	if p.PID == uuid.Nil {
		p.PID = uuid.New()
	}
	if p.Assignee == "" {
		p.Assignee = AssigneeSystem
	}
	if err := b.d.CheckText("assignee", p.Assignee, maxAssignee); err != nil {
		return err
	}
	if p.CreatedBy != nil {
		if err := b.d.CheckText("created_by", *p.CreatedBy, maxCreatedBy); err != nil {
			return err
		}
	}
	if p.LastStep != nil {
		if err := b.d.CheckText("last_step", *p.LastStep, maxStepName); err != nil {
			return err
		}
	}
	// failed_reason, traceback: text columns without a limit.
	if err := textrule.Struct("", p); err != nil {
		return err
	}
	now := b.h.Now()
	p.LastStatus, p.StartedAt, p.LastModifiedAt, p.EngineInstanceID = StatusCreated, now, now, nil
	in, err := textrule.Marshal("initial state", nonNil(initial))
	if err != nil {
		return err
	}
	return b.h.InTx(ctx, func(ctx context.Context, h store.Handle) error {
		if _, err := h.IDB().NewInsert().Model(p).Exec(ctx); err != nil {
			return h.Classify(err)
		}
		row := InputState{InputStateID: uuid.New(), PID: p.PID, State: in, InputTime: now, InputType: InputInitial}
		_, err := h.IDB().NewInsert().Model(&row).Exec(ctx)
		return h.Classify(err)
	})
}

func nonNil(s State) State {
	if s == nil {
		return State{}
	}
	return s
}

// Process implements Store.
func (b *bunStore) Process(ctx context.Context, pid uuid.UUID) (*Process, error) {
	if err := store.CheckContext(ctx); err != nil {
		return nil, fail("process "+pid.String(), err)
	}
	p, err := b.process(ctx, pid)
	return p, fail("process "+pid.String(), err)
}

func (b *bunStore) process(ctx context.Context, pid uuid.UUID) (*Process, error) {
	var p Process
	if err := selectProcesses(b.h.IDB()).Where("p.pid = ?", pid).Scan(ctx, &p); err != nil {
		return nil, b.h.Classify(err)
	}
	return &p, nil
}

// Processes implements Store.
func (b *bunStore) Processes(ctx context.Context, f ProcessFilter) ([]Process, error) {
	if err := store.CheckContext(ctx); err != nil {
		return nil, fail("processes", err)
	}
	n, err := b.checkFilter(f)
	if err != nil {
		return nil, fail("processes", err)
	}
	ps, err := b.processesPage(ctx, f, nil, n)
	return ps, fail("processes", err)
}

// AllProcesses implements Store.
func (b *bunStore) AllProcesses(ctx context.Context, f ProcessFilter) iter.Seq2[Process, error] {
	err := store.CheckContext(ctx)
	n := 0
	if err == nil {
		n, err = b.checkFilter(f)
	}
	if err != nil {
		return func(yield func(Process, error) bool) { yield(Process{}, fail("all processes", err)) }
	}
	page := func(ctx context.Context, after *Process, n int) ([]Process, error) {
		ps, err := b.processesPage(ctx, f, after, n)
		return ps, fail("all processes", err)
	}
	return store.Stream(ctx, n, page)
}

func (b *bunStore) checkFilter(f ProcessFilter) (int, error) {
	if f.Status != "" && !f.Status.Valid() {
		return 0, fmt.Errorf("%w: unknown process status %q", store.ErrInvalid, f.Status)
	}
	if f.Workflow != "" {
		if err := b.d.CheckKeyText("workflow name", f.Workflow); err != nil {
			return 0, err
		}
	}
	return store.PageLimit(f.Limit)
}

// checkLookup refuses a nil context, and a name a read looks up that no
// row could hold — by the rule its write would be refused by, so that it
// never reaches the SQL (store.Dialect.CheckText).
func (b *bunStore) checkLookup(ctx context.Context, what, name string) error {
	if err := store.CheckContext(ctx); err != nil {
		return err
	}
	return b.d.CheckKeyText(what, name)
}

func (b *bunStore) processesPage(ctx context.Context, f ProcessFilter, after *Process, n int) ([]Process, error) {
	var ps []Process
	if err := processesQuery(b.h.IDB(), f, after, n).Scan(ctx, &ps); err != nil {
		return nil, b.h.Classify(err)
	}
	return ps, nil
}

// Steps implements Store.
func (b *bunStore) Steps(ctx context.Context, pid uuid.UUID) ([]ProcessStep, error) {
	if err := store.CheckContext(ctx); err != nil {
		return nil, fail("steps of process "+pid.String(), err)
	}
	steps, err := b.steps(ctx, pid)
	return steps, fail("steps of process "+pid.String(), err)
}

func (b *bunStore) steps(ctx context.Context, pid uuid.UUID) ([]ProcessStep, error) {
	var steps []ProcessStep
	// Rows written by WFO itself have no seq; they come first, by time.
	err := b.h.IDB().NewSelect().Model(&steps).Where("pid = ?", pid).
		OrderExpr("CASE WHEN seq IS NULL THEN 0 ELSE 1 END, seq, executed_at").Scan(ctx)
	return steps, b.h.Classify(err)
}

// InputStates implements Store.
func (b *bunStore) InputStates(ctx context.Context, pid uuid.UUID) ([]InputState, error) {
	if err := store.CheckContext(ctx); err != nil {
		return nil, fail("inputs of process "+pid.String(), err)
	}
	in, err := b.inputStates(ctx, pid)
	return in, fail("inputs of process "+pid.String(), err)
}

func (b *bunStore) inputStates(ctx context.Context, pid uuid.UUID) ([]InputState, error) {
	var in []InputState
	err := b.h.IDB().NewSelect().Model(&in).Where("pid = ?", pid).OrderExpr("input_time, input_state_id").Scan(ctx)
	return in, b.h.Classify(err)
}

// AddInput implements Store.
func (b *bunStore) AddInput(ctx context.Context, pid uuid.UUID, typ InputType, input State) error {
	if err := store.CheckContext(ctx); err != nil {
		return fail("add input to process "+pid.String(), err)
	}
	return fail("add input to process "+pid.String(), b.addInput(ctx, pid, typ, input))
}

func (b *bunStore) addInput(ctx context.Context, pid uuid.UUID, typ InputType, input State) error {
	if typ != InputInitial && typ != InputUser {
		return fmt.Errorf("%w: input type %q", store.ErrInvalid, typ)
	}
	js, err := textrule.Marshal("input", nonNil(input))
	if err != nil {
		return err
	}
	at, err := b.inputTime(ctx, pid)
	if err != nil {
		return err
	}
	row := InputState{InputStateID: uuid.New(), PID: pid, State: js, InputTime: at, InputType: typ}
	_, err = b.h.IDB().NewInsert().Model(&row).Exec(ctx)
	return b.h.Classify(err)
}

// inputTime is the input_time of a new input row of pid: the clock's now,
// but never before the process's newest step row and always after its
// newest input row. The engine takes a resume's input only from a row
// recorded at or after the step that suspended, newest first (see
// Engine.Resume); this keeps that true when the resuming host's clock is
// behind the engine's, or when both rows fall into one clock tick (then
// input rows would otherwise tie, and ties sort by a random id).
func (b *bunStore) inputTime(ctx context.Context, pid uuid.UUID) (time.Time, error) {
	at := b.h.Now()
	var step ProcessStep
	err := newestStepQuery(b.h.IDB(), &step, pid).Scan(ctx)
	switch {
	case err == nil:
		if at.Before(step.ExecutedAt) {
			at = step.ExecutedAt
		}
	case !errors.Is(err, sql.ErrNoRows):
		return at, b.h.Classify(err)
	}
	var in InputState
	err = newestInputQuery(b.h.IDB(), &in, pid).Scan(ctx)
	switch {
	case err == nil:
		if !at.After(in.InputTime) {
			at = in.InputTime.Add(time.Microsecond)
		}
	case !errors.Is(err, sql.ErrNoRows):
		return at, b.h.Classify(err)
	}
	return at, nil
}

// Settings implements Store.
func (b *bunStore) Settings(ctx context.Context) (*EngineSettings, error) {
	if err := store.CheckContext(ctx); err != nil {
		return nil, fail("engine settings", err)
	}
	s, err := b.settings(ctx)
	return s, fail("engine settings", err)
}

func (b *bunStore) settings(ctx context.Context) (*EngineSettings, error) {
	var s EngineSettings
	if err := b.h.IDB().NewSelect().Model(&s).Limit(1).Scan(ctx); err != nil {
		return nil, b.h.Classify(err)
	}
	return &s, nil
}

// CountRunning implements Store.
func (b *bunStore) CountRunning(ctx context.Context) (int, error) {
	if err := store.CheckContext(ctx); err != nil {
		return 0, fail("count running processes", err)
	}
	n, err := b.h.IDB().NewSelect().Model((*Process)(nil)).Where("last_status = ?", StatusRunning).Count(ctx)
	return int(n), fail("count running processes", b.h.Classify(err))
}

func sameText(a, b *string) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return *a == *b
}
