// Package pipeline persists ContainerOps V1 ("pilotage") CI/CD workflows:
// their definitions, their runs with per-workflow run numbers, and the
// events, outcomes, variables and timers around them — on the 18 tables of
// the reference schema, with their exact names (serivce_definition and the
// "vaule" column included), on SQLite, PostgreSQL, SQL Server and
// MySQL/MariaDB.
//
//	ps, err := pipeline.New(db)            // a Store; ps.WithTx(session) joins a transaction
//	def, _ := ps.CreateWorkflow(ctx, spec) // workflow + stages + actions + vars, one transaction
//	run, _ := ps.StartRun(ctx, def.Workflow.ID, pipeline.StartOptions{})
//	_ = ps.Transition(ctx, pipeline.LevelAction, run.Stages[1].Actions[0].ID, pipeline.RunDoing, "")
//	for r, err := range ps.AllRuns(ctx, pipeline.RunFilter{Namespace: "acme", Repository: "shop", Workflow: "deploy"}) { … }
//
// The package follows flowstore's store pattern (see package store): Store
// is an interface holding every operation (Definitions, Runs and Timers
// group them), New makes the bun-backed implementation without I/O, and
// WithTx binds it to a session so that its writes commit with the
// caller's. Its long-running part, TimerRunner, has flowstore's one
// lifecycle.
//
// # Definitions and runs
//
// Definition tables (workflow, stage, action, workflow_var, timer,
// event_definition, component, service, serivce_definition, user_setting)
// describe what can run. Each workflow version is its own workflow row: same
// namespace/repository/name, VersionCode = the highest code of that name
// plus one, State as the caller gives it (the zero value, StateDisabled, is
// pilotage's default for a new version: disabled until SetState enables
// it); "latest runnable" is the highest id in state 1. Concurrent creators
// of one name are serialised by the dialect's transaction-scoped name lock
// (store.Dialect.LockName: an advisory lock on PostgreSQL, an applock on SQL
// Server, a locked flowstore_locks row on MySQL, the single writer on
// SQLite) on flowstore.pipeline.version.<hash of namespace, repository and
// name>, so version codes never repeat. SetUserSetting locks its
// namespace/repository the same way.
//
// StartRun copies a version into the run tables — workflow_log, stage_log,
// action_log, workflow_var_log — as pilotage's GenerateNewLog did: from_*
// columns point back at the definitions, workflow/stage in the log tables
// point at the run's own log rows, sequence is the run number repeated in
// every row, and stage_log.pre_stage chains the run's stages (-1 for the
// first). A workflow_sequence row records each number handed out.
//
// # Run numbers and instance limits
//
// pilotage numbered runs by COUNT under an in-process mutex, so two
// processes could hand out the same number. Here StartRun begins with one
// conditional UPDATE of the workflow row:
//
//	UPDATE workflow SET last_sequence = COALESCE(last_sequence,0)+1,
//	                    current_instance = COALESCE(current_instance,0)+1
//	WHERE id = ? AND state = 1 AND deleted_at IS NULL
//	  AND (NOT is_limit_instance OR current_instance < limit_instance)
//
// The row lock it takes serialises concurrent starts of that version on
// every dialect, and the copies are written in the same transaction, so
// sequences are unique and gapless however many processes start runs, and
// current_instance counts exactly the runs not yet ended: it is decremented
// by the Transition that ends a workflow run (Success or Failed), in the same
// transaction, or by deleting (SoftDelete, HardDelete) the workflow_log row
// of a run that had not ended — pilotage let users delete a live run, and
// its instance must not stay taken. Deleting a run leaves its state as it
// was; a later Transition of it is store.ErrNotFound. A full workflow
// refuses with *InstanceLimitError
// (errors.Is ErrInstanceLimit and store.ErrConflict), a disabled one with
// ErrDisabled; nothing is written then (pilotage wrote a failed log with
// NO_ROOM_FOR_RUN_INSTANCE instead).
//
// # Run states, authorisation, events, outcomes, variables
//
// run_state codes are pilotage's: 0 CanListen, 1 WaitToStart, 2 Doing,
// 3 RunSuccess, 4 RunFailed. Transition is a conditional UPDATE naming the
// states a change may start from (→1 from 0; →2 from 0/1; →3 from 2; →4 from
// 0/1/2); terminal states are final and a refused change is a
// *TransitionError. fail_reason takes the reference's strings
// (WORKFLOW_RUN_SUCCESS, ACTION_RUN_FAILED, …). requires / auth_list are
// JSON lists: Authorize moves one {type, token} from requires to auth_list
// with the authoriser and time, and Doing is refused with ErrNotAuthorized
// while requires is not empty (NULL, blank text, [] and JSON null all mean
// no requirements). Authorize and SetRunVar read the row with a
// locking read (FOR UPDATE; UPDLOCK on SQL Server) and write it back in one
// transaction, naming the text they read, so racing writers never drop each
// other's entries.
//
// Events (event) record received callbacks with headers, payload and
// authorization against the run's log ids; their type, source and character
// must be codes of their kind (type 0/1, source 2/3, character 4/5), as on
// event definitions. Outcomes (outcome) record action results; the start and
// end of a run are outcomes of the start and end stage with action,
// real_action and event 0 and -1, as in pilotage (the event that started the
// run is workflow_log.event). SetRunVar changes a run variable and appends
// {user, time, action} to its change_log in one UPDATE.
//
// History: ListRuns returns the newest runs of (namespace, repository,
// workflow[, version]), RunFilter.Limit of them (0: store.DefaultLimit);
// AllRuns streams all of them, newest first, in keyset pages. GetRun returns
// one by sequence (0 = latest) with its stages, actions, variables, outcomes
// and events. The other lists (versions of one workflow, its variables and
// timers, a namespace's components and services, an action's event
// definitions, a run's outcomes) are short by nature and return slices.
//
// # Soft delete
//
// Every table with deleted_at is soft-deleted the GORM way: reads and
// updates skip rows with deleted_at set (bun's soft_delete tag), SoftDelete
// and DeleteWorkflow set deleted_at from the store clock, HardDelete removes
// rows for good. workflow_var_log and event_json have no deleted_at.
// SetVars replaces a version's variables by hard delete and reinsert, as
// pilotage did.
//
// # Timers
//
// pilotage kept cron schedules in memory, so every process fired every timer
// and a restart lost them. CreateTimer validates the expression with
// trigger.ParseCron and stores the next fire time; FireDueTimers claims
// each due occurrence with a conditional UPDATE that moves next_run past now
// and starts the run in the same transaction, so each occurrence fires once
// across processes. A TimerRunner calls FireDueTimers every poll interval:
//
//	r, err := pipeline.NewTimerRunner(db, pipeline.WithPollInterval(10*time.Second),
//		pipeline.WithOnFire(func(f pipeline.Firing) { … }))
//	err = r.Run(ctx) // until ctx ends; nil then
//
// Run as many runners as you like, in one process or many. A start the
// workflow refuses (disabled, full) uses up the occurrence and is reported
// in the Firing. An expression that parses but never fires ("0 0 30 2 *")
// is ErrNeverFires for CreateTimer and SetTimerAvailable; FireDueTimers
// switches off (available false, next_run NULL) such timers that older
// code or other systems stored, instead of firing them.
//
// # Extra columns, indexes and tables (migrations 0060–0063, 0071)
//
//   - workflow.last_sequence BIGINT NULL — the run-number counter, backfilled
//     from MAX(workflow_log.sequence) by the migration; a workflow whose
//     counter is still NULL (rows written later by pilotage or an import)
//     continues after its highest workflow_log sequence on its next start;
//   - timer.next_run (timestamp) NULL — when the timer fires next, UTC; NULL
//     for timers pilotage created (scheduled on the next FireDueTimers);
//   - indexes idx_timer_next_run, idx_workflow_log_from_workflow_sequence,
//     idx_stage_log_workflow, idx_action_log_workflow, idx_outcome_workflow,
//     idx_event_workflow, idx_workflow_var_log_workflow for run history;
//   - index idx_workflow_log_namespace_repository_workflow (migration 0062)
//     for ListRuns and GetRun;
//   - index idx_workflow_log_run_state_id on (run_state, id) (migration
//     0071): the dashboard's newest running runs;
//   - workflow_log.start_key VARCHAR(255) NULL with the unique index
//     ux_workflow_log_from_workflow_start_key (migration 0063) — the caller's
//     StartOptions.Key, so a retried StartRun finds the run its first
//     attempt started; NULL for runs started without a key;
//   - table flowstore_locks (name VARCHAR(255) primary key; migration 0061,
//     MySQL/MariaDB only): one row per lock name, which the dialect layer's
//     name lock uses on MySQL (it has no transaction-scoped named lock); this
//     package's names are those of CreateWorkflow's version codes and
//     SetUserSetting. The other dialects need no table.
//
// A pilotage process writing to the same database would not move
// last_sequence; run pilotage or this package against one database, not
// both at once.
//
// # Dialect notes
//
// Statements are built from the dialect layer (package store), never from
// the dialect's name: the name lock above, locking reads (FOR UPDATE, or
// UPDLOCK table hints on SQL Server, none under SQLite's immediate
// transactions), and length checks, which count what the column counts —
// characters, or UTF-16 code units in SQL Server's NVARCHAR — and refuse an
// over-long value with store.ErrTooLong before anything is written.
//
// On PostgreSQL the advisory-lock key of a name is now the dialect layer's
// hash of the whole lock name, not the hash of its parts earlier releases
// used (SQL Server and MySQL lock the same names as before): do not create
// versions of one workflow from an earlier release and this one at once.
//
// # Errors
//
// Errors wrap the store's sentinels (and this package's: ErrInstanceLimit,
// ErrDisabled, ErrNotAuthorized, ErrNeverFires, *InstanceLimitError,
// *TransitionError), so errors.Is and errors.As tell them apart. Each
// method says "pipeline: <operation> <subject>: " once, followed by the
// sentinel and its detail: "pipeline: start run of workflow 7: conflict:
// workflow version is disabled: acme/shop/deploy version 2".
package pipeline
