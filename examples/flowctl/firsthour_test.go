package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"runtime/debug"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/flowstore/flowstore"
	"github.com/flowstore/flowstore/crypto/secret"
	"github.com/flowstore/flowstore/internal/testdb"
	"github.com/flowstore/flowstore/orchestrator"
	"github.com/flowstore/flowstore/orchestrator/subscription"
	"github.com/flowstore/flowstore/queue"
	"github.com/flowstore/flowstore/store"
	"github.com/flowstore/flowstore/trigger"
)

// These tests follow a newcomer's first hour with flowctl (issue 18): a
// version, a mistyped DSN, an unmigrated database, help, names instead of
// ids, the verbs a user reaches for, JSON for scripts and times nobody
// reads an hour wrong.

func TestLibraryVersion(t *testing.T) {
	require.Equal(t, "(devel)", libraryVersion(nil, false))
	require.Equal(t, "(devel)", libraryVersion(&debug.BuildInfo{Main: debug.Module{Path: module, Version: "(devel)"}}, true))
	require.Equal(t, "v0.1.0", libraryVersion(&debug.BuildInfo{Main: debug.Module{Path: module, Version: "v0.1.0"}}, true))
	require.Equal(t, "v0.2.1", libraryVersion(&debug.BuildInfo{
		Main: debug.Module{Path: "example.com/ops", Version: "v1.0.0"},
		Deps: []*debug.Module{{Path: "golang.org/x/term", Version: "v0.47.0"}, {Path: module, Version: "v0.2.1"}},
	}, true), "flowctl built in another module reports the flowstore it links")
	require.Equal(t, "v0.2.2-fork", libraryVersion(&debug.BuildInfo{
		Main: debug.Module{Path: "example.com/ops"},
		Deps: []*debug.Module{{Path: module, Version: "v0.2.1", Replace: &debug.Module{Path: "../flowstore", Version: "v0.2.2-fork"}}},
	}, true))
	require.Equal(t, "(devel)", libraryVersion(&debug.BuildInfo{Main: debug.Module{Path: "example.com/ops", Version: "v1.0.0"}}, true))

	// Without a DSN, version opens nothing (and creates nothing here).
	dir := t.TempDir()
	t.Chdir(dir)
	code, out, errOut := flowctl(t, "", "version")
	require.Equal(t, 0, code, errOut)
	require.Regexp(t, fmt.Sprintf(`^flowstore \S+; schema versions up to %d\n$`, store.LatestSchemaVersion()), out)
	requireEmptyDir(t, dir)
}

func requireEmptyDir(t *testing.T, dir string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	require.Empty(t, names, "no database file created")
}

// Every command but migrate refuses a SQLite file that does not exist
// instead of creating an empty one: a mistyped --dsn, or flowctl run in the
// wrong folder, says so.
func TestMissingDatabaseIsNotCreated(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	for _, args := range [][]string{
		{"--dsn", "sqlite:x.db", "queue", "stats"},
		{"queue", "stats"}, // the default sqlite:flowstore.db
		{"--dsn", "sqlite:x.db", "version"},
		{"--dsn", "sqlite:x.db", "triggers", "list"},
		{"constants", "list", "--dsn", "sqlite:x.db"},
		{"--dsn", "sqlite:x.db", "credentials", "list"},
		{"--dsn", "sqlite:x.db", "processes", "list"},
		{"--dsn", "sqlite:x.db", "logs"},
		{"--dsn", "sqlite:x.db", "subscriptions", "products"},
	} {
		code, _, errOut := flowctl(t, "", args...)
		require.Equal(t, 1, code, "%v: %s", args, errOut)
		requireError(t, errOut, "does not exist")
		require.Regexp(t, `SQLite database \S*(x|flowstore)\.db does not exist \(create it with flowctl migrate`, errOut)
		require.Equal(t, 1, strings.Count(errOut, "\n"), "one line: %q", errOut)
		requireEmptyDir(t, dir)
	}
	code, out, errOut := flowctl(t, "", "--dsn", "sqlite:x.db", "migrate")
	require.Equal(t, 0, code, errOut)
	require.Contains(t, out, "from version 0 to")
	_, err := os.Stat(filepath.Join(dir, "x.db"))
	require.NoError(t, err, "migrate creates the database")
	code, out, errOut = flowctl(t, "", "--dsn", "sqlite:x.db", "queue", "stats")
	require.Equal(t, 0, code, errOut)
	require.Contains(t, out, "no queues")
}

// An unmigrated or partly migrated database is one sentence saying what to
// run, on every dialect, without the driver's "no such table".
func TestUnmigratedDatabaseSaysWhatToRun(t *testing.T) {
	for _, d := range testdb.Live() {
		t.Run(string(d), func(t *testing.T) {
			ctx := context.Background()
			dsn := testdb.FreshDSN(t, d)
			sdb, err := store.Open(ctx, dsn) // creates a SQLite file; servers' databases exist
			require.NoError(t, err)
			defer sdb.Close()
			for _, args := range [][]string{{"queue", "stats"}, {"triggers", "list"}, {"processes", "list"}, {"constants", "get", "x"}} {
				code, out, errOut := flowctl(t, "", append([]string{"--dsn", dsn}, args...)...)
				require.Equal(t, 1, code, "%v: %s", args, errOut)
				require.Empty(t, out)
				require.Equal(t, fmt.Sprintf("flowctl %s: database not migrated (run flowctl migrate, or open with flowstore.Open)\n", args[0]), errOut)
			}
			code, out, errOut := flowctl(t, "", "--dsn", dsn, "version")
			require.Equal(t, 0, code, errOut)
			require.Contains(t, out, "database schema version 0 ("+string(d)+"); run flowctl migrate\n")

			code, _, errOut = flowctl(t, "", "--dsn", dsn, "migrate")
			require.Equal(t, 0, code, errOut)
			latest := store.LatestSchemaVersion()
			_, err = sdb.SQL().ExecContext(ctx, sdb.SQLDialect().Rebind(`DELETE FROM flowstore_migrations WHERE version = ?`), latest)
			require.NoError(t, err)
			partly, err := sdb.SchemaVersion(ctx)
			require.NoError(t, err)
			require.Less(t, partly, latest)
			code, _, errOut = flowctl(t, "", "--dsn", dsn, "queue", "stats")
			require.Equal(t, 1, code, errOut)
			require.Equal(t, fmt.Sprintf("flowctl queue: schema at version %d of %d: database not migrated (run flowctl migrate, or open with flowstore.Open)\n", partly, latest), errOut)
		})
	}
}

// migrate says which migrations ran and how long each took, and reports
// progress while a long one runs: plain lines when not on a terminal.
func TestMigrateReportsEachMigration(t *testing.T) {
	defer func(d time.Duration) { progressEvery = d }(progressEvery)
	progressEvery = time.Millisecond
	dsn := tempDSN(t)
	code, out, errOut := flowctl(t, "", "--dsn", dsn, "migrate")
	require.Equal(t, 0, code, errOut)
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	latest := store.LatestSchemaVersion()
	require.Greater(t, len(lines), 2, "one line per migration and a summary")
	for _, l := range lines[:len(lines)-1] {
		require.Regexp(t, `^applied \d{4}_\w+ in \d+(\.\d+)?(ms|s|µs|m\d+s)$`, l)
	}
	require.Regexp(t, `^applied 0001_\w+ in `, lines[0])
	require.Regexp(t, fmt.Sprintf(`^applied %04d_\w+ in `, latest), lines[len(lines)-2])
	require.Regexp(t, fmt.Sprintf(`^migrated sqlite schema from version 0 to %d in \d`, latest), lines[len(lines)-1])
	require.Regexp(t, `(?m)^migrating: at version \d+, running migration \d{4}, \d+s elapsed$`, errOut, "progress lines on stderr")
	require.NotContains(t, errOut, "\r", "no in-place updates outside a terminal")
}

// Help for a command is there however a user asks for it, on stdout with
// status 0; a subcommand missing its flags prints its usage with status 2.
func TestPerCommandHelp(t *testing.T) {
	code, want, _ := flowctl(t, "", "help", "triggers")
	require.Equal(t, 0, code)
	require.Contains(t, want, "flowctl triggers pause|resume|kill|delete TRIGGER")
	require.Contains(t, want, "--cron EXPR")
	for _, args := range [][]string{{"triggers", "--help"}, {"triggers", "help"}, {"triggers", "-h"}, {"--dsn", "sqlite:nowhere.db", "triggers", "help"}} {
		code, out, errOut := flowctl(t, "", args...)
		require.Equal(t, 0, code, "%v: %s", args, errOut)
		require.Equal(t, want, out, "%v", args)
		require.Empty(t, errOut)
	}
	// A subcommand's --help adds its own flags.
	code, out, errOut := flowctl(t, "", "triggers", "add-single", "--help")
	require.Equal(t, 0, code, errOut)
	require.Contains(t, out, "flowctl triggers add-single    --name N")
	require.Contains(t, out, "flags of flowctl triggers add-single:")
	require.Contains(t, out, "-at value")

	// Every command has help.
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		code, out, errOut := flowctl(t, "", "help", n)
		require.Equal(t, 0, code, "%s: %s", n, errOut)
		require.Contains(t, out, "flowctl "+n, n)
		code, out2, _ := flowctl(t, "", n, "--help")
		require.Equal(t, 0, code, n)
		require.Equal(t, out, out2, n)
	}
	code, _, errOut = flowctl(t, "", "help", "frobnicate")
	require.Equal(t, 2, code)
	require.Contains(t, errOut, `unknown command "frobnicate"`)

	dsn := migrated(t)
	code, out, errOut = flowctl(t, "", "--dsn", dsn, "triggers", "add-single", "--name", "once")
	require.Equal(t, 2, code)
	require.Empty(t, out)
	require.True(t, strings.HasPrefix(errOut, "flowctl triggers: missing --at, --path, --process\nusage:\n"), errOut)
	require.Contains(t, errOut, "flags of flowctl triggers add-single:")
	code, _, errOut = flowctl(t, "", "--dsn", dsn, "queue", "prune", "q")
	require.Equal(t, 2, code)
	require.Contains(t, errOut, "flowctl queue: prune needs one of --older-than D (positive) or --before TIME\nusage:\n")
	// A bad flag is reported once, with the usage, not by the flag package
	// and again by flowctl.
	code, _, errOut = flowctl(t, "", "--dsn", dsn, "queue", "stats", "--bogus")
	require.Equal(t, 2, code)
	require.Equal(t, 1, strings.Count(errOut, "bogus"), errOut)
	require.True(t, strings.HasPrefix(errOut, "flowctl queue: flag provided but not defined: -bogus\n"), errOut)
}

// withZone adds flowstore's timezone= parameter to a DSN.
func withZone(dsn, zone string) string {
	sep := "?"
	if strings.Contains(dsn, "?") {
		sep = "&"
	}
	return dsn + sep + "timezone=" + zone
}

// Triggers, processes, queue elements and subscriptions are named where a
// user types them by name (triggers) or by a unique id prefix; an ambiguous
// prefix lists the candidates; and the verbs a user reaches for exist.
func TestNamesPrefixesAndVerbs(t *testing.T) {
	testdb.Each(t, func(t *testing.T, sdb *store.DB) {
		ctx := context.Background()
		dsn := testdb.DSN(t, sdb)
		fc := func(args ...string) (int, string, string) {
			t.Helper()
			return flowctl(t, "", append([]string{"--dsn", dsn}, args...)...)
		}
		db, err := flowstore.New(ctx, sdb, flowstore.WithoutMigrate())
		require.NoError(t, err)

		// Triggers: by name, by prefix, ambiguity, delete.
		a := uuid.MustParse("aaaa1111-0000-4000-8000-000000000001")
		b := uuid.MustParse("aaaa2222-0000-4000-8000-000000000002")
		for _, s := range []trigger.Spec{
			{ID: a, Type: trigger.Queue, Name: "nightly", ProcessName: "p", ProcessPath: "p.py", QueueName: "q", MinBatchSize: 1},
			{ID: b, Type: trigger.Queue, Name: "hourly", ProcessName: "p", ProcessPath: "p.py", QueueName: "q", MinBatchSize: 1},
		} {
			_, err := db.Triggers.Create(ctx, s)
			require.NoError(t, err)
		}
		code, out, errOut := fc("triggers", "pause", "nightly")
		require.Equal(t, 0, code, errOut)
		require.Equal(t, "trigger "+a.String()+" is PAUSED\n", out)
		code, out, errOut = fc("triggers", "resume", "AAAA2")
		require.Equal(t, 0, code, errOut)
		require.Equal(t, "trigger "+b.String()+" is IDLE\n", out)
		code, _, errOut = fc("triggers", "kill", "aaaa")
		require.Equal(t, 1, code)
		requireError(t, errOut, `flowctl triggers: invalid input: ambiguous: "aaaa" names 2 triggers; give more of the id:`)
		require.Contains(t, errOut, "\n  "+a.String()+"  nightly\n")
		require.Contains(t, errOut, "\n  "+b.String()+"  hourly\n")
		code, out, errOut = fc("triggers", "delete", "hourly")
		require.Equal(t, 0, code, errOut)
		require.Equal(t, "trigger "+b.String()+" deleted\n", out)
		_, err = db.Triggers.Get(ctx, b)
		require.ErrorIs(t, err, store.ErrNotFound)
		code, _, errOut = fc("triggers", "delete", "hourly")
		require.Equal(t, 1, code)
		requireError(t, errOut, `flowctl triggers: trigger "hourly": not found (no trigger has this name or id prefix)`)

		// Queue: claim, finish by prefix, delete, prune.
		for _, ref := range []string{"INV-1", "INV-2", "INV-3"} {
			_, err := db.Queue.Enqueue(ctx, "invoices", queue.NewElement{Reference: ref, Data: `{"n":1}`})
			require.NoError(t, err)
		}
		code, out, errOut = fc("queue", "claim", "invoices", "--json")
		require.Equal(t, 0, code, errOut)
		var first elementJSON
		require.NoError(t, json.Unmarshal([]byte(out), &first))
		require.Equal(t, "INV-1", first.Reference, "oldest first")
		require.Equal(t, "IN_PROGRESS", first.Status)
		code, out, errOut = fc("queue", "claim", "invoices", "--reference", "INV-3")
		require.Equal(t, 0, code, errOut)
		require.Contains(t, out, `(reference "INV-3")`)
		third := regexp.MustCompile(`claimed (\S+)`).FindStringSubmatch(out)[1]
		// Two IN_PROGRESS elements: the prefix they share is ambiguous.
		common := commonPrefix(strings.ReplaceAll(first.ID, "-", ""), strings.ReplaceAll(third, "-", ""))
		require.GreaterOrEqual(t, len(common), 4, "v7 ids of one second share their time prefix")
		code, _, errOut = fc("queue", "finish", common)
		require.Equal(t, 1, code)
		requireError(t, errOut, fmt.Sprintf(`flowctl queue: invalid input: ambiguous: %q names 2 queue elements`, common))
		// One more digit tells them apart; typed as printed, with its dash.
		code, out, errOut = fc("queue", "finish", dashedPrefix(first.ID, len(common)+1), "--status", "failed", "--message", "no PDF")
		require.Equal(t, 0, code, errOut)
		require.Equal(t, "element "+first.ID+" is FAILED\n", out)
		el, err := db.Queue.Get(ctx, uuid.MustParse(first.ID))
		require.NoError(t, err)
		require.Equal(t, queue.StatusFailed, el.Status)
		require.Equal(t, "no PDF", el.Message)
		code, _, errOut = fc("queue", "finish", third, "--status", "NEW")
		require.Equal(t, 2, code)
		require.Contains(t, errOut, "not a final status")
		code, out, errOut = fc("queue", "finish", third)
		require.Equal(t, 0, code, errOut)
		require.Equal(t, "element "+third+" is DONE\n", out)
		code, out, errOut = fc("queue", "claim", "invoices")
		require.Equal(t, 0, code, errOut)
		second := regexp.MustCompile(`claimed (\S+)`).FindStringSubmatch(out)[1]
		code, _, errOut = fc("queue", "claim", "invoices")
		require.Equal(t, 1, code)
		requireError(t, errOut, "nothing to claim")
		almost := dashedPrefix(second, 31)
		code, _, errOut = fc("queue", "delete", almost, "--queue", "other")
		require.Equal(t, 1, code)
		requireError(t, errOut, fmt.Sprintf(`flowctl queue: queue element %q: not found (no queue element has this id prefix)`, almost))
		code, out, errOut = fc("queue", "delete", almost, "--queue", "invoices")
		require.Equal(t, 0, code, errOut)
		require.Equal(t, "element "+second+" deleted\n", out)
		code, out, errOut = fc("queue", "prune", "--older-than", "1h")
		require.Equal(t, 0, code, errOut)
		require.Contains(t, out, "pruned 0 finished elements of every queue")
		code, out, errOut = fc("queue", "prune", "invoices", "--before", sdb.Now().Add(time.Hour).Format(time.RFC3339))
		require.Equal(t, 0, code, errOut)
		require.Contains(t, out, "pruned 2 finished elements of invoices")
		counts, err := db.Queue.Counts(ctx)
		require.NoError(t, err)
		require.Empty(t, counts)

		// Processes by prefix.
		wf, err := db.Processes.SaveWorkflow(ctx, &orchestrator.WorkflowRow{Name: "modify", Target: orchestrator.TargetModify})
		require.NoError(t, err)
		pid := uuid.MustParse("bbbb1111-0000-4000-8000-000000000001")
		require.NoError(t, db.Processes.CreateProcess(ctx, &orchestrator.Process{PID: pid, WorkflowID: wf.WorkflowID}, nil))
		code, out, errOut = fc("processes", "show", "bbbb11")
		require.Equal(t, 0, code, errOut)
		require.Contains(t, out, "process   "+pid.String()+"\n")
		code, out, errOut = fc("processes", "abort", "bbbb-11") // dashes where a user types them
		require.Equal(t, 0, code, errOut)
		require.Equal(t, "process "+pid.String()+" aborted\n", out)
		code, _, errOut = fc("processes", "show", "cccc")
		require.Equal(t, 1, code)
		requireError(t, errOut, `flowctl processes: process "cccc": not found (no process has this id prefix)`)

		// Subscriptions: list, show a tree, products.
		st := db.Subscriptions
		product := subscription.Product{Name: "Fiber", Description: "Fiber access", ProductType: "Fiber", Tag: "FIB", Status: subscription.ProductActive}
		port := subscription.ProductBlock{Name: "Port", Description: "a port"}
		node := subscription.ProductBlock{Name: "Node", Description: "a node"}
		vlan := subscription.ResourceType{ResourceType: "vlan"}
		for _, err := range []error{st.CreateProduct(ctx, &product), st.CreateProductBlock(ctx, &port), st.CreateProductBlock(ctx, &node), st.CreateResourceType(ctx, &vlan)} {
			require.NoError(t, err)
		}
		require.NoError(t, st.LinkBlock(ctx, product.ProductID, port.ProductBlockID))
		require.NoError(t, st.LinkBlock(ctx, product.ProductID, node.ProductBlockID))
		portID, nodeID := uuid.New(), uuid.New()
		attr := "node"
		sid := uuid.MustParse("dddd1111-0000-4000-8000-000000000001")
		require.NoError(t, st.Save(ctx, &subscription.Tree{
			Subscription: subscription.Subscription{SubscriptionID: sid, Description: "Fiber Amsterdam", Status: subscription.Active, ProductID: product.ProductID, CustomerID: "acme"},
			Instances: []subscription.Instance{
				{InstanceID: portID, ProductBlockID: port.ProductBlockID, Values: []subscription.Value{{ResourceTypeID: vlan.ResourceTypeID, Value: "100"}}},
				{InstanceID: nodeID, ProductBlockID: node.ProductBlockID},
			},
			Relations: []subscription.Relation{{InUseByID: portID, DependsOnID: nodeID, OrderID: 0, DomainModelAttr: &attr}},
		}))
		code, out, errOut = fc("subscriptions", "list", "--customer", "acme")
		require.Equal(t, 0, code, errOut)
		require.Regexp(t, sid.String()+`\s+active\s+acme\s+false\s+-\s+Fiber Amsterdam`, out)
		require.Contains(t, out, "1 subscription(s)")
		code, out, errOut = fc("subscriptions", "show", "dddd1")
		require.Equal(t, 0, code, errOut)
		require.Contains(t, out, "product      Fiber ("+product.ProductID.String()+")\n")
		require.Contains(t, out, "\ninstances:\n  Port "+portID.String()+"\n    vlan = 100\n    node: Node "+nodeID.String()+"\n")
		code, out, errOut = fc("subscriptions", "products")
		require.Equal(t, 0, code, errOut)
		require.Regexp(t, product.ProductID.String()+`\s+Fiber\s+Fiber\s+FIB\s+active\s+\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ`, out)

		// credentials list names an AES token's key without the key.
		gcm, err := secret.GenerateKey(secret.AESGCM)
		require.NoError(t, err)
		keyFile := writeKeyFile(t, gcm.Encode())
		code, _, errOut = flowctl(t, "pw\n", "--dsn", dsn, "credentials", "set", "erp", "--username", "robot", "--key-file", keyFile)
		require.Equal(t, 0, code, errOut)
		code, out, errOut = fc("credentials", "list")
		require.Equal(t, 0, code, errOut)
		require.Regexp(t, `erp\s+robot\s+aes256gcm\s+`+gcm.ID()+`\s`, out)
		require.NotContains(t, out, "gcm1.", "never the token")
	})
}

// dashedPrefix is the start of a printed id that holds n hex digits.
func dashedPrefix(id string, n int) string {
	for i := range id {
		if id[i] != '-' {
			if n == 0 {
				return id[:i]
			}
			n--
		}
	}
	return id
}

func commonPrefix(a, b string) string {
	n := 0
	for n < len(a) && n < len(b) && a[n] == b[n] {
		n++
	}
	return a[:n]
}

// Every list command prints one JSON document with --json.
func TestListsAsJSON(t *testing.T) {
	testdb.Each(t, func(t *testing.T, sdb *store.DB) {
		ctx := context.Background()
		dsn := testdb.DSN(t, sdb)
		db, err := flowstore.New(ctx, sdb, flowstore.WithoutMigrate())
		require.NoError(t, err)
		_, err = db.Queue.Enqueue(ctx, "q", queue.NewElement{Reference: "R1"})
		require.NoError(t, err)
		_, err = db.Triggers.Create(ctx, trigger.Spec{Type: trigger.Queue, Name: "t", ProcessName: "p", ProcessPath: "p.py", QueueName: "q", MinBatchSize: 1})
		require.NoError(t, err)
		require.NoError(t, db.Constants.Set(ctx, "c", "v"))
		wf, err := db.Processes.SaveWorkflow(ctx, &orchestrator.WorkflowRow{Name: "w", Target: orchestrator.TargetSystem})
		require.NoError(t, err)
		require.NoError(t, db.Processes.CreateProcess(ctx, &orchestrator.Process{WorkflowID: wf.WorkflowID}, nil))
		for _, c := range []struct {
			args []string
			key  string
			n    int
		}{
			{[]string{"queue", "stats"}, "queues", 1},
			{[]string{"queue", "list", "q"}, "elements", 1},
			{[]string{"triggers", "list"}, "triggers", 1},
			{[]string{"constants", "list"}, "constants", 1},
			{[]string{"credentials", "list"}, "credentials", 0},
			{[]string{"processes", "list"}, "processes", 1},
			{[]string{"logs"}, "logs", 0},
			{[]string{"snapshots", "list", "--process-id", "p"}, "ids", 0},
			{[]string{"subscriptions", "list"}, "subscriptions", 0},
			{[]string{"subscriptions", "products"}, "products", 0},
			{[]string{"pipeline", "runs", "a/b/c"}, "runs", 0},
		} {
			code, out, errOut := flowctl(t, "", append(append([]string{"--dsn", dsn}, c.args...), "--json")...)
			require.Equal(t, 0, code, "%v: %s", c.args, errOut)
			var doc map[string]json.RawMessage
			dec := json.NewDecoder(strings.NewReader(out))
			require.NoError(t, dec.Decode(&doc), "%v: %s", c.args, out)
			require.False(t, dec.More(), "%v: one document", c.args)
			raw, ok := doc[c.key]
			require.True(t, ok, "%v: %s", c.args, out)
			if c.key == "queues" {
				var qs map[string]map[string]int
				require.NoError(t, json.Unmarshal(raw, &qs))
				require.Equal(t, 1, qs["q"]["NEW"])
				continue
			}
			var items []json.RawMessage
			require.NoError(t, json.Unmarshal(raw, &items), "%v: a list, [] when empty: %s", c.args, raw)
			require.Len(t, items, c.n, "%v", c.args)
		}
	})
}

// Times carry their offset: OpenOrchestrator's naive columns in the
// database's zone (DSN timezone=), WFO's in UTC.
func TestTimesWithOffsets(t *testing.T) {
	testdb.Each(t, func(t *testing.T, sdb *store.DB) {
		ctx := context.Background()
		dsn := withZone(testdb.DSN(t, sdb), "Europe/Copenhagen")
		fc := func(args ...string) (int, string, string) {
			t.Helper()
			return flowctl(t, "", append([]string{"--dsn", dsn}, args...)...)
		}
		// Winter (+01:00) and summer (+02:00) in Copenhagen.
		code, out, errOut := fc("triggers", "add-single", "--name", "winter", "--process", "p", "--path", "p.py", "--at", "2026-11-22T10:00:00Z")
		require.Equal(t, 0, code, errOut)
		require.Contains(t, out, "next run 2026-11-22T11:00:00+01:00\n")
		code, out, errOut = fc("triggers", "add-single", "--name", "summer", "--process", "p", "--path", "p.py", "--at", "2027-07-01T08:00:00-04:00")
		require.Equal(t, 0, code, errOut)
		require.Contains(t, out, "next run 2027-07-01T14:00:00+02:00\n")
		code, out, errOut = fc("triggers", "list")
		require.Equal(t, 0, code, errOut)
		require.Contains(t, out, "2026-11-22T11:00:00+01:00")
		require.Contains(t, out, "2027-07-01T14:00:00+02:00")
		code, out, errOut = fc("triggers", "list", "--json")
		require.Equal(t, 0, code, errOut)
		require.Contains(t, out, `"next_run": "2026-11-22T11:00:00+01:00"`)

		at := time.Date(2026, 12, 5, 22, 47, 13, 0, time.UTC)
		db, err := flowstore.Open(ctx, dsn, flowstore.WithoutMigrate(), flowstore.WithClock(func() time.Time { return at }))
		require.NoError(t, err)
		defer db.Close()
		_, err = db.Queue.Enqueue(ctx, "q", queue.NewElement{Reference: "R"})
		require.NoError(t, err)
		code, out, errOut = fc("queue", "list", "q")
		require.Equal(t, 0, code, errOut)
		require.Regexp(t, `NEW\s+R\s+2026-12-05T23:47:13\+01:00\s+-\s+-`, out)
		require.NoError(t, db.Constants.Set(ctx, "c", "v"))
		code, out, errOut = fc("constants", "list")
		require.Equal(t, 0, code, errOut)
		require.Contains(t, out, "2026-12-05T23:47:13+01:00")

		wf, err := db.Processes.SaveWorkflow(ctx, &orchestrator.WorkflowRow{Name: "w", Target: orchestrator.TargetSystem})
		require.NoError(t, err)
		p := &orchestrator.Process{WorkflowID: wf.WorkflowID}
		require.NoError(t, db.Processes.CreateProcess(ctx, p, nil))
		code, out, errOut = fc("processes", "list")
		require.Equal(t, 0, code, errOut)
		require.Contains(t, out, "2026-12-05T22:47:13.000Z", "WFO's times in UTC")
	})
}
