package pipeline

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"slices"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"github.com/flowstore/flowstore/orchestrator/internal/textrule"
	"github.com/flowstore/flowstore/store"
)

// StartRun implements Runs.
//
// The first statement is a conditional UPDATE of the workflow row that both
// takes the next run number (last_sequence + 1) and counts the instance
// (current_instance + 1), refusing when the version is disabled, deleted or
// full. That row lock serialises concurrent starts of one version on every
// dialect, and because the counter moves in the same transaction as the
// *_log copies, a rolled-back start leaves no gap and a committed one no
// duplicate — across any number of processes.
//
// With StartOptions.Key the start is idempotent: the key is stored with the
// run (workflow_log.start_key, unique per workflow version), and a call
// with a key a run of the version already has starts nothing and returns
// that run. A call that lost the race to another call with the same key
// (its insert met the unique index) rolls back and returns the winner's run.
func (s *bunStore) StartRun(ctx context.Context, workflow int64, opts StartOptions) (*Run, error) {
	run, err := s.startRun(ctx, workflow, opts)
	return run, fail(fmt.Sprintf("start run of workflow %d", workflow), err)
}

func (s *bunStore) startRun(ctx context.Context, workflow int64, opts StartOptions) (*Run, error) {
	if err := store.CheckContext(ctx); err != nil {
		return nil, err
	}
	if err := checkLens(s.h, "pre_workflow_info", opts.PreWorkflowInfo, "key", opts.Key); err != nil {
		return nil, err
	}
	if err := store.ValidText("start data", opts.StartData); err != nil {
		return nil, err
	}
	if opts.Key != "" {
		if run, err := runByKey(ctx, s.h, workflow, opts.Key); err != nil || run != nil {
			return run, err
		}
	}
	var run *Run
	err := s.h.InTx(ctx, func(ctx context.Context, h store.Handle) error {
		r, err := startRun(ctx, h, workflow, opts)
		run = r
		return err
	})
	if opts.Key != "" && errors.Is(err, store.ErrDuplicate) {
		// Another call with the key committed its run between our look
		// and our insert: that run is the one the key started.
		won, kerr := runByKey(ctx, s.h, workflow, opts.Key)
		if kerr != nil {
			return nil, errors.Join(err, kerr)
		}
		if won != nil {
			return won, nil
		}
	}
	if err != nil {
		return nil, err
	}
	return run, nil
}

// runByKey returns the run of workflow version id that StartOptions.Key key
// started, with everything recorded about it, or nil if there is none. A
// run that was deleted since is ErrConflict: its key is used up.
func runByKey(ctx context.Context, h store.Handle, id int64, key string) (*Run, error) {
	var found struct {
		ID        int64     `bun:"id"`
		DeletedAt time.Time `bun:"deleted_at,nullzero"`
	}
	err := h.IDB().NewSelect().Model((*WorkflowLog)(nil)).WhereAllWithDeleted().Column("id", "deleted_at").
		Where("? = ?", ident("from_workflow"), id).Where("? = ?", ident("start_key"), key).Limit(1).Scan(ctx, &found)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return nil, nil
	case err != nil:
		return nil, dbErr(h, "read run by key", err)
	case !found.DeletedAt.IsZero():
		return nil, fmt.Errorf("%w: the run key %s started (workflow_log %d) was deleted", store.ErrConflict, quote(key), found.ID)
	}
	return loadRun(ctx, h, func(q *bun.SelectQuery) *bun.SelectQuery { return q.Where("? = ?", ident("id"), found.ID) }, true)
}

func startRun(ctx context.Context, h store.Handle, id int64, opts StartOptions) (*Run, error) {
	idb, now := h.IDB(), h.Now()
	res, err := allocateRun(idb, id).Exec(ctx)
	if err != nil {
		return nil, dbErr(h, "allocate run", err)
	}
	var w Workflow
	if err := idb.NewSelect().Model(&w).Where("? = ?", ident("id"), id).Scan(ctx); err != nil {
		return nil, notFoundOr(h, err, "read workflow", "workflow %d", id)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		if w.State != StateRunnable {
			return nil, conflict(ErrDisabled, "%s version %s", workflowName(w.Namespace, w.Repository, w.Name), w.VersionCode)
		}
		return nil, &InstanceLimitError{Workflow: id, Limit: w.LimitInstance, Current: w.CurrentInstance}
	}
	seq := w.LastSequence
	if seq == 1 {
		// The counter was empty. A workflow whose runs pilotage (or an
		// import) wrote continues after its highest sequence on record; the
		// row lock taken above keeps this check-and-set race-free. (Doing it
		// inside the UPDATE would make MySQL lock workflow_log on every start.)
		// A locking read (no aggregate: PostgreSQL refuses FOR UPDATE with
		// one), so that a caller's older MySQL snapshot cannot hide rows.
		var top sql.NullInt64
		q := idb.NewSelect().Model((*WorkflowLog)(nil)).WhereAllWithDeleted().Column("sequence").
			Where("? = ?", ident("from_workflow"), id).OrderExpr("? DESC", ident("sequence")).Limit(1)
		if err := lockRows(h, q, "workflow_log", "wl").Scan(ctx, &top); err != nil && !errors.Is(err, sql.ErrNoRows) {
			return nil, dbErr(h, "read highest sequence", err)
		}
		if top.Int64 >= seq {
			seq = top.Int64 + 1
			if _, err := idb.NewUpdate().Model((*Workflow)(nil)).Set("? = ?", ident("last_sequence"), seq).
				Where("? = ?", ident("id"), id).Exec(ctx); err != nil {
				return nil, dbErr(h, "continue sequence", err)
			}
		}
	}
	if _, err := idb.NewInsert().Model(&WorkflowSequence{Workflow: id, Sequence: seq, CreatedAt: now, UpdatedAt: now}).Exec(ctx); err != nil {
		return nil, dbErr(h, "insert workflow_sequence", err)
	}
	wl := WorkflowLog{
		Namespace: w.Namespace, Repository: w.Repository, Name: w.Name, FromWorkflow: w.ID,
		PreWorkflow: opts.PreWorkflow, PreWorkflowInfo: opts.PreWorkflowInfo,
		Version: w.Version, VersionCode: w.VersionCode, Sequence: seq, RunState: RunCanListen,
		Event: opts.Event, Manifest: w.Manifest, Description: w.Description, SourceInfo: w.SourceInfo,
		Env: w.Env, Requires: w.Requires, AuthList: "[]", CreatedAt: now, UpdatedAt: now,
		PreStage: opts.PreStage, PreAction: opts.PreAction, StartKey: opts.Key,
	}
	if _, err := idb.NewInsert().Model(&wl).Exec(ctx); err != nil {
		return nil, dbErr(h, "insert workflow_log", err)
	}
	run := &Run{Workflow: wl}

	var stages []Stage
	if err := idb.NewSelect().Model(&stages).Where("? = ?", ident("workflow"), id).Order("id").Scan(ctx); err != nil {
		return nil, dbErr(h, "read stages", err)
	}
	var actions []Action
	if err := idb.NewSelect().Model(&actions).Where("? = ?", ident("workflow"), id).Order("id").Scan(ctx); err != nil {
		return nil, dbErr(h, "read actions", err)
	}
	pre := int64(-1) // stage_log.pre_stage chains the run's stages; -1 for the first
	for _, st := range stages {
		sl := StageLog{
			Namespace: st.Namespace, Repository: st.Repository, Workflow: wl.ID, FromWorkflow: w.ID,
			Sequence: seq, FromStage: st.ID, Type: st.Type, PreStage: pre, Name: st.Name, Title: st.Title,
			Description: st.Description, RunState: RunCanListen, Event: st.Event, Manifest: st.Manifest,
			Env: st.Env, Timeout: st.Timeout, Requires: st.Requires, AuthList: "[]", CreatedAt: now, UpdatedAt: now,
		}
		if _, err := idb.NewInsert().Model(&sl).Exec(ctx); err != nil {
			return nil, dbErr(h, "insert stage_log", err)
		}
		pre = sl.ID
		rs := RunStage{Stage: sl}
		for _, a := range actions {
			if a.Stage != st.ID {
				continue
			}
			al := ActionLog{
				Namespace: a.Namespace, Repository: a.Repository, Workflow: wl.ID, FromWorkflow: w.ID,
				Sequence: seq, Stage: sl.ID, FromStage: st.ID, FromAction: a.ID, RunState: RunCanListen,
				Component: a.Component, Service: a.Service, Name: a.Name, Title: a.Title,
				Description: a.Description, Event: a.Event, Manifest: a.Manifest, Environment: a.Environment,
				Kubernetes: a.Kubernetes, Swarm: a.Swarm, Input: a.Input, Output: a.Output,
				ImageName: a.ImageName, ImageTag: a.ImageTag, Timeout: a.Timeout, Requires: a.Requires,
				AuthList: "[]", CreatedAt: now, UpdatedAt: now,
			}
			if _, err := idb.NewInsert().Model(&al).Exec(ctx); err != nil {
				return nil, dbErr(h, "insert action_log", err)
			}
			rs.Actions = append(rs.Actions, al)
		}
		run.Stages = append(run.Stages, rs)
	}
	var vars []WorkflowVar
	if err := idb.NewSelect().Model(&vars).Where("? = ?", ident("workflow"), id).Order("id").Scan(ctx); err != nil {
		return nil, dbErr(h, "read workflow_var", err)
	}
	for _, v := range vars {
		vl := WorkflowVarLog{Workflow: wl.ID, FromWorkflow: w.ID, Sequence: seq, Key: v.Key, Default: v.Default,
			Value: v.Value, ChangeLog: "[]"}
		if _, err := idb.NewInsert().Model(&vl).Exec(ctx); err != nil {
			return nil, dbErr(h, "insert workflow_var_log", err)
		}
		run.Vars = append(run.Vars, vl)
	}
	if opts.StartData != "" {
		o, err := stageOutcome(ctx, h, run, OutcomeStageStart, true, "", opts.StartData)
		if err != nil {
			return nil, err
		}
		run.Outcomes = append(run.Outcomes, *o)
	}
	return run, nil
}

// Transition implements Runs.
func (s *bunStore) Transition(ctx context.Context, level Level, id int64, to RunState, reason FailReason) error {
	if err := store.CheckContext(ctx); err != nil {
		return fail(fmt.Sprintf("transition %s %d to %s", level, id, to), err)
	}
	return fail(fmt.Sprintf("transition %s %d to %s", level, id, to), s.transition(ctx, level, id, to, reason))
}

func (s *bunStore) transition(ctx context.Context, level Level, id int64, to RunState, reason FailReason) error {
	if !level.valid() {
		return invalid("unknown level %d", level)
	}
	from := to.from()
	if from == nil {
		return invalid("run_state %s is not a target of a transition", to)
	}
	if !reason.valid() {
		return invalid("unknown fail_reason %q", reason)
	}
	return s.h.InTx(ctx, func(ctx context.Context, h store.Handle) error {
		return transition(ctx, h, level, id, to, from, reason)
	})
}

// transition is Transition's statement sequence in a transaction: one
// conditional UPDATE naming the states the change may start from (and, to
// start, an empty requires); only when it matches nothing is the row read,
// to say why.
func transition(ctx context.Context, h store.Handle, level Level, id int64, to RunState, from []RunState, reason FailReason) error {
	update := func(gate func(bun.QueryBuilder) bun.QueryBuilder) (bool, error) {
		q := h.IDB().NewUpdate().Model(level.model()).
			Set("? = ?", ident("run_state"), to).
			Set("? = ?", ident("updated_at"), h.Now()).
			Where("? = ?", ident("id"), id)
		if reason != "" {
			q = q.Set("? = ?", ident("fail_reason"), string(reason))
		}
		res, err := gate(runStateIn(q.QueryBuilder(), from)).Unwrap().(*bun.UpdateQuery).Exec(ctx)
		if err != nil {
			return false, dbErr(h, "transition", err)
		}
		n, err := res.RowsAffected()
		return n == 1, dbErr(h, "transition", err)
	}
	gate := func(q bun.QueryBuilder) bun.QueryBuilder { return q }
	if to == RunDoing {
		gate = noRequires
	}
	done, err := update(gate)
	if err != nil {
		return err
	}
	if !done {
		cur, err := loadGate(ctx, h, level, id, false)
		if err != nil {
			return err
		}
		if to == RunDoing && slices.Contains(from, cur.state) {
			if len(cur.requires) > 0 {
				return conflict(ErrNotAuthorized, "%s %d waits for %d authorisation(s)", level, id, len(cur.requires))
			}
			// requires holds no requirement in a spelling noRequires does
			// not know ("[ ]", a newline): start on the very text just read.
			if done, err = update(requiresIs(cur.rawRequires)); err != nil {
				return err
			}
		}
		if !done {
			return &TransitionError{Level: level, ID: id, From: cur.state, To: to}
		}
	}
	if level == LevelWorkflow && to.Terminal() {
		return releaseRun(ctx, h, id)
	}
	return nil
}

// releaseRun gives back the instance a run (a workflow_log id) took, in the
// transaction that ended it. The run's own conditional transition (or
// deleteRun's) makes this happen once per run.
func releaseRun(ctx context.Context, h store.Handle, run int64) error {
	from, err := runWorkflow(ctx, h, run)
	if err != nil {
		return err
	}
	return releaseInstance(ctx, h, from)
}

// runWorkflow returns the workflow (definition) id a run was started from,
// deleted or not.
func runWorkflow(ctx context.Context, h store.Handle, run int64) (int64, error) {
	var from int64
	err := h.IDB().NewSelect().Model((*WorkflowLog)(nil)).WhereAllWithDeleted().Column("from_workflow").
		Where("? = ?", ident("id"), run).Scan(ctx, &from)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, notFound("workflow_log %d", run)
	}
	return from, dbErr(h, "read run", err)
}

// releaseInstance decrements a workflow's current_instance. The floor at 0
// only protects against counters an older pilotage left drifting.
func releaseInstance(ctx context.Context, h store.Handle, workflow int64) error {
	_, err := h.IDB().NewUpdate().Model((*Workflow)(nil)).WhereAllWithDeleted().
		Set("? = ? - 1", ident("current_instance"), ident("current_instance")).
		Where("? = ?", ident("id"), workflow).
		Where("? > 0", ident("current_instance")).Exec(ctx)
	return dbErr(h, "release instance", err)
}

// deleteRun soft- or hard-deletes a run's workflow_log row and, when the
// run still held an instance (not ended, not deleted before), gives it back
// in the same transaction. That case is a statement of its own naming the
// live states, so that of a Transition ending the run and a deleteRun at the
// same time exactly one releases the instance: the other, after waiting for
// the row lock, no longer matches.
func deleteRun(ctx context.Context, h store.Handle, id int64, hard bool) error {
	return h.InTx(ctx, func(ctx context.Context, h store.Handle) error {
		from, err := runWorkflow(ctx, h, id)
		if err != nil {
			return err
		}
		// del deletes the row; with live, only if the run has not ended.
		del := func(live bool) (int64, error) {
			var res sql.Result
			var err error
			if hard {
				q := h.IDB().NewDelete().Model((*WorkflowLog)(nil)).ForceDelete().Where("? = ?", ident("id"), id)
				if live { // ForceDelete also sees soft-deleted rows, which gave their instance back
					q = runStateIn(q.Where("? IS NULL", ident("deleted_at")).QueryBuilder(), liveStates()).Unwrap().(*bun.DeleteQuery)
				}
				res, err = q.Exec(ctx)
			} else {
				q := h.IDB().NewUpdate().Model((*WorkflowLog)(nil)).Set("? = ?", ident("deleted_at"), h.Now()).
					Where("? = ?", ident("id"), id)
				if live {
					q = runStateIn(q.QueryBuilder(), liveStates()).Unwrap().(*bun.UpdateQuery)
				}
				res, err = q.Exec(ctx)
			}
			if err != nil {
				return 0, dbErr(h, "delete run", err)
			}
			n, err := res.RowsAffected()
			return n, dbErr(h, "delete run", err)
		}
		n, err := del(true)
		if err != nil {
			return err
		}
		if n == 1 {
			return releaseInstance(ctx, h, from)
		}
		if n, err = del(false); err != nil {
			return err
		}
		if n == 0 {
			return notFound("workflow_log %d (or already deleted)", id)
		}
		return nil
	})
}

// gate is the authorisation state of one log row. The lists keep their
// entries as raw JSON, so that writing them back changes nothing in the
// entries it does not touch: not a field this package does not know, not
// a number's digits (see the package documentation, "JSON columns").
type gate struct {
	state       RunState
	rawRequires sql.NullString
	requires    []json.RawMessage
	parsed      []Requirement // requires, decoded
	authList    []json.RawMessage
}

// loadGate reads a log row's state and authorisations; with lock, as a
// locking read.
func loadGate(ctx context.Context, h store.Handle, level Level, id int64, lock bool) (*gate, error) {
	var st sql.NullInt64
	var req, auth sql.NullString
	q := h.IDB().NewSelect().Model(level.model()).Column("run_state", "requires", "auth_list").
		Where("? = ?", ident("id"), id)
	if lock {
		q = lockRows(h, q, level.table(), level.alias())
	}
	if err := q.Scan(ctx, &st, &req, &auth); err != nil {
		return nil, notFoundOr(h, err, "read "+level.table(), "%s %d", level, id)
	}
	g := &gate{state: RunState(st.Int64), rawRequires: req}
	if s := strings.TrimSpace(req.String); s != "" {
		if err := textrule.Unmarshal([]byte(s), &g.requires); err != nil {
			return nil, invalid("%s %d: requires is not a JSON list of {type, token}: %v", level, id, err)
		}
		g.parsed = make([]Requirement, len(g.requires))
		for i, raw := range g.requires {
			if err := json.Unmarshal(raw, &g.parsed[i]); err != nil {
				return nil, invalid("%s %d: requires is not a JSON list of {type, token}: %v", level, id, err)
			}
		}
	}
	if s := strings.TrimSpace(auth.String); s != "" {
		if err := textrule.Unmarshal([]byte(s), &g.authList); err != nil {
			return nil, invalid("%s %d: auth_list is not a JSON list: %v", level, id, err)
		}
	}
	return g, nil
}

// Authorize implements Runs. It reads the row with a locking read and
// writes it back in one transaction; the UPDATE also names the requires
// text it read, so even without the lock two authorisers could never drop
// each other's entry (the loser would read again).
func (s *bunStore) Authorize(ctx context.Context, level Level, id int64, req Requirement, authorizer string) (int, error) {
	if err := store.CheckContext(ctx); err != nil {
		return 0, fail(fmt.Sprintf("authorize %s %d", level, id), err)
	}
	n, err := s.authorize(ctx, level, id, req, authorizer)
	return n, fail(fmt.Sprintf("authorize %s %d", level, id), err)
}

func (s *bunStore) authorize(ctx context.Context, level Level, id int64, req Requirement, authorizer string) (int, error) {
	if !level.valid() {
		return 0, invalid("unknown level %d", level)
	}
	for _, f := range [][2]string{{"requirement type", string(req.Type)}, {"requirement token", req.Token}, {"authorizer", authorizer}} {
		if err := store.ValidText(f[0], f[1]); err != nil {
			return 0, err
		}
	}
	for attempt := 0; attempt < 20; attempt++ {
		remaining, done := 0, false
		err := s.h.InTx(ctx, func(ctx context.Context, h store.Handle) error {
			g, err := loadGate(ctx, h, level, id, true)
			if err != nil {
				return err
			}
			if g.state.Terminal() {
				return &TransitionError{Level: level, ID: id, From: g.state, To: g.state}
			}
			i := slices.IndexFunc(g.parsed, func(r Requirement) bool { return r.Type == req.Type && r.Token == req.Token })
			if i < 0 {
				return invalid("%s %d does not require %s/%s", level, id, req.Type, req.Token)
			}
			rest := slices.Delete(slices.Clone(g.requires), i, i+1)
			entry, err := textrule.Marshal("authorisation", Authorization{Type: req.Type, Token: req.Token, Authorizer: authorizer, Time: h.Now()})
			if err != nil {
				return err
			}
			auth := append(slices.Clone(g.authList), entry)
			reqJSON, err := textrule.Marshal("requires", nonNilList(rest))
			if err != nil {
				return err
			}
			authJSON, err := textrule.Marshal("auth_list", auth)
			if err != nil {
				return err
			}
			q := h.IDB().NewUpdate().Model(level.model()).
				Set("? = ?", ident("requires"), string(reqJSON)).
				Set("? = ?", ident("auth_list"), string(authJSON)).
				Set("? = ?", ident("updated_at"), h.Now()).
				Where("? = ?", ident("id"), id)
			qb := requiresIs(g.rawRequires)(q.QueryBuilder())
			res, err := runStateIn(qb, liveStates()).Unwrap().(*bun.UpdateQuery).Exec(ctx)
			if err != nil {
				return dbErr(h, "authorize", err)
			}
			n, err := res.RowsAffected()
			remaining, done = len(rest), n == 1
			return dbErr(h, "authorize", err)
		})
		if err != nil || done {
			return remaining, err
		}
	}
	return 0, conflict(store.ErrLocked, "authorisation kept colliding with other writers")
}

// RecordEvent implements Runs.
func (s *bunStore) RecordEvent(ctx context.Context, e *Event) error {
	if err := checkArgs(ctx, e, "event"); err != nil {
		return fail("record event", err)
	}
	return fail(fmt.Sprintf("record event %s of run %d", quote(e.Title), e.Workflow), s.recordEvent(ctx, e))
}

func (s *bunStore) recordEvent(ctx context.Context, e *Event) error {
	if err := textrule.Struct("", e); err != nil {
		return err
	}
	if err := checkLens(s.h, "title", e.Title, "namespace", e.Namespace, "repository", e.Repository); err != nil {
		return err
	}
	if err := checkEventCodes(e.Type, e.Source, e.Character); err != nil {
		return err
	}
	e.ID = 0
	stamp(s.h.Now(), &e.CreatedAt, &e.UpdatedAt, &e.DeletedAt)
	_, err := s.h.IDB().NewInsert().Model(e).Exec(ctx)
	return dbErr(s.h, "insert event", err)
}

// RecordOutcome implements Runs.
func (s *bunStore) RecordOutcome(ctx context.Context, o *Outcome) error {
	if err := checkArgs(ctx, o, "outcome"); err != nil {
		return fail("record outcome", err)
	}
	return fail(fmt.Sprintf("record outcome of run %d", o.Workflow), recordOutcome(ctx, s.h, o))
}

func recordOutcome(ctx context.Context, h store.Handle, o *Outcome) error {
	if err := textrule.Struct("", o); err != nil {
		return err
	}
	if o.Workflow == 0 {
		return invalid("outcome needs the run's workflow_log id")
	}
	o.ID = 0
	stamp(h.Now(), &o.CreatedAt, &o.UpdatedAt, &o.DeletedAt)
	_, err := h.IDB().NewInsert().Model(o).Exec(ctx)
	return dbErr(h, "insert outcome", err)
}

// RecordStageOutcome implements Runs.
func (s *bunStore) RecordStageOutcome(ctx context.Context, run int64, which int64, status bool, result, output string) (*Outcome, error) {
	if err := store.CheckContext(ctx); err != nil {
		return nil, fail(fmt.Sprintf("record stage outcome of run %d", run), err)
	}
	o, err := s.recordStageOutcome(ctx, run, which, status, result, output)
	return o, fail(fmt.Sprintf("record stage outcome of run %d", run), err)
}

func (s *bunStore) recordStageOutcome(ctx context.Context, run int64, which int64, status bool, result, output string) (*Outcome, error) {
	if which != OutcomeStageStart && which != OutcomeStageEnd {
		return nil, invalid("stage outcome must be OutcomeStageStart (0) or OutcomeStageEnd (-1), not %d", which)
	}
	if err := textrule.Struct("", &Outcome{Result: result, Output: output}); err != nil {
		return nil, err
	}
	var out *Outcome
	err := s.h.InTx(ctx, func(ctx context.Context, h store.Handle) error {
		r, err := loadRun(ctx, h, func(q *bun.SelectQuery) *bun.SelectQuery { return q.Where("? = ?", ident("id"), run) }, false)
		if err != nil {
			return err
		}
		out, err = stageOutcome(ctx, h, r, which, status, result, output)
		return err
	})
	return out, err
}

// stageOutcome records the start or end outcome on the run's start or end
// stage (the first or last stage if none has that type), with action and
// event OutcomeStageStart (0) or OutcomeStageEnd (-1).
func stageOutcome(ctx context.Context, h store.Handle, r *Run, which int64, status bool, result, output string) (*Outcome, error) {
	want := StageStart
	if which == OutcomeStageEnd {
		want = StageEnd
	}
	var sl *StageLog
	for i := range r.Stages {
		if r.Stages[i].Stage.Type == want {
			sl = &r.Stages[i].Stage
			break
		}
	}
	if sl == nil && len(r.Stages) > 0 {
		if which == OutcomeStageStart {
			sl = &r.Stages[0].Stage
		} else {
			sl = &r.Stages[len(r.Stages)-1].Stage
		}
	}
	// action, real_action and event all carry the stage code, as pilotage's
	// OutcomeTypeStage* constants did; the event that started the run is on
	// its workflow_log row.
	o := &Outcome{Workflow: r.Workflow.ID, RealWorkflow: r.Workflow.FromWorkflow, Action: which, RealAction: which,
		Event: which, Sequence: r.Workflow.Sequence, Status: status, Result: result, Output: output}
	if sl != nil {
		o.Stage, o.RealStage = sl.ID, sl.FromStage
	}
	if err := recordOutcome(ctx, h, o); err != nil {
		return nil, err
	}
	return o, nil
}

// Outcomes implements Runs. A run records an outcome per action and two for
// its stages: a short list, no limit, no iterator.
func (s *bunStore) Outcomes(ctx context.Context, run int64) ([]Outcome, error) {
	if err := store.CheckContext(ctx); err != nil {
		return nil, fail(fmt.Sprintf("list outcomes of run %d", run), err)
	}
	var os []Outcome
	err := s.h.IDB().NewSelect().Model(&os).Where("? = ?", ident("workflow"), run).Order("id").Scan(ctx)
	return os, fail(fmt.Sprintf("list outcomes of run %d", run), dbErr(s.h, "read outcome", err))
}

// SetRunVar implements Runs. Like Authorize it is a locking read and a
// write in one transaction, and the UPDATE names the change_log it read, so
// concurrent changes each keep their entry.
func (s *bunStore) SetRunVar(ctx context.Context, run int64, key, value, user string) error {
	if err := store.CheckContext(ctx); err != nil {
		return fail(fmt.Sprintf("set variable %s of run %d", quote(key), run), err)
	}
	return fail(fmt.Sprintf("set variable %s of run %d", quote(key), run), s.setRunVar(ctx, run, key, value, user))
}

func (s *bunStore) setRunVar(ctx context.Context, run int64, key, value, user string) error {
	if err := required("user", user); err != nil {
		return err
	}
	if err := checkLens(s.h, "key", key); err != nil {
		return err
	}
	if err := textrule.Struct("", &WorkflowVarLog{Value: value}); err != nil {
		return err
	}
	if err := store.ValidText("user", user); err != nil {
		return err
	}
	for attempt := 0; attempt < 20; attempt++ {
		done := false
		err := s.h.InTx(ctx, func(ctx context.Context, h store.Handle) error {
			var v WorkflowVarLog
			q := h.IDB().NewSelect().Model(&v).Where("? = ?", ident("workflow"), run).
				Where("? = ?", ident("key"), key).OrderExpr("? DESC", ident("id")).Limit(1)
			if err := lockRows(h, q, "workflow_var_log", "wvl").Scan(ctx); err != nil {
				return notFoundOr(h, err, "read workflow_var_log", "run %d has no variable %q", run, key)
			}
			// The entries stay raw JSON: the ones already there are
			// written back as they were, numbers included.
			var changes []json.RawMessage
			if strings.TrimSpace(v.ChangeLog) != "" {
				if err := textrule.Unmarshal([]byte(v.ChangeLog), &changes); err != nil {
					return invalid("workflow_var_log %d: change_log is not a JSON list: %v", v.ID, err)
				}
			}
			entry, err := textrule.Marshal("change_log entry", VarChange{User: user, Time: h.Now(),
				Action: fmt.Sprintf("set %s from %q to %q", key, v.Value, value)})
			if err != nil {
				return err
			}
			cl, err := textrule.Marshal("change_log", append(changes, entry))
			if err != nil {
				return err
			}
			u := h.IDB().NewUpdate().Model((*WorkflowVarLog)(nil)).
				Set("? = ?", ident("vaule"), value).Set("? = ?", ident("change_log"), string(cl)).
				Where("? = ?", ident("id"), v.ID)
			if v.ChangeLog == "" {
				u = u.Where("(? IS NULL OR ? = '')", ident("change_log"), ident("change_log"))
			} else {
				u = u.Where("? = ?", ident("change_log"), v.ChangeLog)
			}
			res, err := u.Exec(ctx)
			if err != nil {
				return dbErr(h, "update workflow_var_log", err)
			}
			n, err := res.RowsAffected()
			done = n == 1
			return dbErr(h, "update workflow_var_log", err)
		})
		if err != nil || done {
			return err
		}
	}
	return conflict(store.ErrLocked, "the change kept colliding with other writers")
}

// subject names the workflow of a filter in errors.
func (f RunFilter) subject() string {
	name := workflowName(f.Namespace, f.Repository, f.Workflow)
	if f.Version != "" {
		name += " version " + f.Version
	}
	return name
}

// lookups are the filter's texts, as checkLookup takes them.
func (f RunFilter) lookups() []string {
	return []string{"namespace", f.Namespace, "repository", f.Repository, "workflow", f.Workflow, "version", f.Version}
}

// nonNilList makes an empty list marshal as [], not null.
func nonNilList(l []json.RawMessage) []json.RawMessage {
	if l == nil {
		return []json.RawMessage{}
	}
	return l
}

// ListRuns implements Runs.
func (s *bunStore) ListRuns(ctx context.Context, f RunFilter) ([]WorkflowLog, error) {
	if err := checkLookup(ctx, s.h, f.lookups()...); err != nil {
		return nil, fail("list runs of "+f.subject(), err)
	}
	n, err := store.PageLimit(f.Limit)
	if err != nil {
		return nil, fail("list runs of "+f.subject(), err)
	}
	runs, err := s.runsPage(ctx, f, 0, n)
	return runs, fail("list runs of "+f.subject(), err)
}

// AllRuns implements Runs.
func (s *bunStore) AllRuns(ctx context.Context, f RunFilter) iter.Seq2[WorkflowLog, error] {
	op := "list runs of " + f.subject()
	err := checkLookup(ctx, s.h, f.lookups()...)
	n := 0
	if err == nil {
		n, err = store.PageLimit(f.Limit)
	}
	if err != nil {
		return func(yield func(WorkflowLog, error) bool) { yield(WorkflowLog{}, fail(op, err)) }
	}
	pages := store.Stream(ctx, n, func(ctx context.Context, after *WorkflowLog, n int) ([]WorkflowLog, error) {
		var before int64
		if after != nil {
			before = after.ID
		}
		return s.runsPage(ctx, f, before, n)
	})
	return func(yield func(WorkflowLog, error) bool) {
		for r, err := range pages {
			if err != nil {
				yield(r, fail(op, err))
				return
			}
			if !yield(r, nil) {
				return
			}
		}
	}
}

// runsPage reads up to n runs f selects, newest first, with ids below
// before (0: from the newest).
func (s *bunStore) runsPage(ctx context.Context, f RunFilter, before int64, n int) ([]WorkflowLog, error) {
	var runs []WorkflowLog
	q := runFilter(s.h.IDB().NewSelect().Model(&runs), f)
	if before > 0 {
		q = q.Where("? < ?", ident("id"), before)
	}
	err := q.OrderExpr("? DESC", ident("id")).Limit(int64(n)).Scan(ctx)
	return runs, dbErr(s.h, "read workflow_log", err)
}

// GetRun implements Runs.
func (s *bunStore) GetRun(ctx context.Context, f RunFilter, sequence int64) (*Run, error) {
	op := fmt.Sprintf("get run %d of %s", sequence, f.subject())
	if sequence == 0 {
		op = "get the latest run of " + f.subject()
	}
	if err := checkLookup(ctx, s.h, f.lookups()...); err != nil {
		return nil, fail(op, err)
	}
	if sequence < 0 {
		return nil, fail(op, invalid("sequence %d is negative", sequence))
	}
	r, err := loadRun(ctx, s.h, func(q *bun.SelectQuery) *bun.SelectQuery {
		q = runFilter(q, f)
		if sequence > 0 {
			q = q.Where("? = ?", ident("sequence"), sequence)
		}
		return q
	}, true)
	return r, fail(op, err)
}

// GetRunByID implements Runs.
func (s *bunStore) GetRunByID(ctx context.Context, id int64) (*Run, error) {
	if err := store.CheckContext(ctx); err != nil {
		return nil, fail(fmt.Sprintf("get run %d", id), err)
	}
	r, err := loadRun(ctx, s.h, func(q *bun.SelectQuery) *bun.SelectQuery { return q.Where("? = ?", ident("id"), id) }, true)
	return r, fail(fmt.Sprintf("get run %d", id), err)
}

// loadRun reads the newest workflow_log row that sel matches and, with all,
// its stages, actions, variables, outcomes and events.
func loadRun(ctx context.Context, h store.Handle, sel func(*bun.SelectQuery) *bun.SelectQuery, all bool) (*Run, error) {
	idb := h.IDB()
	var wl WorkflowLog
	if err := sel(idb.NewSelect().Model(&wl)).OrderExpr("? DESC", ident("id")).Limit(1).Scan(ctx); err != nil {
		return nil, notFoundOr(h, err, "read workflow_log", "no such run")
	}
	r := &Run{Workflow: wl}
	var stages []StageLog
	if err := idb.NewSelect().Model(&stages).Where("? = ?", ident("workflow"), wl.ID).Order("id").Scan(ctx); err != nil {
		return nil, dbErr(h, "read stage_log", err)
	}
	var actions []ActionLog
	if all {
		if err := idb.NewSelect().Model(&actions).Where("? = ?", ident("workflow"), wl.ID).Order("id").Scan(ctx); err != nil {
			return nil, dbErr(h, "read action_log", err)
		}
	}
	for _, st := range stages {
		rs := RunStage{Stage: st}
		for _, a := range actions {
			if a.Stage == st.ID {
				rs.Actions = append(rs.Actions, a)
			}
		}
		r.Stages = append(r.Stages, rs)
	}
	if !all {
		return r, nil
	}
	if err := idb.NewSelect().Model(&r.Vars).Where("? = ?", ident("workflow"), wl.ID).Order("id").Scan(ctx); err != nil {
		return nil, dbErr(h, "read workflow_var_log", err)
	}
	if err := idb.NewSelect().Model(&r.Outcomes).Where("? = ?", ident("workflow"), wl.ID).Order("id").Scan(ctx); err != nil {
		return nil, dbErr(h, "read outcome", err)
	}
	if err := idb.NewSelect().Model(&r.Events).Where("? = ?", ident("workflow"), wl.ID).Order("id").Scan(ctx); err != nil {
		return nil, dbErr(h, "read event", err)
	}
	return r, nil
}
