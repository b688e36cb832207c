// Package metrics exports flowstore's numbers to Prometheus: what the
// queues, the workflow engine and the trigger schedulers do, and the state
// of the database they share.
//
// A *Metrics is a prometheus.Collector the host registers, and an observer
// of the stores that report events (queue.Observer,
// orchestrator.Observer, trigger.Observer). With the root package:
//
//	m, err := metrics.New()
//	…
//	prometheus.MustRegister(m) // or a registry of the host's
//	db, err := flowstore.Open(ctx, dsn, flowstore.WithObserver(m))
//	…
//	http.Handle("/metrics", metrics.Handler(prometheus.DefaultGatherer))
//
// flowstore.WithObserver hands m the database (ObserveDB) and installs it
// on the queue store, on every engine and on every scheduler the DB makes.
// Without the root package, call m.ObserveDB(db) and pass m to
// queue.WithObserver, orchestrator.WithObserver and trigger.WithObserver.
//
// # What it exports
//
// Counted as it happens, in this process:
//
//	flowstore_queue_enqueued_total{queue}                    elements enqueued
//	flowstore_queue_claimed_total{queue}                     elements claimed
//	flowstore_queue_claims_empty_total{queue}                claims that found nothing to do
//	flowstore_queue_finished_total{queue,status}             elements finished (DONE, FAILED, ABANDONED)
//	flowstore_queue_failed_total{queue,reason}               elements failed: by a worker ("worker") or as stale ("stale")
//	flowstore_queue_errors_total{queue,operation}            claims, finishes and enqueues that returned an error
//	flowstore_queue_enqueue_to_claim_seconds{queue}          histogram: created_date to start_date of each claimed element
//	flowstore_queue_claim_to_finish_seconds{queue}           histogram: start_date to the finish (FinishClaimed only)
//	flowstore_step_duration_seconds{workflow,outcome}        histogram: one engine step, its transaction's retries included
//	flowstore_trigger_starts_total{trigger}                  triggers this process's schedulers started
//	flowstore_trigger_misses_total{trigger,reason}           due triggers a scheduler tried and did not start
//	flowstore_collect_errors_total{source}                   queries of a scrape that failed (the gauges of that source are left out)
//
// Finish and FinishBatch are given ids, not elements, so their finishes
// carry queue="" and no claim-to-finish time; workers that finish with
// FinishClaimed are counted by queue and timed. The outcomes of a step are
// the process's status after it ("running" when the process goes on,
// "completed", "failed", "suspended", "waiting", …) or "paused", "lost",
// "error" when the step did not commit (see orchestrator.StepEvent). The
// reasons of a trigger miss are "taken" (another scheduler started it
// first, or it was no longer due), "unstartable" (its stored cron
// expression is malformed or never fires) and "error" (the database).
//
// Read from the database at scrape time, at most once per WithCacheFor
// (default 10 s) however many scrapers ask, each query bounded by
// WithQueryTimeout (default 5 s):
//
//	flowstore_queue_elements{queue,status}            elements per queue and status, counted up to WithDepthCap
//	flowstore_processes_running                       engine_settings.running_processes, the exact counter
//	flowstore_engine_locked                           1 while the engines' global lock is set
//	flowstore_scheduler_heartbeat_age_seconds{scheduler}  age of each Schedulers row's last heartbeat
//	flowstore_schema_version                          the highest migration applied to the database
//	flowstore_schema_version_latest                   the highest migration this program knows
//
// # Bounded queries
//
// Counting a hot table is never a scan of it. The queue names are found by
// walking the queue index, one "next name after this one" lookup per queue,
// at most WithMaxQueues (default 100) of them; each queue's statuses are
// then counted in one statement that stops counting a status at
// WithDepthCap elements (default 100,000), so a scrape reads at most
// queues × statuses × cap index entries, whatever the table holds. A
// status with cap elements or more shows as cap. Queues past the first
// WithMaxQueues names are left out.
package metrics

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/flowstore/flowstore/orchestrator"
	"github.com/flowstore/flowstore/queue"
	"github.com/flowstore/flowstore/store"
	"github.com/flowstore/flowstore/trigger"
)

// Metrics collects flowstore's metrics (see the package documentation). It
// is safe for concurrent use.
type Metrics struct {
	cacheFor, queryTimeout time.Duration
	maxQueues, depthCap    int

	enqueued, claimed, claimsEmpty *prometheus.CounterVec
	finished, failed, errs         *prometheus.CounterVec
	enqueueToClaim, claimToFinish  *prometheus.HistogramVec
	stepDuration                   *prometheus.HistogramVec
	triggerStarts, triggerMisses   *prometheus.CounterVec
	collectErrs                    *prometheus.CounterVec

	depthDesc, runningDesc, lockedDesc, heartbeatDesc, schemaDesc, latestDesc *prometheus.Desc

	dbMu sync.Mutex
	db   *store.DB

	scrapeMu sync.Mutex // one refresh at a time
	snap     snapshot
}

// snapshot is what one refresh read from the database.
type snapshot struct {
	at         time.Time
	depth      []depthRow
	depthOK    bool
	running    float64
	locked     float64
	engineOK   bool
	heartbeats map[string]float64
	beatsOK    bool
	schema     float64
	schemaOK   bool
}

type depthRow struct {
	queue, status string
	n             float64
}

var (
	_ prometheus.Collector  = (*Metrics)(nil)
	_ queue.Observer        = (*Metrics)(nil)
	_ orchestrator.Observer = (*Metrics)(nil)
	_ trigger.Observer      = (*Metrics)(nil)
)

// Option configures New.
type Option func(*Metrics) error

// WithCacheFor sets how long the values read from the database are reused
// (default 10 s): set it to the scrape interval, so that several scrapers,
// or a scraper and a dashboard, cost one set of queries.
func WithCacheFor(d time.Duration) Option {
	return func(m *Metrics) error {
		if d < 0 {
			return fmt.Errorf("WithCacheFor(%s): must not be negative", d)
		}
		m.cacheFor = d
		return nil
	}
}

// WithQueryTimeout bounds each query a scrape runs (default 5 s).
func WithQueryTimeout(d time.Duration) Option {
	return func(m *Metrics) error {
		if d <= 0 {
			return fmt.Errorf("WithQueryTimeout(%s): must be positive", d)
		}
		m.queryTimeout = d
		return nil
	}
}

// WithMaxQueues sets how many queues (by name, in the database's order)
// flowstore_queue_elements reports (default 100).
func WithMaxQueues(n int) Option {
	return func(m *Metrics) error {
		if n <= 0 {
			return fmt.Errorf("WithMaxQueues(%d): must be positive", n)
		}
		m.maxQueues = n
		return nil
	}
}

// WithDepthCap sets where flowstore_queue_elements stops counting the
// elements of one queue in one status (default 100,000).
func WithDepthCap(n int) Option {
	return func(m *Metrics) error {
		if n <= 0 {
			return fmt.Errorf("WithDepthCap(%d): must be positive", n)
		}
		m.depthCap = n
		return nil
	}
}

// Buckets of the histograms: queue waits run from milliseconds to hours,
// steps from a millisecond to minutes.
var (
	queueBuckets = prometheus.ExponentialBuckets(0.005, 4, 12) // 5 ms … 5.8 h
	stepBuckets  = prometheus.ExponentialBuckets(0.001, 4, 10) // 1 ms … 4.4 min
)

// New returns a collector. It does no I/O; register it with a Prometheus
// registry, and give it a database with ObserveDB (flowstore.WithObserver
// does) for the values read at scrape time.
func New(opts ...Option) (*Metrics, error) {
	m := &Metrics{cacheFor: 10 * time.Second, queryTimeout: 5 * time.Second, maxQueues: 100, depthCap: 100_000}
	for _, o := range opts {
		if err := o(m); err != nil {
			return nil, fmt.Errorf("metrics: new: %w: %w", store.ErrInvalid, err)
		}
	}
	counter := func(name, help string, labels ...string) *prometheus.CounterVec {
		return prometheus.NewCounterVec(prometheus.CounterOpts{Name: name, Help: help}, labels)
	}
	histogram := func(name, help string, buckets []float64, labels ...string) *prometheus.HistogramVec {
		return prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: name, Help: help, Buckets: buckets}, labels)
	}
	m.enqueued = counter("flowstore_queue_enqueued_total", "Queue elements enqueued.", "queue")
	m.claimed = counter("flowstore_queue_claimed_total", "Queue elements claimed.", "queue")
	m.claimsEmpty = counter("flowstore_queue_claims_empty_total", "Claims that found no element to hand out.", "queue")
	m.finished = counter("flowstore_queue_finished_total", "Queue elements finished, by final status (queue is empty for finishes by id).", "queue", "status")
	m.failed = counter("flowstore_queue_failed_total", "Queue elements set FAILED, by a worker or as stale.", "queue", "reason")
	m.errs = counter("flowstore_queue_errors_total", "Queue operations that returned an error.", "queue", "operation")
	m.enqueueToClaim = histogram("flowstore_queue_enqueue_to_claim_seconds", "Time from an element's enqueue to its claim.", queueBuckets, "queue")
	m.claimToFinish = histogram("flowstore_queue_claim_to_finish_seconds", "Time from an element's claim to its finish (FinishClaimed).", queueBuckets, "queue")
	m.stepDuration = histogram("flowstore_step_duration_seconds", "Duration of engine steps, by workflow and outcome.", stepBuckets, "workflow", "outcome")
	m.triggerStarts = counter("flowstore_trigger_starts_total", "Triggers started by this process's schedulers.", "trigger")
	m.triggerMisses = counter("flowstore_trigger_misses_total", "Due triggers a scheduler tried to start and did not.", "trigger", "reason")
	m.collectErrs = counter("flowstore_collect_errors_total", "Database reads of a scrape that failed.", "source")

	m.depthDesc = prometheus.NewDesc("flowstore_queue_elements", "Queue elements by queue and status, counted up to the depth cap.", []string{"queue", "status"}, nil)
	m.runningDesc = prometheus.NewDesc("flowstore_processes_running", "Processes in status running (engine_settings.running_processes).", nil, nil)
	m.lockedDesc = prometheus.NewDesc("flowstore_engine_locked", "1 while the engines' global lock is set.", nil, nil)
	m.heartbeatDesc = prometheus.NewDesc("flowstore_scheduler_heartbeat_age_seconds", "Age of each trigger scheduler's last heartbeat.", []string{"scheduler"}, nil)
	m.schemaDesc = prometheus.NewDesc("flowstore_schema_version", "Highest migration applied to the database.", nil, nil)
	m.latestDesc = prometheus.NewDesc("flowstore_schema_version_latest", "Highest migration this program knows.", nil, nil)
	return m, nil
}

// ObserveDB gives m the database whose state it reads at scrape time.
// flowstore.Open and flowstore.New call it for an observer given with
// flowstore.WithObserver. A Metrics reads one database: observing a second
// one is store.ErrInvalid (register one Metrics per database, each with a
// prometheus.WrapRegistererWith label).
func (m *Metrics) ObserveDB(db *store.DB) error {
	if db == nil {
		return fmt.Errorf("metrics: observe: %w: nil database", store.ErrInvalid)
	}
	m.dbMu.Lock()
	defer m.dbMu.Unlock()
	if m.db != nil && m.db != db {
		return fmt.Errorf("metrics: observe: %w: this Metrics already reads another database", store.ErrInvalid)
	}
	m.db = db
	return nil
}

func (m *Metrics) database() *store.DB {
	m.dbMu.Lock()
	defer m.dbMu.Unlock()
	return m.db
}

// Handler returns the HTTP handler that serves g's metrics in Prometheus's
// text format (promhttp), for a /metrics route; nil means
// prometheus.DefaultGatherer.
func Handler(g prometheus.Gatherer) http.Handler {
	if g == nil {
		g = prometheus.DefaultGatherer
	}
	return promhttp.HandlerFor(g, promhttp.HandlerOpts{})
}

// ---- prometheus.Collector

func (m *Metrics) vecs() []prometheus.Collector {
	return []prometheus.Collector{m.enqueued, m.claimed, m.claimsEmpty, m.finished, m.failed, m.errs,
		m.enqueueToClaim, m.claimToFinish, m.stepDuration, m.triggerStarts, m.triggerMisses, m.collectErrs}
}

// Describe sends the descriptors of every metric m exports.
func (m *Metrics) Describe(ch chan<- *prometheus.Desc) {
	for _, c := range m.vecs() {
		c.Describe(ch)
	}
	for _, d := range []*prometheus.Desc{m.depthDesc, m.runningDesc, m.lockedDesc, m.heartbeatDesc, m.schemaDesc, m.latestDesc} {
		ch <- d
	}
}

// Collect sends the counters and histograms, and the values read from the
// database (refreshed when older than WithCacheFor).
func (m *Metrics) Collect(ch chan<- prometheus.Metric) {
	s := m.refresh()
	for _, c := range m.vecs() {
		c.Collect(ch)
	}
	ch <- prometheus.MustNewConstMetric(m.latestDesc, prometheus.GaugeValue, float64(store.LatestSchemaVersion()))
	if s.schemaOK {
		ch <- prometheus.MustNewConstMetric(m.schemaDesc, prometheus.GaugeValue, s.schema)
	}
	if s.depthOK {
		for _, r := range s.depth {
			ch <- prometheus.MustNewConstMetric(m.depthDesc, prometheus.GaugeValue, r.n, r.queue, r.status)
		}
	}
	if s.engineOK {
		ch <- prometheus.MustNewConstMetric(m.runningDesc, prometheus.GaugeValue, s.running)
		ch <- prometheus.MustNewConstMetric(m.lockedDesc, prometheus.GaugeValue, s.locked)
	}
	if s.beatsOK {
		for name, age := range s.heartbeats {
			ch <- prometheus.MustNewConstMetric(m.heartbeatDesc, prometheus.GaugeValue, age, name)
		}
	}
}

// refresh returns the cached snapshot, reading a new one first when it is
// older than cacheFor. Concurrent scrapes wait for one refresh.
func (m *Metrics) refresh() snapshot {
	db := m.database()
	m.scrapeMu.Lock()
	defer m.scrapeMu.Unlock()
	if db == nil {
		return snapshot{}
	}
	if !m.snap.at.IsZero() && time.Since(m.snap.at) < m.cacheFor {
		return m.snap
	}
	s := snapshot{at: time.Now()}
	read := func(source string, fn func(ctx context.Context) error) bool {
		ctx, cancel := context.WithTimeout(context.Background(), m.queryTimeout)
		defer cancel()
		if err := fn(ctx); err != nil {
			m.collectErrs.WithLabelValues(source).Inc()
			db.Logger().Warn("metrics: read for a scrape", "source", source, "err", err)
			return false
		}
		return true
	}
	s.schemaOK = read("schema", func(ctx context.Context) error {
		v, err := db.SchemaVersion(ctx)
		s.schema = float64(v)
		return err
	})
	s.depthOK = read("queues", func(ctx context.Context) (err error) {
		s.depth, err = m.readDepth(ctx, db)
		return err
	})
	s.engineOK = read("engine", func(ctx context.Context) (err error) {
		s.running, s.locked, err = readEngine(ctx, db)
		return err
	})
	s.beatsOK = read("schedulers", func(ctx context.Context) (err error) {
		s.heartbeats, err = readHeartbeats(ctx, db)
		return err
	})
	m.snap = s
	return s
}

// ---- observers

// QueueClaimStart implements queue.Observer; it changes nothing.
func (m *Metrics) QueueClaimStart(ctx context.Context, _ string) context.Context { return ctx }

// QueueClaimed implements queue.Observer.
func (m *Metrics) QueueClaimed(_ context.Context, q string, claimed []queue.Element, err error) {
	switch {
	case errors.Is(err, queue.ErrEmpty) || (err == nil && len(claimed) == 0):
		m.claimsEmpty.WithLabelValues(q).Inc()
	case err != nil:
		m.errs.WithLabelValues(q, "claim").Inc()
	default:
		m.claimed.WithLabelValues(q).Add(float64(len(claimed)))
		h := m.enqueueToClaim.WithLabelValues(q)
		for _, e := range claimed {
			if !e.StartDate.IsZero() && !e.CreatedDate.IsZero() {
				h.Observe(max(0, e.StartDate.Sub(e.CreatedDate).Seconds()))
			}
		}
	}
}

// QueueFinished implements queue.Observer.
func (m *Metrics) QueueFinished(_ context.Context, ev queue.FinishEvent) {
	if ev.N > 0 {
		m.finished.WithLabelValues(ev.Queue, string(ev.Status)).Add(float64(ev.N))
		if ev.Status == queue.StatusFailed {
			reason := "worker"
			if ev.Stale {
				reason = "stale"
			}
			m.failed.WithLabelValues(ev.Queue, reason).Add(float64(ev.N))
		}
		if !ev.Claimed.IsZero() && !ev.At.IsZero() && ev.Err == nil {
			m.claimToFinish.WithLabelValues(ev.Queue).Observe(max(0, ev.At.Sub(ev.Claimed).Seconds()))
		}
	}
	if ev.Err != nil {
		m.errs.WithLabelValues(ev.Queue, "finish").Inc()
	}
}

// QueueEnqueued implements queue.Observer.
func (m *Metrics) QueueEnqueued(_ context.Context, q string, n int, err error) {
	if n > 0 {
		m.enqueued.WithLabelValues(q).Add(float64(n))
	}
	if err != nil {
		m.errs.WithLabelValues(q, "enqueue").Inc()
	}
}

// StepStart implements orchestrator.Observer; it changes nothing.
func (m *Metrics) StepStart(ctx context.Context, _ orchestrator.StepInfo) context.Context { return ctx }

// StepEnd implements orchestrator.Observer.
func (m *Metrics) StepEnd(_ context.Context, ev orchestrator.StepEvent) {
	m.stepDuration.WithLabelValues(ev.Workflow, ev.Outcome).Observe(ev.Duration.Seconds())
}

// TriggerStart implements trigger.Observer; it changes nothing.
func (m *Metrics) TriggerStart(ctx context.Context, _ string, _ trigger.Trigger) context.Context {
	return ctx
}

// TriggerStarted implements trigger.Observer.
func (m *Metrics) TriggerStarted(_ context.Context, _ string, t trigger.Trigger, err error) {
	switch {
	case err == nil:
		m.triggerStarts.WithLabelValues(t.Name).Inc()
	case errors.Is(err, trigger.ErrNotStarted):
		m.triggerMisses.WithLabelValues(t.Name, "taken").Inc()
	case errors.Is(err, store.ErrInvalid):
		m.triggerMisses.WithLabelValues(t.Name, "unstartable").Inc()
	default:
		m.triggerMisses.WithLabelValues(t.Name, "error").Inc()
	}
}
