package store

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/uptrace/bun/dialect/mssqldialect"
	"github.com/uptrace/bun/dialect/mysqldialect"
	"github.com/uptrace/bun/dialect/pgdialect"
	"github.com/uptrace/bun/dialect/sqlitedialect"
	"github.com/uptrace/bun/schema"
)

// Dialect names one of the SQL dialects flowstore speaks. Its value is also the
// name of the dialect's migration directory.
type Dialect string

// The supported dialects.
const (
	SQLite    Dialect = "sqlite"
	Postgres  Dialect = "postgres"
	SQLServer Dialect = "sqlserver"
	MySQL     Dialect = "mysql"
)

// Dialects returns every supported dialect, embedded SQLite first.
func Dialects() []Dialect { return []Dialect{SQLite, Postgres, SQLServer, MySQL} }

// String returns the dialect's name.
func (d Dialect) String() string { return string(d) }

// ParseDialect accepts a dialect name as used by flowctl and the tests
// ("sqlite", "postgres", "sqlserver", "mysql"; "postgresql", "pg", "mssql" and
// "mariadb" are accepted as aliases).
func ParseDialect(name string) (Dialect, error) {
	switch strings.ToLower(strings.TrimSpace(name)) {
	case "sqlite", "sqlite3":
		return SQLite, nil
	case "postgres", "postgresql", "pg":
		return Postgres, nil
	case "sqlserver", "mssql":
		return SQLServer, nil
	case "mysql", "mariadb":
		return MySQL, nil
	}
	return "", fmt.Errorf("%w: unknown dialect %q (want sqlite, postgres, sqlserver or mysql)", ErrUnsupported, name)
}

// Rebind rewrites the '?' placeholders of a parameterized statement into the
// dialect's own form: $1, $2 … on PostgreSQL and @p1, @p2 … on SQL Server;
// SQLite and MySQL keep '?'. Question marks inside single-quoted literals and
// quoted identifiers are left alone. It is meant for the few hot paths that
// bypass bun and bind parameters on the driver directly.
func (d Dialect) Rebind(query string) string {
	var prefix string
	switch d {
	case Postgres:
		prefix = "$"
	case SQLServer:
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

// Quote quotes an identifier for raw statements: backticks on MySQL, double
// quotes elsewhere (SQL Server sessions run with QUOTED_IDENTIFIER ON).
// Identifiers come from code, never from input; an embedded quote character
// is doubled all the same.
func (d Dialect) Quote(ident string) string {
	q := `"`
	if d == MySQL {
		q = "`"
	}
	return q + strings.ReplaceAll(ident, q, q+q) + q
}

// BunDialect returns the bun dialect Open uses for d (for hosts that build
// their own bun.DB and want the same literal formatting). SQL Server and
// MySQL get a thin wrapper that writes time literals in UTC with microseconds:
// bun's own SQL Server dialect writes the value's wall clock at millisecond
// precision, which silently shifts non-UTC times and drops microseconds.
func BunDialect(d Dialect) schema.Dialect {
	switch d {
	case Postgres:
		return pgdialect.New()
	case SQLServer:
		return utcMSSQL{mssqldialect.New()}
	case MySQL:
		return utcMySQL{mysqldialect.New()}
	default:
		return sqlitedialect.New()
	}
}

type utcMSSQL struct{ *mssqldialect.Dialect }

func (utcMSSQL) AppendTime(b []byte, tm time.Time) []byte {
	b = append(b, '\'')
	b = tm.UTC().AppendFormat(b, "2006-01-02 15:04:05.999999")
	return append(b, '\'')
}

type utcMySQL struct{ *mysqldialect.Dialect }

func (utcMySQL) AppendTime(b []byte, tm time.Time) []byte {
	b = append(b, '\'')
	b = tm.UTC().AppendFormat(b, "2006-01-02 15:04:05.999999")
	return append(b, '\'')
}

// dialectOf maps a bun dialect back to ours.
func dialectOf(sd schema.Dialect) (Dialect, error) {
	switch sd.Name().String() {
	case "pg":
		return Postgres, nil
	case "sqlite":
		return SQLite, nil
	case "mssql":
		return SQLServer, nil
	case "mysql":
		return MySQL, nil
	}
	return "", fmt.Errorf("%w: bun dialect %q", ErrUnsupported, sd.Name())
}
