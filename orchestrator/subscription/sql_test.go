package subscription

import (
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/flowstore/flowstore/internal/golden"
	"github.com/flowstore/flowstore/internal/testdb"
	"github.com/flowstore/flowstore/store"
)

// TestSearchSQLGolden pins each dialect's search query, its keyset page,
// and the queries by which Save looks across subscriptions (SQL Server's
// cannot run here).
func TestSearchSQLGolden(t *testing.T) {
	for _, d := range store.DialectNames() {
		t.Run(string(d), func(t *testing.T) {
			db := testdb.Offline(d)
			st := newStore(db)
			f := Filter{Text: "fiber 10%", CustomerID: "cust", Status: Active, Limit: 5}
			out := strings.ReplaceAll(st.searchQuery(f, nil, 5, false).String(), " WHERE ", "\nWHERE ") + ";\n"
			id := uuid.MustParse("00000000-0000-0000-0000-000000000001")
			last := &Subscription{SubscriptionID: id, Description: "Fiber Amsterdam"}
			out += "\n-- AllSubscriptions: the page after the last row of the previous one\n" +
				strings.ReplaceAll(st.searchQuery(Filter{CustomerID: "cust"}, last, 100, false).String(), " WHERE ", "\nWHERE ") + ";\n"
			out += "\n-- Search where subscriptions_search is WFO's materialized view: '-' as '_'\n" +
				strings.ReplaceAll(st.searchQuery(Filter{Text: "acme-corp"}, nil, 5, true).String(), " WHERE ", "\nWHERE ") + ";\n"
			ids := []uuid.UUID{uuid.MustParse("00000000-0000-0000-0000-000000000002"), uuid.MustParse("00000000-0000-0000-0000-000000000003")}
			out += "\n-- Save: instances outside the tree a relation depends on\n" + elsewhereQuery(db.Bun(), id, ids).String() + ";\n"
			out += "\n-- Save: other subscriptions' relations to removed instances\n" + instanceUsersQuery(db.Bun(), ids).String() + ";\n"
			golden.Assert(t, "sql/"+string(d)+".sql", out)
		})
	}
}
