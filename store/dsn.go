package store

import (
	"fmt"
	"net/url"
	"strings"
	"sync/atomic"
	"time"
)

// Target is what a DSN resolves to: the dialect, the database/sql driver name
// and the DSN in the form that driver accepts.
type Target struct {
	Dialect   DialectName // SQLite, Postgres, SQLServer or MySQL
	Driver    string      // database/sql driver: sqlite, pgx, sqlserver or mysql
	DriverDSN string      // what to pass to sql.Open with Driver
	// Zone is the zone a DSN's timezone= parameter named (see WithZone),
	// nil when it names none.
	Zone *time.Location
	// File is the path of a SQLite database file ("" in memory and on
	// server dialects).
	File string
	// Memory is true for an in-memory SQLite database, which lives as long as
	// one connection stays open; Open then keeps the pool to one connection.
	Memory bool
}

// sqlitePragmas are applied on every new SQLite connection: WAL so readers do
// not block the writer, a busy timeout so writers queue instead of failing,
// enforced foreign keys, and immediate transactions — a deferred transaction
// that reads and then writes cannot be upgraded while another connection
// writes, and SQLite fails it at once without consulting the busy handler.
var sqlitePragmas = []string{
	"_pragma=busy_timeout(10000)",
	"_pragma=journal_mode(WAL)",
	"_pragma=foreign_keys(1)",
	"_pragma=synchronous(NORMAL)",
	"_txlock=immediate",
	// Write time.Time parameters in the same text form bun writes time
	// literals, so bound and inlined times compare equal as text.
	"_time_format=sqlite",
}

var memoryCounter atomic.Int64

// ParseDSN resolves a flowstore DSN without connecting. Accepted forms:
//
//	sqlite:path/to/file.db (relative), sqlite:/abs/path.db, sqlite::memory:, file:path.db?...
//	postgres://user:pass@host:5432/db?sslmode=disable (also postgresql://)
//	sqlserver://user:pass@host:1433?database=db (go-mssqldb's URL: a path names an instance)
//	mysql://user:pass@host:3306/db (MySQL 8 or MariaDB 10.6+)
//
// Any form may carry timezone=<IANA zone name>: the zone of the naive times
// in OpenOrchestrator's tables (see WithZone); on PostgreSQL it also sets the
// session's TimeZone.
//
// and the SQLAlchemy URLs OpenOrchestrator users already have, read the way
// SQLAlchemy reads them (any "+driver" suffix is dropped):
//
//	sqlite:///relative/x.db, sqlite:////absolute/x.db
//	postgresql+psycopg2://user:pass@host/db
//	mssql+pyodbc://user:pass@host:1433/db?driver=…, mssql+pyodbc://user:pass@host\INSTANCE/db,
//	mssql://user:pass@host/db (the path is the database, as in SQLAlchemy)
//	mysql+pymysql://user:pass@host/db
//
// An ODBC data-source name (mssql+pyodbc://user:pass@DSNNAME with no
// database) or an odbc_connect string cannot be translated and is refused
// with ErrUnsupported.
//
// An in-memory SQLite database (sqlite::memory:, or mode=memory)
// lives in one connection, which Open keeps as the pool's only one: while a
// transaction (a Session) is open, any statement run on the DB instead of
// the session waits for that connection — until its context ends. Use a file
// (in a temporary directory for tests, as package storetest does) wherever
// a transaction and a second reader overlap.
func ParseDSN(dsn string) (Target, error) {
	dsn = strings.TrimSpace(dsn)
	if dsn == "" {
		return Target{}, fmt.Errorf("%w: empty DSN", ErrInvalid)
	}
	rest, zone, err := cutZone(dsn)
	if err != nil {
		return Target{}, err
	}
	t, err := parseDSN(rest)
	if err != nil {
		return Target{}, err
	}
	t.Zone = zone
	if zone != nil && t.Dialect == Postgres {
		// The server's session zone then agrees with the naive times.
		t.DriverDSN = appendURLQuery(t.DriverDSN, "timezone="+url.QueryEscape(zone.String()))
	}
	return t, nil
}

// cutZone takes flowstore's timezone= parameter (the zone of
// OpenOrchestrator's naive times, see WithZone) out of a DSN, leaving the
// other parameters as written.
func cutZone(dsn string) (string, *time.Location, error) {
	base, query, ok := strings.Cut(dsn, "?")
	if !ok {
		return dsn, nil, nil
	}
	var keep []string
	var zone *time.Location
	for _, kv := range strings.Split(query, "&") {
		k, v, _ := strings.Cut(kv, "=")
		if !strings.EqualFold(k, "timezone") {
			keep = append(keep, kv)
			continue
		}
		name, err := url.QueryUnescape(v)
		if err == nil {
			zone, err = time.LoadLocation(name)
		}
		if err != nil || name == "" || name == "Local" {
			return "", nil, fmt.Errorf("%w: DSN parameter timezone=%q is not a zone name (want an IANA name such as Europe/Copenhagen, or UTC)", ErrInvalid, v)
		}
	}
	if len(keep) == 0 {
		return base, zone, nil
	}
	return base + "?" + strings.Join(keep, "&"), zone, nil
}

func appendURLQuery(u, kv string) string {
	if strings.Contains(u, "?") {
		return u + "&" + kv
	}
	return u + "?" + kv
}

func parseDSN(dsn string) (Target, error) {
	if strings.HasPrefix(dsn, "file:") {
		return sqliteTarget(dsn)
	}
	scheme, rest, ok := strings.Cut(dsn, ":")
	if !ok {
		return Target{}, fmt.Errorf("%w: DSN %q has no scheme (want sqlite:, postgres://, sqlserver:// or mysql://)", ErrUnsupported, redact(dsn))
	}
	base, driver, _ := strings.Cut(strings.ToLower(scheme), "+")
	switch base {
	case "sqlite", "sqlite3":
		path, err := sqlitePath(rest)
		if err != nil {
			return Target{}, err
		}
		return sqliteTarget(path)
	case "postgres", "postgresql":
		return postgresTarget("postgres:" + rest)
	case "sqlserver", "mssql":
		// sqlserver:// is go-mssqldb's own URL; mssql:// (with or without a
		// "+driver") is SQLAlchemy's, whose path names the database.
		return sqlserverTarget("sqlserver:"+rest, base == "mssql" || driver != "")
	case "mysql", "mariadb":
		return mysqlTarget("mysql:" + rest)
	}
	return Target{}, fmt.Errorf("%w: DSN scheme %q (want sqlite:, file:, postgres://, sqlserver:// or mysql://, or their SQLAlchemy forms)", ErrUnsupported, scheme)
}

// sqlitePath reads what follows "sqlite:". With "//" it is a SQLAlchemy URL:
// an empty host, then "/" and the path — relative with three slashes in all
// (sqlite:///x.db), absolute with four (sqlite:////abs/x.db) — and no path
// at all is refused (SQLAlchemy reads it as in memory). Without "//" it is
// flowstore's own form: the path as written (sqlite:x.db, sqlite:/abs/x.db,
// sqlite::memory:).
func sqlitePath(rest string) (string, error) {
	after, ok := strings.CutPrefix(rest, "//")
	if !ok {
		return rest, nil
	}
	if after == "" || strings.HasPrefix(after, "?") {
		return "", errNoSQLitePath(rest)
	}
	path, ok := strings.CutPrefix(after, "/")
	if !ok {
		host, _, _ := strings.Cut(after, "/")
		return "", fmt.Errorf("%w: SQLite URL names a host %q; a SQLAlchemy SQLite URL is sqlite:///relative.db or sqlite:////absolute.db", ErrInvalid, host)
	}
	if path == "" || strings.HasPrefix(path, "?") {
		return "", errNoSQLitePath(rest)
	}
	return path, nil
}

// errNoSQLitePath refuses a SQLite DSN without a file: taken as an
// in-memory database (as SQLAlchemy takes sqlite://), a typo would lose
// every write when the program ends. In memory is asked for by name.
func errNoSQLitePath(rest string) error {
	return fmt.Errorf("%w: SQLite DSN %q names no file (an in-memory database is sqlite::memory:)", ErrInvalid, "sqlite:"+rest)
}

func sqliteTarget(path string) (Target, error) {
	path = strings.TrimPrefix(path, "file:")
	query := ""
	if p, q, ok := strings.Cut(path, "?"); ok {
		path, query = p, q
	}
	if path == "" {
		return Target{}, errNoSQLitePath(query)
	}
	memory := path == ":memory:" || strings.Contains(query, "mode=memory")
	if path == ":memory:" {
		// Each connection to ":memory:" is its own database; a named
		// shared-cache database is one database for the whole pool.
		path = fmt.Sprintf("flowstore-mem-%d", memoryCounter.Add(1))
		query = appendQuery(query, "mode=memory&cache=shared")
	}
	for _, p := range sqlitePragmas {
		// "_pragma=busy_timeout(" or "_txlock=": skip what the caller set.
		setting := p[:strings.IndexAny(p, "(=")+1]
		if strings.HasPrefix(p, "_pragma=") {
			setting = p[:strings.IndexByte(p, '(')+1]
		}
		if strings.Contains(query, setting) {
			continue
		}
		query = appendQuery(query, p)
	}
	t := Target{Dialect: SQLite, Driver: "sqlite", DriverDSN: "file:" + path + "?" + query, Memory: memory}
	if !memory {
		t.File = path
	}
	return t, nil
}

func appendQuery(q, add string) string {
	if q == "" {
		return add
	}
	return q + "&" + add
}

func postgresTarget(dsn string) (Target, error) {
	u, err := url.Parse(dsn)
	if err != nil {
		return Target{}, fmt.Errorf("%w: postgres DSN: %v", ErrInvalid, redactErr(err))
	}
	u.Scheme = "postgres"
	q := u.Query()
	// bun inlines every value, so each statement text is new to pgx's default
	// statement cache, which would prepare (and keep) every one of them.
	// BenchmarkPostgresExecMode (bun insert + select, PostgreSQL 15, fsync on,
	// 2026-11-22): exec 435-457 µs/op, simple_protocol 438-497,
	// cache_describe 483-553, cache_statement 529-552, describe_exec 551-560.
	if q.Get("default_query_exec_mode") == "" {
		q.Set("default_query_exec_mode", "exec")
	}
	u.RawQuery = q.Encode()
	return Target{Dialect: Postgres, Driver: "pgx", DriverDSN: u.String()}, nil
}

func sqlserverTarget(dsn string, sqlalchemy bool) (Target, error) {
	instance := ""
	if sqlalchemy {
		// SQLAlchemy names an instance inside the host (host\INSTANCE[:port]),
		// which url.Parse rejects; go-mssqldb wants it as the path.
		dsn, instance = cutInstance(dsn)
	}
	u, err := url.Parse(dsn)
	if err != nil {
		return Target{}, fmt.Errorf("%w: sqlserver DSN: %v", ErrInvalid, redactErr(err))
	}
	u.Scheme = "sqlserver"
	q := u.Query()
	if sqlalchemy {
		// mssql+pyodbc://user:pass@host[\instance][:port]/database?driver=ODBC+Driver+17+for+SQL+Server
		if q.Has("odbc_connect") {
			return Target{}, fmt.Errorf("%w: odbc_connect strings cannot be translated", ErrUnsupported)
		}
		db := strings.TrimPrefix(u.Path, "/")
		if db == "" && q.Get("database") == "" {
			// SQLAlchemy itself reads a host without a database as an ODBC
			// data-source name, which only the ODBC driver manager can resolve.
			return Target{}, fmt.Errorf("%w: the URL names an ODBC data source %q; flowstore needs the server and database (mssql+pyodbc://user:pass@host:1433/database)", ErrUnsupported, u.Host)
		}
		if db != "" {
			q.Set("database", db)
		}
		u.Path, u.RawPath = "", ""
		if instance != "" {
			u.Path = "/" + instance
		}
		for _, odbcOnly := range []string{"driver", "Trusted_Connection", "trusted_connection"} {
			q.Del(odbcOnly)
		}
	}
	// uniqueidentifier comes back in mixed-endian GUID order unless the
	// driver converts it.
	q.Set("guid conversion", "true")
	u.RawQuery = q.Encode()
	return Target{Dialect: SQLServer, Driver: "sqlserver", DriverDSN: u.String()}, nil
}

// cutInstance moves a SQLAlchemy instance name out of the host of
// sqlserver://[user[:pass]@]host\INSTANCE[:port][/db][?…] (the backslash
// raw or percent-encoded) and returns the URL without it, and the instance.
func cutInstance(dsn string) (string, string) {
	const prefix = "sqlserver://"
	rest, ok := strings.CutPrefix(dsn, prefix)
	if !ok {
		return dsn, ""
	}
	end := strings.IndexAny(rest, "/?#")
	if end < 0 {
		end = len(rest)
	}
	authority := rest[:end]
	at := strings.LastIndex(authority, "@") + 1 // 0 without user info
	hostport := authority[at:]
	i, width := strings.IndexByte(hostport, '\\'), 1
	if i < 0 {
		i, width = strings.Index(strings.ToUpper(hostport), "%5C"), 3
	}
	if i < 0 {
		return dsn, ""
	}
	host := hostport[:i]
	instance, port, hasPort := strings.Cut(hostport[i+width:], ":")
	if hasPort {
		host += ":" + port
	}
	return prefix + authority[:at] + host + rest[end:], instance
}

func mysqlTarget(dsn string) (Target, error) {
	u, err := url.Parse(dsn)
	if err != nil {
		return Target{}, fmt.Errorf("%w: mysql DSN: %v", ErrInvalid, redactErr(err))
	}
	host := u.Host
	if host == "" {
		host = "127.0.0.1:3306"
	} else if u.Port() == "" {
		host += ":3306"
	}
	var user string
	if u.User != nil {
		user = u.User.Username()
		if p, ok := u.User.Password(); ok {
			user += ":" + p
		}
		user += "@"
	}
	q := u.Query()
	// Times are UTC on the wire and in DATETIME(6) columns; strict mode makes
	// an over-long value an error instead of a silent truncation.
	q.Set("parseTime", "true")
	q.Set("loc", "UTC")
	q.Set("time_zone", "'+00:00'")
	if q.Get("sql_mode") == "" {
		q.Set("sql_mode", "'STRICT_ALL_TABLES,NO_ZERO_IN_DATE,NO_ZERO_DATE,ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION'")
	}
	if q.Get("charset") == "" {
		q.Set("charset", "utf8mb4")
	}
	// Rows affected counts the rows an UPDATE matched, as on every other
	// dialect, so a conditional update that sets a value it already had is
	// not mistaken for "no such row" (MySQL counts changed rows by default).
	q.Set("clientFoundRows", "true")
	// Ask the server for its max_allowed_packet instead of assuming 64 MiB:
	// the driver then sends a large value (a 16 MiB snapshot payload on
	// MariaDB's default of 16 MiB) in chunks the server accepts, where
	// otherwise the server drops the connection on one oversized packet.
	if q.Get("maxAllowedPacket") == "" {
		q.Set("maxAllowedPacket", "0")
	}
	return Target{Dialect: MySQL, Driver: "mysql", DriverDSN: user + "tcp(" + host + ")" + u.Path + "?" + q.Encode()}, nil
}

// redact hides a password in a DSN before it goes into an error message.
// A DSN that is not a URL with a scheme may still carry one before an '@'
// (user:pass@host without a scheme): everything up to the last '@' of it is
// hidden then.
func redact(dsn string) string {
	u, err := url.Parse(dsn)
	if err == nil && u.Scheme != "" && u.User != nil {
		if _, ok := u.User.Password(); ok {
			u.User = url.UserPassword(u.User.Username(), "xxxxx")
		}
		return u.String()
	}
	at := strings.LastIndex(dsn, "@")
	if at < 0 || (err == nil && u.Host != "" && !strings.Contains(u.Host, "@")) {
		return dsn
	}
	start := 0
	if i := strings.Index(dsn, "://"); i >= 0 && i < at {
		start = i + len("://")
	}
	return dsn[:start] + "xxxxx" + dsn[at:]
}

func redactErr(err error) string {
	var ue *url.Error
	if e, ok := err.(*url.Error); ok {
		ue = e
		return ue.Op + ": " + ue.Err.Error()
	}
	return err.Error()
}
