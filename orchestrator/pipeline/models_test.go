package pipeline

import (
	"reflect"
	"slices"
	"testing"

	"github.com/flowstore/flowstore/internal/refschema"
	"github.com/flowstore/flowstore/internal/testdb"
	"github.com/flowstore/flowstore/store"
)

// extraColumns are the columns migrations 0060 and 0063 add (see doc.go).
var extraColumns = map[string][]string{"workflow": {"last_sequence"}, "timer": {"next_run"}, "workflow_log": {"start_key"}}

// TestModelsMatchReferenceSchema: every ContainerOps table has a model whose
// table and column names are exactly the documented ones (plus our extras),
// in the documented order.
func TestModelsMatchReferenceSchema(t *testing.T) {
	db := testdb.Offline(store.SQLite)
	documented := map[string][]string{}
	for _, tb := range refschema.Tables {
		if tb.System != "ContainerOps" {
			continue
		}
		for _, c := range tb.Columns {
			documented[tb.Name] = append(documented[tb.Name], c.Name)
		}
	}
	if len(documented) != 18 || len(Tables()) != 18 {
		t.Fatalf("want 18 ContainerOps tables, reference has %d, package has %d", len(documented), len(Tables()))
	}
	for _, tb := range Tables() {
		m, err := tb.model()
		if err != nil {
			t.Fatal(err)
		}
		st := db.Bun().Table(reflect.TypeOf(m).Elem())
		if st.Name != string(tb) {
			t.Errorf("model %T maps table %q, want %q", m, st.Name, tb)
		}
		var cols []string
		for _, f := range st.Fields {
			cols = append(cols, f.Name)
		}
		want := append(slices.Clone(documented[string(tb)]), extraColumns[string(tb)]...)
		if !slices.Equal(cols, want) {
			t.Errorf("table %s: model columns\n%v\nwant\n%v", tb, cols, want)
		}
		if got := st.SoftDeleteField != nil; got != tb.softDeletable() {
			t.Errorf("table %s: soft delete %v, want %v", tb, got, tb.softDeletable())
		}
	}
}
