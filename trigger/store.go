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
// the sentinel's message and its detail.
type Store interface {
	// WithTx returns the same store bound to s.
	WithTx(s *store.Session) Store

	// Create validates spec (lengths, the cron expression, the type's
	// required fields) and inserts the Triggers row and its type's row in
	// one transaction. The new trigger is IDLE.
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
	// when next_run <= now; queue triggers when their queue holds at least
	// min_batch_size NEW elements. It returns the first limit of them; a
	// limit of 0 means store.DefaultLimit, a negative one is
	// store.ErrInvalid, as for every list of flowstore.
	Due(ctx context.Context, now time.Time, limit int) ([]Trigger, error)
	// Begin starts t (IDLE → RUNNING) for the scheduler named by (may be
	// empty), setting last_run to the store clock's now and, for a scheduled
	// trigger, next_run to the cron expression's next time after now. It is
	// one transaction of conditional statements: of any number of callers
	// racing for the same trigger exactly one succeeds; the others get
	// ErrNotStarted. It also fails with ErrNotStarted when t is no longer due.
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
	// the store clock's now.
	Heartbeat(ctx context.Context, scheduler string) error
	// Schedulers lists the Schedulers rows by name.
	Schedulers(ctx context.Context) ([]SchedulerInfo, error)
	// RecoverStale settles the runs (RUNNING, PAUSING, KILLING) started by
	// schedulers whose last heartbeat is before staleBefore, one statement
	// per such scheduler, as mode says, and returns how many it changed.
	// When no stale scheduler owns a run it only reads.
	RecoverStale(ctx context.Context, staleBefore time.Time, mode RecoverMode) (int, error)
}
