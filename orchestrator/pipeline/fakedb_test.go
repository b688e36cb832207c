package pipeline

import (
	"context"
	"database/sql/driver"
	"errors"
	"io"
	"regexp"
	"strings"
	"sync"
)

// fakeServer is a database/sql driver that reaches no server but answers
// every statement, so that a store method runs to its end on it and a bun
// query hook sees every statement the method would send — not only those
// before the first one that needs an answer. Exec reports one affected row
// (or what affected says); a query returns one row holding the columns it
// asks for, valued from values, else 1 (NULL for timestamps).
type fakeServer struct {
	mu       sync.Mutex
	version  string             // the answer to bun's server-version query (MySQL, SQL Server)
	values   map[string]any     // column name → value in the row every query returns
	affected func(string) int64 // rows an Exec of the statement changes; nil: 1
	// bound, if set, is told of every statement sent with bound parameters
	// — those that bypass bun (the dialect layer's name lock), which a bun
	// query hook does not see.
	bound func(query string, args []driver.NamedValue)
}

func (f *fakeServer) sawBound(query string, args []driver.NamedValue) {
	f.mu.Lock()
	fn := f.bound
	f.mu.Unlock()
	if fn != nil && len(args) > 0 {
		fn(query, args)
	}
}

// script sets the answers for the next statements.
func (f *fakeServer) script(values map[string]any, affected func(string) int64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.values, f.affected = values, affected
}

func (f *fakeServer) value(column string) driver.Value {
	f.mu.Lock()
	defer f.mu.Unlock()
	if v, ok := f.values[column]; ok {
		return v
	}
	if strings.HasSuffix(column, "_at") || column == "next_run" {
		return nil
	}
	return int64(1)
}

func (f *fakeServer) rowsAffected(query string) int64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.affected == nil {
		return 1
	}
	return f.affected(query)
}

func (f *fakeServer) Connect(context.Context) (driver.Conn, error) { return fakeConn{f}, nil }
func (f *fakeServer) Driver() driver.Driver                        { return fakeDriver{f} }

type fakeDriver struct{ f *fakeServer }

func (d fakeDriver) Open(string) (driver.Conn, error) { return fakeConn(d), nil }

type fakeConn struct{ f *fakeServer }

var errFakePrepare = errors.New("fake server: prepared statements are not supported")

func (fakeConn) Prepare(string) (driver.Stmt, error) { return nil, errFakePrepare }
func (fakeConn) Close() error                        { return nil }
func (fakeConn) Begin() (driver.Tx, error)           { return fakeTx{}, nil }

func (fakeConn) BeginTx(context.Context, driver.TxOptions) (driver.Tx, error) { return fakeTx{}, nil }

func (c fakeConn) ExecContext(_ context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	c.f.sawBound(query, args)
	return fakeResult(c.f.rowsAffected(query)), nil
}

func (c fakeConn) QueryContext(_ context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	c.f.sawBound(query, args)
	if query == "SELECT version()" || query == "SELECT @@VERSION" {
		return &fakeRows{columns: []string{"version"}, row: []driver.Value{c.f.version}}, nil
	}
	cols := columnsOf(query)
	row := make([]driver.Value, len(cols))
	for i, col := range cols {
		row[i] = c.f.value(col)
	}
	return &fakeRows{columns: cols, row: row}, nil
}

type fakeTx struct{}

func (fakeTx) Commit() error   { return nil }
func (fakeTx) Rollback() error { return nil }

type fakeResult int64

func (fakeResult) LastInsertId() (int64, error)   { return 1, nil }
func (r fakeResult) RowsAffected() (int64, error) { return int64(r), nil }

type fakeRows struct {
	columns []string
	row     []driver.Value
	done    bool
}

func (r *fakeRows) Columns() []string { return r.columns }
func (r *fakeRows) Close() error      { return nil }

func (r *fakeRows) Next(dest []driver.Value) error {
	if r.done {
		return io.EOF
	}
	r.done = true
	copy(dest, r.row)
	return nil
}

var (
	selectList = regexp.MustCompile(`^SELECT (?:TOP \(\d+\) )?(.+?) FROM `)
	outputList = regexp.MustCompile(` OUTPUT (.+?) (?:VALUES|WHERE|SELECT|FROM) `)
)

// columnsOf names the columns a statement returns: its RETURNING, OUTPUT or
// SELECT list, each item by its last identifier ("wl"."sequence" →
// sequence). Good enough for the statements bun writes for this package.
func columnsOf(query string) []string {
	var list string
	if i := strings.LastIndex(query, " RETURNING "); i >= 0 {
		list = query[i+len(" RETURNING "):]
	} else if m := outputList.FindStringSubmatch(query); m != nil {
		list = m[1]
	} else if m := selectList.FindStringSubmatch(query); m != nil {
		list = m[1]
	}
	if list == "" {
		return nil
	}
	var cols []string
	for _, item := range strings.Split(list, ", ") {
		item = strings.TrimRight(strings.TrimSpace(item), "\"`]")
		if i := strings.LastIndexAny(item, "\"`[."); i >= 0 {
			item = item[i+1:]
		}
		cols = append(cols, item)
	}
	return cols
}
