package main

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/flowstore/flowstore/store"
)

// flowctl runs the command in-process and returns exit code, stdout, stderr.
func flowctl(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(context.Background(), args, strings.NewReader(stdin), &out, &errOut, func(string) string { return "" })
	return code, out.String(), errOut.String()
}

// requireError checks the stderr of a command that failed: its error line
// contains want, and no layer's prefix shows twice ("flowctl x: queue:
// queue: …", "flowstore: … flowstore: …") — each layer wraps once — nor
// does driver text leak past a sentinel.
func requireError(t *testing.T, errOut, want string) {
	t.Helper()
	require.Contains(t, errOut, want)
	line, _, _ := strings.Cut(errOut, "\n")
	require.True(t, strings.HasPrefix(line, "flowctl "), "the error line comes first: %q", errOut)
	seen := map[string]bool{}
	for _, part := range strings.Split(line, ": ") {
		require.False(t, seen[part], "%q shows twice in %q", part, line)
		seen[part] = true
	}
	require.LessOrEqual(t, strings.Count(line, "flowstore:"), 1, "flowstore: shows twice in %q", line)
	require.NotContains(t, errOut, "sql: no rows")
}

func tempDSN(t *testing.T) string {
	return "sqlite:" + filepath.Join(t.TempDir(), "flowctl.db")
}

func TestMigrateAndVersion(t *testing.T) {
	dsn := tempDSN(t)
	code, _, errOut := flowctl(t, "", "--dsn", dsn, "version")
	require.Equal(t, 1, code, "version does not create the database")
	requireError(t, errOut, "does not exist")

	code, out, errOut := flowctl(t, "", "migrate", "--dsn", dsn)
	require.Equal(t, 0, code, errOut)
	require.Contains(t, out, "from version 0 to")
	code, out, errOut = flowctl(t, "", "--dsn", dsn, "version")
	require.Equal(t, 0, code, errOut)
	require.Contains(t, out, fmt.Sprintf("database schema version %d (sqlite)\n", store.LatestSchemaVersion()))

	code, out, _ = flowctl(t, "", "--dsn", dsn, "migrate")
	require.Equal(t, 0, code)
	require.Contains(t, out, "up to date")
}

func TestSchemaPrintsPinnedDDL(t *testing.T) {
	for _, d := range store.DialectNames() {
		code, out, errOut := flowctl(t, "", "schema", "--dialect", string(d))
		require.Equal(t, 0, code, errOut)
		want, err := store.SchemaSQL(d)
		require.NoError(t, err)
		require.Equal(t, want, out, "flowctl schema prints SchemaSQL, which store's golden files pin")
	}
	code, _, errOut := flowctl(t, "", "schema", "--dialect", "oracle")
	require.Equal(t, 2, code)
	require.Contains(t, errOut, "unknown dialect")
}

func TestUnknownCommandAndHelp(t *testing.T) {
	code, _, errOut := flowctl(t, "", "frobnicate")
	require.Equal(t, 2, code)
	require.Contains(t, errOut, `unknown command "frobnicate"`)
	code, out, _ := flowctl(t, "", "help")
	require.Equal(t, 0, code)
	require.Contains(t, out, "migrate")
}

func TestDSNFromEnvironment(t *testing.T) {
	dsn := tempDSN(t)
	var out, errOut bytes.Buffer
	code := run(context.Background(), []string{"migrate"}, nil, &out, &errOut, func(k string) string {
		if k == "FLOWSTORE_DSN" {
			return dsn
		}
		return ""
	})
	require.Equal(t, 0, code, errOut.String())
	db, err := store.Open(context.Background(), dsn)
	require.NoError(t, err)
	defer db.Close()
	v, err := db.SchemaVersion(context.Background())
	require.NoError(t, err)
	require.Equal(t, store.LatestSchemaVersion(), v)
}

func TestMigrateAdopt(t *testing.T) {
	dsn := tempDSN(t)
	db, err := store.Open(context.Background(), dsn)
	require.NoError(t, err)
	_, err = db.SQL().Exec(`CREATE TABLE "Constants" ("name" TEXT NOT NULL PRIMARY KEY, "value" TEXT NOT NULL, "changed_at" DATETIME NOT NULL)`)
	require.NoError(t, err)
	_, err = db.SQL().Exec(`INSERT INTO "Constants" VALUES ('kept', 'from OpenOrchestrator', '2026-01-01 00:00:00+00:00')`)
	require.NoError(t, err)
	require.NoError(t, db.Close())

	code, out, errOut := flowctl(t, "", "--dsn", dsn, "migrate")
	require.Equal(t, 1, code, "plain migrate refuses existing tables")
	require.Empty(t, out)
	require.Equal(t, 1, strings.Count(errOut, "\n"), "one line, the command to run: %q", errOut)
	requireError(t, errOut, `flowctl migrate: store: migrate: duplicate: the database already holds tables of OpenOrchestrator (Constants); adopt them, keeping their rows: flowctl migrate --adopt`)
	code, out, errOut = flowctl(t, "", "--dsn", dsn, "migrate", "--adopt")
	require.Equal(t, 0, code, errOut)
	require.Contains(t, out, "from version 0 to")
	code, out, _ = flowctl(t, "", "--dsn", dsn, "constants", "get", "kept")
	require.Equal(t, 0, code)
	require.Contains(t, out, "from OpenOrchestrator")
}

// TestMigrateWarnsAboutANewerOpenOrchestrator: a database whose alembic
// stamp names another OpenOrchestrator revision than flowstore's tables
// match (OpenOrchestrator was upgraded) migrates, and migrate says so.
func TestMigrateWarnsAboutANewerOpenOrchestrator(t *testing.T) {
	dsn := tempDSN(t)
	code, _, errOut := flowctl(t, "", "--dsn", dsn, "migrate")
	require.Equal(t, 0, code, errOut)
	require.NotContains(t, errOut, "alembic_version", "a fresh schema carries flowstore's own stamp")

	db, err := store.Open(context.Background(), dsn)
	require.NoError(t, err)
	_, err = db.SQL().Exec(`UPDATE alembic_version SET version_num = 'ffff00000001'`)
	require.NoError(t, err)
	require.NoError(t, db.Close())
	code, out, errOut := flowctl(t, "", "--dsn", dsn, "migrate")
	require.Equal(t, 0, code, errOut)
	require.Contains(t, out, "up to date")
	require.Contains(t, errOut, "alembic_version says OpenOrchestrator's schema is at revision ffff00000001")
	require.Contains(t, errOut, store.OpenOrchestratorRevision)
}
