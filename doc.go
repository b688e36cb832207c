// Package flowstore gives workflow engines their persistence: typed models,
// stores and transactions for the schemas of four real systems, on SQLite,
// PostgreSQL, SQL Server and MySQL/MariaDB.
//
// Start here: Open connects to a database from a DSN ("sqlite:app.db",
// "postgres://…", "sqlserver://…", "mysql://…", or the SQLAlchemy URLs
// OpenOrchestrator users already have), migrates it, and returns a DB with
// every store bound to it. DB.InTx gives the same stores bound to one
// transaction, so that writes of several stores commit together or not at
// all:
//
//	fs, err := flowstore.Open(ctx, "sqlite:app.db")
//	…
//	err = fs.InTx(ctx, func(ctx context.Context, tx *flowstore.Tx) error {
//		if _, err := tx.Queue.Enqueue(ctx, "invoices", queue.NewElement{Reference: "INV-1"}); err != nil {
//			return err
//		}
//		return tx.Constants.Set(ctx, "last_invoice", "INV-1")
//	})
//
// The stores, and the system whose tables each keeps:
//
//   - Queue (package queue): OpenOrchestrator's work queues, with claims
//     that never hand one element to two workers.
//   - Triggers (package trigger): OpenOrchestrator's single, scheduled and
//     queue triggers; DB.NewScheduler runs them, each start exactly once.
//   - Logs, Constants, Credentials (packages store/logs, store/constant,
//     store/credential; encryption in crypto/secret): OpenOrchestrator's
//     records; credentials are Fernet tokens OpenOrchestrator can read (or
//     AES-256-GCM), under a key ring. DB.NewLogHandler writes slog records
//     to Logs.
//   - Snapshots, Correlations (packages store/snapshot, store/correlation):
//     Kogito's process instances with optimistic locking, and its
//     correlations.
//   - Processes, Subscriptions (packages orchestrator, orchestrator/
//     subscription): WFO orchestrator-core; DB.NewEngine runs workflows
//     whose every step commits its writes and its step record together.
//   - Pipelines (package orchestrator/pipeline): ContainerOps V1 pipeline
//     definitions and runs.
//
// Every store field is its package's Store interface, so code that takes
// one can be tested with a fake; the long-running parts (NewEngine,
// NewScheduler, NewLogHandler, NewTimerRunner) do nothing until their
// Run(ctx), and stop when ctx ends.
//
// Underneath is package store: the dialect layer, migrations, the Session
// (one transaction any store can join, whose Commit a step engine can
// suppress) and the error sentinels (store.ErrNotFound, store.ErrConflict,
// …) every package wraps; its documentation describes the shape all the
// packages share. This package links the drivers of all four dialects; a
// program that needs one can import package store and that dialect's
// package under store/dialect instead. A program that already has a bun
// handle passes it to store.New and then to New.
//
// Table and column names are exactly those of the reference systems, so a Go
// program can work on a database those systems created (see WithAdopt), and
// the reverse. Imports only point down: store imports none of the domain
// packages, and this package only wires them together.
package flowstore
