package store_test

import (
	"context"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"unicode/utf16"

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
		// Java sorts by UTF-16 code units: U+1F600 (D83D DE00) before
		// U+FF21, where UTF-8 bytes (F0… > EF…) would put it after.
		{[]store.CorrelationPart{p("k", "Ａ"), p("k", "😀")}, "k|😀|k|Ａ", "1df4f59064d617b87f0ea3942cf8dcee"},
		{[]store.CorrelationPart{p("k", "😀"), p("k", "Ａ")}, "k|😀|k|Ａ", "1df4f59064d617b87f0ea3942cf8dcee"},
		// Below U+D800 both orders agree.
		{[]store.CorrelationPart{p("k", "😀"), p("k", "é")}, "k|é|k|😀", "6f1440c6686ed3e059e39dc9dd5e69de"},
		// Kogito's CompositeCorrelation is a Set: a part given twice is one.
		{[]store.CorrelationPart{p("k", "v"), p("k", "v")}, "k|v", "8f37ba8759ab5910c212a4781f2a8e3b"},
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

// TestCompareUTF16 checks the comparator against the definition — compare
// the UTF-16 encodings — on random strings built from the characters where
// UTF-8 and UTF-16 orders part: ASCII, the two ends of the BMP around the
// surrogates, and characters above U+FFFF.
func TestCompareUTF16(t *testing.T) {
	alphabet := []rune{'a', '|', 'é', 0xD7FF, 0xE000, 'Ａ', 0xFFFF, 0x10000, '😀', '😁', 0x10FFFF}
	rng := rand.New(rand.NewPCG(1, 2))
	random := func() string {
		r := make([]rune, rng.IntN(5))
		for i := range r {
			r[i] = alphabet[rng.IntN(len(alphabet))]
		}
		return string(r)
	}
	for range 20000 {
		a, b := random(), random()
		want := slices.Compare(utf16.Encode([]rune(a)), utf16.Encode([]rune(b)))
		require.Equal(t, want, store.CompareUTF16(a, b), "%q vs %q", a, b)
	}
	// Invalid UTF-8 that reads the same as UTF-16 still orders totally.
	require.Equal(t, -1, store.CompareUTF16("\xfe", "\xff"))
	require.Equal(t, 1, store.CompareUTF16("\xff", "\xfe"))
}

// Correlations stores its parts in the encoder's order, so the row's JSON
// and its encoded id agree with what Kogito computes.
func TestCorrelationsNonASCIIOrder(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		corr := store.NewCorrelations(db)
		c, err := corr.Create(ctx, "instance-u", store.CorrelationPart{Key: "k", Value: "Ａ"}, store.CorrelationPart{Key: "k", Value: "😀"}, store.CorrelationPart{Key: "k", Value: "Ａ"})
		require.NoError(t, err)
		require.Equal(t, "1df4f59064d617b87f0ea3942cf8dcee", c.EncodedID)
		want := []store.CorrelationPart{{Key: "k", Value: "😀"}, {Key: "k", Value: "Ａ"}}
		require.Equal(t, want, c.Parts)
		got, err := corr.FindByEncodedID(ctx, "1df4f59064d617b87f0ea3942cf8dcee")
		require.NoError(t, err)
		require.Equal(t, want, got.Parts)
	})
}

// NewCorrelations(nil) does not panic: every method reports ErrInvalid, as
// NewSnapshots(nil) does.
func TestNewCorrelationsNil(t *testing.T) {
	ctx := context.Background()
	_, err := store.NewSnapshots(nil)
	require.ErrorIs(t, err, store.ErrInvalid)
	corr := store.NewCorrelations(nil)
	require.NotNil(t, corr)
	_, err = corr.Create(ctx, "i", store.CorrelationPart{Key: "k", Value: "v"})
	require.ErrorIs(t, err, store.ErrInvalid)
	require.Contains(t, err.Error(), "nil *store.DB")
	_, err = corr.FindByEncodedID(ctx, "e")
	require.ErrorIs(t, err, store.ErrInvalid)
	_, err = corr.FindByCorrelatedID(ctx, "i")
	require.ErrorIs(t, err, store.ErrInvalid)
	require.ErrorIs(t, corr.Delete(ctx, "e"), store.ErrInvalid)
	var sess *store.Session
	require.ErrorIs(t, corr.WithTx(sess).Delete(ctx, "e"), store.ErrInvalid)
}

// correlated_id is NVARCHAR(36) on SQL Server, which counts a character
// above U+FFFF twice; the check happens before the statement runs, so an
// offline handle shows it.
func TestCorrelationCorrelatedIDLength(t *testing.T) {
	ctx := context.Background()
	part := store.CorrelationPart{Key: "k", Value: "v"}
	mssql := store.NewCorrelations(testdb.Offline(store.SQLServer))
	_, err := mssql.Create(ctx, strings.Repeat("😀", 19), part) // 38 UTF-16 code units
	require.ErrorIs(t, err, store.ErrTooLong)
	require.Contains(t, err.Error(), "correlation_instances.correlated_id")
	require.Contains(t, err.Error(), "38 UTF-16 code units")
	_, err = mssql.Create(ctx, strings.Repeat("😀", 18), part) // fits; the offline handle then fails to run it
	require.Error(t, err)
	require.NotErrorIs(t, err, store.ErrTooLong)

	sqlite := store.NewCorrelations(testdb.Offline(store.SQLite))
	_, err = sqlite.Create(ctx, strings.Repeat("😀", 19), part) // 19 characters fit elsewhere
	require.NotErrorIs(t, err, store.ErrTooLong)
	_, err = sqlite.Create(ctx, strings.Repeat("é", 37), part)
	require.ErrorIs(t, err, store.ErrTooLong)
}
