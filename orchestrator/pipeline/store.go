package pipeline

import (
	"context"
	"iter"
	"time"

	"github.com/flowstore/flowstore/store"
)

// Store is every operation of the package: definitions, runs and timers
// (the embedded interfaces group them for reading). New makes one on a
// *store.DB; WithTx binds it to a *store.Session.
type Store interface {
	Definitions
	Runs
	Timers
	// WithTx returns the same store bound to s: its writes commit or roll
	// back with the session's other work, and its multi-statement methods
	// run in savepoints inside it.
	WithTx(s *store.Session) Store
}

// WorkflowSpec is a workflow version to create: the workflow row, its stages
// in order (each with its actions) and its variables.
type WorkflowSpec struct {
	Workflow Workflow      // the version row; CreateWorkflow sets id, code, counters, times
	Stages   []StageSpec   // the stages in order, each with its actions
	Vars     []WorkflowVar // the version's variables
}

// StageSpec is a stage and its actions.
type StageSpec struct {
	Stage   Stage    // the stage row; CreateWorkflow sets its ids and links
	Actions []Action // the stage's actions, in order
}

// Definition is a stored workflow version with its stages, actions and
// variables, as GetWorkflow returns it.
type Definition struct {
	Workflow Workflow       // the version's workflow row
	Stages   []DefinedStage // its stages in id order, each with its actions
	Vars     []WorkflowVar  // its variables in id order
}

// DefinedStage is a stored stage and its actions.
type DefinedStage struct {
	Stage   Stage    // the stage row
	Actions []Action // its actions in id order
}

// Definitions manages the definition tables. Reads never return
// soft-deleted rows.
type Definitions interface {
	// CreateWorkflow stores a new version of the named workflow with its
	// stages, actions and variables in one transaction. VersionCode becomes
	// the highest code of that name (deleted versions included) plus one, 1
	// for the first. Every version is stored with the caller's
	// spec.Workflow.State, the first and later ones alike: State's zero
	// value is StateDisabled, so a spec that leaves it unset makes a
	// disabled version (pilotage's default) that SetState enables later,
	// and a spec that says StateRunnable makes a version that
	// LatestRunnable returns at once. Nothing the caller set is overridden
	// silently. Stage pre_stage links are filled in to chain the stages in
	// the given order.
	CreateWorkflow(ctx context.Context, spec WorkflowSpec) (*Definition, error)
	// GetWorkflow returns a version with its stages, actions and variables.
	GetWorkflow(ctx context.Context, id int64) (*Definition, error)
	// ListVersions returns the versions of a workflow, oldest first.
	ListVersions(ctx context.Context, namespace, repository, name string) ([]Workflow, error)
	// LatestRunnable returns the highest-id runnable version of a workflow.
	LatestRunnable(ctx context.Context, namespace, repository, name string) (*Workflow, error)
	// SetState enables (StateRunnable) or disables a version.
	SetState(ctx context.Context, id int64, state State) error
	// SetInstanceLimit caps concurrent runs of a version; limit < 0 removes
	// the cap.
	SetInstanceLimit(ctx context.Context, id int64, limit int64) error
	// DeleteWorkflow soft-deletes a version with its stages, actions,
	// variables and timers.
	DeleteWorkflow(ctx context.Context, id int64) error
	// SoftDelete sets deleted_at on one row of a table that has it.
	// Deleting the workflow_log row of a run that has not ended (as
	// pilotage allowed) also gives back its instance, in the same
	// transaction: current_instance counts the runs that are neither ended
	// nor deleted. The run's state is left as it was; later changes to it
	// are ErrNotFound.
	SoftDelete(ctx context.Context, table Table, id int64) error
	// HardDelete removes one row for good, soft-deleted or not; a run's
	// workflow_log row gives back its instance as with SoftDelete.
	HardDelete(ctx context.Context, table Table, id int64) error

	// SetVars replaces a version's variables (a hard delete and reinsert, as
	// pilotage does). An unknown or deleted version is ErrNotFound.
	SetVars(ctx context.Context, workflow int64, vars []WorkflowVar) error
	// ListVars returns a version's variables.
	ListVars(ctx context.Context, workflow int64) ([]WorkflowVar, error)

	// CreateComponent stores a component.
	CreateComponent(ctx context.Context, c *Component) error
	// ListComponents lists a namespace's components in id order.
	ListComponents(ctx context.Context, namespace string) ([]Component, error)
	// CreateService stores a service (unique per namespace and name).
	CreateService(ctx context.Context, s *Service) error
	// ListServices lists a namespace's services in id order.
	ListServices(ctx context.Context, namespace string) ([]Service, error)
	// CreateServiceDefinition stores a service definition (unique by name).
	CreateServiceDefinition(ctx context.Context, d *ServiceDefinition) error
	// ListServiceDefinitions lists every service definition in id order.
	ListServiceDefinitions(ctx context.Context) ([]ServiceDefinition, error)
	// SetUserSetting stores the settings of a namespace/repository,
	// replacing earlier ones. Concurrent callers are serialised by a name
	// lock, so the first settings of a namespace/repository are inserted
	// once, however many callers race.
	SetUserSetting(ctx context.Context, namespace, repository, setting string) (*UserSetting, error)
	// UserSetting returns the settings of a namespace/repository (ErrNotFound
	// when there are none).
	UserSetting(ctx context.Context, namespace, repository string) (*UserSetting, error)
	// CreateEventDefinition stores an event definition. Type, Source and
	// Character must be codes of their kind (ErrInvalid).
	CreateEventDefinition(ctx context.Context, d *EventDefinition) error
	// EventDefinitions lists the event definitions of an action (log or
	// definition id, as stored) in id order.
	EventDefinitions(ctx context.Context, action int64) ([]EventDefinition, error)
}

// StartOptions are the optional inputs of StartRun.
type StartOptions struct {
	Event           int64  // event id that started the run
	PreWorkflow     int64  // a run started by another run: its workflow_log id
	PreWorkflowInfo string // and a note about it
	PreStage        int64  // with PreWorkflow: the stage of that run that started it
	PreAction       int64  // with PreWorkflow: the action of that run that started it
	// StartData, when not empty, is recorded as the start stage's outcome
	// (action OutcomeStageStart) in the same transaction.
	StartData string
	// Key, when not empty, makes the start idempotent: a caller-chosen key
	// (at most 255 characters), stored with the run and unique per
	// workflow version. StartRun with a key that already started a run of
	// the version starts nothing and returns that run, as it is now; so a
	// caller who does not know whether a start committed — a timeout,
	// store.ErrCommitUnknown — calls again with the same key. A key whose
	// run was deleted since is store.ErrConflict.
	Key string
}

// Run is one run with everything recorded about it.
type Run struct {
	Workflow WorkflowLog      // the run's workflow_log row
	Stages   []RunStage       // its stages in order, each with its actions
	Vars     []WorkflowVarLog // its variables (workflow_var_log rows)
	Outcomes []Outcome        // its outcomes, in the order recorded
	Events   []Event          // its events, in the order recorded
}

// RunStage is a stage of a run and its actions.
type RunStage struct {
	Stage   StageLog    // the stage_log row
	Actions []ActionLog // its action_log rows in id order
}

// RunFilter selects runs by what users browse history by. Version "" means
// every version.
type RunFilter struct {
	Namespace, Repository, Workflow, Version string // the runs' namespace, repository, workflow name, version
	// Limit is the most runs ListRuns returns, and AllRuns's page size: 0
	// means store.DefaultLimit, a negative limit is store.ErrInvalid.
	Limit int
}

// Runs starts runs and records what happens to them.
type Runs interface {
	// StartRun starts a run of a workflow version in one transaction: it
	// takes the next sequence, counts the instance, and copies the workflow,
	// stages, actions and variables into the *_log tables. A disabled version
	// gives ErrDisabled, a full one an *InstanceLimitError; nothing is
	// written then.
	StartRun(ctx context.Context, workflow int64, opts StartOptions) (*Run, error)
	// Transition changes the run_state of a workflow_log, stage_log or
	// action_log row if its current state allows it (see RunState), and
	// records reason. Ending a workflow run (Success, Failed) releases its
	// instance in the same transaction. A refused change is a
	// *TransitionError; starting (Doing) with open requires is
	// ErrNotAuthorized.
	Transition(ctx context.Context, level Level, id int64, to RunState, reason FailReason) error
	// Authorize satisfies one requirement of a log row: it moves from
	// requires to auth_list with the authoriser and time. It returns how many
	// requirements remain; at 0 the row may start.
	Authorize(ctx context.Context, level Level, id int64, req Requirement, authorizer string) (remaining int, err error)
	// RecordEvent stores a received event against a run. Type, Source and
	// Character must be codes of their kind (EventTypeSystem or
	// EventTypeUser, EventSourceInner or EventSourceOutside,
	// EventCharacterService or EventCharacterComponent); others are
	// refused with store.ErrInvalid and nothing is written.
	RecordEvent(ctx context.Context, e *Event) error
	// RecordOutcome stores an action's outcome.
	RecordOutcome(ctx context.Context, o *Outcome) error
	// RecordStageOutcome records and returns the start (which =
	// OutcomeStageStart) or end (OutcomeStageEnd) outcome of run, a
	// workflow_log id, on the run's start or end stage.
	RecordStageOutcome(ctx context.Context, run int64, which int64, status bool, result, output string) (*Outcome, error)
	// Outcomes lists a run's outcomes in the order they were recorded.
	Outcomes(ctx context.Context, run int64) ([]Outcome, error)
	// SetRunVar changes a run variable and appends {user, time, action} to
	// its change_log in the same transaction.
	SetRunVar(ctx context.Context, run int64, key, value, user string) error
	// ListRuns lists the newest f.Limit runs, newest first.
	ListRuns(ctx context.Context, f RunFilter) ([]WorkflowLog, error)
	// AllRuns streams every run f selects, newest first, in pages of
	// f.Limit rows (keyset paging by id): a long history is read without
	// holding it in memory. An error ends the iteration.
	AllRuns(ctx context.Context, f RunFilter) iter.Seq2[WorkflowLog, error]
	// GetRun returns the run with the given sequence (0 = the latest) with
	// its stages, actions, variables, outcomes and events. Sequences count
	// per version; with f.Version "" the newest run carrying that sequence
	// (of any version) is returned.
	GetRun(ctx context.Context, f RunFilter, sequence int64) (*Run, error)
	// GetRunByID is GetRun by workflow_log id.
	GetRunByID(ctx context.Context, id int64) (*Run, error)
}

// Firing is what FireDueTimers did with one due timer.
type Firing struct {
	Timer   Timer        // the timer, its NextRun already advanced
	Due     time.Time    // the occurrence that fired
	NextRun time.Time    // the next one
	Run     *WorkflowLog // the run started, nil if Err is set
	Err     error        // why no run started (disabled, instance limit)
}

// Timers manages cron start definitions.
type Timers interface {
	// CreateTimer validates the cron expression (trigger.ParseCron) and
	// stores the timer with its first fire time. An expression that never
	// fires is ErrNeverFires (and store.ErrInvalid); an unknown or deleted
	// workflow version is store.ErrNotFound.
	CreateTimer(ctx context.Context, t *Timer) error
	// ListTimers lists a workflow version's timers.
	ListTimers(ctx context.Context, workflow int64) ([]Timer, error)
	// SetTimerAvailable switches a timer on (recomputing its next fire
	// time; ErrNeverFires for an expression that never fires) or off.
	SetTimerAvailable(ctx context.Context, id int64, available bool) error
	// FireDueTimers starts a run for every available timer whose next fire
	// time has come, and advances the timer, in one transaction per timer.
	// Several processes may call it at once: each occurrence fires once. A
	// stored timer whose expression never fires is switched off instead.
	FireDueTimers(ctx context.Context) ([]Firing, error)
}
