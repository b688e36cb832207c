package subscription

import (
	"strings"
	"testing"

	"github.com/flowstore/flowstore/internal/golden"
	"github.com/flowstore/flowstore/internal/testdb"
	"github.com/flowstore/flowstore/store"
)

// TestSearchSQLGolden pins each dialect's search query (SQL Server's cannot
// run here).
func TestSearchSQLGolden(t *testing.T) {
	for _, d := range store.Dialects() {
		t.Run(string(d), func(t *testing.T) {
			q, err := New(testdb.Offline(d)).searchQuery(Filter{Text: "fiber 10%", CustomerID: "cust", Status: Active, Limit: 5})
			if err != nil {
				t.Fatal(err)
			}
			golden.Assert(t, "sql/"+string(d)+".sql", strings.ReplaceAll(q.String(), " WHERE ", "\nWHERE ")+";\n")
		})
	}
}
