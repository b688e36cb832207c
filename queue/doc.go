// Package queue implements work queues on OpenOrchestrator's Queues table,
// so that OpenOrchestrator robots and Go workers can share one table: same
// columns, same stored statuses (NEW, IN_PROGRESS, DONE, FAILED, ABANDONED),
// same meaning of start_date (set when a worker takes an element), end_date
// (set when it finishes) and message.
//
//	q := queue.New(db)
//	q.Enqueue(ctx, "invoices", queue.NewElement{Reference: "INV-1", Data: `{"amount":12}`})
//	e, err := q.Claim(ctx, "invoices")        // oldest NEW element, now IN_PROGRESS
//	if errors.Is(err, queue.ErrEmpty) { … }  // nothing to do
//	err = q.Finish(ctx, e.ID, queue.Done("")) // or queue.Failed(msg), queue.Abandoned(msg)
//
// # Claims are atomic
//
// OpenOrchestrator's get_next_queue_element reads the oldest NEW element and
// updates it without a lock or a status check, so two robots can receive the
// same element. Claim, ClaimReference and ClaimBatch pick, change and return
// elements atomically, in the way each dialect allows:
//
//   - PostgreSQL: one WITH claimable AS MATERIALIZED (SELECT id … ORDER BY
//     … LIMIT n FOR UPDATE SKIP LOCKED) UPDATE … WHERE id =
//     ANY(ARRAY(SELECT id FROM claimable)) RETURNING …; concurrent claimers
//     skip each other's rows instead of waiting. (Not WHERE id IN (SELECT …
//     LIMIT n …): PostgreSQL may run such a subquery once per row of a
//     nested loop and claim far more than n.)
//   - SQL Server: one UPDATE of a CTE that selects TOP (n) … WITH (UPDLOCK,
//     READPAST, ROWLOCK) ORDER BY …, with OUTPUT INSERTED.… (UPDATE TOP (n)
//     cannot be ordered). READPAST needs the READ COMMITTED (with or without
//     READ_COMMITTED_SNAPSHOT) or REPEATABLE READ isolation level, SQL
//     Server's default; a SERIALIZABLE session cannot claim. OUTPUT without
//     INTO is refused on a table with enabled triggers, so the Queues table
//     must not have any.
//   - MySQL/MariaDB (no UPDATE … RETURNING): SELECT … FOR UPDATE SKIP LOCKED
//     and an UPDATE of those ids in one transaction.
//   - SQLite: one UPDATE … RETURNING; SQLite has one writer at a time and a
//     writing statement holds the write lock from its start.
//
// Elements come out oldest first by (created_date, id), and ClaimBatch
// returns them in that order. EnqueueBatch stamps its i-th element
// created_date = start + i µs, so the elements of one batch come out in
// input order on every dialect — an order that cannot rest on the ids,
// which SQL Server sorts by their random last bytes. A batch of n elements
// thus spans n µs of created_date; batches enqueued at the same moment may
// interleave. ClaimBatch takes at most MaxClaimBatch (1000) elements.
//
// # Finishing, forcing, stale work
//
// Finish and FinishBatch change only IN_PROGRESS elements (a conditional
// UPDATE; anything else is store.ErrConflict). FinishClaimed also requires
// the element's start_date to be the one its claim set, so a worker whose
// lease ran out cannot finish an element another worker has taken over.
// ForceStatus is
// OpenOrchestrator's any-to-any set_queue_element_status, kept as a separate,
// explicitly named operation for administrators. RequeueStale and FailStale
// recover elements whose worker died, in one statement each; WithLease makes
// claims take such elements over by themselves, using start_date as the
// lease's start, so the table keeps its shape (finish those with
// FinishClaimed).
//
// # Sessions
//
// WithTx binds the store to a *store.Session: an enqueue, a claim or a finish
// then commits (or rolls back) with the caller's other writes.
//
// # Limits
//
// Values longer than their columns (data 2000, message 1000, reference 100,
// queue_name 100, created_by 100 characters; UTF-16 code units on SQL
// Server's NVARCHAR) are refused with store.ErrTooLong before anything is
// written. A finishing message is cut to fit only when the Result says
// TruncateMessage.
//
// # Schema additions
//
// Migration 0020 replaces the reference schema's (queue_name, status,
// created_date) index with ix_Queues_queue_name_status_created_date_id on
// (queue_name, status, created_date, id), which serves the claim's ORDER BY
// directly. No column is added.
//
// # Speed
//
// Every write binds parameters on the database/sql executor
// (store.Handle.Raw) instead of letting bun inline every value; reads use
// bun, except Counts. On SQLite the queue stores of one *store.DB take
// turns for writes on a channel instead of in SQLite's busy handler, which
// sleeps in millisecond steps while the write lock is taken (see
// writeTurn): with 16 workers that doubles throughput. EnqueueBatch writes
// as many rows per INSERT as the dialect's parameter limit allows (on SQL
// Server bun inlines the values, 1000 rows per statement, the VALUES
// list's limit). See bench_test.go and examples/queueworker for
// measurements against the raw driver.
package queue
