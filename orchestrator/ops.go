package orchestrator

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/flowstore/flowstore/store"
)

// Resume gives a process that stopped in a resumable status (suspended,
// waiting, awaiting_callback, failed, api_unavailable, inconsistent_data)
// its user input and runs it again: one transaction marks it resumed (a
// conditional update, so of two concurrent Resumes one gets ErrConflict) and
// records the input as an input_states row (user_input; {} when input is
// nil); then Run continues after the last cleared step. While the engine is
// locked, Resume refuses with ErrLocked.
//
// As in WFO, the input is merged into the state only when the process
// stopped in a step that suspended or awaits a callback: that step runs
// again with the input merged into its state and finds it with UserInput
// (a resume without input gives it {}: never an older resume's input).
// Resuming a failed or waiting process retries its step as it was; the
// input is recorded but not used.
func (e *Engine) Resume(ctx context.Context, pid uuid.UUID, input State) (*Process, error) {
	if err := e.MarkResumed(ctx, pid, input); err != nil {
		return nil, err
	}
	return e.Run(ctx, pid)
}

// MarkResumed is Resume without running: the process is left resumed, for
// Run or any engine's Serve to take.
func (e *Engine) MarkResumed(ctx context.Context, pid uuid.UUID, input State) error {
	return ResumeProcess(ctx, e.db, pid, input)
}

// ResumeProcess marks a process resumed and records its user input, for an
// engine to run (see Engine.Resume, also for how the input is used); it
// needs no engine, so tools such as flowctl can resume processes that
// engines elsewhere execute.
func ResumeProcess(ctx context.Context, db *store.DB, pid uuid.UUID, input State) error {
	if input != nil {
		if _, err := input.clone(); err != nil {
			return err
		}
	}
	return db.InTx(ctx, func(ctx context.Context, s *store.Session) error {
		st := New(db).WithTx(s)
		set, err := st.Settings(ctx)
		if err != nil {
			return err
		}
		if set.GlobalLock {
			return fmt.Errorf("%w: the engine is locked", store.ErrLocked)
		}
		res, err := s.NewUpdate().Model((*Process)(nil)).
			Set("last_status = ?", StatusResumed).Set("engine_instance_id = NULL").Set("last_modified_at = ?", s.Now()).
			Where("pid = ?", pid).Where("last_status IN (?)", bunIn(resumable)).Exec(ctx)
		if err != nil {
			return s.Handle().Classify(err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			p, err := st.Process(ctx, pid)
			if err != nil {
				return err
			}
			return fmt.Errorf("%w: process %s is %s, which cannot be resumed", store.ErrConflict, pid, p.LastStatus)
		}
		// Every resume records its input, also an empty one: the engine
		// takes a suspended step's input from the row of the resume that
		// followed the suspension, and without a row of its own a resume
		// would hand the step an older resume's input.
		return st.AddInput(ctx, pid, InputUser, input)
	})
}

// Abort ends a process that has not ended (anything but completed or
// aborted): it becomes aborted, with an "abort" step row "User Aborted",
// in one transaction. Aborting a running process makes its engine's current
// step roll back (its commit is fenced on the status) and stop.
func (e *Engine) Abort(ctx context.Context, pid uuid.UUID) error {
	return abort(ctx, e.db, pid, e.by)
}

// AbortProcess aborts a process without an engine (see Engine.Abort), for
// tools such as flowctl.
func AbortProcess(ctx context.Context, db *store.DB, pid uuid.UUID) error {
	return abort(ctx, db, pid, nil)
}

func abort(ctx context.Context, db *store.DB, pid uuid.UUID, by *string) error {
	q := newStmts(db.Dialect())
	return db.InTx(ctx, func(ctx context.Context, s *store.Session) error {
		p, err := New(db).WithTx(s).Process(ctx, pid)
		if err != nil {
			return err
		}
		if p.LastStatus == StatusCompleted || p.LastStatus == StatusAborted {
			return fmt.Errorf("%w: process %s is already %s", store.ErrConflict, pid, p.LastStatus)
		}
		now := s.Now()
		res, err := s.NewUpdate().Model((*Process)(nil)).
			Set("last_status = ?", StatusAborted).Set("last_step = ?", "User Aborted").
			Set("engine_instance_id = NULL").Set("failed_reason = NULL").Set("traceback = NULL").Set("last_modified_at = ?", now).
			Where("pid = ?", pid).Where("last_status = ?", p.LastStatus).Exec(ctx)
		if err != nil {
			return s.Handle().Classify(err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return fmt.Errorf("%w: process %s changed status while aborting", store.ErrConflict, pid)
		}
		var seq int64
		if err := s.Raw().QueryRowContext(ctx, q.maxSeq, pid).Scan(&seq); err != nil {
			return s.Handle().Classify(err)
		}
		seq++
		row := ProcessStep{StepID: uuid.New(), PID: pid, Name: "User Aborted", Status: StepAbort,
			State: json.RawMessage(`{}`), CreatedBy: by, ExecutedAt: now, Seq: &seq}
		if _, err := s.NewInsert().Model(&row).Exec(ctx); err != nil {
			return s.Handle().Classify(err)
		}
		if p.LastStatus == StatusRunning {
			_, err := s.Raw().ExecContext(ctx, q.runningDelta, -1)
			return s.Handle().Classify(err)
		}
		return nil
	})
}

// Delete removes a task process with its steps and inputs (by FK cascade).
// Only tasks can be deleted, as in WFO's API.
func (e *Engine) Delete(ctx context.Context, pid uuid.UUID) error {
	return e.db.InTx(ctx, func(ctx context.Context, s *store.Session) error {
		p, err := e.st.WithTx(s).Process(ctx, pid)
		if err != nil {
			return err
		}
		if !p.IsTask {
			return fmt.Errorf("%w: process %s is not a task; only tasks can be deleted", store.ErrInvalid, pid)
		}
		res, err := s.NewDelete().Model((*Process)(nil)).Where("pid = ?", pid).Where("last_status = ?", p.LastStatus).Exec(ctx)
		if err != nil {
			return s.Handle().Classify(err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return fmt.Errorf("%w: process %s changed status while deleting", store.ErrConflict, pid)
		}
		if p.LastStatus == StatusRunning {
			return e.addRunning(ctx, s, -1)
		}
		return nil
	})
}

// Lock sets the global lock: every running process stops at its next step
// boundary (its engine releases it; its status stays running) and Resume is
// refused. Locking a locked engine does nothing.
func Lock(ctx context.Context, db *store.DB) error {
	_, err := db.SQL().ExecContext(ctx, newStmts(db.Dialect()).lock)
	return db.Handle().Classify(err)
}

// Unlock clears the global lock and, in the same transaction, marks resumed
// the running processes that the lock paused (those no engine owns), taking
// them off running_processes; engines running Serve pick them up. It returns
// how many processes it resumed.
func Unlock(ctx context.Context, db *store.DB) (int, error) {
	q := newStmts(db.Dialect())
	var n int64
	err := db.InTx(ctx, func(ctx context.Context, s *store.Session) error {
		if _, err := s.Raw().ExecContext(ctx, q.unlock); err != nil {
			return s.Handle().Classify(err)
		}
		res, err := s.Raw().ExecContext(ctx, q.unlockResume, s.Now())
		if err != nil {
			return s.Handle().Classify(err)
		}
		n, _ = res.RowsAffected()
		if n > 0 {
			_, err = s.Raw().ExecContext(ctx, q.runningDelta, -n)
		}
		return s.Handle().Classify(err)
	})
	return int(n), err
}

// Lock sets the global lock (see the package function Lock).
func (e *Engine) Lock(ctx context.Context) error { return Lock(ctx, e.db) }

// Unlock clears the global lock (see the package function Unlock).
func (e *Engine) Unlock(ctx context.Context) (int, error) { return Unlock(ctx, e.db) }

// GlobalStatus is the engine's computed status, as WFO shows it.
type GlobalStatus string

// The global statuses: RUNNING (unlocked), PAUSING (locked, some process still
// executing a step), PAUSED (locked, none executing).
const (
	GlobalRunning GlobalStatus = "RUNNING"
	GlobalPausing GlobalStatus = "PAUSING"
	GlobalPaused  GlobalStatus = "PAUSED"
)

// Status is what EngineStatus reports.
type Status struct {
	Global           GlobalStatus // RUNNING, PAUSING or PAUSED, computed
	Locked           bool         // engine_settings.global_lock
	RunningProcesses int          // engine_settings.running_processes
	Executing        int          // running processes owned by a live engine (lease not expired)
	Engines          int          // live engine instances
}

// EngineStatus reads the lock, the counter and the live engines. A running
// process counts as executing only while its owner's lease is valid: one
// left by a dead engine executes nothing, and counting it would show
// PAUSING until someone recovered it — for ever, while the lock stops
// recovery.
func EngineStatus(ctx context.Context, db *store.DB) (Status, error) {
	var st Status
	set, err := New(db).Settings(ctx)
	if err != nil {
		return st, err
	}
	st.Locked, st.RunningProcesses = set.GlobalLock, set.RunningProcesses
	now := db.Now()
	n, err := executingQuery(db.Bun(), now).Count(ctx)
	if err != nil {
		return st, db.Handle().Classify(err)
	}
	st.Executing = int(n)
	m, err := db.Bun().NewSelect().Model((*EngineInstance)(nil)).Where("expires_at >= ?", now).Count(ctx)
	if err != nil {
		return st, db.Handle().Classify(err)
	}
	st.Engines = int(m)
	switch {
	case !st.Locked:
		st.Global = GlobalRunning
	case st.Executing > 0:
		st.Global = GlobalPausing
	default:
		st.Global = GlobalPaused
	}
	return st, nil
}

// executingQuery selects the running processes whose owner holds a valid
// lease at now: those some live engine is executing.
func executingQuery(db bun.IDB, now time.Time) *bun.SelectQuery {
	return db.NewSelect().TableExpr("processes AS p").Where("p.last_status = ?", StatusRunning).
		Where("EXISTS (SELECT 1 FROM engine_instances AS ei WHERE ei.instance_id = p.engine_instance_id AND ei.expires_at >= ?)", now)
}

// Status reports the engine's global status (see EngineStatus).
func (e *Engine) Status(ctx context.Context) (Status, error) { return EngineStatus(ctx, e.db) }

// Serve runs processes until ctx ends: every poll interval it takes created
// and resumed processes, and running processes whose engine is gone (lease
// expired, instance row removed, or lock-paused and released), and runs up to
// WithMaxConcurrent of them at once. While the engine is locked it takes
// nothing. It returns after the processes it started have stopped.
func (e *Engine) Serve(ctx context.Context) error {
	var wg sync.WaitGroup
	defer wg.Wait()
	sem := make(chan struct{}, e.maxC)
	t := time.NewTicker(e.poll)
	defer t.Stop()
	lastPrune := time.Now()
	for {
		if _, err := e.pollOnce(ctx, &wg, sem); err != nil && ctx.Err() == nil {
			e.log.Warn("orchestrator: serve", "instance", e.id, "err", err)
		}
		if time.Since(lastPrune) > 10*e.lease {
			lastPrune = time.Now()
			if _, err := PruneInstances(ctx, e.db, 10*e.lease); err != nil && ctx.Err() == nil {
				e.log.Warn("orchestrator: prune engine instances", "err", err)
			}
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// RecoverOnce takes and runs, to their stop, the processes Serve would take
// now, and returns how many it ran.
func (e *Engine) RecoverOnce(ctx context.Context) (int, error) {
	var wg sync.WaitGroup
	sem := make(chan struct{}, e.maxC)
	n, err := e.pollOnce(ctx, &wg, sem)
	wg.Wait()
	return n, err
}

type candidate struct {
	pid    uuid.UUID
	status ProcessStatus
	owner  *string
}

func (e *Engine) pollOnce(ctx context.Context, wg *sync.WaitGroup, sem chan struct{}) (int, error) {
	set, err := e.st.Settings(ctx)
	if err != nil {
		return 0, err
	}
	if set.GlobalLock {
		return 0, nil
	}
	rows, err := e.db.SQL().QueryContext(ctx, e.q.recoverable, e.id, e.db.Now())
	if err != nil {
		return 0, e.db.Handle().Classify(err)
	}
	var cands []candidate
	for rows.Next() {
		var c candidate
		var st string
		if err := rows.Scan(&c.pid, &st, &c.owner); err != nil {
			rows.Close()
			return 0, err
		}
		c.status = ProcessStatus(st)
		cands = append(cands, c)
	}
	if err := rows.Close(); err != nil {
		return 0, err
	}
	started := 0
	for _, c := range cands {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			return started, nil
		}
		if !e.reserve(c.pid) {
			<-sem
			continue
		}
		ok, err := e.claim(ctx, c)
		if err != nil || !ok {
			e.unreserve(c.pid)
			<-sem
			if err != nil && ctx.Err() == nil {
				e.log.Warn("orchestrator: claim", "pid", c.pid, "err", err)
			}
			continue
		}
		started++
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			defer e.unreserve(c.pid)
			if err := e.execute(ctx, c.pid); err != nil && ctx.Err() == nil {
				e.log.Warn("orchestrator: run", "pid", c.pid, "err", err)
			}
		}()
	}
	return started, nil
}

// claim takes a candidate with a conditional update naming what was seen,
// so of several engines exactly one gets it.
func (e *Engine) claim(ctx context.Context, c candidate) (bool, error) {
	if c.status == StatusCreated || c.status == StatusResumed {
		err := e.claimNew(ctx, c.pid)
		// Taken by another engine, deleted, or locked since we looked:
		// not ours to run now, and not an error.
		if errors.Is(err, store.ErrConflict) || errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrLocked) {
			return false, nil
		}
		return err == nil, err
	}
	var ok bool
	err := e.db.InTx(ctx, func(ctx context.Context, s *store.Session) error {
		var args []any
		q := e.q.claimOrphan
		args = []any{e.id, s.Now(), c.pid}
		if c.owner != nil {
			q = e.q.claimRunning
			args = append(args, *c.owner)
		}
		res, err := s.Raw().ExecContext(ctx, q, args...)
		if err != nil {
			return s.Handle().Classify(err)
		}
		n, _ := res.RowsAffected()
		ok = n == 1
		return nil
	})
	return ok, err
}

func bunIn(ss []ProcessStatus) any {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = string(s)
	}
	return bunList(out)
}

func bunList(s []string) any { return bun.In(s) }

// PruneInstances deletes the engine_instances rows of engines whose lease
// expired more than olderThan ago and that own no running process any more
// (their processes were recovered). Serve calls it now and then; rows of
// engines that crashed would otherwise stay forever.
func PruneInstances(ctx context.Context, db *store.DB, olderThan time.Duration) (int, error) {
	res, err := db.SQL().ExecContext(ctx, newStmts(db.Dialect()).pruneEngines, db.Now().Add(-olderThan))
	if err != nil {
		return 0, db.Handle().Classify(err)
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}

// retryable are the statuses ResumeAllTasks resumes, as WFO's "resume all"
// task does.
var retryable = []ProcessStatus{StatusFailed, StatusWaiting, StatusAPIUnavailable, StatusInconsistentData}

// ResumeAllTasks marks resumed every task that failed or is waiting (also
// api_unavailable and inconsistent_data), in one conditional UPDATE, so that
// engines running Serve retry them — WFO's "resume all". Processes that are
// running or already resumed are left alone; a concurrent call resumes each
// at most once. While the engine is locked it refuses with ErrLocked.
func ResumeAllTasks(ctx context.Context, db *store.DB) (int, error) {
	var n int64
	err := db.InTx(ctx, func(ctx context.Context, s *store.Session) error {
		set, err := New(db).WithTx(s).Settings(ctx)
		if err != nil {
			return err
		}
		if set.GlobalLock {
			return fmt.Errorf("%w: the engine is locked", store.ErrLocked)
		}
		res, err := s.NewUpdate().Model((*Process)(nil)).
			Set("last_status = ?", StatusResumed).Set("engine_instance_id = NULL").Set("last_modified_at = ?", s.Now()).
			Where("is_task = ?", true).Where("last_status IN (?)", bunIn(retryable)).Exec(ctx)
		if err != nil {
			return s.Handle().Classify(err)
		}
		n, _ = res.RowsAffected()
		return nil
	})
	return int(n), err
}
