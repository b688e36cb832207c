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
// (varchar(1000)) and ChangedAt, which the store sets from the database's
// clock (store.DB.Now, UTC) on every write. Store is the whole API: Get,
// Set (an upsert), Create (store.ErrDuplicate if the name exists), Update
// and Delete (store.ErrNotFound if it does not), List, and WithTx, which
// binds the store to a store.Session so that its writes commit with the
// session's other work. New makes the one implementation; it does no I/O.
//
// Names and values longer than their columns are store.ErrTooLong before
// anything is written, counted as the dialect counts them (characters, or
// UTF-16 code units on SQL Server); an empty name is store.ErrInvalid.
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
// reference schema (migration 0001).
package constant
