package orchestrator

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/flowstore/flowstore/store"
)

// BunStore is the Store on bun, for every dialect.
type BunStore struct {
	h store.Handle
}

var _ Store = (*BunStore)(nil)

// New returns the orchestrator store of db.
func New(db *store.DB) *BunStore { return &BunStore{h: db.Handle()} }

// WithTx returns the same store bound to s, so its writes commit with the
// session's other work.
func (b *BunStore) WithTx(s *store.Session) *BunStore { return &BunStore{h: s.Handle()} }

func notFound(what string, id any, err error) error {
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("%w: %s %v", store.ErrNotFound, what, id)
	}
	return err
}

// SaveWorkflow implements Store.
func (b *BunStore) SaveWorkflow(ctx context.Context, w *WorkflowRow) (*WorkflowRow, error) {
	if w.Name == "" || !w.Target.Valid() {
		return nil, fmt.Errorf("%w: workflow needs a name and a valid target (got %q, %q)", store.ErrInvalid, w.Name, w.Target)
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
		out, err := b.saveWorkflow(ctx, w)
		if errors.Is(err, store.ErrDuplicate) && attempt == 0 {
			continue
		}
		return out, err
	}
}

func (b *BunStore) saveWorkflow(ctx context.Context, w *WorkflowRow) (*WorkflowRow, error) {
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
func (b *BunStore) Workflow(ctx context.Context, name string) (*WorkflowRow, error) {
	var w WorkflowRow
	err := b.h.IDB().NewSelect().Model(&w).Where("name = ?", name).Where("deleted_at IS NULL").Scan(ctx)
	if err != nil {
		return nil, notFound("workflow", name, b.h.Classify(err))
	}
	return &w, nil
}

// WorkflowByID implements Store.
func (b *BunStore) WorkflowByID(ctx context.Context, id uuid.UUID) (*WorkflowRow, error) {
	var w WorkflowRow
	if err := b.h.IDB().NewSelect().Model(&w).Where("workflow_id = ?", id).Scan(ctx); err != nil {
		return nil, notFound("workflow", id, b.h.Classify(err))
	}
	return &w, nil
}

// Workflows implements Store.
func (b *BunStore) Workflows(ctx context.Context) ([]WorkflowRow, error) {
	var ws []WorkflowRow
	err := b.h.IDB().NewSelect().Model(&ws).Where("deleted_at IS NULL").Order("name").Scan(ctx)
	return ws, b.h.Classify(err)
}

// DeleteWorkflow implements Store.
func (b *BunStore) DeleteWorkflow(ctx context.Context, name string) error {
	res, err := b.h.IDB().NewUpdate().Model((*WorkflowRow)(nil)).Set("deleted_at = ?", b.h.Now()).
		Where("name = ?", name).Where("deleted_at IS NULL").Exec(ctx)
	if err != nil {
		return b.h.Classify(err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("%w: workflow %q", store.ErrNotFound, name)
	}
	return nil
}

// CreateProcess implements Store.
func (b *BunStore) CreateProcess(ctx context.Context, p *Process, initial State) error {
	if p.PID == uuid.Nil {
		p.PID = uuid.New()
	}
	if p.Assignee == "" {
		p.Assignee = AssigneeSystem
	}
	if utf8.RuneCountInString(p.Assignee) > 50 { // varchar(50) counts characters
		return fmt.Errorf("%w: assignee longer than 50 characters", store.ErrTooLong)
	}
	now := b.h.Now()
	p.LastStatus, p.StartedAt, p.LastModifiedAt, p.EngineInstanceID = StatusCreated, now, now, nil
	in, err := json.Marshal(nonNil(initial))
	if err != nil {
		return fmt.Errorf("%w: initial state is not JSON: %v", store.ErrInvalid, err)
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

func (b *BunStore) selectProcesses() *bun.SelectQuery {
	return b.h.IDB().NewSelect().ColumnExpr("p.*").ColumnExpr("w.name AS workflow_name").
		TableExpr("processes AS p").Join("JOIN workflows AS w ON w.workflow_id = p.workflow_id")
}

// Process implements Store.
func (b *BunStore) Process(ctx context.Context, pid uuid.UUID) (*Process, error) {
	var p Process
	if err := b.selectProcesses().Where("p.pid = ?", pid).Scan(ctx, &p); err != nil {
		return nil, notFound("process", pid, b.h.Classify(err))
	}
	return &p, nil
}

// Processes implements Store.
func (b *BunStore) Processes(ctx context.Context, f ProcessFilter) ([]Process, error) {
	q, err := b.processesQuery(f)
	if err != nil {
		return nil, err
	}
	var ps []Process
	err = q.Scan(ctx, &ps)
	return ps, b.h.Classify(err)
}

func (b *BunStore) processesQuery(f ProcessFilter) (*bun.SelectQuery, error) {
	if f.Status != "" && !f.Status.Valid() {
		return nil, fmt.Errorf("%w: unknown process status %q", store.ErrInvalid, f.Status)
	}
	q := b.selectProcesses()
	if f.Status != "" {
		q.Where("p.last_status = ?", f.Status)
	}
	if f.Workflow != "" {
		q.Where("w.name = ?", f.Workflow)
	}
	if f.IsTask != nil {
		q.Where("p.is_task = ?", *f.IsTask)
	}
	q.OrderExpr("p.started_at DESC, p.pid")
	if f.Limit > 0 {
		q.Limit(int64(f.Limit))
	}
	return q, nil
}

// Steps implements Store.
func (b *BunStore) Steps(ctx context.Context, pid uuid.UUID) ([]ProcessStep, error) {
	var steps []ProcessStep
	// Rows written by WFO itself have no seq; they come first, by time.
	err := b.h.IDB().NewSelect().Model(&steps).Where("pid = ?", pid).
		OrderExpr("CASE WHEN seq IS NULL THEN 0 ELSE 1 END, seq, executed_at").Scan(ctx)
	return steps, b.h.Classify(err)
}

// InputStates implements Store.
func (b *BunStore) InputStates(ctx context.Context, pid uuid.UUID) ([]InputState, error) {
	var in []InputState
	err := b.h.IDB().NewSelect().Model(&in).Where("pid = ?", pid).OrderExpr("input_time, input_state_id").Scan(ctx)
	return in, b.h.Classify(err)
}

// AddInput implements Store.
func (b *BunStore) AddInput(ctx context.Context, pid uuid.UUID, typ InputType, input State) error {
	if typ != InputInitial && typ != InputUser {
		return fmt.Errorf("%w: input type %q", store.ErrInvalid, typ)
	}
	js, err := json.Marshal(nonNil(input))
	if err != nil {
		return fmt.Errorf("%w: input is not JSON: %v", store.ErrInvalid, err)
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
func (b *BunStore) inputTime(ctx context.Context, pid uuid.UUID) (time.Time, error) {
	at := b.h.Now()
	var step ProcessStep
	err := b.newestStepQuery(&step, pid).Scan(ctx)
	switch {
	case err == nil:
		if at.Before(step.ExecutedAt) {
			at = step.ExecutedAt
		}
	case !errors.Is(err, sql.ErrNoRows):
		return at, b.h.Classify(err)
	}
	var in InputState
	err = b.newestInputQuery(&in, pid).Scan(ctx)
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

// newestStepQuery reads the executed_at of pid's newest step row into step.
func (b *BunStore) newestStepQuery(step *ProcessStep, pid uuid.UUID) *bun.SelectQuery {
	return b.h.IDB().NewSelect().Model(step).Column("executed_at").Where("pid = ?", pid).OrderExpr("executed_at DESC").Limit(1)
}

// newestInputQuery reads the input_time of pid's newest input row into in.
func (b *BunStore) newestInputQuery(in *InputState, pid uuid.UUID) *bun.SelectQuery {
	return b.h.IDB().NewSelect().Model(in).Column("input_time").Where("pid = ?", pid).OrderExpr("input_time DESC").Limit(1)
}

// Settings implements Store.
func (b *BunStore) Settings(ctx context.Context) (*EngineSettings, error) {
	var s EngineSettings
	if err := b.h.IDB().NewSelect().Model(&s).Limit(1).Scan(ctx); err != nil {
		return nil, notFound("engine_settings row", "", b.h.Classify(err))
	}
	return &s, nil
}

// CountRunning implements Store.
func (b *BunStore) CountRunning(ctx context.Context) (int, error) {
	n, err := b.h.IDB().NewSelect().Model((*Process)(nil)).Where("last_status = ?", StatusRunning).Count(ctx)
	return int(n), b.h.Classify(err)
}

func sameText(a, b *string) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return *a == *b
}
