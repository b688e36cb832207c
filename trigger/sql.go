package trigger

import (
	"fmt"
	"strings"
	"sync"

	"github.com/flowstore/flowstore/store"
)

// This file holds every SQL statement of the package, built once per dialect
// from code (identifiers quoted for the dialect, values left as '?'
// placeholders for bun to fill in). Everything that differs between dialects
// — quoting, row limits, locking reads, typed NULLs, the capped count — comes
// from the dialect layer (store.Dialect); nothing here or in bun.go asks
// which dialect it is. TestStatementsGolden pins the text of every statement
// for every dialect, SQL Server included.
//
// The statements run through bun, which inlines their values, rather than
// on the driver with bound parameters: reads and writes of the same values
// take the same path. The values are those OpenOrchestrator's SQLAlchemy
// writes: times as naive wall-clock text in the store's zone (store.DB.Naive,
// on SQLite exactly SQLAlchemy's text, which SQLite compares as text), ids as
// SQLAlchemy's Uuid (store.DB.RefUUID). A lookup by id matches every
// spelling of it (store.DB.RefUUIDs, bound as "id IN (?)" with bun.In): 32
// hex digits, as OpenOrchestrator and flowstore write them, or the dashed
// form of an earlier flowstore. A trigger's rows share one spelling (written
// together, converted together by migration 0070), so the joins between
// Triggers and its subtype tables compare ids as stored. Heartbeat does not
// use the dialect's Upsert form, which binds on the driver: its usual case
// is one UPDATE.

// statements is the SQL of one dialect.
type statements struct {
	d *store.Dialect

	selectJoined string // SELECT … FROM Triggers t LEFT JOIN the three subtype tables
	byID         string // selectJoined + WHERE t.id IN (?)
	due          string // the due triggers, in start order, without a limit
	dueLimit     string // the same with a bound row limit

	// The INSERTs of Create, with the columns OpenOrchestrator's SQLAlchemy
	// inserts, parent first.
	insertTrigger   string
	insertScheduled string
	insertSingle    string
	insertQueue     string

	beginTrigger   string // IDLE → RUNNING, conditional
	cronOf         string // the scheduled row's cron_expr, read under the trigger's lock
	beginScheduled string // advance next_run, conditional on still being due
	singleDue      string // is the single trigger due?
	queueDue       string // does the queue hold enough NEW elements?
	noteLatest     string // Schedulers.latest_trigger(_time)

	// lockTrigger reads the Triggers row's id under a row lock. Update and
	// Delete run it first, so that they take the Triggers row before its
	// subtype row, in the order Begin does: two transactions taking the
	// same two rows in opposite orders could deadlock.
	lockTrigger    string
	deleteChildren []string // one DELETE per subtype table, by id
	deleteTrigger  string

	heartbeatUpdate string
	heartbeatInsert string
	// takeName renews the heartbeat of a scheduler row only if it is older
	// than ? (the name's previous holder is gone): with heartbeatInsert for
	// a name that has no row, it is how Run takes its name atomically.
	takeName string
	// releaseName removes a scheduler's row when it stops, unless a run it
	// started is still active: that row's heartbeat has to go stale, so
	// that other schedulers recover the run.
	releaseName    string
	listSchedulers string
	lastHeartbeat  string // one scheduler's last_update
	killing        string // the KILLING triggers a scheduler runs

	// staleSchedulers lists the schedulers whose heartbeat is older than ?
	// and that still own a run. A dead scheduler whose runs are settled is
	// not listed, so an idle system's tick writes nothing for it (its
	// Schedulers row stays, as OpenOrchestrator's do).
	staleSchedulers string
	// recover holds, per mode, the statement that settles the runs of the
	// scheduler named ? if its heartbeat is still older than ? ([0]: args
	// name, name, time) and the one that settles the runs a scheduler of
	// the name ? left behind ([1]).
	recover map[RecoverMode][2]string

	statusOf string

	// Transitions: one conditional UPDATE each (see transition).
	transitions map[op]transition
}

// op names a status transition.
type op string

const (
	opEnd        op = "end"
	opFail       op = "fail"
	opRelease    op = "release" // a run was interrupted (scheduler stopped): back to waiting
	opPause      op = "pause"
	opResume     op = "resume"
	opKill       op = "kill"
	opEndOwn     op = "end-own"
	opFailOwn    op = "fail-own"
	opReleaseOwn op = "release-own"
)

// rule maps one old status (of one type, or of any type when typ is "") to a
// new status.
type rule struct {
	from Status
	typ  Type
	to   Status
}

// transition is a conditional UPDATE and the rules it encodes: it changes a
// row only when its status is one of the rules' from-statuses, so a trigger
// that moved meanwhile is never overwritten.
type transition struct {
	sql   string
	rules []rule
	// noop lists statuses in which the request is already satisfied (Pause
	// of a PAUSED trigger): no error, nothing written.
	noop []Status
	// clearsOwner: the run ended, so flowstore_scheduler is set NULL.
	clearsOwner bool
}

// froms returns the statuses the transition accepts.
func (t transition) froms() []Status {
	var out []Status
	seen := map[Status]bool{}
	for _, r := range t.rules {
		if !seen[r.from] {
			seen[r.from] = true
			out = append(out, r.from)
		}
	}
	return out
}

// endRules: how a run ends well. A single trigger is DONE; scheduled and
// queue triggers wait again (IDLE); a pause asked for during the run takes
// effect (PAUSED, single triggers included: OpenOrchestrator marks them DONE,
// we keep the pause request visible instead — see doc.go); a kill asked for
// during the run is acknowledged (KILLED).
var endRules = []rule{
	{StatusRunning, Single, StatusDone},
	{StatusRunning, "", StatusIdle},
	{StatusPausing, "", StatusPaused},
	{StatusKilling, "", StatusKilled},
}

// failRules: a run failed. A kill in progress wins (the failure is most
// likely the kill itself).
var failRules = []rule{
	{StatusRunning, "", StatusFailed},
	{StatusPausing, "", StatusFailed},
	{StatusKilling, "", StatusKilled},
}

// releaseRules: a run was interrupted through no fault of the trigger (its
// scheduler stopped or died): it waits again, as if never started, unless a
// pause or kill was asked for.
var releaseRules = []rule{
	{StatusRunning, "", StatusIdle},
	{StatusPausing, "", StatusPaused},
	{StatusKilling, "", StatusKilled},
}

var pauseRules = []rule{
	{StatusRunning, "", StatusPausing},
	{StatusIdle, "", StatusPaused},
	{StatusFailed, "", StatusPaused},
	{StatusDone, "", StatusPaused},
	{StatusKilled, "", StatusPaused},
}

var resumeRules = []rule{
	{StatusPaused, "", StatusIdle},
	{StatusFailed, "", StatusIdle},
	{StatusDone, "", StatusIdle},
	{StatusKilled, "", StatusIdle},
	// Resuming a trigger whose pause has not taken effect yet withdraws
	// the pause request: the run goes on.
	{StatusPausing, "", StatusRunning},
}

var killRules = []rule{
	{StatusRunning, "", StatusKilling},
	{StatusPausing, "", StatusKilling},
	{StatusIdle, "", StatusKilled},
	{StatusPaused, "", StatusKilled},
	{StatusFailed, "", StatusKilled},
	{StatusDone, "", StatusKilled},
}

var activeStatuses = []Status{StatusRunning, StatusPausing, StatusKilling}

// stmtsCache holds the statements per dialect (*store.Dialect), built on
// first use: the dialects are registered once and never change.
var stmtsCache sync.Map

// statementsFor returns the dialect's statements.
func statementsFor(d *store.Dialect) *statements {
	if s, ok := stmtsCache.Load(d); ok {
		return s.(*statements)
	}
	s, _ := stmtsCache.LoadOrStore(d, buildStatements(d))
	return s.(*statements)
}

func buildStatements(d *store.Dialect) *statements {
	q := d.Quote
	triggers, sched, single, queue, queues, schedulers :=
		q("Triggers"), q("Scheduled_Triggers"), q("Single_Triggers"), q("Queue_Triggers"), q("Queues"), q("Schedulers")
	c := func(alias, col string) string { return alias + "." + q(col) }
	insert := func(table string, cols ...string) string {
		quoted := make([]string, len(cols))
		for i, col := range cols {
			quoted[i] = q(col)
		}
		return "INSERT INTO " + table + " (" + strings.Join(quoted, ", ") + ") VALUES (" + strings.TrimSuffix(strings.Repeat("?, ", len(cols)), ", ") + ")"
	}

	cols := []string{}
	for _, col := range []string{"id", "trigger_name", "process_name", "last_run", "process_path", "process_args",
		"process_status", "is_git_repo", "is_blocking", "type", "git_branch", "scheduler_whitelist", "priority", "flowstore_scheduler"} {
		cols = append(cols, c("t", col))
	}
	cols = append(cols,
		c("s", "cron_expr"),
		c("s", "next_run")+" AS "+q("scheduled_next_run"),
		c("g", "next_run")+" AS "+q("single_next_run"),
		c("q", "queue_name"),
		c("q", "min_batch_size"),
	)
	joins := fmt.Sprintf(" LEFT JOIN %s s ON %s = %s LEFT JOIN %s g ON %s = %s LEFT JOIN %s q ON %s = %s",
		sched, c("s", "id"), c("t", "id"),
		single, c("g", "id"), c("t", "id"),
		queue, c("q", "id"), c("t", "id"))
	selectJoined := "SELECT " + strings.Join(cols, ", ") + " FROM " + triggers + " t" + joins

	idle := "'" + string(StatusIdle) + "'"
	// enough is true when the queue trigger q's queue holds at least
	// min_batch_size NEW elements. It counts with the Queues index on
	// (queue_name, status, created_date). Where a LIMIT may name the outer
	// row (FeatureCorrelatedLimit: PostgreSQL) the count stops at
	// min_batch_size: counting a whole backlog every tick costs 0.3 s at
	// 100,000 NEW elements before vacuum has marked the pages all-visible.
	// SQLite and MySQL take only constants in LIMIT, and SQL Server's TOP in
	// a correlated derived table cannot be tried here, so they count every
	// element.
	newOf := fmt.Sprintf("%s e WHERE %s = %s AND %s = 'NEW'", queues, c("e", "queue_name"), c("q", "queue_name"), c("e", "status"))
	enough := fmt.Sprintf("%s <= (SELECT COUNT(*) FROM %s)", c("q", "min_batch_size"), newOf)
	if d.Has(store.FeatureCorrelatedLimit) {
		enough = fmt.Sprintf("%s <= (SELECT COUNT(*) FROM (SELECT 1 FROM %s%s) AS n)",
			c("q", "min_batch_size"), newOf, d.Limit(c("q", "min_batch_size")))
	}

	// Typed NULLs for the UNION below: PostgreSQL resolves the type of a
	// UNION column pair by pair, so two untyped NULLs before the typed
	// branch become text and then clash with an integer or timestamp;
	// SQL Server gives a bare NULL the type int. Casting every NULL to the
	// column's type sidesteps both. The time columns are naive (PostgreSQL
	// timestamp, not the timestamptz of the dialect's TypeTime, which the
	// UNION would then convert them to in the session's zone): a single or
	// scheduled branch gives its own next_run for both next_run columns
	// (the row's type says which one is read), and the queue branch a NULL
	// of Triggers.last_run's own type, NULLIF(last_run, last_run).
	nullText, nullInt := d.TypedNull(store.TypeText), d.TypedNull(store.TypeInt)
	nullTime := "NULLIF(" + c("t", "last_run") + ", " + c("t", "last_run") + ")"
	common := make([]string, 0, 14)
	for _, col := range cols[:14] {
		common = append(common, col)
	}
	branch := func(child, alias string, extra []string, where string) string {
		return "SELECT " + strings.Join(append(append([]string{}, common...), extra...), ", ") +
			" FROM " + child + " " + alias + " JOIN " + triggers + " t ON " + c("t", "id") + " = " + c(alias, "id") +
			" WHERE " + where
	}
	as := func(expr, name string) string { return expr + " AS " + q(name) }
	isIdle := c("t", "process_status") + " = " + idle
	// due: one branch per type, each driven by its own table (and index:
	// next_run for single and scheduled), returning whole rows, sorted in
	// OpenOrchestrator's order: priority first, then single < scheduled <
	// queue, then next_run. The sort keys _type_order and _due_at start
	// with "_", which bun's scanner skips.
	due := "SELECT d.* FROM (" +
		branch(single, "g", []string{as(nullText, "cron_expr"), as(c("g", "next_run"), "scheduled_next_run"), as(c("g", "next_run"), "single_next_run"),
			as(nullText, "queue_name"), as(nullInt, "min_batch_size"), as("0", "_type_order"), as(c("g", "next_run"), "_due_at")},
			c("g", "next_run")+" <= ? AND "+isIdle) +
		" UNION ALL " +
		branch(sched, "s", []string{c("s", "cron_expr"), c("s", "next_run"), c("s", "next_run"), nullText, nullInt, "1", c("s", "next_run")},
			c("s", "next_run")+" <= ? AND "+isIdle) +
		" UNION ALL " +
		branch(queue, "q", []string{nullText, nullTime, nullTime, c("q", "queue_name"), c("q", "min_batch_size"), "2", nullTime},
			isIdle+" AND "+enough) +
		") d ORDER BY d." + q("priority") + " DESC, d." + q("_type_order") + ", d." + q("_due_at") + ", d." + q("id")

	s := &statements{
		d:            d,
		selectJoined: selectJoined,
		byID:         selectJoined + " WHERE " + c("t", "id") + " IN (?)",
		due:          due,

		insertTrigger: insert(triggers, "id", "trigger_name", "process_name", "last_run", "process_path", "process_args",
			"process_status", "is_git_repo", "is_blocking", "type", "git_branch", "scheduler_whitelist", "priority"),
		insertScheduled: insert(sched, "id", "cron_expr", "next_run"),
		insertSingle:    insert(single, "id", "next_run"),
		insertQueue:     insert(queue, "id", "queue_name", "min_batch_size"),

		beginTrigger: fmt.Sprintf("UPDATE %s SET %s = '%s', %s = ?, %s = ? WHERE %s IN (?) AND %s = ? AND %s = %s",
			triggers, q("process_status"), StatusRunning, q("last_run"), q("flowstore_scheduler"), q("id"), q("type"), q("process_status"), idle),
		cronOf: fmt.Sprintf("SELECT %s FROM %s WHERE %s IN (?)", q("cron_expr"), sched, q("id")),
		beginScheduled: fmt.Sprintf("UPDATE %s SET %s = ? WHERE %s IN (?) AND %s <= ?",
			sched, q("next_run"), q("id"), q("next_run")),
		singleDue: fmt.Sprintf("SELECT COUNT(*) FROM %s WHERE %s IN (?) AND %s <= ?", single, q("id"), q("next_run")),
		queueDue:  fmt.Sprintf("SELECT COUNT(*) FROM %s q WHERE %s IN (?) AND %s", queue, c("q", "id"), enough),
		noteLatest: fmt.Sprintf("UPDATE %s SET %s = ?, %s = ? WHERE %s = ?",
			schedulers, q("latest_trigger"), q("latest_trigger_time"), q("machine_name")),

		heartbeatUpdate: fmt.Sprintf("UPDATE %s SET %s = ? WHERE %s = ?", schedulers, q("last_update"), q("machine_name")),
		heartbeatInsert: fmt.Sprintf("INSERT INTO %s (%s, %s) VALUES (?, ?)", schedulers, q("machine_name"), q("last_update")),
		takeName: fmt.Sprintf("UPDATE %s SET %s = ? WHERE %s = ? AND %s < ?",
			schedulers, q("last_update"), q("machine_name"), q("last_update")),
		releaseName: fmt.Sprintf("DELETE FROM %s WHERE %s = ? AND NOT EXISTS (SELECT 1 FROM %s t WHERE %s = ? AND %s IN (%s))",
			schedulers, q("machine_name"), triggers, c("t", "flowstore_scheduler"), c("t", "process_status"), quoteStatuses(activeStatuses)),
		listSchedulers: fmt.Sprintf("SELECT %s, %s, %s, %s FROM %s ORDER BY %s", q("machine_name"), q("last_update"),
			q("latest_trigger"), q("latest_trigger_time"), schedulers, q("machine_name")),
		lastHeartbeat: fmt.Sprintf("SELECT %s FROM %s WHERE %s = ?", q("last_update"), schedulers, q("machine_name")),
		killing:       fmt.Sprintf("SELECT %s FROM %s WHERE %s = ? AND %s = '%s'", q("id"), triggers, q("flowstore_scheduler"), q("process_status"), StatusKilling),

		// EXISTS, a semi-join on the indexed owner column
		// (ix_Triggers_flowstore_scheduler): each stale name is listed
		// once, however many runs it owns.
		staleSchedulers: fmt.Sprintf("SELECT %s FROM %s h WHERE %s < ? AND EXISTS (SELECT 1 FROM %s t WHERE %s = %s AND %s IN (%s)) ORDER BY %s",
			c("h", "machine_name"), schedulers, c("h", "last_update"),
			triggers, c("t", "flowstore_scheduler"), c("h", "machine_name"), c("t", "process_status"), quoteStatuses(activeStatuses),
			c("h", "machine_name")),

		deleteTrigger: fmt.Sprintf("DELETE FROM %s WHERE %s IN (?)", triggers, q("id")),

		statusOf: fmt.Sprintf("SELECT %s FROM %s WHERE %s IN (?)", q("process_status"), triggers, q("id")),
	}

	s.dueLimit = s.due + d.Limit("?")

	// The Triggers row's lock: FOR UPDATE, or SQL Server's table hint, or —
	// where a transaction holds the database's write lock from its start
	// (SQLite) — a plain read.
	s.lockTrigger = fmt.Sprintf("SELECT %s FROM %s WHERE %s IN (?)%s", q("id"), d.LockedFrom("Triggers", "", false), q("id"), d.LockSuffix(false))
	for _, table := range []string{"Scheduled_Triggers", "Queue_Triggers", "Single_Triggers"} {
		s.deleteChildren = append(s.deleteChildren, fmt.Sprintf("DELETE FROM %s WHERE %s IN (?)", q(table), q("id")))
	}

	status, owner, id, typ := q("process_status"), q("flowstore_scheduler"), q("id"), q("type")
	build := func(rules []rule, noop []Status, clearsOwner, byOwner bool) transition {
		t := transition{rules: rules, noop: noop, clearsOwner: clearsOwner}
		var b strings.Builder
		fmt.Fprintf(&b, "UPDATE %s SET %s = CASE", triggers, status)
		for _, r := range rules {
			if r.typ != "" {
				fmt.Fprintf(&b, " WHEN %s = '%s' AND %s = '%s' THEN '%s'", status, r.from, typ, r.typ, r.to)
			} else {
				fmt.Fprintf(&b, " WHEN %s = '%s' THEN '%s'", status, r.from, r.to)
			}
		}
		fmt.Fprintf(&b, " ELSE %s END", status)
		if clearsOwner {
			fmt.Fprintf(&b, ", %s = NULL", owner)
		}
		fmt.Fprintf(&b, " WHERE %s IN (?) AND %s IN (%s)", id, status, quoteStatuses(t.froms()))
		if byOwner {
			fmt.Fprintf(&b, " AND %s = ?", owner)
		}
		t.sql = b.String()
		return t
	}
	s.transitions = map[op]transition{
		opEnd:        build(endRules, nil, true, false),
		opFail:       build(failRules, nil, true, false),
		opRelease:    build(releaseRules, nil, true, false),
		opEndOwn:     build(endRules, nil, true, true),
		opFailOwn:    build(failRules, nil, true, true),
		opReleaseOwn: build(releaseRules, nil, true, true),
		opPause:      build(pauseRules, []Status{StatusPaused, StatusPausing}, false, false),
		opResume:     build(resumeRules, []Status{StatusIdle, StatusRunning}, false, false),
		opKill:       build(killRules, []Status{StatusKilling, StatusKilled}, false, false),
	}

	// Recovery settles the runs of a dead scheduler in one statement, by
	// the same rules as a failed or released run.
	settle := func(rules []rule, where string) string {
		var b strings.Builder
		fmt.Fprintf(&b, "UPDATE %s SET %s = CASE", triggers, status)
		for _, r := range rules {
			fmt.Fprintf(&b, " WHEN %s = '%s' THEN '%s'", status, r.from, r.to)
		}
		fmt.Fprintf(&b, " ELSE %s END, %s = NULL WHERE %s IN (%s) AND %s", status, owner, status, quoteStatuses(activeStatuses), where)
		return b.String()
	}
	// Conditional on the scheduler still being stale when the UPDATE runs:
	// it may have come back since staleSchedulers listed it.
	staleWhere := fmt.Sprintf("%s = ? AND EXISTS (SELECT 1 FROM %s h WHERE %s = ? AND %s < ?)",
		owner, schedulers, c("h", "machine_name"), c("h", "last_update"))
	ownWhere := owner + " = ?"
	s.recover = map[RecoverMode][2]string{
		RecoverFail: {settle(failRules, staleWhere), settle(failRules, ownWhere)},
		RecoverIdle: {settle(releaseRules, staleWhere), settle(releaseRules, ownWhere)},
	}
	return s
}

func quoteStatuses(ss []Status) string {
	parts := make([]string, len(ss))
	for i, s := range ss {
		parts[i] = "'" + string(s) + "'"
	}
	return strings.Join(parts, ", ")
}

// patch returns the UPDATE that Update runs on one row of table (Triggers or
// a subtype table) for the named columns: "SET col = ?, …", then the id's
// spellings.
// The column names come from code (patchSets), never from input.
func (s *statements) patch(table string, cols []string) string {
	q := s.d.Quote
	parts := make([]string, len(cols))
	for i, col := range cols {
		parts[i] = q(col) + " = ?"
	}
	return "UPDATE " + q(table) + " SET " + strings.Join(parts, ", ") + " WHERE " + q("id") + " IN (?)"
}

// list returns the statement and arguments that List runs for f.
func (s *statements) list(f Filter) (string, []any) {
	q := s.d.Quote
	var where []string
	var args []any
	if f.Type != "" {
		where = append(where, "t."+q("type")+" = ?")
		args = append(args, string(f.Type))
	}
	if len(f.Statuses) > 0 {
		marks := make([]string, len(f.Statuses))
		for i, st := range f.Statuses {
			marks[i] = "?"
			args = append(args, string(st))
		}
		where = append(where, "t."+q("process_status")+" IN ("+strings.Join(marks, ", ")+")")
	}
	if f.ProcessName != "" {
		where = append(where, "t."+q("process_name")+" = ?")
		args = append(args, f.ProcessName)
	}
	query := s.selectJoined
	if len(where) > 0 {
		query += " WHERE " + strings.Join(where, " AND ")
	}
	return query + " ORDER BY t." + q("trigger_name") + ", t." + q("id"), args
}
