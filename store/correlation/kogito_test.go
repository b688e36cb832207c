package correlation_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/stretchr/testify/require"

	"github.com/flowstore/flowstore/internal/testdb"
	"github.com/flowstore/flowstore/store"
	"github.com/flowstore/flowstore/store/correlation"
)

// The statements of Kogito's JDBCCorrelationRepository
// (addons/common/persistence/jdbc, apache/incubator-kie-kogito-runtimes @
// c8326cb) as it sends them; every parameter is bound with setString.
const (
	kInsert             = "INSERT INTO correlation_instances (id, encoded_correlation_id, correlated_id, correlation) VALUES (?, ?, ?, ?)"
	kDelete             = "DELETE FROM correlation_instances WHERE encoded_correlation_id = ?"
	kFindByEncodedID    = "SELECT correlated_id, correlation FROM correlation_instances WHERE encoded_correlation_id = ?"
	kFindByCorrelatedID = "SELECT encoded_correlation_id, correlation FROM correlation_instances WHERE correlated_id = ?"
)

// kogito plays Kogito's correlation repository: on PostgreSQL a connection
// of its own binding every parameter as pgjdbc binds setString — as
// varchar (type OID 1043), which PostgreSQL does not convert to json — and
// elsewhere database/sql binding strings, as the JDBC drivers send them.
type kogito struct {
	t  testing.TB
	db *store.DB
	pg *pgconn.PgConn
}

func newKogito(t testing.TB, db *store.DB) *kogito {
	t.Helper()
	k := &kogito{t: t, db: db}
	if db.SQLDialect().Name() == store.Postgres {
		conn, err := pgconn.Connect(context.Background(), testdb.DSN(t, db))
		require.NoError(t, err)
		t.Cleanup(func() { _ = conn.Close(context.Background()) })
		k.pg = conn
	}
	return k
}

// exec runs a statement binding args with setString and returns the rows
// it affected.
func (k *kogito) exec(stmt string, args ...string) (int64, error) {
	ctx := context.Background()
	stmt = k.db.SQLDialect().Rebind(stmt)
	if k.pg != nil {
		tag, err := k.pg.ExecParams(ctx, stmt, varchars(args), oids(len(args)), nil, nil).Close()
		return tag.RowsAffected(), err
	}
	res, err := k.db.SQL().ExecContext(ctx, stmt, anys(args)...)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// row runs a SELECT of two columns read with getString; ok is false when
// no row comes back.
func (k *kogito) row(stmt string, arg string) (a, b string, ok bool) {
	k.t.Helper()
	ctx := context.Background()
	stmt = k.db.SQLDialect().Rebind(stmt)
	if k.pg != nil {
		rr := k.pg.ExecParams(ctx, stmt, varchars([]string{arg}), oids(1), nil, nil)
		for rr.NextRow() {
			v := rr.Values()
			a, b, ok = string(v[0]), string(v[1]), true
		}
		_, err := rr.Close()
		require.NoError(k.t, err)
		return a, b, ok
	}
	rows, err := k.db.SQL().QueryContext(ctx, stmt, arg)
	require.NoError(k.t, err)
	defer rows.Close()
	for rows.Next() {
		require.NoError(k.t, rows.Scan(&a, &b))
		ok = true
	}
	require.NoError(k.t, rows.Err())
	return a, b, ok
}

func varchars(args []string) [][]byte {
	out := make([][]byte, len(args))
	for i, a := range args {
		out[i] = []byte(a)
	}
	return out
}

func oids(n int) []uint32 {
	out := make([]uint32, n)
	for i := range out {
		out[i] = 1043 // varchar: pgjdbc's type for setString
	}
	return out
}

func anys(args []string) []any {
	out := make([]any, len(args))
	for i, a := range args {
		out[i] = a
	}
	return out
}

// jacksonJSON is the JSON Kogito's Jackson mapper writes for a
// CompositeCorrelation with this key and these parts (in the set's order):
// properties in declaration order, no spaces, strings escaped only where
// JSON requires. The tests' values need no escape but the quote and the
// backslash.
func jacksonJSON(key string, parts []correlation.Part) string {
	str := func(s string) string {
		return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
	}
	items := make([]string, len(parts))
	for i, p := range parts {
		items[i] = `{"key":` + str(p.Key) + `,"value":` + str(p.Value) + `}`
	}
	return `{"key":` + str(key) + `,"value":[` + strings.Join(items, ",") + `]}`
}

// TestKogitoCorrelationsBothWays plays Kogito's correlation repository on
// every live dialect. Kogito's rows — its encoded id, its JSON bound as a
// string (a varchar parameter, which a json column refuses on PostgreSQL:
// the regression of migration 0041) — are found and read by the store, and
// deleted by it; the store's rows read back as Kogito reads them (the same
// JSON, byte for byte) and are deleted by Kogito.
func TestKogitoCorrelationsBothWays(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		corr := newStore(t, db)
		k := newKogito(t, db)

		// Kogito writes, flowstore reads. Values from the vectors Kogito's
		// classes computed; the JSON as its mapper writes it.
		var written []string
		for i, v := range kogitoVectors[4:9] {
			instance := fmt.Sprintf("5c1d2e3f-0000-4000-8000-00000000000%d", i)
			doc := jacksonJSON(v.key, v.order)
			n, err := k.exec(kInsert, fmt.Sprintf("9e8d7c6b-0000-4000-8000-00000000000%d", i), v.encoded, instance, doc)
			if i == 1 {
				// The vector of the same parts in another order: Kogito's
				// encoded id is the same, and the UNIQUE key refuses it.
				require.Error(t, err, v.input)
				continue
			}
			require.NoError(t, err, v.input)
			require.Equal(t, int64(1), n)
			got, err := corr.FindByEncodedID(ctx, correlation.Encode(v.parts...))
			require.NoError(t, err, v.input)
			require.Equal(t, instance, got.CorrelatedID)
			require.Equal(t, v.order, got.Parts)
			got, err = corr.FindByCorrelatedID(ctx, instance)
			require.NoError(t, err)
			require.Equal(t, v.encoded, got.EncodedID)
			written = append(written, v.encoded)
		}
		for _, encoded := range written {
			require.NoError(t, corr.Delete(ctx, encoded))
		}
		require.Zero(t, rawCount(t, db, `SELECT COUNT(*) FROM correlation_instances`))
		// A value Kogito wrote as a JSON number (an event attribute that is
		// one) reads as its text, which is how Kogito renders it.
		_, err := k.exec(kInsert, "9e8d7c6b-0000-4000-8000-0000000000aa", correlation.Encode(correlation.Part{Key: "orderId", Value: "42"}), "num",
			`{"key":"orderId","value":[{"key":"orderId","value":42}]}`)
		require.NoError(t, err)
		got, err := corr.FindByCorrelatedID(ctx, "num")
		require.NoError(t, err)
		require.Equal(t, []correlation.Part{{Key: "orderId", Value: "42"}}, got.Parts)
		require.Equal(t, "c683b6578d8fa2fd3337904d2ec4ae06", got.EncodedID)

		// flowstore writes, Kogito reads and deletes.
		parts := []correlation.Part{{Key: "customer-id", Value: "<a&b>"}, {Key: "customer", Value: `q"uote`}}
		c, err := corr.Create(ctx, "6d2e3f40-0000-4000-8000-000000000001", parts...)
		require.NoError(t, err)
		correlated, doc, ok := k.row(kFindByEncodedID, c.EncodedID)
		require.True(t, ok)
		require.Equal(t, c.CorrelatedID, correlated)
		require.Equal(t, `{"key":"customer|customer-id","value":[{"key":"customer","value":"q\"uote"},{"key":"customer-id","value":"<a&b>"}]}`, doc)
		encoded, doc2, ok := k.row(kFindByCorrelatedID, c.CorrelatedID)
		require.True(t, ok)
		require.Equal(t, c.EncodedID, encoded)
		require.Equal(t, doc, doc2)
		n, err := k.exec(kDelete, c.EncodedID)
		require.NoError(t, err)
		require.Equal(t, int64(1), n)
		_, err = corr.FindByEncodedID(ctx, c.EncodedID)
		require.ErrorIs(t, err, store.ErrNotFound)
	})
}
