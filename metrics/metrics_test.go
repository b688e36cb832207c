package metrics_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/flowstore/flowstore"
	"github.com/flowstore/flowstore/internal/testdb"
	"github.com/flowstore/flowstore/metrics"
	"github.com/flowstore/flowstore/orchestrator"
	"github.com/flowstore/flowstore/queue"
	"github.com/flowstore/flowstore/store"
	"github.com/flowstore/flowstore/trigger"
)

func TestMain(m *testing.M) { testdb.Main(m) }

// scrape fetches /metrics from a promhttp handler over HTTP and parses the
// text format.
func scrape(t *testing.T, g prometheus.Gatherer) map[string]*dto.MetricFamily {
	t.Helper()
	srv := httptest.NewServer(metrics.Handler(g))
	defer srv.Close()
	req, err := http.NewRequest(http.MethodGet, srv.URL, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept", "text/plain; version=0.0.4")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /metrics: %s", resp.Status)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
		t.Fatalf("Content-Type %q, want the text format", ct)
	}
	p := expfmt.NewTextParser(model.LegacyValidation)
	fams, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("parse /metrics: %v", err)
	}
	return fams
}

// family returns the named family after checking its type.
func family(t *testing.T, fams map[string]*dto.MetricFamily, name string, typ dto.MetricType) *dto.MetricFamily {
	t.Helper()
	f, ok := fams[name]
	if !ok {
		names := make([]string, 0, len(fams))
		for n := range fams {
			names = append(names, n)
		}
		sort.Strings(names)
		t.Fatalf("no metric %s; have %v", name, names)
	}
	if f.GetType() != typ {
		t.Fatalf("%s is a %s, want %s", name, f.GetType(), typ)
	}
	return f
}

// sample returns the metric of f whose labels are exactly labels.
func sample(t *testing.T, f *dto.MetricFamily, labels map[string]string) *dto.Metric {
	t.Helper()
	for _, m := range f.GetMetric() {
		got := map[string]string{}
		for _, l := range m.GetLabel() {
			got[l.GetName()] = l.GetValue()
		}
		if fmt.Sprint(got) == fmt.Sprint(labels) {
			return m
		}
	}
	var have []string
	for _, m := range f.GetMetric() {
		have = append(have, fmt.Sprint(m.GetLabel()))
	}
	t.Fatalf("%s has no sample %v; have %v", f.GetName(), labels, have)
	return nil
}

func value(t *testing.T, fams map[string]*dto.MetricFamily, name string, typ dto.MetricType, labels map[string]string) float64 {
	t.Helper()
	m := sample(t, family(t, fams, name, typ), labels)
	switch typ {
	case dto.MetricType_COUNTER:
		return m.GetCounter().GetValue()
	case dto.MetricType_GAUGE:
		return m.GetGauge().GetValue()
	}
	t.Fatalf("value of a %s", typ)
	return 0
}

func histogram(t *testing.T, fams map[string]*dto.MetricFamily, name string, labels map[string]string) *dto.Histogram {
	t.Helper()
	return sample(t, family(t, fams, name, dto.MetricType_HISTOGRAM), labels).GetHistogram()
}

func l(kv ...string) map[string]string {
	m := map[string]string{}
	for i := 0; i < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return m
}

// TestScrapeAfterWork does real work through a flowstore.DB observed by a
// Metrics — queue claims and finishes, engine steps, a trigger start and a
// miss — then scrapes /metrics over HTTP and checks every family's name,
// type, labels and values, on every live dialect.
func TestScrapeAfterWork(t *testing.T) {
	testdb.Each(t, func(t *testing.T, sdb *store.DB) {
		ctx := context.Background()
		m, err := metrics.New(metrics.WithCacheFor(0))
		if err != nil {
			t.Fatal(err)
		}
		reg := prometheus.NewRegistry()
		reg.MustRegister(m)
		db, err := flowstore.New(ctx, sdb, flowstore.WithObserver(m))
		if err != nil {
			t.Fatal(err)
		}

		// Queues: three invoices and a mail; two invoices claimed, one
		// finished DONE, one FAILED; an empty queue claimed once.
		for i := range 3 {
			if _, err := db.Queue.Enqueue(ctx, "invoices", queue.NewElement{Reference: fmt.Sprint("INV-", i)}); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := db.Queue.EnqueueBatch(ctx, "mail", []queue.NewElement{{Reference: "M-1"}}); err != nil {
			t.Fatal(err)
		}
		began := time.Now()
		claimed, err := db.Queue.ClaimBatch(ctx, "invoices", 2)
		if err != nil || len(claimed) != 2 {
			t.Fatalf("ClaimBatch: %d, %v", len(claimed), err)
		}
		if err := db.Queue.FinishClaimed(ctx, claimed[0], queue.Done("")); err != nil {
			t.Fatal(err)
		}
		if err := db.Queue.FinishClaimed(ctx, claimed[1], queue.Failed("boom")); err != nil {
			t.Fatal(err)
		}
		elapsed := time.Since(began).Seconds()
		if _, err := db.Queue.Claim(ctx, "empty"); !errors.Is(err, queue.ErrEmpty) {
			t.Fatalf("Claim on an empty queue: %v", err)
		}
		// A finish of an element that is not IN_PROGRESS is an error.
		if err := db.Queue.Finish(ctx, claimed[0].ID, queue.Done("")); !errors.Is(err, store.ErrConflict) {
			t.Fatalf("second Finish: %v", err)
		}
		var waited float64
		for _, e := range claimed {
			waited += e.StartDate.Sub(e.CreatedDate).Seconds()
		}

		// The engine: one workflow whose first step succeeds and whose
		// second fails; one process blocked in a step while we scrape.
		e, err := db.NewEngine(orchestrator.WithPollInterval(time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		runCtx, stopRun := context.WithCancel(ctx)
		runDone := make(chan error, 1)
		go func() { runDone <- e.Run(runCtx) }()
		defer func() {
			stopRun()
			if err := <-runDone; err != nil {
				t.Errorf("engine Run: %v", err)
			}
		}()
		ok := func(ctx context.Context, s *store.Session, st orchestrator.State) (orchestrator.Result, error) {
			return orchestrator.Success(st), nil
		}
		if err := e.Register(ctx, orchestrator.Workflow{Name: "billing", Target: orchestrator.TargetSystem, Steps: []orchestrator.Step{
			{Name: "check", Fn: ok},
			{Name: "charge", Fn: func(context.Context, *store.Session, orchestrator.State) (orchestrator.Result, error) {
				return orchestrator.Fail(errors.New("card declined")), nil
			}},
		}}); err != nil {
			t.Fatal(err)
		}
		entered, release := make(chan struct{}), make(chan struct{})
		var released bool
		defer func() {
			if !released {
				close(release)
			}
		}()
		if err := e.Register(ctx, orchestrator.Workflow{Name: "slow", Target: orchestrator.TargetSystem, Steps: []orchestrator.Step{
			{Name: "hold", Fn: func(ctx context.Context, _ *store.Session, st orchestrator.State) (orchestrator.Result, error) {
				close(entered)
				<-release
				return orchestrator.Success(st), nil
			}},
		}}); err != nil {
			t.Fatal(err)
		}
		pid, err := e.Start(ctx, "billing", nil)
		if err != nil {
			t.Fatal(err)
		}
		if p, err := e.RunProcess(ctx, pid); err != nil || p.LastStatus != orchestrator.StatusFailed {
			t.Fatalf("RunProcess: %v, %v", p, err)
		}
		// Triggers: a single trigger due now starts; a scheduled trigger
		// whose stored cron expression never fires (another program wrote
		// it) is a miss.
		past := time.Now().Add(-time.Minute)
		if _, err := db.Triggers.Create(ctx, trigger.Spec{Type: trigger.Single, Name: "once", ProcessName: "p", ProcessPath: "p.py", NextRun: past}); err != nil {
			t.Fatal(err)
		}
		bad, err := db.Triggers.Create(ctx, trigger.Spec{Type: trigger.Scheduled, Name: "broken", ProcessName: "p", ProcessPath: "p.py", CronExpr: "0 2 * * *"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.Triggers.Update(ctx, bad.ID, trigger.Patch{NextRun: &past}); err != nil {
			t.Fatal(err)
		}
		d := sdb.SQLDialect()
		if _, err := sdb.SQL().ExecContext(ctx, d.Rebind("UPDATE "+d.Quote("Scheduled_Triggers")+" SET "+d.Quote("cron_expr")+" = ?"), "0 0 30 2 *"); err != nil {
			t.Fatal(err)
		}
		handled := make(chan string, 4)
		sched, err := db.NewScheduler(func(_ context.Context, tr trigger.Trigger) error { handled <- tr.Name; return nil }, trigger.WithName("sched-1"))
		if err != nil {
			t.Fatal(err)
		}
		if err := sched.Tick(ctx); err != nil {
			t.Fatal(err)
		}
		if name := <-handled; name != "once" {
			t.Fatalf("handler ran %q", name)
		}
		// The run's end is recorded in the handler's goroutine: wait for
		// it (a write, which on SQLite must come before the held step).
		for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
			ts, err := db.Triggers.List(ctx, trigger.Filter{Statuses: []trigger.Status{trigger.StatusRunning}})
			if err != nil {
				t.Fatal(err)
			}
			if len(ts) == 0 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatal("the trigger's run was not recorded")
			}
		}

		slowPID, err := e.Start(ctx, "slow", nil)
		if err != nil {
			t.Fatal(err)
		}
		slowDone := make(chan error, 1)
		go func() { _, err := e.RunProcess(ctx, slowPID); slowDone <- err }()
		<-entered
		// On SQLite the held step keeps the write lock: only reads from here.

		status, err := db.Processes.EngineStatus(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if status.RunningProcesses != 1 {
			t.Fatalf("running_processes = %d while one process is in a step", status.RunningProcesses)
		}

		fams := scrape(t, reg)
		const (
			counter = dto.MetricType_COUNTER
			gauge   = dto.MetricType_GAUGE
		)
		checks := []struct {
			name   string
			typ    dto.MetricType
			labels map[string]string
			want   float64
		}{
			{"flowstore_queue_enqueued_total", counter, l("queue", "invoices"), 3},
			{"flowstore_queue_enqueued_total", counter, l("queue", "mail"), 1},
			{"flowstore_queue_claimed_total", counter, l("queue", "invoices"), 2},
			{"flowstore_queue_claims_empty_total", counter, l("queue", "empty"), 1},
			{"flowstore_queue_finished_total", counter, l("queue", "invoices", "status", "DONE"), 1},
			{"flowstore_queue_finished_total", counter, l("queue", "invoices", "status", "FAILED"), 1},
			{"flowstore_queue_failed_total", counter, l("queue", "invoices", "reason", "worker"), 1},
			{"flowstore_queue_errors_total", counter, l("queue", "", "operation", "finish"), 1},
			{"flowstore_trigger_starts_total", counter, l("trigger", "once"), 1},
			{"flowstore_trigger_misses_total", counter, l("trigger", "broken", "reason", "unstartable"), 1},
			{"flowstore_queue_elements", gauge, l("queue", "invoices", "status", "NEW"), 1},
			{"flowstore_queue_elements", gauge, l("queue", "invoices", "status", "IN_PROGRESS"), 0},
			{"flowstore_queue_elements", gauge, l("queue", "invoices", "status", "DONE"), 1},
			{"flowstore_queue_elements", gauge, l("queue", "invoices", "status", "FAILED"), 1},
			{"flowstore_queue_elements", gauge, l("queue", "invoices", "status", "ABANDONED"), 0},
			{"flowstore_queue_elements", gauge, l("queue", "mail", "status", "NEW"), 1},
			{"flowstore_processes_running", gauge, l(), float64(status.RunningProcesses)},
			{"flowstore_engine_locked", gauge, l(), 0},
			{"flowstore_schema_version", gauge, l(), float64(store.LatestSchemaVersion())},
			{"flowstore_schema_version_latest", gauge, l(), float64(store.LatestSchemaVersion())},
		}
		for _, c := range checks {
			if got := value(t, fams, c.name, c.typ, c.labels); got != c.want {
				t.Errorf("%s%v = %v, want %v", c.name, c.labels, got, c.want)
			}
		}
		if n := len(family(t, fams, "flowstore_queue_elements", gauge).GetMetric()); n != 10 {
			t.Errorf("flowstore_queue_elements has %d samples, want 2 queues × 5 statuses", n)
		}
		if _, ok := fams["flowstore_collect_errors_total"]; ok {
			t.Errorf("collect errors: %v", fams["flowstore_collect_errors_total"])
		}

		h := histogram(t, fams, "flowstore_queue_enqueue_to_claim_seconds", l("queue", "invoices"))
		if h.GetSampleCount() != 2 || math.Abs(h.GetSampleSum()-waited) > 1e-6 {
			t.Errorf("enqueue_to_claim: count %d sum %v, want 2 and %v", h.GetSampleCount(), h.GetSampleSum(), waited)
		}
		h = histogram(t, fams, "flowstore_queue_claim_to_finish_seconds", l("queue", "invoices"))
		if h.GetSampleCount() != 2 || h.GetSampleSum() < 0 || h.GetSampleSum() > 2*elapsed+0.01 {
			t.Errorf("claim_to_finish: count %d sum %v, want 2 and at most 2 × %v", h.GetSampleCount(), h.GetSampleSum(), elapsed)
		}
		// billing: "check" leaves the process running, "charge" fails it.
		for outcome, n := range map[string]uint64{"running": 1, "failed": 1} {
			h := histogram(t, fams, "flowstore_step_duration_seconds", l("workflow", "billing", "outcome", outcome))
			if h.GetSampleCount() != n || h.GetSampleSum() <= 0 {
				t.Errorf("step_duration{billing,%s}: count %d sum %v", outcome, h.GetSampleCount(), h.GetSampleSum())
			}
		}
		age := value(t, fams, "flowstore_scheduler_heartbeat_age_seconds", gauge, l("scheduler", "sched-1"))
		if age < 0 || age > time.Since(began).Seconds()+1 {
			t.Errorf("heartbeat age %v s", age)
		}

		// The blocked step ends; the counter drops and the next scrape
		// (no cache) shows it.
		close(release)
		released = true
		if err := <-slowDone; err != nil {
			t.Fatal(err)
		}
		fams = scrape(t, reg)
		if got := value(t, fams, "flowstore_processes_running", gauge, l()); got != 0 {
			t.Errorf("flowstore_processes_running after the process completed = %v", got)
		}
		h = histogram(t, fams, "flowstore_step_duration_seconds", l("workflow", "slow", "outcome", "running"))
		if h.GetSampleCount() != 1 {
			t.Errorf("step_duration{slow,running} count %d", h.GetSampleCount())
		}
		if h := histogram(t, fams, "flowstore_step_duration_seconds", l("workflow", "slow", "outcome", "completed")); h.GetSampleCount() != 1 {
			t.Errorf("step_duration{slow,completed} (the Done step) count %d", h.GetSampleCount())
		}
	})
}

// TestDepthCap checks that the per-status count stops at the cap and the
// queue walk at WithMaxQueues.
func TestDepthCap(t *testing.T) {
	testdb.Each(t, func(t *testing.T, sdb *store.DB) {
		ctx := context.Background()
		q, err := queue.New(sdb)
		if err != nil {
			t.Fatal(err)
		}
		for _, name := range []string{"a", "b", "c"} {
			if _, err := q.EnqueueBatch(ctx, name, make([]queue.NewElement, 3)); err != nil {
				t.Fatal(err)
			}
		}
		m, err := metrics.New(metrics.WithDepthCap(2), metrics.WithMaxQueues(2))
		if err != nil {
			t.Fatal(err)
		}
		if err := m.ObserveDB(sdb); err != nil {
			t.Fatal(err)
		}
		reg := prometheus.NewRegistry()
		reg.MustRegister(m)
		fams := scrape(t, reg)
		for _, name := range []string{"a", "b"} {
			if got := value(t, fams, "flowstore_queue_elements", dto.MetricType_GAUGE, l("queue", name, "status", "NEW")); got != 2 {
				t.Errorf("queue %s NEW = %v, want the cap 2", name, got)
			}
		}
		if n := len(fams["flowstore_queue_elements"].GetMetric()); n != 10 {
			t.Errorf("%d samples, want 2 queues × 5 statuses (c is past WithMaxQueues)", n)
		}
	})
}

// TestCache checks that scrapes within WithCacheFor reuse one read.
func TestCache(t *testing.T) {
	sdb := testdb.Fresh(t, store.SQLite)
	ctx := context.Background()
	q, err := queue.New(sdb)
	if err != nil {
		t.Fatal(err)
	}
	m, err := metrics.New(metrics.WithCacheFor(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if err := m.ObserveDB(sdb); err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(m)
	if _, err := q.Enqueue(ctx, "a", queue.NewElement{}); err != nil {
		t.Fatal(err)
	}
	first := value(t, scrape(t, reg), "flowstore_queue_elements", dto.MetricType_GAUGE, l("queue", "a", "status", "NEW"))
	if _, err := q.Enqueue(ctx, "a", queue.NewElement{}); err != nil {
		t.Fatal(err)
	}
	second := value(t, scrape(t, reg), "flowstore_queue_elements", dto.MetricType_GAUGE, l("queue", "a", "status", "NEW"))
	if first != 1 || second != 1 {
		t.Errorf("NEW = %v then %v within the cache time, want 1 and 1 (cached)", first, second)
	}
}

// TestTriggerMissReasons checks how attempts that did not start are
// counted, with the errors a scheduler reports.
func TestTriggerMissReasons(t *testing.T) {
	m, err := metrics.New()
	if err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(m)
	ctx := context.Background()
	tr := trigger.Trigger{Name: "t"}
	m.TriggerStarted(ctx, "s", tr, fmt.Errorf("begin: %w", trigger.ErrNotStarted))
	m.TriggerStarted(ctx, "s", tr, fmt.Errorf("begin: %w", store.ErrInvalid))
	m.TriggerStarted(ctx, "s", tr, errors.New("connection reset"))
	m.TriggerStarted(ctx, "s", tr, nil)
	fams := scrape(t, reg)
	for _, reason := range []string{"taken", "unstartable", "error"} {
		if got := value(t, fams, "flowstore_trigger_misses_total", dto.MetricType_COUNTER, l("trigger", "t", "reason", reason)); got != 1 {
			t.Errorf("misses{%s} = %v", reason, got)
		}
	}
	if got := value(t, fams, "flowstore_trigger_starts_total", dto.MetricType_COUNTER, l("trigger", "t")); got != 1 {
		t.Errorf("starts = %v", got)
	}
	// Without a database nothing is read at scrape time.
	if _, ok := fams["flowstore_queue_elements"]; ok {
		t.Error("queue depth without a database")
	}
}

func TestOptions(t *testing.T) {
	for _, o := range []metrics.Option{metrics.WithCacheFor(-1), metrics.WithQueryTimeout(0), metrics.WithMaxQueues(0), metrics.WithDepthCap(-1)} {
		if _, err := metrics.New(o); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("New with a bad option: %v", err)
		}
	}
	m, _ := metrics.New()
	a, b := testdb.Fresh(t, store.SQLite), testdb.Fresh(t, store.SQLite)
	if err := m.ObserveDB(a); err != nil {
		t.Fatal(err)
	}
	if err := m.ObserveDB(a); err != nil {
		t.Errorf("observing the same database again: %v", err)
	}
	if err := m.ObserveDB(b); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("observing a second database: %v", err)
	}
}
