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
// created, as its UPDATE matches on that status.
func init() {
	register(&benchCase{
		name:    "engine: one step (insert + step row + process)",
		order:   950,
		workers: 1,
		ops:     1000,
		prepare: prepareEngineBench,
		library: func(ctx context.Context, db *store.DB, _, max int) (int, error) {
			n := min(max, 200)
			name := fmt.Sprintf("bench-%d", nameSeq.Add(1))
			steps := make([]orchestrator.Step, n)
			for i := range steps {
				steps[i] = orchestrator.Step{Name: "insert", Fn: func(ctx context.Context, s *store.Session, st orchestrator.State) (orchestrator.Result, error) {
					_, err := s.Raw().ExecContext(ctx, db.SQLDialect().Rebind(insertConstantSQL(db)), nextName("lib"), "v", s.Now())
					return orchestrator.Success(st), err
				}}
			}
			e := engineBench.engine
			if err := e.Register(ctx, orchestrator.Workflow{Name: name, Target: orchestrator.TargetSystem, Steps: steps}); err != nil {
				return 0, err
			}
			pid, err := e.Start(ctx, name, nil)
			if err != nil {
				return 0, err
			}
			p, err := e.RunProcess(ctx, pid)
			if err != nil {
				return 0, err
			}
			if p.LastStatus != orchestrator.StatusCompleted {
				return 0, fmt.Errorf("process %s stopped %s, not completed", pid, p.LastStatus)
			}
			return n, nil
		},
		raw: func(ctx context.Context, db *store.DB, _, _ int) (int, error) {
			d := db.SQLDialect()
			tx, err := db.SQL().BeginTx(ctx, nil)
			if err != nil {
				return 0, err
			}
			now := db.Now()
			engineBench.seq++
			_, err = tx.ExecContext(ctx, d.Rebind(insertConstantSQL(db)), nextName("raw"), "v", now)
			if err == nil {
				_, err = tx.ExecContext(ctx, d.Rebind(`INSERT INTO `+d.Quote("process_steps")+` (stepid, pid, name, status, state, created_by, executed_at, seq) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`),
					uuid.New(), engineBench.pid, "insert", "success", `{"process_id":"x"}`, nil, now, engineBench.seq)
			}
			if err == nil {
				_, err = tx.ExecContext(ctx, d.Rebind(`UPDATE `+d.Quote("processes")+` SET last_step = ?, last_status = ?, assignee = ?, failed_reason = ?, traceback = ?, last_modified_at = ?, engine_instance_id = ? WHERE pid = ? AND last_status = ?`),
					"insert", "created", "SYSTEM", nil, nil, now, "raw", engineBench.pid, "created")
			}
			if err != nil {
				_ = tx.Rollback()
				return 0, err
			}
			return 1, tx.Commit()
		},
	})
}

// engineBench is the engine the library side runs on and the process the
// raw side writes steps for; prepare sets both up once per database (db),
// before any worker reads them.
var engineBench struct {
	db     *store.DB
	engine *orchestrator.Engine
	pid    uuid.UUID
	seq    int64
}

func prepareEngineBench(ctx context.Context, db *store.DB, _ int) error {
	if engineBench.db == db {
		return nil
	}
	e, err := orchestrator.NewEngine(db, orchestrator.WithPollInterval(time.Hour))
	if err != nil {
		return err
	}
	goRun(db, "engine", e.Run)
	// RunProcess waits for Run to register the engine: a one-step process
	// waits here, untimed, instead of in the first timed one.
	ready := orchestrator.Workflow{Name: "bench-ready", Target: orchestrator.TargetSystem, Steps: []orchestrator.Step{{Name: "ready",
		Fn: func(_ context.Context, _ *store.Session, st orchestrator.State) (orchestrator.Result, error) {
			return orchestrator.Success(st), nil
		}}}}
	raw := orchestrator.Workflow{Name: "bench-raw", Target: orchestrator.TargetSystem, Steps: []orchestrator.Step{orchestrator.InputStep("x")}}
	for _, wf := range []orchestrator.Workflow{ready, raw} {
		if err := e.Register(ctx, wf); err != nil {
			return err
		}
	}
	pid, err := e.Start(ctx, ready.Name, nil)
	if err != nil {
		return err
	}
	if _, err := e.RunProcess(ctx, pid); err != nil {
		return err
	}
	if engineBench.pid, err = e.Start(ctx, raw.Name, nil); err != nil {
		return err
	}
	engineBench.db, engineBench.engine, engineBench.seq = db, e, 0
	return nil
}
