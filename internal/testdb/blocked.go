package testdb

import (
	"context"
	"testing"
	"time"

	"github.com/flowstore/flowstore/store"
)

// WaitBlocked waits until at least n transactions or statements on db's
// database are blocked waiting for a lock another holds, as the database
// itself reports it, and fails the test after 30 s. Race tests use it to
// know that the second party has reached the lock, instead of sleeping and
// hoping:
//
//   - PostgreSQL: sessions waiting for a lock (pg_stat_activity);
//   - MySQL/MariaDB: InnoDB transactions in LOCK WAIT (innodb_trx);
//   - SQL Server: sessions with a blocking session (dm_exec_requests);
//   - SQLite: writers of db waiting for its write turn (DB.WritersWaiting),
//     the queue every writer of the process joins before SQLite's own lock.
//
// Only the test's own database counts: other tests share the server.
func WaitBlocked(t testing.TB, db *store.DB, n int) {
	t.Helper()
	var query string
	poll := 2 * time.Millisecond
	switch db.SQLDialect().Name() {
	case store.Postgres:
		query = `SELECT COUNT(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`
	case store.MySQL:
		query = `SELECT COUNT(*) FROM information_schema.innodb_trx t JOIN information_schema.processlist p ON p.id = t.trx_mysql_thread_id WHERE t.trx_state = 'LOCK WAIT' AND p.db = DATABASE()`
		// InnoDB refreshes innodb_trx only when it has not been read for
		// 100 ms: polled faster, it keeps showing the state of the first
		// read, before the other party blocked.
		poll = 150 * time.Millisecond
	case store.SQLServer:
		query = `SELECT COUNT(*) FROM sys.dm_exec_requests WHERE blocking_session_id <> 0 AND database_id = DB_ID()`
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		var blocked int
		if query == "" {
			blocked = db.WritersWaiting()
		} else {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			err := db.SQL().QueryRowContext(ctx, query).Scan(&blocked)
			cancel()
			if err != nil {
				t.Fatalf("testdb: WaitBlocked: %v", err)
			}
		}
		if blocked >= n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("testdb: WaitBlocked: %d of %d parties blocked after 30 s", blocked, n)
		}
		time.Sleep(poll)
	}
}
