// Package store is the foundation of flowstore: it opens databases of four
// dialects, owns the schema and its migrations, defines the error sentinels,
// and provides the Session — one transaction that many stores share — and
// the dialect layer every package builds its SQL from. It holds no store of
// its own; this page is where the shape they all share is written down.
//
// # Opening
//
//	db, err := store.Open(ctx, "sqlite:flowstore.db") // or postgres://, sqlserver://, mysql://
//	if err != nil { … }
//	defer db.Close()
//	if err := db.Migrate(ctx); err != nil { … }
//
// Open accepts flowstore DSNs and the SQLAlchemy URLs OpenOrchestrator users
// already have (see ParseDSN). New adopts a *bun.DB the host application
// already owns. Every time flowstore writes comes from the DB's clock
// (WithClock), in UTC, truncated to microseconds (UTC). Most programs open
// through package flowstore instead, which migrates and binds every store.
//
// # Dialects, by import
//
// Package store links no database driver. Each dialect lives in a package of
// its own that registers it, as database/sql drivers do:
//
//	import _ "github.com/flowstore/flowstore/store/dialect/postgres" // or sqlite, sqlserver, mysql
//
// Package flowstore imports all four, so flowstore.Open takes any DSN; a
// program that imports only store and one dialect links only that driver.
// Opening a DSN whose dialect is not linked is ErrUnsupported, naming the
// import.
//
// A *Dialect (DB.SQLDialect, Session.SQLDialect, Handle.SQLDialect) is
// everything flowstore knows about one dialect: identifier quoting,
// placeholders (Rebind), row limits, locking reads, the atomic claim form,
// the upsert form, transaction-scoped named locks (LockName), how text
// lengths count (CheckText: characters, or UTF-16 code units on SQL
// Server), parameter and row limits, transactional DDL, boolean literals,
// error classification and the checks of an adopted pool. Capabilities that
// only some dialects have are Features (Dialect.Has). Packages build their
// statements from it once, when a store is made, and never branch on the
// dialect's name; the forms that differ in shape (Claim, Upsert, LockName)
// are written once, in this package.
//
// On SQLite, which admits one writer at a time, the connections of a pool
// Open made take turns to write: a transaction holds the DB's write turn
// from BEGIN to COMMIT, a lone write statement while it runs. Writers of one
// process then queue instead of sleeping in SQLite's busy handler. The turn
// belongs to the DB and goes with it.
//
// # One store pattern
//
// Every package that keeps tables — queue, trigger, orchestrator,
// orchestrator/subscription, orchestrator/pipeline, store/logs,
// store/constant, store/credential, store/snapshot, store/correlation —
// has the same shape:
//
//   - typed models for its rows, and a Store interface holding every
//     operation of the package, WithTx included;
//   - one bun-backed implementation, unexported, made by
//     New(db *store.DB, opts ...Option) (Store, error), which validates its
//     options and does no I/O;
//   - WithTx(s *store.Session) Store, the same store bound to a session:
//     its writes commit or roll back with the session's other work;
//   - its SQL in a file of its own (sql.go), built from the dialect layer.
//
// Code that uses a store holds the interface, so a test can substitute a
// fake. Package flowstore's DB exposes every store as its interface.
//
// Lists that can be long take a filter whose Limit 0 means DefaultLimit
// rows (a negative limit is ErrInvalid) and have an iterator (iter.Seq2)
// that streams every row in keyset pages (see Stream). Batch operations
// take a slice of the single-item input type.
//
// # One lifecycle
//
// The long-running parts — orchestrator.Engine, trigger.Scheduler,
// pipeline.TimerRunner, logs.Handler — share one lifecycle:
//
//   - NewX(db *store.DB, …, opts ...XOption) (*X, error) validates its
//     options and does no I/O; it starts nothing.
//   - Run(ctx) works until ctx ends. It first takes what it holds (a
//     registration, a name) and returns at once if it cannot; after that
//     it logs and retries failures instead of returning. When ctx ends it
//     takes no new work, lets running work finish for at most the stop
//     timeout (WithStopTimeout), then cancels it, releases what it holds
//     and returns nil. Run may be called once.
//   - Every query it runs in the background has a context and a timeout
//     (WithQueryTimeout); the release at the end runs on a context detached
//     from the cancelled one, with that timeout.
//
// The options that mean the same thing have the same name everywhere:
// WithPollInterval, WithMaxConcurrent, WithLease, WithName, WithStopTimeout,
// WithQueryTimeout, WithLogger.
//
// # Schema
//
// The schema is hand-written per dialect and embedded: every table of the
// reference systems, with their exact table and column names —
// OpenOrchestrator (Triggers, Scheduled_Triggers, Queue_Triggers,
// Single_Triggers, Queues, Logs, Constants, Credentials, and its later
// Schedulers table), ContainerOps V1 (workflow, stage, action, their *_log run
// copies, workflow_sequence, workflow_var(_log), event, event_definition,
// event_json, outcome, timer, service, serivce_definition, component,
// user_setting), Kogito (process_instances, correlation_instances and the later
// business_key_mapping and event_types) and WFO orchestrator-core (processes,
// process_steps, input_states, workflows, products and product blocks,
// resource types, fixed inputs, subscriptions and their instance trees,
// engine_settings). Migrate applies it under a database-native lock;
// SchemaSQL prints it for DBAs. Our own bookkeeping lives in
// flowstore_migrations (and, on MySQL/MariaDB, flowstore_migration_attempts;
// on MySQL/MariaDB and SQL Server, flowstore_conversions records which
// columns of an earlier flowstore's database migration 0070 converted).
//
// # Sharing a database with the reference systems
//
// Each reference system's tables keep that system's storage conventions,
// because its own programs read and write the same rows. OpenOrchestrator's
// tables hold naive wall-clock times in one zone — WithZone, or timezone=
// in the DSN; by default the process's local zone, as OpenOrchestrator
// itself — written as SQLAlchemy writes them (DB.Naive, DB.FromNaive), and
// UUIDs as SQLAlchemy's Uuid: native on PostgreSQL and SQL Server, 32 hex
// digits elsewhere (DB.RefUUID; lookups match the dashed spelling an
// earlier flowstore wrote, DB.RefUUIDs). A schema flowstore creates is
// stamped in alembic_version with OpenOrchestratorRevision, which
// OpenOrchestrator's apps check; an existing stamp is kept
// (DB.AlembicRevision reads it). Migration 0070 converts what an earlier
// flowstore wrote. WFO's tables hold UTC, Kogito's follow its Flyway
// scripts, ContainerOps's GORM's UTC.
// Extras each package adds are listed in that package's documentation.
//
// # Migrations
//
// Migrations are embedded SQL files, store/migrations/<dialect>/NNNN_name.sql
// (four digits, then lower-case letters, digits and underscores), applied in
// numeric order and recorded in flowstore_migrations. Every dialect carries
// the same versions; the loader refuses a set where they differ. A file is a
// list of statements, each ending with ';' at the end of a line — no line
// inside a statement ends with ';' — and lines starting with "--" are
// comments, except "-- @go name", which runs a conversion written in Go
// (the zone of naive times is configuration, so no SQL file can hold it). Migrate sends each statement on its own (on SQL Server, as its
// own batch; SchemaSQL separates them with GO). On MySQL/MariaDB, where DDL
// is not transactional, a statement must be one the migrator can undo or
// skip when it resumes a failed migration — one CREATE TABLE, CREATE INDEX
// … ON, DROP INDEX … ON or ALTER TABLE … ADD COLUMN each, or an INSERT or
// UPDATE — and a migration in progress is noted in
// flowstore_migration_attempts (see DB.Migrate).
//
// Version numbers are reserved per owner, so that packages developed side
// by side do not collide:
//
//	0001       reference schema (package store)
//	0010–0019  store/logs, store/credential, store/constant
//	0020–0029  queue
//	0030–0039  trigger
//	0040–0049  store/snapshot, store/correlation
//	0050–0059  orchestrator, orchestrator/subscription
//	0060–0069  orchestrator/pipeline
//	0070–0079  the reference systems' storage conventions (package store)
//
// Column types per dialect: UUIDs are uuid / uniqueidentifier / TEXT /
// CHAR(36); times timestamptz / datetime2(6) / DATETIME (text) / DATETIME(6);
// bytes bytea / varbinary(max) / BLOB / LONGBLOB; booleans boolean / bit /
// INTEGER / TINYINT(1). On SQLite a varchar(n) is TEXT with a CHECK constraint
// on its length, so every dialect refuses an over-long value the same way.
//
// # Sessions
//
// A Session is one transaction that satisfies bun.IDB. Stores bind to it with
// WithTx(s), so writes of several stores commit together:
//
//	q, _ := queue.New(db)
//	c, _ := constant.New(db)
//	err := db.InTx(ctx, func(ctx context.Context, s *store.Session) error {
//		if _, err := q.WithTx(s).Enqueue(ctx, "invoices", queue.NewElement{Reference: "INV-1"}); err != nil {
//			return err
//		}
//		return c.WithTx(s).Set(ctx, "last_invoice", "INV-1")
//	})
//
// InTx commits when fn returns nil, rolls back on an error or a panic, and
// retries retryable errors (deadlock victims, serialization failures,
// SQLITE_BUSY). Like WFO's WrappedSession, a suppressed session (Suppress)
// turns Commit into a logged no-op and Rollback into "rollback-only", so the
// owner of the transaction — a workflow engine running a step — decides how it
// ends. BeginTx, RunInTx and Savepoint inside a session are savepoints; their
// callbacks see the caller's context, while the SAVEPOINT, ROLLBACK TO and
// RELEASE statements themselves ignore its cancellation, so work that failed
// because its context was cancelled is still rolled back.
//
// # Errors
//
// Errors wrap sentinels (ErrNotFound, ErrConflict, ErrDuplicate, ErrTooLong,
// ErrInvalid, ErrLocked, ErrDecrypt, ErrRetryable, ErrUnsupported,
// ErrSchemaTooNew, ErrRollbackOnly); test them with errors.Is. Each
// dialect's Classify maps its driver's errors (SQLSTATEs, SQL Server
// numbers, SQLite codes, MySQL numbers) onto them. Messages carry each
// layer's context once, package first: "queue: enqueue: value too long:
// reference is 300 characters, at most 255 fit".
//
// # Handles
//
// Stores run on a Handle: a DB, optionally bound to a Session. Handle.IDB
// gives bun, Handle.Raw the database/sql executor for statements with bound
// parameters (Rebind them with the dialect), Handle.InTx a transaction on a
// DB or a savepoint in a session, and Handle.SQLDialect the dialect layer.
package store
