package storetest

import (
	"testing"

	"github.com/flowstore/flowstore"
)

// FlowstoreOn and TxOn are NewFlowstore and TestTx with the server
// given instead of read from EnvDSN, so that one test binary exercises
// SQLite and the servers internal/testdb starts.
func FlowstoreOn(t testing.TB, server string, opts ...flowstore.Option) *flowstore.DB {
	t.Helper()
	return newFlowstore(t, server, opts)
}

func TxOn(t testing.TB, server string, opts ...flowstore.Option) *flowstore.Tx {
	t.Helper()
	return testTx(t, server, opts)
}

// SharedDSN is the DSN of the database every TestTx on server shares.
func SharedDSN(t testing.TB, server string) string {
	t.Helper()
	dsn, err := sharedDSN(t.Context(), server)
	if err != nil {
		t.Fatal(err)
	}
	return dsn
}

var RandomName = randomName

var DatabaseOn = newDatabase
