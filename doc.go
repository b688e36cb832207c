// Package flowstore gives workflow engines their persistence: typed models,
// stores and transactions for the schemas of four real systems, on SQLite,
// PostgreSQL, SQL Server and MySQL/MariaDB.
//
// Start with package store: it opens a database from a DSN, applies the
// schema (Migrate) and provides the Session, one transaction that every store
// can join so that writes of several stores commit together — the
// commit-suppressing session of WFO orchestrator-core, whose steps commit
// their writes and their step record at once.
//
// The packages, from the foundation up:
//
//   - store: Open/New, dialects, migrations, Session, error sentinels, and the
//     record stores (logs, constants, credentials, snapshots, correlations).
//   - crypto: Fernet (OpenOrchestrator-compatible) and AES-256-GCM key rings.
//   - queue: work queues on OpenOrchestrator's Queues table with atomic claims.
//   - trigger: OpenOrchestrator triggers, cron, and a leaderless Scheduler.
//   - orchestrator: WFO processes and steps, and the step Engine;
//     orchestrator/subscription (products, subscriptions) and
//     orchestrator/pipeline (ContainerOps V1 definitions and runs).
//
// Table and column names are exactly those of the reference systems, so a Go
// program can work on a database those systems created, and the reverse.
// Imports only point down: store imports none of the domain packages.
package flowstore
