// Package mysql registers flowstore's MySQL 8 / MariaDB 10.6+ dialect, on
// go-sql-driver/mysql. Import it for its side effect when a program opens
// MySQL or MariaDB databases with store.Open without importing package
// flowstore (which imports every dialect):
//
//	import _ "github.com/flowstore/flowstore/store/dialect/mysql"
//
// DSNs are mysql://user:pass@host:3306/db (also mariadb://) and SQLAlchemy's
// mysql+pymysql://… (see store.ParseDSN). Every connection Open makes runs at
// READ COMMITTED, with strict SQL mode, UTC times and matched-row counts;
// store.New refuses an adopted pool at InnoDB's default REPEATABLE READ (wrap
// its connector with ReadCommitted).
package mysql

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/uptrace/bun/dialect"
	"github.com/uptrace/bun/dialect/mysqldialect"
	"github.com/uptrace/bun/schema"

	"github.com/flowstore/flowstore/store"
)

func init() {
	store.Register(store.DialectSpec{
		Name:     store.MySQL,
		Features: store.FeatureCountsChangedRows,

		IdentQuote:  '`',
		Placeholder: store.PlaceholderQuestion,
		True:        "1",
		False:       "0",
		Limit:       store.LimitClause,
		Lock:        store.LockForUpdate,
		Claim:       store.ClaimLockThenUpdate,
		Upsert:      store.UpsertOnDuplicateKey,
		TxLock:      store.TxLockRow,
		TypedNulls: map[store.SQLType]string{
			store.TypeText: "CAST(NULL AS CHAR(200))",
			store.TypeInt:  "CAST(NULL AS SIGNED)",
			store.TypeTime: "CAST(NULL AS DATETIME(6))",
		},
		ByteLength: "LENGTH",

		TextUnit:  store.UnitCharacters,
		MaxParams: 65535,
		KeyText:   store.TextLimit{Max: 450, Why: "VARCHAR(450)"},
		// A LONGBLOB holds 4 GiB, but one value may be at most the server's
		// max_allowed_packet.
		MaxBlobQuery: "SELECT @@max_allowed_packet",

		Catalog: store.CatalogSpec{
			Bookkeeping:   "CREATE TABLE IF NOT EXISTS `flowstore_migrations` (`version` INT NOT NULL PRIMARY KEY, `name` VARCHAR(200) NOT NULL, `applied_at` DATETIME(6) NOT NULL) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4",
			TableExists:   `SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name = 'flowstore_migrations'`,
			CountTable:    `SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name = ?`,
			CountIndex:    `SELECT COUNT(DISTINCT index_name) FROM information_schema.statistics WHERE table_schema = DATABASE() AND index_name = ?`,
			CountColumn:   `SELECT COUNT(*) FROM information_schema.columns WHERE table_schema = DATABASE() AND table_name = ? AND column_name = ?`,
			SessionLock:   `SELECT COALESCE(GET_LOCK('flowstore_migrate', 300), 0)`,
			SessionUnlock: `SELECT RELEASE_LOCK('flowstore_migrate')`,
			Attempts:      "CREATE TABLE IF NOT EXISTS `flowstore_migration_attempts` (`version` INT NOT NULL PRIMARY KEY, `name` VARCHAR(200) NOT NULL, `started_at` DATETIME(6) NOT NULL) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4",
			Now:           "UTC_TIMESTAMP(6)",
		},

		BunName:   dialect.MySQL,
		Bun:       func() schema.Dialect { return utcDialect{mysqldialect.New()} },
		Connector: connector,
		OwnsDriver: func(d driver.Driver) bool {
			_, ok := d.(*mysql.MySQLDriver)
			return ok
		},
		CheckPool: checkIsolation,
		Classify:  classify,
		Definite: func(err error) bool {
			var e *mysql.MySQLError
			return errors.As(err, &e)
		},
	})
}

// utcDialect writes time literals in UTC with microseconds, as the columns
// (DATETIME(6), UTC) hold them.
type utcDialect struct{ *mysqldialect.Dialect }

func (utcDialect) AppendTime(b []byte, tm time.Time) []byte { return store.AppendTimeLiteral(b, tm) }

// classify maps MySQL/MariaDB server error numbers.
func classify(err error) error {
	var e *mysql.MySQLError
	if !errors.As(err, &e) {
		return nil
	}
	switch e.Number {
	case 1062: // ER_DUP_ENTRY
		return store.ErrDuplicate
	case 1406, 1153: // ER_DATA_TOO_LONG, ER_NET_PACKET_TOO_LARGE
		return store.ErrTooLong
	case 1105: // ER_UNKNOWN_ERROR, also "parameter … longer than 'max_allowed_packet'"
		if strings.Contains(e.Message, "max_allowed_packet") {
			return store.ErrTooLong
		}
		return nil
	case 1213, 1205: // ER_LOCK_DEADLOCK, ER_LOCK_WAIT_TIMEOUT (InnoDB rolls back the statement)
		return store.ErrRetryable
	case 1451, 1452, 1048, 3819, 4025, 1292, 1366: // FK parent/child, NOT NULL, CHECK (MySQL, MariaDB), bad value
		return store.ErrInvalid
	case 1146, 1054: // ER_NO_SUCH_TABLE, ER_BAD_FIELD_ERROR
		return store.ErrNotMigrated
	}
	return nil
}

// connector makes a pool whose connections run at READ COMMITTED unless
// the DSN chose a level itself.
func connector(t store.Target) (driver.Connector, error) {
	cfg, err := mysql.ParseDSN(t.DriverDSN)
	if err != nil {
		return nil, err
	}
	c, err := mysql.NewConnector(cfg)
	if err != nil {
		return nil, err
	}
	if _, ok := cfg.Params["transaction_isolation"]; ok {
		return c, nil
	}
	if _, ok := cfg.Params["tx_isolation"]; ok {
		return c, nil
	}
	return ReadCommitted(c), nil
}

// checkIsolation reads the session isolation level of one pooled
// connection (the DSN or connector configures every connection alike).
// InnoDB's default, REPEATABLE READ, breaks what flowstore's statements rely
// on (see ReadCommitted); SERIALIZABLE is accepted as the host's stricter
// choice: its reads lock, and they see the latest committed rows.
//
// The other setting Open makes, clientFoundRows=true, cannot be probed: it is
// a flag of the connection handshake that no session variable shows. On a
// pool without it MySQL counts changed rather than matched rows
// (store.FeatureCountsChangedRows).
func checkIsolation(ctx context.Context, sqldb *sql.DB) error {
	var level string
	err := sqldb.QueryRowContext(ctx, "SELECT @@SESSION.transaction_isolation").Scan(&level)
	var myErr *mysql.MySQLError
	if errors.As(err, &myErr) && myErr.Number == 1193 { // ER_UNKNOWN_SYSTEM_VARIABLE: MariaDB before 11.1
		err = sqldb.QueryRowContext(ctx, "SELECT @@SESSION.tx_isolation").Scan(&level)
	}
	if err != nil {
		return fmt.Errorf("check the adopted MySQL pool: %w", err)
	}
	switch level {
	case "READ-COMMITTED", "SERIALIZABLE":
		return nil
	}
	return fmt.Errorf("%w: the adopted MySQL/MariaDB pool runs at %s; flowstore needs READ COMMITTED: add transaction_isolation='READ-COMMITTED' to its DSN (tx_isolation on MariaDB before 11.1), wrap its connector with mysql.ReadCommitted (package github.com/flowstore/flowstore/store/dialect/mysql), or open it with store.Open", store.ErrUnsupported, level)
}

// ReadCommitted wraps a go-sql-driver/mysql connector so that every
// connection it makes runs at READ COMMITTED, as every connection of a pool
// store.Open creates does. It is for hosts that build their own pool and
// adopt it with store.New, which refuses a pool at InnoDB's default
// REPEATABLE READ:
//
//	connector, err := mysql.NewConnector(cfg) // go-sql-driver/mysql
//	…
//	db, err := store.New(ctx, bun.NewDB(sql.OpenDB(flowmysql.ReadCommitted(connector)), mysqldialect.New()))
//
// InnoDB's REPEATABLE READ takes gap locks that make concurrent claims
// (SELECT … FOR UPDATE SKIP LOCKED, then UPDATE) deadlock, and keeps a
// transaction's first snapshot, so a check made after taking a lock would
// read rows as they were before it. Unlike the DSN parameter, the statement
// works unchanged on MySQL 8 and MariaDB, whose names for the session
// variable differ (transaction_isolation, tx_isolation).
func ReadCommitted(c driver.Connector) driver.Connector { return readCommitted{c} }

type readCommitted struct{ driver.Connector }

func (c readCommitted) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.Connector.Connect(ctx)
	if err != nil {
		return nil, err
	}
	execer, ok := conn.(driver.ExecerContext)
	if !ok {
		_ = conn.Close()
		return nil, fmt.Errorf("%w: the mysql driver's connection cannot execute statements", store.ErrUnsupported)
	}
	if _, err := execer.ExecContext(ctx, "SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED", nil); err != nil {
		_ = conn.Close()
		return nil, err
	}
	return conn, nil
}
