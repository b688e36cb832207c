package tracing

import (
	"context"
	"database/sql/driver"
	"errors"
	"time"

	"go.opentelemetry.io/otel/trace"

	"github.com/flowstore/flowstore/store"
)

// This file traces the statements bun does not see: flowstore's hot paths
// bind parameters on database/sql directly (store.Handle.Raw, prepared
// statements of the engine), below bun's hooks. WrapConnector wraps the
// driver's connector, so every statement of the pool passes here; one that
// bun runs already has its span (the query hook marks its context) and
// gets no second one.

// bunSpan marks a context whose statement the bun query hook traces.
type bunSpan struct{}

// WrapConnector returns c with statement spans: every statement run on a
// connection of the pool — executed, queried, or through a prepared
// statement — that bun's query hook did not trace already. d is the pool's
// dialect (for db.system.name and error classes). flowstore.Open installs
// it through store.WithConnector for a tracing observer; a host that opens
// its own pool for store.New wraps its connector with it:
//
//	db := sql.OpenDB(t.WrapConnector(connector, d))
func (t *Tracer) WrapConnector(c driver.Connector, d *store.Dialect) driver.Connector {
	return &connector{Connector: c, h: &queryHook{t: t, d: d, system: systemName(d)}}
}

type connector struct {
	driver.Connector
	h *queryHook
}

func (c *connector) Connect(ctx context.Context) (driver.Conn, error) {
	dc, err := c.Connector.Connect(ctx)
	if err != nil {
		return nil, err
	}
	return &conn{Conn: dc, h: c.h}, nil
}

// statement returns the function that records a statement's span once the
// statement returned, or nil when it is not to be traced: ctx has no span
// (and root statements are not traced) or bun traces it. The span is made
// afterwards, dated from now, so that a statement the driver sends back to
// database/sql (driver.ErrSkip: it is prepared and run again, and traced
// there) leaves no span.
func (h *queryHook) statement(ctx context.Context, query string) func(err error) {
	if ctx.Value(bunSpan{}) != nil {
		return nil
	}
	if !h.t.roots && !trace.SpanContextFromContext(ctx).IsValid() {
		return nil
	}
	start := time.Now()
	return func(err error) {
		if errors.Is(err, driver.ErrSkip) {
			return
		}
		op, table := parseStatement(query)
		_, span := h.t.tracer.Start(ctx, spanName(op, table), trace.WithSpanKind(trace.SpanKindClient),
			trace.WithAttributes(h.attributes(op, table)...), trace.WithTimestamp(start))
		if err != nil {
			if h.d != nil {
				err = h.d.Classify(err)
			}
			fail(span, err)
		}
		span.End()
	}
}

// conn wraps a driver connection. It has every optional method
// database/sql and flowstore's pool look for, and passes each to the
// driver's connection, or answers as database/sql would without it.
type conn struct {
	driver.Conn
	h *queryHook
}

// Unwrap returns the driver's own connection, for code that needs its
// native API (as store's pool connections do).
func (c *conn) Unwrap() driver.Conn { return c.Conn }

func (c *conn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	ex, ok := c.Conn.(driver.ExecerContext)
	if !ok {
		return nil, driver.ErrSkip
	}
	done := c.h.statement(ctx, query)
	res, err := ex.ExecContext(ctx, query, args)
	if done != nil {
		done(err)
	}
	return res, err
}

func (c *conn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	qu, ok := c.Conn.(driver.QueryerContext)
	if !ok {
		return nil, driver.ErrSkip
	}
	done := c.h.statement(ctx, query)
	rows, err := qu.QueryContext(ctx, query, args)
	if done != nil {
		done(err)
	}
	return rows, err
}

func (c *conn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	var st driver.Stmt
	var err error
	if pc, ok := c.Conn.(driver.ConnPrepareContext); ok {
		st, err = pc.PrepareContext(ctx, query)
	} else {
		st, err = c.Conn.Prepare(query)
	}
	if err != nil {
		return nil, err
	}
	return &stmt{Stmt: st, h: c.h, query: query}, nil
}

func (c *conn) Prepare(query string) (driver.Stmt, error) {
	return c.PrepareContext(context.Background(), query)
}

func (c *conn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	if bt, ok := c.Conn.(driver.ConnBeginTx); ok {
		return bt.BeginTx(ctx, opts)
	}
	if opts.Isolation != driver.IsolationLevel(0) || opts.ReadOnly {
		return nil, errors.New("tracing: the driver's connection cannot take transaction options")
	}
	return c.Conn.Begin() //nolint:staticcheck // the driver has nothing else
}

func (c *conn) Ping(ctx context.Context) error {
	if p, ok := c.Conn.(driver.Pinger); ok {
		return p.Ping(ctx)
	}
	return nil
}

func (c *conn) ResetSession(ctx context.Context) error {
	if r, ok := c.Conn.(driver.SessionResetter); ok {
		return r.ResetSession(ctx)
	}
	return nil
}

func (c *conn) IsValid() bool {
	if v, ok := c.Conn.(driver.Validator); ok {
		return v.IsValid()
	}
	return true
}

func (c *conn) CheckNamedValue(nv *driver.NamedValue) error {
	if ch, ok := c.Conn.(driver.NamedValueChecker); ok {
		return ch.CheckNamedValue(nv)
	}
	return driver.ErrSkip
}

// stmt wraps a prepared statement; each execution is a span.
type stmt struct {
	driver.Stmt
	h     *queryHook
	query string
}

func (s *stmt) ExecContext(ctx context.Context, args []driver.NamedValue) (driver.Result, error) {
	done := s.h.statement(ctx, s.query)
	var res driver.Result
	var err error
	if ex, ok := s.Stmt.(driver.StmtExecContext); ok {
		res, err = ex.ExecContext(ctx, args)
	} else {
		res, err = s.Stmt.Exec(values(args)) //nolint:staticcheck // the driver has nothing else
	}
	if done != nil {
		done(err)
	}
	return res, err
}

func (s *stmt) QueryContext(ctx context.Context, args []driver.NamedValue) (driver.Rows, error) {
	done := s.h.statement(ctx, s.query)
	var rows driver.Rows
	var err error
	if qu, ok := s.Stmt.(driver.StmtQueryContext); ok {
		rows, err = qu.QueryContext(ctx, args)
	} else {
		rows, err = s.Stmt.Query(values(args)) //nolint:staticcheck // the driver has nothing else
	}
	if done != nil {
		done(err)
	}
	return rows, err
}

func (s *stmt) CheckNamedValue(nv *driver.NamedValue) error {
	if ch, ok := s.Stmt.(driver.NamedValueChecker); ok {
		return ch.CheckNamedValue(nv)
	}
	return driver.ErrSkip
}

func values(args []driver.NamedValue) []driver.Value {
	out := make([]driver.Value, len(args))
	for i, a := range args {
		out[i] = a.Value
	}
	return out
}
