// Package constant keeps OpenOrchestrator's Constants table: named values
// robots read at run time — a URL, a folder, a switch — shared between
// OpenOrchestrator's own programs and Go code on the same database.
//
//	cs, err := constant.New(db)
//	err = cs.Set(ctx, "invoice_folder", `\\share\invoices`) // create or replace
//	c, err := cs.Get(ctx, "invoice_folder")                 // c.Value
//
// # Model and Store
//
// A Constant is one row: Name (the key, varchar(100)), Value
// (varchar(1000)) and ChangedAt, which the store sets from the store clock
// (store.DB.Now) on every write. Store is the whole API: Get, Set (an
// upsert), Create (store.ErrDuplicate if the name exists), Update and
// Delete (store.ErrNotFound if it does not), List, and WithTx, which binds
// the store to a store.Session so that its writes commit with the
// session's other work. New makes the one implementation; it does no I/O.
// Every method refuses a nil context with store.ErrInvalid.
//
// # Sharing the table with OpenOrchestrator
//
// OpenOrchestrator's programs read and write the same rows, so changed_at
// is what its Constant model writes, datetime.now() of the writing machine:
// a naive wall clock in the DB's zone (store.WithZone, or timezone= in the
// DSN; the process's local zone by default), written with store.DB.Naive —
// on SQLite exactly the text "2026-12-05 23:47:13.123456". Reads return
// the instant that wall clock names (store.DB.FromNaive), in UTC; a wall
// clock of the hour a fall-back repeats reads as one of its two instants.
//
// # Text and limits
//
// Names and values go through the one text rule (store.Dialect.CheckText)
// before anything is written: text that is not valid UTF-8 or holds a NUL
// is store.ErrInvalid on every dialect (no database would store it exactly:
// PostgreSQL refuses it, MariaDB drops a NUL, SQLite keeps bytes other
// readers cannot decode), a name or value longer than its column is
// store.ErrTooLong, counted as the dialect counts (characters, or UTF-16
// code units on SQL Server), and an empty name is store.ErrInvalid. The
// names Get and Delete look up go through the same rule, so a name no row
// can have is refused the same way rather than sent to the database.
//
// # Outcomes
//
// Set, Update and Delete are single statements, Create a transaction of
// one; none shortens the caller's deadline. An error other than
// store.ErrCommitUnknown means nothing was written; ErrCommitUnknown (the
// connection died while the database had the write) means it may have
// been: read the constant back before writing it again. Set is idempotent,
// so retrying it is safe either way.
//
// # Dialect notes
//
// Set is one atomic statement on every dialect, in the dialect layer's
// upsert form (store.Dialect.Upsert): ON CONFLICT … DO UPDATE on PostgreSQL
// and SQLite, ON DUPLICATE KEY UPDATE on MySQL/MariaDB, MERGE … WITH
// (HOLDLOCK) on SQL Server. Create runs in a savepoint inside a session, so
// a duplicate leaves the session usable on PostgreSQL.
//
// Update tells a missing row from an unchanged one by rows affected. Where
// that count may be of changed rather than matched rows
// (store.FeatureCountsChangedRows: a MySQL pool adopted with store.New
// without clientFoundRows=true), an update that writes what the row already
// holds reports 0, and Update reads the row back before it reports
// store.ErrNotFound.
//
// The package adds nothing to the schema: Constants is part of the
// reference schema (migration 0001), and migration 0070 (package store)
// converts the UTC times an earlier flowstore wrote to the zone's wall
// clock.
package constant
