package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"

	"github.com/go-sql-driver/mysql"
)

// openPool creates the database/sql pool for a parsed DSN. Every dialect but
// MySQL/MariaDB takes the driver as it is.
func openPool(target Target) (*sql.DB, error) {
	if target.Dialect != MySQL {
		return sql.Open(target.Driver, target.DriverDSN)
	}
	cfg, err := mysql.ParseDSN(target.DriverDSN)
	if err != nil {
		return nil, err
	}
	connector, err := mysql.NewConnector(cfg)
	if err != nil {
		return nil, err
	}
	if _, ok := cfg.Params["transaction_isolation"]; ok {
		return sql.OpenDB(connector), nil
	}
	if _, ok := cfg.Params["tx_isolation"]; ok {
		return sql.OpenDB(connector), nil
	}
	return sql.OpenDB(readCommittedConnector{connector}), nil
}

// readCommittedConnector makes every new MySQL/MariaDB connection run at READ
// COMMITTED, the level PostgreSQL and SQL Server run at by default and the
// one flowstore's statements are written for. InnoDB's default, REPEATABLE
// READ, takes gap locks that make concurrent claims (SELECT … FOR UPDATE SKIP
// LOCKED, then UPDATE) deadlock, and keeps a transaction's first snapshot, so
// a check made after taking a lock would read rows as they were before it.
// The statement is the same on MySQL 8 and MariaDB, whose names for the
// session variable differ (transaction_isolation, tx_isolation); a DSN that
// sets either variable keeps its own choice.
type readCommittedConnector struct{ driver.Connector }

func (c readCommittedConnector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.Connector.Connect(ctx)
	if err != nil {
		return nil, err
	}
	execer, ok := conn.(driver.ExecerContext)
	if !ok {
		_ = conn.Close()
		return nil, fmt.Errorf("%w: the mysql driver's connection cannot execute statements", ErrUnsupported)
	}
	if _, err := execer.ExecContext(ctx, "SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED", nil); err != nil {
		_ = conn.Close()
		return nil, err
	}
	return conn, nil
}
