// Package tracing makes OpenTelemetry spans of what flowstore does: a span
// for each SQL statement, each queue claim, each engine step and
// each trigger start a scheduler attempts. Nothing is traced unless the host
// passes a trace.TracerProvider, and the package uses only OpenTelemetry's
// API: the host chooses the SDK and the exporter.
//
//	t, err := tracing.New(tp) // tp: the host's *sdktrace.TracerProvider
//	…
//	db, err := flowstore.Open(ctx, dsn, flowstore.WithObserver(t))
//	// or flowstore.WithTracerProvider(tp), which does both
//
// flowstore.WithObserver gives t the database (ObserveDB installs a bun
// query hook on it, before Open migrates), makes Open wrap its pool's
// connector (WrapConnector, through store.WithConnector) and installs t on
// the queue store and on every engine and scheduler the DB makes. Without
// the root package: open with store.WithConnector(t.WrapConnector), call
// t.ObserveDB(db) before the *store.DB is in use, and pass t to
// queue.WithObserver, orchestrator.WithObserver and trigger.WithObserver.
//
// # Spans
//
//	flowstore.queue.claim     one Claim, ClaimReference or ClaimBatch: flowstore.queue.name, flowstore.queue.claimed (elements)
//	flowstore.step            one engine step, its transaction's retries included: flowstore.workflow.name,
//	                          flowstore.step.name, flowstore.process.id, flowstore.step.outcome
//	flowstore.trigger.start   one attempt of a scheduler to start a due trigger: flowstore.trigger.name,
//	                          flowstore.trigger.id, flowstore.trigger.type, flowstore.scheduler.name,
//	                          flowstore.trigger.outcome (started, taken, unstartable, error)
//	<operation> <table>       one SQL statement (see "Two layers" below), kind client, with the database
//	                          semantic conventions: db.system.name, db.operation.name,
//	                          db.collection.name (when the statement names one table first)
//
// The statements of a claim, a step or a trigger start run on the context
// of its span, so they are its children; the statements a StepFunc runs on
// its session are children of the step's span. A statement's span never
// carries the statement's text or its values (bun writes values into the
// text), and a failed span's status carries the error's class (the store
// sentinel it wraps: "conflict", "duplicate", …), never the driver's
// message, which can quote values.
//
// By default a statement gets a span only when its context already has one
// (a claim's, a step's, the host's request span), so that the pollers of
// engines and schedulers do not fill the trace store with root spans;
// WithRootStatements(true) traces every statement.
//
// # Two layers for statements
//
// bun's query hook sees what bun runs. flowstore's hot paths — queue
// enqueues, claims and finishes, the engine's own step bookkeeping — bind
// parameters on database/sql directly (store.Handle.Raw, prepared
// statements) to avoid bun's inlining, below bun's hooks. WrapConnector
// traces those at the driver: every statement a connection of the pool
// runs, unless bun's hook traced it already (it marks its context), so no
// statement has two spans. A database given to flowstore.New (a pool the
// host opened) has the driver layer only if the host wrapped its
// connector with WrapConnector; otherwise only bun's statements have spans.
// Transaction control (BEGIN, COMMIT) has spans where bun runs it.
package tracing

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"sync"
	"unicode"

	"github.com/uptrace/bun"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"

	"github.com/flowstore/flowstore/orchestrator"
	"github.com/flowstore/flowstore/queue"
	"github.com/flowstore/flowstore/store"
	"github.com/flowstore/flowstore/trigger"
)

// ScopeName is the instrumentation scope of flowstore's spans.
const ScopeName = "github.com/flowstore/flowstore"

// Tracer makes flowstore's spans (see the package documentation). It is safe
// for concurrent use.
type Tracer struct {
	tracer trace.Tracer
	roots  bool

	mu     sync.Mutex
	hooked map[*bun.DB]bool
}

var (
	_ queue.Observer        = (*Tracer)(nil)
	_ orchestrator.Observer = (*Tracer)(nil)
	_ trigger.Observer      = (*Tracer)(nil)
)

// Option configures New.
type Option func(*Tracer)

// WithRootStatements makes every statement bun runs a span, also one whose
// context has no span yet (default false: only statements inside a span).
func WithRootStatements(on bool) Option { return func(t *Tracer) { t.roots = on } }

// New returns a Tracer whose spans tp makes. A nil tp is store.ErrInvalid:
// tracing is off by not making a Tracer.
func New(tp trace.TracerProvider, opts ...Option) (*Tracer, error) {
	if tp == nil {
		return nil, fmt.Errorf("tracing: new: %w: nil TracerProvider", store.ErrInvalid)
	}
	t := &Tracer{tracer: tp.Tracer(ScopeName, trace.WithSchemaURL(semconv.SchemaURL)), hooked: map[*bun.DB]bool{}}
	for _, o := range opts {
		o(t)
	}
	return t, nil
}

// ObserveDB installs t's query hook on db's bun handle, once per handle.
// Call it before the DB is in use: bun reads its hooks without a lock
// (flowstore.Open and flowstore.New call it before they migrate).
func (t *Tracer) ObserveDB(db *store.DB) error {
	if db == nil {
		return fmt.Errorf("tracing: observe: %w: nil database", store.ErrInvalid)
	}
	b := db.Bun()
	t.mu.Lock()
	defer t.mu.Unlock()
	if !t.hooked[b] {
		b.AddQueryHook(t.QueryHook(db.SQLDialect()))
		t.hooked[b] = true
	}
	return nil
}

// QueryHook returns the bun query hook that makes the statement spans, for
// a host that installs hooks on its bun handle itself.
func (t *Tracer) QueryHook(d *store.Dialect) bun.QueryHook {
	return &queryHook{t: t, d: d, system: systemName(d)}
}

// systemName is the semantic conventions' db.system.name of a dialect. The
// MySQL dialect serves MySQL and MariaDB alike and cannot tell them apart
// without a query, so both are "mysql".
func systemName(d *store.Dialect) attribute.KeyValue {
	if d == nil {
		return semconv.DBSystemNameOtherSQL
	}
	if kv, ok := systemNames[d.Name()]; ok {
		return kv
	}
	return semconv.DBSystemNameOtherSQL
}

var systemNames = map[store.DialectName]attribute.KeyValue{
	store.SQLite:    semconv.DBSystemNameSQLite,
	store.Postgres:  semconv.DBSystemNamePostgreSQL,
	store.SQLServer: semconv.DBSystemNameMicrosoftSQLServer,
	store.MySQL:     semconv.DBSystemNameMySQL,
}

// ---- statements

type queryHook struct {
	t      *Tracer
	d      *store.Dialect
	system attribute.KeyValue
}

type spanKey struct{}

func (h *queryHook) BeforeQuery(ctx context.Context, ev *bun.QueryEvent) context.Context {
	if !h.t.roots && !trace.SpanContextFromContext(ctx).IsValid() {
		return ctx
	}
	op, table := statementOf(ev)
	ctx, span := h.t.tracer.Start(ctx, spanName(op, table), trace.WithSpanKind(trace.SpanKindClient), trace.WithAttributes(h.attributes(op, table)...))
	if ev.Stash == nil {
		ev.Stash = map[any]any{}
	}
	ev.Stash[spanKey{}] = span
	// The driver layer (WrapConnector) leaves this statement to us.
	return context.WithValue(ctx, bunSpan{}, true)
}

// spanName is "<operation> <table>", as the semantic conventions name a
// statement's span.
func spanName(op, table string) string {
	name := op
	if table != "" {
		name += " " + table
	}
	if name == "" {
		name = "sql"
	}
	return name
}

func (h *queryHook) attributes(op, table string) []attribute.KeyValue {
	attrs := make([]attribute.KeyValue, 0, 3)
	attrs = append(attrs, h.system)
	if op != "" {
		attrs = append(attrs, semconv.DBOperationName(op))
	}
	if table != "" {
		attrs = append(attrs, semconv.DBCollectionName(table))
	}
	return attrs
}

func (h *queryHook) AfterQuery(_ context.Context, ev *bun.QueryEvent) {
	span, ok := ev.Stash[spanKey{}].(trace.Span)
	if !ok {
		return
	}
	if err := ev.Err; err != nil && !errors.Is(err, sql.ErrNoRows) {
		if h.d != nil {
			err = h.d.Classify(err)
		}
		fail(span, err)
	}
	span.End()
}

// statementOf finds a statement's operation and first table: from bun's
// query where it knows them, else from the statement's template (which has
// placeholders, not values).
func statementOf(ev *bun.QueryEvent) (op, table string) {
	if ev.IQuery != nil {
		op = ev.IQuery.Operation()
		table = unquote(ev.IQuery.GetTableName())
	}
	text := ev.QueryTemplate
	if text == "" {
		text = ev.Query
	}
	pop, ptable := parseStatement(text)
	if op == "" || ev.IQuery == nil || isRaw(ev.IQuery) {
		op = pop
	}
	if table == "" {
		table = ptable
	}
	return strings.ToUpper(op), table
}

func isRaw(q bun.Query) bool {
	_, ok := q.(*bun.RawQuery)
	return ok
}

// parseStatement reads the operation (the first keyword after any WITH
// clauses: SELECT, INSERT, UPDATE, DELETE, MERGE, …) and the table it works
// on (after FROM, INTO or UPDATE) from a statement's text. It reads words
// and quoted identifiers only; string literals are skipped, never returned.
func parseStatement(s string) (op, table string) {
	toks := tokens(s, 64)
	depth := 0
	for i, tk := range toks {
		switch tk {
		case "(":
			depth++
			continue
		case ")":
			depth--
			continue
		}
		if depth != 0 {
			continue
		}
		w := strings.ToUpper(tk)
		if op == "" {
			switch w {
			case "WITH", "RECURSIVE", "AS", "MATERIALIZED", "NOT", ",":
				continue
			case "SELECT", "INSERT", "UPDATE", "DELETE", "MERGE", "REPLACE", "CREATE", "DROP", "ALTER", "TRUNCATE", "BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE", "SET", "PRAGMA", "EXEC", "CALL", "VALUES":
				op = w
				if w == "UPDATE" && i+1 < len(toks) {
					return op, identifier(toks[i+1])
				}
				continue
			default:
				if isName(tk) && i+1 < len(toks) && strings.EqualFold(toks[i+1], "AS") {
					continue // a CTE's name
				}
				if isName(tk) {
					continue // a CTE's column list or name
				}
				return w, ""
			}
		}
		if (w == "FROM" || w == "INTO") && i+1 < len(toks) && toks[i+1] != "(" {
			return op, identifier(toks[i+1])
		}
	}
	return op, ""
}

// tokens splits SQL text into words, quoted identifiers and parentheses,
// skipping string literals and comments, up to max tokens.
func tokens(s string, max int) []string {
	var out []string
	for i := 0; i < len(s) && len(out) < max; {
		c := s[i]
		switch {
		case c == '\'':
			i = skipQuoted(s, i, '\'')
		case c == '-' && i+1 < len(s) && s[i+1] == '-':
			for i < len(s) && s[i] != '\n' {
				i++
			}
		case c == '"' || c == '`' || c == '[' || isWordByte(c):
			// a name, possibly qualified: public."Queues", [dbo].[Queues]
			j := namePart(s, i)
			for j < len(s)-1 && s[j] == '.' && (isWordByte(s[j+1]) || s[j+1] == '"' || s[j+1] == '`' || s[j+1] == '[') {
				j = namePart(s, j+1)
			}
			out = append(out, s[i:j])
			i = j
		case c == '(' || c == ')' || c == ',':
			out = append(out, string(c))
			i++
		default:
			i++
		}
	}
	return out
}

func isWordByte(c byte) bool {
	return c == '_' || c == '$' || c >= 0x80 || unicode.IsLetter(rune(c)) || unicode.IsDigit(rune(c))
}

// namePart returns the index after the word or quoted identifier at i.
func namePart(s string, i int) int {
	switch s[i] {
	case '"', '`':
		return skipQuoted(s, i, s[i])
	case '[':
		return skipQuoted(s, i, ']')
	}
	j := i
	for j < len(s) && isWordByte(s[j]) {
		j++
	}
	return j
}

// skipQuoted returns the index after the quoted run that starts at i,
// doubled quote characters included.
func skipQuoted(s string, i int, end byte) int {
	for j := i + 1; j < len(s); j++ {
		if s[j] == end {
			if j+1 < len(s) && s[j+1] == end {
				j++
				continue
			}
			return j + 1
		}
	}
	return len(s)
}

func isName(tk string) bool {
	if tk == "" {
		return false
	}
	switch tk[0] {
	case '"', '`', '[':
		return true
	}
	return unicode.IsLetter(rune(tk[0])) || tk[0] == '_'
}

// identifier returns a table token without its quotes, each part of a
// qualified name unquoted ("public"."Queues" is public.Queues); a token
// that is no name (punctuation, a number) is no table.
func identifier(tk string) string {
	if !isName(tk) {
		return ""
	}
	var parts []string
	for i := 0; i < len(tk); {
		j := namePart(tk, i)
		if j == i {
			break
		}
		parts = append(parts, unquote(tk[i:j]))
		i = j + 1 // past the dot
	}
	return strings.Join(parts, ".")
}

func unquote(s string) string {
	if len(s) >= 2 {
		switch {
		case s[0] == '"' && s[len(s)-1] == '"', s[0] == '`' && s[len(s)-1] == '`', s[0] == '[' && s[len(s)-1] == ']':
			q := s[:1]
			return strings.ReplaceAll(s[1:len(s)-1], q+q, q)
		}
	}
	return s
}

// ---- errors

// errorClasses are the store sentinels a span's error is named by.
var errorClasses = []struct {
	err  error
	name string
}{
	{store.ErrNotFound, "not_found"},
	{store.ErrConflict, "conflict"},
	{store.ErrDuplicate, "duplicate"},
	{store.ErrTooLong, "too_long"},
	{store.ErrInvalid, "invalid"},
	{store.ErrLocked, "locked"},
	{store.ErrRetryable, "retryable"},
	{store.ErrUnsupported, "unsupported"},
	{store.ErrNotMigrated, "not_migrated"},
	{store.ErrCommitUnknown, "commit_unknown"},
	{store.ErrRollbackOnly, "rollback_only"},
	{context.Canceled, "canceled"},
	{context.DeadlineExceeded, "deadline_exceeded"},
}

// errorClass names err by the sentinel it wraps, or "_OTHER" (the
// semantic conventions' fallback) — never by its message.
func errorClass(err error) string {
	for _, c := range errorClasses {
		if errors.Is(err, c.err) {
			return c.name
		}
	}
	return semconv.ErrorTypeOther.Value.AsString()
}

func fail(span trace.Span, err error) {
	class := errorClass(err)
	span.SetAttributes(semconv.ErrorTypeKey.String(class))
	span.SetStatus(codes.Error, class)
}
