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

// TestSQLGolden pins the SQL each dialect receives — the engine's hot path
// and the store's list query — so SQL Server's, which no server here can
// run, is reviewed like the others.
func TestSQLGolden(t *testing.T) {
	for _, d := range store.Dialects() {
		t.Run(string(d), func(t *testing.T) {
			var b strings.Builder
			q := newStmts(d)
			v := reflect.ValueOf(q)
			for i := range v.NumField() {
				fmt.Fprintf(&b, "-- %s\n%s;\n\n", v.Type().Field(i).Name, v.Field(i).String())
			}
			db := testdb.Offline(d)
			yes := true
			lq, err := New(db).processesQuery(ProcessFilter{Status: StatusFailed, Workflow: "wf", IsTask: &yes, Limit: 10})
			if err != nil {
				t.Fatal(err)
			}
			fmt.Fprintf(&b, "-- processes list\n%s;\n", lq.String())
			pid := uuid.MustParse("00000000-0000-0000-0000-000000000001")
			at := time.Date(2025, 1, 2, 3, 4, 5, 6000, time.UTC)
			st := New(db)
			fmt.Fprintf(&b, "\n-- newest step (an input's earliest time)\n%s;\n", st.newestStepQuery(&ProcessStep{}, pid).String())
			fmt.Fprintf(&b, "\n-- newest input (an input's time comes after it)\n%s;\n", st.newestInputQuery(&InputState{}, pid).String())
			fmt.Fprintf(&b, "\n-- executing (EngineStatus counts them)\n%s;\n", executingQuery(db.Bun(), at).String())
			golden.Assert(t, "sql/"+string(d)+".sql", b.String())
		})
	}
}
