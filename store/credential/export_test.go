package credential

import (
	"strings"

	"github.com/flowstore/flowstore/store"
)

// Statements renders the SQL the store sends on db's dialect (an Offline
// database), for golden files.
func Statements(db *store.DB) string {
	q := newStmts(db.SQLDialect())
	var b strings.Builder
	for _, s := range []struct{ name, sql string }{
		{"credential upsert", q.upsert},
		{"credential delete", q.delete},
		{"credential rotate (conditional on the token read)", q.rotate},
	} {
		b.WriteString("-- " + s.name + "\n" + s.sql + "\n\n")
	}
	return b.String()
}
