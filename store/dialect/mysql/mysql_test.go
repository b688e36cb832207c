package mysql_test

import (
	"database/sql"
	"database/sql/driver"
	"maps"
	"testing"

	"github.com/go-sql-driver/mysql"
	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/mysqldialect"

	"github.com/flowstore/flowstore/internal/testdb"
	"github.com/flowstore/flowstore/store"
	flowmysql "github.com/flowstore/flowstore/store/dialect/mysql"
)

func TestMain(m *testing.M) { testdb.Main(m) }

// TestAdoptRefusesRepeatableRead: a host's MySQL/MariaDB pool with
// the driver's defaults runs at REPEATABLE READ, which flowstore's
// statements are not written for; New refuses it and names the DSN option.
// READ COMMITTED — set in the DSN or by ReadCommitted — and SERIALIZABLE are
// accepted.
func TestAdoptRefusesRepeatableRead(t *testing.T) {
	db := testdb.Fresh(t, store.MySQL)
	target, err := store.ParseDSN(testdb.DSN(t, db))
	require.NoError(t, err)
	pool := func(t *testing.T, params map[string]string, wrap bool) *sql.DB {
		cfg, err := mysql.ParseDSN(target.DriverDSN)
		require.NoError(t, err)
		if cfg.Params == nil {
			cfg.Params = map[string]string{}
		}
		maps.Copy(cfg.Params, params)
		connector, err := mysql.NewConnector(cfg)
		require.NoError(t, err)
		var c driver.Connector = connector
		if wrap {
			c = flowmysql.ReadCommitted(connector)
		}
		sqldb := sql.OpenDB(c)
		t.Cleanup(func() { _ = sqldb.Close() })
		return sqldb
	}
	adopt := func(sqldb *sql.DB) error {
		_, err := store.New(t.Context(), bun.NewDB(sqldb, mysqldialect.New()))
		return err
	}

	err = adopt(pool(t, nil, false))
	require.ErrorIs(t, err, store.ErrUnsupported)
	require.Contains(t, err.Error(), "REPEATABLE-READ")
	require.Contains(t, err.Error(), "transaction_isolation='READ-COMMITTED'")

	require.NoError(t, adopt(pool(t, nil, true)), "ReadCommitted")

	// The DSN parameter: MariaDB before 11.1 knows only tx_isolation,
	// MySQL 8 only transaction_isolation.
	for _, level := range []string{"READ-COMMITTED", "SERIALIZABLE"} {
		var ok bool
		for _, name := range []string{"tx_isolation", "transaction_isolation"} {
			sqldb := pool(t, map[string]string{name: "'" + level + "'"}, false)
			if sqldb.Ping() != nil {
				continue // the server does not know this name
			}
			require.NoError(t, adopt(sqldb), "%s=%s", name, level)
			ok = true
		}
		require.True(t, ok, "no isolation parameter accepted for %s", level)
	}
}
