package flowstore

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/flowstore/flowstore/crypto/secret"
	"github.com/flowstore/flowstore/orchestrator"
	"github.com/flowstore/flowstore/orchestrator/pipeline"
	"github.com/flowstore/flowstore/orchestrator/subscription"
	"github.com/flowstore/flowstore/queue"
	"github.com/flowstore/flowstore/store"
	"github.com/flowstore/flowstore/store/constant"
	"github.com/flowstore/flowstore/store/correlation"
	"github.com/flowstore/flowstore/store/credential"
	"github.com/flowstore/flowstore/store/logs"
	"github.com/flowstore/flowstore/store/snapshot"
	"github.com/flowstore/flowstore/trigger"
)

// DB is one database with every flowstore store bound to it. Open one per
// database and share it; it is safe for concurrent use. InTx gives the same
// stores bound to one transaction.
type DB struct {
	Stores
	db        *store.DB
	observers []Observer // observe.go
}

// Stores is every store of flowstore, bound to one place: the database (on
// a DB) or one transaction (on a Tx). Each field is its package's Store
// interface (see the package's documentation), so code that takes one can
// be tested with a fake.
type Stores struct {
	// Queue is OpenOrchestrator's work queues (the Queues table).
	Queue queue.Store
	// Triggers is OpenOrchestrator's single, scheduled and queue triggers;
	// DB.NewScheduler runs them.
	Triggers trigger.Store
	// Logs is OpenOrchestrator's Logs table; DB.NewLogHandler writes slog
	// records to it.
	Logs logs.Store
	// Constants is OpenOrchestrator's Constants table.
	Constants constant.Store
	// Credentials is OpenOrchestrator's Credentials table, encrypted with the
	// key ring given to Open (WithKeyRing); without one it can list, read
	// encrypted rows and delete, but not set or decrypt.
	Credentials credential.Store
	// Snapshots is Kogito's process_instances, with optimistic locking.
	Snapshots snapshot.Store
	// Correlations is Kogito's correlation_instances.
	Correlations correlation.Store
	// Processes is WFO's workflows, processes, steps and engine settings;
	// DB.NewEngine runs workflows.
	Processes orchestrator.Store
	// Subscriptions is WFO's products and subscription trees.
	Subscriptions subscription.Store
	// Pipelines is ContainerOps V1's definitions and runs; DB.NewTimerRunner
	// fires their timers.
	Pipelines pipeline.Store
}

// Tx is one transaction with every store bound to it: what the stores write
// through a Tx commits together, or not at all.
type Tx struct {
	Stores
	// Session is the transaction itself, for bun queries of your own and for
	// code that takes a *store.Session.
	Session *store.Session
}

// Option configures Open and New.
type Option func(*config)

type config struct {
	storeOpts    []store.Option
	ring         *secret.Ring
	snapshotOpts []snapshot.Option
	queueOpts    []queue.Option
	noMigrate    bool
	adopt        bool
	observers    []Observer // observe.go
	errs         []error
}

// WithKeyRing sets the key ring that encrypts credentials. Load an
// OpenOrchestrator key with secret.ParseRing(os.Getenv("OpenOrchestratorKey")).
func WithKeyRing(r *secret.Ring) Option { return func(c *config) { c.ring = r } }

// WithClock replaces time.Now for every timestamp flowstore writes (Open
// only; a DB given to New has its own clock).
func WithClock(now func() time.Time) Option {
	return func(c *config) { c.storeOpts = append(c.storeOpts, store.WithClock(now)) }
}

// WithLogger sets the logger for flowstore's warnings (Open only).
func WithLogger(l *slog.Logger) Option {
	return func(c *config) { c.storeOpts = append(c.storeOpts, store.WithLogger(l)) }
}

// WithStoreOptions passes options to store.Open (for example
// store.WithMaxRetries).
func WithStoreOptions(opts ...store.Option) Option {
	return func(c *config) { c.storeOpts = append(c.storeOpts, opts...) }
}

// WithQueueOptions passes options to the queue store (for example
// queue.WithLease).
func WithQueueOptions(opts ...queue.Option) Option {
	return func(c *config) { c.queueOpts = append(c.queueOpts, opts...) }
}

// WithSnapshotOptions passes options to the snapshot store (for example
// snapshot.WithCodec).
func WithSnapshotOptions(opts ...snapshot.Option) Option {
	return func(c *config) { c.snapshotOpts = append(c.snapshotOpts, opts...) }
}

// WithoutMigrate skips Migrate on Open, for databases whose schema a DBA
// applies (see store.SchemaSQL and flowctl schema).
func WithoutMigrate() Option { return func(c *config) { c.noMigrate = true } }

// WithAdopt migrates with store.DB.Adopt instead of Migrate: for a database
// in which OpenOrchestrator, Kogito or WFO already created their tables,
// which are kept with their rows.
func WithAdopt() Option { return func(c *config) { c.adopt = true } }

// Open opens the database a DSN names (see store.ParseDSN: sqlite:,
// postgres://, sqlserver://, mysql:// and the SQLAlchemy forms), migrates it
// unless WithoutMigrate is given, and binds every store to it. Package
// flowstore links all four dialects.
func Open(ctx context.Context, dsn string, opts ...Option) (*DB, error) {
	if ctx == nil {
		return nil, fmt.Errorf("flowstore: open: %w: nil context", store.ErrInvalid)
	}
	c := newConfig(opts)
	sdb, err := store.Open(ctx, dsn, c.openOptions()...)
	if err != nil {
		return nil, fmt.Errorf("flowstore: %w", err)
	}
	db, err := newDB(ctx, sdb, c)
	if err != nil {
		return nil, errors.Join(err, sdb.Close())
	}
	return db, nil
}

// New binds every store to a *store.DB the caller already opened (for
// example with store.New over the host's bun handle). It migrates unless
// WithoutMigrate is given; clock and logger options are those of sdb.
func New(ctx context.Context, sdb *store.DB, opts ...Option) (*DB, error) {
	if ctx == nil {
		return nil, fmt.Errorf("flowstore: new: %w: nil context", store.ErrInvalid)
	}
	if sdb == nil {
		return nil, fmt.Errorf("flowstore: new: %w: nil *store.DB", store.ErrInvalid)
	}
	return newDB(ctx, sdb, newConfig(opts))
}

func newConfig(opts []Option) config {
	var c config
	for _, o := range opts {
		o(&c)
	}
	return c
}

func newDB(ctx context.Context, sdb *store.DB, c config) (*DB, error) {
	if err := c.observeDB(sdb); err != nil {
		return nil, fmt.Errorf("flowstore: %w", err)
	}
	switch {
	case c.noMigrate:
	case c.adopt:
		if err := sdb.Adopt(ctx); err != nil {
			return nil, fmt.Errorf("flowstore: %w", err)
		}
	default:
		if err := sdb.Migrate(ctx); err != nil {
			return nil, fmt.Errorf("flowstore: %w", err)
		}
	}
	var credOpts []credential.Option
	if c.ring != nil {
		credOpts = append(credOpts, credential.WithKeyRing(c.ring))
	}
	var s Stores
	var errs []error
	bind := func(err error) { errs = append(errs, err) }
	var err error
	s.Queue, err = queue.New(sdb, c.queueOpts...)
	bind(err)
	s.Triggers, err = trigger.New(sdb)
	bind(err)
	s.Logs, err = logs.New(sdb)
	bind(err)
	s.Constants, err = constant.New(sdb)
	bind(err)
	s.Credentials, err = credential.New(sdb, credOpts...)
	bind(err)
	s.Snapshots, err = snapshot.New(sdb, c.snapshotOpts...)
	bind(err)
	s.Correlations, err = correlation.New(sdb)
	bind(err)
	s.Processes, err = orchestrator.New(sdb)
	bind(err)
	s.Subscriptions, err = subscription.New(sdb)
	bind(err)
	s.Pipelines, err = pipeline.New(sdb)
	bind(err)
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("flowstore: %w", err)
	}
	return &DB{db: sdb, Stores: s, observers: c.observers}, nil
}

// Store returns the underlying *store.DB (dialect, bun handle, clock).
func (db *DB) Store() *store.DB { return db.db }

// SQLDialect reports the database's SQL dialect (see store.Dialect).
func (db *DB) SQLDialect() *store.Dialect { return db.db.SQLDialect() }

// Close closes the database.
func (db *DB) Close() error { return db.db.Close() }

// InTx runs fn in one transaction with every store bound to it, and commits
// if fn returns nil. It rolls back on an error or a panic and runs fn again
// on retryable errors (deadlocks, serialization failures, SQLITE_BUSY), as
// store.DB.InTx does.
func (db *DB) InTx(ctx context.Context, fn func(ctx context.Context, tx *Tx) error) error {
	return db.db.InTx(ctx, func(ctx context.Context, s *store.Session) error {
		return fn(ctx, &Tx{Session: s, Stores: db.Bind(s)})
	})
}

// Bind returns every store bound to s — inside a workflow step, for example,
// so that the step's writes commit with its step record.
func (db *DB) Bind(s *store.Session) Stores {
	return Stores{
		Queue:         db.Queue.WithTx(s),
		Triggers:      db.Triggers.WithTx(s),
		Logs:          db.Logs.WithTx(s),
		Constants:     db.Constants.WithTx(s),
		Credentials:   db.Credentials.WithTx(s),
		Snapshots:     db.Snapshots.WithTx(s),
		Correlations:  db.Correlations.WithTx(s),
		Processes:     db.Processes.WithTx(s),
		Subscriptions: db.Subscriptions.WithTx(s),
		Pipelines:     db.Pipelines.WithTx(s),
	}
}

// The long-running parts. Each does no I/O until its Run(ctx), which works
// until ctx ends (see package store, "One lifecycle").

// NewEngine returns a WFO workflow engine on the database (see
// orchestrator.NewEngine); steps get a *store.Session, and Bind turns it
// into every store bound to the step's transaction.
func (db *DB) NewEngine(opts ...orchestrator.EngineOption) (*orchestrator.Engine, error) {
	return orchestrator.NewEngine(db.db, db.engineOptions(opts)...)
}

// NewScheduler returns a trigger scheduler on the database that runs
// handler for each trigger it starts (see trigger.NewScheduler).
func (db *DB) NewScheduler(handler trigger.Handler, opts ...trigger.SchedulerOption) (*trigger.Scheduler, error) {
	return trigger.NewScheduler(db.db, handler, db.schedulerOptions(opts)...)
}

// NewLogHandler returns a slog.Handler that writes to the Logs table (see
// logs.NewHandler).
func (db *DB) NewLogHandler(opts ...logs.HandlerOption) (*logs.Handler, error) {
	return logs.NewHandler(db.db, opts...)
}

// NewTimerRunner returns the runner that fires due pipeline timers (see
// pipeline.NewTimerRunner).
func (db *DB) NewTimerRunner(opts ...pipeline.TimerOption) (*pipeline.TimerRunner, error) {
	return pipeline.NewTimerRunner(db.db, opts...)
}
