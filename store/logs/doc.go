// Package logs keeps OpenOrchestrator's Logs table — what robots log, read
// back by OpenOrchestrator's log viewer — and provides a slog.Handler that
// writes to it, so a Go program's log lines land beside the robots'.
//
//	l, err := logs.New(db)
//	err = l.Write(ctx, logs.Entry{Level: logs.LevelInfo, ProcessName: "invoice-robot", Message: "booked"})
//	page, err := l.Query(ctx, logs.Filter{ProcessName: "invoice-robot", Limit: 50})
//	for e, err := range l.All(ctx, logs.Filter{Level: logs.LevelError}) { … }
//
// # Model and Store
//
// An Entry is one row: ID (a UUID; v7 when the store makes it), Time
// (log_time, UTC to the microsecond), Level — TRACE, INFO or ERROR, the
// upper-case names OpenOrchestrator stores — ProcessName (varchar(100))
// and Message (varchar(8000)).
//
// Store is the whole API: Write, WriteBatch (a slice of entries, written in
// multi-row INSERTs, atomically), Query (one page and the total count;
// Filter.Limit 0 is store.DefaultLimit), All (an iterator over every
// matching row in keyset pages), ProcessNames, Prune and WithTx. New makes
// the one implementation and does no I/O.
//
// Before anything is written, a level other than the three is
// store.ErrInvalid, and so is text that is not valid UTF-8 or holds a NUL
// (PostgreSQL and MariaDB refuse it, and SQLite would keep bytes no other
// reader decodes); a process name longer than its column is
// store.ErrTooLong. A message longer than 8000 units keeps its first and
// last 4000, OpenOrchestrator's own rule and the one place flowstore
// shortens a value instead of refusing it.
//
// # The slog handler
//
// A Handler (NewHandler) formats slog records as OpenOrchestrator rows and
// writes them in batches. It follows the lifecycle of store's package
// documentation: NewHandler does no I/O and starts nothing; Handle buffers
// records (WithBufferSize bounds the buffer); Run writes them until its
// context ends, then writes what is buffered within WithStopTimeout and
// returns; Flush writes what is buffered now.
//
//	h, err := logs.NewHandler(db, logs.WithProcessName("invoice-robot"))
//	go h.Run(ctx)
//	slog.SetDefault(slog.New(h))
//
// Records are written exactly once if Handle accepted them. What the
// handler gives up on — a record the database itself refuses while it
// takes others, a record whose Handle call's context ended while the
// buffer was full, records left when the stop timeout ran out — is
// reported through the error callback (WithOnError) with an error matching
// ErrRecordDropped; one bad record never stops the handler. While the
// database takes no rows at all, records are kept and written again after
// a pause.
//
// # Dialect notes
//
// Lengths and the message's truncation count the dialect's text units:
// characters, or UTF-16 code units on SQL Server, where a character above
// U+FFFF takes two. One INSERT carries as many rows as the dialect's
// parameter limit allows (store.Dialect.RowsPerStatement), at most 1000.
// Filter.Search is LIKE with its wildcards escaped by '!'; whether it
// ignores case is the database's collation's choice (see Filter).
//
// The package adds nothing to the schema: Logs and its indexes on log_time
// and (process_name, log_time) are part of the reference schema (migration
// 0001); migrations 0010–0019 are reserved for it and packages constant and
// credential.
package logs
