package testdb

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/schema"

	"github.com/flowstore/flowstore/store"
)

// errOffline is what any attempt to run a statement on an Offline database
// returns.
var errOffline = errors.New("testdb: offline database: render SQL with String or AppendQuery; nothing can be executed")

// Server versions an Offline database claims. bun asks the MySQL and SQL
// Server dialects' servers for their version when the bun.DB is made, and
// the MySQL dialect picks its features from the answer (MariaDB gets
// RETURNING, MySQL 8 gets CTEs). Golden files pin MySQL 8, the stricter of
// the two, so they show the SQL that must work on both.
var offlineVersions = map[string]string{
	"SELECT version()": "8.0.36",
	"SELECT @@VERSION": "Microsoft SQL Server 2019 (RTM) - 15.0.2000.5 (X64)",
}

// offlineConnector is a driver.Connector whose connections reach no server:
// bun needs a *sql.DB to build queries, and rendering them never touches
// it. The connections answer only the version queries above.
type offlineConnector struct{}

func (offlineConnector) Connect(context.Context) (driver.Conn, error) { return offlineConn{}, nil }
func (offlineConnector) Driver() driver.Driver                        { return offlineDriver{} }

type offlineDriver struct{}

func (offlineDriver) Open(string) (driver.Conn, error) { return offlineConn{}, nil }

type offlineConn struct{}

func (offlineConn) Prepare(string) (driver.Stmt, error) { return nil, errOffline }
func (offlineConn) Close() error                        { return nil }
func (offlineConn) Begin() (driver.Tx, error)           { return nil, errOffline }

func (offlineConn) ExecContext(context.Context, string, []driver.NamedValue) (driver.Result, error) {
	return nil, errOffline
}

func (offlineConn) QueryContext(_ context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	if v, ok := offlineVersions[query]; ok && len(args) == 0 {
		return &versionRows{version: v}, nil
	}
	return nil, errOffline
}

// versionRows is the one-row, one-column answer to a version query.
type versionRows struct {
	version string
	done    bool
}

func (*versionRows) Columns() []string { return []string{"version"} }
func (*versionRows) Close() error      { return nil }

func (r *versionRows) Next(dest []driver.Value) error {
	if r.done {
		return io.EOF
	}
	r.done = true
	dest[0] = r.version
	return nil
}

var (
	offlineMu  sync.Mutex
	offlineDBs = map[store.DialectName]*store.DB{}
)

// Offline returns a database handle of dialect d that has no server behind
// it, for rendering the SQL a store would run (bun's String or AppendQuery)
// and pinning it in golden files: the only check SQL Server gets on a
// machine without one. Executing anything fails. The handle is shared by
// every caller in the test binary and must not be closed.
func Offline(d store.DialectName) *store.DB {
	offlineMu.Lock()
	defer offlineMu.Unlock()
	if db, ok := offlineDBs[d]; ok {
		return db
	}
	// store.New checks pools of the drivers it knows (go-mssqldb,
	// go-sql-driver/mysql) with a query; this driver is none of them, so
	// the offline handle is adopted without one.
	db, err := store.New(context.Background(), bun.NewDB(sql.OpenDB(offlineConnector{}), offlineDialect(d)))
	if err != nil {
		panic(fmt.Sprintf("testdb: Offline(%q): %v", d, err))
	}
	offlineDBs[d] = db
	return db
}

// offlineDialect returns the bun dialect store.Open would use for d, so
// rendered SQL (times included) is what a live database would receive.
func offlineDialect(name store.DialectName) schema.Dialect {
	d, err := store.LookupDialect(name)
	if err != nil {
		panic(fmt.Sprintf("testdb: Offline: %v", err))
	}
	return d.Bun()
}
