package trigger

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/flowstore/flowstore/store"
)

// ErrNotStarted is returned by Begin when the trigger was not started: another
// scheduler started it first, its status is no longer IDLE, or it is no
// longer due. It wraps store.ErrConflict; a scheduler simply moves on.
var ErrNotStarted = fmt.Errorf("%w: trigger not started", store.ErrConflict)

// RecoverMode says what happens to the runs of a scheduler whose heartbeat
// went stale.
type RecoverMode int

const (
	// RecoverFail marks them FAILED (a pending kill becomes KILLED): the run
	// may have done part of its work, so a person decides (Resume).
	RecoverFail RecoverMode = iota
	// RecoverIdle returns them to IDLE (PAUSING becomes PAUSED, KILLING
	// KILLED), so another scheduler starts them again when they are due:
	// for handlers that are safe to run twice.
	RecoverIdle
)

// String names the mode as flowctl and logs show it.
func (m RecoverMode) String() string {
	if m == RecoverIdle {
		return "idle"
	}
	return "fail"
}

// Store is the trigger API over OpenOrchestrator's Triggers,
// Scheduled_Triggers, Queue_Triggers, Single_Triggers and Schedulers tables.
// New makes the bun-backed one.
//
// Every method runs on the store's handle: the pool of a *store.DB, or the
// transaction of a *store.Session after WithTx. Status changes are
// conditional UPDATEs naming the statuses they accept; a trigger in any other
// status is left alone and the error wraps store.ErrConflict (a missing one,
// store.ErrNotFound). Errors read "trigger: <operation> <subject>: " and then
// the sentinel's message and its detail. A nil context is store.ErrInvalid;
// so is text no database stores exactly (a NUL, invalid UTF-8), in what a
// method writes and in what it looks up, before anything is sent.
//
// The tables are OpenOrchestrator's, kept in its conventions (see the package
// documentation): times are written and compared as naive wall-clock times
// in the store's zone (store.DB.Zone) and returned as instants in UTC; ids
// are written as SQLAlchemy's Uuid and found in either spelling.
type Store interface {
	// WithTx returns the same store bound to s.
	WithTx(s *store.Session) Store

	// Create validates spec (lengths, text, the cron expression — one that
	// never fires is ErrNeverFires — the type's required fields) and
	// inserts the Triggers row and its type's row in one transaction. The
	// new trigger is IDLE.
	//
	// With spec.ID set, Create is idempotent: when a trigger of that id
	// exists already (an earlier Create whose outcome the caller did not
	// learn, say store.ErrCommitUnknown, or a timeout), a trigger with the
	// same definition is returned as it is, without an error, and one
	// with another definition is store.ErrDuplicate. trigger_name is not a
	// key: OpenOrchestrator allows two triggers of one name.
	Create(ctx context.Context, spec Spec) (Trigger, error)
	// Get returns one trigger.
	Get(ctx context.Context, id uuid.UUID) (Trigger, error)
	// List returns every trigger a filter selects, ordered by name and id.
	// It has no limit and no iterator: a database holds a few triggers per
	// robot process, not a backlog.
	List(ctx context.Context, f Filter) ([]Trigger, error)
	// Update changes only the fields p names, in one transaction, and
	// returns the trigger as stored afterwards.
	Update(ctx context.Context, id uuid.UUID, p Patch) (Trigger, error)
	// Delete removes the type's row, then the Triggers row, in one
	// transaction (the schema has no ON DELETE CASCADE), having locked the
	// Triggers row first, as Begin does.
	Delete(ctx context.Context, id uuid.UUID) error

	// Due returns the IDLE triggers ready to start at now, in
	// OpenOrchestrator's start order: priority descending, then single,
	// scheduled, queue, then next_run. Single and scheduled triggers are due
	// when next_run <= now, compared as OpenOrchestrator compares them: as
	// naive wall-clock times of the store's zone; queue triggers when their
	// queue holds at least min_batch_size NEW elements. It returns the first limit of them; a
	// limit of 0 means store.DefaultLimit, a negative one is
	// store.ErrInvalid, as for every list of flowstore.
	Due(ctx context.Context, now time.Time, limit int) ([]Trigger, error)
	// Begin starts t (IDLE → RUNNING) for the scheduler named by (may be
	// empty), setting last_run to the store clock's now and, for a scheduled
	// trigger, next_run to the cron expression's next time after now (whose
	// wall clock in the store's zone is after now's, so that it is not due
	// at once). It is one transaction of conditional statements: of any
	// number of callers racing for the same trigger exactly one succeeds;
	// the others get ErrNotStarted. It also fails with ErrNotStarted when t
	// is no longer due. A scheduled trigger whose cron expression (t's, or
	// the stored one) is malformed or never fires — another program wrote
	// it — cannot start: the error wraps store.ErrInvalid (ErrNeverFires),
	// and nothing is written.
	Begin(ctx context.Context, t Trigger, by string) (Trigger, error)

	// End records a successful run: RUNNING → DONE (single) or IDLE
	// (scheduled, queue); PAUSING → PAUSED; KILLING → KILLED.
	End(ctx context.Context, id uuid.UUID) (Status, error)
	// Fail records a failed run: RUNNING, PAUSING → FAILED; KILLING → KILLED.
	Fail(ctx context.Context, id uuid.UUID) (Status, error)
	// Pause disables a trigger: RUNNING → PAUSING (the run goes on and ends
	// PAUSED); IDLE, FAILED, DONE, KILLED → PAUSED. PAUSED and PAUSING are
	// left as they are; KILLING is refused.
	Pause(ctx context.Context, id uuid.UUID) (Status, error)
	// Resume enables a trigger: PAUSED, FAILED, DONE, KILLED → IDLE, and
	// PAUSING → RUNNING (the pause request is withdrawn). IDLE and RUNNING
	// are left as they are; KILLING is refused.
	Resume(ctx context.Context, id uuid.UUID) (Status, error)
	// Kill stops a trigger: RUNNING, PAUSING → KILLING (its scheduler cancels
	// the handler and records KILLED); a trigger not running becomes KILLED
	// at once. KILLING and KILLED are left as they are.
	Kill(ctx context.Context, id uuid.UUID) (Status, error)

	// Heartbeat upserts the scheduler's Schedulers row with last_update =
	// the store clock's now (naive, in the store's zone).
	Heartbeat(ctx context.Context, scheduler string) error
	// Schedulers lists the Schedulers rows by name.
	Schedulers(ctx context.Context) ([]SchedulerInfo, error)
	// RecoverStale settles the runs (RUNNING, PAUSING, KILLING) started by
	// schedulers whose last heartbeat is before staleBefore, one statement
	// per such scheduler, as mode says, and returns how many it changed.
	// When no stale scheduler owns a run it only reads. Heartbeats are
	// naive: they are compared with staleBefore's wall clock in the store's
	// zone, so that in the repeated hour of a fall-back a heartbeat can look
	// younger than it is (a dead scheduler is recovered up to an hour later),
	// never older.
	RecoverStale(ctx context.Context, staleBefore time.Time, mode RecoverMode) (int, error)
}
