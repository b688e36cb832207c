package orchestrator

import (
	"context"
	"database/sql"
	"strings"

	"github.com/flowstore/flowstore/store"
)

// stmts is the engine's hot-path SQL for one dialect, with parameters bound
// by the driver (placeholders rebound once, here). Chosen once per engine
// from the dialect; identifiers are quoted by the dialect, values are bound.
type stmts struct {
	readLock   string
	insertStep string
	foldStep   string
	finishStep string // update the process row after a step, fenced on owner and status
	// finishStepLock is finishStep returning the global lock, where the
	// dialect can (PostgreSQL): it spares the next step its own lock read.
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
}

// newStmts renders the statements for d. Every query is written once with
// '?' and quoted identifiers and passed through Rebind.
func newStmts(d store.Dialect) stmts {
	q := func(s string) string {
		// Identifiers are written as "x" below; MySQL wants backticks.
		if d == store.MySQL {
			s = strings.ReplaceAll(s, `"`, "`")
		}
		return d.Rebind(s)
	}
	t, f := "TRUE", "FALSE"
	if d == store.SQLServer || d == store.SQLite || d == store.MySQL {
		t, f = "1", "0"
	}
	return stmts{
		readLock:   q(`SELECT "global_lock" FROM "engine_settings"`),
		insertStep: q(`INSERT INTO "process_steps" ("stepid", "pid", "name", "status", "state", "created_by", "executed_at", "seq") VALUES (?, ?, ?, ?, ?, ?, ?, ?)`),
		foldStep:   q(`UPDATE "process_steps" SET "state" = ?, "executed_at" = ? WHERE "stepid" = ?`),
		finishStep: q(`UPDATE "processes" SET "last_step" = ?, "last_status" = ?, "assignee" = ?, "failed_reason" = ?, "traceback" = ?, "last_modified_at" = ?, "engine_instance_id" = ? ` +
			`WHERE "pid" = ? AND "last_status" = 'running' AND "engine_instance_id" = ?`),
		finishStepLock: finishLock(d, q(`UPDATE "processes" SET "last_step" = ?, "last_status" = ?, "assignee" = ?, "failed_reason" = ?, "traceback" = ?, "last_modified_at" = ?, "engine_instance_id" = ? `+
			`WHERE "pid" = ? AND "last_status" = 'running' AND "engine_instance_id" = ? RETURNING (SELECT "global_lock" FROM "engine_settings")`)),
		runningDelta: q(`UPDATE "engine_settings" SET "running_processes" = "running_processes" + ?`),
		claimNew: q(`UPDATE "processes" SET "last_status" = 'running', "engine_instance_id" = ?, "last_modified_at" = ? ` +
			`WHERE "pid" = ? AND "last_status" IN ('created', 'resumed')`),
		claimRunning: q(`UPDATE "processes" SET "engine_instance_id" = ?, "last_modified_at" = ? ` +
			`WHERE "pid" = ? AND "last_status" = 'running' AND "engine_instance_id" = ?`),
		claimOrphan: q(`UPDATE "processes" SET "engine_instance_id" = ?, "last_modified_at" = ? ` +
			`WHERE "pid" = ? AND "last_status" = 'running' AND "engine_instance_id" IS NULL`),
		release: q(`UPDATE "processes" SET "engine_instance_id" = NULL WHERE "pid" = ? AND "engine_instance_id" = ?`),
		maxSeq:  q(`SELECT COALESCE(MAX("seq"), 0) FROM "process_steps" WHERE "pid" = ?`),
		lock:    q(`UPDATE "engine_settings" SET "global_lock" = ` + t + ` WHERE "global_lock" = ` + f),
		unlock:  q(`UPDATE "engine_settings" SET "global_lock" = ` + f + ` WHERE "global_lock" = ` + t),
		unlockResume: q(`UPDATE "processes" SET "last_status" = 'resumed', "last_modified_at" = ? ` +
			`WHERE "last_status" = 'running' AND "engine_instance_id" IS NULL`),
		pruneEngines: q(`DELETE FROM "engine_instances" WHERE "expires_at" < ? AND NOT EXISTS (` +
			`SELECT 1 FROM "processes" p WHERE p."engine_instance_id" = "engine_instances"."instance_id" AND p."last_status" = 'running')`),
		// Processes some engine may take: new or resumed ones, and running
		// ones whose owner is gone (no owner, an expired lease, or ourselves
		// when we no longer execute them; the caller filters the last case).
		recoverable: q(`SELECT p."pid", p."last_status", p."engine_instance_id" FROM "processes" p ` +
			`WHERE p."last_status" IN ('created', 'resumed') OR (p."last_status" = 'running' AND (p."engine_instance_id" IS NULL OR p."engine_instance_id" = ? OR NOT EXISTS (` +
			`SELECT 1 FROM "engine_instances" e WHERE e."instance_id" = p."engine_instance_id" AND e."expires_at" >= ?))) ` +
			`ORDER BY p."started_at"`),
	}
}

// finishLock keeps the RETURNING form of finishStep for PostgreSQL only:
// MySQL has no UPDATE … RETURNING and SQL Server's OUTPUT takes no subquery;
// SQLite could, but its lock read costs little.
func finishLock(d store.Dialect, s string) string {
	if d == store.Postgres {
		return s
	}
	return ""
}

// prepared holds the hot-path statements prepared on the pool: database/sql
// prepares each once per connection and reuses it, which spares the driver a
// parse per step (measured: the global-lock read alone cost SQLite's driver
// more than the rest of the engine's overhead when parsed every time).
type prepared struct {
	readLock, insertStep, foldStep, finishStep, finishStepLock, runningDelta *sql.Stmt
}

func prepare(ctx context.Context, db *sql.DB, q stmts) (*prepared, error) {
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
