package main

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/flowstore/flowstore"
	"github.com/flowstore/flowstore/internal/testdb"
	"github.com/flowstore/flowstore/orchestrator"
	"github.com/flowstore/flowstore/orchestrator/pipeline"
	"github.com/flowstore/flowstore/store"
	"github.com/flowstore/flowstore/store/logs"
)

func TestMain(m *testing.M) { testdb.Main(m) }

// The other tests run flowctl on SQLite files; this one runs its commands on
// every live dialect. The stores write each dialect's SQL, and flowctl's
// output and error texts must not depend on which one ran.
func TestCommandsOnEveryDialect(t *testing.T) {
	testdb.Each(t, func(t *testing.T, sdb *store.DB) {
		ctx := context.Background()
		dsn := testdb.DSN(t, sdb)
		fc := func(stdin string, args ...string) (int, string, string) {
			t.Helper()
			return flowctl(t, stdin, append([]string{"--dsn", dsn}, args...)...)
		}
		d := sdb.SQLDialect()

		code, out, errOut := fc("", "migrate")
		require.Equal(t, 0, code, errOut)
		require.Equal(t, fmt.Sprintf("schema is up to date at version %d (%s)\n", store.LatestSchemaVersion(), d), out)
		code, out, errOut = fc("", "version")
		require.Equal(t, 0, code, errOut)
		require.Regexp(t, fmt.Sprintf(`^flowstore \S+; schema versions up to %d\ndatabase schema version %d \(%s\)\n$`, store.LatestSchemaVersion(), store.LatestSchemaVersion(), d), out)

		code, _, errOut = fc("", "constants", "set", "folder", `\\share\in`)
		require.Equal(t, 0, code, errOut)
		code, out, errOut = fc("", "constants", "get", "folder")
		require.Equal(t, 0, code, errOut)
		require.Equal(t, `\\share\in`+"\n", out)
		code, _, errOut = fc("", "constants", "get", "nope")
		require.Equal(t, 1, code)
		requireError(t, errOut, `flowctl constants: constant: get "nope": not found`)

		code, _, errOut = fc("", "queue", "push", "invoices", "--reference", "INV-1")
		require.Equal(t, 0, code, errOut)
		code, out, errOut = fc("", "queue", "list", "invoices")
		require.Equal(t, 0, code, errOut)
		require.Contains(t, out, "INV-1")
		require.Contains(t, out, "1 of 1 elements")
		code, _, errOut = fc("", "queue", "push", "q", "--reference", strings.Repeat("x", 101))
		require.Equal(t, 1, code)
		requireError(t, errOut, "flowctl queue: queue: enqueue: value too long: reference is 101 characters, at most 100 fit")

		_, key, _ := flowctl(t, "", "key", "new")
		keyFile := writeKeyFile(t, strings.TrimSpace(key))
		code, _, errOut = fc("s3cret\n", "credentials", "set", "erp", "--username", "robot", "--key-file", keyFile)
		require.Equal(t, 0, code, errOut)
		code, out, errOut = fc("", "credentials", "get", "erp", "--key-file", keyFile)
		require.Equal(t, 0, code, errOut)
		require.Contains(t, out, "password: s3cret\n")
		code, _, errOut = fc("", "credentials", "delete", "nope")
		require.Equal(t, 1, code)
		requireError(t, errOut, `flowctl credentials: credential: delete "nope": not found`)

		code, _, errOut = fc("", "triggers", "pause", "0191e8b2-7c3a-7d4e-8f00-123456789abc")
		require.Equal(t, 1, code)
		requireError(t, errOut, "flowctl triggers: trigger: pause 0191e8b2-7c3a-7d4e-8f00-123456789abc: not found")
		code, _, errOut = fc("", "snapshots", "show", "nope")
		require.Equal(t, 1, code)
		requireError(t, errOut, "flowctl snapshots: snapshot: stat nope: not found")
		code, _, errOut = fc("", "processes", "abort", "0191e8b2-7c3a-7d4e-8f00-123456789abc")
		require.Equal(t, 1, code)
		requireError(t, errOut, "flowctl processes: orchestrator: abort process 0191e8b2-7c3a-7d4e-8f00-123456789abc: not found")

		db, err := flowstore.New(ctx, sdb, flowstore.WithoutMigrate())
		require.NoError(t, err)
		now := sdb.Now()
		require.NoError(t, db.Logs.WriteBatch(ctx, []logs.Entry{
			{Time: now.Add(-2 * time.Minute), Level: logs.LevelInfo, ProcessName: "a", Message: "first"},
			{Time: now.Add(-time.Minute), Level: logs.LevelError, ProcessName: "a", Message: "second"},
		}))
		code, out, errOut = fc("", "logs", "--process", "a")
		require.Equal(t, 0, code, errOut)
		require.Regexp(t, `(?s)INFO  a: first\n.*ERROR a: second\n$`, out, "oldest first")
	})
}

// --limit 0 lists every process and every pipeline run, as the flags' help
// says, although the stores' one-page lists stop at store.DefaultLimit; a
// positive --limit lists that many.
func TestLimitZeroListsAll(t *testing.T) {
	testdb.Each(t, func(t *testing.T, sdb *store.DB) {
		ctx := context.Background()
		dsn := testdb.DSN(t, sdb)
		db, err := flowstore.New(ctx, sdb, flowstore.WithoutMigrate())
		require.NoError(t, err)
		n := store.DefaultLimit + 5

		wf, err := db.Processes.SaveWorkflow(ctx, &orchestrator.WorkflowRow{Name: "many", Target: orchestrator.TargetSystem})
		require.NoError(t, err)
		require.NoError(t, db.InTx(ctx, func(ctx context.Context, tx *flowstore.Tx) error {
			for range n {
				if err := tx.Processes.CreateProcess(ctx, &orchestrator.Process{WorkflowID: wf.WorkflowID}, nil); err != nil {
					return err
				}
			}
			return nil
		}))
		for _, c := range []struct {
			limit string
			rows  int
		}{{"0", n}, {"3", 3}, {"", 50}} {
			args := []string{"--dsn", dsn, "processes", "list"}
			if c.limit != "" {
				args = append(args, "--limit", c.limit)
			}
			code, out, errOut := flowctl(t, "", args...)
			require.Equal(t, 0, code, errOut)
			require.Equal(t, c.rows, strings.Count(out, " many "), "--limit %q", c.limit)
		}

		def, err := db.Pipelines.CreateWorkflow(ctx, pipeline.WorkflowSpec{
			Workflow: pipeline.Workflow{Namespace: "acme", Repository: "shop", Name: "deploy", Version: "v1", State: pipeline.StateRunnable},
			Stages: []pipeline.StageSpec{
				{Stage: pipeline.Stage{Name: "start", Type: pipeline.StageStart}},
				{Stage: pipeline.Stage{Name: "end", Type: pipeline.StageEnd}},
			},
		})
		require.NoError(t, err)
		for range n {
			_, err := db.Pipelines.StartRun(ctx, def.Workflow.ID, pipeline.StartOptions{})
			require.NoError(t, err)
		}
		for _, c := range []struct {
			limit string
			rows  int
		}{{"0", n}, {"3", 3}, {"", 20}} {
			args := []string{"--dsn", dsn, "pipeline", "runs", "acme/shop/deploy"}
			if c.limit != "" {
				args = append(args, "--limit", c.limit)
			}
			code, out, errOut := flowctl(t, "", args...)
			require.Equal(t, 0, code, errOut)
			lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
			require.Len(t, lines, c.rows+1, "--limit %q: a header and the runs", c.limit)
			require.Regexp(t, fmt.Sprintf(`^%d\s+v1\s`, n), lines[1], "newest first")
			require.Regexp(t, fmt.Sprintf(`^%d\s+v1\s`, n-c.rows+1), lines[c.rows], "newest first")
		}
	})
}
