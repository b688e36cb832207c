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
// (log_time, read back in UTC to the microsecond), Level — TRACE, INFO or
// ERROR, the upper-case names OpenOrchestrator stores — ProcessName
// (varchar(100)) and Message (varchar(8000)).
//
// Store is the whole API: Write, WriteBatch (a slice of entries, written in
// multi-row INSERTs, atomically), Query (one page and the total count;
// Filter.Limit 0 is store.DefaultLimit), All (an iterator over every
// matching row in keyset pages), ProcessNames, Prune and WithTx. New makes
// the one implementation and does no I/O. Every method refuses a nil
// context with store.ErrInvalid.
//
// # Sharing the table with OpenOrchestrator
//
// OpenOrchestrator's robots, scheduler and log viewer use the same Logs
// table, so rows are written as its SQLAlchemy models write them and read
// as it reads them:
//
//   - log_time is a naive wall clock in the DB's zone (store.WithZone, or
//     timezone= in the DSN; the process's local zone by default, as
//     OpenOrchestrator's datetime.now()), written with store.DB.Naive —
//     on SQLite exactly the text "2026-12-05 23:47:13.123456" — and read
//     back with store.DB.FromNaive as the instant it names. Filter.From
//     and Filter.To, Prune's bound and the keyset of All compare wall
//     clocks of that zone, as OpenOrchestrator's get_logs does.
//   - Order is OpenOrchestrator's, log_time DESC, with id DESC to break
//     ties: in the night a zone falls back, rows of the repeated hour
//     interleave by wall clock, and a wall clock of that hour reads back as
//     one of its two instants. Paging stays gapless there, and across a
//     wall clock the zone skips (which a writer in another zone can stamp):
//     each page starts after the last row's log_time and id exactly as
//     stored, never after values converted back from the Entry.
//   - id is written as SQLAlchemy's Uuid (store.DB.RefUUID): native on
//     PostgreSQL and SQL Server, 32 lower-case hex digits on SQLite and
//     MySQL/MariaDB. A table there may also hold the dashed ids an earlier
//     flowstore wrote; the two spellings do not sort as their UUIDs do ('-'
//     sorts before every hex digit), so the keyset compares the id's stored
//     text, and both spellings read back as the same UUIDs.
//
// # Text
//
// Every text goes through the one text rule (store.Dialect.CheckText)
// before anything is written: a level other than the three is
// store.ErrInvalid, and so is text that is not valid UTF-8 or holds a NUL
// (PostgreSQL refuses both, MariaDB drops a NUL, and SQLite would keep
// bytes no other reader decodes); a process name longer than its column is
// store.ErrTooLong. The values a read looks up — Filter.ProcessName and
// Filter.Search — go through the same rule, so they are refused the same
// way instead of reaching the database. A message longer than 8000 units
// keeps its first and last 4000, OpenOrchestrator's own rule and the one
// place flowstore shortens a value instead of refusing it.
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
// The handler mends what Store.Write would refuse, since a log call has
// nobody to report to: where the one text rule refuses a message or process
// name (invalid UTF-8, NUL), each bad run of bytes and each NUL becomes
// U+FFFD. Handle, Flush and Run refuse a nil context (store.ErrInvalid);
// slog.Logger itself never passes one.
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
// The package adds no column: Logs and its indexes on log_time and
// (process_name, log_time) are part of the reference schema (migration
// 0001), and migration 0070 (package store) converts the times and ids an
// earlier flowstore wrote. Migration 0071 (the dashboard's indexes) adds
// ix_Logs_log_time_id on (log_time, id) and ix_Logs_log_level_log_time_id on
// (log_level, log_time, id), which Query and All read backwards for their
// log_time DESC, id DESC order (all levels, or one), ties included, without
// a sort. Migrations 0010–0019 are reserved for this package and packages
// constant and credential; none is used.
package logs
