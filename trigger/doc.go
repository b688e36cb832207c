// Package trigger persists OpenOrchestrator's triggers and runs them with a
// leaderless, embeddable Scheduler.
//
// # Tables
//
// A trigger is a row of Triggers (name, process, status, type, priority,
// blocking flag, scheduler whitelist, last_run) plus one row of its type's
// table — joined-table inheritance, with Triggers.type as the discriminator:
//
//	SINGLE     Single_Triggers(next_run)                fires once at next_run, then DONE
//	SCHEDULED  Scheduled_Triggers(cron_expr, next_run)  fires at the cron times
//	QUEUE      Queue_Triggers(queue_name, min_batch_size)  fires while the queue (the
//	           Queues table) holds at least min_batch_size NEW elements
//
// Statuses and types are stored as OpenOrchestrator stores them, the
// upper-case enum names (IDLE, RUNNING, FAILED, DONE, PAUSED, PAUSING,
// KILLING, KILLED; SINGLE, SCHEDULED, QUEUE), and scheduler_whitelist as the
// JSON list text its StringList type writes (`["a", "b"]`), so a database is
// shared with OpenOrchestrator both ways. Create writes the parent and the
// child row in one transaction; Delete removes the child, then the parent
// (the schema has no ON DELETE CASCADE). Update changes only the fields a
// Patch names — OpenOrchestrator's UI merges whole rows, which can overwrite
// a status a scheduler changed meanwhile; here it cannot. Update and Delete
// first lock the Triggers row, as Begin does, so that transactions touching
// both rows of a trigger always take them parent first and cannot deadlock.
//
// Schedulers(machine_name, last_update, latest_trigger, latest_trigger_time)
// holds each scheduler's heartbeat and the trigger it started last.
//
// # OpenOrchestrator's conventions
//
// OpenOrchestrator's own scheduler and UI read and write these tables too,
// so they keep its storage conventions (see "Sharing a database with the
// reference systems" in package store):
//
//   - last_run, next_run, Schedulers.last_update and latest_trigger_time are
//     naive wall-clock times in the store's zone (store.WithZone, the DSN's
//     timezone=, by default the process's local zone, as OpenOrchestrator's
//     datetime.now()): written as SQLAlchemy writes them (store.DB.Naive; on
//     SQLite the text "2026-11-22 11:00:00.000000"), compared with the naive
//     wall clock of now — a due check is next_run <= Naive(now), as
//     OpenOrchestrator's is next_run <= datetime.now() — and read back as the
//     instant that wall clock names in the zone (store.DB.FromNaive). The
//     API's times are instants, in UTC. A trigger due in 30 minutes is not
//     due now to either side, and a trigger OpenOrchestrator's UI entered as
//     local 09:00 starts at 09:00 local time.
//   - Ids are SQLAlchemy's Uuid: native on PostgreSQL and SQL Server, 32
//     lower-case hex digits on SQLite and MySQL/MariaDB (store.DB.RefUUID).
//     Every lookup by id — Get, Update, Delete, Begin, the transitions —
//     matches that spelling and the dashed one an earlier flowstore wrote
//     (store.DB.RefUUIDs); a trigger's parent and child rows share one
//     spelling (migration 0070 converts them together), and the joins
//     compare them as stored.
//   - A cron expression without CRON_TZ= is read in the store's zone, as
//     OpenOrchestrator reads it in local time; CRON_TZ= still names its own.
//
// Daylight saving time, with naive storage: next_run is the cron
// expression's next time whose wall clock, in the cron's zone and in the
// store's zone, is after now's (Schedule.Next's rule, applied to both). In
// the repeated hour of autumn nothing starts twice — a wall-clock time fires
// at its first pass, and a cron of another zone (CRON_TZ=UTC) skips the
// times whose wall clock the store's zone already showed, which a naive
// next_run could not tell from the first pass (it would be due at once, to
// every scheduler, OpenOrchestrator's included). In spring a wall-clock time
// that does not exist that day is skipped; a single trigger entered for one
// (02:30 on the night the clock jumps from 02:00 to 03:00) starts at the
// first check after the jump. A single trigger's next_run in the repeated
// hour names two instants: it is due at the first, and reads back as one
// of them.
//
// Heartbeats are compared the same way: a scheduler is stale when its
// last_update is before the naive wall clock of now minus the lease — the
// instant first, then its wall clock. Across a spring-forward that is exact;
// in the repeated hour of autumn a heartbeat can only look younger than it
// is, so a live scheduler is never taken for dead, and a dead one's runs are
// recovered up to the hour the clock fell back later.
//
// # The store
//
// Store holds every operation on these tables; New(db) returns the
// bun-backed one and does no I/O, and WithTx(s) binds it to a
// *store.Session, so a trigger's rows commit with the session's other work:
//
//	triggers, err := trigger.New(db)
//	…
//	t, err := triggers.Create(ctx, trigger.Spec{Type: trigger.Scheduled, Name: "nightly",
//		ProcessName: "report", ProcessPath: "robots/report.py", CronExpr: "0 2 * * *"})
//
// List returns every trigger a filter selects, without a limit: a database
// holds a few triggers per robot process, not a backlog. Due returns the
// first limit due triggers, a limit of 0 meaning store.DefaultLimit as for
// every list of flowstore; the Scheduler reads the whole due set itself.
//
// Errors read "trigger: <operation> <subject>: " and then the store
// sentinel they wrap and its detail — "trigger: create "nightly": value too
// long: process_path is 300 characters, at most 250 fit". Lengths are
// checked before anything is written and counted as the database counts
// them: characters, or on SQL Server, whose columns are NVARCHAR, UTF-16
// code units (a character above U+FFFF takes two). Every text a caller
// supplies — names, paths, arguments, branch, whitelist names, cron
// expression, queue name, scheduler names — goes through the one text rule
// (store.Dialect.CheckText): a NUL or invalid UTF-8 is store.ErrInvalid
// before anything is written, and so is such a value looked up (List's
// process name), instead of coming back altered (U+FFFD) or shortened. The
// whitelist is written as Python's json.dumps writes it (ensure_ascii:
// "røbot" is "r\u00f8bot"), so its length counts the same on every dialect.
// Every method refuses a nil context with store.ErrInvalid.
//
// # Cron expressions
//
// ParseCron is the one parse every cron expression goes through — Create,
// Update, Begin's check of a stored expression, orchestrator/pipeline's
// timers. An expression that parses but matches no time ("0 0 30 2 *", "0 0
// 31 4 *") is ErrNeverFires, which wraps store.ErrInvalid: Create and Update
// refuse it. A row another program wrote with such an expression (or a
// malformed one) is due by its next_run, but Begin refuses it without
// writing anything, and the Scheduler logs it once and goes on to the next
// due trigger; it stays IDLE until someone fixes it.
//
// # Idempotent create
//
// trigger_name is not a key, and this package adds no unique index on it:
// OpenOrchestrator's schema has none, its programs create triggers of one
// name freely (one "nightly" per process), and an index would break them —
// and fail to build on a database that already holds duplicates. The key a
// retried Create cannot duplicate is the primary key instead: a caller that
// may retry sets Spec.ID. A retried Create with the same id and the same
// definition returns the trigger the first made (what runs change — status,
// last_run, a scheduled trigger's next_run — is not compared); another
// definition under that id is store.ErrDuplicate; two Creates racing with
// one id make one trigger.
//
// # What this package adds to the schema (migration 0030; nothing since)
//
//   - Triggers.flowstore_scheduler, VARCHAR(100) NULL: the name of the
//     Scheduler running the trigger (NULL when none is, or when another
//     system, such as OpenOrchestrator's own scheduler, started it). It lets a
//     scheduler find the runs of a peer whose heartbeat went stale, and
//     makes a run's End/Fail owner-bound. OpenOrchestrator ignores it.
//   - Indexes ix_Triggers_flowstore_scheduler, ix_Scheduled_Triggers_next_run
//     and ix_Single_Triggers_next_run, for recovery and for Due.
//
// # Status transitions
//
// Every transition is one conditional UPDATE naming the statuses it accepts;
// a trigger in any other status is left alone and the error wraps
// store.ErrConflict. The rules follow OpenOrchestrator (§1.4 of the reference
// notes):
//
//	Begin   IDLE → RUNNING (only if still due; see below)
//	End     RUNNING → DONE (single) / IDLE (scheduled, queue); PAUSING → PAUSED; KILLING → KILLED
//	Fail    RUNNING, PAUSING → FAILED; KILLING → KILLED
//	Pause   RUNNING → PAUSING; IDLE, FAILED, DONE, KILLED → PAUSED  (PAUSED, PAUSING: no change; KILLING refused)
//	Resume  PAUSED, FAILED, DONE, KILLED → IDLE; PAUSING → RUNNING  (IDLE, RUNNING: no change; KILLING refused)
//	Kill    RUNNING, PAUSING → KILLING; IDLE, PAUSED, FAILED, DONE → KILLED  (KILLING, KILLED: no change)
//
// Four choices differ from OpenOrchestrator, whose Pause sets PAUSED from
// anything but RUNNING, and are deliberate:
//
//   - A single trigger paused while it runs ends PAUSED rather than DONE
//     (the pause the user asked for stays visible).
//   - Resume of a PAUSING trigger withdraws the pause instead of making a
//     running trigger IDLE.
//   - Pause of a KILLING trigger is refused (store.ErrConflict): PAUSED would
//     hide the kill from the scheduler that has to carry it out, and the run
//     would go on.
//   - Pause of a PAUSING trigger changes nothing: the pause is already asked
//     for. PAUSED while the run goes on would hide the run — a Resume would
//     make the trigger IDLE, and startable a second time, while it still
//     runs.
//
// # Exactly-once starts
//
// OpenOrchestrator's begin is a read-check-write, so two schedulers can start
// the same trigger. Begin here is one transaction whose first statement is
// the conditional UPDATE … SET process_status = 'RUNNING' … WHERE id = ? AND
// process_status = 'IDLE'. That statement takes the Triggers row's lock, so
// every competing Begin or End of the trigger waits; only then does Begin
// check, with fresh statements, that the trigger is still due — for a
// scheduled trigger by advancing next_run with UPDATE … WHERE next_run <= now,
// for a queue trigger by counting NEW elements. A competitor that started and
// already ended the same occurrence has moved next_run past now (or drained
// the queue), so the late Begin finds nothing to do and rolls back
// (ErrNotStarted). next_run moves to the cron time after now, so missed runs
// are not replayed (OpenOrchestrator 1.2.0's rule). The checks see the
// competitor's commit because every dialect runs at READ COMMITTED.
//
// The checks rely on READ COMMITTED, at which every flowstore pool runs
// (store.Open sets it on MySQL/MariaDB; store.New refuses a pool at InnoDB's
// REPEATABLE READ, whose first-read snapshot would hide the competitor's
// commit).
//
// # Scheduler
//
// A Scheduler runs a Handler for the triggers it starts. NewScheduler(db,
// handler, options…) validates and does no I/O; WithName is required.
// Run(ctx) works until ctx ends, with the lifecycle every long-running part
// of flowstore shares (see package store):
//
//	s, err := trigger.NewScheduler(db, runRobot, trigger.WithName(host))
//	…
//	err = s.Run(ctx) // returns nil once ctx ended and the runs are recorded
//
// Run first takes its name: in one transaction the name's Schedulers row
// becomes its own, with a fresh heartbeat, and the runs a previous scheduler
// of the name left behind (it crashed and was restarted) are settled as
// WithRecover says. While the name's heartbeat is younger than the lease
// (WithLease, default ten poll intervals) another scheduler of the name may
// be alive — two instances during a rolling deploy, a copied configuration
// — and Run returns a *NameInUseError instead of settling a live namesake's
// runs. Names must be unique among live schedulers; OpenOrchestrator uses
// the machine name.
//
// Then it ticks every poll interval (WithPollInterval, default 6 s, as
// OpenOrchestrator): it heartbeats, settles the runs of schedulers whose
// heartbeat is older than the lease (RecoverFail: FAILED; RecoverIdle: back
// to IDLE; a dead scheduler that owns no run costs a read, never a write),
// cancels the handlers of its triggers that were set KILLING, and starts
// due triggers in Due order that its whitelist mode (WithWhitelistOnly)
// allows — a blocking trigger only when it runs nothing else, nothing while
// a blocking run is in progress, at most WithMaxConcurrent at once
// (OpenOrchestrator starts one per tick; this starts as many as there are
// free slots). A due trigger that cannot start (a stored cron expression
// that is malformed or never fires) is logged once and skipped. The handler's result ends (nil) or fails (error, panic) the
// run. Every query it runs in the background is bounded by WithQueryTimeout.
// Any number of schedulers, in any number of processes, can share a
// database; no leader is elected.
//
// When ctx ends, Run starts nothing more and lets the running handlers
// finish for at most WithStopTimeout (default 30 s), still heartbeating and
// honouring kills; then it cancels them, and their runs wait again (IDLE)
// for their next occurrence. Last it releases its name by removing its
// Schedulers row, so a scheduler of the same name can start at once. Only
// a crashed scheduler's name waits for its heartbeat to go stale — and so
// does the name of one that stopped while a run it started is still active
// (a handler that ignores its context, a record the database refused): its
// row stays, so that other schedulers recover the run once the heartbeat is
// a lease old. OpenOrchestrator's schedulers upsert their own row every
// tick and never act on another's, so a missing row only says that no
// scheduler of that name is running.
//
// # Dialects
//
// The statements are built once per dialect from the dialect layer
// (store.Dialect) and pinned, SQL Server's included, by golden files in
// testdata/statements. What differs: the Triggers row's lock for Update and
// Delete is FOR UPDATE, SQL Server's UPDLOCK hint, or on SQLite, whose
// transactions hold the write lock from their start, a plain read; where a
// LIMIT may name the outer row (PostgreSQL) a queue trigger's count of NEW
// elements stops at min_batch_size, elsewhere it counts the whole queue;
// the due set's UNION casts its NULLs to the dialect's column types — its
// time columns to the naive type of the tables themselves (NULLIF of a
// naive column with itself), not to the dialect's time type, which on
// PostgreSQL is timestamptz and would convert the naive values in the
// session's zone.
//
// All times — now, next_run, last_run, heartbeats — come from the store's
// clock (store.WithClock); they are stored naive in the store's zone (see
// above), and a cron expression's fields are read in its CRON_TZ= zone or
// else the store's, see ParseCron and Schedule.In.
package trigger
