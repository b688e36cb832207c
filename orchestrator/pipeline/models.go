package pipeline

import (
	"time"

	"github.com/uptrace/bun"
)

// The models below map the 18 ContainerOps V1 ("pilotage") tables with their
// exact table and column names, misspellings included (serivce_definition,
// vaule). Go field names are plain English. Tables with deleted_at are
// soft-deleted the GORM way: bun adds "deleted_at IS NULL" to their reads and
// updates, and this package's deletes set deleted_at instead of removing the
// row (HardDelete removes it). IDs are BIGINT auto-increment; links between
// rows are by convention only (the reference schema has no foreign keys).

// Workflow is one version of a workflow definition (table workflow). Each
// version is its own row: same namespace/repository/name, a user label in
// Version and a number in VersionCode (stored as text, counted as an integer).
type Workflow struct {
	bun.BaseModel `bun:"table:workflow,alias:w"`

	ID              int64     `bun:"id,pk,autoincrement"`
	Namespace       string    `bun:"namespace,notnull"`
	Repository      string    `bun:"repository,notnull"`
	Name            string    `bun:"workflow,notnull"`
	Event           int64     `bun:"event"`
	Version         string    `bun:"version"`
	VersionCode     string    `bun:"version_code"`
	State           State     `bun:"state"`
	Manifest        string    `bun:"manifest"`
	Description     string    `bun:"description"`
	SourceInfo      string    `bun:"source_info"`
	Env             string    `bun:"env"`
	Requires        string    `bun:"requires"`
	CreatedAt       time.Time `bun:"created_at,nullzero"`
	UpdatedAt       time.Time `bun:"updated_at,nullzero"`
	DeletedAt       time.Time `bun:"deleted_at,soft_delete,nullzero"`
	IsLimitInstance bool      `bun:"is_limit_instance"`
	LimitInstance   int64     `bun:"limit_instance"`
	CurrentInstance int64     `bun:"current_instance"`
	// LastSequence is flowstore's run-number counter (migration 0060): the
	// sequence of the newest run of this version. NULL until the first run.
	LastSequence int64 `bun:"last_sequence,nullzero"`
}

// Stage is a stage definition (table stage) of a workflow version.
type Stage struct {
	bun.BaseModel `bun:"table:stage,alias:s"`

	ID          int64     `bun:"id,pk,autoincrement"`
	Namespace   string    `bun:"namespace,notnull"`
	Repository  string    `bun:"repository,notnull"`
	Workflow    int64     `bun:"workflow,notnull"`
	Type        StageType `bun:"type,notnull"`
	PreStage    int64     `bun:"pre_stage,notnull"`
	Name        string    `bun:"stage,notnull"`
	Title       string    `bun:"title,notnull"`
	Description string    `bun:"description"`
	Event       int64     `bun:"event"`
	Manifest    string    `bun:"manifest"`
	Env         string    `bun:"env"`
	Timeout     string    `bun:"timeout"`
	Requires    string    `bun:"requires"`
	CreatedAt   time.Time `bun:"created_at,nullzero"`
	UpdatedAt   time.Time `bun:"updated_at,nullzero"`
	DeletedAt   time.Time `bun:"deleted_at,soft_delete,nullzero"`
}

// Action is an action definition (table action): one container of a stage.
type Action struct {
	bun.BaseModel `bun:"table:action,alias:a"`

	ID          int64     `bun:"id,pk,autoincrement"`
	Namespace   string    `bun:"namespace,notnull"`
	Repository  string    `bun:"repository,notnull"`
	Workflow    int64     `bun:"workflow,notnull"`
	Stage       int64     `bun:"stage,notnull"`
	Component   int64     `bun:"component,notnull"`
	Service     int64     `bun:"service,notnull"`
	Name        string    `bun:"action,notnull"`
	Title       string    `bun:"title,notnull"`
	Description string    `bun:"description"`
	Event       int64     `bun:"event"`
	Manifest    string    `bun:"manifest"`
	Environment string    `bun:"environment"`
	Kubernetes  string    `bun:"kubernetes"`
	Swarm       string    `bun:"swarm"`
	Input       string    `bun:"input"`
	Output      string    `bun:"output"`
	ImageName   string    `bun:"image_name"`
	ImageTag    string    `bun:"image_tag"`
	Timeout     string    `bun:"timeout"`
	Requires    string    `bun:"requires"`
	CreatedAt   time.Time `bun:"created_at,nullzero"`
	UpdatedAt   time.Time `bun:"updated_at,nullzero"`
	DeletedAt   time.Time `bun:"deleted_at,soft_delete,nullzero"`
}

// WorkflowLog is one run of a workflow version (table workflow_log): a copy
// of the definition row plus the run's number (Sequence), state and
// authorisations. FromWorkflow is the definition's id.
type WorkflowLog struct {
	bun.BaseModel `bun:"table:workflow_log,alias:wl"`

	ID              int64      `bun:"id,pk,autoincrement"`
	Namespace       string     `bun:"namespace,notnull"`
	Repository      string     `bun:"repository,notnull"`
	Name            string     `bun:"workflow,notnull"`
	FromWorkflow    int64      `bun:"from_workflow,notnull"`
	PreWorkflow     int64      `bun:"pre_workflow,notnull"`
	PreWorkflowInfo string     `bun:"pre_workflow_info"`
	Version         string     `bun:"version"`
	VersionCode     string     `bun:"version_code"`
	Sequence        int64      `bun:"sequence,notnull"`
	RunState        RunState   `bun:"run_state"`
	Event           int64      `bun:"event"`
	Manifest        string     `bun:"manifest"`
	Description     string     `bun:"description"`
	SourceInfo      string     `bun:"source_info"`
	Env             string     `bun:"env"`
	Requires        string     `bun:"requires"`
	AuthList        string     `bun:"auth_list"`
	CreatedAt       time.Time  `bun:"created_at,nullzero"`
	UpdatedAt       time.Time  `bun:"updated_at,nullzero"`
	DeletedAt       time.Time  `bun:"deleted_at,soft_delete,nullzero"`
	PreStage        int64      `bun:"pre_stage,notnull"`
	PreAction       int64      `bun:"pre_action,notnull"`
	FailReason      FailReason `bun:"fail_reason"`
}

// StageLog is a stage of one run (table stage_log). Workflow is the
// workflow_log id, FromWorkflow/FromStage the definition ids, and PreStage
// the previous stage_log id of the run (-1 for the first).
type StageLog struct {
	bun.BaseModel `bun:"table:stage_log,alias:sl"`

	ID           int64      `bun:"id,pk,autoincrement"`
	Namespace    string     `bun:"namespace,notnull"`
	Repository   string     `bun:"repository,notnull"`
	Workflow     int64      `bun:"workflow,notnull"`
	FromWorkflow int64      `bun:"from_workflow,notnull"`
	Sequence     int64      `bun:"sequence,notnull"`
	FromStage    int64      `bun:"from_stage,notnull"`
	Type         StageType  `bun:"type,notnull"`
	PreStage     int64      `bun:"pre_stage,notnull"`
	Name         string     `bun:"stage,notnull"`
	Title        string     `bun:"title,notnull"`
	Description  string     `bun:"description"`
	RunState     RunState   `bun:"run_state"`
	Event        int64      `bun:"event"`
	Manifest     string     `bun:"manifest"`
	Env          string     `bun:"env"`
	Timeout      string     `bun:"timeout"`
	Requires     string     `bun:"requires"`
	AuthList     string     `bun:"auth_list"`
	CreatedAt    time.Time  `bun:"created_at,nullzero"`
	UpdatedAt    time.Time  `bun:"updated_at,nullzero"`
	DeletedAt    time.Time  `bun:"deleted_at,soft_delete,nullzero"`
	FailReason   FailReason `bun:"fail_reason"`
}

// ActionLog is an action of one run (table action_log). Workflow and Stage
// are the run's workflow_log and stage_log ids; From* point at definitions.
type ActionLog struct {
	bun.BaseModel `bun:"table:action_log,alias:al"`

	ID           int64      `bun:"id,pk,autoincrement"`
	Namespace    string     `bun:"namespace,notnull"`
	Repository   string     `bun:"repository,notnull"`
	Workflow     int64      `bun:"workflow,notnull"`
	FromWorkflow int64      `bun:"from_workflow,notnull"`
	Sequence     int64      `bun:"sequence,notnull"`
	Stage        int64      `bun:"stage,notnull"`
	FromStage    int64      `bun:"from_stage,notnull"`
	FromAction   int64      `bun:"from_action,notnull"`
	RunState     RunState   `bun:"run_state"`
	Component    int64      `bun:"component,notnull"`
	Service      int64      `bun:"service,notnull"`
	Name         string     `bun:"action,notnull"`
	Title        string     `bun:"title,notnull"`
	Description  string     `bun:"description"`
	Event        int64      `bun:"event"`
	Manifest     string     `bun:"manifest"`
	Environment  string     `bun:"environment"`
	Kubernetes   string     `bun:"kubernetes"`
	Swarm        string     `bun:"swarm"`
	Input        string     `bun:"input"`
	Output       string     `bun:"output"`
	ImageName    string     `bun:"image_name"`
	ImageTag     string     `bun:"image_tag"`
	Timeout      string     `bun:"timeout"`
	Requires     string     `bun:"requires"`
	AuthList     string     `bun:"auth_list"`
	CreatedAt    time.Time  `bun:"created_at,nullzero"`
	UpdatedAt    time.Time  `bun:"updated_at,nullzero"`
	DeletedAt    time.Time  `bun:"deleted_at,soft_delete,nullzero"`
	FailReason   FailReason `bun:"fail_reason"`
	ContainerID  string     `bun:"container_id"`
}

// WorkflowSequence records a run number handed out (table
// workflow_sequence), as pilotage did; StartRun writes one per run.
type WorkflowSequence struct {
	bun.BaseModel `bun:"table:workflow_sequence,alias:ws"`

	ID        int64     `bun:"id,pk,autoincrement"`
	Workflow  int64     `bun:"workflow,notnull"`
	Sequence  int64     `bun:"sequence,notnull"`
	CreatedAt time.Time `bun:"created_at,nullzero"`
	UpdatedAt time.Time `bun:"updated_at,nullzero"`
	DeletedAt time.Time `bun:"deleted_at,soft_delete,nullzero"`
}

// WorkflowVar is a global variable of a workflow version (table
// workflow_var; the value column is spelt "vaule" in the reference).
type WorkflowVar struct {
	bun.BaseModel `bun:"table:workflow_var,alias:wv"`

	ID        int64     `bun:"id,pk,autoincrement"`
	Workflow  int64     `bun:"workflow"`
	Key       string    `bun:"key"`
	Default   string    `bun:"default"`
	Value     string    `bun:"vaule"`
	CreatedAt time.Time `bun:"created_at,nullzero"`
	UpdatedAt time.Time `bun:"updated_at,nullzero"`
	DeletedAt time.Time `bun:"deleted_at,soft_delete,nullzero"`
}

// WorkflowVarLog is a run's copy of a variable (table workflow_var_log).
// ChangeLog is a JSON array of VarChange, appended by SetRunVar. The table
// has no deleted_at.
type WorkflowVarLog struct {
	bun.BaseModel `bun:"table:workflow_var_log,alias:wvl"`

	ID           int64  `bun:"id,pk,autoincrement"`
	Workflow     int64  `bun:"workflow"`
	FromWorkflow int64  `bun:"from_workflow"`
	Sequence     int64  `bun:"sequence"`
	Key          string `bun:"key"`
	Default      string `bun:"default"`
	Value        string `bun:"vaule"`
	ChangeLog    string `bun:"change_log"`
}

// Event is a received callback or webhook (table event), stored against a
// run by workflow/stage/action log ids and sequence.
type Event struct {
	bun.BaseModel `bun:"table:event,alias:e"`

	ID            int64          `bun:"id,pk,autoincrement"`
	Definition    int64          `bun:"definition,notnull"`
	Title         string         `bun:"title,notnull"`
	Header        string         `bun:"header,notnull"`
	Payload       string         `bun:"payload,notnull"`
	Authorization string         `bun:"authorization"`
	Type          EventType      `bun:"type,notnull"`
	Source        EventSource    `bun:"source,notnull"`
	Character     EventCharacter `bun:"character,notnull"`
	Namespace     string         `bun:"namespace"`
	Repository    string         `bun:"repository"`
	Workflow      int64          `bun:"workflow,notnull"`
	Stage         int64          `bun:"stage,notnull"`
	Action        int64          `bun:"action,notnull"`
	Sequence      int64          `bun:"sequence,notnull"`
	CreatedAt     time.Time      `bun:"created_at,nullzero"`
	UpdatedAt     time.Time      `bun:"updated_at,nullzero"`
	DeletedAt     time.Time      `bun:"deleted_at,soft_delete,nullzero"`
}

// EventDefinition declares an event an action listens for (table
// event_definition), e.g. the CO_TASK_STATUS callback URL of an action_log.
type EventDefinition struct {
	bun.BaseModel `bun:"table:event_definition,alias:ed"`

	ID         int64          `bun:"id,pk,autoincrement"`
	Event      string         `bun:"event,notnull"`
	Title      string         `bun:"title"`
	Namespace  string         `bun:"namespace"`
	Repository string         `bun:"repository"`
	Workflow   int64          `bun:"workflow"`
	Stage      int64          `bun:"stage"`
	Action     int64          `bun:"action,notnull"`
	Character  EventCharacter `bun:"character,notnull"`
	Type       EventType      `bun:"type,notnull"`
	Source     EventSource    `bun:"source,notnull"`
	Definition string         `bun:"definition"`
	CreatedAt  time.Time      `bun:"created_at,nullzero"`
	UpdatedAt  time.Time      `bun:"updated_at,nullzero"`
	DeletedAt  time.Time      `bun:"deleted_at,soft_delete,nullzero"`
}

// EventJSON is a sample webhook payload per site and event type (table
// event_json; no timestamps, no soft delete).
type EventJSON struct {
	bun.BaseModel `bun:"table:event_json,alias:ej"`

	ID     int64  `bun:"id,pk,autoincrement"`
	Site   string `bun:"site"`
	Type   string `bun:"type"`
	Output string `bun:"output"`
}

// Outcome is one result of a run (table outcome): an action's result, or
// the start (Action and Event = OutcomeStageStart) or end (OutcomeStageEnd)
// of the run.
// Workflow, Stage and Action are log ids; Real* are the definition ids.
type Outcome struct {
	bun.BaseModel `bun:"table:outcome,alias:o"`

	ID           int64     `bun:"id,pk,autoincrement"`
	Workflow     int64     `bun:"workflow,notnull"`
	RealWorkflow int64     `bun:"real_workflow,notnull"`
	Stage        int64     `bun:"stage,notnull"`
	RealStage    int64     `bun:"real_stage,notnull"`
	Action       int64     `bun:"action,notnull"`
	RealAction   int64     `bun:"real_action,notnull"`
	Event        int64     `bun:"event"`
	Sequence     int64     `bun:"sequence,notnull"`
	Status       bool      `bun:"status"`
	Result       string    `bun:"result"`
	Output       string    `bun:"output"`
	CreatedAt    time.Time `bun:"created_at,nullzero"`
	UpdatedAt    time.Time `bun:"updated_at,nullzero"`
	DeletedAt    time.Time `bun:"deleted_at,soft_delete,nullzero"`
}

// Timer is a cron start definition of a workflow (table timer). NextRun is
// flowstore's extra column (migration 0060): when the timer fires next.
type Timer struct {
	bun.BaseModel `bun:"table:timer,alias:t"`

	ID         int64     `bun:"id,pk,autoincrement"`
	Namespace  string    `bun:"namespace,notnull"`
	Repository string    `bun:"repository,notnull"`
	Workflow   int64     `bun:"workflow"`
	Available  bool      `bun:"available"`
	Cron       string    `bun:"cron"`
	EventType  string    `bun:"event_type"`
	EventName  string    `bun:"event_name"`
	StartJSON  string    `bun:"start_json"`
	CreatedAt  time.Time `bun:"created_at,nullzero"`
	UpdatedAt  time.Time `bun:"updated_at,nullzero"`
	DeletedAt  time.Time `bun:"deleted_at,soft_delete,nullzero"`
	NextRun    time.Time `bun:"next_run,nullzero"`
}

// Component is a container image in the catalogue (table component).
type Component struct {
	bun.BaseModel `bun:"table:component,alias:c"`

	ID             int64     `bun:"id,pk,autoincrement"`
	Namespace      string    `bun:"namespace,notnull"`
	Version        string    `bun:"version"`
	VersionCode    int64     `bun:"version_code"`
	Name           string    `bun:"component,notnull"`
	Type           int64     `bun:"type,notnull"`
	Title          string    `bun:"title"`
	Gravatar       string    `bun:"gravatar"`
	Description    string    `bun:"description"`
	Endpoint       string    `bun:"endpoint"`
	Source         string    `bun:"source,notnull"`
	Environment    string    `bun:"environment"`
	Tag            string    `bun:"tag"`
	VolumeLocation string    `bun:"volume_location"`
	VolumeData     string    `bun:"volume_data"`
	Makefile       string    `bun:"makefile"`
	Kubernetes     string    `bun:"kubernetes"`
	Swarm          string    `bun:"swarm"`
	Input          string    `bun:"input"`
	Output         string    `bun:"output"`
	Timeout        int64     `bun:"timeout"`
	Manifest       string    `bun:"manifest"`
	CreatedAt      time.Time `bun:"created_at,nullzero"`
	UpdatedAt      time.Time `bun:"updated_at,nullzero"`
	DeletedAt      time.Time `bun:"deleted_at,soft_delete,nullzero"`
}

// Service is a third-party service of a namespace (table service; unique
// per namespace and name).
type Service struct {
	bun.BaseModel `bun:"table:service,alias:sv"`

	ID            int64     `bun:"id,pk,autoincrement"`
	Namespace     string    `bun:"namespace,notnull"`
	Name          string    `bun:"service,notnull"`
	Title         string    `bun:"title"`
	Gravatar      string    `bun:"gravatar"`
	Endpoints     string    `bun:"endpoints"`
	Environment   string    `bun:"environment"`
	Authorization string    `bun:"authorization"`
	Configuration string    `bun:"configuration"`
	Description   string    `bun:"description"`
	CreatedAt     time.Time `bun:"created_at,nullzero"`
	UpdatedAt     time.Time `bun:"updated_at,nullzero"`
	DeletedAt     time.Time `bun:"deleted_at,soft_delete,nullzero"`
}

// ServiceDefinition is a kind of third-party service (table
// serivce_definition — the reference's spelling; unique by name).
type ServiceDefinition struct {
	bun.BaseModel `bun:"table:serivce_definition,alias:sd"`

	ID            int64     `bun:"id,pk,autoincrement"`
	Name          string    `bun:"service,notnull"`
	Title         string    `bun:"title"`
	Gravatar      string    `bun:"gravatar"`
	Endpoints     string    `bun:"endpoints"`
	Status        string    `bun:"status"`
	Environment   string    `bun:"environment"`
	Authorization string    `bun:"authorization"`
	Configuration string    `bun:"configuration"`
	Description   string    `bun:"description"`
	CreatedAt     time.Time `bun:"created_at,nullzero"`
	UpdatedAt     time.Time `bun:"updated_at,nullzero"`
	DeletedAt     time.Time `bun:"deleted_at,soft_delete,nullzero"`
}

// UserSetting is the JSON settings of one namespace/repository (table
// user_setting).
type UserSetting struct {
	bun.BaseModel `bun:"table:user_setting,alias:us"`

	ID         int64     `bun:"id,pk,autoincrement"`
	Namespace  string    `bun:"namespace,notnull"`
	Repository string    `bun:"repository,notnull"`
	Setting    string    `bun:"setting"`
	CreatedAt  time.Time `bun:"created_at,nullzero"`
	UpdatedAt  time.Time `bun:"updated_at,nullzero"`
	DeletedAt  time.Time `bun:"deleted_at,soft_delete,nullzero"`
}
