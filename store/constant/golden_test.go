package constant_test

import (
	"testing"

	"github.com/flowstore/flowstore/internal/golden"
	"github.com/flowstore/flowstore/internal/testdb"
	"github.com/flowstore/flowstore/store"
	"github.com/flowstore/flowstore/store/constant"
)

// TestSQLGolden pins the statements of the store per dialect — the only
// check SQL Server's get here.
func TestSQLGolden(t *testing.T) {
	for _, d := range store.DialectNames() {
		golden.Assert(t, "sql/"+string(d)+".sql", constant.Statements(testdb.Offline(d)))
	}
}
