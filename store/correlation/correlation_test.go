package correlation_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/stretchr/testify/require"

	"github.com/flowstore/flowstore/internal/testdb"
	"github.com/flowstore/flowstore/store"
	"github.com/flowstore/flowstore/store/correlation"
)

// newStore returns the correlation store of db.
func newStore(t testing.TB, db *store.DB) correlation.Store {
	t.Helper()
	c, err := correlation.New(db)
	require.NoError(t, err)
	return c
}

func rawCount(t testing.TB, db *store.DB, query string, args ...any) int {
	t.Helper()
	var n int
	require.NoError(t, db.SQL().QueryRowContext(context.Background(), db.SQLDialect().Rebind(query), args...).Scan(&n))
	return n
}

// kogitoVector is what Kogito computes for a CompositeCorrelation built from
// parts (given in this order, as a LinkedHashSet): the encoded id of its
// MD5CorrelationEncoder, the key of the correlation (getKey) and its parts in
// the order it holds them (getValue). The vectors were computed by running
// Kogito's own classes — org.kie.kogito.correlation.{Correlation,
// SimpleCorrelation,CompositeCorrelation} and
// org.kie.kogito.event.correlation.MD5CorrelationEncoder of
// apache/incubator-kie-kogito-runtimes @ c8326cb — on Java 17 with
// file.encoding=UTF-8; the MD5s agree with printf '%s' "$input" | md5sum.
// Kogito's own test vectors are the first two.
var kogitoVectors = []struct {
	parts   []correlation.Part
	input   string // what is hashed, for the reader
	encoded string
	key     string
	order   []correlation.Part
}{
	{ps("aaaa", "bbbb"), "aaaa|bbbb", "c818ccd6be2b10823eb7208d162879d0", "aaaa", ps("aaaa", "bbbb")},
	{ps("eeee", "ffff", "aaaa", "bbbb", "cccc", "dddd"), "aaaa|bbbb|cccc|dddd|eeee|ffff", "fc5428e42b043a7089d7a15d65558ca2", "aaaa|cccc|eeee", ps("aaaa", "bbbb", "cccc", "dddd", "eeee", "ffff")},
	{ps("orderId", "42"), "orderId|42", "c683b6578d8fa2fd3337904d2ec4ae06", "orderId", ps("orderId", "42")},
	{ps("userId", "7", "orderId", "42"), "orderId|42|userId|7", "5d18ec4585c1d54957f475161ada7ceb", "orderId|userId", ps("orderId", "42", "userId", "7")},
	// The hash sorts the "key|value" renderings; the key and the parts are
	// in key order. The two differ when one key is a prefix of another and
	// the longer one goes on with a character below '|'.
	{ps("customer-id", "a", "customer", "z"), "customer-id|a|customer|z", "ae231d990fda2dfc047779f99e6b3c33", "customer|customer-id", ps("customer", "z", "customer-id", "a")},
	{ps("customer", "z", "customer-id", "a"), "customer-id|a|customer|z", "ae231d990fda2dfc047779f99e6b3c33", "customer|customer-id", ps("customer", "z", "customer-id", "a")},
	{ps("id.x", "1", "id", "2"), "id.x|1|id|2", "bbf1fdefb9c541abf71cb7f8281e40d5", "id|id.x", ps("id", "2", "id.x", "1")},
	{ps("city", "Zürich"), "city|Zürich", "08ff8ec820de242680a2988f67c14bca", "city", ps("city", "Zürich")},
	// Java orders strings by UTF-16 code units: U+1F600 (D83D DE00) before
	// U+FF21, where UTF-8 bytes (F0… > EF…) would put it after.
	{ps("kＡ", "1", "k😀", "2"), "k😀|2|kＡ|1", "1fa4bd994e7b5ae26a922a46abd3ab52", "k😀|kＡ", ps("k😀", "2", "kＡ", "1")},
	{ps("k", ""), "k|", "d95ab12371631a895ab2fd4f787d2062", "k", ps("k", "")},
	// The parts are a set ordered by key alone: one part per key, the first
	// the set was given.
	{ps("k", "v1", "k", "v2"), "k|v1", "0e78f44879b157878f2c5be1b46563d4", "k", ps("k", "v1")},
	{ps("k", "v", "k", "v"), "k|v", "8f37ba8759ab5910c212a4781f2a8e3b", "k", ps("k", "v")},
	// A null value renders as "null" (how a row's missing value reads).
	{ps("k", "null"), "k|null", "c85201da448dcd319c1ae198fe54da5f", "k", ps("k", "null")},
}

// ps builds parts from key, value pairs.
func ps(kv ...string) []correlation.Part {
	out := make([]correlation.Part, 0, len(kv)/2)
	for i := 0; i < len(kv); i += 2 {
		out = append(out, correlation.Part{Key: kv[i], Value: kv[i+1]})
	}
	return out
}

// TestEncodeVectors: Encode is Kogito's MD5CorrelationEncoder, checked
// against the vectors Kogito's classes compute.
func TestEncodeVectors(t *testing.T) {
	for _, v := range kogitoVectors {
		require.Equal(t, v.encoded, correlation.Encode(v.parts...), v.input)
	}
}

func TestCorrelations(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		corr := newStore(t, db)
		parts := []correlation.Part{{Key: "userId", Value: "7"}, {Key: "orderId", Value: "42"}}
		c, err := corr.Create(ctx, "instance-1", parts...)
		require.NoError(t, err)
		require.Len(t, c.ID, 36)
		require.Equal(t, correlation.Encode(parts...), c.EncodedID)
		require.Equal(t, []correlation.Part{{Key: "orderId", Value: "42"}, {Key: "userId", Value: "7"}}, c.Parts)

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
		require.NoError(t, db.SQL().QueryRowContext(ctx, db.SQLDialect().Rebind(`SELECT correlation FROM correlation_instances WHERE id = ?`), c.ID).Scan(&doc))
		require.JSONEq(t, `{"key":"orderId|userId","value":[{"key":"orderId","value":"42"},{"key":"userId","value":"7"}]}`, doc)
		require.Equal(t, 1, rawCount(t, db, `SELECT COUNT(*) FROM correlation_instances WHERE version IS NULL`))

		// A single correlation written by an older writer reads as one part.
		_, err = db.SQL().ExecContext(ctx, db.SQLDialect().Rebind(`INSERT INTO correlation_instances (id, encoded_correlation_id, correlated_id, correlation) VALUES (?, ?, ?, ?)`),
			"6f1c4c1e-0000-4000-8000-000000000001", correlation.Encode(correlation.Part{Key: "k", Value: "v"}), "instance-3", `{"key":"k","value":"v"}`)
		require.NoError(t, err)
		got, err = corr.FindByCorrelatedID(ctx, "instance-3")
		require.NoError(t, err)
		require.Equal(t, []correlation.Part{{Key: "k", Value: "v"}}, got.Parts)

		require.NoError(t, corr.Delete(ctx, c.EncodedID))
		err = corr.Delete(ctx, c.EncodedID)
		require.ErrorIs(t, err, store.ErrNotFound)
		require.EqualError(t, err, "correlation: delete "+c.EncodedID+": not found")
		_, err = corr.FindByEncodedID(ctx, c.EncodedID)
		require.ErrorIs(t, err, store.ErrNotFound)
		_, err = corr.FindByCorrelatedID(ctx, "instance-1")
		require.ErrorIs(t, err, store.ErrNotFound)
		require.EqualError(t, err, `correlation: find by correlated id "instance-1": not found`)

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
		require.Equal(t, want, correlation.CompareUTF16(a, b), "%q vs %q", a, b)
	}
	// Invalid UTF-8 that reads the same as UTF-16 still orders totally.
	require.Equal(t, -1, correlation.CompareUTF16("\xfe", "\xff"))
	require.Equal(t, 1, correlation.CompareUTF16("\xff", "\xfe"))
}

// TestCorrelationsKogitoOrder: Create stores every vector as Kogito stores
// its CompositeCorrelation — the encoded id, the key joining the keys in key
// order, the parts in key order — and reads it back so; a key given twice
// with different values is refused rather than half dropped.
func TestCorrelationsKogitoOrder(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		corr := newStore(t, db)
		created := map[string]bool{}
		for i, v := range kogitoVectors {
			if created[v.encoded] {
				// The same parts in another order: the same correlation.
				_, err := corr.Create(ctx, "instance-again", v.parts...)
				require.ErrorIs(t, err, store.ErrDuplicate, v.input)
				continue
			}
			created[v.encoded] = true
			if v.input == "k|v1" {
				_, err := corr.Create(ctx, "instance-dup", v.parts...)
				require.ErrorIs(t, err, store.ErrInvalid)
				require.Contains(t, err.Error(), `key "k" given twice`)
				continue
			}
			id := fmt.Sprintf("instance-%d", i)
			c, err := corr.Create(ctx, id, v.parts...)
			require.NoError(t, err, v.input)
			require.Equal(t, v.encoded, c.EncodedID, v.input)
			require.Equal(t, v.order, c.Parts, v.input)
			var doc string
			require.NoError(t, db.SQL().QueryRowContext(ctx, db.SQLDialect().Rebind(`SELECT correlation FROM correlation_instances WHERE correlated_id = ?`), id).Scan(&doc))
			require.Equal(t, jacksonJSON(v.key, v.order), doc, v.input)
			got, err := corr.FindByEncodedID(ctx, v.encoded)
			require.NoError(t, err, v.input)
			require.Equal(t, v.order, got.Parts, v.input)
			require.Equal(t, id, got.CorrelatedID)
		}
		require.Zero(t, rawCount(t, db, `SELECT COUNT(*) FROM correlation_instances WHERE correlated_id = ?`, "instance-dup"))
	})
}

// New(nil) is store.ErrInvalid, not a store that panics later.
func TestNewRefusesNilDB(t *testing.T) {
	c, err := correlation.New(nil)
	require.ErrorIs(t, err, store.ErrInvalid)
	require.Nil(t, c)
	require.EqualError(t, err, "correlation: new store: invalid input: nil *store.DB")
}

// A duplicate inside a session is reported and leaves the session usable:
// on PostgreSQL a failed statement would otherwise abort the transaction.
func TestDuplicateInSessionKeepsSession(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		corr := newStore(t, db)
		_, err := corr.Create(ctx, "dup", correlation.Part{Key: "k", Value: "v"})
		require.NoError(t, err)
		err = db.InTx(ctx, func(ctx context.Context, sess *store.Session) error {
			tx := corr.WithTx(sess)
			if _, err := tx.Create(ctx, "other", correlation.Part{Key: "k", Value: "v"}); !errors.Is(err, store.ErrDuplicate) {
				return fmt.Errorf("want ErrDuplicate, got %v", err)
			}
			_, err := tx.Create(ctx, "after", correlation.Part{Key: "k", Value: "after"})
			return err
		})
		require.NoError(t, err)
		got, err := corr.FindByCorrelatedID(ctx, "after")
		require.NoError(t, err, "the session committed the write after the duplicate")
		require.Equal(t, correlation.Encode(correlation.Part{Key: "k", Value: "after"}), got.EncodedID)
	})
}

// correlated_id is NVARCHAR(36) on SQL Server, which counts a character
// above U+FFFF twice; the check happens before the statement runs, so an
// offline handle shows it.
func TestCorrelationCorrelatedIDLength(t *testing.T) {
	ctx := context.Background()
	part := correlation.Part{Key: "k", Value: "v"}
	mssql := newStore(t, testdb.Offline(store.SQLServer))
	_, err := mssql.Create(ctx, strings.Repeat("😀", 19), part) // 38 UTF-16 code units
	require.ErrorIs(t, err, store.ErrTooLong)
	require.Contains(t, err.Error(), "correlation_instances.correlated_id")
	require.Contains(t, err.Error(), "38 UTF-16 code units")
	_, err = mssql.Create(ctx, strings.Repeat("😀", 18), part) // fits; the offline handle then fails to run it
	require.Error(t, err)
	require.NotErrorIs(t, err, store.ErrTooLong)

	sqlite := newStore(t, testdb.Offline(store.SQLite))
	_, err = sqlite.Create(ctx, strings.Repeat("😀", 19), part) // 19 characters fit elsewhere
	require.NotErrorIs(t, err, store.ErrTooLong)
	_, err = sqlite.Create(ctx, strings.Repeat("é", 37), part)
	require.ErrorIs(t, err, store.ErrTooLong)
}
