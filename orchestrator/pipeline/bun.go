package pipeline

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/uptrace/bun"

	"github.com/flowstore/flowstore/store"
)

// BunStore implements Store with bun on a store.Handle.
type BunStore struct {
	h       store.Handle
	lock    nameLock // the dialect's name lock, chosen once in New
	rowLock rowLock  // the dialect's locking read, chosen once in New
}

var _ Store = (*BunStore)(nil)

// New returns a store on db; each method runs in its own transaction where it
// writes more than one row.
func New(db *store.DB) *BunStore {
	return &BunStore{h: db.Handle(), lock: nameLockFor(db.Dialect()), rowLock: rowLockFor(db.Dialect())}
}

// WithTx returns the same store bound to s: its writes commit (or roll back)
// with the session's, and its multi-row methods use savepoints inside it.
func (s *BunStore) WithTx(sess *store.Session) *BunStore {
	return &BunStore{h: sess.Handle(), lock: s.lock, rowLock: s.rowLock}
}

// on returns the store bound to h (a transaction or savepoint of its own).
func (s *BunStore) on(h store.Handle) *BunStore {
	return &BunStore{h: h, lock: s.lock, rowLock: s.rowLock}
}

// ident quotes a column name for the dialect: several ContainerOps columns
// (key, default, character, action, type, …) are reserved words somewhere.
func ident(name string) bun.Ident { return bun.Ident(name) }

func dbErr(h store.Handle, op string, err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, store.ErrInvalid) || errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrConflict) ||
		errors.Is(err, store.ErrTooLong) {
		return err
	}
	return fmt.Errorf("pipeline: %s: %w", op, h.Classify(err))
}

// checkLen refuses a value longer than its varchar(n) column, before
// anything is written.
func checkLen(field, v string, n int) error {
	if c := utf8.RuneCountInString(v); c > n {
		return fmt.Errorf("pipeline: %w: %s has %d characters, the column holds %d", store.ErrTooLong, field, c, n)
	}
	return nil
}

func checkLens(pairs ...string) error {
	for i := 0; i+1 < len(pairs); i += 2 {
		if err := checkLen(pairs[i], pairs[i+1], 255); err != nil {
			return err
		}
	}
	return nil
}

func required(field, v string) error {
	if strings.TrimSpace(v) == "" {
		return invalid("%s is required", field)
	}
	return nil
}

// ---- definitions ----

func validateSpec(spec WorkflowSpec) error {
	w := spec.Workflow
	for _, f := range [][2]string{{"namespace", w.Namespace}, {"repository", w.Repository}, {"workflow", w.Name}} {
		if err := required(f[0], f[1]); err != nil {
			return err
		}
	}
	if err := checkLens("namespace", w.Namespace, "repository", w.Repository, "workflow", w.Name, "version", w.Version); err != nil {
		return err
	}
	if !w.State.valid() {
		return invalid("unknown workflow state %d", w.State)
	}
	if w.LimitInstance < 0 {
		return invalid("limit_instance %d is negative", w.LimitInstance)
	}
	for i, st := range spec.Stages {
		if err := required(fmt.Sprintf("stage %d name", i), st.Stage.Name); err != nil {
			return err
		}
		if !st.Stage.Type.valid() {
			return invalid("stage %q: unknown type %d", st.Stage.Name, st.Stage.Type)
		}
		if err := checkLens("stage", st.Stage.Name, "stage title", st.Stage.Title, "stage timeout", st.Stage.Timeout); err != nil {
			return err
		}
		for j, a := range st.Actions {
			if err := required(fmt.Sprintf("stage %q action %d name", st.Stage.Name, j), a.Name); err != nil {
				return err
			}
			if err := checkLens("action", a.Name, "action title", a.Title, "image_name", a.ImageName,
				"image_tag", a.ImageTag, "action timeout", a.Timeout); err != nil {
				return err
			}
		}
	}
	for _, v := range spec.Vars {
		if err := required("variable key", v.Key); err != nil {
			return err
		}
		if err := checkLen("variable key", v.Key, 255); err != nil {
			return err
		}
	}
	return nil
}

func byName(q *bun.SelectQuery, namespace, repository, name string) *bun.SelectQuery {
	return q.Where("? = ?", ident("namespace"), namespace).
		Where("? = ?", ident("repository"), repository).
		Where("? = ?", ident("workflow"), name)
}

// CreateWorkflow implements Definitions.
func (s *BunStore) CreateWorkflow(ctx context.Context, spec WorkflowSpec) (*Definition, error) {
	if err := validateSpec(spec); err != nil {
		return nil, err
	}
	var def *Definition
	err := s.h.InTx(ctx, func(ctx context.Context, h store.Handle) error {
		idb, now := h.IDB(), h.Now()
		w := spec.Workflow
		// Lock the name first (see nameLock): concurrent creators of the
		// same workflow then read the version codes one after another.
		if err := s.lock.take(ctx, h, lockVersion, w.Namespace, w.Repository, w.Name); err != nil {
			return err
		}
		// A locking read: inside a caller's session on MySQL a plain read
		// would show the session's snapshot, without versions committed since.
		var codes []string
		q := byName(idb.NewSelect().Model((*Workflow)(nil)).WhereAllWithDeleted().Column("version_code"),
			w.Namespace, w.Repository, w.Name)
		if err := s.rowLock(q, "workflow", "w").Scan(ctx, &codes); err != nil {
			return dbErr(h, "read version codes", err)
		}
		top := 0
		for _, c := range codes {
			if n, err := strconv.Atoi(strings.TrimSpace(c)); err == nil && n > top {
				top = n
			}
		}
		w.ID, w.VersionCode = 0, strconv.Itoa(top+1)
		if top > 0 {
			w.State = StateDisabled
		}
		w.CreatedAt, w.UpdatedAt, w.DeletedAt = now, now, time.Time{}
		w.CurrentInstance, w.LastSequence = 0, 0
		if _, err := idb.NewInsert().Model(&w).Exec(ctx); err != nil {
			return dbErr(h, "insert workflow", err)
		}
		def = &Definition{Workflow: w}
		pre := int64(-1)
		for _, ss := range spec.Stages {
			st := ss.Stage
			st.ID, st.Namespace, st.Repository, st.Workflow, st.PreStage = 0, w.Namespace, w.Repository, w.ID, pre
			st.CreatedAt, st.UpdatedAt, st.DeletedAt = now, now, time.Time{}
			if _, err := idb.NewInsert().Model(&st).Exec(ctx); err != nil {
				return dbErr(h, "insert stage", err)
			}
			pre = st.ID
			ds := DefinedStage{Stage: st}
			for _, a := range ss.Actions {
				a.ID, a.Namespace, a.Repository, a.Workflow, a.Stage = 0, w.Namespace, w.Repository, w.ID, st.ID
				a.CreatedAt, a.UpdatedAt, a.DeletedAt = now, now, time.Time{}
				if _, err := idb.NewInsert().Model(&a).Exec(ctx); err != nil {
					return dbErr(h, "insert action", err)
				}
				ds.Actions = append(ds.Actions, a)
			}
			def.Stages = append(def.Stages, ds)
		}
		vars, err := insertVars(ctx, h, w.ID, spec.Vars)
		def.Vars = vars
		return err
	})
	if err != nil {
		return nil, err
	}
	return def, nil
}

// lockWorkflow checks that a workflow version exists (not deleted) and, by a
// locking read, holds its row until the transaction ends. What the caller
// then attaches to the version (timers, variables) is therefore either
// committed before a concurrent DeleteWorkflow soft-deletes the version's
// rows, and deleted with them, or refused with ErrNotFound after it.
func lockWorkflow(ctx context.Context, h store.Handle, lock rowLock, id int64) error {
	var got int64
	q := h.IDB().NewSelect().Model((*Workflow)(nil)).Column("id").Where("? = ?", ident("id"), id)
	err := lock(q, "workflow", "w").Scan(ctx, &got)
	if errors.Is(err, sql.ErrNoRows) {
		return notFound("workflow %d", id)
	}
	return dbErr(h, "read workflow", err)
}

func insertVars(ctx context.Context, h store.Handle, workflow int64, vars []WorkflowVar) ([]WorkflowVar, error) {
	now := h.Now()
	out := make([]WorkflowVar, 0, len(vars))
	for _, v := range vars {
		v.ID, v.Workflow, v.CreatedAt, v.UpdatedAt, v.DeletedAt = 0, workflow, now, now, time.Time{}
		if _, err := h.IDB().NewInsert().Model(&v).Exec(ctx); err != nil {
			return nil, dbErr(h, "insert workflow_var", err)
		}
		out = append(out, v)
	}
	return out, nil
}

// GetWorkflow implements Definitions.
func (s *BunStore) GetWorkflow(ctx context.Context, id int64) (*Definition, error) {
	idb := s.h.IDB()
	var w Workflow
	if err := idb.NewSelect().Model(&w).Where("? = ?", ident("id"), id).Scan(ctx); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, notFound("workflow %d", id)
		}
		return nil, dbErr(s.h, "get workflow", err)
	}
	def := &Definition{Workflow: w}
	var stages []Stage
	if err := idb.NewSelect().Model(&stages).Where("? = ?", ident("workflow"), id).Order("id").Scan(ctx); err != nil {
		return nil, dbErr(s.h, "get stages", err)
	}
	var actions []Action
	if err := idb.NewSelect().Model(&actions).Where("? = ?", ident("workflow"), id).Order("id").Scan(ctx); err != nil {
		return nil, dbErr(s.h, "get actions", err)
	}
	for _, st := range stages {
		ds := DefinedStage{Stage: st}
		for _, a := range actions {
			if a.Stage == st.ID {
				ds.Actions = append(ds.Actions, a)
			}
		}
		def.Stages = append(def.Stages, ds)
	}
	vars, err := s.ListVars(ctx, id)
	def.Vars = vars
	return def, err
}

// ListVersions implements Definitions.
func (s *BunStore) ListVersions(ctx context.Context, namespace, repository, name string) ([]Workflow, error) {
	var ws []Workflow
	err := byName(s.h.IDB().NewSelect().Model(&ws), namespace, repository, name).Order("id").Scan(ctx)
	return ws, dbErr(s.h, "list versions", err)
}

// LatestRunnable implements Definitions.
func (s *BunStore) LatestRunnable(ctx context.Context, namespace, repository, name string) (*Workflow, error) {
	var w Workflow
	err := byName(s.h.IDB().NewSelect().Model(&w), namespace, repository, name).
		Where("? = ?", ident("state"), StateRunnable).OrderExpr("? DESC", ident("id")).Limit(1).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("no runnable version of %s/%s/%s", namespace, repository, name)
	}
	if err != nil {
		return nil, dbErr(s.h, "latest runnable", err)
	}
	return &w, nil
}

func affected(h store.Handle, res sql.Result, err error, op string, notFoundMsg string) error {
	if err != nil {
		return dbErr(h, op, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return dbErr(h, op, err)
	}
	if n == 0 {
		return notFound("%s", notFoundMsg)
	}
	return nil
}

// SetState implements Definitions.
func (s *BunStore) SetState(ctx context.Context, id int64, state State) error {
	if !state.valid() {
		return invalid("unknown workflow state %d", state)
	}
	res, err := s.h.IDB().NewUpdate().Model((*Workflow)(nil)).
		Set("? = ?", ident("state"), state).Set("? = ?", ident("updated_at"), s.h.Now()).
		Where("? = ?", ident("id"), id).Exec(ctx)
	return affected(s.h, res, err, "set state", fmt.Sprintf("workflow %d", id))
}

// SetInstanceLimit implements Definitions.
func (s *BunStore) SetInstanceLimit(ctx context.Context, id int64, limit int64) error {
	q := s.h.IDB().NewUpdate().Model((*Workflow)(nil)).Set("? = ?", ident("updated_at"), s.h.Now())
	if limit < 0 {
		q = q.Set("? = ?", ident("is_limit_instance"), false).Set("? = ?", ident("limit_instance"), 0)
	} else {
		q = q.Set("? = ?", ident("is_limit_instance"), true).Set("? = ?", ident("limit_instance"), limit)
	}
	res, err := q.Where("? = ?", ident("id"), id).Exec(ctx)
	return affected(s.h, res, err, "set instance limit", fmt.Sprintf("workflow %d", id))
}

// DeleteWorkflow implements Definitions.
func (s *BunStore) DeleteWorkflow(ctx context.Context, id int64) error {
	return s.h.InTx(ctx, func(ctx context.Context, h store.Handle) error {
		if err := softDelete(ctx, h, (*Workflow)(nil), "id", id, true); err != nil {
			return err
		}
		for _, m := range []any{(*Stage)(nil), (*Action)(nil), (*WorkflowVar)(nil), (*Timer)(nil)} {
			if err := softDelete(ctx, h, m, "workflow", id, false); err != nil {
				return err
			}
		}
		return nil
	})
}

func softDelete(ctx context.Context, h store.Handle, model any, col string, id int64, one bool) error {
	// bun adds "deleted_at IS NULL" for soft-delete models, so a row is
	// deleted once and keeps its first deleted_at.
	res, err := h.IDB().NewUpdate().Model(model).Set("? = ?", ident("deleted_at"), h.Now()).
		Where("? = ?", ident(col), id).Exec(ctx)
	if !one {
		return dbErr(h, "soft delete", err)
	}
	return affected(h, res, err, "soft delete", fmt.Sprintf("%T %d (or already deleted)", model, id))
}

// SoftDelete implements Definitions.
func (s *BunStore) SoftDelete(ctx context.Context, table Table, id int64) error {
	m, err := table.model()
	if err != nil {
		return err
	}
	if !table.softDeletable() {
		return invalid("table %s has no deleted_at; use HardDelete", table)
	}
	if table == TableWorkflowLog {
		return deleteRun(ctx, s.h, id, false)
	}
	return softDelete(ctx, s.h, m, "id", id, true)
}

// HardDelete implements Definitions.
func (s *BunStore) HardDelete(ctx context.Context, table Table, id int64) error {
	m, err := table.model()
	if err != nil {
		return err
	}
	if table == TableWorkflowLog {
		return deleteRun(ctx, s.h, id, true)
	}
	q := s.h.IDB().NewDelete().Model(m).Where("? = ?", ident("id"), id)
	if table.softDeletable() {
		q = q.ForceDelete()
	}
	res, err := q.Exec(ctx)
	return affected(s.h, res, err, "hard delete", fmt.Sprintf("%s %d", table, id))
}

// SetVars implements Definitions.
func (s *BunStore) SetVars(ctx context.Context, workflow int64, vars []WorkflowVar) error {
	for _, v := range vars {
		if err := required("variable key", v.Key); err != nil {
			return err
		}
		if err := checkLen("variable key", v.Key, 255); err != nil {
			return err
		}
	}
	return s.h.InTx(ctx, func(ctx context.Context, h store.Handle) error {
		if err := lockWorkflow(ctx, h, s.rowLock, workflow); err != nil {
			return err
		}
		if _, err := h.IDB().NewDelete().Model((*WorkflowVar)(nil)).ForceDelete().
			Where("? = ?", ident("workflow"), workflow).Exec(ctx); err != nil {
			return dbErr(h, "delete workflow_var", err)
		}
		_, err := insertVars(ctx, h, workflow, vars)
		return err
	})
}

// ListVars implements Definitions.
func (s *BunStore) ListVars(ctx context.Context, workflow int64) ([]WorkflowVar, error) {
	var vs []WorkflowVar
	err := s.h.IDB().NewSelect().Model(&vs).Where("? = ?", ident("workflow"), workflow).Order("id").Scan(ctx)
	return vs, dbErr(s.h, "list vars", err)
}

func stamp(now time.Time, created, updated, deleted *time.Time) {
	*created, *updated, *deleted = now, now, time.Time{}
}

// CreateComponent implements Definitions.
func (s *BunStore) CreateComponent(ctx context.Context, c *Component) error {
	if err := required("namespace", c.Namespace); err != nil {
		return err
	}
	if err := required("component", c.Name); err != nil {
		return err
	}
	if err := checkLens("namespace", c.Namespace, "component", c.Name, "title", c.Title, "tag", c.Tag); err != nil {
		return err
	}
	c.ID = 0
	stamp(s.h.Now(), &c.CreatedAt, &c.UpdatedAt, &c.DeletedAt)
	_, err := s.h.IDB().NewInsert().Model(c).Exec(ctx)
	return dbErr(s.h, "insert component", err)
}

// ListComponents implements Definitions.
func (s *BunStore) ListComponents(ctx context.Context, namespace string) ([]Component, error) {
	var cs []Component
	err := s.h.IDB().NewSelect().Model(&cs).Where("? = ?", ident("namespace"), namespace).Order("id").Scan(ctx)
	return cs, dbErr(s.h, "list components", err)
}

// CreateService implements Definitions.
func (s *BunStore) CreateService(ctx context.Context, sv *Service) error {
	if err := required("namespace", sv.Namespace); err != nil {
		return err
	}
	if err := required("service", sv.Name); err != nil {
		return err
	}
	if err := checkLens("namespace", sv.Namespace, "service", sv.Name, "title", sv.Title); err != nil {
		return err
	}
	sv.ID = 0
	stamp(s.h.Now(), &sv.CreatedAt, &sv.UpdatedAt, &sv.DeletedAt)
	_, err := s.h.IDB().NewInsert().Model(sv).Exec(ctx)
	return dbErr(s.h, "insert service", err)
}

// ListServices implements Definitions.
func (s *BunStore) ListServices(ctx context.Context, namespace string) ([]Service, error) {
	var ss []Service
	err := s.h.IDB().NewSelect().Model(&ss).Where("? = ?", ident("namespace"), namespace).Order("id").Scan(ctx)
	return ss, dbErr(s.h, "list services", err)
}

// CreateServiceDefinition implements Definitions.
func (s *BunStore) CreateServiceDefinition(ctx context.Context, d *ServiceDefinition) error {
	if err := required("service", d.Name); err != nil {
		return err
	}
	if err := checkLens("service", d.Name, "title", d.Title); err != nil {
		return err
	}
	d.ID = 0
	stamp(s.h.Now(), &d.CreatedAt, &d.UpdatedAt, &d.DeletedAt)
	_, err := s.h.IDB().NewInsert().Model(d).Exec(ctx)
	return dbErr(s.h, "insert serivce_definition", err)
}

// ListServiceDefinitions implements Definitions.
func (s *BunStore) ListServiceDefinitions(ctx context.Context) ([]ServiceDefinition, error) {
	var ds []ServiceDefinition
	err := s.h.IDB().NewSelect().Model(&ds).Order("id").Scan(ctx)
	return ds, dbErr(s.h, "list service definitions", err)
}

// SetUserSetting implements Definitions.
func (s *BunStore) SetUserSetting(ctx context.Context, namespace, repository, setting string) (*UserSetting, error) {
	if err := required("namespace", namespace); err != nil {
		return nil, err
	}
	if err := checkLens("namespace", namespace, "repository", repository); err != nil {
		return nil, err
	}
	var out *UserSetting
	err := s.h.InTx(ctx, func(ctx context.Context, h store.Handle) error {
		// Without the lock two first-time callers would both find nothing to
		// update and both insert. (A unique index cannot do it: the table
		// has no such constraint in pilotage's schema, and soft-deleted rows
		// keep their namespace/repository.)
		if err := s.lock.take(ctx, h, lockUserSetting, namespace, repository); err != nil {
			return err
		}
		now := h.Now()
		res, err := h.IDB().NewUpdate().Model((*UserSetting)(nil)).
			Set("? = ?", ident("setting"), setting).Set("? = ?", ident("updated_at"), now).
			Where("? = ?", ident("namespace"), namespace).Where("? = ?", ident("repository"), repository).Exec(ctx)
		if err != nil {
			return dbErr(h, "update user_setting", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			us := &UserSetting{Namespace: namespace, Repository: repository, Setting: setting}
			stamp(now, &us.CreatedAt, &us.UpdatedAt, &us.DeletedAt)
			if _, err := h.IDB().NewInsert().Model(us).Exec(ctx); err != nil {
				return dbErr(h, "insert user_setting", err)
			}
		}
		out, err = s.on(h).UserSetting(ctx, namespace, repository)
		return err
	})
	return out, err
}

// UserSetting implements Definitions.
func (s *BunStore) UserSetting(ctx context.Context, namespace, repository string) (*UserSetting, error) {
	var us UserSetting
	err := s.h.IDB().NewSelect().Model(&us).Where("? = ?", ident("namespace"), namespace).
		Where("? = ?", ident("repository"), repository).OrderExpr("? DESC", ident("id")).Limit(1).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("user_setting %s/%s", namespace, repository)
	}
	if err != nil {
		return nil, dbErr(s.h, "get user_setting", err)
	}
	return &us, nil
}

// CreateEventDefinition implements Definitions.
func (s *BunStore) CreateEventDefinition(ctx context.Context, d *EventDefinition) error {
	if err := required("event", d.Event); err != nil {
		return err
	}
	if err := checkLens("event", d.Event, "title", d.Title, "namespace", d.Namespace, "repository", d.Repository); err != nil {
		return err
	}
	if err := checkEventCodes(d.Type, d.Source, d.Character); err != nil {
		return err
	}
	d.ID = 0
	stamp(s.h.Now(), &d.CreatedAt, &d.UpdatedAt, &d.DeletedAt)
	_, err := s.h.IDB().NewInsert().Model(d).Exec(ctx)
	return dbErr(s.h, "insert event_definition", err)
}

// EventDefinitions implements Definitions.
func (s *BunStore) EventDefinitions(ctx context.Context, action int64) ([]EventDefinition, error) {
	var ds []EventDefinition
	err := s.h.IDB().NewSelect().Model(&ds).Where("? = ?", ident("action"), action).Order("id").Scan(ctx)
	return ds, dbErr(s.h, "list event definitions", err)
}
