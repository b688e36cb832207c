package orchestrator

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"runtime/debug"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/flowstore/flowstore/orchestrator/internal/textrule"
	"github.com/flowstore/flowstore/store"
)

// Limits WFO documents for processes, in the dialect's text units:
// failed_reason keeps its head, traceback its tail.
const (
	maxFailedReason = 10000
	maxTraceback    = 50000
)

// claimNew takes a created or resumed process: running, owned by this
// engine, counted — or, while the engine is locked, nothing at all
// (ErrLocked). The lock is read in the claim's own transaction, before any
// write; should a Lock commit just after, the first step's boundary check
// pauses the process as it pauses every other.
func (e *Engine) claimNew(ctx context.Context, pid uuid.UUID) error {
	err := e.db.InTx(ctx, func(ctx context.Context, s *store.Session) error {
		var locked bool
		if err := on(ctx, s, e.ps.readLock, e.st.q.readLock).QueryRowContext(ctx).Scan(&locked); err != nil {
			return s.Handle().Classify(err)
		}
		if locked {
			return fmt.Errorf("%w: the engine is locked; the process was not started", store.ErrLocked)
		}
		res, err := s.Raw().ExecContext(ctx, e.st.q.claimNew, e.name, s.Now(), pid)
		if err != nil {
			return s.Handle().Classify(err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return e.notClaimable(ctx, pid)
		}
		return e.addRunning(ctx, s, 1)
	})
	return err
}

func (e *Engine) notClaimable(ctx context.Context, pid uuid.UUID) error {
	p, err := e.st.process(ctx, pid)
	if err != nil {
		return err
	}
	return fmt.Errorf("%w: the process is %s, not created or resumed", store.ErrConflict, p.LastStatus)
}

func (e *Engine) addRunning(ctx context.Context, s *store.Session, delta int) error {
	if delta == 0 {
		return nil
	}
	_, err := on(ctx, s, e.ps.runningDelta, e.st.q.runningDelta).ExecContext(ctx, delta)
	return s.Handle().Classify(err)
}

// run is the in-memory picture of a process being executed.
type run struct {
	pid      uuid.UUID
	wf       *registered
	pos      int   // index of the next step in wf.Steps (len: the Done step)
	nextSeq  int64 // seq of the next new step row
	state    State
	input    State // user input for the first step, if resumed from suspend
	last     *lastStep
	assignee string
	isTask   bool
	// locked is the global lock as the previous step's transaction read it
	// (lockKnown false: read it in the next step's transaction).
	locked, lockKnown bool
}

// lastStep is what retry folding compares with.
type lastStep struct {
	stepID  uuid.UUID
	name    string
	status  StepStatus
	by      *string
	errMsg  string
	details string
	retries int
	history []any
}

// errPaused and errLost stop a run without being errors for the caller.
var (
	errPaused = errors.New("paused by the global lock")
	errLost   = errors.New("process no longer ours")
)

// execute runs the steps of a process this engine owns and has reserved.
// When Run stops taking work it stops at the next step boundary and lets
// go of the process.
func (e *Engine) execute(ctx context.Context, pid uuid.UUID) error {
	r, err := e.load(ctx, pid)
	if err != nil {
		// Without its workflow we cannot run it; let an engine that has it.
		_ = e.release(ctx, pid)
		return err
	}
	for {
		if e.isStopping() {
			if err := e.release(ctx, pid); err != nil {
				return fmt.Errorf("%w: the engine is stopping; release the process: %w", ErrNotRunning, err)
			}
			return fmt.Errorf("%w: the engine stopped; the process stays running for any engine to continue", ErrNotRunning)
		}
		var step Step
		if r.pos < len(r.wf.wf.Steps) {
			step = r.wf.wf.Steps[r.pos]
		} else {
			step = Step{Name: DoneStep, Fn: func(_ context.Context, _ *store.Session, st State) (Result, error) { return Complete(st), nil }}
		}
		sctx, observed := e.observeStep(ctx, r, step)
		status, err := e.runStep(sctx, r, step)
		observed(status, err)
		switch {
		case errors.Is(err, errPaused):
			return e.release(ctx, pid)
		case errors.Is(err, errLost):
			return nil
		case err != nil:
			// A database error or the end of ctx stopped us between steps
			// (the failed step rolled back). Let go of the process so that
			// any engine — this one included — takes it at once; kept, it
			// would stay running under our live lease and nobody would
			// recover it until this engine dies.
			if relErr := e.release(ctx, pid); relErr != nil {
				return errors.Join(err, fmt.Errorf("release the process: %w", relErr))
			}
			return err
		}
		if status != StatusRunning {
			return nil
		}
	}
}

// release gives up ownership of a running process without changing its
// status, so that another engine (or this one, later) takes it. It must
// run even when ctx is what ended, so it runs detached from ctx's
// cancellation, bounded by the query timeout.
func (e *Engine) release(ctx context.Context, pid uuid.UUID) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), e.queryTimeout)
	defer cancel()
	_, err := e.db.SQL().ExecContext(ctx, e.st.q.release, pid, e.name)
	return e.db.Handle().Classify(err)
}

// load rebuilds where a process stands from its committed steps, as WFO's
// _recoverwf does, but ordered by seq: cleared rows count as done; the state
// is the last cleared row's, or the last row's when that one suspended or
// awaits a callback.
func (e *Engine) load(ctx context.Context, pid uuid.UUID) (*run, error) {
	ctx, cancel := context.WithTimeout(ctx, e.queryTimeout)
	defer cancel()
	p, err := e.st.process(ctx, pid)
	if err != nil {
		return nil, err
	}
	e.mu.Lock()
	wf := e.byID[p.WorkflowID]
	e.mu.Unlock()
	if wf == nil {
		return nil, fmt.Errorf("%w: its workflow %q is not registered with this engine", store.ErrNotFound, p.WorkflowName)
	}
	steps, err := e.st.steps(ctx, pid)
	if err != nil {
		return nil, err
	}
	r := &run{pid: pid, wf: wf, nextSeq: 1, assignee: p.Assignee, isTask: p.IsTask}
	var clearedState json.RawMessage
	cleared := 0
	for _, s := range steps {
		if s.Seq != nil && *s.Seq >= r.nextSeq {
			r.nextSeq = *s.Seq + 1
		}
		if s.Status.cleared() {
			cleared++
			clearedState = s.State
		}
	}
	r.pos = cleared
	src := clearedState
	var suspendedAt time.Time // executed_at of the row that suspended, if the last did
	if n := len(steps); n > 0 {
		l := steps[n-1]
		if l.Status == StepSuspend || l.Status == StepAwaitingCallback {
			src = l.State
			suspendedAt = l.ExecutedAt
		}
		r.last = lastFrom(&l)
	}
	if src == nil {
		// No step yet: the state starts as the initial input.
		ins, err := e.st.inputStates(ctx, pid)
		if err != nil {
			return nil, err
		}
		r.state = State{}
		for _, in := range ins {
			if in.InputType == InputInitial {
				_ = textrule.Unmarshal(in.State, &r.state)
			}
		}
	} else if err := textrule.Unmarshal(src, &r.state); err != nil {
		return nil, fmt.Errorf("step state is not a JSON object: %w", err)
	}
	if r.state == nil {
		r.state = State{}
	}
	if !suspendedAt.IsZero() {
		// The step's input is that of the resume after the suspension: the
		// newest user_input row recorded at or after the suspend row
		// (AddInput never dates a row earlier than the newest step row, nor
		// lets two rows tie). An older row was another step's input; with
		// none (WFO or a tool resumed without a row) the step gets none.
		ins, err := e.st.inputStates(ctx, pid)
		if err != nil {
			return nil, err
		}
		for i := len(ins) - 1; i >= 0 && !ins[i].InputTime.Before(suspendedAt); i-- {
			if ins[i].InputType != InputUser {
				continue
			}
			// Rows WFO wrote may hold a list of forms rather than one
			// object; such a row still counts as this resume's input, but
			// an empty one, as before — refusing it would leave the
			// process unrunnable.
			in, err := decodeState(ins[i].State)
			if err != nil || in == nil {
				in = State{}
			}
			r.input = in
			for k, v := range in {
				r.state[k] = v
			}
			break
		}
	}
	return r, nil
}

func lastFrom(s *ProcessStep) *lastStep {
	l := &lastStep{stepID: s.StepID, name: s.Name, status: s.Status, by: s.CreatedBy}
	if st, err := decodeState(s.State); err == nil {
		l.errMsg, _ = st["error"].(string)
		l.details, _ = st["details"].(string)
		if n, ok := st["retries"].(json.Number); ok {
			if v, err := n.Int64(); err == nil {
				l.retries = int(v)
			}
		}
		l.history, _ = st["completed_at"].([]any)
	}
	return l
}

// outcome is a step's result prepared for the database.
type outcome struct {
	res       Result
	state     State // the state the process continues with
	errMsg    string
	class     string
	traceback string
}

// runStep executes one step as one transaction and returns the process's
// status after it. Retryable database errors (deadlock, serialization,
// SQLITE_BUSY) roll the whole step back and run it again.
func (e *Engine) runStep(ctx context.Context, r *run, step Step) (ProcessStatus, error) {
	for attempt := 0; ; attempt++ {
		st, err := e.stepTx(ctx, r, step)
		if err == nil || !store.IsRetryable(err) || attempt >= 5 {
			return st, err
		}
		t := time.NewTimer(time.Duration(attempt+1) * 5 * time.Millisecond)
		select {
		case <-ctx.Done():
			t.Stop()
			return "", errors.Join(err, ctx.Err())
		case <-t.C:
		}
	}
}

func (e *Engine) stepTx(ctx context.Context, r *run, step Step) (ProcessStatus, error) {
	if r.lockKnown && r.locked {
		return "", errPaused
	}
	s, err := e.db.Begin(ctx)
	if err != nil {
		return "", err
	}
	committed := false
	defer func() {
		if !committed {
			_ = s.Rollback()
		}
	}()
	// The global lock is checked before every step: in the step's own
	// transaction, or — after a step that continues, where the dialect's
	// UPDATE returns it (finishStepLock) — read by the previous step's
	// final UPDATE just before it committed. Either
	// way it is read after the last step ended and before this one starts,
	// which is WFO's guarantee (it reads the lock in a short transaction of
	// its own before each step).
	if !r.lockKnown {
		var locked bool
		if err := on(ctx, s, e.ps.readLock, e.st.q.readLock).QueryRowContext(ctx).Scan(&locked); err != nil {
			return "", s.Handle().Classify(err)
		}
		if locked {
			return "", errPaused
		}
	}
	out := e.call(ctx, s, r, step)
	if store.IsRetryable(out.res.Err) {
		return "", out.res.Err
	}
	if s.RollbackOnly() {
		// The step called Rollback: its writes must go. The transaction
		// can only end in a rollback now, so record the failure in a new one.
		_ = s.Commit()
		committed = true
		out = failure(fmt.Errorf("step %s rolled back its session: %w", step.Name, store.ErrRollbackOnly), "")
		s, err = e.db.Begin(ctx)
		if err != nil {
			return "", err
		}
		committed = false
	}
	status, apply, err := e.record(ctx, s, r, step, out)
	if err != nil {
		return "", err
	}
	if err := s.Commit(); err != nil {
		committed = true
		return "", err
	}
	committed = true
	apply()
	return status, nil
}

// errUndoResult is what call's savepoint function returns for a Fail or
// Wait result, so that stepSavepoint rolls the step's writes back although
// the step returned no error. Only when that rollback itself fails does it
// reach the step's record, joined with the rollback's error.
var errUndoResult = errors.New("undo the writes of a failed or waiting step")

// call runs the step function inside a savepoint with commit suppressed. An
// error or panic, and also a Fail or Wait result, rolls the savepoint back:
// the step is retried from scratch on resume, so whatever it wrote before
// failing must go, or a retried step would write twice. Suspend and
// AwaitCallback results keep their writes (see Suspend).
func (e *Engine) call(ctx context.Context, s *store.Session, r *run, step Step) outcome {
	in, err := r.state.clone()
	if err != nil {
		return failure(err, "")
	}
	sctx := ctx
	if r.input != nil {
		sctx = context.WithValue(ctx, userInputKey{}, r.input)
	}
	var res Result
	var kept State // the state a step that keeps its writes continues with
	var trace string
	restore := s.Suppress()
	spErr := stepSavepoint(sctx, s, func(ctx context.Context) (err error) {
		defer func() {
			if p := recover(); p != nil {
				trace = string(debug.Stack())
				err = fmt.Errorf("step %s panicked: %v", step.Name, p)
			}
		}()
		res, err = step.Fn(ctx, s, in)
		if err != nil {
			return err
		}
		switch res.Status {
		case StepFailed, StepWaiting:
			return errUndoResult
		case StepSuccess, StepSkipped, StepSuspend, StepAwaitingCallback, StepComplete, StepAbort:
			// Checked here, inside the savepoint: a state that cannot be
			// stored fails the step, and its writes go with it.
			if res.State == nil {
				res.State = in
			}
			if kept, err = res.State.clone(); err != nil {
				return fmt.Errorf("step %s returned a state that cannot be stored: %w", step.Name, err)
			}
			return nil
		default:
			return fmt.Errorf("%w: step %s returned unknown status %q", store.ErrInvalid, step.Name, res.Status)
		}
	})
	restore()
	if spErr == errUndoResult {
		// Rolled back as asked (a failed rollback comes joined, below);
		// the result itself is recorded as the step returned it.
		spErr = nil
	}
	if spErr != nil {
		if trace == "" {
			trace = fmt.Sprintf("%+v", spErr)
		}
		o := failure(spErr, trace)
		if store.IsRetryable(spErr) {
			o.res.Err = spErr
		}
		return o
	}
	if res.Status == StepFailed || res.Status == StepWaiting {
		if res.Err == nil {
			res.Err = errors.New("step " + string(res.Status))
		}
		o := failure(res.Err, fmt.Sprintf("%+v", res.Err))
		o.res.Status, o.res.Details = res.Status, diagnostic(res.Details)
		return o
	}
	return outcome{res: res, state: kept}
}

func failure(err error, trace string) outcome {
	return outcome{res: Result{Status: StepFailed, Err: err}, errMsg: diagnostic(err.Error()), class: diagnostic(errClass(err)), traceback: diagnostic(trace)}
}

// diagnostic makes the text of a failure storable: NUL and bytes that are
// not UTF-8 become U+FFFD. A failed step's error, details and traceback are
// the engine's record of what went wrong, not values a caller stores: the
// record must be written whatever the error says (refusing it would leave
// the process running for ever), so here — and only here — text is changed
// instead of refused.
func diagnostic(s string) string {
	if strings.IndexByte(s, 0) < 0 && utf8.ValidString(s) {
		return s
	}
	return strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", "\uFFFD")
}

// errClass names the type of the innermost error, like WFO's "class".
func errClass(err error) string {
	for {
		next := errors.Unwrap(err)
		if next == nil {
			return fmt.Sprintf("%T", err)
		}
		err = next
	}
}

// record writes the step row (or folds a repeated failure into the previous
// row) and updates the process row, fenced on ownership and status, and the
// running_processes counter when the process stops running. It returns the
// new status and a function that applies the step to r once committed.
func (e *Engine) record(ctx context.Context, s *store.Session, r *run, step Step, out outcome) (ProcessStatus, func(), error) {
	now := s.Now()
	h := s.Handle()
	res := out.res
	status := res.Status.ProcessStatus()
	assignee := r.assignee
	var failedReason, traceback *string
	var rowState State
	if res.Status == StepFailed || res.Status == StepWaiting {
		if out.errMsg == "" {
			out.errMsg = diagnostic(res.Err.Error())
		}
		if r.isTask && res.Status == StepFailed {
			switch {
			case errors.Is(res.Err, ErrInconsistentData):
				status, assignee = StatusInconsistentData, AssigneeNOC
			case errors.Is(res.Err, ErrAPIUnavailable):
				status = StatusAPIUnavailable
			}
		}
		fr, tb := e.st.d.CutText(out.errMsg, maxFailedReason), e.st.d.CutTextTail(out.traceback, maxTraceback)
		failedReason = &fr
		if tb != "" {
			traceback = &tb
		}
		rowState = State{"error": out.errMsg, "class": out.class}
		if res.Details != "" {
			rowState["details"] = res.Details
		}
	} else {
		rowState = out.state
	}
	fold := (res.Status == StepFailed || res.Status == StepWaiting) && r.last != nil &&
		r.last.status == res.Status && r.last.name == step.Name && sameUser(r.last.by, e.by) &&
		r.last.errMsg == out.errMsg && r.last.details == res.Details
	var newLast *lastStep
	if fold {
		retries := r.last.retries + 1
		hist := append(append([]any{}, r.last.history...), now.Format(time.RFC3339Nano))
		rowState["retries"] = retries
		rowState["completed_at"] = hist
		js, err := textrule.Marshal("the state of step "+step.Name, rowState)
		if err != nil {
			return "", nil, err
		}
		if _, err := on(ctx, s, e.ps.foldStep, e.st.q.foldStep).ExecContext(ctx, string(js), now, r.last.stepID); err != nil {
			return "", nil, h.Classify(err)
		}
		l := *r.last
		l.retries, l.history = retries, hist
		newLast = &l
	} else {
		js, err := textrule.Marshal("the state of step "+step.Name, rowState)
		if err != nil {
			return "", nil, err
		}
		id := uuid.New()
		if _, err := on(ctx, s, e.ps.insertStep, e.st.q.insertStep).ExecContext(ctx, id, r.pid, step.Name, string(res.Status), string(js), e.by, now, r.nextSeq); err != nil {
			err = h.Classify(err)
			if errors.Is(err, store.ErrDuplicate) {
				// Another engine wrote this step: we lost the process.
				return "", nil, errLost
			}
			return "", nil, err
		}
		newLast = &lastStep{stepID: id, name: step.Name, status: res.Status, by: e.by, errMsg: out.errMsg, details: res.Details}
	}
	var owner *string
	if status == StatusRunning {
		owner = &e.name
	}
	// The UPDATE is fenced: if the process was aborted, unlocked or
	// recovered by another engine meanwhile, it matches no row, the step is
	// rolled back and this engine stops executing the process.
	var nextLocked, lockKnown bool
	if e.st.q.finishStepLock != "" {
		err := on(ctx, s, e.ps.finishStepLock, e.st.q.finishStepLock).QueryRowContext(ctx, step.Name, string(status), assignee, failedReason, traceback, now, owner, r.pid, e.name).Scan(&nextLocked)
		if errors.Is(err, sql.ErrNoRows) {
			return "", nil, errLost
		}
		if err != nil {
			return "", nil, h.Classify(err)
		}
		lockKnown = true
	} else {
		upd, err := on(ctx, s, e.ps.finishStep, e.st.q.finishStep).ExecContext(ctx, step.Name, string(status), assignee, failedReason, traceback, now, owner, r.pid, e.name)
		if err != nil {
			return "", nil, h.Classify(err)
		}
		if n, err := upd.RowsAffected(); err != nil {
			return "", nil, err
		} else if n != 1 {
			return "", nil, errLost
		}
	}
	if status != StatusRunning {
		if err := e.addRunning(ctx, s, -1); err != nil {
			return "", nil, err
		}
	}
	apply := func() {
		if !fold {
			r.nextSeq++
		}
		r.last = newLast
		r.assignee = assignee
		r.locked, r.lockKnown = nextLocked, lockKnown
		r.input = nil
		if res.Status.cleared() && res.Status != StepAbort {
			r.pos++
			r.state = out.state
		}
	}
	return status, apply, nil
}

func sameUser(a, b *string) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return *a == *b
}

// stepSavepoint runs fn inside a savepoint of s, like Session.Savepoint, and
// rolls back to it when fn fails (or panics: fn recovers its own panics).
// Unlike Session.Savepoint it does not release the savepoint when fn
// succeeds: the step's commit follows at once and ends the savepoint with
// the transaction. That spares every step one round trip (RELEASE), which
// on PostgreSQL decides whether a step keeps within 0.8 of the raw driver.
// One savepoint per transaction, so none accumulate. The savepoint
// statements run past a cancelled ctx (Session.BeginTx issues them on
// context.WithoutCancel), so a step that fails because its context ended is
// still rolled back; a cancelled ctx also ends the step's transaction, which
// Begin tied to it, so nothing of the step commits either way
// (TestRunErrorReleasesTheProcess).
func stepSavepoint(ctx context.Context, s *store.Session, fn func(ctx context.Context) error) error {
	sp, err := s.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("savepoint: %w", err)
	}
	if err := fn(ctx); err != nil {
		if rbErr := sp.Rollback(); rbErr != nil {
			return errors.Join(err, fmt.Errorf("rollback to savepoint: %w", s.Handle().Classify(rbErr)))
		}
		return err
	}
	return nil
}
