// Package sqlite registers flowstore's SQLite dialect, on the pure-Go driver
// modernc.org/sqlite. Import it for its side effect when a program opens
// SQLite databases with store.Open without importing package flowstore
// (which imports every dialect):
//
//	import _ "github.com/flowstore/flowstore/store/dialect/sqlite"
//
// DSNs are sqlite:path.db, sqlite::memory:, file:path.db?… and SQLAlchemy's
// sqlite:///path.db (see store.ParseDSN). Every connection runs with WAL,
// a busy timeout, foreign keys on and immediate transactions; the writers of
// one pool take turns (store.FeatureSerialWrites).
package sqlite

import (
	"database/sql/driver"
	"errors"
	"strings"

	"github.com/uptrace/bun/dialect"
	"github.com/uptrace/bun/dialect/sqlitedialect"
	"github.com/uptrace/bun/schema"
	modernc "modernc.org/sqlite"

	"github.com/flowstore/flowstore/store"
)

func init() {
	store.Register(store.DialectSpec{
		Name:     store.SQLite,
		Features: store.FeatureReturning | store.FeatureTransactionalDDL | store.FeatureSerialWrites,

		IdentQuote:  '"',
		Placeholder: store.PlaceholderQuestion,
		True:        "1",
		False:       "0",
		Limit:       store.LimitClause,
		// Transactions are immediate: they hold the database's write lock
		// from BEGIN, so a plain read is already a locking one.
		Lock:       store.LockNone,
		Claim:      store.ClaimUpdateReturning,
		Upsert:     store.UpsertOnConflict,
		TxLock:     store.TxLockNone,
		ByteLength: "length",

		TextUnit:  store.UnitCharacters,
		MaxParams: 32766, // SQLITE_MAX_VARIABLE_NUMBER since 3.32
		// A BLOB (indeed a whole row) is at most SQLITE_MAX_LENGTH, 10^9
		// bytes; the margin is for the row's other columns.
		MaxBlob: 1_000_000_000 - 1<<16,

		Catalog: store.CatalogSpec{
			Bookkeeping: `CREATE TABLE IF NOT EXISTS "flowstore_migrations" ("version" INTEGER NOT NULL PRIMARY KEY, "name" TEXT NOT NULL, "applied_at" DATETIME NOT NULL)`,
			TableExists: `SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'flowstore_migrations'`,
			CountTable:  `SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = ?`,
			CountIndex:  `SELECT COUNT(*) FROM sqlite_master WHERE type = 'index' AND name = ?`,
			// One writer at a time: BEGIN IMMEDIATE per migration is the lock.
			BeginImmediate: true,
			Now:            "strftime('%Y-%m-%d %H:%M:%f+00:00', 'now')",
		},

		BunName:   dialect.SQLite,
		Bun:       func() schema.Dialect { return sqlitedialect.New() },
		Connector: func(t store.Target) (driver.Connector, error) { return modernc.NewConnector(t.DriverDSN) },
		// A new connection switches the file to WAL, which needs a moment of
		// exclusive access; when several processes open one file at once
		// that step can report SQLITE_BUSY without waiting for the busy
		// timeout.
		RetryFirstPing: true,
		Classify:       classify,
		// An embedded database cannot lose an answer: whatever a write gets
		// back is its outcome.
		Definite: func(error) bool { return true },
	})
}

// classify maps SQLite extended result codes. Length limits are CHECK
// constraints named "<table>_<column>_len" in flowstore's SQLite schema, so a
// failed check with that suffix is a too-long value.
func classify(err error) error {
	var e *modernc.Error
	if !errors.As(err, &e) {
		return nil
	}
	code, msg := e.Code(), e.Error()
	switch code {
	case 2067, 1555: // SQLITE_CONSTRAINT_UNIQUE, SQLITE_CONSTRAINT_PRIMARYKEY
		return store.ErrDuplicate
	case 275: // SQLITE_CONSTRAINT_CHECK
		if strings.Contains(msg, "_len") {
			return store.ErrTooLong
		}
		return store.ErrInvalid
	case 787, 1299, 19: // SQLITE_CONSTRAINT_FOREIGNKEY, _NOTNULL, plain CONSTRAINT
		return store.ErrInvalid
	}
	switch code & 0xff {
	case 5, 6: // SQLITE_BUSY (and _SNAPSHOT, _RECOVERY), SQLITE_LOCKED
		return store.ErrRetryable
	case 1: // SQLITE_ERROR: the message tells a missing table or column
		if strings.Contains(msg, "no such table") || strings.Contains(msg, "no such column") || strings.Contains(msg, "has no column named") {
			return store.ErrNotMigrated
		}
	}
	return nil
}
