package pipeline

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/flowstore/flowstore/internal/golden"
	"github.com/flowstore/flowstore/store"
)

// recorder keeps the statements bun formats and, in the order they are
// sent, those sent with bound parameters (their values after them).
type recorder struct{ stmts []string }

func (r *recorder) BeforeQuery(ctx context.Context, _ *bun.QueryEvent) context.Context { return ctx }
func (r *recorder) AfterQuery(_ context.Context, e *bun.QueryEvent) {
	r.stmts = append(r.stmts, e.Query)
}

func (r *recorder) bound(query string, args []driver.NamedValue) {
	vals := make([]string, len(args))
	for i, a := range args {
		vals[i] = fmt.Sprintf("%#v", a.Value)
	}
	r.stmts = append(r.stmts, query+"; -- bound: "+strings.Join(vals, ", "))
}

// TestStatementsGolden pins the statements the concurrency guarantees rest
// on, for every dialect — for SQL Server, which cannot run here, the only
// check besides review. The methods run whole on a fakeServer, which answers
// every statement, so each step shows every statement of the method in
// order, transaction boundaries included.
func TestStatementsGolden(t *testing.T) {
	at := time.Date(2026, 3, 1, 10, 5, 0, 123456000, time.UTC)
	for _, d := range store.DialectNames() {
		fake := &fakeServer{version: map[store.DialectName]string{
			// MySQL 8, the stricter of MySQL and MariaDB, as testdb.Offline.
			store.MySQL:     "8.0.36",
			store.SQLServer: "Microsoft SQL Server 2019 (RTM) - 15.0.2000.5 (X64)",
		}[d]}
		rec := &recorder{}
		fake.bound = rec.bound
		dialect, err := store.LookupDialect(d)
		if err != nil {
			t.Fatal(err)
		}
		db, err := store.New(context.Background(), bun.NewDB(sql.OpenDB(fake), dialect.Bun()).WithQueryHook(rec),
			store.WithClock(func() time.Time { return at }), store.WithLogger(slog.New(slog.DiscardHandler)))
		if err != nil {
			t.Fatal(err)
		}
		ps, err := New(db)
		if err != nil {
			t.Fatal(err)
		}
		ctx := context.Background()
		var b strings.Builder
		// step runs fn with the fake answering values (column → value) and
		// affected (rows an Exec changes, nil: 1), and writes down what it sent.
		step := func(name string, values map[string]any, affected func(string) int64, fn func() error) {
			fake.script(values, affected)
			rec.stmts = nil
			if err := fn(); err != nil {
				t.Errorf("%s: %s: %v", d, name, err)
			}
			fmt.Fprintf(&b, "-- %s\n", name)
			for _, s := range rec.stmts {
				if !strings.Contains(s, "; -- bound: ") {
					s += ";"
				}
				fmt.Fprintf(&b, "%s\n", s)
			}
			b.WriteString("\n")
		}

		step("start run: allocate sequence and instance, continue an imported history, copy the definition", nil, nil, func() error {
			_, err := ps.StartRun(ctx, 42, StartOptions{StartData: `{"ref":"main"}`})
			return err
		})
		step("transition to Doing", nil, nil, func() error {
			return ps.Transition(ctx, LevelAction, 7, RunDoing, "")
		})
		step("transition to Doing: requires empty in a spelling only loadGate knows",
			map[string]any{"run_state": int64(RunWaitToStart), "requires": "[ ]", "auth_list": "[]"}, firstAffects(0), func() error {
				return ps.Transition(ctx, LevelAction, 7, RunDoing, "")
			})
		step("transition to Failed: release the instance", nil, nil, func() error {
			return ps.Transition(ctx, LevelWorkflow, 7, RunFailed, ReasonWorkflowRunFailed)
		})
		step("authorize: locked read, then an UPDATE naming the requires it read",
			map[string]any{"run_state": int64(RunWaitToStart), "requires": `[{"type":"default","token":"default"}]`, "auth_list": "[]"},
			nil, func() error {
				_, err := ps.Authorize(ctx, LevelWorkflow, 7, Requirement{Type: AuthDefault, Token: DefaultToken}, "alice")
				return err
			})
		step("set run var: locked read, then an UPDATE naming the change_log it read",
			map[string]any{"vaule": "main", "change_log": "[]"}, nil, func() error {
				return ps.SetRunVar(ctx, 7, "branch", "release", "alice")
			})
		step("create workflow: name lock, locked read of the version codes", nil, nil, func() error {
			_, err := ps.CreateWorkflow(ctx, WorkflowSpec{
				Workflow: Workflow{Namespace: "acme", Repository: "shop", Name: "deploy", State: StateRunnable},
				Stages:   []StageSpec{{Stage: Stage{Name: "build", Type: StageRun}, Actions: []Action{{Name: "compile"}}}},
				Vars:     []WorkflowVar{{Key: "branch", Value: "main"}},
			})
			return err
		})
		step("set user setting, the first one: name lock, update, insert", nil, affects(`"user_setting"`, 0), func() error {
			_, err := ps.SetUserSetting(ctx, "acme", "shop", `{"a":1}`)
			return err
		})
		step("set vars: locked read of the workflow, replace", nil, nil, func() error {
			return ps.SetVars(ctx, 42, []WorkflowVar{{Key: "branch", Value: "main"}})
		})
		step("create timer: locked read of the workflow", nil, nil, func() error {
			return ps.CreateTimer(ctx, &Timer{Namespace: "acme", Repository: "shop", Workflow: 42, Available: true, Cron: "*/5 * * * *"})
		})
		step("claim timer", nil, nil, func() error {
			_, err := claimTimer(ctx, db.Handle(), 3, at, at.Add(5*time.Minute))
			return err
		})
		step("switch off a timer that never fires", nil, nil, func() error {
			return disableTimer(ctx, db.Handle(), Timer{ID: 3, Cron: "0 0 30 2 *"}, at)
		})
		step("soft delete", nil, nil, func() error { return ps.SoftDelete(ctx, TableStage, 9) })
		step("soft delete a live run: release its instance", nil, nil, func() error {
			return ps.SoftDelete(ctx, TableWorkflowLog, 7)
		})
		step("hard delete an ended run: no release", nil, firstAffects(0), func() error {
			return ps.HardDelete(ctx, TableWorkflowLog, 7)
		})
		golden.Assert(t, "testdata/statements/"+string(d)+".sql", b.String())
	}
}

// firstAffects makes the first Exec change n rows, the others 1.
func firstAffects(n int64) func(string) int64 {
	first := true
	return func(string) int64 {
		if first {
			first = false
			return n
		}
		return 1
	}
}

// affects makes an Exec whose text contains s change n rows, the others 1.
func affects(s string, n int64) func(string) int64 {
	return func(q string) int64 {
		if strings.Contains(q, s) {
			return n
		}
		return 1
	}
}
