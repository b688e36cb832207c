package queue

import (
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf16"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/flowstore/flowstore/store"
)

// Offline checks of the order claims hand elements out in, and of the
// length rules, without a database.

func mustIDs(t *testing.T, ss ...string) []uuid.UUID {
	t.Helper()
	ids := make([]uuid.UUID, len(ss))
	for i, s := range ss {
		ids[i] = uuid.MustParse(s)
	}
	return ids
}

func TestSQLServerGUIDOrder(t *testing.T) {
	// Microsoft's own example ("Comparing GUID and uniqueidentifier
	// values", ADO.NET docs): SqlGuid, which sorts as SQL Server does,
	// orders these by their last group, Guid by their first.
	ids := mustIDs(t,
		"3aaaaaaa-bbbb-cccc-dddd-2eeeeeeeeeee",
		"2aaaaaaa-bbbb-cccc-dddd-1eeeeeeeeeee",
		"1aaaaaaa-bbbb-cccc-dddd-3eeeeeeeeeee")
	slices.SortFunc(ids, compareSQLServerGUIDs)
	require.Equal(t, mustIDs(t,
		"2aaaaaaa-bbbb-cccc-dddd-1eeeeeeeeeee",
		"3aaaaaaa-bbbb-cccc-dddd-2eeeeeeeeeee",
		"1aaaaaaa-bbbb-cccc-dddd-3eeeeeeeeeee"), ids)
	slices.SortFunc(ids, compareBytes)
	require.Equal(t, mustIDs(t,
		"1aaaaaaa-bbbb-cccc-dddd-3eeeeeeeeeee",
		"2aaaaaaa-bbbb-cccc-dddd-1eeeeeeeeeee",
		"3aaaaaaa-bbbb-cccc-dddd-2eeeeeeeeeee"), ids)

	// Every byte position counts exactly once.
	seen := map[int]bool{}
	for _, i := range sqlServerGUIDOrder {
		require.False(t, seen[i], "byte %d twice", i)
		seen[i] = true
	}
	require.Len(t, seen, 16)
	// Within the first three groups SQL Server reads the bytes backwards:
	// 00000001-… (byte 3 set) sorts after 01000000-… (byte 0 set).
	require.Equal(t, 1, compareSQLServerGUIDs(uuid.MustParse("00000001-0000-0000-0000-000000000000"), uuid.MustParse("01000000-0000-0000-0000-000000000000")))
	require.Equal(t, 0, compareSQLServerGUIDs(ids[0], ids[0]))
}

// TestUUIDv7BatchOrderNeedsCreatedDate is why EnqueueBatch stamps distinct
// created_dates: the UUIDv7s of a batch, generated in order, are in order
// byte-wise but not in SQL Server's order.
func TestUUIDv7BatchOrderNeedsCreatedDate(t *testing.T) {
	ids := make([]uuid.UUID, 200)
	for i := range ids {
		ids[i] = uuid.Must(uuid.NewV7())
	}
	require.True(t, slices.IsSortedFunc(ids, compareBytes), "UUIDv7s of one process sort by time byte-wise")
	require.False(t, slices.IsSortedFunc(ids, compareSQLServerGUIDs), "but not as SQL Server sorts uniqueidentifier (random last bytes first)")
}

func TestBatchCreated(t *testing.T) {
	start := time.Date(2026, 3, 1, 12, 0, 0, 999998000, time.UTC)
	require.True(t, batchCreated(start, 0).Equal(start))
	require.Equal(t, time.Date(2026, 3, 1, 12, 0, 1, 1000, time.UTC), batchCreated(start, 3), "across a second boundary")
	require.Equal(t, batchCreated(start, 3), store.UTC(batchCreated(start, 3)), "microseconds: nothing for the columns to round")
}

// TestClaimOrder checks that the Go re-sort of claimed rows orders as each
// dialect's ORDER BY created_date, id does: a batch's elements (distinct
// created_dates) in input order everywhere, ties between elements of the
// same microsecond by the dialect's id order.
func TestClaimOrder(t *testing.T) {
	start := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	// A batch whose ids run against SQL Server's order: its created_dates
	// alone must keep it in input order.
	batchIDs := mustIDs(t,
		"00000000-0000-7000-8000-000000000003",
		"00000000-0000-7000-8000-000000000002",
		"00000000-0000-7000-8000-000000000001")
	var batch []Element
	for i, id := range batchIDs {
		batch = append(batch, Element{ID: id, CreatedDate: batchCreated(start, i)})
	}
	// Two unrelated elements of one microsecond, later.
	tieA := Element{ID: uuid.MustParse("2aaaaaaa-bbbb-cccc-dddd-1eeeeeeeeeee"), CreatedDate: start.Add(time.Second)}
	tieB := Element{ID: uuid.MustParse("1aaaaaaa-bbbb-cccc-dddd-3eeeeeeeeeee"), CreatedDate: start.Add(time.Second)}

	for _, d := range store.Dialects() {
		t.Run(string(d), func(t *testing.T) {
			ds := newDialectSQL(d)
			els := []Element{tieA, batch[2], tieB, batch[0], batch[1]}
			slices.SortFunc(els, ds.claimOrder)
			want := []Element{batch[0], batch[1], batch[2], tieB, tieA} // byte order: 1aaa… < 2aaa…
			if d == store.SQLServer {
				want = []Element{batch[0], batch[1], batch[2], tieA, tieB} // last group: 1eee… < 3eee…
			}
			require.Equal(t, want, els)
		})
	}
}

func TestUTF16LenAndCut(t *testing.T) {
	const (
		bmp   = "é" // U+00E9: 2 bytes, 1 character, 1 UTF-16 unit
		astro = "😀" // U+1F600: 4 bytes, 1 character, 2 UTF-16 units (a surrogate pair)
	)
	units := func(s string) int { return len(utf16.Encode([]rune(s))) }
	for _, s := range []string{"", "abc", bmp, astro, "a" + astro + bmp + astro, strings.Repeat(astro, 600)} {
		require.Equal(t, units(s), utf16Len(s), "%q", s)
	}
	require.Equal(t, 2, utf16Len(astro))
	require.Equal(t, 1200, utf16Len(strings.Repeat(astro, 600)))

	// Characters (PostgreSQL, SQLite, MySQL).
	require.Equal(t, "a"+astro, cut("a"+astro+bmp, 2, false))
	require.Equal(t, strings.Repeat(astro, 1000), cut(strings.Repeat(astro, 1001), 1000, false))
	require.Equal(t, "short", cut("short", 1000, false))

	// UTF-16 code units (SQL Server): a pair that does not fit entirely is
	// dropped whole, never split.
	require.Equal(t, "a", cut("a"+astro, 2, true), "1 + 2 units > 2")
	require.Equal(t, "a"+astro, cut("a"+astro+"b", 3, true))
	require.Equal(t, strings.Repeat(astro, 500), cut(strings.Repeat(astro, 600), 1000, true))
	require.Equal(t, strings.Repeat(astro, 499)+"a", cut(strings.Repeat(astro, 499)+"a"+astro, 1000, true))
	for _, s := range []string{strings.Repeat(astro, 600), strings.Repeat("a"+astro, 400), strings.Repeat(bmp+astro+"x", 300)} {
		got := cut(s, MaxMessage, true)
		require.LessOrEqual(t, utf16Len(got), MaxMessage)
		require.True(t, strings.HasPrefix(s, got))
		require.Greater(t, utf16Len(s[:len(got)+firstCharLen(s[len(got):])]), MaxMessage, "the longest prefix that fits")
	}
}

// firstCharLen is the byte length of s's first character.
func firstCharLen(s string) int {
	for i := range s {
		if i > 0 {
			return i
		}
	}
	return len(s)
}
