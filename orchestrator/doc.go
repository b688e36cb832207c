// Package orchestrator persists WFO (SURF orchestrator-core) workflows and
// runs them with an Engine whose every step is one database transaction.
//
// # Models and the Store
//
// The models map WFO's tables exactly: WorkflowRow (workflows,
// soft-deleted through deleted_at), Process (processes), ProcessStep
// (process_steps), InputState (input_states) and EngineSettings
// (engine_settings), plus EngineInstance for flowstore's engine_instances.
// Statuses are stored as WFO stores them (lower case: "running",
// "success", …).
//
// Store holds every operation on them that needs no running engine:
// workflows, processes, their steps and inputs, and the operations tools
// such as flowctl run on processes engines elsewhere execute —
// ResumeProcess, ResumeAllTasks, AbortProcess, DeleteProcess — and on the
// engines' settings — Lock, Unlock, EngineStatus, PruneInstances. New
// makes it; it does no I/O. WithTx binds it to a store.Session, so its
// writes commit with the session's other work:
//
//	st, err := orchestrator.New(db)
//	…
//	err = st.ResumeProcess(ctx, pid, orchestrator.State{"approved_by": "alice"})
//
// Processes lists one page, newest first: at most ProcessFilter.Limit
// rows, store.DefaultLimit when Limit is 0. AllProcesses streams them all
// in keyset pages.
//
// # Running workflows
//
// NewEngine makes an engine (it does no I/O); Register makes a Workflow
// (named steps, each a StepFunc) runnable and saves its workflows row;
// Start creates a process (status created plus its initial input_states
// row, one transaction). Run registers the engine and works until its
// context ends: it renews its lease, polls for processes any engine may
// take (new, resumed, or left by a dead engine) and executes them.
// RunProcess executes one process now, in the caller's goroutine, until it
// completes, suspends, waits, fails, aborts or meets the global lock;
// Resume records a stopped process's user input and runs it again;
// RecoverOnce runs what a poll would take now. These three need Run
// running, since every step is fenced on the engine's registration; they
// wait for it up to the query timeout and otherwise fail with
// ErrNotRunning:
//
//	e, err := orchestrator.NewEngine(db, orchestrator.WithName("engine-1"))
//	…
//	if err := e.Register(ctx, wf); err != nil { … }
//	go func() { done <- e.Run(ctx) }() // until ctx ends
//	pid, err := e.Start(ctx, wf.Name, orchestrator.State{"port": 7})
//
// When Run's context ends, the engine takes no new work, lets each running
// process finish its current step (at most WithStopTimeout, then the step
// is cancelled and rolls back), leaves the processes running and unowned
// at that step boundary, removes its engine_instances row and returns. The
// options are WithLease, WithPollInterval, WithMaxConcurrent, WithName,
// WithCreatedBy, WithStopTimeout, WithQueryTimeout and WithLogger; every
// query the engine runs in the background is bounded by the query timeout
// (steps are bounded by their own code). flowctl's "processes" and
// "engine" commands wrap the Store's operations.
//
// # Steps are transactions
//
// WFO commits a step's own writes and then, in a second transaction, its
// step log; a crash in between re-runs the step on resume. Here a step runs
// like this, on one store.Session:
//
//  1. begin; read engine_settings.global_lock — if locked, roll back and
//     pause the process at this boundary (it stays running; its engine lets
//     go of it). Where the dialect's UPDATE can return a subquery
//     (PostgreSQL, SQLite: store.FeatureReturning) the previous step's
//     final UPDATE already read it, just before that step committed, which
//     spares a statement and still reads the lock after one step and
//     before the next, as WFO does;
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
// move a process into or out of running (claim, a stopping step,
// AbortProcess, DeleteProcess, Unlock), so it always equals the number of running processes and
// its CHECK (>= 0) holds — WFO's counter drifted because it did not. Lock
// sets global_lock; processes stop at their next step boundary. Unlock
// clears it and, in the same transaction, marks the paused processes
// resumed (and takes them off the counter); running engines take them.
// While locked, RunProcess and Resume refuse with store.ErrLocked before
// writing anything, and engines take nothing. EngineStatus computes
// RUNNING, PAUSING (locked, some running process still owned by an engine
// whose lease is valid) or PAUSED (a process left by a dead engine executes
// nothing).
//
// # Several engines, crashes
//
// While Run runs, the engine has a row in engine_instances and renews its
// lease (expires_at) by a heartbeat. It takes a process with a conditional
// update (created/resumed → running, or a running process whose owner's
// lease expired or who let go) that writes processes.engine_instance_id;
// each step commit is fenced on it, and the unique index on (pid, seq)
// fences the step rows too. So a process is executed by at most one engine
// at a time, and a process left running by a killed engine is resumed by
// another exactly from its last committed step once the dead engine's
// lease expires (an engine that stops removes its row, which ends the
// lease at once). An engine that stops executing a process on an error of
// its own (a database error, its context ending, Run stopping) lets go of
// it at once: the process stays running, unowned, for any engine to
// continue. Each engine writes and compares leases with its own store
// clock, so clock skew between the engines' hosts eats into the lease: an
// engine whose clock runs ahead of another's by skew sees that engine's
// lease end skew early, and the other's lease was last renewed up to a
// heartbeat (a third of the lease) ago. The tolerated skew is therefore
// two thirds of the lease: the default 15 s tolerates 10 s; for ±30 s
// between hosts use WithLease(50*time.Second) or more. Beyond it a live
// engine's processes are taken over (its next step commit is refused by
// the fence, so no step runs twice, but work is interrupted).
// internal/faults' TestClockSkew checks both sides of this rule.
//
// # Dialects
//
// The statements are built once per store from the dialect layer
// (store.Dialect): quoting, placeholders, boolean literals, and the
// RETURNING form of the step's final UPDATE where the dialect has it.
// Lengths are checked before writing in the dialect's text units — UTF-16
// code units on SQL Server, whose columns are NVARCHAR — and the
// failed_reason and traceback cuts count the same units: assignee (50),
// step names (processes.last_step, 255), created_by (255), the engine's
// name (64) and workflow names (a unique key: 450 on MySQL and SQL Server).
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
// Migration 0071 (the dashboard's indexes) adds ix_processes_started_at_pid
// on (started_at DESC, pid) and ix_processes_last_status_started_at_pid on
// (last_status, started_at DESC, pid): Processes and AllProcesses list newest
// first, ties by pid, and these serve that order (all processes, or one
// status) without sorting the table.
//
// Rows WFO itself wrote (seq NULL) sort first, by executed_at.
package orchestrator
