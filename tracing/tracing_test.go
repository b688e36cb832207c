package tracing_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/flowstore/flowstore"
	"github.com/flowstore/flowstore/internal/testdb"
	"github.com/flowstore/flowstore/orchestrator"
	"github.com/flowstore/flowstore/queue"
	"github.com/flowstore/flowstore/store"
	"github.com/flowstore/flowstore/tracing"
	"github.com/flowstore/flowstore/trigger"
)

func TestMain(m *testing.M) { testdb.Main(m) }

func newProvider(t *testing.T) (*sdktrace.TracerProvider, *tracetest.InMemoryExporter) {
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	return tp, exp
}

func attr(s tracetest.SpanStub, key attribute.Key) (attribute.Value, bool) {
	for _, kv := range s.Attributes {
		if kv.Key == key {
			return kv.Value, true
		}
	}
	return attribute.Value{}, false
}

func wantAttr(t *testing.T, s tracetest.SpanStub, key attribute.Key, want string) {
	t.Helper()
	v, ok := attr(s, key)
	if !ok {
		t.Errorf("span %q has no %s (has %v)", s.Name, key, s.Attributes)
		return
	}
	if got := v.Emit(); got != want {
		t.Errorf("span %q: %s = %q, want %q", s.Name, key, got, want)
	}
}

// noValue fails if any attribute of any span carries the secret: bound
// values never reach a span.
func noValue(t *testing.T, spans tracetest.SpanStubs, secret string) {
	t.Helper()
	for _, s := range spans {
		for _, kv := range s.Attributes {
			if strings.Contains(kv.Value.Emit(), secret) {
				t.Errorf("span %q attribute %s carries a bound value: %q", s.Name, kv.Key, kv.Value.Emit())
			}
		}
		if strings.Contains(s.Status.Description, secret) {
			t.Errorf("span %q status carries a bound value: %q", s.Name, s.Status.Description)
		}
		for _, ev := range s.Events {
			for _, kv := range ev.Attributes {
				if strings.Contains(kv.Value.Emit(), secret) {
					t.Errorf("span %q event %q carries a bound value", s.Name, ev.Name)
				}
			}
		}
	}
}

var systems = map[store.DialectName]string{
	store.SQLite: "sqlite", store.Postgres: "postgresql", store.MySQL: "mysql", store.SQLServer: "microsoft.sql_server",
}

// TestStepSpanTree runs one engine step that reads and writes through its
// session and checks the span tree: the step's span, with the workflow, the
// step and the outcome, is the parent of the spans of the step's SQL, which
// carry the database semantic conventions and no bound values.
func TestStepSpanTree(t *testing.T) {
	testdb.Each(t, func(t *testing.T, sdb *store.DB) {
		ctx := context.Background()
		tp, exp := newProvider(t)
		// Open, not New: Open wraps its pool's connector, so the
		// statements flowstore binds below bun have spans too.
		db, err := flowstore.Open(ctx, testdb.DSN(t, sdb), flowstore.WithTracerProvider(tp))
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		e, err := db.NewEngine(orchestrator.WithPollInterval(time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		runCtx, stop := context.WithCancel(ctx)
		done := make(chan error, 1)
		go func() { done <- e.Run(runCtx) }()
		defer func() {
			stop()
			if err := <-done; err != nil {
				t.Errorf("Run: %v", err)
			}
		}()
		const secret = "s3cret-reference"
		if err := e.Register(ctx, orchestrator.Workflow{Name: "ship", Target: orchestrator.TargetSystem, Steps: []orchestrator.Step{
			{Name: "lookup", Fn: func(ctx context.Context, s *store.Session, st orchestrator.State) (orchestrator.Result, error) {
				n, err := s.NewSelect().Model((*queue.Element)(nil)).Where("reference = ?", secret).Count(ctx)
				if err != nil {
					return orchestrator.Result{}, err
				}
				if _, err := s.NewUpdate().Model((*queue.Element)(nil)).Set("message = ?", secret).Where("reference = ?", secret).Exec(ctx); err != nil {
					return orchestrator.Result{}, err
				}
				st["n"] = n
				return orchestrator.Success(st), nil
			}},
		}}); err != nil {
			t.Fatal(err)
		}
		pid, err := e.Start(ctx, "ship", nil)
		if err != nil {
			t.Fatal(err)
		}
		exp.Reset() // only what RunProcess does
		if p, err := e.RunProcess(ctx, pid); err != nil || p.LastStatus != orchestrator.StatusCompleted {
			t.Fatalf("RunProcess: %v, %v", p, err)
		}
		spans := exp.GetSpans()
		var step tracetest.SpanStub
		var steps int
		for _, s := range spans {
			if v, _ := attr(s, tracing.AttrStepName); s.Name == "flowstore.step" && v.AsString() == "lookup" {
				step, steps = s, steps+1
			}
		}
		if steps != 1 {
			t.Fatalf("%d spans of step lookup; spans: %v", steps, names(spans))
		}
		wantAttr(t, step, tracing.AttrWorkflowName, "ship")
		wantAttr(t, step, tracing.AttrProcessID, pid.String())
		wantAttr(t, step, tracing.AttrStepOutcome, "running")
		if step.Status.Code == codes.Error {
			t.Errorf("step span status %v", step.Status)
		}
		var children []tracetest.SpanStub
		for _, s := range spans {
			if s.Parent.SpanID() == step.SpanContext.SpanID() {
				children = append(children, s)
			}
		}
		// Every child is a statement span (kind client) with the
		// semantic conventions' attributes, and no statement span has
		// children: a statement bun runs is traced once, by its hook, not
		// again by the driver layer below it.
		statement := map[trace.SpanID]bool{}
		for _, c := range children {
			statement[c.SpanContext.SpanID()] = true
			if c.SpanKind != trace.SpanKindClient {
				t.Errorf("child %q kind %v, want client", c.Name, c.SpanKind)
			}
			wantAttr(t, c, "db.system.name", systems[sdb.SQLDialect().Name()])
		}
		byID := map[trace.SpanID]tracetest.SpanStub{}
		for _, s := range spans {
			byID[s.SpanContext.SpanID()] = s
		}
		for _, s := range spans {
			if p, ok := byID[s.Parent.SpanID()]; ok && statement[p.SpanContext.SpanID()] && p.Name == s.Name {
				t.Errorf("statement %q traced twice (bun's hook and the driver layer)", s.Name)
			}
		}
		// The StepFunc's two statements through bun, on the Queues table.
		var stmts []tracetest.SpanStub
		for _, c := range children {
			if v, _ := attr(c, "db.collection.name"); v.AsString() == "Queues" {
				stmts = append(stmts, c)
			}
		}
		if len(stmts) != 2 {
			t.Fatalf("step span has %d children on Queues, want the step's 2: %v", len(stmts), names(children))
		}
		// The engine's own statements of the step, bound on database/sql
		// below bun: its step row and its process update.
		for _, want := range []string{"INSERT process_steps", "UPDATE processes"} {
			var n int
			for _, c := range children {
				if c.Name == want {
					n++
				}
			}
			if n != 1 {
				t.Errorf("%d children %q, want 1: %v", n, want, names(children))
			}
		}
		for i, want := range []struct{ name, op string }{{"SELECT Queues", "SELECT"}, {"UPDATE Queues", "UPDATE"}} {
			c := stmts[i]
			if c.Name != want.name {
				t.Errorf("child %d is %q, want %q", i, c.Name, want.name)
			}
			if c.SpanKind != trace.SpanKindClient {
				t.Errorf("%q kind %v, want client", c.Name, c.SpanKind)
			}
			if c.SpanContext.TraceID() != step.SpanContext.TraceID() {
				t.Errorf("%q is in another trace", c.Name)
			}
			wantAttr(t, c, "db.system.name", systems[sdb.SQLDialect().Name()])
			wantAttr(t, c, "db.operation.name", want.op)
			wantAttr(t, c, "db.collection.name", "Queues")
			if c.StartTime.Before(step.StartTime) || c.EndTime.After(step.EndTime) {
				t.Errorf("%q does not lie within the step's span", c.Name)
			}
		}
		// The Done step follows, a span of its own.
		var doneStep bool
		for _, s := range spans {
			if v, _ := attr(s, tracing.AttrStepName); s.Name == "flowstore.step" && v.AsString() == orchestrator.DoneStep {
				doneStep = true
				wantAttr(t, s, tracing.AttrStepOutcome, "completed")
			}
		}
		if !doneStep {
			t.Errorf("no span of the Done step: %v", names(spans))
		}
		noValue(t, spans, secret)
	})
}

func names(spans tracetest.SpanStubs) []string {
	out := make([]string, len(spans))
	for i, s := range spans {
		out[i] = s.Name
	}
	return out
}

// TestClaimAndTriggerSpans checks the spans of a claim and of a trigger
// start, and that a failing statement's span names the error's class only.
func TestClaimAndTriggerSpans(t *testing.T) {
	testdb.Each(t, func(t *testing.T, sdb *store.DB) {
		ctx := context.Background()
		tp, exp := newProvider(t)
		db, err := flowstore.Open(ctx, testdb.DSN(t, sdb), flowstore.WithTracerProvider(tp))
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		if _, err := db.Queue.Enqueue(ctx, "jobs", queue.NewElement{Reference: "r"}); err != nil {
			t.Fatal(err)
		}
		if _, err := db.Queue.Claim(ctx, "jobs"); err != nil {
			t.Fatal(err)
		}
		if _, err := db.Queue.Claim(ctx, "jobs"); !errors.Is(err, queue.ErrEmpty) {
			t.Fatal(err)
		}
		if _, err := db.Triggers.Create(ctx, trigger.Spec{Type: trigger.Single, Name: "once", ProcessName: "p", ProcessPath: "p.py", NextRun: time.Now().Add(-time.Minute)}); err != nil {
			t.Fatal(err)
		}
		s, err := db.NewScheduler(func(context.Context, trigger.Trigger) error { return nil }, trigger.WithName("s1"))
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Tick(ctx); err != nil {
			t.Fatal(err)
		}
		waitSettled(t, db.Triggers, "once")
		spans := exp.GetSpans()
		var claims []tracetest.SpanStub
		var starts int
		for _, sp := range spans {
			switch sp.Name {
			case "flowstore.queue.claim":
				claims = append(claims, sp)
			case "flowstore.trigger.start":
				starts++
				wantAttr(t, sp, tracing.AttrTriggerName, "once")
				wantAttr(t, sp, tracing.AttrTriggerType, "SINGLE")
				wantAttr(t, sp, tracing.AttrSchedulerName, "s1")
				wantAttr(t, sp, tracing.AttrTriggerResult, "started")
			}
		}
		if len(claims) != 2 || starts != 1 {
			t.Fatalf("%d claim spans and %d trigger start spans: %v", len(claims), starts, names(spans))
		}
		// The claim's statements (one UPDATE, or on MySQL a locking SELECT
		// and an UPDATE) are its children, on the Queues table.
		var claimStmts int
		for _, sp := range spans {
			if sp.Parent.SpanID() == claims[0].SpanContext.SpanID() {
				if op, _ := attr(sp, "db.operation.name"); op.AsString() == "BEGIN" {
					continue // MySQL's claim is a transaction of two statements
				}
				if v, _ := attr(sp, "db.collection.name"); v.AsString() != "Queues" {
					t.Errorf("claim child %q is not on Queues", sp.Name)
				}
				claimStmts++
			}
		}
		if claimStmts == 0 {
			t.Errorf("the claim span has no statement children: %v", names(spans))
		}
		for i, want := range []string{"1", "0"} {
			wantAttr(t, claims[i], tracing.AttrQueueName, "jobs")
			wantAttr(t, claims[i], tracing.AttrQueueClaimed, want)
			if claims[i].Status.Code == codes.Error {
				t.Errorf("claim %d: status %v (an empty queue is no error)", i, claims[i].Status)
			}
		}

		// A statement that fails inside a span: error.type is the class.
		exp.Reset()
		const secret = "v@lue-in-the-statement"
		tracer := tp.Tracer("test")
		pctx, parent := tracer.Start(ctx, "request")
		_, err = db.Store().Bun().NewSelect().Table("no_such_table").Where("x = ?", secret).Exec(pctx)
		parent.End()
		if err == nil {
			t.Fatal("select from a missing table succeeded")
		}
		spans = exp.GetSpans()
		var failed *tracetest.SpanStub
		for i := range spans {
			if spans[i].Name == "SELECT no_such_table" {
				failed = &spans[i]
			}
		}
		if failed == nil {
			t.Fatalf("no span of the failing statement: %v", names(spans))
		}
		if failed.Status.Code != codes.Error {
			t.Errorf("failing statement: status %v", failed.Status)
		}
		if v, ok := attr(*failed, "error.type"); !ok || v.AsString() == "" {
			t.Errorf("failing statement: no error.type")
		}
		noValue(t, spans, secret)
	})
}

// TestRootStatements checks that statements outside any span are traced
// only with WithRootStatements.
func TestRootStatements(t *testing.T) {
	ctx := context.Background()
	for _, roots := range []bool{false, true} {
		sdb := testdb.Fresh(t, store.SQLite)
		tp, exp := newProvider(t)
		tr, err := tracing.New(tp, tracing.WithRootStatements(roots))
		if err != nil {
			t.Fatal(err)
		}
		if err := tr.ObserveDB(sdb); err != nil {
			t.Fatal(err)
		}
		if err := tr.ObserveDB(sdb); err != nil { // once per handle
			t.Fatal(err)
		}
		if _, err := sdb.Bun().NewSelect().Model((*queue.Element)(nil)).Count(ctx); err != nil {
			t.Fatal(err)
		}
		want := 0
		if roots {
			want = 1
		}
		if n := len(exp.GetSpans()); n != want {
			t.Errorf("WithRootStatements(%v): %d spans, want %d: %v", roots, n, want, names(exp.GetSpans()))
		}
	}
	if _, err := tracing.New(nil); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("New(nil): %v", err)
	}
	if _, err := flowstore.New(ctx, testdb.Fresh(t, store.SQLite), flowstore.WithTracerProvider(nil)); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("flowstore.WithTracerProvider(nil): %v", err)
	}
	if _, err := flowstore.New(ctx, testdb.Fresh(t, store.SQLite), flowstore.WithObserver(nil)); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("flowstore.WithObserver(nil): %v", err)
	}
}

// waitSettled waits until the scheduler recorded the end of the trigger's
// run (its handler runs in a goroutine of its own), so that the database
// is not closed under it.
func waitSettled(t *testing.T, st trigger.Store, name string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		ts, err := st.List(context.Background(), trigger.Filter{})
		if err != nil {
			t.Fatal(err)
		}
		settled := false
		for _, tr := range ts {
			if tr.Name == name && tr.Status != trigger.StatusRunning {
				settled = true
			}
		}
		if settled {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("trigger %s still running", name)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
