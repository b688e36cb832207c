package logs

import (
	"context"
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
// database), for golden files. Naive times are rendered in
// Europe/Copenhagen, an hour ahead of UTC in January.
func Statements(db *store.DB) string {
	zone, err := time.LoadLocation("Europe/Copenhagen")
	if err != nil {
		panic(err)
	}
	db, err = store.New(context.Background(), db.Bun(), store.WithZone(zone))
	if err != nil {
		panic(err)
	}
	b := newStore(db)
	at := time.Date(2026, 1, 2, 3, 4, 5, 123456000, time.UTC)
	f := Filter{From: at, To: at.Add(time.Hour), ProcessName: "robot", Level: LevelError, Search: "50%_[x]!"}
	q, _ := b.pageQuery(&[]row{}, f, nil, 100, 200)
	// The last row of a page, as a row OpenOrchestrator wrote holds it: a
	// hex id where ids are text, its wall clock as the driver returns it.
	id := uuid.MustParse("01890a5d-ac96-774b-bcce-b302099a8057")
	last := &row{ID: storedID{id: id, text: "01890a5dac96774bbcceb302099a8057"}, Time: time.Date(2026, 1, 2, 4, 4, 5, 123456000, time.UTC)}
	after := b.keyOf(last)
	k, _ := b.pageQuery(&[]row{}, Filter{}, &after, 1000, 0)
	var out strings.Builder
	for _, s := range []struct{ name, sql string }{
		{"log insert (2 rows)", b.q.insert(2)},
		{"log prune", b.q.prune},
		{"log query (all filters, page 3)", q.String()},
		{"log keyset page (after a row of 04:04:05.123456 local time)", k.String()},
	} {
		out.WriteString("-- " + s.name + "\n" + s.sql + "\n\n")
	}
	return out.String()
}

// SetPageSize sets how many rows All reads per query, so tests can page
// through few rows.
func SetPageSize(s Store, n int) Store {
	b := *s.(*bunStore)
	b.pageSize = n
	return &b
}
