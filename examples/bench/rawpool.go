package main

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"

	"github.com/flowstore/flowstore/store"
	flowmysql "github.com/flowstore/flowstore/store/dialect/mysql"
)

// sessionSetup holds, per dialect, what its store.Open adds to a
// connection beyond the driver DSN that store.ParseDSN returns: on
// MySQL/MariaDB the READ COMMITTED isolation every flowstore pool runs at
// (store/dialect/mysql.ReadCommitted, exported for pools built by hand).
// The raw pool gets the same, so both sides run under the same session
// settings. It is a table of what the dialect packages export, not a
// dialect switch: a dialect without an entry needs nothing more.
var sessionSetup = map[store.DialectName]func(driver.Connector) driver.Connector{
	store.MySQL: flowmysql.ReadCommitted,
}

// openRawPool opens the raw side's pool: database/sql with the dialect's
// plain driver, on the DSN store.Open resolves the flowstore DSN to (so the
// same SQLite pragmas, PostgreSQL exec mode and MySQL session variables),
// with the pool settings store.Open sets (store.IdleConns idle
// connections; database/sql's default of 2 would make the raw side open a
// connection — a server process on PostgreSQL — whenever more than two
// workers return theirs). No write turns, no commit grace, no
// classification: the raw driver.
func openRawPool(ctx context.Context, dsn string) (*sql.DB, error) {
	t, err := store.ParseDSN(dsn)
	if err != nil {
		return nil, err
	}
	if t.Memory {
		return nil, fmt.Errorf("%w: an in-memory SQLite database lives in one pool; the bench's raw side needs a pool of its own: name a file", store.ErrInvalid)
	}
	pool, err := sql.Open(t.Driver, t.DriverDSN)
	if err != nil {
		return nil, fmt.Errorf("raw pool: %w", err)
	}
	if setup := sessionSetup[t.Dialect]; setup != nil {
		dc, ok := pool.Driver().(driver.DriverContext)
		_ = pool.Close()
		if !ok {
			return nil, fmt.Errorf("raw pool: the %s driver has no connector", t.Driver)
		}
		c, err := dc.OpenConnector(t.DriverDSN)
		if err != nil {
			return nil, fmt.Errorf("raw pool: %w", err)
		}
		pool = sql.OpenDB(setup(c))
	}
	pool.SetMaxIdleConns(store.IdleConns)
	if err := pool.PingContext(ctx); err != nil {
		_ = pool.Close()
		return nil, fmt.Errorf("raw pool: %w", err)
	}
	return pool, nil
}
