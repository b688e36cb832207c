package orchestrator

import (
	"fmt"
	"reflect"
	"strings"
	"testing"

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
			golden.Assert(t, "sql/"+string(d)+".sql", b.String())
		})
	}
}
