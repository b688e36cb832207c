package orchestrator

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/flowstore/flowstore/orchestrator/internal/textrule"
	"github.com/flowstore/flowstore/store"
)

// ProcessStatus is a process's last_status, stored exactly as WFO stores it
// (lower case).
type ProcessStatus string

// The process statuses of WFO orchestrator-core.
const (
	StatusCreated          ProcessStatus = "created"
	StatusRunning          ProcessStatus = "running"
	StatusSuspended        ProcessStatus = "suspended"
	StatusWaiting          ProcessStatus = "waiting"
	StatusAwaitingCallback ProcessStatus = "awaiting_callback"
	StatusAborted          ProcessStatus = "aborted"
	StatusFailed           ProcessStatus = "failed"
	StatusAPIUnavailable   ProcessStatus = "api_unavailable"
	StatusInconsistentData ProcessStatus = "inconsistent_data"
	StatusCompleted        ProcessStatus = "completed"
	StatusResumed          ProcessStatus = "resumed"
)

var processStatuses = []ProcessStatus{StatusCreated, StatusRunning, StatusSuspended, StatusWaiting,
	StatusAwaitingCallback, StatusAborted, StatusFailed, StatusAPIUnavailable, StatusInconsistentData,
	StatusCompleted, StatusResumed}

// resumable are the statuses Resume accepts. WFO also lists "resumed"; it is
// left out here on purpose: a second Resume of a resumed process is the double
// resume that status exists to prevent.
var resumable = []ProcessStatus{StatusSuspended, StatusWaiting, StatusAwaitingCallback, StatusFailed,
	StatusAPIUnavailable, StatusInconsistentData}

// String returns the stored value.
func (s ProcessStatus) String() string { return string(s) }

// Valid reports whether s is one of WFO's process statuses.
func (s ProcessStatus) Valid() bool {
	for _, v := range processStatuses {
		if v == s {
			return true
		}
	}
	return false
}

// Resumable reports whether Resume accepts a process in status s.
func (s ProcessStatus) Resumable() bool {
	for _, v := range resumable {
		if v == s {
			return true
		}
	}
	return false
}

// ParseProcessStatus validates a stored or user-given status.
func ParseProcessStatus(s string) (ProcessStatus, error) {
	if st := ProcessStatus(s); st.Valid() {
		return st, nil
	}
	return "", fmt.Errorf("%w: unknown process status %q", store.ErrInvalid, s)
}

// StepStatus is a process_steps row's status, stored as WFO stores it.
type StepStatus string

// The step statuses of WFO orchestrator-core.
const (
	StepSuccess          StepStatus = "success"
	StepSkipped          StepStatus = "skipped"
	StepSuspend          StepStatus = "suspend"
	StepWaiting          StepStatus = "waiting"
	StepAwaitingCallback StepStatus = "awaiting_callback"
	StepFailed           StepStatus = "failed"
	StepAbort            StepStatus = "abort"
	StepComplete         StepStatus = "complete"
)

// String returns the stored value.
func (s StepStatus) String() string { return string(s) }

// ProcessStatus maps a step's status onto the status its process gets, as WFO
// does: success and skipped keep the process running, the others stop it.
func (s StepStatus) ProcessStatus() ProcessStatus {
	switch s {
	case StepSuccess, StepSkipped:
		return StatusRunning
	case StepSuspend:
		return StatusSuspended
	case StepWaiting:
		return StatusWaiting
	case StepAwaitingCallback:
		return StatusAwaitingCallback
	case StepAbort:
		return StatusAborted
	case StepComplete:
		return StatusCompleted
	default:
		return StatusFailed
	}
}

// cleared reports whether a step row counts as done when a process is
// resumed (WFO's _recoverwf): failed, suspend, waiting and awaiting_callback
// rows are run again.
func (s StepStatus) cleared() bool {
	switch s {
	case StepFailed, StepSuspend, StepWaiting, StepAwaitingCallback:
		return false
	}
	return true
}

// Target is a workflow's target (WFO targets.py).
type Target string

// The workflow targets of WFO.
const (
	TargetCreate    Target = "CREATE"
	TargetModify    Target = "MODIFY"
	TargetTerminate Target = "TERMINATE"
	TargetSystem    Target = "SYSTEM"
	TargetValidate  Target = "VALIDATE"
	TargetReconcile Target = "RECONCILE"
)

// Valid reports whether t is one of WFO's targets.
func (t Target) Valid() bool {
	switch t {
	case TargetCreate, TargetModify, TargetTerminate, TargetSystem, TargetValidate, TargetReconcile:
		return true
	}
	return false
}

// Assignees as WFO stores them (config/assignee.py).
const (
	AssigneeNOC          = "NOC"
	AssigneeSystem       = "SYSTEM"
	AssigneeChanges      = "CHANGES"
	AssigneeKlantsupport = "KLANTSUPPORT"
)

// InputType is an input_states row's input_type.
type InputType string

// The two input types: the form given at start, and each resume's input.
const (
	InputInitial InputType = "initial_state"
	InputUser    InputType = "user_input"
)

// State is a process's state: a JSON object.
//
// Its numbers are kept exactly as written. The engine hands a step its state
// decoded with every number as a json.Number — the number's text, never a
// float64 — so 9007199254740993, 0.10 or 1e400 that WFO (or an earlier step)
// wrote come back, and are written back, with the same digits. A step reads
// one with its Int64, Float64 or String method; it may put plain Go numbers
// into the state it returns, and they are stored as encoding/json writes
// them. (Where the column is PostgreSQL's jsonb, the database itself keeps
// the value exactly but may spell it differently — 1e400 comes back as a 1
// and 400 zeros — for WFO as for flowstore; flowstore then keeps that
// spelling.)
type State map[string]any

// clone deep-copies a state through JSON, as WFO round-trips state before
// saving it, so a step cannot mutate what the engine keeps and only plain
// data is stored. Numbers come out as json.Number, exactly as they went in;
// text the database cannot store exactly (NUL, invalid UTF-8) is refused.
func (s State) clone() (State, error) {
	b, err := textrule.Marshal("state", s)
	if err != nil {
		return nil, err
	}
	out := State{}
	if err := textrule.Unmarshal(b, &out); err != nil {
		return nil, err
	}
	return out, nil
}

// decodeState reads a stored JSON object into a State, numbers as
// json.Number (see State).
func decodeState(b []byte) (State, error) {
	st := State{}
	if err := textrule.Unmarshal(b, &st); err != nil {
		return nil, err
	}
	return st, nil
}

// WorkflowRow is a row of "workflows". Workflows are soft-deleted: DeletedAt
// set hides them from Store.Workflows and lookups by name.
type WorkflowRow struct {
	bun.BaseModel `bun:"table:workflows"`

	WorkflowID  uuid.UUID  `bun:"workflow_id,pk,type:uuid"` // primary key; generated by SaveWorkflow when nil
	Name        string     `bun:"name,notnull"`             // unique name
	Target      Target     `bun:"target,notnull"`           // one of the Target values
	Description *string    `bun:"description"`              // free text; nil for NULL
	CreatedAt   time.Time  `bun:"created_at,notnull"`       // set by SaveWorkflow on insert (UTC)
	DeletedAt   *time.Time `bun:"deleted_at"`               // soft-delete time; nil while live
}

// Process is a row of "processes".
type Process struct {
	bun.BaseModel `bun:"table:processes"`

	PID            uuid.UUID     `bun:"pid,pk,type:uuid"`              // column pid; generated by CreateProcess when nil
	WorkflowID     uuid.UUID     `bun:"workflow_id,notnull,type:uuid"` // the workflows row it runs
	Assignee       string        `bun:"assignee,notnull"`              // who must act: an Assignee value, SYSTEM by default
	LastStatus     ProcessStatus `bun:"last_status,notnull"`           // the status, kept by the engine
	LastStep       *string       `bun:"last_step"`                     // name of the last step recorded; nil before the first
	StartedAt      time.Time     `bun:"started_at,notnull"`            // set by CreateProcess (store clock, UTC)
	LastModifiedAt time.Time     `bun:"last_modified_at,notnull"`      // store clock at every change of the row
	// FailedReason is the error of a failed or waiting step, its first
	// 10,000 characters; nil (NULL) after other steps and on abort.
	FailedReason *string `bun:"failed_reason"`
	// Traceback is the failed or waiting step's trace, its last 50,000
	// characters; nil when there is none.
	Traceback *string `bun:"traceback"`
	CreatedBy *string `bun:"created_by"`      // who started it (StartedBy); nil if not given
	IsTask    bool    `bun:"is_task,notnull"` // a task; see Workflow.IsTask
	// EngineInstanceID is flowstore's column: the engine instance executing
	// the process, NULL when none is.
	EngineInstanceID *string `bun:"engine_instance_id"`

	// WorkflowName is filled by Store.Process and the lists (joined from
	// workflows).
	WorkflowName string `bun:"workflow_name,scanonly"`
}

// ProcessStep is a row of "process_steps". Seq is flowstore's column giving
// the explicit order of a process's steps.
type ProcessStep struct {
	bun.BaseModel `bun:"table:process_steps"`

	StepID uuid.UUID  `bun:"stepid,pk,type:uuid"`   // column stepid: the row's id
	PID    uuid.UUID  `bun:"pid,notnull,type:uuid"` // the process it belongs to
	Name   string     `bun:"name,notnull"`          // the step's name (or "User Aborted")
	Status StepStatus `bun:"status,notnull"`        // the step's result
	// State is the JSON object the step left: the process state after it,
	// or for a failed or waiting step its error, class, details and, once
	// repeated, retries and completed_at.
	State      json.RawMessage `bun:"state,notnull"`
	CreatedBy  *string         `bun:"created_by"`          // the engine's WithCreatedBy user; nil if none
	ExecutedAt time.Time       `bun:"executed_at,notnull"` // store clock when written; a folded retry moves it
	CommitHash *string         `bun:"commit_hash"`         // WFO's code version; flowstore writes NULL
	Seq        *int64          `bun:"seq"`                 // 1, 2, … per process; nil on rows WFO wrote
}

// InputState is a row of "input_states": the input given at start and at each
// resume.
type InputState struct {
	bun.BaseModel `bun:"table:input_states"`

	InputStateID uuid.UUID       `bun:"input_state_id,pk,type:uuid"` // the row's id
	PID          uuid.UUID       `bun:"pid,notnull,type:uuid"`       // the process it belongs to
	State        json.RawMessage `bun:"input_state,notnull"`         // column input_state: the input (JSON; {} for none)
	InputTime    time.Time       `bun:"input_time,notnull"`          // when recorded; see Store.AddInput
	InputType    InputType       `bun:"input_type,notnull"`          // InputInitial or InputUser
}

// EngineSettings is the single row of "engine_settings".
type EngineSettings struct {
	bun.BaseModel `bun:"table:engine_settings"`

	GlobalLock       bool `bun:"global_lock,pk"`            // set by Lock: processes stop at the next step
	RunningProcesses int  `bun:"running_processes,notnull"` // processes in status running (CHECK >= 0)
}

// EngineInstance is a row of flowstore's "engine_instances": a live engine and
// its lease. Processes whose engine's lease expired are recovered by others.
type EngineInstance struct {
	bun.BaseModel `bun:"table:engine_instances"`

	InstanceID  string    `bun:"instance_id,pk"`       // the engine's id (1 to 64 characters)
	Hostname    *string   `bun:"hostname"`             // host it runs on; nil if unknown or too long
	OSPID       *int      `bun:"os_pid"`               // its OS process id; nil if unknown
	StartedAt   time.Time `bun:"started_at,notnull"`   // when it registered (store clock)
	HeartbeatAt time.Time `bun:"heartbeat_at,notnull"` // its last heartbeat (store clock)
	ExpiresAt   time.Time `bun:"expires_at,notnull"`   // when its lease ends unless renewed
}
