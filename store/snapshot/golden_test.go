package snapshot_test

import (
	"testing"

	"github.com/flowstore/flowstore/internal/golden"
	"github.com/flowstore/flowstore/internal/testdb"
	"github.com/flowstore/flowstore/store"
	"github.com/flowstore/flowstore/store/snapshot"
)

// TestSQLGolden pins the statements and limits of the store per dialect —
// the only check SQL Server's get here.
func TestSQLGolden(t *testing.T) {
	for _, d := range store.DialectNames() {
		golden.Assert(t, "sql/"+string(d)+".sql", snapshot.Statements(testdb.Offline(d)))
	}
}
