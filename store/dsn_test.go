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
		"sqlite:///var/lib/flowstore.db",
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
	for in, want := range map[string]store.Dialect{"pg": store.Postgres, "MSSQL": store.SQLServer, "mariadb": store.MySQL, "sqlite": store.SQLite} {
		got, err := store.ParseDialect(in)
		require.NoError(t, err)
		require.Equal(t, want, got)
	}
	_, err := store.ParseDialect("db2")
	require.ErrorIs(t, err, store.ErrUnsupported)
}

func TestRebind(t *testing.T) {
	q := `SELECT * FROM t WHERE a = ? AND b = '?' AND "c?" = ? AND d IN (?, ?)`
	require.Equal(t, `SELECT * FROM t WHERE a = $1 AND b = '?' AND "c?" = $2 AND d IN ($3, $4)`, store.Postgres.Rebind(q))
	require.Equal(t, `SELECT * FROM t WHERE a = @p1 AND b = '?' AND "c?" = @p2 AND d IN (@p3, @p4)`, store.SQLServer.Rebind(q))
	require.Equal(t, q, store.SQLite.Rebind(q))
	require.Equal(t, q, store.MySQL.Rebind(q))
}

// FuzzParseDSN: any input either parses to a known dialect or fails with one
// of our sentinels — never a panic, never a password in the message.
func FuzzParseDSN(f *testing.F) {
	for _, seed := range []string{"sqlite:x.db", "postgres://u:secretpw@h/db", "mssql+pyodbc://u:secretpw@h/db?driver=x", "mysql://u:secretpw@h:1/db", "file::memory:", "sqlserver://u:secretpw@h?database=d", "x+y://", ":"} {
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
		if _, err := store.ParseDialect(string(target.Dialect)); err != nil {
			t.Fatalf("%q: unknown dialect %q", dsn, target.Dialect)
		}
	})
}

func TestQuote(t *testing.T) {
	require.Equal(t, `"Queues"`, store.Postgres.Quote("Queues"))
	require.Equal(t, `"Queues"`, store.SQLServer.Quote("Queues"))
	require.Equal(t, "`Queues`", store.MySQL.Quote("Queues"))
	require.Equal(t, `"a""b"`, store.SQLite.Quote(`a"b`))
}
