// Command dashboardbench measures the dashboard's page latency on a big
// database: it fills one (1,000,000 queue elements, 100,000 processes with
// 10 steps each, 100,000 log rows by default), then requests every page
// many times through the handler in-process and prints p50, p95 and max per
// page.
//
//	go run ./examples/dashboardbench --dsn sqlite:/tmp/dash.db
//	go run ./examples/dashboardbench --dsn postgres://user@127.0.0.1:5432/dash
//
// A database that already holds the rows (a second run) is not filled
// again. Use an empty database: the program adds rows to whatever is there.
//
// The overview is measured twice: as served (its queue counts cached for
// five seconds, so most requests reuse them) and with the cache off, every
// request reading the counts ("/ (counts uncached)"), which is the cost of
// each refresh.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/flowstore/flowstore"
	"github.com/flowstore/flowstore/internal/dashboard"
	"github.com/flowstore/flowstore/orchestrator"
	"github.com/flowstore/flowstore/queue"
	"github.com/flowstore/flowstore/store/logs"
	"github.com/flowstore/flowstore/trigger"
)

func main() {
	dsn := flag.String("dsn", "sqlite:dashboardbench.db", "database to fill and measure")
	elements := flag.Int("elements", 1_000_000, "queue elements (over 10 queues)")
	processes := flag.Int("processes", 100_000, "processes, each with 10 steps")
	logRows := flag.Int("logs", 100_000, "log rows")
	n := flag.Int("n", 50, "requests per page")
	flag.Parse()
	if err := run(context.Background(), *dsn, *elements, *processes, *logRows, *n, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "dashboardbench:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, dsn string, elements, processes, logRows, n int, out io.Writer) error {
	db, err := flowstore.Open(ctx, dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := fill(ctx, db, elements, processes, logRows); err != nil {
		return err
	}
	h, err := db.Dashboard(flowstore.DashboardOptions{ReadOnly: true})
	if err != nil {
		return err
	}
	// The same pages with the overview's count cache off.
	uncached, err := dashboard.New(db.Store(), dashboard.Stores{
		Queue: db.Queue, Triggers: db.Triggers, Logs: db.Logs, Constants: db.Constants, Credentials: db.Credentials,
		Snapshots: db.Snapshots, Correlations: db.Correlations, Processes: db.Processes, Pipelines: db.Pipelines,
	}, dashboard.Options{ReadOnly: true, CountsMaxAge: -1})
	if err != nil {
		return err
	}
	const uncachedSuffix = " (counts uncached)"
	get := func(path string) (string, error) {
		rec := httptest.NewRecorder()
		hh := h
		if p, ok := strings.CutSuffix(path, uncachedSuffix); ok {
			hh, path = uncached, p
		}
		hh.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
		if rec.Code != http.StatusOK {
			return "", fmt.Errorf("GET %s: %d %s", path, rec.Code, strings.TrimSpace(rec.Body.String()))
		}
		return rec.Body.String(), nil
	}
	// Pages that need an id or a cursor take it from a first page.
	next := regexp.MustCompile(`id="next" href="([^"]+)"`)
	cursorOf := func(path string) (string, error) {
		body, err := get(path)
		if err != nil {
			return "", err
		}
		m := next.FindStringSubmatch(body)
		if m == nil {
			return "", fmt.Errorf("%s has no next page", path)
		}
		return strings.ReplaceAll(m[1], "&amp;", "&"), nil
	}
	queuesNext, err := cursorOf("/queues?queue=q3&status=DONE")
	if err != nil {
		return err
	}
	logsNext, err := cursorOf("/logs")
	if err != nil {
		return err
	}
	anElement := regexp.MustCompile(`/queues/element/[0-9a-f-]{36}`)
	body, err := get("/queues?queue=q3&status=FAILED")
	if err != nil {
		return err
	}
	element := anElement.FindString(body)
	failed, err := db.Processes.Processes(ctx, orchestrator.ProcessFilter{Status: orchestrator.StatusFailed, Limit: 1})
	if err != nil || len(failed) == 0 {
		return fmt.Errorf("no failed process: %v", err)
	}
	pages := []string{
		"/", "/" + uncachedSuffix, "/queues", "/queues?queue=q3", "/queues?queue=q3&status=DONE", queuesNext, "/queues?reference=ref-77",
		element, "/triggers", "/processes", "/processes?status=failed", "/processes?status=suspended&workflow=bench",
		"/processes/" + failed[0].PID.String(), "/logs", "/logs?level=ERROR", "/logs?process=robot-7", logsNext,
		"/secrets", "/snapshots?id=none", "/pipelines?namespace=a&repository=b&workflow=c",
	}
	fmt.Fprintf(out, "dashboard page latency, %s, %d requests per page (in-process, server side)\n", db.SQLDialect().Name(), n)
	fmt.Fprintf(out, "%-60s %9s %9s %9s\n", "page", "p50 ms", "p95 ms", "max ms")
	for _, p := range pages {
		for range 3 { // warm up
			if _, err := get(p); err != nil {
				return err
			}
		}
		d := make([]time.Duration, n)
		for i := range d {
			t0 := time.Now()
			if _, err := get(p); err != nil {
				return err
			}
			d[i] = time.Since(t0)
		}
		slices.Sort(d)
		ms := func(x time.Duration) float64 { return float64(x.Microseconds()) / 1000 }
		label := p
		if len(label) > 60 {
			label = label[:57] + "..."
		}
		fmt.Fprintf(out, "%-60s %9.1f %9.1f %9.1f\n", label, ms(d[n/2]), ms(d[(n*95+99)/100-1]), ms(d[n-1]))
	}
	return nil
}

// fill adds the rows unless the database has them already.
func fill(ctx context.Context, db *flowstore.DB, elements, processes, logRows int) error {
	counts, err := db.Queue.Counts(ctx)
	if err != nil {
		return err
	}
	total := 0
	for _, m := range counts {
		for _, c := range m {
			total += c
		}
	}
	if total >= elements {
		fmt.Fprintln(os.Stderr, "database already filled")
		return nil
	}
	t0 := time.Now()
	// Queue elements: 10 queues; a tenth of each batch fails, most finish.
	const batch = 1000
	for i := 0; i < elements; i += batch {
		q := fmt.Sprintf("q%d", (i/batch)%10)
		els := make([]queue.NewElement, min(batch, elements-i))
		for j := range els {
			els[j] = queue.NewElement{Reference: fmt.Sprintf("ref-%d", i+j), Data: `{"invoice": 1234, "amount": "12.50"}`}
		}
		if _, err := db.Queue.EnqueueBatch(ctx, q, els); err != nil {
			return err
		}
		if (i/batch)%10 < 8 { // 80% of the batches are worked off
			claimed, err := db.Queue.ClaimBatch(ctx, q, len(els))
			if err != nil {
				return err
			}
			ids := make([]uuid.UUID, len(claimed))
			for k, e := range claimed {
				ids[k] = e.ID
			}
			cut := len(ids) / 10
			if _, err := db.Queue.FinishBatch(ctx, ids[:cut], queue.Failed("upstream timeout")); err != nil {
				return err
			}
			if _, err := db.Queue.FinishBatch(ctx, ids[cut:], queue.Done("")); err != nil {
				return err
			}
		}
		if i%(100*batch) == 0 {
			fmt.Fprintf(os.Stderr, "queue: %d/%d (%s)\n", i, elements, time.Since(t0).Round(time.Second))
		}
	}
	// Logs.
	for i := 0; i < logRows; i += batch {
		es := make([]logs.Entry, min(batch, logRows-i))
		for j := range es {
			lv := logs.LevelInfo
			if (i+j)%20 == 0 {
				lv = logs.LevelError
			}
			es[j] = logs.Entry{Level: lv, ProcessName: fmt.Sprintf("robot-%d", (i+j)%50), Message: fmt.Sprintf("row %d of the benchmark log", i+j)}
		}
		if err := db.Logs.WriteBatch(ctx, es); err != nil {
			return err
		}
	}
	fmt.Fprintf(os.Stderr, "logs: %d (%s)\n", logRows, time.Since(t0).Round(time.Second))
	// Processes with 10 steps each, written as rows (the engine would take
	// hours): 90% completed, 5% failed, 5% suspended.
	desc := "dashboard benchmark"
	wf, err := db.Processes.SaveWorkflow(ctx, &orchestrator.WorkflowRow{Name: "bench", Target: orchestrator.TargetSystem, Description: &desc})
	if err != nil {
		return err
	}
	idb := db.Store().Bun()
	start := time.Now().UTC().Add(-time.Duration(processes) * time.Second)
	state := json.RawMessage(`{"n": 1}`)
	const pbatch = 200
	for i := 0; i < processes; i += pbatch {
		ps := make([]orchestrator.Process, 0, pbatch)
		var steps []orchestrator.ProcessStep
		for j := i; j < min(i+pbatch, processes); j++ {
			at := start.Add(time.Duration(j) * time.Second)
			st, last := orchestrator.StatusCompleted, "Done"
			var reason *string
			switch j % 20 {
			case 0:
				st, last = orchestrator.StatusFailed, "step 9"
				r := "step 9 failed: connection refused"
				reason = &r
			case 1:
				st, last = orchestrator.StatusSuspended, "step 9"
			}
			p := orchestrator.Process{PID: uuid.New(), WorkflowID: wf.WorkflowID, Assignee: "SYSTEM", LastStatus: st, LastStep: &last,
				StartedAt: at, LastModifiedAt: at.Add(10 * time.Millisecond), FailedReason: reason}
			ps = append(ps, p)
			for k := range 10 {
				seq := int64(k + 1)
				ss := orchestrator.StepSuccess
				if k == 9 && st == orchestrator.StatusFailed {
					ss = orchestrator.StepFailed
				}
				steps = append(steps, orchestrator.ProcessStep{StepID: uuid.New(), PID: p.PID, Name: fmt.Sprintf("step %d", k), Status: ss,
					State: state, ExecutedAt: at.Add(time.Duration(k) * time.Millisecond), Seq: &seq})
			}
		}
		if _, err := idb.NewInsert().Model(&ps).Exec(ctx); err != nil {
			return fmt.Errorf("insert processes: %w", err)
		}
		if _, err := idb.NewInsert().Model(&steps).Exec(ctx); err != nil {
			return fmt.Errorf("insert steps: %w", err)
		}
		if i%(100*pbatch) == 0 {
			fmt.Fprintf(os.Stderr, "processes: %d/%d (%s)\n", i, processes, time.Since(t0).Round(time.Second))
		}
	}
	// A few triggers, a scheduler and credentials, so those pages have rows.
	for i := range 20 {
		if _, err := db.Triggers.Create(ctx, trigger.Spec{Type: trigger.Scheduled, Name: fmt.Sprintf("t%d", i), ProcessName: "p", ProcessPath: "p.py", CronExpr: "0 3 * * *"}); err != nil {
			return err
		}
	}
	if err := db.Triggers.Heartbeat(ctx, "bench"); err != nil {
		return err
	}
	for i := range 20 {
		if err := db.Constants.Set(ctx, fmt.Sprintf("c%d", i), "v"); err != nil {
			return err
		}
	}
	fmt.Fprintf(os.Stderr, "filled in %s\n", time.Since(t0).Round(time.Second))
	return nil
}
