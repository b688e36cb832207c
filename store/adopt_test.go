package store_test

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"encoding/hex"
	"maps"
	"regexp"
	"strings"
	"testing"

	"github.com/go-sql-driver/mysql"
	"github.com/google/uuid"
	mssql "github.com/microsoft/go-mssqldb"
	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/mssqldialect"
	"github.com/uptrace/bun/dialect/mysqldialect"

	"github.com/flowstore/flowstore/internal/testdb"
	"github.com/flowstore/flowstore/store"
)

// kogitoDDL is Kogito's own PostgreSQL DDL for process_instances, as its
// documentation prints it.
const kogitoDDL = `CREATE TABLE process_instances
(
    id              character(36)     NOT NULL,
    payload         bytea             NOT NULL,
    process_id      character varying NOT NULL,
    version         bigint,
    process_version character varying,
    CONSTRAINT process_instances_pkey PRIMARY KEY (id)
)`

// TestAdoptExistingDatabase: a database in which another system already
// created its tables (and wrote rows) is adopted, not overwritten: the rows
// stay readable through flowstore, the missing tables are created, and the
// result is a complete schema at the latest version.
func TestAdoptExistingDatabase(t *testing.T) {
	for _, d := range testdb.Live() {
		t.Run(string(d), func(t *testing.T) {
			ctx := context.Background()
			db, err := store.Open(ctx, testdb.FreshDSN(t, d))
			require.NoError(t, err)
			defer db.Close()

			// The other system's tables: Kogito's process_instances (its
			// own DDL on PostgreSQL) and OpenOrchestrator's Queues.
			ms, err := store.Migrations(d)
			require.NoError(t, err)
			theirs := regexp.MustCompile("(?i)^CREATE (TABLE|INDEX [^ ]+ ON) [`\"]?(process_instances|Queues)[`\"]? ")
			for _, stmt := range ms[0].Statements {
				if !theirs.MatchString(stmt) {
					continue
				}
				if d == store.Postgres && regexp.MustCompile(`^CREATE TABLE "process_instances"`).MatchString(stmt) {
					stmt = kogitoDDL
				}
				_, err := db.SQL().ExecContext(ctx, stmt)
				require.NoError(t, err, stmt)
			}
			_, err = db.SQL().ExecContext(ctx, d.Rebind(`INSERT INTO process_instances (id, payload, process_id, version) VALUES (?, ?, ?, ?)`),
				"7f1c5a0e-0000-4000-8000-000000000001", []byte("kogito bytes"), "orders", 3)
			require.NoError(t, err)

			require.Error(t, db.Migrate(ctx), "Migrate refuses: the tables exist")
			require.NoError(t, db.Adopt(ctx))
			require.NoError(t, db.Adopt(ctx), "adopting twice is a no-op")
			v, err := db.SchemaVersion(ctx)
			require.NoError(t, err)
			require.Equal(t, store.LatestSchemaVersion(), v)
			assertCatalogMatchesReference(t, db)

			snaps, err := store.NewSnapshots(db)
			require.NoError(t, err)
			got, err := snaps.Get(ctx, "7f1c5a0e-0000-4000-8000-000000000001")
			require.NoError(t, err)
			require.Equal(t, "kogito bytes", string(got.Payload))
			require.EqualValues(t, 3, got.Version)

			var settings int
			require.NoError(t, db.SQL().QueryRowContext(ctx, `SELECT COUNT(*) FROM engine_settings`).Scan(&settings))
			require.Equal(t, 1, settings, "a table flowstore created gets its seed row")
		})
	}
}

// TestAdoptPoolRefusesRepeatableReadMySQL: a host's MySQL/MariaDB pool with
// the driver's defaults runs at REPEATABLE READ, which flowstore's
// statements are not written for; New refuses it and names the DSN option.
// READ COMMITTED — set in the DSN or by ReadCommitted — and SERIALIZABLE are
// accepted.
func TestAdoptPoolRefusesRepeatableReadMySQL(t *testing.T) {
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
			c = store.ReadCommitted(connector)
		}
		sqldb := sql.OpenDB(c)
		t.Cleanup(func() { _ = sqldb.Close() })
		return sqldb
	}
	adopt := func(sqldb *sql.DB) error {
		_, err := store.New(bun.NewDB(sqldb, mysqldialect.New()))
		return err
	}

	err = adopt(pool(t, nil, false))
	require.ErrorIs(t, err, store.ErrUnsupported)
	require.Contains(t, err.Error(), "REPEATABLE-READ")
	require.Contains(t, err.Error(), "transaction_isolation='READ-COMMITTED'")

	require.NoError(t, adopt(pool(t, nil, true)), "store.ReadCommitted")

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

// TestAdoptPoolChecksSQLServerGUIDConversion needs a live SQL Server: a pool
// without "guid conversion" would byte-swap every UUID read back.
func TestAdoptPoolChecksSQLServerGUIDConversion(t *testing.T) {
	db := testdb.Fresh(t, store.SQLServer)
	target, err := store.ParseDSN(testdb.DSN(t, db))
	require.NoError(t, err)
	without := strings.Replace(target.DriverDSN, "guid+conversion=true", "guid+conversion=false", 1)
	require.NotEqual(t, target.DriverDSN, without)
	for conv, sqlDSN := range map[bool]string{true: target.DriverDSN, false: without} {
		sqldb, err := sql.Open("sqlserver", sqlDSN)
		require.NoError(t, err)
		t.Cleanup(func() { _ = sqldb.Close() })
		_, err = store.New(bun.NewDB(sqldb, mssqldialect.New()))
		if conv {
			require.NoError(t, err)
		} else {
			require.ErrorIs(t, err, store.ErrUnsupported)
			require.Contains(t, err.Error(), "guid conversion=true")
		}
	}
}

// TestAdoptPoolSQLServerGUIDByteOrder pins, without a server, what the SQL Server
// check of New decides, on the bytes go-mssqldb really produces:
// uniqueidentifier travels in SQL Server's mixed-endian order
// (mssql.UniqueIdentifier.Value encodes it so), which the driver hands
// back unchanged without "guid conversion=true" — and uuid.UUID.Scan would
// then read a different, byte-swapped UUID.
func TestAdoptPoolSQLServerGUIDByteOrder(t *testing.T) {
	id := uuid.MustParse(store.ProbeGUID)
	wire, err := mssql.UniqueIdentifier(id).Value()
	require.NoError(t, err)
	require.Equal(t, "33221100554477668899aabbccddeeff", hex.EncodeToString(wire.([]byte)), "SQL Server's byte order")

	var swapped uuid.UUID
	require.NoError(t, swapped.Scan(wire))
	require.NotEqual(t, id, swapped, "scanning unconverted bytes corrupts the UUID")
	require.Equal(t, "33221100-5544-7766-8899-aabbccddeeff", swapped.String())

	err = store.CheckGUIDBytes(wire.([]byte))
	require.ErrorIs(t, err, store.ErrUnsupported)
	require.Contains(t, err.Error(), `"guid conversion=true"`)
	require.NoError(t, store.CheckGUIDBytes(id[:]), "converted (RFC 4122) order is accepted")
	require.ErrorIs(t, store.CheckGUIDBytes([]byte("00112233-4455-6677-8899-aabbccddeeff")), store.ErrUnsupported, "36 bytes of text are not what go-mssqldb returns")

	target, err := store.ParseDSN("sqlserver://sa:pw@db?database=flow&guid+conversion=false")
	require.NoError(t, err)
	require.Contains(t, target.DriverDSN, "guid+conversion=true", "Open always turns the conversion on")
}

// TestAdoptPoolChecksOnlyKnownDrivers: a pool behind a driver flowstore does not
// know (here the harness's offline driver, which answers no queries) is
// adopted without a check, so golden tests keep rendering SQL for every
// dialect.
func TestAdoptPoolChecksOnlyKnownDrivers(t *testing.T) {
	for _, d := range store.Dialects() {
		db, err := store.New(testdb.Offline(d).Bun())
		require.NoError(t, err, d)
		require.Equal(t, d, db.Dialect())
	}
}
