package main

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/flowstore/flowstore"
	"github.com/flowstore/flowstore/orchestrator"
)

func TestProcessesAndEngine(t *testing.T) {
	dsn := tempDSN(t)
	code, _, errOut := flowctl(t, "", "--dsn", dsn, "migrate")
	require.Equal(t, 0, code, errOut)
	ctx := context.Background()
	db, err := flowstore.Open(ctx, dsn, flowstore.WithoutMigrate())
	require.NoError(t, err)
	defer db.Close()
	// The engine runs the process itself (RunProcess) and stays registered,
	// a live engine for "engine status"; the long poll interval keeps it
	// from running the process again once flowctl resumes it, so that
	// flowctl can abort it.
	e, err := orchestrator.NewEngine(db.Store(), orchestrator.WithPollInterval(time.Hour))
	require.NoError(t, err)
	runCtx, stop := context.WithCancel(ctx)
	ran := make(chan error, 1)
	go func() { ran <- e.Run(runCtx) }()
	defer func() {
		stop()
		require.NoError(t, <-ran)
	}()
	require.NoError(t, e.Register(ctx, orchestrator.Workflow{Name: "ask", Target: orchestrator.TargetCreate,
		Steps: []orchestrator.Step{orchestrator.InputStep("ask_input")}}))
	pid, err := e.Start(ctx, "ask", nil)
	require.NoError(t, err)
	_, err = e.RunProcess(ctx, pid)
	require.NoError(t, err)

	code, out, errOut := flowctl(t, "", "--dsn", dsn, "processes", "list", "--status", "suspended")
	require.Equal(t, 0, code, errOut)
	require.Contains(t, out, pid.String())
	require.Contains(t, out, "ask_input")
	code, out, _ = flowctl(t, "", "--dsn", dsn, "processes", "list", "--status", "completed")
	require.Equal(t, 0, code)
	require.NotContains(t, out, pid.String())
	code, _, errOut = flowctl(t, "", "--dsn", dsn, "processes", "list", "--status", "bogus")
	require.Equal(t, 2, code)
	require.Contains(t, errOut, "unknown process status")
	code, _, errOut = flowctl(t, "", "--dsn", dsn, "processes", "list", "--limit", "-1")
	require.Equal(t, 2, code)
	require.Contains(t, errOut, "--limit must not be negative")

	code, out, errOut = flowctl(t, "", "--dsn", dsn, "processes", "show", pid.String())
	require.Equal(t, 0, code, errOut)
	require.Contains(t, out, "suspended")
	require.Contains(t, out, "1    ask_input  suspend")
	// The time column says what it measures: the gap between step rows.
	require.Contains(t, out, "SINCE PREV")
	require.NotContains(t, out, "TOOK")
	require.Contains(t, out, "SINCE PREV: time from the previous step row (for the first, from the process start)")

	code, out, errOut = flowctl(t, "", "--dsn", dsn, "processes", "resume", pid.String(), "--input", `{"answer": 42}`)
	require.Equal(t, 0, code, errOut)
	require.Contains(t, out, "resumed")
	code, _, errOut = flowctl(t, "", "--dsn", dsn, "processes", "resume", pid.String())
	require.Equal(t, 1, code)
	requireError(t, errOut, "flowctl processes: orchestrator: resume process "+pid.String()+": conflict: the process is resumed, which cannot be resumed")

	code, out, errOut = flowctl(t, "", "--dsn", dsn, "processes", "abort", pid.String())
	require.Equal(t, 0, code, errOut)
	require.Contains(t, out, "aborted")
	p, err := db.Processes.Process(ctx, pid)
	require.NoError(t, err)
	require.Equal(t, orchestrator.StatusAborted, p.LastStatus)

	code, out, errOut = flowctl(t, "", "--dsn", dsn, "engine", "lock")
	require.Equal(t, 0, code, errOut)
	code, out, _ = flowctl(t, "", "--dsn", dsn, "engine", "status")
	require.Equal(t, 0, code)
	require.Contains(t, out, "PAUSED")
	require.Contains(t, out, "live engines       1")
	code, out, errOut = flowctl(t, "", "--dsn", dsn, "engine", "unlock")
	require.Equal(t, 0, code, errOut)
	require.Contains(t, out, "0 paused processes resumed")
	code, out, _ = flowctl(t, "", "--dsn", dsn, "engine", "status")
	require.Contains(t, out, "RUNNING")

	code, out, errOut = flowctl(t, "", "--dsn", dsn, "processes", "resume-all")
	require.Equal(t, 0, code, errOut)
	require.Contains(t, out, "0 failed or waiting tasks resumed")

	code, _, errOut = flowctl(t, "", "--dsn", dsn, "processes", "show", "not-a-uuid")
	require.Equal(t, 2, code)
	require.Contains(t, errOut, `"not-a-uuid" is neither a process id nor an id prefix`)
}
