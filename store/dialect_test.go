package store_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/flowstore/flowstore/internal/golden"
	"github.com/flowstore/flowstore/store"
)

func dialect(t *testing.T, name store.DialectName) *store.Dialect {
	t.Helper()
	d, err := store.LookupDialect(name)
	require.NoError(t, err)
	return d
}

func TestRebind(t *testing.T) {
	q := `SELECT * FROM t WHERE a = ? AND b = '?' AND "c?" = ? AND d IN (?, ?)`
	require.Equal(t, `SELECT * FROM t WHERE a = $1 AND b = '?' AND "c?" = $2 AND d IN ($3, $4)`, dialect(t, store.Postgres).Rebind(q))
	require.Equal(t, `SELECT * FROM t WHERE a = @p1 AND b = '?' AND "c?" = @p2 AND d IN (@p3, @p4)`, dialect(t, store.SQLServer).Rebind(q))
	require.Equal(t, q, dialect(t, store.SQLite).Rebind(q))
	require.Equal(t, q, dialect(t, store.MySQL).Rebind(q))
}

func TestQuote(t *testing.T) {
	require.Equal(t, `"Queues"`, dialect(t, store.Postgres).Quote("Queues"))
	require.Equal(t, `"Queues"`, dialect(t, store.SQLServer).Quote("Queues"))
	require.Equal(t, "`Queues`", dialect(t, store.MySQL).Quote("Queues"))
	require.Equal(t, `"a""b"`, dialect(t, store.SQLite).Quote(`a"b`))
}

// TestLookupDialectNamesTheImport: a dialect a program does not link is an
// error that says which package to import. (This test binary links all
// four, through the harness, so the message is checked on a made-up name's
// neighbour: an unknown dialect.)
func TestLookupDialectUnknown(t *testing.T) {
	_, err := store.LookupDialect("db2")
	require.ErrorIs(t, err, store.ErrUnsupported)
	for _, name := range store.DialectNames() {
		d := dialect(t, name)
		require.Equal(t, name, d.Name())
		require.Equal(t, string(name), d.String())
	}
}

// TestTextRules: the one length rule every store uses. SQL Server's
// NVARCHAR counts UTF-16 code units, so a character outside the Basic
// Multilingual Plane takes two; the other dialects count characters.
func TestTextRules(t *testing.T) {
	emoji := strings.Repeat("😀", 3) // 3 characters, 6 UTF-16 units, 12 bytes
	for _, name := range store.DialectNames() {
		d := dialect(t, name)
		want := 3
		if name == store.SQLServer {
			want = 6
		}
		require.Equal(t, want, d.TextLen(emoji), name)
		require.NoError(t, d.CheckText("reference", emoji, want), name)
		err := d.CheckText("reference", emoji, want-1)
		require.ErrorIs(t, err, store.ErrTooLong, name)
		require.Contains(t, err.Error(), "reference is", name)
		require.NoError(t, d.CheckText("reference", emoji, 0), "0 is no limit")
		cut := d.CutText(emoji, want-1)
		require.LessOrEqual(t, d.TextLen(cut), want-1)
		require.True(t, strings.HasPrefix(emoji, cut))
		require.Equal(t, 0, len(cut)%4, "%s: no character split", name)
	}
}

// TestFormsGolden pins the statement forms each dialect picks: the atomic
// claim, the upsert, the locking read, the row limit and the typed NULLs.
func TestFormsGolden(t *testing.T) {
	var b strings.Builder
	for _, name := range store.DialectNames() {
		d := dialect(t, name)
		q := d.Quote
		claim := d.Claim(store.Claim{
			Table: "jobs", Key: "id", Columns: []string{"id", "state"},
			Where:   q("queue") + " = ? AND " + q("state") + " = 'NEW'",
			OrderBy: q("created") + ", " + q("id"),
			Set:     q("state") + " = 'TAKEN', " + q("taken_at") + " = ?",
		})
		b.WriteString("== " + string(name) + "\n")
		b.WriteString("-- claim (binds " + argOrder(claim.Bind([]any{"set"}, []any{"where"}, 10)) + ")\n" + claim.Statement + "\n")
		if claim.TwoStep {
			b.WriteString("-- claim, second step (3 rows)\n" + claim.MarkClaimed(3) + "\n")
		}
		b.WriteString("-- upsert\n" + d.Upsert("Constants", []string{"name", "value", "changed_at"}, []string{"name"}) + "\n")
		b.WriteString("-- locking read\nSELECT " + q("id") + " FROM " + d.LockedFrom("Triggers", "t", false) + " WHERE t." + q("id") + " = ?" + d.LockSuffix(false) + "\n")
		b.WriteString("-- first 5 rows\nSELECT " + q("id") + " FROM " + q("Triggers") + " ORDER BY " + q("id") + d.Limit("5") + "\n")
		b.WriteString("-- typed NULLs\n" + d.TypedNull(store.TypeText) + ", " + d.TypedNull(store.TypeInt) + ", " + d.TypedNull(store.TypeTime) + "\n")
		b.WriteString("-- booleans, byte length\n" + d.Bool(true) + ", " + d.Bool(false) + ", " + d.ByteLength("payload") + "\n")
	}
	golden.Assert(t, "testdata/dialect_forms.sql", b.String())
}

// argOrder names the argument groups a claim binds, in order.
func argOrder(args []any) string {
	parts := make([]string, len(args))
	for i, a := range args {
		parts[i] = fmt.Sprint(a)
		if _, ok := a.(int); ok {
			parts[i] = "limit"
		}
	}
	return strings.Join(parts, ", ")
}

// TestLockNameIsNoOpOnSQLite: SQLite's transactions exclude each other, so
// LockName sends nothing (the Querier would fail every statement).
func TestLockNameIsNoOpOnSQLite(t *testing.T) {
	require.NoError(t, dialect(t, store.SQLite).LockName(context.Background(), failingQuerier{}, "x"))
}

// failingQuerier fails every statement.
type failingQuerier struct{}

var errNoStatements = errors.New("no statement may run")

func (failingQuerier) ExecContext(context.Context, string, ...any) (sql.Result, error) {
	return nil, errNoStatements
}

func (failingQuerier) QueryContext(context.Context, string, ...any) (*sql.Rows, error) {
	return nil, errNoStatements
}

func (failingQuerier) QueryRowContext(context.Context, string, ...any) *sql.Row { return nil }

// mustDialect is dialect for helpers without a *testing.T.
func mustDialect(name store.DialectName) *store.Dialect {
	d, err := store.LookupDialect(name)
	if err != nil {
		panic(err)
	}
	return d
}

// TestTextRefusesWhatNoDialectStores: one rule for every store and dialect —
// NUL and invalid UTF-8 are ErrInvalid, whatever the length limit.
func TestTextRefusesWhatNoDialectStores(t *testing.T) {
	for _, name := range store.DialectNames() {
		d := dialect(t, name)
		for _, bad := range []string{"nul\x00name", "\xff", "ok\xc3", "\x00"} {
			require.ErrorIs(t, d.CheckText("name", bad, 100), store.ErrInvalid, "%s %q", name, bad)
			require.ErrorIs(t, d.CheckText("name", bad, 0), store.ErrInvalid, "%s %q without a limit", name, bad)
			require.ErrorIs(t, d.CheckKeyText("process_id", bad), store.ErrInvalid, "%s %q key", name, bad)
		}
		require.NoError(t, d.CheckText("name", "ünïcödé \uFFFD 😀", 100), "U+FFFD written as such is valid text")
	}
}
