package store_test

import (
	"testing"

	"github.com/flowstore/flowstore/internal/golden"
	"github.com/flowstore/flowstore/internal/testdb"
	"github.com/flowstore/flowstore/store"
)

// TestRecordSQLGolden pins the statements of the Constants, Credentials and
// Logs stores per dialect — the only check SQL Server's get here.
func TestRecordSQLGolden(t *testing.T) {
	for _, d := range store.Dialects() {
		golden.Assert(t, "records/"+string(d)+".sql", store.RecordStatements(testdb.Offline(d)))
	}
}
