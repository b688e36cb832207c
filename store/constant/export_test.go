package constant

import (
	"strings"

	"github.com/flowstore/flowstore/store"
)

// Statements renders the SQL the store sends on db's dialect (an Offline
// database), for golden files.
func Statements(db *store.DB) string {
	d := db.SQLDialect()
	q := newStmts(d)
	update := "constant update"
	if d.Has(store.FeatureCountsChangedRows) {
		update += " (rows affected may count changed rows: re-read on 0)"
	}
	var b strings.Builder
	for _, s := range []struct{ name, sql string }{
		{"constant upsert", q.upsert},
		{"constant insert", q.insert},
		{update, q.update},
		{"constant delete", q.delete},
	} {
		b.WriteString("-- " + s.name + "\n" + s.sql + "\n\n")
	}
	return b.String()
}
