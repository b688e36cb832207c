package store

import (
	"bytes"
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect"
	"github.com/uptrace/bun/schema"
)

// This file is flowstore's dialect layer: everything that differs between
// SQL dialects, in one type. Each dialect's package (store/dialect/sqlite,
// …/postgres, …/sqlserver, …/mysql) fills in a DialectSpec with its facts
// and its driver, and registers it; packages build their statements from
// the *Dialect a handle reports (Handle.SQLDialect) and never branch on the
// dialect's name. Where the dialects differ in the shape of a statement
// (a claim, an upsert, a locking read) the forms are written once, here,
// and a spec picks one.

// DialectName names one of the SQL dialects flowstore speaks. It is also
// the name of the dialect's migration directory and the word flowctl's
// --dialect takes.
type DialectName string

// The supported dialects.
const (
	SQLite    DialectName = "sqlite"
	Postgres  DialectName = "postgres"
	SQLServer DialectName = "sqlserver"
	MySQL     DialectName = "mysql"
)

// DialectNames returns every supported dialect, embedded SQLite first.
func DialectNames() []DialectName { return []DialectName{SQLite, Postgres, SQLServer, MySQL} }

// String returns the name.
func (n DialectName) String() string { return string(n) }

// ParseDialectName accepts a dialect name as flowctl and the tests write it
// ("sqlite", "postgres", "sqlserver", "mysql"; "postgresql", "pg", "mssql"
// and "mariadb" are aliases).
func ParseDialectName(s string) (DialectName, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "sqlite", "sqlite3":
		return SQLite, nil
	case "postgres", "postgresql", "pg":
		return Postgres, nil
	case "sqlserver", "mssql":
		return SQLServer, nil
	case "mysql", "mariadb":
		return MySQL, nil
	}
	return "", fmt.Errorf("%w: unknown dialect %q (want sqlite, postgres, sqlserver or mysql)", ErrUnsupported, s)
}

// Feature is a capability some dialects have, in the manner of bun's
// feature flags: code asks Dialect.Has instead of naming dialects.
type Feature uint32

const (
	// FeatureReturning: UPDATE … RETURNING with any expression, subqueries
	// included (PostgreSQL, SQLite). SQL Server's OUTPUT is a form of its
	// own, used by the claim form.
	FeatureReturning Feature = 1 << iota
	// FeatureTransactionalDDL: DDL runs inside a transaction and rolls back
	// with it (all but MySQL/MariaDB, which commit every DDL statement).
	FeatureTransactionalDDL
	// FeatureTextSearch: tsvector columns and to_tsvector/plainto_tsquery
	// (PostgreSQL).
	FeatureTextSearch
	// FeatureCorrelatedLimit: a LIMIT may name a column of the outer query
	// (PostgreSQL), so a correlated count can stop early.
	FeatureCorrelatedLimit
	// FeatureSerialWrites: the database admits one writer at a time
	// (SQLite). A DB that Open made lets the writers of its pool take turns
	// (see Open) instead of sleeping in the database's busy handler.
	FeatureSerialWrites
	// FeatureCountsChangedRows: an UPDATE's rows affected may count the rows
	// it changed rather than those it matched (MySQL's default; Open asks
	// for matched rows, but a pool adopted with New may not), so 0 does not
	// prove that no row matched.
	FeatureCountsChangedRows
	// FeatureNotify: LISTEN/NOTIFY, with pg_notify(channel, payload) sent
	// when the notifying transaction commits (PostgreSQL). queue's Worker
	// uses it to wake on enqueues instead of polling.
	FeatureNotify
)

// Placeholder is how a dialect's driver numbers bound parameters.
type Placeholder int

// The placeholder forms.
const (
	PlaceholderQuestion Placeholder = iota // ? (SQLite, MySQL)
	PlaceholderDollar                      // $1, $2 … (PostgreSQL)
	PlaceholderAtP                         // @p1, @p2 … (SQL Server)
)

// LimitForm is how a dialect limits a query to its first n rows.
type LimitForm int

// The row-limit forms.
const (
	LimitClause LimitForm = iota // … LIMIT n
	OffsetFetch                  // … OFFSET 0 ROWS FETCH NEXT n ROWS ONLY (needs an ORDER BY)
)

// LockForm is how a dialect takes row locks in a read.
type LockForm int

// The locking-read forms.
const (
	// LockNone: a transaction already holds the database's write lock from
	// its start (SQLite's immediate transactions), so a plain read is
	// enough.
	LockNone LockForm = iota
	// LockForUpdate: SELECT … FOR UPDATE [SKIP LOCKED].
	LockForUpdate
	// LockTableHint: FROM t WITH (UPDLOCK, ROWLOCK[, READPAST]).
	LockTableHint
)

// ClaimForm is how a dialect claims rows atomically: picks the first n
// rows a predicate selects, skipping rows other claimers hold, marks them
// and returns them.
type ClaimForm int

// The claim forms (see Dialect.Claim).
const (
	// ClaimUpdateReturning: UPDATE … WHERE key IN (SELECT … LIMIT n)
	// RETURNING, under the database's single write lock (SQLite).
	ClaimUpdateReturning ClaimForm = iota
	// ClaimMaterializedCTE: a MATERIALIZED CTE that picks with FOR UPDATE
	// SKIP LOCKED, feeding UPDATE … WHERE key = ANY(ARRAY(…)) RETURNING
	// (PostgreSQL).
	ClaimMaterializedCTE
	// ClaimTopCTE: an ordered TOP (n) CTE read WITH (UPDLOCK, READPAST,
	// ROWLOCK), updated with OUTPUT INSERTED (SQL Server).
	ClaimTopCTE
	// ClaimLockThenUpdate: SELECT … FOR UPDATE SKIP LOCKED, then an UPDATE
	// of those keys, in one transaction (MySQL/MariaDB, which have no
	// UPDATE … RETURNING).
	ClaimLockThenUpdate
)

// UpsertForm is how a dialect inserts a row or updates the one with its key,
// atomically.
type UpsertForm int

// The upsert forms (see Dialect.Upsert).
const (
	UpsertOnConflict     UpsertForm = iota // INSERT … ON CONFLICT (key) DO UPDATE (PostgreSQL, SQLite)
	UpsertOnDuplicateKey                   // INSERT … ON DUPLICATE KEY UPDATE (MySQL/MariaDB)
	UpsertMerge                            // MERGE … WITH (HOLDLOCK) (SQL Server)
)

// TxLockForm is how a dialect takes a lock on a name that lasts until the
// transaction ends.
type TxLockForm int

// The transaction-scoped named locks (see Dialect.LockName).
const (
	// TxLockNone: transactions already exclude each other (SQLite).
	TxLockNone TxLockForm = iota
	// TxLockAdvisory: pg_advisory_xact_lock on a 64-bit hash of the name.
	TxLockAdvisory
	// TxLockAppLock: sp_getapplock owned by the transaction.
	TxLockAppLock
	// TxLockRow: a row of flowstore_locks, inserted or found with INSERT …
	// ON DUPLICATE KEY UPDATE, which locks it until the transaction ends
	// (MySQL has no transaction-scoped named lock).
	TxLockRow
)

// TextUnit is what a dialect's varchar(n) counts.
type TextUnit int

// The text units.
const (
	UnitCharacters TextUnit = iota // Unicode code points
	UnitUTF16                      // UTF-16 code units (SQL Server NVARCHAR): a character above U+FFFF takes two
)

// TextLimit is the length limit of a text column where it is set by the
// dialect rather than by the reference schema.
type TextLimit struct {
	Max   int    // 0: no limit
	Bytes bool   // Max counts UTF-8 bytes, not the dialect's text units
	Why   string // what sets it, for error messages
}

// SQLType is a column type that statements name when they cast.
type SQLType int

// The types of TypedNull.
const (
	TypeText SQLType = iota
	TypeInt
	TypeTime // a time as flowstore stores it (timestamptz, datetime2(6), DATETIME(6), text)
)

// CatalogSpec is the SQL a dialect uses to keep and inspect the schema:
// what Migrate, Adopt and SchemaSQL run.
type CatalogSpec struct {
	// Bookkeeping creates flowstore_migrations if it does not exist.
	Bookkeeping string
	// TableExists returns one row, one column: 1 if flowstore_migrations
	// exists.
	TableExists string
	// CountTable and CountIndex count the tables / indexes of a name (one
	// '?'); CountColumn the columns of a table (table, column), where a
	// failed migration can be resumed ("" elsewhere); CountMaterializedView
	// the materialized views of a name, where the dialect has them ("").
	CountTable, CountIndex, CountColumn, CountMaterializedView string
	// SessionLock returns one row, one column: 1 once the migration lock is
	// held ("" where each migration's transaction excludes the others);
	// SessionUnlock releases it.
	SessionLock, SessionUnlock string
	// Attempts creates flowstore_migration_attempts, where a dialect without
	// transactional DDL notes the migration it is applying ("" elsewhere).
	Attempts string
	// BeginImmediate opens each migration's transaction with BEGIN
	// IMMEDIATE on the locked connection (SQLite), whatever the pool's
	// transaction settings.
	BeginImmediate bool
	// BatchSeparator ends each statement of SchemaSQL as its own batch
	// ("GO" on SQL Server).
	BatchSeparator string
	// Now is the SQL expression of the current UTC time, for SchemaSQL's
	// bookkeeping rows.
	Now string
}

// DialectSpec is what a dialect's package registers: its facts, its forms
// and its driver. Application code never builds one; it imports the
// dialect's package (or package flowstore, which imports all four).
type DialectSpec struct {
	Name     DialectName
	Features Feature

	// Syntax.
	IdentQuote  byte // '"' or '`'
	Placeholder Placeholder
	True, False string // boolean literals
	Limit       LimitForm
	Lock        LockForm
	Claim       ClaimForm
	Upsert      UpsertForm
	TxLock      TxLockForm
	// TypedNulls holds CAST(NULL AS …) per type; a missing entry is a bare
	// NULL (SQLite's columns take any type).
	TypedNulls map[SQLType]string
	// ByteLength is the function giving a binary value's length in bytes.
	ByteLength string

	// Limits.
	TextUnit      TextUnit
	MaxParams     int       // bound parameters per statement
	MaxValuesRows int       // rows per INSERT … VALUES; 0: no cap of its own
	KeyText       TextLimit // text key columns the reference schemas leave unbounded (Kogito's process_id)
	// MaxBlob is the most bytes one binary value may have; when
	// MaxBlobQuery is set the server decides instead, and the query (one
	// row, one integer) asks it.
	MaxBlob      int64
	MaxBlobQuery string
	// NativeUUID: the dialect has a UUID type (PostgreSQL uuid, SQL Server
	// uniqueidentifier); elsewhere UUIDs are text.
	NativeUUID bool
	// CompareUUIDs orders UUIDs as the dialect's ORDER BY does; nil means
	// byte order (uuid, and the 36-character lower-case text).
	CompareUUIDs func(a, b uuid.UUID) int

	Catalog CatalogSpec

	// Driver.
	// BunName is bun's name of the dialect, by which New recognises an
	// adopted *bun.DB.
	BunName dialect.Name
	// Bun returns the bun dialect Open gives its handles.
	Bun func() schema.Dialect
	// Connector makes the database/sql connector for a parsed DSN.
	Connector func(t Target) (driver.Connector, error)
	// RetryFirstPing makes Open retry a retryable error of its first ping
	// for a few seconds (SQLite's switch to WAL needs a moment of exclusive
	// access when several processes open one file at once).
	RetryFirstPing bool
	// OwnsDriver tells whether a pool's driver is this dialect's own, which
	// CheckPool knows how to question; CheckPool refuses an adopted pool
	// flowstore cannot run on correctly (nil: nothing to check).
	OwnsDriver func(driver.Driver) bool
	CheckPool  func(ctx context.Context, db *sql.DB) error
	// CheckSession, if set, is run by Open on its new pool: it refuses,
	// with ErrUnsupported naming what breaks, connections that do not
	// keep one server session — a pooler in transaction mode in between.
	CheckSession func(ctx context.Context, db *sql.DB) error
	// Classify returns the sentinel a driver error of this dialect belongs
	// to (ErrDuplicate, ErrRetryable, …), or nil.
	Classify func(err error) error
	// Definite reports whether an error a write got proves that the write
	// did not take effect: an answer of the server (or of an embedded
	// database, which cannot lose one), or a failure before anything was
	// sent. A write that ends with any other error — a connection lost
	// while the server had it — has an unknown outcome (ErrCommitUnknown).
	Definite func(err error) bool
}

// Dialect is one SQL dialect as flowstore's packages see it: its facts,
// and the statement forms built from them. Get one from a handle
// (DB.SQLDialect, Session.SQLDialect, Handle.SQLDialect). It is immutable
// and safe for concurrent use.
type Dialect struct {
	s DialectSpec
}

var (
	registryMu sync.RWMutex
	registry   = map[DialectName]*Dialect{}
)

// Register makes a dialect available to Open, New and SchemaSQL. Each
// dialect's package calls it from its init function; registering a name
// twice panics, as database/sql's Register does.
func Register(spec DialectSpec) {
	registryMu.Lock()
	defer registryMu.Unlock()
	if _, dup := registry[spec.Name]; dup {
		panic(fmt.Sprintf("store: dialect %s registered twice", spec.Name))
	}
	if !slices.Contains(DialectNames(), spec.Name) {
		panic(fmt.Sprintf("store: Register: unknown dialect %q", spec.Name))
	}
	if spec.Bun == nil || spec.Connector == nil || spec.Classify == nil || spec.Definite == nil {
		panic(fmt.Sprintf("store: Register(%s): Bun, Connector, Classify and Definite are required", spec.Name))
	}
	registry[spec.Name] = &Dialect{s: spec}
}

// LookupDialect returns a registered dialect. A dialect whose package this
// program does not import is ErrUnsupported, with the import that adds it.
func LookupDialect(name DialectName) (*Dialect, error) {
	registryMu.RLock()
	d, ok := registry[name]
	registryMu.RUnlock()
	if ok {
		return d, nil
	}
	if !slices.Contains(DialectNames(), name) {
		return nil, fmt.Errorf("%w: unknown dialect %q (want sqlite, postgres, sqlserver or mysql)", ErrUnsupported, name)
	}
	return nil, fmt.Errorf("%w: the %s dialect is not linked into this program: import _ \"github.com/flowstore/flowstore/store/dialect/%s\" (package flowstore imports all four)", ErrUnsupported, name, name)
}

// dialectOfBun finds the registered dialect of an adopted bun handle.
func dialectOfBun(sd schema.Dialect) (*Dialect, error) {
	registryMu.RLock()
	defer registryMu.RUnlock()
	for _, d := range registry {
		if d.s.BunName == sd.Name() {
			return d, nil
		}
	}
	return nil, fmt.Errorf("%w: no flowstore dialect is linked for bun's %s dialect: import the matching package under github.com/flowstore/flowstore/store/dialect (package flowstore imports all four)", ErrUnsupported, sd.Name())
}

// Name returns the dialect's name.
func (d *Dialect) Name() DialectName { return d.s.Name }

// String returns the dialect's name.
func (d *Dialect) String() string { return string(d.s.Name) }

// Has reports whether the dialect has every feature of f.
func (d *Dialect) Has(f Feature) bool { return d.s.Features&f == f }

// Bun returns a new bun dialect for this dialect, as Open uses it (SQL
// Server and MySQL write time literals in UTC with microseconds).
func (d *Dialect) Bun() schema.Dialect { return d.s.Bun() }

// Classify maps a driver error onto flowstore's sentinels. The result wraps
// both the sentinel and err, so errors.Is works for either; an error that
// fits no class is returned unchanged, and so is nil. sql.ErrNoRows becomes
// ErrNotFound.
func (d *Dialect) Classify(err error) error { return classify(d, err) }

// AppendTimeLiteral appends tm as a quoted SQL time literal in UTC with
// microseconds, the form flowstore's times are stored in. Dialects whose bun
// dialect would write the value's own wall clock (SQL Server, at
// millisecond precision) or assume the session's zone (MySQL) write their
// time literals with it.
func AppendTimeLiteral(b []byte, tm time.Time) []byte {
	b = append(b, '\'')
	b = tm.UTC().AppendFormat(b, "2006-01-02 15:04:05.999999")
	return append(b, '\'')
}

// ---- syntax

// Quote quotes an identifier for raw statements: backticks on MySQL, double
// quotes elsewhere (SQL Server sessions run with QUOTED_IDENTIFIER ON).
// Identifiers come from code, never from input; an embedded quote character
// is doubled all the same.
func (d *Dialect) Quote(ident string) string {
	q := string(d.s.IdentQuote)
	return q + strings.ReplaceAll(ident, q, q+q) + q
}

// QuoteAll quotes each identifier and joins them with ", ", each prefixed
// (for example "INSERTED." or "t.").
func (d *Dialect) QuoteAll(prefix string, idents ...string) string {
	parts := make([]string, len(idents))
	for i, id := range idents {
		parts[i] = prefix + d.Quote(id)
	}
	return strings.Join(parts, ", ")
}

// Rebind rewrites the '?' placeholders of a statement with bound parameters
// into the dialect's own form: $1, $2 … on PostgreSQL and @p1, @p2 … on SQL
// Server; SQLite and MySQL keep '?'. Question marks inside single-quoted
// literals and quoted identifiers are left alone. It is for the statements
// that bypass bun and bind parameters on the driver (Handle.Raw).
func (d *Dialect) Rebind(query string) string {
	var prefix string
	switch d.s.Placeholder {
	case PlaceholderDollar:
		prefix = "$"
	case PlaceholderAtP:
		prefix = "@p"
	default:
		return query
	}
	var b strings.Builder
	b.Grow(len(query) + 16)
	n := 0
	var quote byte
	for i := 0; i < len(query); i++ {
		c := query[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '\'' || c == '"' || c == '`':
			quote = c
		case c == '?':
			n++
			b.WriteString(prefix)
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

// Placeholders returns "?, ?, …" with n marks (before Rebind).
func Placeholders(n int) string {
	if n <= 0 {
		return ""
	}
	return strings.Repeat("?, ", n-1) + "?"
}

// Bool returns the dialect's literal for v: TRUE/FALSE, or 1/0 where
// booleans are bits or integers.
func (d *Dialect) Bool(v bool) string {
	if v {
		return d.s.True
	}
	return d.s.False
}

// Limit returns the clause that ends a SELECT to keep its first n rows; n
// is SQL (a '?' or a number). On SQL Server it is OFFSET … FETCH, which
// needs the SELECT to have an ORDER BY.
func (d *Dialect) Limit(n string) string {
	if d.s.Limit == OffsetFetch {
		return " OFFSET 0 ROWS FETCH NEXT " + n + " ROWS ONLY"
	}
	return " LIMIT " + n
}

// TypedNull returns a NULL of type t, as a UNION needs it where its first
// branch has no column of that type (PostgreSQL resolves a UNION column by
// column; SQL Server gives a bare NULL the type int).
func (d *Dialect) TypedNull(t SQLType) string {
	if s, ok := d.s.TypedNulls[t]; ok {
		return s
	}
	return "NULL"
}

// ByteLength returns the SQL length in bytes of a binary expression.
func (d *Dialect) ByteLength(expr string) string { return d.s.ByteLength + "(" + expr + ")" }

// ---- locking reads

// LockedFrom returns a FROM item that reads table (aliased alias, "" for
// none) with row locks held until the transaction ends: with skipLocked,
// rows other transactions hold are passed over instead of waited for. Pair
// it with LockSuffix at the statement's end.
func (d *Dialect) LockedFrom(table, alias string, skipLocked bool) string {
	from := d.Quote(table)
	if alias != "" {
		from += " " + alias
	}
	if d.s.Lock == LockTableHint {
		if skipLocked {
			return from + " WITH (UPDLOCK, READPAST, ROWLOCK)"
		}
		return from + " WITH (UPDLOCK, ROWLOCK)"
	}
	return from
}

// LockSuffix ends a locking read (see LockedFrom): FOR UPDATE [SKIP LOCKED]
// where the dialect says it that way, nothing elsewhere.
func (d *Dialect) LockSuffix(skipLocked bool) string {
	if d.s.Lock != LockForUpdate {
		return ""
	}
	if skipLocked {
		return " FOR UPDATE SKIP LOCKED"
	}
	return " FOR UPDATE"
}

// LockRows makes a bun SELECT of table (aliased alias) a locking read.
func (d *Dialect) LockRows(q *bun.SelectQuery, table, alias string) *bun.SelectQuery {
	switch d.s.Lock {
	case LockForUpdate:
		return q.For("UPDATE")
	case LockTableHint:
		return q.ModelTableExpr("? AS ? WITH (UPDLOCK, ROWLOCK)", bun.Ident(table), bun.Ident(alias))
	}
	return q
}

// ---- text

// TextUnit reports what the dialect's varchar(n) counts.
func (d *Dialect) TextUnit() TextUnit { return d.s.TextUnit }

// TextLen is the length of s as the dialect's varchar(n) counts it:
// characters, or on SQL Server UTF-16 code units.
func (d *Dialect) TextLen(s string) int {
	if d.s.TextUnit != UnitUTF16 {
		return utf8.RuneCountInString(s)
	}
	n := 0
	for _, r := range s {
		n += d.RuneLen(r)
	}
	return n
}

// RuneLen is how many of the dialect's text units r takes.
func (d *Dialect) RuneLen(r rune) int {
	if d.s.TextUnit == UnitUTF16 && r > 0xFFFF {
		return 2 // a surrogate pair
	}
	return 1
}

func (d *Dialect) unitName() string {
	if d.s.TextUnit == UnitUTF16 {
		return "UTF-16 code units"
	}
	return "characters"
}

// CheckText refuses, before anything is written, a value its column cannot
// hold exactly: text that is not valid UTF-8 or holds a NUL character
// (ErrInvalid: PostgreSQL refuses both, MariaDB drops a NUL, SQL Server and
// SQLite keep bytes some readers cannot decode, and the dialects that accept
// invalid UTF-8 hand back U+FFFD instead), or longer than max in the
// dialect's text units (ErrTooLong; max <= 0 means no limit). what names
// the column in the message. It is the one text rule of every store; use it
// on the values a read looks up too, so a value that cannot be stored is
// refused the same way it would be on write.
func (d *Dialect) CheckText(what, s string, max int) error {
	if err := ValidText(what, s); err != nil {
		return err
	}
	if max <= 0 || len(s) <= max { // the byte count bounds every other count
		return nil
	}
	if n := d.TextLen(s); n > max {
		return fmt.Errorf("%w: %s is %d %s, at most %d fit", ErrTooLong, what, n, d.unitName(), max)
	}
	return nil
}

// ValidText refuses text no dialect stores exactly: invalid UTF-8, or a
// NUL character (see Dialect.CheckText, which applies it).
func ValidText(what, s string) error {
	if i := strings.IndexByte(s, 0); i >= 0 {
		return fmt.Errorf("%w: %s holds a NUL character (at byte %d), which the database cannot store", ErrInvalid, what, i)
	}
	if !utf8.ValidString(s) {
		for i, r := range s {
			if r == utf8.RuneError {
				if _, size := utf8.DecodeRuneInString(s[i:]); size == 1 {
					return fmt.Errorf("%w: %s is not valid UTF-8 (at byte %d)", ErrInvalid, what, i)
				}
			}
		}
	}
	return nil
}

// CheckKeyText is CheckText for a text key column the reference schema
// leaves unbounded, against the dialect's KeyText limit.
func (d *Dialect) CheckKeyText(what, s string) error {
	l := d.s.KeyText
	if l.Max == 0 {
		return ValidText(what, s)
	}
	if !l.Bytes {
		if err := d.CheckText(what, s, l.Max); err != nil {
			if errors.Is(err, ErrTooLong) {
				return fmt.Errorf("%w (%s)", err, l.Why)
			}
			return err
		}
		return nil
	}
	if err := ValidText(what, s); err != nil {
		return err
	}
	if len(s) > l.Max {
		return fmt.Errorf("%w: %s is %d bytes, at most %d fit (%s)", ErrTooLong, what, len(s), l.Max, l.Why)
	}
	return nil
}

// CutText returns the longest prefix of s of at most max text units, ending
// on a character boundary (a surrogate pair is never split).
func (d *Dialect) CutText(s string, max int) string {
	if len(s) <= max {
		return s
	}
	n := 0
	for i, r := range s {
		n += d.RuneLen(r)
		if n > max {
			return s[:i]
		}
	}
	return s
}

// CutTextTail returns the longest suffix of s of at most max text units,
// starting on a character boundary: what keeps the end of a text, as WFO
// keeps a traceback's.
func (d *Dialect) CutTextTail(s string, max int) string {
	if len(s) <= max {
		return s
	}
	n := 0
	for i := len(s); i > 0; {
		r, size := utf8.DecodeLastRuneInString(s[:i])
		if n += d.RuneLen(r); n > max {
			return s[i:]
		}
		i -= size
	}
	return s
}

// ---- limits

// MaxParams is the most bound parameters one statement may carry.
func (d *Dialect) MaxParams() int { return d.s.MaxParams }

// RowsPerStatement is how many rows of paramsPerRow bound parameters one
// multi-row INSERT may carry: under the parameter limit and the dialect's
// cap on rows per VALUES list.
func (d *Dialect) RowsPerStatement(paramsPerRow int) int {
	n := d.s.MaxParams / max(paramsPerRow, 1)
	if d.s.MaxValuesRows > 0 {
		n = min(n, d.s.MaxValuesRows)
	}
	return max(n, 1)
}

// MaxValuesRows is the most rows one INSERT … VALUES list may have (SQL
// Server: 1000), 0 for no cap of its own. A statement whose values bun
// inlines is bound by it rather than by MaxParams.
func (d *Dialect) MaxValuesRows() int { return d.s.MaxValuesRows }

// MaxBlob is the most bytes one binary value may have. When query is set,
// the server decides (MySQL's max_allowed_packet) and query (one row, one
// integer) asks it.
func (d *Dialect) MaxBlob() (n int64, query string) { return d.s.MaxBlob, d.s.MaxBlobQuery }

// CompareUUIDs orders two UUIDs as the dialect's ORDER BY orders them (SQL
// Server compares a uniqueidentifier's last six bytes first).
func (d *Dialect) CompareUUIDs(a, b uuid.UUID) int {
	if d.s.CompareUUIDs != nil {
		return d.s.CompareUUIDs(a, b)
	}
	return bytes.Compare(a[:], b[:])
}
