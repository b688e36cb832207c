package flowstore

// Open takes a DSN of any dialect, so this package links all four. A
// program that needs one dialect only can import package store and that
// dialect's package instead, and link one driver.
import (
	_ "github.com/flowstore/flowstore/store/dialect/mysql"
	_ "github.com/flowstore/flowstore/store/dialect/postgres"
	_ "github.com/flowstore/flowstore/store/dialect/sqlite"
	_ "github.com/flowstore/flowstore/store/dialect/sqlserver"
)
