package orchestrator_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/flowstore/flowstore/internal/testdb"
	"github.com/flowstore/flowstore/orchestrator"
	"github.com/flowstore/flowstore/store"
)

// BenchmarkStep compares one engine step — a domain insert, the step row and
// the process update, committed, plus the engine's global-lock read and its
// savepoint — with the raw driver running the same three statements with
// bound parameters in one transaction, on SQLite and PostgreSQL. The two
// sides alternate in blocks of 100 steps within one run, so that load on the
// machine hits both alike; it reports each side's ns per step and
// raw/engine (1.0: as fast as raw):
//
//	go test ./orchestrator -run '^$' -bench Step -benchtime 2000x
func BenchmarkStep(b *testing.B) {
	for _, d := range testdb.Live() {
		if d != store.SQLite && d != store.Postgres {
			continue
		}
		b.Run(string(d), func(b *testing.B) {
			db := testdb.Fresh(b, d)
			insertLog := d.Rebind(quote(d, `INSERT INTO "Logs" ("id", "log_time", "log_level", "process_name", "log_message") VALUES (?, ?, ?, ?, ?)`))
			var engineNs, rawNs int64
			for done := 0; done < b.N; {
				n := min(100, b.N-done)
				engineNs += benchEngine(b, db, insertLog, n)
				rawNs += benchRaw(b, db, insertLog, n)
				done += n
			}
			b.ReportMetric(0, "ns/op")
			b.ReportMetric(float64(engineNs)/float64(b.N), "engine-ns/step")
			b.ReportMetric(float64(rawNs)/float64(b.N), "raw-ns/step")
			b.ReportMetric(float64(rawNs)/float64(engineNs), "raw/engine")
		})
	}
}

func quote(d store.Dialect, s string) string {
	if d == store.MySQL {
		out := []byte(s)
		for i := range out {
			if out[i] == '"' {
				out[i] = '`'
			}
		}
		return string(out)
	}
	return s
}

// benchEngine runs a process of n steps and returns the time of its Run
// (the claim and the final Done step included).
func benchEngine(b *testing.B, db *store.DB, insertLog string, n int) int64 {
	ctx := context.Background()
	e, err := orchestrator.NewEngine(ctx, db)
	if err != nil {
		b.Fatal(err)
	}
	defer e.Close(ctx)
	step := orchestrator.Step{Name: "insert", Fn: func(ctx context.Context, s *store.Session, st orchestrator.State) (orchestrator.Result, error) {
		_, err := s.Raw().ExecContext(ctx, insertLog, uuid.New(), s.Now(), "INFO", "bench", "step")
		return orchestrator.Success(st), err
	}}
	steps := make([]orchestrator.Step, n)
	for i := range steps {
		steps[i] = step
	}
	name := fmt.Sprintf("bench-%s", uuid.NewString())
	if err := e.Register(ctx, orchestrator.Workflow{Name: name, Target: orchestrator.TargetSystem, Steps: steps}); err != nil {
		b.Fatal(err)
	}
	pid, err := e.Start(ctx, name, nil)
	if err != nil {
		b.Fatal(err)
	}
	t0 := time.Now()
	p, err := e.Run(ctx, pid)
	took := time.Since(t0)
	if err != nil || p.LastStatus != orchestrator.StatusCompleted {
		b.Fatalf("run: %v %v", p, err)
	}
	return took.Nanoseconds()
}

// benchRaw runs n raw transactions of the same three statements.
func benchRaw(b *testing.B, db *store.DB, insertLog string, n int) int64 {
	ctx := context.Background()
	d := db.Dialect()
	e, err := orchestrator.NewEngine(ctx, db)
	if err != nil {
		b.Fatal(err)
	}
	defer e.Close(ctx)
	name := fmt.Sprintf("raw-%s", uuid.NewString())
	if err := e.Register(ctx, orchestrator.Workflow{Name: name, Target: orchestrator.TargetSystem, Steps: []orchestrator.Step{orchestrator.InputStep("x")}}); err != nil {
		b.Fatal(err)
	}
	pid, err := e.Start(ctx, name, nil)
	if err != nil {
		b.Fatal(err)
	}
	insertStep := d.Rebind(quote(d, `INSERT INTO "process_steps" ("stepid", "pid", "name", "status", "state", "created_by", "executed_at", "seq") VALUES (?, ?, ?, ?, ?, ?, ?, ?)`))
	updateProcess := d.Rebind(quote(d, `UPDATE "processes" SET "last_step" = ?, "last_status" = ?, "assignee" = ?, "failed_reason" = ?, "traceback" = ?, "last_modified_at" = ?, "engine_instance_id" = ? WHERE "pid" = ? AND "last_status" = ?`))
	sqldb := db.SQL()
	owner := "raw"
	t0 := time.Now()
	for i := range n {
		tx, err := sqldb.BeginTx(ctx, nil)
		if err != nil {
			b.Fatal(err)
		}
		now := db.Now()
		if _, err := tx.ExecContext(ctx, insertLog, uuid.New(), now, "INFO", "bench", "step"); err != nil {
			b.Fatal(err)
		}
		if _, err := tx.ExecContext(ctx, insertStep, uuid.New(), pid, "insert", "success", `{"process_id":"x"}`, nil, now, int64(i+1)); err != nil {
			b.Fatal(err)
		}
		if _, err := tx.ExecContext(ctx, updateProcess, "insert", "created", "SYSTEM", nil, nil, now, owner, pid, "created"); err != nil {
			b.Fatal(err)
		}
		if err := tx.Commit(); err != nil {
			b.Fatal(err)
		}
	}
	return time.Since(t0).Nanoseconds()
}
