package main

import (
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestTriggersCommands(t *testing.T) {
	dsn := tempDSN(t)
	code, _, errOut := flowctl(t, "", "--dsn", dsn, "migrate")
	require.Equal(t, 0, code, errOut)

	code, out, errOut := flowctl(t, "", "--dsn", dsn, "triggers", "add-scheduled", "--name", "nightly", "--process", "report",
		"--path", "robots/report.py", "--cron", "CRON_TZ=Europe/Copenhagen 0 2 * * *", "--priority", "2", "--blocking")
	require.Equal(t, 0, code, errOut)
	require.Contains(t, out, `created SCHEDULED trigger "nightly"`)
	id := regexp.MustCompile(`[0-9a-f-]{36}`).FindString(out)
	require.NotEmpty(t, id)

	code, out, errOut = flowctl(t, "", "--dsn", dsn, "triggers", "add-single", "--name", "once", "--process", "p", "--path", "p.py", "--at", "2026-11-22T10:00:00Z")
	require.Equal(t, 0, code, errOut)
	require.Contains(t, out, "next run 2026-11-22T10:00:00Z")
	code, out, errOut = flowctl(t, "", "--dsn", dsn, "triggers", "add-queue", "--name", "invoices", "--process", "p", "--path", "p.py", "--queue", "inv", "--min-batch", "5", "--whitelist", "box-1,box-2")
	require.Equal(t, 0, code, errOut)
	require.Contains(t, out, `created QUEUE trigger "invoices"`)

	code, out, errOut = flowctl(t, "", "--dsn", dsn, "triggers", "list")
	require.Equal(t, 0, code, errOut)
	require.Contains(t, out, "3 trigger(s)")
	require.Contains(t, out, "nightly (blocking)")
	require.Contains(t, out, "inv >= 5 NEW")

	code, out, errOut = flowctl(t, "", "--dsn", dsn, "triggers", "pause", id)
	require.Equal(t, 0, code, errOut)
	require.Equal(t, "trigger "+id+" is PAUSED\n", out)
	code, out, errOut = flowctl(t, "", "--dsn", dsn, "triggers", "list", "--status", "paused")
	require.Equal(t, 0, code, errOut)
	require.Contains(t, out, "nightly")
	require.Contains(t, out, "1 trigger(s)")
	code, out, errOut = flowctl(t, "", "--dsn", dsn, "triggers", "resume", id)
	require.Equal(t, 0, code, errOut)
	require.Contains(t, out, "is IDLE")
	code, out, errOut = flowctl(t, "", "--dsn", dsn, "triggers", "kill", id)
	require.Equal(t, 0, code, errOut)
	require.Contains(t, out, "is KILLED")
	code, _, errOut = flowctl(t, "", "--dsn", dsn, "triggers", "resume", id)
	require.Equal(t, 0, code, errOut)
	code, out, errOut = flowctl(t, "", "--dsn", dsn, "triggers", "list", "--type", "scheduled", "--process", "report")
	require.Equal(t, 0, code, errOut)
	require.Contains(t, out, "1 trigger(s)")
	require.Contains(t, out, "IDLE")

	// Bad input: a clear error naming the field, nothing written.
	code, _, errOut = flowctl(t, "", "--dsn", dsn, "triggers", "add-scheduled", "--name", "bad", "--process", "p", "--path", "p.py", "--cron", "0 25 * * *")
	require.Equal(t, 1, code)
	requireError(t, errOut, `flowctl triggers: trigger: create "bad": invalid input: cron_expr "0 25 * * *"`)
	code, _, errOut = flowctl(t, "", "--dsn", dsn, "triggers", "add-single", "--name", "bad", "--process", "p", "--path", "p.py", "--at", "tomorrow")
	require.Equal(t, 2, code)
	require.Contains(t, errOut, "RFC 3339")
	code, _, errOut = flowctl(t, "", "--dsn", dsn, "triggers", "pause", "not-a-name")
	require.Equal(t, 1, code)
	requireError(t, errOut, `flowctl triggers: trigger "not-a-name": not found (no trigger has this name or id prefix)`)
	code, _, errOut = flowctl(t, "", "--dsn", dsn, "triggers", "frobnicate")
	require.Equal(t, 2, code)
	require.Contains(t, errOut, "unknown subcommand")
	code, _, errOut = flowctl(t, "", "--dsn", dsn, "triggers", "pause", "0191e8b2-7c3a-7d4e-8f00-123456789abc")
	require.Equal(t, 1, code)
	requireError(t, errOut, "flowctl triggers: trigger: pause 0191e8b2-7c3a-7d4e-8f00-123456789abc: not found")
	code, out, errOut = flowctl(t, "", "--dsn", dsn, "triggers", "list")
	require.Equal(t, 0, code, errOut)
	require.Equal(t, 3, strings.Count(out, "\n")-2, "header, three triggers, count line")
}
