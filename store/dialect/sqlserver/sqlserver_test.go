package sqlserver_test

import (
	"database/sql"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/mssqldialect"

	"github.com/flowstore/flowstore/internal/testdb"
	"github.com/flowstore/flowstore/store"
)

func TestMain(m *testing.M) { testdb.Main(m) }

// TestAdoptChecksGUIDConversion needs a live SQL Server: a pool
// without "guid conversion" would byte-swap every UUID read back.
func TestAdoptChecksGUIDConversion(t *testing.T) {
	db := testdb.Fresh(t, store.SQLServer)
	target, err := store.ParseDSN(testdb.DSN(t, db))
	require.NoError(t, err)
	without := strings.Replace(target.DriverDSN, "guid+conversion=true", "guid+conversion=false", 1)
	require.NotEqual(t, target.DriverDSN, without)
	for conv, sqlDSN := range map[bool]string{true: target.DriverDSN, false: without} {
		sqldb, err := sql.Open("sqlserver", sqlDSN)
		require.NoError(t, err)
		t.Cleanup(func() { _ = sqldb.Close() })
		_, err = store.New(t.Context(), bun.NewDB(sqldb, mssqldialect.New()))
		if conv {
			require.NoError(t, err)
		} else {
			require.ErrorIs(t, err, store.ErrUnsupported)
			require.Contains(t, err.Error(), "guid conversion=true")
		}
	}
}
