package orchestrator

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/flowstore/flowstore/internal/golden"
	"github.com/flowstore/flowstore/internal/testdb"
	"github.com/flowstore/flowstore/store"
)

// TestSQLGolden pins the SQL each dialect receives — the engine's hot path,
// the store's statements and its list queries — so SQL Server's, which no
// server here can run, is reviewed like the others.
func TestSQLGolden(t *testing.T) {
	for _, d := range store.DialectNames() {
		t.Run(string(d), func(t *testing.T) {
			var b strings.Builder
			db := testdb.Offline(d)
			v := reflect.ValueOf(*newStmts(db.SQLDialect()))
			for i := range v.NumField() {
				fmt.Fprintf(&b, "-- %s\n%s;\n\n", v.Type().Field(i).Name, v.Field(i).String())
			}
			yes := true
			pid := uuid.MustParse("00000000-0000-0000-0000-000000000001")
			at := time.Date(2025, 1, 2, 3, 4, 5, 6000, time.UTC)
			f := ProcessFilter{Status: StatusFailed, Workflow: "wf", IsTask: &yes}
			fmt.Fprintf(&b, "-- processes list\n%s;\n", processesQuery(db.Bun(), f, nil, 10).String())
			fmt.Fprintf(&b, "\n-- processes page after a process (AllProcesses)\n%s;\n", processesQuery(db.Bun(), f, &Process{PID: pid, StartedAt: at}, 10).String())
			fmt.Fprintf(&b, "\n-- newest step (an input's earliest time)\n%s;\n", newestStepQuery(db.Bun(), &ProcessStep{}, pid).String())
			fmt.Fprintf(&b, "\n-- newest input (an input's time comes after it)\n%s;\n", newestInputQuery(db.Bun(), &InputState{}, pid).String())
			fmt.Fprintf(&b, "\n-- executing (EngineStatus counts them)\n%s;\n", executingQuery(db.Bun(), at).String())
			golden.Assert(t, "sql/"+string(d)+".sql", b.String())
		})
	}
}
