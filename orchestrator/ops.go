package orchestrator

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/flowstore/flowstore/orchestrator/internal/textrule"
	"github.com/flowstore/flowstore/store"
)

// The operations on processes and on the engine's settings that need no
// running engine: tools such as flowctl run them on a Store, engines
// anywhere observe their effect.

// ResumeProcess implements Store.
func (b *bunStore) ResumeProcess(ctx context.Context, pid uuid.UUID, input State) error {
	if err := store.CheckContext(ctx); err != nil {
		return fail("resume process "+pid.String(), err)
	}
	return fail("resume process "+pid.String(), b.resumeProcess(ctx, pid, input))
}

func (b *bunStore) resumeProcess(ctx context.Context, pid uuid.UUID, input State) error {
	if _, err := textrule.Marshal("input", nonNil(input)); err != nil {
		return err
	}
	return b.h.InTx(ctx, func(ctx context.Context, h store.Handle) error {
		st := b.on(h)
		if err := st.refuseLocked(ctx); err != nil {
			return err
		}
		res, err := h.IDB().NewUpdate().Model((*Process)(nil)).
			Set("last_status = ?", StatusResumed).Set("engine_instance_id = NULL").Set("last_modified_at = ?", h.Now()).
			Where("pid = ?", pid).Where("last_status IN (?)", bunIn(resumable)).Exec(ctx)
		if err != nil {
			return h.Classify(err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			p, err := st.process(ctx, pid)
			if err != nil {
				return err
			}
			return fmt.Errorf("%w: the process is %s, which cannot be resumed", store.ErrConflict, p.LastStatus)
		}
		// Every resume records its input, also an empty one: the engine
		// takes a suspended step's input from the row of the resume that
		// followed the suspension, and without a row of its own a resume
		// would hand the step an older resume's input.
		return st.addInput(ctx, pid, InputUser, input)
	})
}

// refuseLocked gives store.ErrLocked while the global lock is set.
func (b *bunStore) refuseLocked(ctx context.Context) error {
	set, err := b.settings(ctx)
	if err != nil {
		return err
	}
	if set.GlobalLock {
		return fmt.Errorf("%w: the engine is locked", store.ErrLocked)
	}
	return nil
}

// retryable are the statuses ResumeAllTasks resumes, as WFO's "resume all"
// task does.
var retryable = []ProcessStatus{StatusFailed, StatusWaiting, StatusAPIUnavailable, StatusInconsistentData}

// ResumeAllTasks implements Store.
func (b *bunStore) ResumeAllTasks(ctx context.Context) (int, error) {
	if err := store.CheckContext(ctx); err != nil {
		return 0, fail("resume all tasks", err)
	}
	var n int64
	err := b.h.InTx(ctx, func(ctx context.Context, h store.Handle) error {
		if err := b.on(h).refuseLocked(ctx); err != nil {
			return err
		}
		res, err := h.IDB().NewUpdate().Model((*Process)(nil)).
			Set("last_status = ?", StatusResumed).Set("engine_instance_id = NULL").Set("last_modified_at = ?", h.Now()).
			Where("is_task = ?", true).Where("last_status IN (?)", bunIn(retryable)).Exec(ctx)
		if err != nil {
			return h.Classify(err)
		}
		n, _ = res.RowsAffected()
		return nil
	})
	return int(n), fail("resume all tasks", err)
}

// AbortProcess implements Store.
func (b *bunStore) AbortProcess(ctx context.Context, pid uuid.UUID, by string) error {
	if err := store.CheckContext(ctx); err != nil {
		return fail("abort process "+pid.String(), err)
	}
	return fail("abort process "+pid.String(), b.abortProcess(ctx, pid, by))
}

func (b *bunStore) abortProcess(ctx context.Context, pid uuid.UUID, by string) error {
	var byp *string
	if by != "" {
		if err := b.d.CheckText("created_by", by, maxCreatedBy); err != nil {
			return err
		}
		byp = &by
	}
	return b.h.InTx(ctx, func(ctx context.Context, h store.Handle) error {
		p, err := b.on(h).process(ctx, pid)
		if err != nil {
			return err
		}
		if p.LastStatus == StatusCompleted || p.LastStatus == StatusAborted {
			return fmt.Errorf("%w: the process is already %s", store.ErrConflict, p.LastStatus)
		}
		now := h.Now()
		res, err := h.IDB().NewUpdate().Model((*Process)(nil)).
			Set("last_status = ?", StatusAborted).Set("last_step = ?", "User Aborted").
			Set("engine_instance_id = NULL").Set("failed_reason = NULL").Set("traceback = NULL").Set("last_modified_at = ?", now).
			Where("pid = ?", pid).Where("last_status = ?", p.LastStatus).Exec(ctx)
		if err != nil {
			return h.Classify(err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return fmt.Errorf("%w: the process changed status while aborting", store.ErrConflict)
		}
		var seq int64
		if err := h.Raw().QueryRowContext(ctx, b.q.maxSeq, pid).Scan(&seq); err != nil {
			return h.Classify(err)
		}
		seq++
		row := ProcessStep{StepID: uuid.New(), PID: pid, Name: "User Aborted", Status: StepAbort,
			State: json.RawMessage(`{}`), CreatedBy: byp, ExecutedAt: now, Seq: &seq}
		if _, err := h.IDB().NewInsert().Model(&row).Exec(ctx); err != nil {
			return h.Classify(err)
		}
		if p.LastStatus == StatusRunning {
			return b.on(h).addRunning(ctx, -1)
		}
		return nil
	})
}

// DeleteProcess implements Store.
func (b *bunStore) DeleteProcess(ctx context.Context, pid uuid.UUID) error {
	if err := store.CheckContext(ctx); err != nil {
		return fail("delete process "+pid.String(), err)
	}
	err := b.h.InTx(ctx, func(ctx context.Context, h store.Handle) error {
		p, err := b.on(h).process(ctx, pid)
		if err != nil {
			return err
		}
		if !p.IsTask {
			return fmt.Errorf("%w: the process is not a task; only tasks can be deleted", store.ErrInvalid)
		}
		res, err := h.IDB().NewDelete().Model((*Process)(nil)).Where("pid = ?", pid).Where("last_status = ?", p.LastStatus).Exec(ctx)
		if err != nil {
			return h.Classify(err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return fmt.Errorf("%w: the process changed status while deleting", store.ErrConflict)
		}
		if p.LastStatus == StatusRunning {
			return b.on(h).addRunning(ctx, -1)
		}
		return nil
	})
	return fail("delete process "+pid.String(), err)
}

// addRunning changes running_processes by delta, on the store's handle.
func (b *bunStore) addRunning(ctx context.Context, delta int64) error {
	if delta == 0 {
		return nil
	}
	_, err := b.h.Raw().ExecContext(ctx, b.q.runningDelta, delta)
	return b.h.Classify(err)
}

// Lock implements Store.
func (b *bunStore) Lock(ctx context.Context) error {
	if err := store.CheckContext(ctx); err != nil {
		return fail("lock the engine", err)
	}
	_, err := b.h.Raw().ExecContext(ctx, b.q.lock)
	return fail("lock the engine", b.h.Classify(err))
}

// Unlock implements Store.
func (b *bunStore) Unlock(ctx context.Context) (int, error) {
	if err := store.CheckContext(ctx); err != nil {
		return 0, fail("unlock the engine", err)
	}
	var n int64
	err := b.h.InTx(ctx, func(ctx context.Context, h store.Handle) error {
		if _, err := h.Raw().ExecContext(ctx, b.q.unlock); err != nil {
			return h.Classify(err)
		}
		res, err := h.Raw().ExecContext(ctx, b.q.unlockResume, h.Now())
		if err != nil {
			return h.Classify(err)
		}
		n, _ = res.RowsAffected()
		return b.on(h).addRunning(ctx, -n)
	})
	return int(n), fail("unlock the engine", err)
}

// EngineStatus implements Store.
func (b *bunStore) EngineStatus(ctx context.Context) (Status, error) {
	if err := store.CheckContext(ctx); err != nil {
		return Status{}, fail("engine status", err)
	}
	st, err := b.engineStatus(ctx)
	return st, fail("engine status", err)
}

func (b *bunStore) engineStatus(ctx context.Context) (Status, error) {
	var st Status
	set, err := b.settings(ctx)
	if err != nil {
		return st, err
	}
	st.Locked, st.RunningProcesses = set.GlobalLock, set.RunningProcesses
	now := b.h.Now()
	n, err := executingQuery(b.h.IDB(), now).Count(ctx)
	if err != nil {
		return st, b.h.Classify(err)
	}
	st.Executing = int(n)
	m, err := b.h.IDB().NewSelect().Model((*EngineInstance)(nil)).Where("expires_at >= ?", now).Count(ctx)
	if err != nil {
		return st, b.h.Classify(err)
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

// PruneInstances implements Store.
func (b *bunStore) PruneInstances(ctx context.Context, olderThan time.Duration) (int, error) {
	if err := store.CheckContext(ctx); err != nil {
		return 0, fail("prune engine instances", err)
	}
	res, err := b.h.Raw().ExecContext(ctx, b.q.pruneEngines, b.h.Now().Add(-olderThan))
	if err != nil {
		return 0, fail("prune engine instances", b.h.Classify(err))
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}

func bunIn(ss []ProcessStatus) any {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = string(s)
	}
	return bun.In(out)
}
