package main

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/flowstore/flowstore/orchestrator"
	"github.com/flowstore/flowstore/store"
)

// One orchestrator engine step — a domain insert, the process_steps row and
// the processes update, committed as one transaction (plus the engine's lock
// check and savepoint) — against the raw driver running the same three
// statements in one transaction. The library side runs processes of up to
// 200 steps; their claim and final Done step are timed too.
//
// The engine runs (Run) for the whole run, as in an application — it
// registers, keeps its lease, and every step is fenced on that
// registration — but polls only once an hour: the library side hands it
// its processes itself (RunProcess), and the raw side's process must stay
// created, as its UPDATE matches on that status. The engine's instance id
// and every workflow carry the run's tag; the workflows are tasks, so that
// cleanup can delete their processes.
func init() {
	register(&benchCase{
		name:    "engine: one step (insert + step row + process)",
		order:   950,
		workers: 1,
		ops:     1000,
		prepare: prepareEngineBench,
		library: func(ctx context.Context, e *env, _, max int) (int, error) {
			n := min(max, 200)
			name := e.name("wf")
			insert := insertConstantSQL(e.db)
			steps := make([]orchestrator.Step, n)
			for i := range steps {
				steps[i] = orchestrator.Step{Name: "insert", Fn: func(ctx context.Context, s *store.Session, st orchestrator.State) (orchestrator.Result, error) {
					_, err := s.Raw().ExecContext(ctx, insert, e.name("lib"), "v", s.Now())
					return orchestrator.Success(st), err
				}}
			}
			eng := e.engine.engine
			if err := eng.Register(ctx, benchWorkflow(name, steps...)); err != nil {
				return 0, err
			}
			pid, err := eng.Start(ctx, name, nil)
			if err != nil {
				return 0, err
			}
			p, err := eng.RunProcess(ctx, pid)
			if err != nil {
				return 0, err
			}
			if p.LastStatus != orchestrator.StatusCompleted {
				return 0, fmt.Errorf("process %s stopped %s, not completed", pid, p.LastStatus)
			}
			return n, nil
		},
		raw: func(ctx context.Context, e *env, _, _ int) (int, error) {
			d := e.db.SQLDialect()
			es := e.engine
			tx, err := e.raw.BeginTx(ctx, nil)
			if err != nil {
				return 0, err
			}
			now := e.db.Now()
			es.seq++
			_, err = tx.ExecContext(ctx, insertConstantSQL(e.db), e.name("raw"), "v", now)
			if err == nil {
				_, err = tx.ExecContext(ctx, d.Rebind(`INSERT INTO `+d.Quote("process_steps")+` (stepid, pid, name, status, state, created_by, executed_at, seq) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`),
					uuid.New(), es.pid, "insert", "success", `{"process_id":"x"}`, nil, now, es.seq)
			}
			if err == nil {
				_, err = tx.ExecContext(ctx, d.Rebind(`UPDATE `+d.Quote("processes")+` SET last_step = ?, last_status = ?, assignee = ?, failed_reason = ?, traceback = ?, last_modified_at = ?, engine_instance_id = ? WHERE pid = ? AND last_status = ?`),
					"insert", "created", "SYSTEM", nil, nil, now, "raw", es.pid, "created")
			}
			if err != nil {
				_ = tx.Rollback()
				return 0, err
			}
			return 1, tx.Commit()
		},
	})
}

// benchWorkflow is a workflow of the bench: a task, so that cleanup may
// delete its processes (orchestrator.Store.DeleteProcess deletes tasks only).
func benchWorkflow(name string, steps ...orchestrator.Step) orchestrator.Workflow {
	return orchestrator.Workflow{Name: name, Target: orchestrator.TargetSystem, IsTask: true, Steps: steps}
}

// engineSide is the engine the library side runs on and the process the raw
// side writes steps for; prepare sets both up once per run, before any
// worker reads them.
type engineSide struct {
	engine *orchestrator.Engine
	pid    uuid.UUID
	seq    int64
}

func prepareEngineBench(ctx context.Context, e *env, _ int) error {
	if e.engine != nil {
		return nil
	}
	eng, err := orchestrator.NewEngine(e.db, orchestrator.WithPollInterval(time.Hour), orchestrator.WithName(e.tag))
	if err != nil {
		return err
	}
	e.bg.goRun("engine", eng.Run)
	// RunProcess waits for Run to register the engine: a one-step process
	// waits here, untimed, instead of in the first timed one.
	ready := benchWorkflow(e.name("ready"), orchestrator.Step{Name: "ready",
		Fn: func(_ context.Context, _ *store.Session, st orchestrator.State) (orchestrator.Result, error) {
			return orchestrator.Success(st), nil
		}})
	raw := benchWorkflow(e.name("raw"), orchestrator.InputStep("x"))
	for _, wf := range []orchestrator.Workflow{ready, raw} {
		if err := eng.Register(ctx, wf); err != nil {
			return err
		}
	}
	pid, err := eng.Start(ctx, ready.Name, nil)
	if err != nil {
		return err
	}
	if _, err := eng.RunProcess(ctx, pid); err != nil {
		return err
	}
	rawPID, err := eng.Start(ctx, raw.Name, nil)
	if err != nil {
		return err
	}
	e.engine = &engineSide{engine: eng, pid: rawPID}
	return nil
}
