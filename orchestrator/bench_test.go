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
			sd := db.SQLDialect()
			insertLog := sd.Rebind(`INSERT INTO ` + sd.Quote("Logs") + ` (` + sd.QuoteAll("", "id", "log_time", "log_level", "process_name", "log_message") + `) VALUES (?, ?, ?, ?, ?)`)
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

// benchEngine runs a process of n steps and returns the time of its Run
// (the claim and the final Done step included).
func benchEngine(b *testing.B, db *store.DB, insertLog string, n int) int64 {
	ctx := context.Background()
	e := newEngine(b, db)
	defer e.Stop(b)
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
	p, err := e.RunProcess(ctx, pid)
	took := time.Since(t0)
	if err != nil || p.LastStatus != orchestrator.StatusCompleted {
		b.Fatalf("run: %v %v", p, err)
	}
	return took.Nanoseconds()
}

// benchRaw runs n raw transactions of the same three statements.
func benchRaw(b *testing.B, db *store.DB, insertLog string, n int) int64 {
	ctx := context.Background()
	d := db.SQLDialect()
	e := newEngine(b, db)
	defer e.Stop(b)
	name := fmt.Sprintf("raw-%s", uuid.NewString())
	if err := e.Register(ctx, orchestrator.Workflow{Name: name, Target: orchestrator.TargetSystem, Steps: []orchestrator.Step{orchestrator.InputStep("x")}}); err != nil {
		b.Fatal(err)
	}
	pid, err := e.Start(ctx, name, nil)
	if err != nil {
		b.Fatal(err)
	}
	insertStep := d.Rebind(`INSERT INTO ` + d.Quote("process_steps") + ` (` + d.QuoteAll("", "stepid", "pid", "name", "status", "state", "created_by", "executed_at", "seq") + `) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`)
	updateProcess := d.Rebind(`UPDATE ` + d.Quote("processes") + ` SET ` + d.Quote("last_step") + ` = ?, ` + d.Quote("last_status") + ` = ?, ` + d.Quote("assignee") + ` = ?, ` +
		d.Quote("failed_reason") + ` = ?, ` + d.Quote("traceback") + ` = ?, ` + d.Quote("last_modified_at") + ` = ?, ` + d.Quote("engine_instance_id") + ` = ? WHERE ` +
		d.Quote("pid") + ` = ? AND ` + d.Quote("last_status") + ` = ?`)
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
