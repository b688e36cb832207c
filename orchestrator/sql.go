package orchestrator

import (
	"context"
	"database/sql"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/flowstore/flowstore/store"
)

// This file holds the package's SQL: the statements the engine and the
// store run with parameters bound by the driver, rendered once per store
// from the dialect layer, and the bun queries of the reads.

// stmts is the package's SQL for one dialect, placeholders rebound.
type stmts struct {
	readLock   string
	insertStep string
	foldStep   string
	finishStep string // update the process row after a step, fenced on owner and status
	// finishStepLock is finishStep returning the global lock, where the
	// dialect's UPDATE can return a subquery (FeatureReturning): it spares
	// the next step its own lock read. "" elsewhere.
	finishStepLock string
	runningDelta   string // running_processes += ?
	claimNew       string // created|resumed -> running, owned by us
	claimRunning   string // adopt a running process from a dead (or no) owner
	claimOrphan    string // adopt a running process that has no owner
	release        string // give up ownership, status unchanged
	maxSeq         string
	recoverable    string
	lock           string
	unlock         string
	unlockResume   string // lock-paused (running, unowned) processes -> resumed
	pruneEngines   string
	// takeOverEngine renews the row of an engine of the same name whose
	// lease expired, so an engine restarted under its old name registers.
	takeOverEngine string
}

// render turns a statement written with {identifier} marks and '?'
// placeholders into d's SQL: each mark becomes the identifier as d quotes
// it, and the placeholders are rebound.
func render(d *store.Dialect, text string) string {
	var b strings.Builder
	b.Grow(len(text) + 32)
	for {
		i := strings.IndexByte(text, '{')
		if i < 0 {
			b.WriteString(text)
			break
		}
		j := strings.IndexByte(text[i:], '}')
		b.WriteString(text[:i])
		b.WriteString(d.Quote(text[i+1 : i+j]))
		text = text[i+j+1:]
	}
	return d.Rebind(b.String())
}

// newStmts renders the statements for d.
func newStmts(d *store.Dialect) *stmts {
	r := func(text string) string { return render(d, text) }
	finish := `UPDATE {processes} SET {last_step} = ?, {last_status} = ?, {assignee} = ?, {failed_reason} = ?, {traceback} = ?, {last_modified_at} = ?, {engine_instance_id} = ? ` +
		`WHERE {pid} = ? AND {last_status} = 'running' AND {engine_instance_id} = ?`
	s := &stmts{
		readLock:     r(`SELECT {global_lock} FROM {engine_settings}`),
		insertStep:   r(`INSERT INTO {process_steps} ({stepid}, {pid}, {name}, {status}, {state}, {created_by}, {executed_at}, {seq}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`),
		foldStep:     r(`UPDATE {process_steps} SET {state} = ?, {executed_at} = ? WHERE {stepid} = ?`),
		finishStep:   r(finish),
		runningDelta: r(`UPDATE {engine_settings} SET {running_processes} = {running_processes} + ?`),
		claimNew: r(`UPDATE {processes} SET {last_status} = 'running', {engine_instance_id} = ?, {last_modified_at} = ? ` +
			`WHERE {pid} = ? AND {last_status} IN ('created', 'resumed')`),
		claimRunning: r(`UPDATE {processes} SET {engine_instance_id} = ?, {last_modified_at} = ? ` +
			`WHERE {pid} = ? AND {last_status} = 'running' AND {engine_instance_id} = ?`),
		claimOrphan: r(`UPDATE {processes} SET {engine_instance_id} = ?, {last_modified_at} = ? ` +
			`WHERE {pid} = ? AND {last_status} = 'running' AND {engine_instance_id} IS NULL`),
		release: r(`UPDATE {processes} SET {engine_instance_id} = NULL WHERE {pid} = ? AND {engine_instance_id} = ?`),
		maxSeq:  r(`SELECT COALESCE(MAX({seq}), 0) FROM {process_steps} WHERE {pid} = ?`),
		lock:    r(`UPDATE {engine_settings} SET {global_lock} = ` + d.Bool(true) + ` WHERE {global_lock} = ` + d.Bool(false)),
		unlock:  r(`UPDATE {engine_settings} SET {global_lock} = ` + d.Bool(false) + ` WHERE {global_lock} = ` + d.Bool(true)),
		unlockResume: r(`UPDATE {processes} SET {last_status} = 'resumed', {last_modified_at} = ? ` +
			`WHERE {last_status} = 'running' AND {engine_instance_id} IS NULL`),
		pruneEngines: r(`DELETE FROM {engine_instances} WHERE {expires_at} < ? AND NOT EXISTS (` +
			`SELECT 1 FROM {processes} p WHERE p.{engine_instance_id} = {engine_instances}.{instance_id} AND p.{last_status} = 'running')`),
		// Processes some engine may take: new or resumed ones, and running
		// ones whose owner is gone (no owner, an expired lease, or ourselves
		// when we no longer execute them; the caller filters the last case).
		recoverable: r(`SELECT p.{pid}, p.{last_status}, p.{engine_instance_id} FROM {processes} p ` +
			`WHERE p.{last_status} IN ('created', 'resumed') OR (p.{last_status} = 'running' AND (p.{engine_instance_id} IS NULL OR p.{engine_instance_id} = ? OR NOT EXISTS (` +
			`SELECT 1 FROM {engine_instances} e WHERE e.{instance_id} = p.{engine_instance_id} AND e.{expires_at} >= ?))) ` +
			`ORDER BY p.{started_at}`),
		takeOverEngine: r(`UPDATE {engine_instances} SET {hostname} = ?, {os_pid} = ?, {started_at} = ?, {heartbeat_at} = ?, {expires_at} = ? ` +
			`WHERE {instance_id} = ? AND {expires_at} < ?`),
	}
	// PostgreSQL and SQLite can return the lock from the UPDATE that ends a
	// step (a subquery in RETURNING); the UPDATE runs just before the
	// step's commit, which is after one step and before the next, where WFO
	// reads the lock. MySQL has no UPDATE … RETURNING and SQL Server's
	// OUTPUT takes no subquery: there each step reads the lock itself.
	if d.Has(store.FeatureReturning) {
		s.finishStepLock = r(finish + ` RETURNING (SELECT {global_lock} FROM {engine_settings})`)
	}
	return s
}

// selectProcesses reads processes (alias p) with their workflow's name.
func selectProcesses(db bun.IDB) *bun.SelectQuery {
	return db.NewSelect().ColumnExpr("p.*").ColumnExpr("w.name AS workflow_name").
		TableExpr("processes AS p").Join("JOIN workflows AS w ON w.workflow_id = p.workflow_id")
}

// processesQuery selects up to n processes f selects, newest first (ties by
// pid), after the process after when it is set (keyset paging). f is
// validated by the caller.
func processesQuery(db bun.IDB, f ProcessFilter, after *Process, n int) *bun.SelectQuery {
	q := selectProcesses(db)
	if f.Status != "" {
		q.Where("p.last_status = ?", f.Status)
	}
	if f.Workflow != "" {
		q.Where("w.name = ?", f.Workflow)
	}
	if f.IsTask != nil {
		q.Where("p.is_task = ?", *f.IsTask)
	}
	if after != nil {
		// The plain bound lets an index on started_at bound the scan; the
		// OR alone would make the database filter from the newest row down
		// on every page.
		q.Where("p.started_at <= ?", after.StartedAt).
			Where("(p.started_at < ? OR p.pid > ?)", after.StartedAt, after.PID)
	}
	return q.OrderExpr("p.started_at DESC, p.pid").Limit(int64(n))
}

// newestStepQuery reads the executed_at of pid's newest step row into step.
func newestStepQuery(db bun.IDB, step *ProcessStep, pid uuid.UUID) *bun.SelectQuery {
	return db.NewSelect().Model(step).Column("executed_at").Where("pid = ?", pid).OrderExpr("executed_at DESC").Limit(1)
}

// newestInputQuery reads the input_time of pid's newest input row into in.
func newestInputQuery(db bun.IDB, in *InputState, pid uuid.UUID) *bun.SelectQuery {
	return db.NewSelect().Model(in).Column("input_time").Where("pid = ?", pid).OrderExpr("input_time DESC").Limit(1)
}

// executingQuery selects the running processes whose owner holds a valid
// lease at now: those some live engine is executing.
func executingQuery(db bun.IDB, now time.Time) *bun.SelectQuery {
	return db.NewSelect().TableExpr("processes AS p").Where("p.last_status = ?", StatusRunning).
		Where("EXISTS (SELECT 1 FROM engine_instances AS ei WHERE ei.instance_id = p.engine_instance_id AND ei.expires_at >= ?)", now)
}

// prepared holds the hot-path statements prepared on the pool: database/sql
// prepares each once per connection and reuses it, which spares the driver a
// parse per step (measured: the global-lock read alone cost SQLite's driver
// more than the rest of the engine's overhead when parsed every time).
type prepared struct {
	readLock, insertStep, foldStep, finishStep, finishStepLock, runningDelta *sql.Stmt
}

func prepare(ctx context.Context, db *sql.DB, q *stmts) (*prepared, error) {
	p := &prepared{}
	for _, x := range []struct {
		dst  **sql.Stmt
		text string
	}{{&p.readLock, q.readLock}, {&p.insertStep, q.insertStep}, {&p.foldStep, q.foldStep}, {&p.finishStep, q.finishStep}, {&p.finishStepLock, q.finishStepLock}, {&p.runningDelta, q.runningDelta}} {
		if x.text == "" {
			continue
		}
		st, err := db.PrepareContext(ctx, x.text)
		if err != nil {
			p.close()
			return nil, err
		}
		*x.dst = st
	}
	return p, nil
}

func (p *prepared) close() {
	for _, st := range []*sql.Stmt{p.readLock, p.insertStep, p.foldStep, p.finishStep, p.finishStepLock, p.runningDelta} {
		if st != nil {
			_ = st.Close()
		}
	}
}

// on binds a prepared statement to the session's transaction. When the
// session's handle is not a *sql.Tx (never, today) the text is run instead.
func on(ctx context.Context, s *store.Session, st *sql.Stmt, text string) querier {
	if tx, ok := s.Raw().(*sql.Tx); ok && st != nil {
		return stmtQuerier{tx.StmtContext(ctx, st)}
	}
	return textQuerier{s.Raw(), text}
}

type querier interface {
	ExecContext(ctx context.Context, args ...any) (sql.Result, error)
	QueryRowContext(ctx context.Context, args ...any) *sql.Row
}

type stmtQuerier struct{ st *sql.Stmt }

func (q stmtQuerier) ExecContext(ctx context.Context, args ...any) (sql.Result, error) {
	return q.st.ExecContext(ctx, args...)
}
func (q stmtQuerier) QueryRowContext(ctx context.Context, args ...any) *sql.Row {
	return q.st.QueryRowContext(ctx, args...)
}

type textQuerier struct {
	q    store.Querier
	text string
}

func (q textQuerier) ExecContext(ctx context.Context, args ...any) (sql.Result, error) {
	return q.q.ExecContext(ctx, q.text, args...)
}
func (q textQuerier) QueryRowContext(ctx context.Context, args ...any) *sql.Row {
	return q.q.QueryRowContext(ctx, q.text, args...)
}
