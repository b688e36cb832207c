package correlation

import (
	"fmt"
	"strings"

	"github.com/flowstore/flowstore/store"
)

// CompareUTF16 is the comparator Encode sorts parts with.
var CompareUTF16 = compareUTF16

// Statements renders every statement of the store for db's dialect (an
// Offline database), for golden files.
func Statements(db *store.DB) string {
	q := newStmts(db.SQLDialect())
	var b strings.Builder
	line := func(name, sql string) { fmt.Fprintf(&b, "-- %s\n%s;\n", name, sql) }
	line("correlation insert", q.insert)
	line("correlation by encoded id", q.byEncoded)
	line("correlation by correlated id", q.byCorrelated)
	line("correlation delete", q.delete)
	return b.String()
}
