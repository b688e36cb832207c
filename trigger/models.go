package trigger

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/flowstore/flowstore/store"
)

// Type is the kind of a trigger, stored in Triggers.type as OpenOrchestrator
// stores its TriggerType enum: the upper-case member name, which is also the
// polymorphic discriminator of the joined-table inheritance.
type Type string

// The three trigger types.
const (
	// Single fires once at NextRun and is DONE afterwards (until resumed).
	Single Type = "SINGLE"
	// Scheduled fires at the times of a cron expression; after each start
	// NextRun moves to the next cron time after now (missed runs are not
	// replayed).
	Scheduled Type = "SCHEDULED"
	// Queue fires while its queue holds at least MinBatchSize NEW elements.
	Queue Type = "QUEUE"
)

// Types returns the three types in OpenOrchestrator's start order (at equal
// priority a single trigger starts before a scheduled one, and a scheduled
// one before a queue trigger).
func Types() []Type { return []Type{Single, Scheduled, Queue} }

// String returns the stored name.
func (t Type) String() string { return string(t) }

// Validate returns an error wrapping store.ErrInvalid for an unknown type.
func (t Type) Validate() error {
	switch t {
	case Single, Scheduled, Queue:
		return nil
	}
	return fmt.Errorf("%w: unknown trigger type %q (want SINGLE, SCHEDULED or QUEUE)", store.ErrInvalid, string(t))
}

// ParseType accepts a stored name ("SCHEDULED") or the display name
// ("Scheduled"), in any case.
func ParseType(s string) (Type, error) {
	t := Type(strings.ToUpper(strings.TrimSpace(s)))
	return t, t.Validate()
}

// Status is the state of a trigger (Triggers.process_status), stored as
// OpenOrchestrator stores its TriggerStatus enum: the upper-case member name.
type Status string

// The eight statuses. See the package documentation for the transitions.
const (
	StatusIdle    Status = "IDLE"    // waiting to be due
	StatusRunning Status = "RUNNING" // started by a scheduler
	StatusFailed  Status = "FAILED"  // the last run failed; not started again until resumed
	StatusDone    Status = "DONE"    // a single trigger that ran
	StatusPaused  Status = "PAUSED"  // disabled
	StatusPausing Status = "PAUSING" // running, to be PAUSED when the run ends
	StatusKilling Status = "KILLING" // running, its scheduler is asked to stop it
	StatusKilled  Status = "KILLED"  // stopped by a kill
)

// Statuses returns all eight statuses.
func Statuses() []Status {
	return []Status{StatusIdle, StatusRunning, StatusFailed, StatusDone, StatusPaused, StatusPausing, StatusKilling, StatusKilled}
}

// String returns the stored name.
func (s Status) String() string { return string(s) }

// Validate returns an error wrapping store.ErrInvalid for an unknown status.
func (s Status) Validate() error {
	for _, k := range Statuses() {
		if s == k {
			return nil
		}
	}
	return fmt.Errorf("%w: unknown trigger status %q (want one of IDLE, RUNNING, FAILED, DONE, PAUSED, PAUSING, KILLING, KILLED)", store.ErrInvalid, string(s))
}

// Active reports whether a run is in progress (RUNNING, PAUSING, KILLING).
func (s Status) Active() bool {
	return s == StatusRunning || s == StatusPausing || s == StatusKilling
}

// ParseStatus accepts a stored name ("PAUSING") or the display name
// ("Pausing"), in any case.
func ParseStatus(s string) (Status, error) {
	st := Status(strings.ToUpper(strings.TrimSpace(s)))
	return st, st.Validate()
}

// Column lengths of the trigger tables. Longer values are refused with
// store.ErrTooLong before anything is written.
const (
	MaxTriggerName   = 100
	MaxProcessName   = 100
	MaxProcessPath   = 250
	MaxProcessArgs   = 1000
	MaxGitBranch     = 100
	MaxWhitelist     = 250 // the JSON text of SchedulerWhitelist
	MaxCronExpr      = 200
	MaxQueueName     = 200 // Queue_Triggers.queue_name; note Queues.queue_name holds only 100
	MaxSchedulerName = 100
)

// Trigger is one trigger: the common Triggers row joined with the row of its
// type's table. Fields of the other types are zero.
type Trigger struct {
	ID          uuid.UUID
	Name        string // trigger_name
	ProcessName string
	ProcessPath string
	ProcessArgs string // NULL reads as ""
	IsGitRepo   bool
	GitBranch   string // NULL reads as ""
	IsBlocking  bool
	Priority    int
	// SchedulerWhitelist lists the schedulers (by name) allowed to start
	// the trigger; empty means any scheduler not in whitelist-only mode.
	SchedulerWhitelist []string
	Type               Type
	Status             Status
	LastRun            time.Time // zero when never run

	// RunningOn names the Scheduler that started the current run
	// (flowstore_scheduler; empty when not running or started by another
	// system).
	RunningOn string

	// NextRun is when a single or scheduled trigger is next due.
	NextRun time.Time
	// CronExpr is a scheduled trigger's cron expression.
	CronExpr string
	// QueueName and MinBatchSize belong to a queue trigger.
	QueueName    string
	MinBatchSize int
}

// Spec is what Create needs for a trigger of any type; the type-specific
// fields of the other types must stay zero. New triggers are IDLE.
type Spec struct {
	Type        Type
	Name        string
	ProcessName string
	ProcessPath string
	ProcessArgs string
	IsGitRepo   bool
	GitBranch   string
	// IsBlocking: a blocking trigger starts only on a scheduler that runs
	// nothing else, and nothing else starts there while it runs.
	// OpenOrchestrator's UI defaults it to true; here the zero value is false.
	IsBlocking         bool
	Priority           int
	SchedulerWhitelist []string

	// Single: NextRun is required. Scheduled: CronExpr is required and
	// NextRun defaults to the next cron time after now.
	NextRun  time.Time
	CronExpr string
	// Queue: QueueName is required, MinBatchSize must be at least 1.
	QueueName    string
	MinBatchSize int
}

// Patch names the fields Update changes; nil fields are left alone, so two
// writers editing different fields do not overwrite each other (unlike
// OpenOrchestrator's whole-row merge). Status is not here: it changes only
// through the transitions (Begin, End, Pause, …).
type Patch struct {
	Name               *string
	ProcessName        *string
	ProcessPath        *string
	ProcessArgs        *string
	IsGitRepo          *bool
	GitBranch          *string
	IsBlocking         *bool
	Priority           *int
	SchedulerWhitelist *[]string

	// NextRun: single and scheduled triggers.
	NextRun *time.Time
	// CronExpr: scheduled triggers. Changing it without NextRun moves
	// NextRun to the new expression's next time after now.
	CronExpr *string
	// QueueName, MinBatchSize: queue triggers.
	QueueName    *string
	MinBatchSize *int
}

// Filter selects triggers for List; zero fields match everything.
type Filter struct {
	Type        Type
	Statuses    []Status
	ProcessName string
}

// SchedulerInfo is a row of the Schedulers table: a scheduler's heartbeat and
// the trigger it started last.
type SchedulerInfo struct {
	bun.BaseModel `bun:"table:Schedulers"`

	MachineName       string    `bun:"machine_name,pk"`
	LastUpdate        time.Time `bun:"last_update,notnull"`
	LatestTrigger     string    `bun:"latest_trigger,nullzero"`
	LatestTriggerTime time.Time `bun:"latest_trigger_time,nullzero"`
}

// The rows of the four trigger tables, for bun.

type triggerRow struct {
	bun.BaseModel `bun:"table:Triggers"`

	ID                 uuid.UUID `bun:"id,pk"`
	TriggerName        string    `bun:"trigger_name,notnull"`
	ProcessName        string    `bun:"process_name,notnull"`
	LastRun            time.Time `bun:"last_run,nullzero"`
	ProcessPath        string    `bun:"process_path,notnull"`
	ProcessArgs        string    `bun:"process_args,nullzero"`
	ProcessStatus      Status    `bun:"process_status,notnull"`
	IsGitRepo          bool      `bun:"is_git_repo,notnull"`
	IsBlocking         bool      `bun:"is_blocking,notnull"`
	Type               Type      `bun:"type,notnull"`
	GitBranch          string    `bun:"git_branch,nullzero"`
	SchedulerWhitelist string    `bun:"scheduler_whitelist,nullzero"`
	Priority           int       `bun:"priority,notnull"`
	FlowstoreScheduler string    `bun:"flowstore_scheduler,nullzero"`
}

type scheduledRow struct {
	bun.BaseModel `bun:"table:Scheduled_Triggers"`

	ID       uuid.UUID `bun:"id,pk"`
	CronExpr string    `bun:"cron_expr,notnull"`
	NextRun  time.Time `bun:"next_run,notnull"`
}

type queueRow struct {
	bun.BaseModel `bun:"table:Queue_Triggers"`

	ID           uuid.UUID `bun:"id,pk"`
	QueueName    string    `bun:"queue_name,notnull"`
	MinBatchSize int       `bun:"min_batch_size,notnull"`
}

type singleRow struct {
	bun.BaseModel `bun:"table:Single_Triggers"`

	ID      uuid.UUID `bun:"id,pk"`
	NextRun time.Time `bun:"next_run,notnull"`
}

// joined is what every read scans: Triggers left-joined with its three
// subtype tables.
type joined struct {
	ID                 uuid.UUID `bun:"id"`
	TriggerName        string    `bun:"trigger_name"`
	ProcessName        string    `bun:"process_name"`
	LastRun            time.Time `bun:"last_run,nullzero"`
	ProcessPath        string    `bun:"process_path"`
	ProcessArgs        string    `bun:"process_args,nullzero"`
	ProcessStatus      Status    `bun:"process_status"`
	IsGitRepo          bool      `bun:"is_git_repo"`
	IsBlocking         bool      `bun:"is_blocking"`
	Type               Type      `bun:"type"`
	GitBranch          string    `bun:"git_branch,nullzero"`
	SchedulerWhitelist string    `bun:"scheduler_whitelist,nullzero"`
	Priority           int       `bun:"priority"`
	FlowstoreScheduler string    `bun:"flowstore_scheduler,nullzero"`
	CronExpr           string    `bun:"cron_expr,nullzero"`
	ScheduledNextRun   time.Time `bun:"scheduled_next_run,nullzero"`
	SingleNextRun      time.Time `bun:"single_next_run,nullzero"`
	QueueName          string    `bun:"queue_name,nullzero"`
	MinBatchSize       int       `bun:"min_batch_size,nullzero"`
}

func (j *joined) trigger() (Trigger, error) {
	wl, err := decodeWhitelist(j.SchedulerWhitelist)
	if err != nil {
		return Trigger{}, fmt.Errorf("trigger %s: %w", j.ID, err)
	}
	t := Trigger{
		ID: j.ID, Name: j.TriggerName, ProcessName: j.ProcessName, ProcessPath: j.ProcessPath,
		ProcessArgs: j.ProcessArgs, IsGitRepo: j.IsGitRepo, GitBranch: j.GitBranch, IsBlocking: j.IsBlocking,
		Priority: j.Priority, SchedulerWhitelist: wl, Type: j.Type, Status: j.ProcessStatus,
		LastRun: store.UTC(j.LastRun), RunningOn: j.FlowstoreScheduler,
	}
	switch j.Type {
	case Scheduled:
		t.CronExpr, t.NextRun = j.CronExpr, store.UTC(j.ScheduledNextRun)
	case Single:
		t.NextRun = store.UTC(j.SingleNextRun)
	case Queue:
		t.QueueName, t.MinBatchSize = j.QueueName, j.MinBatchSize
	}
	return t, nil
}

// encodeWhitelist writes the list as OpenOrchestrator's StringList type
// does (Python json.dumps: `["a", "b"]`); an empty list is NULL.
func encodeWhitelist(names []string) (string, error) {
	if len(names) == 0 {
		return "", nil
	}
	parts := make([]string, len(names))
	for i, n := range names {
		if strings.TrimSpace(n) == "" {
			return "", fmt.Errorf("%w: scheduler_whitelist: empty scheduler name", store.ErrInvalid)
		}
		b, err := json.Marshal(n)
		if err != nil {
			return "", fmt.Errorf("%w: scheduler_whitelist: %v", store.ErrInvalid, err)
		}
		parts[i] = string(b)
	}
	s := "[" + strings.Join(parts, ", ") + "]"
	if err := checkLen("scheduler_whitelist", s, MaxWhitelist); err != nil {
		return "", err
	}
	return s, nil
}

func decodeWhitelist(s string) ([]string, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	var names []string
	if err := json.Unmarshal([]byte(s), &names); err != nil {
		return nil, fmt.Errorf("scheduler_whitelist %q is not a JSON list of names: %w", s, err)
	}
	if len(names) == 0 {
		return nil, nil
	}
	return names, nil
}

// checkLen refuses a value longer than its column, naming the column.
func checkLen(column, v string, max int) error {
	if n := utf8.RuneCountInString(v); n > max {
		return fmt.Errorf("%w: %s is %d characters, the column holds %d", store.ErrTooLong, column, n, max)
	}
	return nil
}

func required(column, v string) error {
	if strings.TrimSpace(v) == "" {
		return fmt.Errorf("%w: %s is required", store.ErrInvalid, column)
	}
	return nil
}
