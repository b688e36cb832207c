package correlation_test

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/flowstore/flowstore/internal/testdb"
	"github.com/flowstore/flowstore/store"
	"github.com/flowstore/flowstore/store/correlation"
)

// TestNilContextRefused: every method of the Store refuses a nil context
// with store.ErrInvalid instead of panicking inside database/sql (whose
// recovered panic leaves the pool locked); the pool works afterwards.
func TestNilContextRefused(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		corr := newStore(t, db)
		require.Equal(t, 4, testdb.RefusesNilContext(t, corr))
		require.NoError(t, db.InTx(context.Background(), func(_ context.Context, s *store.Session) error {
			require.Equal(t, 4, testdb.RefusesNilContext(t, corr.WithTx(s)))
			return nil
		}))
		_, err := corr.Create(context.Background(), "after", correlation.Part{Key: "k", Value: "v"})
		require.NoError(t, err)
	})
}

// TestTextRuleOnWritesAndLookups is the regression test of issue 14 for the
// correlation store: text with a NUL or invalid UTF-8 — a correlated id, a
// part's key or value, an encoded id looked up or deleted — is
// store.ErrInvalid before anything is written or read, on every dialect
// (before, SQLite and MariaDB answered "not found" for such a lookup and
// PostgreSQL an unclassified SQLSTATE 22021, and a write stored what could
// not be read back). Ids too long for their varchar(36) columns are
// store.ErrTooLong on lookups as on writes; empty ones store.ErrInvalid.
func TestTextRuleOnWritesAndLookups(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		corr := newStore(t, db)
		live, err := corr.Create(ctx, "live", correlation.Part{Key: "k", Value: "v"})
		require.NoError(t, err)
		for name, bad := range map[string]string{"NUL": "a\x00b", "invalid UTF-8": "a\xffb"} {
			t.Run(name, func(t *testing.T) {
				calls := map[string]error{"delete": corr.Delete(ctx, bad)}
				_, calls["create, correlated id"] = corr.Create(ctx, bad, correlation.Part{Key: "k2", Value: "v"})
				_, calls["create, key"] = corr.Create(ctx, "new", correlation.Part{Key: "ok", Value: "v"}, correlation.Part{Key: bad, Value: "v"})
				_, calls["create, value"] = corr.Create(ctx, "new", correlation.Part{Key: "k3", Value: bad})
				_, calls["find by encoded id"] = corr.FindByEncodedID(ctx, bad)
				_, calls["find by correlated id"] = corr.FindByCorrelatedID(ctx, bad)
				for name, err := range calls {
					require.ErrorIs(t, err, store.ErrInvalid, name)
					require.True(t, strings.HasPrefix(err.Error(), "correlation: "), "%s: %v", name, err)
				}
				require.Equal(t, 1, rawCount(t, db, `SELECT COUNT(*) FROM correlation_instances`))
				got, err := corr.FindByEncodedID(ctx, live.EncodedID)
				require.NoError(t, err)
				require.Equal(t, *live, *got)
			})
		}
		for _, id := range []string{"", strings.Repeat("x", 37)} {
			want := store.ErrInvalid
			if id != "" {
				want = store.ErrTooLong
			}
			_, err := corr.FindByEncodedID(ctx, id)
			require.ErrorIs(t, err, want)
			_, err = corr.FindByCorrelatedID(ctx, id)
			require.ErrorIs(t, err, want)
			require.ErrorIs(t, corr.Delete(ctx, id), want)
			_, err = corr.Create(ctx, id, correlation.Part{Key: "k9", Value: "v"})
			require.ErrorIs(t, err, want)
		}
		require.Equal(t, 1, rawCount(t, db, `SELECT COUNT(*) FROM correlation_instances`))

		_, err = corr.FindByEncodedID(ctx, "a\xffb")
		require.EqualError(t, err, `correlation: find by encoded id "a\xffb": invalid input: encoded_correlation_id is not valid UTF-8 (at byte 1)`)
	})
}
