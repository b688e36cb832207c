package pipeline

import (
	"context"
	"hash/fnv"
	"strconv"

	"github.com/uptrace/bun"

	"github.com/flowstore/flowstore/store"
)

// nameLock is the dialect's transaction-scoped lock on a name. It
// serialises transactions that read and then write something no row lock
// can guard yet: the version codes of a workflow name (CreateWorkflow, also
// for the first version, when there is no row to lock) and the settings of a
// namespace/repository (SetUserSetting, also for the first one). Chosen once
// in New from the handle's dialect.
type nameLock struct {
	// sql takes the lock and holds it until COMMIT/ROLLBACK. Empty: the
	// dialect needs no lock of its own.
	sql string
	// named: the lock takes a resource name (SQL Server, MySQL), not an
	// integer key (PostgreSQL).
	named bool
}

func nameLockFor(d store.Dialect) nameLock {
	switch d {
	case store.Postgres:
		// A transaction-level advisory lock, released by COMMIT/ROLLBACK.
		return nameLock{sql: `SELECT pg_advisory_xact_lock(?)`}
	case store.SQLServer:
		// An application lock owned by the transaction; a negative return
		// (timeout, deadlock victim) must fail the transaction.
		return nameLock{named: true,
			sql: `DECLARE @rc int; EXEC @rc = sp_getapplock @Resource = ?, @LockMode = 'Exclusive', @LockOwner = 'Transaction', @LockTimeout = 30000; IF @rc < 0 THROW 51000, 'flowstore: pipeline name lock not granted', 1;`}
	case store.MySQL:
		// MySQL has no transaction-scoped named lock (GET_LOCK belongs to
		// the connection and outlives a rollback), so a row of
		// flowstore_locks serves as one: INSERT … ON DUPLICATE KEY UPDATE
		// leaves the row exclusively locked until COMMIT/ROLLBACK, whether
		// it inserted it or found it. InnoDB takes that lock on the
		// duplicate key before it looks at the UPDATE clause, so the no-op
		// `name` = `name` (no deprecated VALUES()) locks as well;
		// TestNameLockExcludes checks it.
		return nameLock{named: true,
			sql: "INSERT INTO `flowstore_locks` (`name`) VALUES (?) ON DUPLICATE KEY UPDATE `name` = `name`"}
	default:
		// SQLite: the immediate transaction already excludes other writers.
		return nameLock{}
	}
}

// take locks the name (kind, parts...) until h's transaction ends.
func (l nameLock) take(ctx context.Context, h store.Handle, kind lockKind, parts ...string) error {
	if l.sql == "" {
		return nil
	}
	var arg any = kind.key(parts...)
	if l.named {
		arg = kind.resource(parts...)
	}
	_, err := h.IDB().NewRaw(l.sql, arg).Exec(ctx)
	return dbErr(h, "lock "+string(kind), err)
}

// lockKind says what a name lock guards.
type lockKind string

// The name locks of the package.
const (
	lockVersion     lockKind = "version"      // namespace, repository, workflow name
	lockUserSetting lockKind = "user_setting" // namespace, repository
)

// key hashes a lock name into a 64-bit key (FNV-1a). Version keys hash the
// parts alone, as earlier releases did, so that old and new processes
// exclude each other during an upgrade; other kinds hash their kind first,
// so their PostgreSQL keys differ from version keys.
func (k lockKind) key(parts ...string) int64 {
	if k != lockVersion {
		parts = append([]string{string(k)}, parts...)
	}
	f := fnv.New64a()
	for _, s := range parts {
		f.Write([]byte(s))
		f.Write([]byte{0})
	}
	return int64(f.Sum64())
}

// resource is the lock's name on SQL Server and MySQL (at most 255
// characters, whatever the parts).
func (k lockKind) resource(parts ...string) string {
	return "flowstore.pipeline." + string(k) + "." + strconv.FormatInt(k.key(parts...), 10)
}

// rowLock turns a SELECT of one row into a locking read, so a
// read-modify-write of a JSON column (requires/auth_list, change_log) holds
// the row until its transaction ends, so a concurrent writer waits instead of
// having its entry overwritten. The UPDATE still names the value it read, as
// a second guard.
type rowLock func(q *bun.SelectQuery, table, alias string) *bun.SelectQuery

func rowLockFor(d store.Dialect) rowLock {
	switch d {
	case store.Postgres, store.MySQL:
		return func(q *bun.SelectQuery, _, _ string) *bun.SelectQuery { return q.For("UPDATE") }
	case store.SQLServer:
		// SQL Server has no FOR UPDATE; table hints say the same.
		return func(q *bun.SelectQuery, table, alias string) *bun.SelectQuery {
			return q.ModelTableExpr("? AS ? WITH (UPDLOCK, ROWLOCK)", bun.Ident(table), bun.Ident(alias))
		}
	default:
		// SQLite: the immediate transaction already holds the write lock.
		return func(q *bun.SelectQuery, _, _ string) *bun.SelectQuery { return q }
	}
}
