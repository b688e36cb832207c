package logs

import (
	"strings"
	"sync"

	"github.com/flowstore/flowstore/store"
)

// maxRowsPerInsert caps the rows of one INSERT of WriteBatch where the
// dialect's parameter limit would allow more: a statement of 1000 rows of
// log text is already large, and larger ones save nothing measurable.
const maxRowsPerInsert = 1000

// paramsPerRow is how many parameters one Logs row binds.
const paramsPerRow = 5

// stmts are the writes the store binds on the driver (Handle.Raw); the reads
// are bun queries (see bunStore.pageQuery). One stmts is shared by a store
// and its WithTx copies.
type stmts struct {
	d *store.Dialect
	// perInsert is how many rows one INSERT carries: under the dialect's
	// parameter limit and its cap on rows per VALUES list, at most
	// maxRowsPerInsert.
	perInsert int
	// prune binds the time before which rows go.
	prune   string
	inserts sync.Map // rows → INSERT text
}

func newStmts(d *store.Dialect) *stmts {
	return &stmts{
		d:         d,
		perInsert: min(maxRowsPerInsert, d.RowsPerStatement(paramsPerRow)),
		prune:     d.Rebind(`DELETE FROM ` + d.Quote("Logs") + ` WHERE log_time < ?`),
	}
}

// insert returns the INSERT of n Logs rows, placeholders rebound.
func (q *stmts) insert(n int) string {
	if s, ok := q.inserts.Load(n); ok {
		return s.(string)
	}
	var b strings.Builder
	b.Grow(80 + n*17)
	b.WriteString("INSERT INTO ")
	b.WriteString(q.d.Quote("Logs"))
	b.WriteString(" (id, log_time, log_level, process_name, log_message) VALUES ")
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString("(?,?,?,?,?)")
	}
	s := q.d.Rebind(b.String())
	q.inserts.Store(n, s)
	return s
}

// likeEscaper escapes LIKE wildcards with '!' (a backslash would mean
// different things in MySQL string literals); '[' is a wildcard on SQL
// Server.
var likeEscaper = strings.NewReplacer("!", "!!", "%", "!%", "_", "!_", "[", "![")
