package pipeline

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/flowstore/flowstore/orchestrator/internal/textrule"
	"github.com/flowstore/flowstore/store"
)

// maxText is the length of every varchar column of the ContainerOps tables
// this package checks (all are varchar(255)), in the dialect's text units.
const maxText = 255

// bunStore is the Store on bun, for every dialect.
type bunStore struct {
	h store.Handle
}

var _ Store = (*bunStore)(nil)

// New returns the pipeline store of db. It does no I/O; each method that
// writes more than one row runs in a transaction of its own (or, on a store
// bound with WithTx, in a savepoint of the session).
func New(db *store.DB) (Store, error) {
	if db == nil {
		return nil, fail("new store", fmt.Errorf("%w: nil database", store.ErrInvalid))
	}
	return newStore(db), nil
}

func newStore(db *store.DB) *bunStore { return &bunStore{h: db.Handle()} }

// WithTx implements Store.
func (s *bunStore) WithTx(sess *store.Session) Store { return &bunStore{h: sess.Handle()} }

// on returns the store bound to h (a transaction or savepoint of its own).
func (s *bunStore) on(h store.Handle) *bunStore { return &bunStore{h: h} }

// checkLens refuses, before anything is written, a value longer than its
// varchar(255) column: pairs are (what, value).
func checkLens(h store.Handle, pairs ...string) error {
	d := h.SQLDialect()
	for i := 0; i+1 < len(pairs); i += 2 {
		if err := d.CheckText(pairs[i], pairs[i+1], maxText); err != nil {
			return err
		}
	}
	return nil
}

// checkLookup refuses a nil context, and (what, value) pairs a read looks
// up that no varchar(255) column holds — by the rule their write would be
// refused by (checkLens), so that they never reach the SQL.
func checkLookup(ctx context.Context, h store.Handle, pairs ...string) error {
	if err := store.CheckContext(ctx); err != nil {
		return err
	}
	return checkLens(h, pairs...)
}

// checkArgs refuses a nil context and a nil model before a method looks at
// either.
func checkArgs[T any](ctx context.Context, v *T, what string) error {
	if err := store.CheckContext(ctx); err != nil {
		return err
	}
	if v == nil {
		return invalid("nil %s", what)
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

func validateSpec(h store.Handle, spec WorkflowSpec) error {
	w := spec.Workflow
	// The text rule on every text of the spec; lengths below.
	if err := textrule.Struct("workflow", &w); err != nil {
		return err
	}
	for i := range spec.Stages {
		if err := textrule.Struct(fmt.Sprintf("stage %d", i), &spec.Stages[i].Stage); err != nil {
			return err
		}
		for j := range spec.Stages[i].Actions {
			if err := textrule.Struct(fmt.Sprintf("action %d of stage %d", j, i), &spec.Stages[i].Actions[j]); err != nil {
				return err
			}
		}
	}
	for _, f := range [][2]string{{"namespace", w.Namespace}, {"repository", w.Repository}, {"workflow", w.Name}} {
		if err := required(f[0], f[1]); err != nil {
			return err
		}
	}
	if err := checkLens(h, "namespace", w.Namespace, "repository", w.Repository, "workflow", w.Name, "version", w.Version); err != nil {
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
		if err := checkLens(h, "stage", st.Stage.Name, "stage title", st.Stage.Title, "stage timeout", st.Stage.Timeout); err != nil {
			return err
		}
		for j, a := range st.Actions {
			if err := required(fmt.Sprintf("stage %q action %d name", st.Stage.Name, j), a.Name); err != nil {
				return err
			}
			if err := checkLens(h, "action", a.Name, "action title", a.Title, "image_name", a.ImageName,
				"image_tag", a.ImageTag, "action timeout", a.Timeout); err != nil {
				return err
			}
		}
	}
	return checkVars(h, spec.Vars)
}

func checkVars(h store.Handle, vars []WorkflowVar) error {
	for i := range vars {
		if err := textrule.Struct(fmt.Sprintf("variable %d", i), &vars[i]); err != nil {
			return err
		}
	}
	for _, v := range vars {
		if err := required("variable key", v.Key); err != nil {
			return err
		}
		if err := checkLens(h, "variable key", v.Key); err != nil {
			return err
		}
	}
	return nil
}

// workflowName is how errors name a workflow: namespace/repository/name.
func workflowName(namespace, repository, name string) string {
	return cut(namespace+"/"+repository+"/"+name, 100)
}

// CreateWorkflow implements Definitions.
func (s *bunStore) CreateWorkflow(ctx context.Context, spec WorkflowSpec) (*Definition, error) {
	w := spec.Workflow
	if err := store.CheckContext(ctx); err != nil {
		return nil, fail("create workflow "+workflowName(w.Namespace, w.Repository, w.Name), err)
	}
	def, err := s.createWorkflow(ctx, spec)
	return def, fail("create workflow "+workflowName(w.Namespace, w.Repository, w.Name), err)
}

func (s *bunStore) createWorkflow(ctx context.Context, spec WorkflowSpec) (*Definition, error) {
	if err := validateSpec(s.h, spec); err != nil {
		return nil, err
	}
	var def *Definition
	err := s.h.InTx(ctx, func(ctx context.Context, h store.Handle) error {
		idb, now := h.IDB(), h.Now()
		w := spec.Workflow
		// Lock the name first (see lockNames): concurrent creators of the
		// same workflow then read the version codes one after another.
		if err := lockNames(ctx, h, lockVersion, w.Namespace, w.Repository, w.Name); err != nil {
			return err
		}
		// A locking read: inside a caller's session on MySQL a plain read
		// would show the session's snapshot, without versions committed since.
		var codes []string
		q := byName(idb.NewSelect().Model((*Workflow)(nil)).WhereAllWithDeleted().Column("version_code"),
			w.Namespace, w.Repository, w.Name)
		if err := lockRows(h, q, "workflow", "w").Scan(ctx, &codes); err != nil {
			return dbErr(h, "read version codes", err)
		}
		top := 0
		for _, c := range codes {
			if n, err := strconv.Atoi(strings.TrimSpace(c)); err == nil && n > top {
				top = n
			}
		}
		// The caller's State is stored as given, for every version: a
		// version created runnable is runnable at once. Pilotage started
		// new versions disabled; State's zero value, StateDisabled, keeps
		// that default for callers who leave State unset.
		w.ID, w.VersionCode = 0, strconv.Itoa(top+1)
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
func lockWorkflow(ctx context.Context, h store.Handle, id int64) error {
	var got int64
	q := h.IDB().NewSelect().Model((*Workflow)(nil)).Column("id").Where("? = ?", ident("id"), id)
	err := lockRows(h, q, "workflow", "w").Scan(ctx, &got)
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
func (s *bunStore) GetWorkflow(ctx context.Context, id int64) (*Definition, error) {
	if err := store.CheckContext(ctx); err != nil {
		return nil, fail(fmt.Sprintf("get workflow %d", id), err)
	}
	def, err := s.getWorkflow(ctx, id)
	return def, fail(fmt.Sprintf("get workflow %d", id), err)
}

func (s *bunStore) getWorkflow(ctx context.Context, id int64) (*Definition, error) {
	idb := s.h.IDB()
	var w Workflow
	if err := idb.NewSelect().Model(&w).Where("? = ?", ident("id"), id).Scan(ctx); err != nil {
		return nil, notFoundOr(s.h, err, "read workflow", "workflow %d", id)
	}
	def := &Definition{Workflow: w}
	var stages []Stage
	if err := idb.NewSelect().Model(&stages).Where("? = ?", ident("workflow"), id).Order("id").Scan(ctx); err != nil {
		return nil, dbErr(s.h, "read stages", err)
	}
	var actions []Action
	if err := idb.NewSelect().Model(&actions).Where("? = ?", ident("workflow"), id).Order("id").Scan(ctx); err != nil {
		return nil, dbErr(s.h, "read actions", err)
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
	vars, err := s.listVars(ctx, id)
	if err != nil {
		return nil, err
	}
	def.Vars = vars
	return def, nil
}

// ListVersions implements Definitions. A workflow has a version per
// CreateWorkflow, a short list: no limit, no iterator.
func (s *bunStore) ListVersions(ctx context.Context, namespace, repository, name string) ([]Workflow, error) {
	if err := checkLookup(ctx, s.h, "namespace", namespace, "repository", repository, "workflow", name); err != nil {
		return nil, fail("list versions of "+workflowName(namespace, repository, name), err)
	}
	var ws []Workflow
	err := byName(s.h.IDB().NewSelect().Model(&ws), namespace, repository, name).Order("id").Scan(ctx)
	return ws, fail("list versions of "+workflowName(namespace, repository, name), dbErr(s.h, "read workflow", err))
}

// LatestRunnable implements Definitions.
func (s *bunStore) LatestRunnable(ctx context.Context, namespace, repository, name string) (*Workflow, error) {
	if err := checkLookup(ctx, s.h, "namespace", namespace, "repository", repository, "workflow", name); err != nil {
		return nil, fail("latest runnable version of "+workflowName(namespace, repository, name), err)
	}
	var w Workflow
	err := byName(s.h.IDB().NewSelect().Model(&w), namespace, repository, name).
		Where("? = ?", ident("state"), StateRunnable).OrderExpr("? DESC", ident("id")).Limit(1).Scan(ctx)
	if err != nil {
		return nil, fail("latest runnable version of "+workflowName(namespace, repository, name),
			notFoundOr(s.h, err, "read workflow", "no version is runnable"))
	}
	return &w, nil
}

// affected turns an UPDATE's or DELETE's result into an error: the
// statement's own, or ErrNotFound when it matched no row.
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
func (s *bunStore) SetState(ctx context.Context, id int64, state State) error {
	if err := store.CheckContext(ctx); err != nil {
		return fail(fmt.Sprintf("set state of workflow %d", id), err)
	}
	return fail(fmt.Sprintf("set state of workflow %d", id), s.setState(ctx, id, state))
}

func (s *bunStore) setState(ctx context.Context, id int64, state State) error {
	if !state.valid() {
		return invalid("unknown workflow state %d", state)
	}
	res, err := s.h.IDB().NewUpdate().Model((*Workflow)(nil)).
		Set("? = ?", ident("state"), state).Set("? = ?", ident("updated_at"), s.h.Now()).
		Where("? = ?", ident("id"), id).Exec(ctx)
	return affected(s.h, res, err, "update workflow", fmt.Sprintf("workflow %d", id))
}

// SetInstanceLimit implements Definitions.
func (s *bunStore) SetInstanceLimit(ctx context.Context, id int64, limit int64) error {
	if err := store.CheckContext(ctx); err != nil {
		return fail(fmt.Sprintf("set instance limit of workflow %d", id), err)
	}
	q := s.h.IDB().NewUpdate().Model((*Workflow)(nil)).Set("? = ?", ident("updated_at"), s.h.Now())
	if limit < 0 {
		q = q.Set("? = ?", ident("is_limit_instance"), false).Set("? = ?", ident("limit_instance"), 0)
	} else {
		q = q.Set("? = ?", ident("is_limit_instance"), true).Set("? = ?", ident("limit_instance"), limit)
	}
	res, err := q.Where("? = ?", ident("id"), id).Exec(ctx)
	return fail(fmt.Sprintf("set instance limit of workflow %d", id),
		affected(s.h, res, err, "update workflow", fmt.Sprintf("workflow %d", id)))
}

// DeleteWorkflow implements Definitions.
func (s *bunStore) DeleteWorkflow(ctx context.Context, id int64) error {
	if err := store.CheckContext(ctx); err != nil {
		return fail(fmt.Sprintf("delete workflow %d", id), err)
	}
	err := s.h.InTx(ctx, func(ctx context.Context, h store.Handle) error {
		if err := softDelete(ctx, h, TableWorkflow, "id", id, true); err != nil {
			return err
		}
		for _, t := range []Table{TableStage, TableAction, TableWorkflowVar, TableTimer} {
			if err := softDelete(ctx, h, t, "workflow", id, false); err != nil {
				return err
			}
		}
		return nil
	})
	return fail(fmt.Sprintf("delete workflow %d", id), err)
}

// softDelete sets deleted_at on the rows of table whose col is id; with
// one, exactly one row must match.
func softDelete(ctx context.Context, h store.Handle, table Table, col string, id int64, one bool) error {
	model, err := table.model()
	if err != nil {
		return err
	}
	// bun adds "deleted_at IS NULL" for soft-delete models, so a row is
	// deleted once and keeps its first deleted_at.
	res, err := h.IDB().NewUpdate().Model(model).Set("? = ?", ident("deleted_at"), h.Now()).
		Where("? = ?", ident(col), id).Exec(ctx)
	if !one {
		return dbErr(h, "soft delete "+string(table), err)
	}
	return affected(h, res, err, "soft delete "+string(table), fmt.Sprintf("%s %d does not exist or is already deleted", table, id))
}

// SoftDelete implements Definitions.
func (s *bunStore) SoftDelete(ctx context.Context, table Table, id int64) error {
	if err := store.CheckContext(ctx); err != nil {
		return fail(fmt.Sprintf("soft delete %s %d", table, id), err)
	}
	return fail(fmt.Sprintf("soft delete %s %d", table, id), s.softDeleteRow(ctx, table, id))
}

func (s *bunStore) softDeleteRow(ctx context.Context, table Table, id int64) error {
	if _, err := table.model(); err != nil {
		return err
	}
	if !table.softDeletable() {
		return invalid("table %s has no deleted_at; use HardDelete", table)
	}
	if table == TableWorkflowLog {
		return deleteRun(ctx, s.h, id, false)
	}
	return softDelete(ctx, s.h, table, "id", id, true)
}

// HardDelete implements Definitions.
func (s *bunStore) HardDelete(ctx context.Context, table Table, id int64) error {
	if err := store.CheckContext(ctx); err != nil {
		return fail(fmt.Sprintf("hard delete %s %d", table, id), err)
	}
	return fail(fmt.Sprintf("hard delete %s %d", table, id), s.hardDelete(ctx, table, id))
}

func (s *bunStore) hardDelete(ctx context.Context, table Table, id int64) error {
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
	return affected(s.h, res, err, "delete", fmt.Sprintf("%s %d", table, id))
}

// SetVars implements Definitions.
func (s *bunStore) SetVars(ctx context.Context, workflow int64, vars []WorkflowVar) error {
	if err := store.CheckContext(ctx); err != nil {
		return fail(fmt.Sprintf("set variables of workflow %d", workflow), err)
	}
	return fail(fmt.Sprintf("set variables of workflow %d", workflow), s.setVars(ctx, workflow, vars))
}

func (s *bunStore) setVars(ctx context.Context, workflow int64, vars []WorkflowVar) error {
	if err := checkVars(s.h, vars); err != nil {
		return err
	}
	return s.h.InTx(ctx, func(ctx context.Context, h store.Handle) error {
		if err := lockWorkflow(ctx, h, workflow); err != nil {
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

// ListVars implements Definitions. A version has a handful of variables:
// no limit, no iterator.
func (s *bunStore) ListVars(ctx context.Context, workflow int64) ([]WorkflowVar, error) {
	if err := store.CheckContext(ctx); err != nil {
		return nil, fail(fmt.Sprintf("list variables of workflow %d", workflow), err)
	}
	vs, err := s.listVars(ctx, workflow)
	return vs, fail(fmt.Sprintf("list variables of workflow %d", workflow), err)
}

func (s *bunStore) listVars(ctx context.Context, workflow int64) ([]WorkflowVar, error) {
	var vs []WorkflowVar
	err := s.h.IDB().NewSelect().Model(&vs).Where("? = ?", ident("workflow"), workflow).Order("id").Scan(ctx)
	return vs, dbErr(s.h, "read workflow_var", err)
}

func stamp(now time.Time, created, updated, deleted *time.Time) {
	*created, *updated, *deleted = now, now, time.Time{}
}

// CreateComponent implements Definitions.
func (s *bunStore) CreateComponent(ctx context.Context, c *Component) error {
	if err := checkArgs(ctx, c, "component"); err != nil {
		return fail("create component", err)
	}
	return fail("create component "+quote(c.Name), s.createComponent(ctx, c))
}

func (s *bunStore) createComponent(ctx context.Context, c *Component) error {
	if err := textrule.Struct("", c); err != nil {
		return err
	}
	if err := required("namespace", c.Namespace); err != nil {
		return err
	}
	if err := required("component", c.Name); err != nil {
		return err
	}
	if err := checkLens(s.h, "namespace", c.Namespace, "component", c.Name, "title", c.Title, "tag", c.Tag); err != nil {
		return err
	}
	c.ID = 0
	stamp(s.h.Now(), &c.CreatedAt, &c.UpdatedAt, &c.DeletedAt)
	_, err := s.h.IDB().NewInsert().Model(c).Exec(ctx)
	return dbErr(s.h, "insert component", err)
}

// ListComponents implements Definitions. A namespace's catalogue of
// components is short: no limit, no iterator.
func (s *bunStore) ListComponents(ctx context.Context, namespace string) ([]Component, error) {
	if err := checkLookup(ctx, s.h, "namespace", namespace); err != nil {
		return nil, fail("list components of "+quote(namespace), err)
	}
	var cs []Component
	err := s.h.IDB().NewSelect().Model(&cs).Where("? = ?", ident("namespace"), namespace).Order("id").Scan(ctx)
	return cs, fail("list components of "+quote(namespace), dbErr(s.h, "read component", err))
}

// CreateService implements Definitions.
func (s *bunStore) CreateService(ctx context.Context, sv *Service) error {
	if err := checkArgs(ctx, sv, "service"); err != nil {
		return fail("create service", err)
	}
	return fail("create service "+quote(sv.Name), s.createService(ctx, sv))
}

func (s *bunStore) createService(ctx context.Context, sv *Service) error {
	if err := textrule.Struct("", sv); err != nil {
		return err
	}
	if err := required("namespace", sv.Namespace); err != nil {
		return err
	}
	if err := required("service", sv.Name); err != nil {
		return err
	}
	if err := checkLens(s.h, "namespace", sv.Namespace, "service", sv.Name, "title", sv.Title); err != nil {
		return err
	}
	sv.ID = 0
	stamp(s.h.Now(), &sv.CreatedAt, &sv.UpdatedAt, &sv.DeletedAt)
	_, err := s.h.IDB().NewInsert().Model(sv).Exec(ctx)
	return dbErr(s.h, "insert service", err)
}

// ListServices implements Definitions (a short catalogue, as components).
func (s *bunStore) ListServices(ctx context.Context, namespace string) ([]Service, error) {
	if err := checkLookup(ctx, s.h, "namespace", namespace); err != nil {
		return nil, fail("list services of "+quote(namespace), err)
	}
	var ss []Service
	err := s.h.IDB().NewSelect().Model(&ss).Where("? = ?", ident("namespace"), namespace).Order("id").Scan(ctx)
	return ss, fail("list services of "+quote(namespace), dbErr(s.h, "read service", err))
}

// CreateServiceDefinition implements Definitions.
func (s *bunStore) CreateServiceDefinition(ctx context.Context, d *ServiceDefinition) error {
	if err := checkArgs(ctx, d, "service definition"); err != nil {
		return fail("create service definition", err)
	}
	return fail("create service definition "+quote(d.Name), s.createServiceDefinition(ctx, d))
}

func (s *bunStore) createServiceDefinition(ctx context.Context, d *ServiceDefinition) error {
	if err := textrule.Struct("", d); err != nil {
		return err
	}
	if err := required("service", d.Name); err != nil {
		return err
	}
	if err := checkLens(s.h, "service", d.Name, "title", d.Title); err != nil {
		return err
	}
	d.ID = 0
	stamp(s.h.Now(), &d.CreatedAt, &d.UpdatedAt, &d.DeletedAt)
	_, err := s.h.IDB().NewInsert().Model(d).Exec(ctx)
	return dbErr(s.h, "insert serivce_definition", err)
}

// ListServiceDefinitions implements Definitions (one row per kind of
// service a deployment knows: a short list).
func (s *bunStore) ListServiceDefinitions(ctx context.Context) ([]ServiceDefinition, error) {
	if err := store.CheckContext(ctx); err != nil {
		return nil, fail("list service definitions", err)
	}
	var ds []ServiceDefinition
	err := s.h.IDB().NewSelect().Model(&ds).Order("id").Scan(ctx)
	return ds, fail("list service definitions", dbErr(s.h, "read serivce_definition", err))
}

// SetUserSetting implements Definitions.
func (s *bunStore) SetUserSetting(ctx context.Context, namespace, repository, setting string) (*UserSetting, error) {
	if err := store.CheckContext(ctx); err != nil {
		return nil, fail("set user setting of "+cut(namespace+"/"+repository, 100), err)
	}
	us, err := s.setUserSetting(ctx, namespace, repository, setting)
	return us, fail("set user setting of "+cut(namespace+"/"+repository, 100), err)
}

func (s *bunStore) setUserSetting(ctx context.Context, namespace, repository, setting string) (*UserSetting, error) {
	if err := required("namespace", namespace); err != nil {
		return nil, err
	}
	if err := checkLens(s.h, "namespace", namespace, "repository", repository); err != nil {
		return nil, err
	}
	if err := store.ValidText("setting", setting); err != nil {
		return nil, err
	}
	var out *UserSetting
	err := s.h.InTx(ctx, func(ctx context.Context, h store.Handle) error {
		// Without the lock two first-time callers would both find nothing to
		// update and both insert. (A unique index cannot do it: the table
		// has no such constraint in pilotage's schema, and soft-deleted rows
		// keep their namespace/repository.)
		if err := lockNames(ctx, h, lockUserSetting, namespace, repository); err != nil {
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
		out, err = s.on(h).userSetting(ctx, namespace, repository)
		return err
	})
	return out, err
}

// UserSetting implements Definitions.
func (s *bunStore) UserSetting(ctx context.Context, namespace, repository string) (*UserSetting, error) {
	if err := checkLookup(ctx, s.h, "namespace", namespace, "repository", repository); err != nil {
		return nil, fail("user setting of "+cut(namespace+"/"+repository, 100), err)
	}
	us, err := s.userSetting(ctx, namespace, repository)
	return us, fail("user setting of "+cut(namespace+"/"+repository, 100), err)
}

func (s *bunStore) userSetting(ctx context.Context, namespace, repository string) (*UserSetting, error) {
	var us UserSetting
	err := s.h.IDB().NewSelect().Model(&us).Where("? = ?", ident("namespace"), namespace).
		Where("? = ?", ident("repository"), repository).OrderExpr("? DESC", ident("id")).Limit(1).Scan(ctx)
	if err != nil {
		return nil, notFoundOr(s.h, err, "read user_setting", "no user_setting row")
	}
	return &us, nil
}

// CreateEventDefinition implements Definitions.
func (s *bunStore) CreateEventDefinition(ctx context.Context, d *EventDefinition) error {
	if err := checkArgs(ctx, d, "event definition"); err != nil {
		return fail("create event definition", err)
	}
	return fail("create event definition "+quote(d.Event), s.createEventDefinition(ctx, d))
}

func (s *bunStore) createEventDefinition(ctx context.Context, d *EventDefinition) error {
	if err := textrule.Struct("", d); err != nil {
		return err
	}
	if err := required("event", d.Event); err != nil {
		return err
	}
	if err := checkLens(s.h, "event", d.Event, "title", d.Title, "namespace", d.Namespace, "repository", d.Repository); err != nil {
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

// EventDefinitions implements Definitions (the few events one action
// listens for).
func (s *bunStore) EventDefinitions(ctx context.Context, action int64) ([]EventDefinition, error) {
	if err := store.CheckContext(ctx); err != nil {
		return nil, fail(fmt.Sprintf("list event definitions of action %d", action), err)
	}
	var ds []EventDefinition
	err := s.h.IDB().NewSelect().Model(&ds).Where("? = ?", ident("action"), action).Order("id").Scan(ctx)
	return ds, fail(fmt.Sprintf("list event definitions of action %d", action), dbErr(s.h, "read event_definition", err))
}

// notFoundOr is ErrNotFound (with the detail format, args) for a read that
// found no row, the read's classified error otherwise.
func notFoundOr(h store.Handle, err error, op string, format string, args ...any) error {
	if errors.Is(err, sql.ErrNoRows) {
		return notFound(format, args...)
	}
	return dbErr(h, op, err)
}
