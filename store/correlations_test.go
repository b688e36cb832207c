package store_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/flowstore/flowstore/internal/testdb"
	"github.com/flowstore/flowstore/store"
)

// TestEncodeCorrelationVectors pins Kogito's encoding with digests computed
// by hand (printf '%s' 'aaaa|bbbb' | md5sum), including Kogito's own test
// vectors and the ones where sorting and UTF-8 matter.
func TestEncodeCorrelationVectors(t *testing.T) {
	p := func(k, v string) store.CorrelationPart { return store.CorrelationPart{Key: k, Value: v} }
	for _, c := range []struct {
		parts []store.CorrelationPart
		input string // what is hashed, for the reader
		want  string
	}{
		{[]store.CorrelationPart{p("aaaa", "bbbb")}, "aaaa|bbbb", "c818ccd6be2b10823eb7208d162879d0"},
		{[]store.CorrelationPart{p("eeee", "ffff"), p("aaaa", "bbbb"), p("cccc", "dddd")}, "aaaa|bbbb|cccc|dddd|eeee|ffff", "fc5428e42b043a7089d7a15d65558ca2"},
		{[]store.CorrelationPart{p("orderId", "42")}, "orderId|42", "c683b6578d8fa2fd3337904d2ec4ae06"},
		{[]store.CorrelationPart{p("userId", "7"), p("orderId", "42")}, "orderId|42|userId|7", "5d18ec4585c1d54957f475161ada7ceb"},
		{[]store.CorrelationPart{p("city", "Zürich")}, "city|Zürich", "08ff8ec820de242680a2988f67c14bca"},
		{[]store.CorrelationPart{p("k", "")}, "k|", "d95ab12371631a895ab2fd4f787d2062"},
	} {
		require.Equal(t, c.want, store.EncodeCorrelation(c.parts...), c.input)
	}
}

func TestCorrelations(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		corr := store.NewCorrelations(db)
		parts := []store.CorrelationPart{{Key: "userId", Value: "7"}, {Key: "orderId", Value: "42"}}
		c, err := corr.Create(ctx, "instance-1", parts...)
		require.NoError(t, err)
		require.Len(t, c.ID, 36)
		require.Equal(t, store.EncodeCorrelation(parts...), c.EncodedID)
		require.Equal(t, []store.CorrelationPart{{Key: "orderId", Value: "42"}, {Key: "userId", Value: "7"}}, c.Parts)

		// The same correlation in another order is the same encoded id.
		_, err = corr.Create(ctx, "instance-2", parts[1], parts[0])
		require.ErrorIs(t, err, store.ErrDuplicate)

		got, err := corr.FindByEncodedID(ctx, c.EncodedID)
		require.NoError(t, err)
		require.Equal(t, *c, *got)
		got, err = corr.FindByCorrelatedID(ctx, "instance-1")
		require.NoError(t, err)
		require.Equal(t, c.EncodedID, got.EncodedID)
		require.Equal(t, c.Parts, got.Parts)

		// Stored the way Kogito's Jackson mapper writes a CompositeCorrelation.
		var doc string
		require.NoError(t, db.SQL().QueryRowContext(ctx, db.Dialect().Rebind(`SELECT correlation FROM correlation_instances WHERE id = ?`), c.ID).Scan(&doc))
		require.JSONEq(t, `{"key":"orderId|userId","value":[{"key":"orderId","value":"42"},{"key":"userId","value":"7"}]}`, doc)
		require.Equal(t, 1, snapRawCount(t, db, `SELECT COUNT(*) FROM correlation_instances WHERE version IS NULL`))

		// A single correlation written by an older writer reads as one part.
		_, err = db.SQL().ExecContext(ctx, db.Dialect().Rebind(`INSERT INTO correlation_instances (id, encoded_correlation_id, correlated_id, correlation) VALUES (?, ?, ?, ?)`),
			"6f1c4c1e-0000-4000-8000-000000000001", store.EncodeCorrelation(store.CorrelationPart{Key: "k", Value: "v"}), "instance-3", `{"key":"k","value":"v"}`)
		require.NoError(t, err)
		got, err = corr.FindByCorrelatedID(ctx, "instance-3")
		require.NoError(t, err)
		require.Equal(t, []store.CorrelationPart{{Key: "k", Value: "v"}}, got.Parts)

		require.NoError(t, corr.Delete(ctx, c.EncodedID))
		require.ErrorIs(t, corr.Delete(ctx, c.EncodedID), store.ErrNotFound)
		_, err = corr.FindByEncodedID(ctx, c.EncodedID)
		require.ErrorIs(t, err, store.ErrNotFound)
		_, err = corr.FindByCorrelatedID(ctx, "instance-1")
		require.ErrorIs(t, err, store.ErrNotFound)

		_, err = corr.Create(ctx, "", parts...)
		require.ErrorIs(t, err, store.ErrInvalid)
		_, err = corr.Create(ctx, "instance-9")
		require.ErrorIs(t, err, store.ErrInvalid)
	})
}
