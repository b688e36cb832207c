// Package sqlserver registers flowstore's SQL Server dialect (2019 or newer),
// on microsoft/go-mssqldb. Import it for its side effect when a program opens
// SQL Server databases with store.Open without importing package flowstore
// (which imports every dialect):
//
//	import _ "github.com/flowstore/flowstore/store/dialect/sqlserver"
//
// DSNs are go-mssqldb's sqlserver://… and SQLAlchemy's mssql+pyodbc://… (see
// store.ParseDSN); Open adds "guid conversion=true", without which every
// uniqueidentifier read back would be byte-swapped, and store.New refuses an
// adopted pool that lacks it.
package sqlserver

import (
	"bytes"
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	mssql "github.com/microsoft/go-mssqldb"
	"github.com/uptrace/bun/dialect"
	"github.com/uptrace/bun/dialect/mssqldialect"
	"github.com/uptrace/bun/schema"

	"github.com/flowstore/flowstore/store"
)

func init() {
	store.Register(store.DialectSpec{
		Name:     store.SQLServer,
		Features: store.FeatureTransactionalDDL,

		IdentQuote:  '"',
		Placeholder: store.PlaceholderAtP,
		True:        "1",
		False:       "0",
		Limit:       store.OffsetFetch,
		Lock:        store.LockTableHint,
		Claim:       store.ClaimTopCTE,
		Upsert:      store.UpsertMerge,
		TxLock:      store.TxLockAppLock,
		// SQL Server gives a bare NULL the type int.
		TypedNulls: map[store.SQLType]string{
			store.TypeText: "CAST(NULL AS NVARCHAR(200))",
			store.TypeInt:  "CAST(NULL AS INT)",
			store.TypeTime: "CAST(NULL AS DATETIME2(6))",
		},
		ByteLength: "DATALENGTH",

		NativeUUID:    true,
		TextUnit:      store.UnitUTF16,
		MaxParams:     2100,
		MaxValuesRows: 1000,
		KeyText:       store.TextLimit{Max: 450, Why: "NVARCHAR(450), the longest key an index takes"},
		MaxBlob:       1<<31 - 1, // VARBINARY(MAX)
		CompareUUIDs:  compareGUIDs,

		Catalog: store.CatalogSpec{
			Bookkeeping:   `IF OBJECT_ID(N'flowstore_migrations', N'U') IS NULL CREATE TABLE "flowstore_migrations" ("version" int NOT NULL PRIMARY KEY, "name" nvarchar(200) NOT NULL, "applied_at" datetime2(6) NOT NULL)`,
			TableExists:   `SELECT CASE WHEN OBJECT_ID(N'flowstore_migrations', N'U') IS NULL THEN 0 ELSE 1 END`,
			CountTable:    `SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = SCHEMA_NAME() AND table_name = ?`,
			CountIndex:    `SELECT COUNT(*) FROM sys.indexes WHERE name = ?`,
			SessionLock:   `DECLARE @rc int; EXEC @rc = sp_getapplock @Resource = N'flowstore_migrate', @LockMode = 'Exclusive', @LockOwner = 'Session', @LockTimeout = 300000; SELECT CASE WHEN @rc >= 0 THEN 1 ELSE 0 END`,
			SessionUnlock: `EXEC sp_releaseapplock @Resource = N'flowstore_migrate', @LockOwner = 'Session'`,
			// T-SQL compiles a batch as a whole: an ALTER TABLE … ADD and a
			// statement using the new column must not share one.
			BatchSeparator: "GO",
			Now:            "SYSUTCDATETIME()",
		},

		BunName: dialect.MSSQL,
		Bun:     func() schema.Dialect { return utcDialect{mssqldialect.New()} },
		Connector: func(t store.Target) (driver.Connector, error) {
			return mssql.NewConnector(t.DriverDSN)
		},
		OwnsDriver: func(d driver.Driver) bool {
			_, ok := d.(*mssql.Driver)
			return ok
		},
		CheckPool: checkGUIDs,
		Classify:  classify,
		Definite: func(err error) bool {
			var e mssql.Error
			var ep *mssql.Error
			return errors.As(err, &e) || errors.As(err, &ep)
		},
	})
}

// utcDialect writes time literals in UTC with microseconds: bun's own SQL
// Server dialect writes the value's wall clock at millisecond precision,
// which silently shifts non-UTC times and drops microseconds.
type utcDialect struct{ *mssqldialect.Dialect }

func (utcDialect) AppendTime(b []byte, tm time.Time) []byte { return store.AppendTimeLiteral(b, tm) }

// classify maps SQL Server error numbers. Columns longer than 4000
// characters are NVARCHAR(MAX) with a CHECK constraint named
// "<table>_<column>_len"; its violation is a too-long value.
func classify(err error) error {
	var n int32
	var msg string
	var e mssql.Error
	var ep *mssql.Error
	switch {
	case errors.As(err, &e):
		n, msg = e.Number, e.Message
	case errors.As(err, &ep):
		n, msg = ep.Number, ep.Message
	default:
		return nil
	}
	switch n {
	case 2627, 2601: // PK/unique constraint, unique index
		return store.ErrDuplicate
	case 8152, 2628: // string or binary data would be truncated
		return store.ErrTooLong
	case 1205, 3960: // deadlock victim, snapshot update conflict
		return store.ErrRetryable
	case 1222: // lock request time out
		return store.ErrLocked
	case 547: // FK or CHECK constraint
		if strings.Contains(msg, "_len") {
			return store.ErrTooLong
		}
		return store.ErrInvalid
	case 515, 241, 242: // NOT NULL, bad datetime
		return store.ErrInvalid
	case 208, 207: // invalid object name, invalid column name
		return store.ErrNotMigrated
	}
	return nil
}

// probeGUID has a different byte in every position, so that any reordering
// of its first three groups shows.
const probeGUID = "00112233-4455-6677-8899-aabbccddeeff"

// checkGUIDs asks the server for a known uniqueidentifier and compares the
// bytes the driver hands back (see checkGUIDBytes).
func checkGUIDs(ctx context.Context, sqldb *sql.DB) error {
	var raw []byte
	if err := sqldb.QueryRowContext(ctx, "SELECT CAST('"+probeGUID+"' AS uniqueidentifier)").Scan(&raw); err != nil {
		return fmt.Errorf("check the adopted SQL Server pool: %w", err)
	}
	return checkGUIDBytes(raw)
}

// checkGUIDBytes is store.New's check of an adopted SQL Server pool: it
// accepts the driver's answer for the uniqueidentifier
// 00112233-4455-6677-8899-aabbccddeeff only in RFC 4122 byte order. Without
// the DSN option "guid conversion=true" go-mssqldb returns uniqueidentifier
// in SQL Server's mixed-endian order, and uuid.UUID.Scan copies those 16
// bytes as they are: every UUID flowstore reads would come back with its
// first three groups byte-swapped (writes are unaffected — bun sends UUIDs
// as text — so the damage would only show on the way back).
func checkGUIDBytes(raw []byte) error {
	want := uuid.MustParse(probeGUID)
	if bytes.Equal(raw, want[:]) {
		return nil
	}
	if len(raw) == 16 && bytes.Equal(raw, mixedEndian(want)) {
		return fmt.Errorf("%w: the adopted SQL Server pool returns uniqueidentifier in mixed-endian byte order, so every UUID read back would be byte-swapped: add \"guid conversion=true\" to its DSN (store.Open does)", store.ErrUnsupported)
	}
	return fmt.Errorf("%w: the adopted SQL Server pool returned %x for uniqueidentifier %s; want its 16 bytes in RFC 4122 order (DSN option \"guid conversion=true\")", store.ErrUnsupported, raw, probeGUID)
}

// mixedEndian is u in SQL Server's storage order: the first three groups
// little-endian.
func mixedEndian(u uuid.UUID) []byte {
	b := bytes.Clone(u[:])
	b[0], b[1], b[2], b[3] = b[3], b[2], b[1], b[0]
	b[4], b[5] = b[5], b[4]
	b[6], b[7] = b[7], b[6]
	return b
}

// guidOrder lists the byte positions of a uuid.UUID (RFC 9562 order, as
// the text reads) from the most to the least significant in SQL Server's
// comparison of uniqueidentifier: the last six bytes first, then bytes 8–9,
// then the first three groups each read backwards. It is
// System.Data.SqlTypes.SqlGuid's order {10…15, 8, 9, 6, 7, 4, 5, 0…3},
// which indexes .NET's mixed-endian byte layout, translated to RFC
// positions. A UUIDv7's time is in its first bytes, its randomness in the
// last: SQL Server sorts UUIDv7s randomly.
var guidOrder = [16]int{10, 11, 12, 13, 14, 15, 8, 9, 7, 6, 5, 4, 3, 2, 1, 0}

// compareGUIDs orders ids as SQL Server's ORDER BY on a uniqueidentifier
// does.
func compareGUIDs(a, b uuid.UUID) int {
	for _, i := range guidOrder {
		if a[i] != b[i] {
			if a[i] < b[i] {
				return -1
			}
			return 1
		}
	}
	return 0
}
