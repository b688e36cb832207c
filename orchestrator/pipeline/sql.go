package pipeline

import (
	"context"
	"database/sql"
	"hash/fnv"
	"slices"
	"strconv"

	"github.com/uptrace/bun"

	"github.com/flowstore/flowstore/store"
)

// This file holds the SQL the package's guarantees rest on, built from the
// dialect layer: the name locks, the locking reads, and the conditions of
// the conditional UPDATEs that run states, instances and timers move by.
// The models' bun queries fill in the rest (see models.go for the tables).

// ident quotes a column name for the dialect: several ContainerOps columns
// (key, default, character, action, type, …) are reserved words somewhere.
func ident(name string) bun.Ident { return bun.Ident(name) }

// lockKind says what a name lock guards.
type lockKind string

// The name locks of the package.
const (
	lockVersion     lockKind = "version"      // namespace, repository, workflow name
	lockUserSetting lockKind = "user_setting" // namespace, repository
)

// lockName is the name of the lock on (kind, parts...):
// flowstore.pipeline.<kind>.<FNV-1a of the parts>. The hash keeps the name
// short whatever the parts (three columns of up to 255 characters) and
// free of separators the parts might contain. These are the resource names
// earlier releases locked on SQL Server and MySQL, so processes of both
// exclude each other there during an upgrade. Version keys hash the parts
// alone, as those releases did; other kinds hash their kind first.
func lockName(kind lockKind, parts ...string) string {
	if kind != lockVersion {
		parts = append([]string{string(kind)}, parts...)
	}
	f := fnv.New64a()
	for _, s := range parts {
		f.Write([]byte(s))
		f.Write([]byte{0})
	}
	return "flowstore.pipeline." + string(kind) + "." + strconv.FormatInt(int64(f.Sum64()), 10)
}

// lockNames takes the dialect's transaction-scoped lock on (kind, parts...)
// in h's transaction, which must be one (h.InTx gives one). It serialises
// transactions that read and then write what no row lock can guard yet:
// the version codes of a workflow name (CreateWorkflow, also for the first
// version, when there is no row to lock) and the settings of a
// namespace/repository (SetUserSetting, also for the first ones). On SQLite
// the transaction already excludes other writers and nothing is sent. The
// error, if any, is classified and names the lock already.
func lockNames(ctx context.Context, h store.Handle, kind lockKind, parts ...string) error {
	return h.SQLDialect().LockName(ctx, h.Raw(), lockName(kind, parts...))
}

// lockRows turns a SELECT of rows of table (aliased alias) into a locking
// read, so a read-modify-write (requires/auth_list, change_log, version
// codes) holds the rows until its transaction ends and a concurrent writer
// waits instead of having its entry overwritten. The UPDATE that follows
// still names the value it read, as a second guard.
func lockRows(h store.Handle, q *bun.SelectQuery, table, alias string) *bun.SelectQuery {
	return h.SQLDialect().LockRows(q, table, alias)
}

// byName selects the versions of one workflow.
func byName(q *bun.SelectQuery, namespace, repository, name string) *bun.SelectQuery {
	return q.Where("? = ?", ident("namespace"), namespace).
		Where("? = ?", ident("repository"), repository).
		Where("? = ?", ident("workflow"), name)
}

// runFilter selects the runs f names.
func runFilter(q *bun.SelectQuery, f RunFilter) *bun.SelectQuery {
	q = q.Where("? = ?", ident("namespace"), f.Namespace).
		Where("? = ?", ident("repository"), f.Repository).
		Where("? = ?", ident("workflow"), f.Workflow)
	if f.Version != "" {
		q = q.Where("? = ?", ident("version"), f.Version)
	}
	return q
}

// allocateRun is StartRun's first statement: it takes the next run number
// and counts the instance, refusing a disabled, deleted or full version.
func allocateRun(idb bun.IDB, workflow int64) *bun.UpdateQuery {
	return idb.NewUpdate().Model((*Workflow)(nil)).
		Set("? = COALESCE(?, 0) + 1", ident("last_sequence"), ident("last_sequence")).
		Set("? = COALESCE(?, 0) + 1", ident("current_instance"), ident("current_instance")).
		Where("? = ?", ident("id"), workflow).
		Where("? = ?", ident("state"), StateRunnable).
		Where("(? IS NULL OR ? = ? OR COALESCE(?, 0) < COALESCE(?, 0))",
			ident("is_limit_instance"), ident("is_limit_instance"), false,
			ident("current_instance"), ident("limit_instance"))
}

// runStateIn matches rows whose run_state is one of states; a NULL
// run_state (rows pilotage wrote before arming them) counts as CanListen.
func runStateIn(q bun.QueryBuilder, states []RunState) bun.QueryBuilder {
	return q.WhereGroup(" AND ", func(q bun.QueryBuilder) bun.QueryBuilder {
		q = q.Where("? IN (?)", ident("run_state"), bun.List(states))
		if slices.Contains(states, RunCanListen) {
			q = q.WhereOr("? IS NULL", ident("run_state"))
		}
		return q
	})
}

// liveStates are the states of a run that has not ended.
func liveStates() []RunState { return []RunState{RunCanListen, RunWaitToStart, RunDoing} }

// noRequires matches rows whose requires holds no requirement: NULL, or,
// around spaces, empty, an empty JSON list or JSON null (on MySQL's
// case-insensitive collations also NULL in capitals). loadGate decides for
// every other text; transition falls back on it when this does not match.
func noRequires(q bun.QueryBuilder) bun.QueryBuilder {
	return q.Where("(? IS NULL OR TRIM(?) IN ('', '[]', 'null'))", ident("requires"), ident("requires"))
}

// requiresIs returns a condition matching rows whose requires is still the
// text read earlier.
func requiresIs(raw sql.NullString) func(bun.QueryBuilder) bun.QueryBuilder {
	return func(q bun.QueryBuilder) bun.QueryBuilder {
		if !raw.Valid {
			return q.Where("? IS NULL", ident("requires"))
		}
		return q.Where("? = ?", ident("requires"), raw.String)
	}
}
