package main

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/flowstore/flowstore"
	"github.com/flowstore/flowstore/orchestrator/pipeline"
)

func TestPipelineRunsAndShow(t *testing.T) {
	dsn := tempDSN(t)
	code, _, errOut := flowctl(t, "", "--dsn", dsn, "migrate")
	require.Equal(t, 0, code, errOut)

	ctx := context.Background()
	db, err := flowstore.Open(ctx, dsn, flowstore.WithoutMigrate())
	require.NoError(t, err)
	defer db.Close()
	ps := db.Pipelines
	def, err := ps.CreateWorkflow(ctx, pipeline.WorkflowSpec{
		Workflow: pipeline.Workflow{Namespace: "acme", Repository: "shop", Name: "deploy", Version: "v1", State: pipeline.StateRunnable},
		Stages: []pipeline.StageSpec{
			{Stage: pipeline.Stage{Name: "start", Type: pipeline.StageStart}},
			{Stage: pipeline.Stage{Name: "build", Type: pipeline.StageRun}, Actions: []pipeline.Action{{Name: "compile"}}},
			{Stage: pipeline.Stage{Name: "end", Type: pipeline.StageEnd}},
		},
	})
	require.NoError(t, err)
	r1, err := ps.StartRun(ctx, def.Workflow.ID, pipeline.StartOptions{StartData: "{}"})
	require.NoError(t, err)
	_, err = ps.StartRun(ctx, def.Workflow.ID, pipeline.StartOptions{})
	require.NoError(t, err)
	action := r1.Stages[1].Actions[0].ID
	require.NoError(t, ps.Transition(ctx, pipeline.LevelAction, action, pipeline.RunFailed, pipeline.ReasonActionRunFailed))
	for _, title := range []string{"CO_COMPONENT_START", "CO_TASK_STATUS"} {
		require.NoError(t, ps.RecordEvent(ctx, &pipeline.Event{Title: title, Header: "{}", Payload: `{"status":false}`,
			Workflow: r1.Workflow.ID, Stage: r1.Stages[1].Stage.ID, Action: action, Sequence: 1,
			Type: pipeline.EventTypeSystem, Source: pipeline.EventSourceOutside, Character: pipeline.EventCharacterComponent}))
	}

	code, out, errOut := flowctl(t, "", "--dsn", dsn, "pipeline", "runs", "acme/shop/deploy")
	require.Equal(t, 0, code, errOut)
	require.Regexp(t, `(?s)SEQUENCE.*\n2 .*\n1 `, out, "newest first")

	code, out, errOut = flowctl(t, "", "pipeline", "show", "acme/shop/deploy", "--sequence", "1", "--dsn", dsn)
	require.Equal(t, 0, code, errOut)
	require.Contains(t, out, "run 1: CanListen")
	require.Regexp(t, `compile\s+RunFailed\s+ACTION_RUN_FAILED`, out)
	require.Contains(t, out, "outcome start: status=true")
	require.Contains(t, out, "2 event(s)\n")
	require.Regexp(t, `(?s)event CO_COMPONENT_START \(system/outside/component\) on action compile at 20\d\d-.*\n`+
		`event CO_TASK_STATUS \(system/outside/component\) on action compile at `, out, "event titles, in the order received")

	code, out, errOut = flowctl(t, "", "--dsn", dsn, "pipeline", "show", "acme/shop/deploy")
	require.Equal(t, 0, code, errOut)
	require.Contains(t, out, "run 2:", "sequence 0 is the latest run")

	code, _, errOut = flowctl(t, "", "--dsn", dsn, "pipeline", "show", "acme/shop/deploy", "--sequence", "9")
	require.Equal(t, 1, code)
	requireError(t, errOut, "flowctl pipeline: pipeline: get run 9 of acme/shop/deploy: not found: no such run")

	code, _, errOut = flowctl(t, "", "--dsn", dsn, "pipeline", "runs", "acme/shop")
	require.Equal(t, 2, code)
	require.Contains(t, errOut, "NAMESPACE/REPOSITORY/WORKFLOW")
	code, _, _ = flowctl(t, "", "--dsn", dsn, "pipeline", "frob")
	require.Equal(t, 2, code)
}
