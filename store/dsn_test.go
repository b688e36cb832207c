package store_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/flowstore/flowstore/internal/golden"
	"github.com/flowstore/flowstore/store"
)

// TestParseDSNGolden pins how every accepted DSN form translates into the
// driver's own DSN — among them the SQL Server "guid conversion" that keeps
// uniqueidentifier bytes in RFC order, and the MySQL strict mode and UTC.
func TestParseDSNGolden(t *testing.T) {
	inputs := []string{
		"sqlite:flowstore.db",
		"sqlite:/var/lib/flowstore.db",
		"sqlite:///var/lib/flowstore.db",
		"sqlite:////var/lib/flowstore.db",
		"sqlite::memory:",
		"file:data/x.db?_pragma=busy_timeout(100)",
		"sqlite+pysqlite:///C:\\Users\\abc\\db.db",
		"sqlite+pysqlite:////abs/path.db",
		"postgres://u:p@db:5432/flow?sslmode=disable",
		"postgresql://u@db/flow",
		"postgresql+psycopg2://u:p@db:5432/flow",
		"postgres://u@db/flow?default_query_exec_mode=simple_protocol",
		"sqlserver://sa:pw@db:1433?database=flow",
		"mssql+pyodbc://sa:pw@db:1433/flow?driver=ODBC+Driver+17+for+SQL+Server",
		"mssql+pyodbc://db/flow?driver=ODBC+Driver+17+for+SQL+Server&trusted_connection=yes",
		"mssql+pyodbc://sa:pw@db\\SQLEXPRESS/flow?driver=ODBC+Driver+17+for+SQL+Server",
		"mssql://sa:pw@db/flow",
		"mysql://root:pw@db:3306/flow",
		"mysql+pymysql://root@db/flow",
		"mariadb://root@db/flow?charset=utf8",
	}
	var b strings.Builder
	for _, in := range inputs {
		target, err := store.ParseDSN(in)
		require.NoError(t, err, in)
		dsn := target.DriverDSN
		if strings.Contains(dsn, "flowstore-mem-") {
			// the in-memory name carries a process-wide counter
			dsn = dsn[:strings.Index(dsn, "flowstore-mem-")] + "flowstore-mem-N" + dsn[strings.Index(dsn, "?"):]
		}
		b.WriteString(in + "\n  => " + string(target.Dialect) + " " + target.Driver + " " + dsn + "\n")
	}
	golden.Assert(t, "testdata/dsn.txt", b.String())
}

// TestDSNSQLAlchemyForms: SQLAlchemy URLs mean what SQLAlchemy makes of
// them. SQLite: three slashes then a relative path, four for an absolute
// one, none for memory. SQL Server (mssql, any driver): the path is the
// database and host\INSTANCE names an instance — go-mssqldb's own
// sqlserver:// URL reads its path as the instance instead.
func TestDSNSQLAlchemyForms(t *testing.T) {
	sqlite := func(path string) string { return "file:" + path + "?" }
	for _, tc := range []struct{ in, want string }{
		{"sqlite:///x.db", sqlite("x.db")},
		{"sqlite+pysqlite:///x.db", sqlite("x.db")},
		{"sqlite:///data/x.db", sqlite("data/x.db")},
		{"sqlite:////abs/x.db", sqlite("/abs/x.db")},
		{"sqlite+pysqlite:////abs/x.db", sqlite("/abs/x.db")},
		{"sqlite:///C:\\Users\\abc\\x.db", sqlite(`C:\Users\abc\x.db`)},
		{"sqlite:///x.db?_pragma=busy_timeout(100)", sqlite("x.db") + "_pragma=busy_timeout(100)&"},
		// flowstore's own forms are unchanged
		{"sqlite:x.db", sqlite("x.db")},
		{"sqlite:data/x.db", sqlite("data/x.db")},
		{"sqlite:/abs/x.db", sqlite("/abs/x.db")},
		{"file:x.db", sqlite("x.db")},

		{`mssql+pyodbc://u:p@host\SQLEXPRESS/db`, "sqlserver://u:p@host/SQLEXPRESS?database=db&guid+conversion=true"},
		{`mssql+pyodbc://u:p@host\SQLEXPRESS:1433/db?driver=ODBC+Driver+18+for+SQL+Server`, "sqlserver://u:p@host:1433/SQLEXPRESS?database=db&guid+conversion=true"},
		{`mssql+pyodbc://u:p@host%5CSQLEXPRESS/db`, "sqlserver://u:p@host/SQLEXPRESS?database=db&guid+conversion=true"},
		{`mssql+pymssql://host\INST/db`, "sqlserver://host/INST?database=db&guid+conversion=true"},
		{"mssql://u:p@host/db", "sqlserver://u:p@host?database=db&guid+conversion=true"},
		{"mssql://u:p@host:1433/db", "sqlserver://u:p@host:1433?database=db&guid+conversion=true"},
		{"mssql+pyodbc://u:p%40x@host/db", "sqlserver://u:p%40x@host?database=db&guid+conversion=true"},
		// go-mssqldb's own URL keeps its meaning: the path is an instance
		{"sqlserver://u:p@host/SQLEXPRESS?database=db", "sqlserver://u:p@host/SQLEXPRESS?database=db&guid+conversion=true"},
	} {
		target, err := store.ParseDSN(tc.in)
		require.NoError(t, err, tc.in)
		if strings.HasPrefix(tc.want, "file:") {
			require.Equal(t, store.SQLite, target.Dialect, tc.in)
			require.True(t, strings.HasPrefix(target.DriverDSN, tc.want), "%s\n got %s\nwant %s…", tc.in, target.DriverDSN, tc.want)
			require.False(t, target.Memory, tc.in)
			continue
		}
		require.Equal(t, store.SQLServer, target.Dialect, tc.in)
		require.Equal(t, tc.want, target.DriverDSN, tc.in)
	}
	for _, in := range []string{"sqlite:///:memory:", "sqlite::memory:", "sqlite::memory:?_pragma=busy_timeout(1)", "file:x?mode=memory"} {
		target, err := store.ParseDSN(in)
		require.NoError(t, err, in)
		require.True(t, target.Memory, "%s is an in-memory database", in)
	}
	// A DSN that names no file is a typo, not a request for a database
	// that vanishes with the program (SQLAlchemy reads sqlite:// so).
	for _, in := range []string{"sqlite:", "sqlite://", "sqlite+pysqlite://", "sqlite:///", "sqlite:?_txlock=immediate", "file:", "sqlite:///?x=1"} {
		_, err := store.ParseDSN(in)
		require.ErrorIs(t, err, store.ErrInvalid, in)
		require.Contains(t, err.Error(), "sqlite::memory:", in)
	}
	for in, want := range map[string]error{
		"sqlite://somehost/x.db":             store.ErrInvalid,
		`mssql+pyodbc://u:p@host\SQLEXPRESS`: store.ErrUnsupported, // SQLAlchemy: an ODBC DSN name
		"mssql://u:p@MyOdbcDsn":              store.ErrUnsupported,
	} {
		_, err := store.ParseDSN(in)
		require.ErrorIs(t, err, want, in)
		require.NotContains(t, err.Error(), ":p@", "%s: password in %v", in, err)
	}
}

func TestParseDSNRejects(t *testing.T) {
	for in, want := range map[string]error{
		"":                                 store.ErrInvalid,
		"oracle://x":                       store.ErrUnsupported,
		"no-scheme-at-all":                 store.ErrUnsupported,
		"mssql+pyodbc://user:pass@dsnname": store.ErrUnsupported,
		"mssql+pyodbc:///?odbc_connect=DRIVER%3D%7BODBC%7D": store.ErrUnsupported,
		"postgres://%zz": store.ErrInvalid,
	} {
		_, err := store.ParseDSN(in)
		require.ErrorIs(t, err, want, "%q: %v", in, err)
	}
}

func TestParseDialect(t *testing.T) {
	for in, want := range map[string]store.DialectName{"pg": store.Postgres, "MSSQL": store.SQLServer, "mariadb": store.MySQL, "sqlite": store.SQLite} {
		got, err := store.ParseDialectName(in)
		require.NoError(t, err)
		require.Equal(t, want, got)
	}
	_, err := store.ParseDialectName("db2")
	require.ErrorIs(t, err, store.ErrUnsupported)
}

// FuzzParseDSN: any input either parses to a known dialect or fails with one
// of our sentinels — never a panic, never a password in the message.
func FuzzParseDSN(f *testing.F) {
	for _, seed := range []string{
		"sqlite:x.db", "postgres://u:secretpw@h/db", "mssql+pyodbc://u:secretpw@h/db?driver=x", "mysql://u:secretpw@h:1/db",
		"file::memory:", "sqlserver://u:secretpw@h?database=d", "x+y://", ":",
		// SQLAlchemy forms: instances, bare mssql://, SQLite slashes
		`mssql+pyodbc://u:secretpw@h\SQLEXPRESS/db`, `mssql+pyodbc://u:secretpw@h\SQLEXPRESS:1433/db?driver=x`,
		"mssql+pyodbc://u:secretpw@h%5CI/db", `mssql://u:secretpw@h\`, `mssql://u:secretpw@\I/db`, "mssql://u:secretpw@h/db",
		"mssql://u:secretpw@h", "sqlite:///x.db", "sqlite:////abs/x.db", "sqlite+pysqlite:///x.db", "sqlite://", "sqlite://h/x",
		"sqlite:///:memory:?x=1",
		// found by fuzzing: no scheme, so no URL to redact the password from
		"secretpw@0", "//0secretpw@", "mssql+://0secretpw@",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, dsn string) {
		target, err := store.ParseDSN(dsn)
		if err != nil {
			if !errors.Is(err, store.ErrInvalid) && !errors.Is(err, store.ErrUnsupported) {
				t.Fatalf("%q: unclassified error %v", dsn, err)
			}
			if strings.Contains(dsn, "secretpw@") && strings.Contains(err.Error(), "secretpw") {
				t.Fatalf("%q: password in error %v", dsn, err)
			}
			return
		}
		if _, err := store.ParseDialectName(string(target.Dialect)); err != nil {
			t.Fatalf("%q: unknown dialect %q", dsn, target.Dialect)
		}
	})
}

// TestDSNTimezone: timezone= names the zone of OpenOrchestrator's naive
// times on every dialect; it is taken out of the driver's DSN (on
// PostgreSQL it also sets the session's TimeZone), and a name that is not a
// zone is refused.
func TestDSNTimezone(t *testing.T) {
	for in, want := range map[string]string{
		"sqlite:x.db?timezone=Europe/Copenhagen":                         "file:x.db?",
		"sqlite:x.db?_txlock=deferred&timezone=UTC":                      "file:x.db?_txlock=deferred&",
		"postgres://u@h/db?sslmode=disable&timezone=Europe%2FCopenhagen": "postgres://u@h/db?default_query_exec_mode=exec&sslmode=disable&timezone=Europe%2FCopenhagen",
		"mysql://u@h/db?timezone=America/New_York":                       "u@tcp(h:3306)/db?",
		"mssql+pyodbc://u:p@h/db?timezone=Asia/Tokyo":                    "sqlserver://u:p@h?database=db&guid+conversion=true",
	} {
		target, err := store.ParseDSN(in)
		require.NoError(t, err, in)
		require.NotNil(t, target.Zone, in)
		require.True(t, strings.HasPrefix(target.DriverDSN, want), "%s\n got %s\nwant %s…", in, target.DriverDSN, want)
		if target.Dialect != store.Postgres {
			require.NotContains(t, target.DriverDSN, "timezone", in)
		}
	}
	target, err := store.ParseDSN("sqlite:x.db")
	require.NoError(t, err)
	require.Nil(t, target.Zone, "no parameter, no zone: the DB keeps the local zone")
	for _, bad := range []string{"sqlite:x.db?timezone=Mars/Olympus", "sqlite:x.db?timezone=", "sqlite:x.db?timezone=Local"} {
		_, err := store.ParseDSN(bad)
		require.ErrorIs(t, err, store.ErrInvalid, bad)
	}
}
