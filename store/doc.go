// Package store is the foundation of flowstore: it opens databases of four
// dialects, owns the schema and its migrations, defines the error sentinels,
// and provides the Session — one transaction that many stores share.
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
// (WithClock), in UTC, truncated to microseconds (UTC).
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
// flowstore_migrations (and, on MySQL/MariaDB, flowstore_migration_attempts).
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
// comments. Migrate sends each statement on its own (on SQL Server, as its
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
//	0010–0019  logs, credentials, constants (package store)
//	0020–0029  queue
//	0030–0039  trigger
//	0040–0049  snapshots, correlations (package store)
//	0050–0059  orchestrator, orchestrator/subscription
//	0060–0069  orchestrator/pipeline
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
//	err := db.InTx(ctx, func(ctx context.Context, s *store.Session) error {
//		// queue.New(db).WithTx(s).Enqueue(...); constants.WithTx(s).Set(...)
//		return nil
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
// ErrSchemaTooNew, ErrRollbackOnly); test them with errors.Is. Classify maps
// each dialect's driver errors (SQLSTATEs, SQL Server numbers, SQLite codes,
// MySQL numbers) onto them.
//
// # Record stores
//
// The OpenOrchestrator record tables have stores in this package, each an
// interface with a bun implementation, usable on a DB or, through WithTx, in
// a Session:
//
//   - Constants (ConstantStore): get, set (an atomic upsert per dialect),
//     create (ErrDuplicate), update (ErrNotFound), delete, list by name;
//     changed_at comes from the store clock.
//   - Credentials (CredentialStore): passwords encrypted with a crypto.Ring
//     — Fernet tokens OpenOrchestrator reads, or AES-256-GCM tokens with a
//     key id; get, get without decrypting, list (no plaintext), delete, and
//     Rotate, which re-encrypts every row in one transaction. A token that
//     would not fit varchar(1000) is refused with ErrTooLong naming the
//     longest password that fits (687 bytes with a Fernet key, 711 with
//     GCM). Decryption failures match both ErrDecrypt and crypto.ErrDecrypt.
//   - Logs (LogStore): single and batched inserts (multi-row, chunked under
//     each dialect's parameter limit), filtered queries newest first with a
//     total count, an iterator (iter.Seq2) that streams any number of rows
//     in constant memory, distinct process names, pruning. Messages over
//     8000 characters keep their first and last 4000, as OpenOrchestrator
//     does. LogHandler is a slog.Handler writing to Logs through a bounded,
//     batched buffer.
//
// They add no tables, columns or indexes to the reference schema.
//
// # Snapshots and correlations (Kogito)
//
// Snapshots keeps Kogito's process_instances: Create (version 0), Get,
// Update — a compare-and-swap on the version column that fails with a
// *ConflictError (errors.Is ErrConflict; expected and found version) when
// another writer got there first — UpdateUnchecked (no check, still bumps
// the version), Delete, Exists, Stat. Queries are scoped by process id and
// version (ProcessRef; a nil version matches process_version IS NULL): IDs,
// All (a keyset-paged stream), Count, FindByBusinessKey
// (business_key_mapping), WaitingForEventType (event_types, replaced after
// the version check in the same transaction when Snapshot.EventTypes is
// non-nil) and MigrateInstances. Retry runs the load-apply-update loop,
// reloading on conflicts. Correlations keeps correlation_instances with
// Kogito's MD5 encoded ids (EncodeCorrelation).
//
// Extras of this part (migration 0040): process_instances.payload_codec, a
// nullable column naming the Codec a payload was written with (NULL: stored
// as given, which is what Kogito writes), so plain, gzip and encrypted rows
// can live side by side; and an index on event_types(event_type,
// process_instance_id). Payloads are bound on the driver, never inlined:
// 16 MiB works on every dialect; on MySQL/MariaDB one value may be at most
// the server's max_allowed_packet (MariaDB's default is exactly 16 MiB,
// MySQL 8's 64 MiB) and a larger one is ErrTooLong.
//
// # Handles
//
// Stores in other packages run on a Handle: a DB, optionally bound to a
// Session. Handle.IDB gives bun, Handle.Raw the database/sql executor for
// parameterized hot paths (with Dialect.Rebind for placeholders), and
// Handle.InTx a transaction on a DB or a savepoint in a session.
package store
