package pipeline

import (
	"fmt"
	"time"
)

// State is workflow.state: whether a workflow version may be run. Stored as
// pilotage stores it, an integer.
type State int64

// The workflow states.
const (
	StateDisabled State = 0 // new versions start here
	StateRunnable State = 1 // "latest runnable" = highest id in this state
)

// String returns the state's name.
func (s State) String() string {
	switch s {
	case StateDisabled:
		return "disabled"
	case StateRunnable:
		return "runnable"
	}
	return fmt.Sprintf("State(%d)", int64(s))
}

func (s State) valid() bool { return s == StateDisabled || s == StateRunnable }

// StageType is stage.type (and stage_log.type).
type StageType int64

// The stage types, with the names pilotage's UI used.
const (
	StageStart StageType = 0 // "workflow-start"
	StageEnd   StageType = 1 // "workflow-end"
	StageRun   StageType = 2 // "workflow-stage"
)

// String returns the UI name of the stage type.
func (t StageType) String() string {
	switch t {
	case StageStart:
		return "workflow-start"
	case StageEnd:
		return "workflow-end"
	case StageRun:
		return "workflow-stage"
	}
	return fmt.Sprintf("StageType(%d)", int64(t))
}

func (t StageType) valid() bool { return t >= StageStart && t <= StageRun }

// RunState is run_state of workflow_log, stage_log and action_log; the same
// codes on all three.
type RunState int64

// The run states. Success and Failed are terminal: no transition leaves them.
const (
	RunCanListen   RunState = 0 // created, not yet armed
	RunWaitToStart RunState = 1 // armed, waiting for its requires to be authorised
	RunDoing       RunState = 2 // running
	RunSuccess     RunState = 3 // finished well (terminal)
	RunFailed      RunState = 4 // finished badly (terminal)
)

// String returns the pilotage name of the state.
func (s RunState) String() string {
	switch s {
	case RunCanListen:
		return "CanListen"
	case RunWaitToStart:
		return "WaitToStart"
	case RunDoing:
		return "Doing"
	case RunSuccess:
		return "RunSuccess"
	case RunFailed:
		return "RunFailed"
	}
	return fmt.Sprintf("RunState(%d)", int64(s))
}

// Terminal reports whether the state is final (Success or Failed).
func (s RunState) Terminal() bool { return s == RunSuccess || s == RunFailed }

// from lists the states a transition into s may start from. Terminal states
// are never left; Doing requires an armed or fresh run; a run may fail from
// any live state (time-outs, refused starts), but succeeds only from Doing.
func (s RunState) from() []RunState {
	switch s {
	case RunWaitToStart:
		return []RunState{RunCanListen}
	case RunDoing:
		return []RunState{RunCanListen, RunWaitToStart}
	case RunSuccess:
		return []RunState{RunDoing}
	case RunFailed:
		return []RunState{RunCanListen, RunWaitToStart, RunDoing}
	}
	return nil
}

// FailReason is the fail_reason text pilotage writes on log rows. Despite the
// column name it is also set on success.
type FailReason string

// The reasons pilotage writes (module/workflow.go, stage.go, action.go).
const (
	ReasonWorkflowRunSuccess   FailReason = "WORKFLOW_RUN_SUCCESS"
	ReasonWorkflowRunFailed    FailReason = "WORKFLOW_RUN_FAILED"
	ReasonNoRoomForRunInstance FailReason = "NO_ROOM_FOR_RUN_INSTANCE"
	ReasonTimeOut              FailReason = "TIME_OUT"
	ReasonRunSuccess           FailReason = "RUN_SUCCESS"
	ReasonStageRunFailed       FailReason = "STAGE_RUN_FAILED"
	ReasonPreStageRunFailed    FailReason = "PRE_STAGE_RUN_FAILED"
	ReasonActionRunSuccess     FailReason = "ACTION_RUN_SUCCESS"
	ReasonActionRunFailed      FailReason = "ACTION_RUN_FAILED"
	ReasonSendDataFailed       FailReason = "SEND_DATA_FAILED"
)

// FailReasons returns every reason pilotage writes.
func FailReasons() []FailReason {
	return []FailReason{ReasonWorkflowRunSuccess, ReasonWorkflowRunFailed, ReasonNoRoomForRunInstance,
		ReasonTimeOut, ReasonRunSuccess, ReasonStageRunFailed, ReasonPreStageRunFailed,
		ReasonActionRunSuccess, ReasonActionRunFailed, ReasonSendDataFailed}
}

func (r FailReason) valid() bool {
	if r == "" {
		return true
	}
	for _, k := range FailReasons() {
		if r == k {
			return true
		}
	}
	return false
}

// Event codes. pilotage declared type, source and character in one iota
// block, so the values continue from each other; they are stored as is and
// must not be renumbered.
type (
	// EventType is event.type / event_definition.type.
	EventType int64
	// EventSource is event.source / event_definition.source.
	EventSource int64
	// EventCharacter is event.character / event_definition.character.
	EventCharacter int64
)

// The event codes, 0–5. Each kind accepts only its own two codes: an event
// of type 0 comes from source 2 or 3 and has character 4 or 5, never 0.
const (
	EventTypeSystem         EventType      = 0
	EventTypeUser           EventType      = 1
	EventSourceInner        EventSource    = 2
	EventSourceOutside      EventSource    = 3
	EventCharacterService   EventCharacter = 4
	EventCharacterComponent EventCharacter = 5
)

// String returns the name of the event type.
func (t EventType) String() string {
	switch t {
	case EventTypeSystem:
		return "system"
	case EventTypeUser:
		return "user"
	}
	return fmt.Sprintf("EventType(%d)", int64(t))
}

func (t EventType) valid() bool { return t == EventTypeSystem || t == EventTypeUser }

// String returns the name of the event source.
func (s EventSource) String() string {
	switch s {
	case EventSourceInner:
		return "inner"
	case EventSourceOutside:
		return "outside"
	}
	return fmt.Sprintf("EventSource(%d)", int64(s))
}

func (s EventSource) valid() bool { return s == EventSourceInner || s == EventSourceOutside }

// String returns the name of the event character.
func (c EventCharacter) String() string {
	switch c {
	case EventCharacterService:
		return "service"
	case EventCharacterComponent:
		return "component"
	}
	return fmt.Sprintf("EventCharacter(%d)", int64(c))
}

func (c EventCharacter) valid() bool {
	return c == EventCharacterService || c == EventCharacterComponent
}

// checkEventCodes refuses codes outside pilotage's iota block before
// anything is written.
func checkEventCodes(t EventType, s EventSource, c EventCharacter) error {
	switch {
	case !t.valid():
		return invalid("unknown event type %d (want %d %s or %d %s)", t, EventTypeSystem, EventTypeSystem, EventTypeUser, EventTypeUser)
	case !s.valid():
		return invalid("unknown event source %d (want %d %s or %d %s)", s, EventSourceInner, EventSourceInner, EventSourceOutside, EventSourceOutside)
	case !c.valid():
		return invalid("unknown event character %d (want %d %s or %d %s)", c,
			EventCharacterService, EventCharacterService, EventCharacterComponent, EventCharacterComponent)
	}
	return nil
}

// Outcome action (and event) codes for the stages that have no action.
const (
	OutcomeStageStart int64 = 0  // the run's start data, recorded on the start stage
	OutcomeStageEnd   int64 = -1 // the run's end, recorded on the end stage
)

// AuthType names a kind of authorisation in requires / auth_list.
type AuthType string

// The authorisation types pilotage knows (module/auth.go).
const (
	AuthDefault           AuthType = "default"
	AuthWorkflowStartAPI  AuthType = "WorkflowStartAPI"
	AuthWorkflowStartDone AuthType = "WorkflowStartDone"
	AuthPreStageDone      AuthType = "PreStageDone"
	AuthStageStartDone    AuthType = "StageStartDone"
)

// DefaultToken is the token of a default authorisation.
const DefaultToken = "default"

// Requirement is one entry of a requires JSON array: an authorisation the
// run (or stage, or action) waits for.
type Requirement struct {
	Type  AuthType `json:"type"`  // the kind of authorisation awaited
	Token string   `json:"token"` // the token that satisfies it (DefaultToken for AuthDefault)
}

// Authorization is one entry of an auth_list JSON array: a requirement that
// was satisfied, by whom and when.
type Authorization struct {
	Type       AuthType  `json:"type"`       // the satisfied requirement's type
	Token      string    `json:"token"`      // the satisfied requirement's token
	Authorizer string    `json:"authorizer"` // who authorised it, as passed to Authorize
	Time       time.Time `json:"time"`       // when, from the store clock (UTC)
}

// VarChange is one entry of workflow_var_log.change_log.
type VarChange struct {
	User   string    `json:"user"`   // who changed the variable, as passed to SetRunVar
	Time   time.Time `json:"time"`   // when, from the store clock (UTC)
	Action string    `json:"action"` // what changed: set KEY from "OLD" to "NEW"
}

// Level names which of the three run-log tables a run-state operation works on.
type Level int

// The levels of a run.
const (
	LevelWorkflow Level = iota // workflow_log
	LevelStage                 // stage_log
	LevelAction                // action_log
)

// table returns the log table of the level (identifiers from code only).
func (l Level) table() string {
	switch l {
	case LevelStage:
		return "stage_log"
	case LevelAction:
		return "action_log"
	}
	return "workflow_log"
}

// String returns the table name of the level.
func (l Level) String() string { return l.table() }

func (l Level) valid() bool { return l >= LevelWorkflow && l <= LevelAction }
