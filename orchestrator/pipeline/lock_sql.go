package pipeline

import (
	"context"
	"hash/fnv"
	"strconv"

	"github.com/uptrace/bun"

	"github.com/flowstore/flowstore/store"
)

// versionLock serialises CreateWorkflow calls for one workflow name, so that
// each reads the highest version code only after the previous creator
// committed. Row locks alone cannot do that for the first version, when
// there is no row to lock yet; each dialect has its own transaction-scoped
// lock for it. Chosen once per call from the handle's dialect.
type versionLock struct {
	// sql takes the lock; it receives the lock key (int64 on PostgreSQL, a
	// resource name on SQL Server or MySQL). Empty: the dialect needs no
	// lock of its own.
	sql string
	key func(namespace, repository, name string) any
}

func versionLockFor(d store.Dialect) versionLock {
	switch d {
	case store.Postgres:
		// A transaction-level advisory lock, released by COMMIT/ROLLBACK.
		return versionLock{sql: `SELECT pg_advisory_xact_lock(?)`, key: func(ns, repo, name string) any { return lockKey(ns, repo, name) }}
	case store.SQLServer:
		// An application lock owned by the transaction; a negative return
		// (timeout, deadlock victim) must fail the transaction.
		return versionLock{
			sql: `DECLARE @rc int; EXEC @rc = sp_getapplock @Resource = ?, @LockMode = 'Exclusive', @LockOwner = 'Transaction', @LockTimeout = 30000; IF @rc < 0 THROW 51000, 'flowstore: pipeline version lock not granted', 1;`,
			key: func(ns, repo, name string) any {
				return "flowstore.pipeline.version." + strconv.FormatInt(lockKey(ns, repo, name), 10)
			},
		}
	case store.MySQL:
		// MySQL has no transaction-scoped named lock (GET_LOCK belongs to
		// the connection and outlives a rollback), so a row of
		// flowstore_locks serves as one: INSERT … ON DUPLICATE KEY UPDATE
		// leaves the row exclusively locked until COMMIT/ROLLBACK, whether
		// it inserted it or found it — also for the first version of a
		// name, which no workflow row could lock yet.
		return versionLock{
			sql: "INSERT INTO `flowstore_locks` (`name`) VALUES (?) ON DUPLICATE KEY UPDATE `name` = VALUES(`name`)",
			key: func(ns, repo, name string) any {
				return "flowstore.pipeline.version." + strconv.FormatInt(lockKey(ns, repo, name), 10)
			},
		}
	default:
		// SQLite: the immediate transaction already excludes other writers.
		return versionLock{}
	}
}

func (l versionLock) take(ctx context.Context, h store.Handle, namespace, repository, name string) error {
	if l.sql == "" {
		return nil
	}
	_, err := h.IDB().NewRaw(l.sql, l.key(namespace, repository, name)).Exec(ctx)
	return dbErr(h, "lock workflow name", err)
}

// lockKey hashes a workflow name into a lock key (FNV-1a, 64 bits).
func lockKey(namespace, repository, name string) int64 {
	f := fnv.New64a()
	for _, s := range []string{namespace, repository, name} {
		f.Write([]byte(s))
		f.Write([]byte{0})
	}
	return int64(f.Sum64())
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
