package main

import (
	"context"
	"fmt"
	"sync"

	"github.com/google/uuid"

	"github.com/flowstore/flowstore/orchestrator"
	"github.com/flowstore/flowstore/store"
)

// One orchestrator engine step — a domain insert, the process_steps row and
// the processes update, committed as one transaction (plus the engine's lock
// check and savepoint) — against the raw driver running the same three
// statements in one transaction. The library side runs processes of up to
// 200 steps; their claim and final Done step are timed too.
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
					_, err := s.Raw().ExecContext(ctx, db.Dialect().Rebind(insertConstantSQL(db)), nextName("lib"), "v", s.Now())
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
			if _, err := e.Run(ctx, pid); err != nil {
				return 0, err
			}
			return n, nil
		},
		raw: func(ctx context.Context, db *store.DB, _, _ int) (int, error) {
			d := db.Dialect()
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
// raw side writes steps for; prepare sets both up once per database.
var engineBench struct {
	once   sync.Once
	err    error
	engine *orchestrator.Engine
	pid    uuid.UUID
	seq    int64
}

func prepareEngineBench(ctx context.Context, db *store.DB, _ int) error {
	engineBench.once.Do(func() {
		e, err := orchestrator.NewEngine(ctx, db)
		if err != nil {
			engineBench.err = err
			return
		}
		engineBench.engine = e
		wf := orchestrator.Workflow{Name: "bench-raw", Target: orchestrator.TargetSystem, Steps: []orchestrator.Step{orchestrator.InputStep("x")}}
		if err := e.Register(ctx, wf); err != nil {
			engineBench.err = err
			return
		}
		engineBench.pid, engineBench.err = e.Start(ctx, "bench-raw", nil)
	})
	return engineBench.err
}
