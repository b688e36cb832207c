package flowstore

import (
	"database/sql/driver"
	"errors"
	"fmt"

	"go.opentelemetry.io/otel/trace"

	"github.com/flowstore/flowstore/orchestrator"
	"github.com/flowstore/flowstore/queue"
	"github.com/flowstore/flowstore/store"
	"github.com/flowstore/flowstore/tracing"
	"github.com/flowstore/flowstore/trigger"
)

// Observer watches a DB's queues, engines and schedulers: package metrics
// (Prometheus) and package tracing (OpenTelemetry) implement it. Give one to
// Open or New with WithObserver.
//
// The interface keeps the heavy dependencies out of programs that do not
// observe: package flowstore names no Prometheus type, so a program that
// does not import package metrics does not link the Prometheus client.
type Observer interface {
	queue.Observer
	orchestrator.Observer
	trigger.Observer
	// ObserveDB is called once by Open or New, with the database, before
	// it is migrated or used.
	ObserveDB(db *store.DB) error
}

// WithObserver installs o on the DB: Open and New call o.ObserveDB, Open
// wraps its pool's connector with o's WrapConnector method if it has one
// (tracing.Tracer: spans for the statements bun does not see), and the
// queue store (Stores.Queue, and its WithTx copies), every engine
// (DB.NewEngine) and every scheduler (DB.NewScheduler) report to it. It may
// be given more than once:
//
//	m, _ := metrics.New()
//	prometheus.MustRegister(m)
//	t, _ := tracing.New(tp)
//	db, err := flowstore.Open(ctx, dsn, flowstore.WithObserver(m), flowstore.WithObserver(t))
func WithObserver(o Observer) Option {
	return func(c *config) {
		if o == nil {
			c.errs = append(c.errs, fmt.Errorf("%w: WithObserver(nil)", store.ErrInvalid))
			return
		}
		c.observers = append(c.observers, o)
	}
}

// WithTracerProvider traces the DB with OpenTelemetry: it is
// WithObserver(tracing.New(tp)). Without it (or a tracing observer) nothing
// is traced.
func WithTracerProvider(tp trace.TracerProvider) Option {
	return func(c *config) {
		t, err := tracing.New(tp)
		if err != nil {
			c.errs = append(c.errs, err)
			return
		}
		c.observers = append(c.observers, t)
	}
}

// connectorWrapper is an observer that sees every statement of a pool it
// wraps (tracing.Tracer): Open wraps its pool's connector with it.
type connectorWrapper interface {
	WrapConnector(c driver.Connector, d *store.Dialect) driver.Connector
}

// openOptions are the options for store.Open: the caller's, and the
// connector wrappers of the observers.
func (c *config) openOptions() []store.Option {
	opts := c.storeOpts
	for _, o := range c.observers {
		if w, ok := o.(connectorWrapper); ok {
			opts = append(opts[:len(opts):len(opts)], store.WithConnector(w.WrapConnector))
		}
	}
	return opts
}

// observeDB hands the database to the observers and adds the queue store's
// option; it runs before newDB migrates.
func (c *config) observeDB(sdb *store.DB) error {
	if err := errors.Join(c.errs...); err != nil {
		return err
	}
	for _, o := range c.observers {
		if err := o.ObserveDB(sdb); err != nil {
			return err
		}
		c.queueOpts = append(c.queueOpts, queue.WithObserver(o))
	}
	return nil
}

// engineOptions adds the observers to an engine's options.
func (db *DB) engineOptions(opts []orchestrator.EngineOption) []orchestrator.EngineOption {
	for _, o := range db.observers {
		opts = append(opts, orchestrator.WithObserver(o))
	}
	return opts
}

// schedulerOptions adds the observers to a scheduler's options.
func (db *DB) schedulerOptions(opts []trigger.SchedulerOption) []trigger.SchedulerOption {
	for _, o := range db.observers {
		opts = append(opts, trigger.WithObserver(o))
	}
	return opts
}
