// Package postgres registers flowstore's PostgreSQL dialect (13 or newer),
// on pgx's database/sql driver. Import it for its side effect when a program
// opens PostgreSQL databases with store.Open without importing package
// flowstore (which imports every dialect):
//
//	import _ "github.com/flowstore/flowstore/store/dialect/postgres"
//
// DSNs are postgres://… and postgresql://…, and SQLAlchemy's
// postgresql+psycopg2://… (see store.ParseDSN). Open sets pgx's
// default_query_exec_mode=exec unless the DSN chooses: bun inlines every
// value, so pgx's default statement cache would prepare and keep every
// distinct statement text.
package postgres

import (
	"database/sql/driver"
	"errors"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/uptrace/bun/dialect"
	"github.com/uptrace/bun/dialect/pgdialect"
	"github.com/uptrace/bun/schema"

	"github.com/flowstore/flowstore/store"
)

func init() {
	store.Register(store.DialectSpec{
		Name: store.Postgres,
		Features: store.FeatureReturning | store.FeatureTransactionalDDL | store.FeatureTextSearch |
			store.FeatureCorrelatedLimit | store.FeatureNotify,

		IdentQuote:  '"',
		Placeholder: store.PlaceholderDollar,
		True:        "TRUE",
		False:       "FALSE",
		Limit:       store.LimitClause,
		Lock:        store.LockForUpdate,
		Claim:       store.ClaimMaterializedCTE,
		Upsert:      store.UpsertOnConflict,
		TxLock:      store.TxLockAdvisory,
		// PostgreSQL resolves the type of a UNION column pair by pair, so
		// untyped NULLs before a typed branch become text and then clash.
		TypedNulls: map[store.SQLType]string{
			store.TypeText: "CAST(NULL AS VARCHAR(200))",
			store.TypeInt:  "CAST(NULL AS INTEGER)",
			store.TypeTime: "CAST(NULL AS TIMESTAMPTZ)",
		},
		ByteLength: "octet_length",

		NativeUUID: true,
		TextUnit:   store.UnitCharacters,
		MaxParams:  65535,
		// Kogito's process_id and process_version are unbounded VARCHARs,
		// but both are in the btree index idx_process_instances_process_id,
		// whose entries hold at most 2704 bytes: two values of 1300 bytes,
		// the CHAR(36) id and the tuple headers fit.
		KeyText: store.TextLimit{Max: 1300, Bytes: true, Why: "an entry of a btree index holds at most 2704 bytes"},
		MaxBlob: 1<<30 - 1 - 4, // a bytea: 1 GB less the value's 4-byte header

		Catalog: store.CatalogSpec{
			Bookkeeping: `CREATE TABLE IF NOT EXISTS "flowstore_migrations" ("version" integer NOT NULL PRIMARY KEY, "name" varchar(200) NOT NULL, "applied_at" timestamptz NOT NULL)`,
			TableExists: `SELECT CASE WHEN to_regclass('flowstore_migrations') IS NULL THEN 0 ELSE 1 END`,
			// A materialized view counts as the table of its name: a real WFO
			// database has subscriptions_search as one, and Adopt must keep
			// it, not try to create a table over it.
			CountTable: `SELECT (SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = $1) + ` +
				`(SELECT COUNT(*) FROM pg_matviews WHERE schemaname = current_schema() AND matviewname = $1)`,
			CountIndex:            `SELECT COUNT(*) FROM pg_indexes WHERE schemaname = current_schema() AND indexname = ?`,
			CountMaterializedView: `SELECT COUNT(*) FROM pg_matviews WHERE schemaname = current_schema() AND matviewname = ?`,
			SessionLock:           `SELECT 1 FROM pg_advisory_lock(hashtext('flowstore_migrate'))`,
			SessionUnlock:         `SELECT pg_advisory_unlock(hashtext('flowstore_migrate'))`,
			Now:                   "now()",
		},

		BunName: dialect.PG,
		Bun:     func() schema.Dialect { return pgdialect.New() },
		Connector: func(t store.Target) (driver.Connector, error) {
			return stdlib.GetDefaultDriver().(driver.DriverContext).OpenConnector(t.DriverDSN)
		},
		Classify:     classify,
		Definite:     definite,
		CheckSession: checkSession,
	})
}

// definite: a server's error, or one pgx knows happened before anything
// was sent.
func definite(err error) bool {
	var e *pgconn.PgError
	return errors.As(err, &e) || pgconn.SafeToRetry(err)
}

// classify maps SQLSTATE codes.
func classify(err error) error {
	var e *pgconn.PgError
	if !errors.As(err, &e) {
		return nil
	}
	switch e.Code {
	case "23505": // unique_violation
		return store.ErrDuplicate
	case "22001": // string_data_right_truncation
		return store.ErrTooLong
	case "40001", "40P01": // serialization_failure, deadlock_detected
		return store.ErrRetryable
	case "55P03": // lock_not_available
		return store.ErrLocked
	case "23502", "23503", "23514", "22P02", "22007", "22008": // not null, FK, check, bad text repr, bad datetime
		return store.ErrInvalid
	case "42P01", "42703": // undefined_table, undefined_column
		return store.ErrNotMigrated
	}
	return nil
}
