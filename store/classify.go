package store

import (
	"database/sql"
	"errors"
	"strings"

	"github.com/go-sql-driver/mysql"
	"github.com/jackc/pgx/v5/pgconn"
	mssql "github.com/microsoft/go-mssqldb"
	"modernc.org/sqlite"
)

// Classify maps a driver error onto flowstore's sentinels. The result wraps
// both the sentinel and err, so errors.Is works for either; an error that fits
// no class is returned unchanged, and so is nil. sql.ErrNoRows becomes
// ErrNotFound.
//
// Each dialect reports the same conditions with its own codes; this is the one
// place that knows them.
func Classify(d Dialect, err error) error {
	if err == nil {
		return nil
	}
	var already *DBError
	if errors.As(err, &already) {
		return err
	}
	if errors.Is(err, sql.ErrNoRows) {
		return &DBError{Dialect: d, Kind: ErrNotFound, Err: err}
	}
	if kind := classifyKind(err); kind != nil {
		return &DBError{Dialect: d, Kind: kind, Err: err}
	}
	return err
}

func classifyKind(err error) error {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return postgresKind(pgErr.Code)
	}
	var sqliteErr *sqlite.Error
	if errors.As(err, &sqliteErr) {
		return sqliteKind(sqliteErr.Code(), sqliteErr.Error())
	}
	var myErr *mysql.MySQLError
	if errors.As(err, &myErr) {
		return mysqlKind(myErr.Number, myErr.Message)
	}
	var msErr mssql.Error
	if errors.As(err, &msErr) {
		return sqlserverKind(msErr.Number, msErr.Message)
	}
	var msErrP *mssql.Error
	if errors.As(err, &msErrP) {
		return sqlserverKind(msErrP.Number, msErrP.Message)
	}
	return nil
}

// postgresKind maps SQLSTATE codes.
func postgresKind(code string) error {
	switch code {
	case "23505": // unique_violation
		return ErrDuplicate
	case "22001": // string_data_right_truncation
		return ErrTooLong
	case "40001", "40P01": // serialization_failure, deadlock_detected
		return ErrRetryable
	case "55P03": // lock_not_available
		return ErrLocked
	case "23502", "23503", "23514", "22P02", "22007", "22008": // not null, FK, check, bad text repr, bad datetime
		return ErrInvalid
	}
	return nil
}

// sqliteKind maps SQLite extended result codes. Length limits are CHECK
// constraints named "<table>_<column>_len" in our SQLite schema, so a failed
// check with that suffix is a too-long value.
func sqliteKind(code int, msg string) error {
	switch code {
	case 2067, 1555: // SQLITE_CONSTRAINT_UNIQUE, SQLITE_CONSTRAINT_PRIMARYKEY
		return ErrDuplicate
	case 275: // SQLITE_CONSTRAINT_CHECK
		if strings.Contains(msg, "_len") {
			return ErrTooLong
		}
		return ErrInvalid
	case 787, 1299, 19: // SQLITE_CONSTRAINT_FOREIGNKEY, _NOTNULL, plain CONSTRAINT
		return ErrInvalid
	}
	switch code & 0xff {
	case 5, 6: // SQLITE_BUSY (and _SNAPSHOT, _RECOVERY), SQLITE_LOCKED
		return ErrRetryable
	}
	return nil
}

// mysqlKind maps MySQL/MariaDB server error numbers.
func mysqlKind(n uint16, msg string) error {
	switch n {
	case 1062: // ER_DUP_ENTRY
		return ErrDuplicate
	case 1406, 1153: // ER_DATA_TOO_LONG, ER_NET_PACKET_TOO_LARGE
		return ErrTooLong
	case 1105: // ER_UNKNOWN_ERROR, also "parameter … longer than 'max_allowed_packet'"
		if strings.Contains(msg, "max_allowed_packet") {
			return ErrTooLong
		}
		return nil
	case 1213, 1205: // ER_LOCK_DEADLOCK, ER_LOCK_WAIT_TIMEOUT (InnoDB rolls back the statement)
		return ErrRetryable
	case 1451, 1452, 1048, 3819, 4025, 1292, 1366: // FK parent/child, NOT NULL, CHECK (MySQL, MariaDB), bad value
		return ErrInvalid
	}
	return nil
}

// sqlserverKind maps SQL Server error numbers. Columns longer than 4000
// characters are NVARCHAR(MAX) with a CHECK constraint named
// "<table>_<column>_len"; its violation is a too-long value.
func sqlserverKind(n int32, msg string) error {
	switch n {
	case 2627, 2601: // PK/unique constraint, unique index
		return ErrDuplicate
	case 8152, 2628: // string or binary data would be truncated
		return ErrTooLong
	case 1205, 3960: // deadlock victim, snapshot update conflict
		return ErrRetryable
	case 1222: // lock request time out
		return ErrLocked
	case 547: // FK or CHECK constraint
		if strings.Contains(msg, "_len") {
			return ErrTooLong
		}
		return ErrInvalid
	case 515, 241, 242: // NOT NULL, bad datetime
		return ErrInvalid
	}
	return nil
}
