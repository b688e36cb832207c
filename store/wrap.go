package store

import "database/sql/driver"

// WithConnector makes Open wrap the database/sql connector it makes for the
// DSN's driver, before flowstore's own pool logic: every connection of the
// pool then goes through wrap's connector. It serves instrumentation that
// must see every statement, also those flowstore binds on database/sql
// directly below bun (package tracing's WrapConnector, which
// flowstore.Open installs for a tracing observer). The wrapped connections
// should offer the optional driver interfaces of the driver's own, and an
// Unwrap() driver.Conn method returning it, as code reaching the native
// connection (LISTEN on PostgreSQL) looks for. d is the pool's dialect.
// Open only: New takes a pool the host opened, whose connector the host
// wraps itself.
func WithConnector(wrap func(c driver.Connector, d *Dialect) driver.Connector) Option {
	return func(c *config) {
		if wrap != nil {
			c.wraps = append(c.wraps, wrap)
		}
	}
}
