// Package orchestrator persists WFO (SURF orchestrator-core) workflows and
// runs them with an Engine whose every step is one database transaction.
//
// # Tables
//
// The models map WFO's tables exactly: workflows (soft-deleted through
// deleted_at), processes, process_steps, input_states and engine_settings.
// Statuses are stored as WFO stores them (lower case: "running", "success",
// …). Store/BunStore reads and writes them on any flowstore dialect; bind it
// to a session with WithTx.
//
// # Running workflows
//
// NewEngine registers an engine instance; Register makes a Workflow (named
// steps, each a StepFunc) runnable and saves its workflows row; Start
// creates a process (status created plus its initial input_states row, one
// transaction); Run executes it until it completes, suspends, waits, fails,
// aborts or meets the global lock; Serve does the same for every process any
// engine may take (new, resumed, or left by a dead engine). Resume (or
// ResumeProcess, without an engine) gives a stopped process its user input;
// Abort/AbortProcess ends it; Delete removes a task; ResumeAllTasks retries
// failed and waiting tasks; Lock, Unlock and EngineStatus drive the global
// lock. flowctl's "processes" and "engine" commands wrap them.
//
// # Steps are transactions
//
// WFO commits a step's own writes and then, in a second transaction, its
// step log; a crash in between re-runs the step on resume. Here a step runs
// like this, on one store.Session:
//
//  1. begin; read engine_settings.global_lock — if locked, roll back and
//     pause the process at this boundary (it stays running; its engine lets
//     go of it). On PostgreSQL the previous step's final UPDATE already read
//     it (RETURNING), just before that step committed, which spares a round
//     trip and still reads the lock after one step and before the next, as
//     WFO does;
//  2. suppress commit (Session.Suppress) and run the StepFunc inside a
//     savepoint of the session: a step calling Commit only logs a warning;
//     an error or panic — or a Fail or Wait result — rolls back to the
//     savepoint, so the step's writes vanish and the failure is recorded in
//     the same transaction; the step runs again from the start when the
//     process is resumed, and its writes then exist once. Other results
//     keep the writes: a step that suspends or awaits a callback commits
//     them with its row and still runs again on resume, so it should write
//     only once its input is there (see Suspend). (Unlike
//     Session.Savepoint the engine does not RELEASE the savepoint after a
//     successful step — the commit that follows ends it — which saves a
//     round trip per step);
//  3. insert the process_steps row — or, when a failed/waiting step fails
//     again identically (same name, status, user, error and details), fold
//     into the previous row: its state gets retries = n+1 and a completed_at
//     history, as WFO does;
//  4. update processes: last_step, last_status (mapped from the step status:
//     success/skipped → running, suspend → suspended, waiting → waiting,
//     awaiting_callback → awaiting_callback, abort → aborted, failed →
//     failed, or for tasks inconsistent_data/api_unavailable when the error
//     wraps ErrInconsistentData/ErrAPIUnavailable, complete → completed),
//     failed_reason (its first 10,000 characters) and traceback (its last
//     50,000 characters) — the only truncation, the one WFO documents. The
//     UPDATE names the expected status (running) and owner; if another
//     engine, an Abort or an Unlock changed either, the whole step rolls back
//     and this engine stops executing the process;
//  5. when the process leaves running, running_processes - 1;
//  6. commit once.
//
// So a step's domain writes, its queue enqueues and its step row exist
// together or not at all.
//
// # Resume positions
//
// Steps are ordered by process_steps.seq (1, 2, …), not by timestamps.
// Resuming follows WFO's _recoverwf: rows other than failed, suspend,
// waiting and awaiting_callback are cleared; the process continues at the
// step after the cleared ones, with the last cleared row's state — or, when
// the last row suspended or awaits a callback, with that row's state merged
// with the input of the resume that followed, and that step runs again (see
// InputStep and UserInput). Every resume records its input as an
// input_states row ({} without input), dated no earlier than the process's
// newest step row and after its newest input row; the engine takes the
// newest user_input row recorded at or after the suspend row, so a step
// never gets an older resume's input. As in WFO, resuming a failed or
// waiting process records its input but does not merge it: the step is
// retried as it was. Resume goes through status resumed by a conditional
// update, so a double resume gets store.ErrConflict.
//
// # The counter and the lock
//
// engine_settings.running_processes changes only in the transactions that
// move a process into or out of running (claim, a stopping step, Abort,
// Delete, Unlock), so it always equals the number of running processes and
// its CHECK (>= 0) holds — WFO's counter drifted because it did not. Lock
// sets global_lock; processes stop at their next step boundary. Unlock
// clears it and, in the same transaction, marks the paused processes
// resumed (and takes them off the counter); engines running Serve take them.
// While locked, Run and Resume refuse with store.ErrLocked before writing
// anything, and Serve takes nothing. EngineStatus computes RUNNING, PAUSING
// (locked, some running process still owned by an engine whose lease is
// valid) or PAUSED (a process left by a dead engine executes nothing).
//
// # Several engines, crashes
//
// Each Engine registers a row in engine_instances and renews its lease
// (expires_at) by a heartbeat. It takes a process with a conditional update
// (created/resumed → running, or a running process whose owner's lease
// expired or who let go) that writes processes.engine_instance_id; each step
// commit is fenced on it, and the unique index on (pid, seq) fences the step
// rows too. So a process is executed by at most one engine at a time, and a
// process left running by a killed engine is resumed by another exactly from
// its last committed step once the dead engine's lease expires (Close ends
// the lease at once). An engine that stops executing a process on an error
// of its own (a database error, its context ending) lets go of it at once:
// the process stays running, unowned, for any engine to continue.
//
// # What flowstore adds to WFO's schema (migration 0050)
//
//   - process_steps.seq (BIGINT NULL) and the unique index
//     ux_process_steps_pid_seq on (pid, seq) (filtered WHERE seq IS NOT NULL on
//     SQL Server): the explicit step order and a fence;
//   - processes.engine_instance_id (VARCHAR(64) NULL) with an index: the engine
//     instance executing a running process;
//   - table engine_instances (instance_id PK, hostname, os_pid, started_at,
//     heartbeat_at, expires_at): live engines and their leases.
//
// Rows WFO itself wrote (seq NULL) sort first, by executed_at.
package orchestrator
