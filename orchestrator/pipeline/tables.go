package pipeline

// Table names one of the 18 tables, for SoftDelete and HardDelete.
type Table string

// The ContainerOps V1 tables.
const (
	TableWorkflow          Table = "workflow"
	TableStage             Table = "stage"
	TableAction            Table = "action"
	TableWorkflowLog       Table = "workflow_log"
	TableStageLog          Table = "stage_log"
	TableActionLog         Table = "action_log"
	TableWorkflowSequence  Table = "workflow_sequence"
	TableWorkflowVar       Table = "workflow_var"
	TableWorkflowVarLog    Table = "workflow_var_log" // no deleted_at
	TableEvent             Table = "event"
	TableEventDefinition   Table = "event_definition"
	TableEventJSON         Table = "event_json" // no deleted_at
	TableOutcome           Table = "outcome"
	TableTimer             Table = "timer"
	TableComponent         Table = "component"
	TableService           Table = "service"
	TableServiceDefinition Table = "serivce_definition" // sic
	TableUserSetting       Table = "user_setting"
)

// Tables returns all 18 tables.
func Tables() []Table {
	return []Table{TableWorkflow, TableStage, TableAction, TableWorkflowLog, TableStageLog, TableActionLog,
		TableWorkflowSequence, TableWorkflowVar, TableWorkflowVarLog, TableEvent, TableEventDefinition,
		TableEventJSON, TableOutcome, TableTimer, TableComponent, TableService, TableServiceDefinition,
		TableUserSetting}
}

// model returns a nil pointer of the table's model, which is all bun needs
// to name the table and apply its soft-delete rule.
func (t Table) model() (any, error) {
	switch t {
	case TableWorkflow:
		return (*Workflow)(nil), nil
	case TableStage:
		return (*Stage)(nil), nil
	case TableAction:
		return (*Action)(nil), nil
	case TableWorkflowLog:
		return (*WorkflowLog)(nil), nil
	case TableStageLog:
		return (*StageLog)(nil), nil
	case TableActionLog:
		return (*ActionLog)(nil), nil
	case TableWorkflowSequence:
		return (*WorkflowSequence)(nil), nil
	case TableWorkflowVar:
		return (*WorkflowVar)(nil), nil
	case TableWorkflowVarLog:
		return (*WorkflowVarLog)(nil), nil
	case TableEvent:
		return (*Event)(nil), nil
	case TableEventDefinition:
		return (*EventDefinition)(nil), nil
	case TableEventJSON:
		return (*EventJSON)(nil), nil
	case TableOutcome:
		return (*Outcome)(nil), nil
	case TableTimer:
		return (*Timer)(nil), nil
	case TableComponent:
		return (*Component)(nil), nil
	case TableService:
		return (*Service)(nil), nil
	case TableServiceDefinition:
		return (*ServiceDefinition)(nil), nil
	case TableUserSetting:
		return (*UserSetting)(nil), nil
	}
	return nil, invalid("unknown table %q", string(t))
}

// softDeletable reports whether the table has deleted_at.
func (t Table) softDeletable() bool { return t != TableWorkflowVarLog && t != TableEventJSON }

// alias is the bun alias of the level's model.
func (l Level) alias() string {
	switch l {
	case LevelStage:
		return "sl"
	case LevelAction:
		return "al"
	}
	return "wl"
}

func (l Level) model() any {
	switch l {
	case LevelStage:
		return (*StageLog)(nil)
	case LevelAction:
		return (*ActionLog)(nil)
	}
	return (*WorkflowLog)(nil)
}
