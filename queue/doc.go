// Package queue implements work queues on OpenOrchestrator's Queues table,
// so that OpenOrchestrator robots and Go workers can share one table: same
// columns, same stored statuses (NEW, IN_PROGRESS, DONE, FAILED, ABANDONED),
// same meaning of start_date (set when a worker takes an element), end_date
// (set when it finishes) and message.
//
//	q, err := queue.New(db) // or queue.New(db, queue.WithLease(10*time.Minute))
//	q.Enqueue(ctx, "invoices", queue.NewElement{Reference: "INV-1", Data: `{"amount":12}`})
//	e, err := q.Claim(ctx, "invoices")        // oldest NEW element, now IN_PROGRESS
//	if errors.Is(err, queue.ErrEmpty) { … }  // nothing to do
//	err = q.Finish(ctx, e.ID, queue.Done("")) // or queue.Failed(msg), queue.Abandoned(msg)
//
// # The store
//
// Element is a row of the Queues table, NewElement what Enqueue and
// EnqueueBatch (a slice of them) need to create one, Result how a worker
// finishes one. Store holds every operation; New returns the bun-backed
// implementation for a *store.DB after checking its options (WithLease),
// without touching the database, and WithTx binds it to a session. Code
// that uses a queue holds the Store interface, as store's package
// documentation describes for every store of flowstore.
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
//     nested loop and claim far more than n.) A plain claim names its queue
//     as queue_name >= $1 AND queue_name <= $1 and orders by queue_name
//     first: bound by "=", the planner drops the column from the order and
//     may read created_date's index past every element claimed before
//     (store.Claim's Partition).
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
// The dialect layer (store.Dialect.Claim) writes each of these forms; this
// package gives it the predicate, the order and the assignment.
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
// # Worker
//
// NewWorker and Worker.Run are the worker loop done once: a Handler runs for
// each element of one or more queues, at most WithConcurrency (100) at a
// time, until Run's context ends.
//
//	w, err := queue.NewWorker(q, []string{"invoices"}, func(ctx context.Context, e queue.Element) error {
//		return pay(ctx, e.Data) // nil: DONE; an error or a panic: FAILED with its text
//	}, queue.WithConcurrency(16), queue.WithRetry(5, nil)) // WithRetry is optional
//	err = w.Run(ctx)
//
// Claims. The Worker claims as many elements as it has free slots, with
// one ClaimBatch per queue (through the store it was given, so observers
// see them), and claims again as soon as slots come free. While claims
// fill what they ask for, it keeps two under way, each for up to half the
// slots, so that one claim's round trip and commit overlap the other's
// (one at a time on SQLite, which admits one writer); an idle Worker
// claims one at a time. When a claim
// finds nothing it waits: an enqueue through any queue store of the same
// *store.DB wakes it at once (every dialect; this is the push path on
// SQLite); on PostgreSQL every enqueue statement also runs pg_notify in
// the enqueueing transaction — the notification goes out when it commits,
// never for one rolled back — and the Worker LISTENs on one connection it
// takes from the pool for as long as Run runs, so enqueues of other
// processes wake it too. Otherwise it polls, every WithPollInterval (1 s)
// at most: after an empty claim the pause starts at a 40th of it and
// doubles. While the LISTEN connection is up the pause is five times the
// interval, a safety net: an idle Worker sends one claim per queue every
// 5 s; when the connection drops the Worker polls and reconnects with a
// growing pause.
//
// Leases. A running element's lease is extended every third of the lease
// (the store's WithLease, or WithWorkerLease, default 5 min, for a store
// without one): its start_date moves to now, in an UPDATE fenced by the
// start_date the Worker holds. While a Worker runs an element, start_date
// is thus the start of its current lease rather than of its first claim.
// An extension that changes no row means another claim (or ForceStatus)
// has the element now: the handler's context is cancelled with cause
// ErrLeaseLost and nothing is written for it; so is one whose extensions
// failed for a whole lease. On a store without WithLease the Worker also
// requeues (RequeueStale) its queues' elements whose lease ran out, every
// half lease. Leases compare start_date, written by each process's store
// clock, with the claimer's clock: they tolerate clock skew between hosts
// well below the lease minus a third of it.
//
// Results. A handler's result is written in the background by the
// Worker's completer, in batches: results that arrive while one batch is
// written make up the next, so under load one UPDATE finishes many
// elements and an idle Worker writes each at once; two batches are
// written at once (one on SQLite). DONE results are
// grouped by their claim's start_date (one ClaimBatch's elements share
// it) and each group is finished by one UPDATE fenced by it, as
// FinishClaimed fences one element; FAILED results are written one by one
// with FinishClaimed, the message being the error's text (a panic's with
// its stack) cut to fit. WithHandlerTimeout bounds each call; the
// handler's context then ends and its error is recorded.
//
// Durability. An element's DONE (or FAILED) is durable once the
// completer's statement for it has committed, shortly after the handler
// returned — not when it returns. Run returns only after every buffered
// result is written. When the process dies first, its buffered results
// are lost, not their elements: those stay IN_PROGRESS, their lease runs
// out, and another claim hands them out again, so the handler runs again
// (at least once per element). An element is never finished twice: every
// finish is fenced by the claim, so the dead process's late writes (a
// statement the database was still carrying out) and the new claim's
// exclude each other. A handler whose own writes must happen exactly once
// makes them with CompleteTx, in the transaction that finishes the
// element: work and DONE commit together or not at all, and a redone
// element finds its work undone.
//
// Stopping. When Run's context ends the Worker claims no more, lets the
// running handlers finish for WithStopTimeout (30 s) while extending
// their leases, then cancels their contexts; an element whose handler then
// returns an error is left IN_PROGRESS for lease recovery, one whose
// handler returns nil is DONE. Run returns nil once the results are
// written.
//
// Worker.Stats counts its claims, the results written or dropped and the
// lease extensions. Claims go through the store NewWorker was given, so
// its observers (WithObserver) see them, and the Worker tells them of the
// finishes it writes (the completer's batches, FAILEDs, CompleteTx).
//
// Retries. Without WithRetry a failing element is FAILED, as
// OpenOrchestrator marks it, and the retry columns (attempts, retry_at;
// see Schema additions) stay NULL; re-enqueue it (or ForceStatus it NEW)
// to try again. WithRetry(maxAttempts, backoff) retries instead: the
// failure is written by one UPDATE fenced by the claim, as any FAILED is,
// which also sets attempts (the failures so far; NULL counts as 0) and,
// while fewer than maxAttempts runs have failed, retry_at = now +
// backoff(attempts) (RetryBackoff by default: 1 s doubling to 1 h, with
// jitter). The element waits as FAILED — OpenOrchestrator's robots, which
// claim NEW elements only, leave it alone, and the claim statement is the
// same as without retries — until the Worker sets it back to NEW with
// RetryDue: one conditional UPDATE of the queue's FAILED elements whose
// retry_at has passed, which clears start_date, end_date and retry_at and
// keeps attempts and the last message. The maxAttempts-th failure is
// final: FAILED with retry_at NULL. The Worker runs RetryDue on its
// queues when a retry it wrote is due and, for retries that other (or
// dead) processes wrote, when Run starts and every five poll intervals:
// an idle retrying Worker sends one more statement per queue every 5 s by
// default. An element set back to NEW wakes the Workers of the same
// *store.DB at once; those of other processes find it at their next poll.
// A retry never runs an element twice at once: only the claim's holder
// can write its FAILED and retry_at (the fence), RetryDue changes only
// FAILED elements (two sweeps at once move each element once), and the
// element is handed out again by the usual atomic claim. An attempt is a
// failure written: an element whose process died, whose lease was lost
// or that the stop cut off comes back through lease recovery without
// counting one. ForceStatus cancels a waiting retry (it clears retry_at);
// Counts, List and Prune see a waiting element as FAILED. A claimed
// Element carries both columns, so a handler knows how many runs of its
// element failed before (Attempts).
//
// # Lists
//
// List returns one page of the elements a Filter selects (Limit 0 means
// store.DefaultLimit, 100, OpenOrchestrator's page size), with an optional
// total. All streams every element the filter selects as an iter.Seq2,
// a page per query, each continuing after the last element of the one
// before (keyset paging on the order column and the id), so a long queue
// costs neither memory nor a growing OFFSET. Where the order column is
// nullable, All puts elements without a value first in ascending order on
// every dialect; List leaves that to the dialect.
//
// # Errors
//
// Every error names the package and the operation once ("queue: finish
// 0192…: conflict: element is DONE, not IN_PROGRESS") and wraps a store
// sentinel: ErrEmpty (store.ErrNotFound) for an empty queue, ErrNotFound,
// ErrConflict, ErrTooLong, ErrInvalid, or a classified driver error.
//
// # Limits
//
// Values longer than their columns (data 2000, message 1000, reference 100,
// queue_name 100, created_by 100) are refused with store.ErrTooLong before
// anything is written, counted as the dialect counts (store.Dialect's
// CheckText: characters, or UTF-16 code units on SQL Server's NVARCHAR). A
// finishing message is cut to fit only when the Result says
// TruncateMessage, never inside a character.
//
// # Schema additions
//
// Migration 0020 replaces the reference schema's (queue_name, status,
// created_date) index with ix_Queues_queue_name_status_created_date_id on
// (queue_name, status, created_date, id), which serves the claim's ORDER BY
// directly.
//
// Migration 0021 adds idempotency_key VARCHAR(100) NULL with a unique index
// on (queue_name, idempotency_key) over keyed rows only: NewElement.Key, a
// caller-chosen key, so that an Enqueue retried after an unknown outcome
// (a deadline, a lost connection, store.ErrCommitUnknown) returns the
// element the first attempt added instead of adding a second. The column
// is NULL for elements enqueued without a key and for every row
// OpenOrchestrator writes.
//
// Migration 0022 adds attempts INT NULL and retry_at (a naive timestamp,
// like the table's other times) NULL for a Worker's retries
// (Element.Attempts, Element.RetryAt; see Worker, Retries): the failed
// runs of an element and when a FAILED element goes back to NEW. Both are
// NULL for every row OpenOrchestrator writes and for every element a
// Worker without WithRetry fails, and NULL means no retry. The index
// ix_Queues_queue_name_retry_at on (queue_name, retry_at) serves RetryDue;
// it covers rows with a retry_at only (except on MySQL, which has no
// partial indexes), and claims and finishes, which leave both columns
// alone, do not touch it.
//
// Migration 0071 (the dashboard's indexes) adds
// ix_Queues_reference_created_date_id on (reference, created_date, id), for
// one reference's elements newest first, and
// ix_Queues_queue_name_status_end_date on (queue_name, status, end_date),
// for a capped count of the work done per queue in the last hour.
//
// Migration 0072 adds, on PostgreSQL only, ix_Queues_claim_new on
// (queue_name, created_date, id) WHERE status = 'NEW': exactly the rows a
// claim without a lease reads, in its order, so its plan needs no filter,
// no sort and no statistics (a generic plan had picked the reference
// schema's created_date index and filtered out every claimed element).
// Claims and finishes never make a row NEW, so they write nothing to it.
// The other dialects' 0072 changes nothing (see the files for why).
//
// Migration 0073 makes ix_Queues_queue_name_status_end_date partial, over
// rows with an end_date (not on MySQL, which has no partial indexes): a
// claim leaves end_date NULL and so writes one index fewer; the reads it
// serves all compare end_date. Migration 0074 does the same for
// ix_Queues_reference_created_date_id, over rows with a reference: on
// PostgreSQL a claim or finish of an element without one writes one index
// fewer again; the reads it serves all compare reference with =.
//
// # Speed
//
// Every write binds parameters on the database/sql executor
// (store.Handle.Raw) instead of letting bun inline every value; reads use
// bun, except Counts. On SQLite the writers of one *store.DB take turns in
// the DB itself (see package store), so queue workers queue for the write
// lock instead of sleeping in SQLite's busy handler. EnqueueBatch writes as
// many rows per INSERT as the dialect's parameter limit allows; where
// binding would allow fewer rows than one VALUES list may hold (SQL Server:
// 2100 parameters, 350 rows, against 1000 rows) bun inlines the values
// instead. See bench_test.go and examples/queueworker for measurements
// against the raw driver (internal/rawqueue).
package queue
