package orchestrator

import (
	"context"
	"iter"
	"time"

	"github.com/google/uuid"

	"github.com/flowstore/flowstore/store"
)

// Store is the persistence of WFO's workflows, processes, steps, input
// states and engine settings, and every operation on them that needs no
// running engine: resuming, aborting and deleting processes, the global
// lock, the engine status. New makes the one implementation; the Engine is
// built on it and hands it out (Engine.Store). Every method runs on the
// store's handle: the pool, or the session WithTx bound it to. A method that
// changes several rows does so atomically — in a transaction of its own, or
// in a savepoint of the bound session.
type Store interface {
	// WithTx returns the same store bound to s: its writes commit or roll
	// back with the session's other work.
	WithTx(s *store.Session) Store

	// SaveWorkflow inserts a workflow or, when one of that name exists
	// (also soft-deleted), updates its target and description and undeletes
	// it. It returns the row as stored.
	SaveWorkflow(ctx context.Context, w *WorkflowRow) (*WorkflowRow, error)
	// Workflow returns the live workflow with that name.
	Workflow(ctx context.Context, name string) (*WorkflowRow, error)
	// WorkflowByID returns a workflow by id, also when soft-deleted (its
	// processes still refer to it).
	WorkflowByID(ctx context.Context, id uuid.UUID) (*WorkflowRow, error)
	// Workflows lists the live workflows by name.
	Workflows(ctx context.Context) ([]WorkflowRow, error)
	// DeleteWorkflow soft-deletes a workflow (sets deleted_at).
	DeleteWorkflow(ctx context.Context, name string) error

	// CreateProcess inserts a process (status created) and its initial
	// input_states row, atomically. Engines create processes with
	// Engine.Start, which fills in what WFO puts in the initial state.
	CreateProcess(ctx context.Context, p *Process, initial State) error
	// Process returns one process, with its workflow's name.
	Process(ctx context.Context, pid uuid.UUID) (*Process, error)
	// Processes lists one page of processes, newest first (ties by pid):
	// at most f.Limit of them, store.DefaultLimit when f.Limit is 0.
	Processes(ctx context.Context, f ProcessFilter) ([]Process, error)
	// AllProcesses streams every process f selects, in the order of
	// Processes, reading pages of f.Limit rows (0: store.DefaultLimit)
	// with keyset paging: memory stays at one page, no connection is held
	// between pages, and a process started while iterating is not
	// returned twice.
	AllProcesses(ctx context.Context, f ProcessFilter) iter.Seq2[Process, error]
	// Steps returns a process's steps in their order (seq).
	Steps(ctx context.Context, pid uuid.UUID) ([]ProcessStep, error)
	// InputStates returns a process's inputs, oldest first.
	InputStates(ctx context.Context, pid uuid.UUID) ([]InputState, error)
	// AddInput appends an input_states row (nil input: {}). Its input_time
	// is now, but no earlier than the process's newest step row and later
	// than its newest input row, so it sorts last; calls for one process
	// must not run concurrently (ResumeProcess serializes them by its
	// conditional update).
	AddInput(ctx context.Context, pid uuid.UUID, typ InputType, input State) error

	// ResumeProcess marks a process that stopped in a resumable status
	// (suspended, waiting, awaiting_callback, failed, api_unavailable,
	// inconsistent_data) resumed and records input as its user input (an
	// input_states row; {} when nil), in one transaction. A serving engine
	// then runs it; Engine.Resume does both at once and says how the input
	// is used. The update is conditional, so of two concurrent resumes one
	// gets store.ErrConflict; while the engine is locked it refuses with
	// store.ErrLocked.
	ResumeProcess(ctx context.Context, pid uuid.UUID, input State) error
	// ResumeAllTasks marks resumed every task that failed or is waiting
	// (also api_unavailable and inconsistent_data), in one conditional
	// UPDATE, so that serving engines retry them — WFO's "resume all".
	// Processes that are running or already resumed are left alone; a
	// concurrent call resumes each at most once. While the engine is
	// locked it refuses with store.ErrLocked. It returns how many it
	// resumed.
	ResumeAllTasks(ctx context.Context) (int, error)
	// AbortProcess ends a process that has not ended (anything but
	// completed or aborted): it becomes aborted, with an "abort" step row
	// "User Aborted" whose created_by is by ("" for NULL), in one
	// transaction. Aborting a running process makes its engine's current
	// step roll back (its commit is fenced on the status) and stop.
	AbortProcess(ctx context.Context, pid uuid.UUID, by string) error
	// DeleteProcess removes a task with its steps and inputs (by foreign
	// key cascade). Only tasks can be deleted, as in WFO's API; other
	// processes give store.ErrInvalid.
	DeleteProcess(ctx context.Context, pid uuid.UUID) error

	// Settings reads the engine_settings row.
	Settings(ctx context.Context) (*EngineSettings, error)
	// CountRunning counts the processes whose status is running, the
	// number running_processes must equal.
	CountRunning(ctx context.Context) (int, error)
	// Lock sets the global lock: every running process stops at its next
	// step boundary (its engine releases it; its status stays running),
	// and engines start and resume nothing. Locking a locked engine does
	// nothing.
	Lock(ctx context.Context) error
	// Unlock clears the global lock and, in the same transaction, marks
	// resumed the running processes the lock paused (those no engine
	// owns), taking them off running_processes; serving engines pick them
	// up. It returns how many processes it resumed.
	Unlock(ctx context.Context) (int, error)
	// EngineStatus reads the lock, the counter and the live engines. A
	// running process counts as executing only while its owner's lease is
	// valid: one left by a dead engine executes nothing, and counting it
	// would show PAUSING until someone recovered it — for ever, since the
	// lock stops recovery.
	EngineStatus(ctx context.Context) (Status, error)
	// PruneInstances deletes the engine_instances rows of engines whose
	// lease expired more than olderThan ago and that own no running
	// process any more (their processes were recovered), and returns how
	// many it deleted. Running engines call it now and then; rows of
	// engines that crashed would otherwise stay for ever.
	PruneInstances(ctx context.Context, olderThan time.Duration) (int, error)
}

// ProcessFilter selects processes for Store.Processes and
// Store.AllProcesses. Zero fields match all.
type ProcessFilter struct {
	Status   ProcessStatus // last_status; "" for any
	Workflow string        // workflow name
	IsTask   *bool         // nil: any; else tasks or non-tasks only
	// Limit is the most rows Processes returns, and the page size of
	// AllProcesses: 0 means store.DefaultLimit, a negative limit is
	// store.ErrInvalid.
	Limit int
}

// GlobalStatus is the engine's computed status, as WFO shows it.
type GlobalStatus string

// The global statuses: RUNNING (unlocked), PAUSING (locked, some process
// still executing a step), PAUSED (locked, none executing).
const (
	GlobalRunning GlobalStatus = "RUNNING"
	GlobalPausing GlobalStatus = "PAUSING"
	GlobalPaused  GlobalStatus = "PAUSED"
)

// Status is what Store.EngineStatus reports.
type Status struct {
	Global           GlobalStatus // RUNNING, PAUSING or PAUSED, computed
	Locked           bool         // engine_settings.global_lock
	RunningProcesses int          // engine_settings.running_processes
	Executing        int          // running processes owned by a live engine (lease not expired)
	Engines          int          // live engine instances
}
