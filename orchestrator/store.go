package orchestrator

import (
	"context"

	"github.com/google/uuid"
)

// Store is the persistence of WFO's workflows, processes, steps, input states
// and engine settings. BunStore implements it; the Engine is built on it.
// Every method runs on the store's handle: the pool, or the session WithTx
// bound it to.
type Store interface {
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
	// input_states row, atomically.
	CreateProcess(ctx context.Context, p *Process, initial State) error
	// Process returns one process, with its workflow's name.
	Process(ctx context.Context, pid uuid.UUID) (*Process, error)
	// Processes lists processes, newest first.
	Processes(ctx context.Context, f ProcessFilter) ([]Process, error)
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

	// Settings reads the engine_settings row.
	Settings(ctx context.Context) (*EngineSettings, error)
	// CountRunning counts the processes whose status is running, the number
	// running_processes must equal.
	CountRunning(ctx context.Context) (int, error)
}

// ProcessFilter selects processes for Store.Processes. Zero fields match all.
type ProcessFilter struct {
	Status   ProcessStatus // last_status; "" for any
	Workflow string        // workflow name
	IsTask   *bool         // nil: any; else tasks or non-tasks only
	Limit    int           // 0: no limit
}
