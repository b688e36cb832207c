package logs

import (
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/flowstore/flowstore/store"
)

// TruncateMiddle is the message truncation Write applies.
var TruncateMiddle = truncateMiddle

// RowsPerInsert is how many rows one INSERT of WriteBatch carries on the
// store's dialect.
func RowsPerInsert(s Store) int { return s.(*bunStore).q.perInsert }

// Statements renders the SQL the store sends on db's dialect (an Offline
// database), for golden files.
func Statements(db *store.DB) string {
	b := newStore(db)
	at := time.Date(2026, 1, 2, 3, 4, 5, 123456000, time.UTC)
	f := Filter{From: at, To: at.Add(time.Hour), ProcessName: "robot", Level: LevelError, Search: "50%_[x]!"}
	q, _ := b.pageQuery(&[]Entry{}, f, nil, 100, 200)
	after := &Entry{Time: at, ID: uuid.MustParse("01890a5d-ac96-774b-bcce-b302099a8057")}
	k, _ := b.pageQuery(&[]Entry{}, Filter{}, after, 1000, 0)
	var out strings.Builder
	for _, s := range []struct{ name, sql string }{
		{"log insert (2 rows)", b.q.insert(2)},
		{"log prune", b.q.prune},
		{"log query (all filters, page 3)", q.String()},
		{"log keyset page", k.String()},
	} {
		out.WriteString("-- " + s.name + "\n" + s.sql + "\n\n")
	}
	return out.String()
}
