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

	ID         int64  `bun:"id,pk,autoincrement"` // this version's id; set by CreateWorkflow
	Namespace  string `bun:"namespace,notnull"`   // owning user or organisation (required, max 255)
	Repository string `bun:"repository,notnull"`  // repository in the namespace (required, max 255)
	Name       string `bun:"workflow,notnull"`    // column workflow: the name all versions share (required)
	// Event is an event id, stored as the caller gives it (default 0).
	// StartRun does not copy it: a run records the event that started it
	// (StartOptions.Event) in WorkflowLog.Event.
	Event   int64  `bun:"event"`
	Version string `bun:"version"` // user-chosen version label (max 255)
	// VersionCode is set by CreateWorkflow: the highest code of the
	// workflow's name (deleted versions included) plus one, "1" for the
	// first.
	VersionCode string `bun:"version_code"`
	State       State  `bun:"state"`       // runnable or not; see SetState
	Manifest    string `bun:"manifest"`    // definition text (pilotage: JSON); copied into runs
	Description string `bun:"description"` // free text; copied into runs
	// SourceInfo (column source_info) is JSON naming the webhook
	// sources that may start runs (pilotage: a token and a sourceList of
	// sourceType, headerKey, eventList); copied into runs.
	SourceInfo string `bun:"source_info"`
	Env        string `bun:"env"` // environment (JSON) every action gets; copied into runs
	// Requires is the JSON list of Requirement a run must have authorised
	// before it may start; NULL, blank, [] and null mean none. Copied into
	// each run.
	Requires        string    `bun:"requires"`
	CreatedAt       time.Time `bun:"created_at,nullzero"`             // store clock (UTC) at insert
	UpdatedAt       time.Time `bun:"updated_at,nullzero"`             // store clock at insert, SetState, SetInstanceLimit
	DeletedAt       time.Time `bun:"deleted_at,soft_delete,nullzero"` // soft-delete time; zero (NULL) while live; set by DeleteWorkflow
	IsLimitInstance bool      `bun:"is_limit_instance"`               // LimitInstance applies (SetInstanceLimit); NULL: false
	LimitInstance   int64     `bun:"limit_instance"`                  // most live runs allowed when capped; 0 allows none
	// CurrentInstance counts the runs neither ended nor deleted, kept by
	// the store: StartRun adds one, the Transition that ends a run or the
	// deletion of a live run takes it back. CreateWorkflow sets 0.
	CurrentInstance int64 `bun:"current_instance"`
	// LastSequence is flowstore's run-number counter (migration 0060): the
	// sequence of the newest run of this version. NULL until the first run.
	LastSequence int64 `bun:"last_sequence,nullzero"`
}

// Stage is a stage definition (table stage) of a workflow version.
type Stage struct {
	bun.BaseModel `bun:"table:stage,alias:s"`

	ID          int64     `bun:"id,pk,autoincrement"`             // set by CreateWorkflow
	Namespace   string    `bun:"namespace,notnull"`               // the workflow's, set by CreateWorkflow
	Repository  string    `bun:"repository,notnull"`              // the workflow's, set by CreateWorkflow
	Workflow    int64     `bun:"workflow,notnull"`                // id of the workflow version; set by CreateWorkflow
	Type        StageType `bun:"type,notnull"`                    // StageStart, StageEnd or StageRun
	PreStage    int64     `bun:"pre_stage,notnull"`               // previous stage's id, -1 for the first (CreateWorkflow)
	Name        string    `bun:"stage,notnull"`                   // column stage: the stage's name (required, max 255)
	Title       string    `bun:"title,notnull"`                   // display title (max 255)
	Description string    `bun:"description"`                     // free text
	Event       int64     `bun:"event"`                           // event id as given (default 0); copied into runs
	Manifest    string    `bun:"manifest"`                        // definition text (pilotage: JSON); copied into runs
	Env         string    `bun:"env"`                             // environment (JSON); copied into runs
	Timeout     string    `bun:"timeout"`                         // time-out text (max 255), kept as given; not enforced
	Requires    string    `bun:"requires"`                        // JSON list of Requirement a run's stage waits for
	CreatedAt   time.Time `bun:"created_at,nullzero"`             // store clock (UTC) at insert
	UpdatedAt   time.Time `bun:"updated_at,nullzero"`             // store clock at insert
	DeletedAt   time.Time `bun:"deleted_at,soft_delete,nullzero"` // soft-delete time; zero (NULL) while live
}

// Action is an action definition (table action): one container of a stage.
type Action struct {
	bun.BaseModel `bun:"table:action,alias:a"`

	ID          int64     `bun:"id,pk,autoincrement"`             // set by CreateWorkflow
	Namespace   string    `bun:"namespace,notnull"`               // the workflow's, set by CreateWorkflow
	Repository  string    `bun:"repository,notnull"`              // the workflow's, set by CreateWorkflow
	Workflow    int64     `bun:"workflow,notnull"`                // id of the workflow version; set by CreateWorkflow
	Stage       int64     `bun:"stage,notnull"`                   // id of its stage; set by CreateWorkflow
	Component   int64     `bun:"component,notnull"`               // id of the Component (image) it runs; 0 for none
	Service     int64     `bun:"service,notnull"`                 // id of the Service it uses; 0 for none
	Name        string    `bun:"action,notnull"`                  // column action: the action's name (required, max 255)
	Title       string    `bun:"title,notnull"`                   // display title (max 255)
	Description string    `bun:"description"`                     // free text
	Event       int64     `bun:"event"`                           // event id as given (default 0); copied into runs
	Manifest    string    `bun:"manifest"`                        // run platform and its settings (pilotage: JSON)
	Environment string    `bun:"environment"`                     // environment parameters (pilotage: JSON)
	Kubernetes  string    `bun:"kubernetes"`                      // Kubernetes template to run the container
	Swarm       string    `bun:"swarm"`                           // Docker Swarm template to run the container
	Input       string    `bun:"input"`                           // input definition (pilotage: JSON)
	Output      string    `bun:"output"`                          // output definition (pilotage: JSON)
	ImageName   string    `bun:"image_name"`                      // container image name (max 255)
	ImageTag    string    `bun:"image_tag"`                       // container image tag (max 255)
	Timeout     string    `bun:"timeout"`                         // time-out text (max 255), kept as given; not enforced
	Requires    string    `bun:"requires"`                        // JSON list of Requirement a run's action waits for
	CreatedAt   time.Time `bun:"created_at,nullzero"`             // store clock (UTC) at insert
	UpdatedAt   time.Time `bun:"updated_at,nullzero"`             // store clock at insert
	DeletedAt   time.Time `bun:"deleted_at,soft_delete,nullzero"` // soft-delete time; zero (NULL) while live
}

// WorkflowLog is one run of a workflow version (table workflow_log): a copy
// of the definition row plus the run's number (Sequence), state and
// authorisations. FromWorkflow is the definition's id.
type WorkflowLog struct {
	bun.BaseModel `bun:"table:workflow_log,alias:wl"`

	ID              int64  `bun:"id,pk,autoincrement"`   // the run's id; set by StartRun
	Namespace       string `bun:"namespace,notnull"`     // copied from the definition
	Repository      string `bun:"repository,notnull"`    // copied from the definition
	Name            string `bun:"workflow,notnull"`      // column workflow; copied from the definition
	FromWorkflow    int64  `bun:"from_workflow,notnull"` // id of the workflow version run
	PreWorkflow     int64  `bun:"pre_workflow,notnull"`  // workflow_log id of the run that started it; 0: none
	PreWorkflowInfo string `bun:"pre_workflow_info"`     // note about PreWorkflow (max 255)
	Version         string `bun:"version"`               // copied from the definition
	VersionCode     string `bun:"version_code"`          // copied from the definition
	// Sequence is the run number, 1, 2, … per workflow version: unique
	// and gapless, taken by StartRun.
	Sequence    int64      `bun:"sequence,notnull"`
	RunState    RunState   `bun:"run_state"`                       // set by Transition; NULL counts as RunCanListen
	Event       int64      `bun:"event"`                           // id of the event that started the run; 0: none
	Manifest    string     `bun:"manifest"`                        // copied from the definition
	Description string     `bun:"description"`                     // copied from the definition
	SourceInfo  string     `bun:"source_info"`                     // column source_info; copied from the definition
	Env         string     `bun:"env"`                             // copied from the definition
	Requires    string     `bun:"requires"`                        // open requirements (JSON); Authorize removes them
	AuthList    string     `bun:"auth_list"`                       // JSON list of Authorization; "[]" at start
	CreatedAt   time.Time  `bun:"created_at,nullzero"`             // store clock (UTC) at insert
	UpdatedAt   time.Time  `bun:"updated_at,nullzero"`             // store clock at insert, Transition, Authorize
	DeletedAt   time.Time  `bun:"deleted_at,soft_delete,nullzero"` // soft-delete time; zero (NULL) while live; see SoftDelete
	PreStage    int64      `bun:"pre_stage,notnull"`               // StartOptions.PreStage; 0 for none
	PreAction   int64      `bun:"pre_action,notnull"`              // StartOptions.PreAction; 0 for none
	FailReason  FailReason `bun:"fail_reason"`                     // set by Transition (also on success); "" for none
	// StartKey is flowstore's column (migration 0063): the caller's key of
	// the StartRun that started the run (StartOptions.Key), unique per
	// workflow version; "" (NULL) for runs started without one.
	StartKey string `bun:"start_key,nullzero"`
}

// StageLog is a stage of one run (table stage_log). Workflow is the
// workflow_log id, FromWorkflow/FromStage the definition ids, and PreStage
// the previous stage_log id of the run (-1 for the first).
type StageLog struct {
	bun.BaseModel `bun:"table:stage_log,alias:sl"`

	ID           int64      `bun:"id,pk,autoincrement"`             // set by StartRun
	Namespace    string     `bun:"namespace,notnull"`               // copied from the stage definition
	Repository   string     `bun:"repository,notnull"`              // copied from the stage definition
	Workflow     int64      `bun:"workflow,notnull"`                // workflow_log id of the run
	FromWorkflow int64      `bun:"from_workflow,notnull"`           // id of the workflow version run
	Sequence     int64      `bun:"sequence,notnull"`                // the run number
	FromStage    int64      `bun:"from_stage,notnull"`              // id of the stage definition copied
	Type         StageType  `bun:"type,notnull"`                    // copied from the stage definition
	PreStage     int64      `bun:"pre_stage,notnull"`               // previous stage_log id of the run; -1 for the first
	Name         string     `bun:"stage,notnull"`                   // column stage; copied from the stage definition
	Title        string     `bun:"title,notnull"`                   // copied from the stage definition
	Description  string     `bun:"description"`                     // copied from the stage definition
	RunState     RunState   `bun:"run_state"`                       // set by Transition; NULL counts as RunCanListen
	Event        int64      `bun:"event"`                           // copied from the stage definition
	Manifest     string     `bun:"manifest"`                        // copied from the stage definition
	Env          string     `bun:"env"`                             // copied from the stage definition
	Timeout      string     `bun:"timeout"`                         // copied from the stage definition
	Requires     string     `bun:"requires"`                        // open requirements (JSON); Authorize removes them
	AuthList     string     `bun:"auth_list"`                       // JSON list of Authorization; "[]" at start
	CreatedAt    time.Time  `bun:"created_at,nullzero"`             // store clock (UTC) at insert
	UpdatedAt    time.Time  `bun:"updated_at,nullzero"`             // store clock at insert, Transition, Authorize
	DeletedAt    time.Time  `bun:"deleted_at,soft_delete,nullzero"` // soft-delete time; zero (NULL) while live
	FailReason   FailReason `bun:"fail_reason"`                     // set by Transition (also on success); "" for none
}

// ActionLog is an action of one run (table action_log). Workflow and Stage
// are the run's workflow_log and stage_log ids; From* point at definitions.
type ActionLog struct {
	bun.BaseModel `bun:"table:action_log,alias:al"`

	ID           int64      `bun:"id,pk,autoincrement"`             // set by StartRun
	Namespace    string     `bun:"namespace,notnull"`               // copied from the action definition
	Repository   string     `bun:"repository,notnull"`              // copied from the action definition
	Workflow     int64      `bun:"workflow,notnull"`                // workflow_log id of the run
	FromWorkflow int64      `bun:"from_workflow,notnull"`           // id of the workflow version run
	Sequence     int64      `bun:"sequence,notnull"`                // the run number
	Stage        int64      `bun:"stage,notnull"`                   // stage_log id of its stage in the run
	FromStage    int64      `bun:"from_stage,notnull"`              // id of the stage definition
	FromAction   int64      `bun:"from_action,notnull"`             // id of the action definition copied
	RunState     RunState   `bun:"run_state"`                       // set by Transition; NULL counts as RunCanListen
	Component    int64      `bun:"component,notnull"`               // copied from the action definition
	Service      int64      `bun:"service,notnull"`                 // copied from the action definition
	Name         string     `bun:"action,notnull"`                  // column action; copied from the action definition
	Title        string     `bun:"title,notnull"`                   // copied from the action definition
	Description  string     `bun:"description"`                     // copied from the action definition
	Event        int64      `bun:"event"`                           // copied from the action definition
	Manifest     string     `bun:"manifest"`                        // copied from the action definition
	Environment  string     `bun:"environment"`                     // copied from the action definition
	Kubernetes   string     `bun:"kubernetes"`                      // copied from the action definition
	Swarm        string     `bun:"swarm"`                           // copied from the action definition
	Input        string     `bun:"input"`                           // copied from the action definition
	Output       string     `bun:"output"`                          // copied from the action definition
	ImageName    string     `bun:"image_name"`                      // copied from the action definition
	ImageTag     string     `bun:"image_tag"`                       // copied from the action definition
	Timeout      string     `bun:"timeout"`                         // copied from the action definition
	Requires     string     `bun:"requires"`                        // open requirements (JSON); Authorize removes them
	AuthList     string     `bun:"auth_list"`                       // JSON list of Authorization; "[]" at start
	CreatedAt    time.Time  `bun:"created_at,nullzero"`             // store clock (UTC) at insert
	UpdatedAt    time.Time  `bun:"updated_at,nullzero"`             // store clock at insert, Transition, Authorize
	DeletedAt    time.Time  `bun:"deleted_at,soft_delete,nullzero"` // soft-delete time; zero (NULL) while live
	FailReason   FailReason `bun:"fail_reason"`                     // set by Transition (also on success); "" for none
	ContainerID  string     `bun:"container_id"`                    // container that ran it (max 255); nothing here sets it
}

// WorkflowSequence records a run number handed out (table
// workflow_sequence), as pilotage did; StartRun writes one per run.
type WorkflowSequence struct {
	bun.BaseModel `bun:"table:workflow_sequence,alias:ws"`

	ID        int64     `bun:"id,pk,autoincrement"`             // set by the store
	Workflow  int64     `bun:"workflow,notnull"`                // id of the workflow version
	Sequence  int64     `bun:"sequence,notnull"`                // the run number handed out
	CreatedAt time.Time `bun:"created_at,nullzero"`             // store clock (UTC) at insert
	UpdatedAt time.Time `bun:"updated_at,nullzero"`             // store clock at insert
	DeletedAt time.Time `bun:"deleted_at,soft_delete,nullzero"` // soft-delete time; zero (NULL) while live
}

// WorkflowVar is a global variable of a workflow version (table
// workflow_var; the value column is spelt "vaule" in the reference).
type WorkflowVar struct {
	bun.BaseModel `bun:"table:workflow_var,alias:wv"`

	ID        int64     `bun:"id,pk,autoincrement"`             // set by the store
	Workflow  int64     `bun:"workflow"`                        // id of the workflow version; set by the store
	Key       string    `bun:"key"`                             // the variable's name (required, max 255)
	Default   string    `bun:"default"`                         // default value
	Value     string    `bun:"vaule"`                           // column vaule: the current value
	CreatedAt time.Time `bun:"created_at,nullzero"`             // store clock (UTC) at insert
	UpdatedAt time.Time `bun:"updated_at,nullzero"`             // store clock at insert
	DeletedAt time.Time `bun:"deleted_at,soft_delete,nullzero"` // soft-delete time; zero (NULL) while live (SetVars hard-deletes)
}

// WorkflowVarLog is a run's copy of a variable (table workflow_var_log).
// ChangeLog is a JSON array of VarChange, appended by SetRunVar. The table
// has no deleted_at.
type WorkflowVarLog struct {
	bun.BaseModel `bun:"table:workflow_var_log,alias:wvl"`

	ID           int64  `bun:"id,pk,autoincrement"` // set by StartRun
	Workflow     int64  `bun:"workflow"`            // workflow_log id of the run
	FromWorkflow int64  `bun:"from_workflow"`       // id of the workflow version run
	Sequence     int64  `bun:"sequence"`            // the run number
	Key          string `bun:"key"`                 // copied from the variable
	Default      string `bun:"default"`             // copied from the variable
	Value        string `bun:"vaule"`               // column vaule: the run's value; SetRunVar changes it
	ChangeLog    string `bun:"change_log"`          // column change_log: JSON; "[]" at start
}

// Event is a received callback or webhook (table event), stored against a
// run by workflow/stage/action log ids and sequence.
type Event struct {
	bun.BaseModel `bun:"table:event,alias:e"`

	ID            int64          `bun:"id,pk,autoincrement"`             // set by RecordEvent
	Definition    int64          `bun:"definition,notnull"`              // id of the EventDefinition answered; 0 for none
	Title         string         `bun:"title,notnull"`                   // max 255 characters
	Header        string         `bun:"header,notnull"`                  // HTTP headers of the request
	Payload       string         `bun:"payload,notnull"`                 // the request body
	Authorization string         `bun:"authorization"`                   // e.g. Basic credentials or a bearer token
	Type          EventType      `bun:"type,notnull"`                    // EventTypeSystem or EventTypeUser
	Source        EventSource    `bun:"source,notnull"`                  // EventSourceInner or EventSourceOutside
	Character     EventCharacter `bun:"character,notnull"`               // EventCharacterService or EventCharacterComponent
	Namespace     string         `bun:"namespace"`                       // the run's (max 255)
	Repository    string         `bun:"repository"`                      // the run's (max 255)
	Workflow      int64          `bun:"workflow,notnull"`                // workflow_log id of the run
	Stage         int64          `bun:"stage,notnull"`                   // stage_log id concerned; 0 for none
	Action        int64          `bun:"action,notnull"`                  // action_log id concerned; 0 for none
	Sequence      int64          `bun:"sequence,notnull"`                // the run number
	CreatedAt     time.Time      `bun:"created_at,nullzero"`             // store clock (UTC) at insert
	UpdatedAt     time.Time      `bun:"updated_at,nullzero"`             // store clock at insert
	DeletedAt     time.Time      `bun:"deleted_at,soft_delete,nullzero"` // soft-delete time; zero (NULL) while live
}

// EventDefinition declares an event an action listens for (table
// event_definition), e.g. the CO_TASK_STATUS callback URL of an action_log.
type EventDefinition struct {
	bun.BaseModel `bun:"table:event_definition,alias:ed"`

	ID         int64          `bun:"id,pk,autoincrement"`             // set by CreateEventDefinition
	Event      string         `bun:"event,notnull"`                   // event name, e.g. CO_TASK_STATUS (required, max 255)
	Title      string         `bun:"title"`                           // display title (max 255)
	Namespace  string         `bun:"namespace"`                       // max 255 characters
	Repository string         `bun:"repository"`                      // max 255 characters
	Workflow   int64          `bun:"workflow"`                        // workflow (log or definition) id as given; NULL: 0
	Stage      int64          `bun:"stage"`                           // stage (log or definition) id as given; NULL: 0
	Action     int64          `bun:"action,notnull"`                  // action (log or definition) id it belongs to
	Character  EventCharacter `bun:"character,notnull"`               // EventCharacterService or EventCharacterComponent
	Type       EventType      `bun:"type,notnull"`                    // EventTypeSystem or EventTypeUser
	Source     EventSource    `bun:"source,notnull"`                  // EventSourceInner or EventSourceOutside
	Definition string         `bun:"definition"`                      // e.g. the callback URL the container must call
	CreatedAt  time.Time      `bun:"created_at,nullzero"`             // store clock (UTC) at insert
	UpdatedAt  time.Time      `bun:"updated_at,nullzero"`             // store clock at insert
	DeletedAt  time.Time      `bun:"deleted_at,soft_delete,nullzero"` // soft-delete time; zero (NULL) while live
}

// EventJSON is a sample webhook payload per site and event type (table
// event_json; no timestamps, no soft delete).
type EventJSON struct {
	bun.BaseModel `bun:"table:event_json,alias:ej"`

	ID     int64  `bun:"id,pk,autoincrement"` // auto-increment id
	Site   string `bun:"site"`                // webhook site, such as github or gitlab
	Type   string `bun:"type"`                // webhook event type, such as push
	Output string `bun:"output"`              // the sample payload (JSON)
}

// Outcome is one result of a run (table outcome): an action's result, or
// the start (Action and Event = OutcomeStageStart) or end (OutcomeStageEnd)
// of the run.
// Workflow, Stage and Action are log ids; Real* are the definition ids.
type Outcome struct {
	bun.BaseModel `bun:"table:outcome,alias:o"`

	ID           int64     `bun:"id,pk,autoincrement"`             // set by the store
	Workflow     int64     `bun:"workflow,notnull"`                // workflow_log id of the run (required)
	RealWorkflow int64     `bun:"real_workflow,notnull"`           // id of the workflow version run
	Stage        int64     `bun:"stage,notnull"`                   // stage_log id (the start or end stage for those)
	RealStage    int64     `bun:"real_stage,notnull"`              // id of the stage definition
	Action       int64     `bun:"action,notnull"`                  // action_log id, or OutcomeStageStart/OutcomeStageEnd
	RealAction   int64     `bun:"real_action,notnull"`             // action definition id, or the same stage code
	Event        int64     `bun:"event"`                           // event id, or the stage code on start/end outcomes
	Sequence     int64     `bun:"sequence,notnull"`                // the run number
	Status       bool      `bun:"status"`                          // true for success; NULL reads as false
	Result       string    `bun:"result"`                          // the result the component reported
	Output       string    `bun:"output"`                          // the output reported, or the run's start data
	CreatedAt    time.Time `bun:"created_at,nullzero"`             // store clock (UTC) at insert
	UpdatedAt    time.Time `bun:"updated_at,nullzero"`             // store clock at insert
	DeletedAt    time.Time `bun:"deleted_at,soft_delete,nullzero"` // soft-delete time; zero (NULL) while live
}

// Timer is a cron start definition of a workflow (table timer). NextRun is
// flowstore's extra column (migration 0060): when the timer fires next.
type Timer struct {
	bun.BaseModel `bun:"table:timer,alias:t"`

	ID         int64     `bun:"id,pk,autoincrement"`             // set by CreateTimer
	Namespace  string    `bun:"namespace,notnull"`               // required, max 255 characters
	Repository string    `bun:"repository,notnull"`              // max 255 characters
	Workflow   int64     `bun:"workflow"`                        // id of the workflow version it starts (must exist)
	Available  bool      `bun:"available"`                       // whether it fires; see SetTimerAvailable
	Cron       string    `bun:"cron"`                            // cron expression for trigger.ParseCron (max 255)
	EventType  string    `bun:"event_type"`                      // label stored as given (max 255); not used here
	EventName  string    `bun:"event_name"`                      // label stored as given (max 255); not used here
	StartJSON  string    `bun:"start_json"`                      // column start_json: start data of the runs it starts
	CreatedAt  time.Time `bun:"created_at,nullzero"`             // store clock (UTC) at insert
	UpdatedAt  time.Time `bun:"updated_at,nullzero"`             // store clock at insert, SetTimerAvailable, firing
	DeletedAt  time.Time `bun:"deleted_at,soft_delete,nullzero"` // soft-delete time; zero (NULL) while live (also DeleteWorkflow)
	// NextRun is when the timer fires next (UTC), kept by the store;
	// zero (NULL) while it is off, and for pilotage's timers until the next
	// FireDueTimers schedules them.
	NextRun time.Time `bun:"next_run,nullzero"`
}

// Component is a container image in the catalogue (table component).
type Component struct {
	bun.BaseModel `bun:"table:component,alias:c"`

	ID             int64     `bun:"id,pk,autoincrement"`             // set by CreateComponent
	Namespace      string    `bun:"namespace,notnull"`               // owning user or organisation (required, max 255)
	Version        string    `bun:"version"`                         // version label for display
	VersionCode    int64     `bun:"version_code"`                    // version number, as the caller sets it
	Name           string    `bun:"component,notnull"`               // column component: its name (required, max 255)
	Type           int64     `bun:"type,notnull"`                    // container type as pilotage numbers it: 0 Docker, 1 rkt
	Title          string    `bun:"title"`                           // display name (max 255)
	Gravatar       string    `bun:"gravatar"`                        // logo
	Description    string    `bun:"description"`                     // free text (pilotage: Markdown)
	Endpoint       string    `bun:"endpoint"`                        // image location, such as registry/name:tag
	Source         string    `bun:"source,notnull"`                  // where its source lives, such as a git URL
	Environment    string    `bun:"environment"`                     // environment parameters (pilotage: JSON)
	Tag            string    `bun:"tag"`                             // version tag (max 255)
	VolumeLocation string    `bun:"volume_location"`                 // volume path inside the container
	VolumeData     string    `bun:"volume_data"`                     // source of the volume's data
	Makefile       string    `bun:"makefile"`                        // build script, such as a Dockerfile
	Kubernetes     string    `bun:"kubernetes"`                      // Kubernetes template to run the container
	Swarm          string    `bun:"swarm"`                           // Docker Swarm template to run the container
	Input          string    `bun:"input"`                           // input definition (pilotage: JSON)
	Output         string    `bun:"output"`                          // output definition (pilotage: JSON)
	Timeout        int64     `bun:"timeout"`                         // time-out as the caller stores it; not enforced
	Manifest       string    `bun:"manifest"`                        // further definition text, as given
	CreatedAt      time.Time `bun:"created_at,nullzero"`             // store clock (UTC) at insert
	UpdatedAt      time.Time `bun:"updated_at,nullzero"`             // store clock at insert
	DeletedAt      time.Time `bun:"deleted_at,soft_delete,nullzero"` // soft-delete time; zero (NULL) while live
}

// Service is a third-party service of a namespace (table service; unique
// per namespace and name).
type Service struct {
	bun.BaseModel `bun:"table:service,alias:sv"`

	ID            int64     `bun:"id,pk,autoincrement"`             // set by the store
	Namespace     string    `bun:"namespace,notnull"`               // owning user or organisation (required, max 255)
	Name          string    `bun:"service,notnull"`                 // column service: its name (required, max 255)
	Title         string    `bun:"title"`                           // display name (max 255)
	Gravatar      string    `bun:"gravatar"`                        // logo
	Endpoints     string    `bun:"endpoints"`                       // the service's endpoint URLs (JSON)
	Environment   string    `bun:"environment"`                     // environment settings
	Authorization string    `bun:"authorization"`                   // credentials or authorization settings
	Configuration string    `bun:"configuration"`                   // configuration text
	Description   string    `bun:"description"`                     // free text
	CreatedAt     time.Time `bun:"created_at,nullzero"`             // store clock (UTC) at insert
	UpdatedAt     time.Time `bun:"updated_at,nullzero"`             // store clock at insert
	DeletedAt     time.Time `bun:"deleted_at,soft_delete,nullzero"` // soft-delete time; zero (NULL) while live
}

// ServiceDefinition is a kind of third-party service (table
// serivce_definition — the reference's spelling; unique by name).
type ServiceDefinition struct {
	bun.BaseModel `bun:"table:serivce_definition,alias:sd"`

	ID            int64     `bun:"id,pk,autoincrement"`             // set by the store
	Name          string    `bun:"service,notnull"`                 // column service: its name (required, max 255)
	Title         string    `bun:"title"`                           // display name (max 255)
	Gravatar      string    `bun:"gravatar"`                        // logo
	Endpoints     string    `bun:"endpoints"`                       // the service's endpoint URLs (JSON)
	Status        string    `bun:"status"`                          // the service's status endpoint
	Environment   string    `bun:"environment"`                     // environment settings
	Authorization string    `bun:"authorization"`                   // credentials or authorization settings
	Configuration string    `bun:"configuration"`                   // configuration text
	Description   string    `bun:"description"`                     // free text
	CreatedAt     time.Time `bun:"created_at,nullzero"`             // store clock (UTC) at insert
	UpdatedAt     time.Time `bun:"updated_at,nullzero"`             // store clock at insert
	DeletedAt     time.Time `bun:"deleted_at,soft_delete,nullzero"` // soft-delete time; zero (NULL) while live
}

// UserSetting is the JSON settings of one namespace/repository (table
// user_setting).
type UserSetting struct {
	bun.BaseModel `bun:"table:user_setting,alias:us"`

	ID         int64     `bun:"id,pk,autoincrement"`             // set by the store
	Namespace  string    `bun:"namespace,notnull"`               // owning user or organisation (required, max 255)
	Repository string    `bun:"repository,notnull"`              // max 255 characters
	Setting    string    `bun:"setting"`                         // the settings (pilotage: JSON)
	CreatedAt  time.Time `bun:"created_at,nullzero"`             // store clock (UTC) at insert
	UpdatedAt  time.Time `bun:"updated_at,nullzero"`             // store clock at insert and every SetUserSetting
	DeletedAt  time.Time `bun:"deleted_at,soft_delete,nullzero"` // soft-delete time; zero (NULL) while live
}
