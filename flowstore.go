package flowstore

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/flowstore/flowstore/crypto"
	"github.com/flowstore/flowstore/orchestrator"
	"github.com/flowstore/flowstore/orchestrator/pipeline"
	"github.com/flowstore/flowstore/orchestrator/subscription"
	"github.com/flowstore/flowstore/queue"
	"github.com/flowstore/flowstore/store"
	"github.com/flowstore/flowstore/trigger"
)

// DB is one database with every flowstore store bound to it. Open one per
// database and share it; it is safe for concurrent use. InTx gives the same
// stores bound to one transaction.
type DB struct {
	Stores
	db   *store.DB
	ring *crypto.Ring
}

// Stores is every store of flowstore, bound to one place: the database (on
// a DB) or one transaction (on a Tx). Each field is the package's own store;
// see its package documentation.
type Stores struct {
	// Queue is OpenOrchestrator's work queues (the Queues table).
	Queue queue.Store
	// Triggers is OpenOrchestrator's single, scheduled and queue triggers.
	Triggers trigger.Store
	// Logs is OpenOrchestrator's Logs table.
	Logs *store.Logs
	// Constants is OpenOrchestrator's Constants table.
	Constants *store.Constants
	// Credentials is OpenOrchestrator's Credentials table, encrypted with the
	// key ring given to Open (WithKeyRing); without one it can list, read
	// encrypted rows and delete, but not set or decrypt.
	Credentials *store.Credentials
	// Snapshots is Kogito's process_instances, with optimistic locking.
	Snapshots *store.Snapshots
	// Correlations is Kogito's correlation_instances.
	Correlations *store.Correlations
	// Processes is WFO's workflows, processes, steps and engine settings;
	// run workflows with DB.NewEngine.
	Processes *orchestrator.BunStore
	// Subscriptions is WFO's products and subscription trees.
	Subscriptions *subscription.BunStore
	// Pipelines is ContainerOps V1's definitions and runs.
	Pipelines *pipeline.BunStore
}

// Tx is one transaction with every store bound to it: what the stores write
// through a Tx commits together, or not at all.
type Tx struct {
	Stores
	// Session is the transaction itself, for bun queries of your own and for
	// code that takes a *store.Session.
	Session *store.Session
}

// Option configures Open.
type Option func(*config)

type config struct {
	storeOpts []store.Option
	ring      *crypto.Ring
	noMigrate bool
	adopt     bool
}

// WithKeyRing sets the key ring that encrypts credentials (and that snapshot
// payload encryption may use). Load an OpenOrchestrator key with
// crypto.ParseRing(os.Getenv("OpenOrchestratorKey")).
func WithKeyRing(r *crypto.Ring) Option { return func(c *config) { c.ring = r } }

// WithClock replaces time.Now for every timestamp flowstore writes.
func WithClock(now func() time.Time) Option {
	return func(c *config) { c.storeOpts = append(c.storeOpts, store.WithClock(now)) }
}

// WithLogger sets the logger for flowstore's warnings.
func WithLogger(l *slog.Logger) Option {
	return func(c *config) { c.storeOpts = append(c.storeOpts, store.WithLogger(l)) }
}

// WithStoreOptions passes options to store.Open (for example
// store.WithMaxRetries).
func WithStoreOptions(opts ...store.Option) Option {
	return func(c *config) { c.storeOpts = append(c.storeOpts, opts...) }
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
// unless WithoutMigrate is given, and binds every store to it.
func Open(ctx context.Context, dsn string, opts ...Option) (*DB, error) {
	var c config
	for _, o := range opts {
		o(&c)
	}
	sdb, err := store.Open(ctx, dsn, c.storeOpts...)
	if err != nil {
		return nil, err
	}
	db, err := newDB(ctx, sdb, c)
	if err != nil {
		_ = sdb.Close()
		return nil, err
	}
	return db, nil
}

// New binds every store to a *store.DB the caller already opened (for
// example with store.New over the host's bun handle). It migrates unless
// WithoutMigrate is given; clock and logger options are those of sdb.
func New(ctx context.Context, sdb *store.DB, opts ...Option) (*DB, error) {
	var c config
	for _, o := range opts {
		o(&c)
	}
	return newDB(ctx, sdb, c)
}

func newDB(ctx context.Context, sdb *store.DB, c config) (*DB, error) {
	switch {
	case c.noMigrate:
	case c.adopt:
		if err := sdb.Adopt(ctx); err != nil {
			return nil, err
		}
	default:
		if err := sdb.Migrate(ctx); err != nil {
			return nil, err
		}
	}
	snaps, err := store.NewSnapshots(sdb)
	if err != nil {
		return nil, fmt.Errorf("flowstore: snapshots: %w", err)
	}
	return &DB{
		db:   sdb,
		ring: c.ring,
		Stores: Stores{
			Queue:         queue.New(sdb),
			Triggers:      trigger.New(sdb),
			Logs:          store.NewLogs(sdb),
			Constants:     store.NewConstants(sdb),
			Credentials:   store.NewCredentials(sdb, c.ring),
			Snapshots:     snaps,
			Correlations:  store.NewCorrelations(sdb),
			Processes:     orchestrator.New(sdb),
			Subscriptions: subscription.New(sdb),
			Pipelines:     pipeline.New(sdb),
		},
	}, nil
}

// Store returns the underlying *store.DB (dialect, bun handle, clock).
func (db *DB) Store() *store.DB { return db.db }

// Dialect reports the database's SQL dialect.
func (db *DB) Dialect() store.Dialect { return db.db.Dialect() }

// Close closes the database.
func (db *DB) Close() error { return db.db.Close() }

// InTx runs fn in one transaction with every store bound to it, and commits
// if fn returns nil. It rolls back on an error or a panic and runs fn again
// on retryable errors (deadlocks, serialization failures, SQLITE_BUSY), as
// store.DB.InTx does.
func (db *DB) InTx(ctx context.Context, fn func(ctx context.Context, tx *Tx) error) error {
	return db.db.InTx(ctx, func(ctx context.Context, s *store.Session) error {
		return fn(ctx, &Tx{Session: s, Stores: db.bind(s)})
	})
}

// bind returns the stores bound to a session.
func (db *DB) bind(s *store.Session) Stores {
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

// NewEngine starts a WFO workflow engine on the database (see
// orchestrator.NewEngine); steps get a *store.Session, and DB.Bind turns it
// into every store bound to the step's transaction.
func (db *DB) NewEngine(ctx context.Context, opts ...orchestrator.EngineOption) (*orchestrator.Engine, error) {
	return orchestrator.NewEngine(ctx, db.db, opts...)
}

// NewScheduler returns a trigger scheduler on the database (see
// trigger.NewScheduler).
func (db *DB) NewScheduler(cfg trigger.SchedulerConfig) (*trigger.Scheduler, error) {
	return trigger.NewScheduler(db.db, cfg)
}

// Bind returns every store bound to s — inside a workflow step, for example,
// so that the step's writes commit with its step record.
func (db *DB) Bind(s *store.Session) Stores { return db.bind(s) }
