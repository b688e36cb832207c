package testdb

// The harness runs every dialect it finds, so it links all four.
import (
	_ "github.com/flowstore/flowstore/store/dialect/mysql"
	_ "github.com/flowstore/flowstore/store/dialect/postgres"
	_ "github.com/flowstore/flowstore/store/dialect/sqlite"
	_ "github.com/flowstore/flowstore/store/dialect/sqlserver"
)
