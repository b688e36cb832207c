package queue

import (
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf16"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/flowstore/flowstore/internal/testdb"
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

// TestUUIDv7BatchOrderNeedsCreatedDate is why EnqueueBatch stamps distinct
// created_dates: the UUIDv7s of a batch, generated in order, are in order
// byte-wise but not in SQL Server's order.
func TestUUIDv7BatchOrderNeedsCreatedDate(t *testing.T) {
	ids := make([]uuid.UUID, 200)
	for i := range ids {
		ids[i] = uuid.Must(uuid.NewV7())
	}
	for _, d := range []store.DialectName{store.SQLite, store.Postgres, store.MySQL} {
		require.True(t, slices.IsSortedFunc(ids, dialect(t, d).CompareUUIDs), "UUIDv7s of one process sort by time as %s orders ids", d)
	}
	require.False(t, slices.IsSortedFunc(ids, dialect(t, store.SQLServer).CompareUUIDs), "but not as SQL Server sorts uniqueidentifier (random last bytes first)")
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

	utc := func(t time.Time) time.Time { return t }
	for _, d := range store.DialectNames() {
		t.Run(string(d), func(t *testing.T) {
			ds := newStatements(dialect(t, d), 1)
			els := []Element{tieA, batch[2], tieB, batch[0], batch[1]}
			slices.SortFunc(els, ds.claimOrder(utc))
			want := []Element{batch[0], batch[1], batch[2], tieB, tieA} // byte order: 1aaa… < 2aaa…
			if d == store.SQLServer {
				want = []Element{batch[0], batch[1], batch[2], tieA, tieB} // last group: 1eee… < 3eee…
			}
			require.Equal(t, want, els)
		})
	}
}

// TestHexIDsSortAsCompareUUIDs: where ids are text, OpenOrchestrator's 32
// hex digits (store.DB.RefUUID) sort as the dashed form does, and as the
// dialect's CompareUUIDs says — so the Go re-sort of a claim and the id
// tie-break of the database's ORDER BY agree.
func TestHexIDsSortAsCompareUUIDs(t *testing.T) {
	ids := make([]uuid.UUID, 500)
	for i := range ids {
		ids[i] = uuid.New() // random: every byte varies
	}
	ids = append(ids, uuid.MustParse("0192abcd-0000-7000-8000-000000000000"), uuid.MustParse("0192abcd-ffff-7000-8000-000000000000"))
	for _, d := range []store.DialectName{store.SQLite, store.MySQL} {
		db := testdb.Offline(d)
		require.IsType(t, "", db.RefUUID(ids[0]), "%s stores ids as text", d)
		byText := slices.Clone(ids)
		slices.SortFunc(byText, func(a, b uuid.UUID) int { return strings.Compare(db.RefUUID(a).(string), db.RefUUID(b).(string)) })
		byDialect := slices.Clone(ids)
		slices.SortFunc(byDialect, dialect(t, d).CompareUUIDs)
		require.Equal(t, byDialect, byText, d)
		byDashed := slices.Clone(ids)
		slices.SortFunc(byDashed, func(a, b uuid.UUID) int { return strings.Compare(a.String(), b.String()) })
		require.Equal(t, byDialect, byDashed, d)
	}
}

// TestClaimOrderInFallBackHour: the Go re-sort of claimed rows orders by
// the stored wall clock, as the database's ORDER BY created_date does, not
// by the instants — which differ in the hour a fall-back repeats, where an
// element created in the second pass (02:10 CET) sorts before one created
// in the first (02:50 CEST), for OpenOrchestrator and the database alike.
func TestClaimOrderInFallBackHour(t *testing.T) {
	zone, err := time.LoadLocation("Europe/Copenhagen")
	require.NoError(t, err)
	db, err := store.New(t.Context(), testdb.Offline(store.SQLite).Bun(), store.WithZone(zone))
	require.NoError(t, err)
	s := &bunStore{db: db, d: db.SQLDialect(), sql: newStatements(db.SQLDialect(), 2)}
	first := Element{ID: uuid.MustParse("00000000-0000-7000-8000-000000000001"), CreatedDate: time.Date(2026, 10, 25, 0, 50, 0, 0, time.UTC)}  // 02:50 CEST
	second := Element{ID: uuid.MustParse("00000000-0000-7000-8000-000000000002"), CreatedDate: time.Date(2026, 10, 25, 1, 10, 0, 0, time.UTC)} // 02:10 CET
	require.Equal(t, "2026-10-25 02:50:00.000000", db.Naive(first.CreatedDate))
	require.Equal(t, "2026-10-25 02:10:00.000000", db.Naive(second.CreatedDate))
	els := []Element{first, second}
	slices.SortFunc(els, s.sql.claimOrder(s.wall))
	require.Equal(t, []Element{second, first}, els, "as ORDER BY created_date sorts the stored text")
}

// TestMessageCut checks how a finishing message is cut to fit when a
// Result asks for it (TruncateMessage): by the dialect's text units, never
// inside a character.
func TestMessageCut(t *testing.T) {
	const (
		bmp   = "é" // U+00E9: 2 bytes, 1 character, 1 UTF-16 unit
		astro = "😀" // U+1F600: 4 bytes, 1 character, 2 UTF-16 units (a surrogate pair)
	)
	chars, utf16s := dialect(t, store.SQLite), dialect(t, store.SQLServer)
	units := func(s string) int { return len(utf16.Encode([]rune(s))) }
	for _, s := range []string{"", "abc", bmp, astro, "a" + astro + bmp + astro, strings.Repeat(astro, 600)} {
		require.Equal(t, units(s), utf16s.TextLen(s), "%q", s)
	}
	require.Equal(t, 2, utf16s.TextLen(astro))
	require.Equal(t, 1200, utf16s.TextLen(strings.Repeat(astro, 600)))

	// Characters (PostgreSQL, SQLite, MySQL).
	for _, d := range []store.DialectName{store.SQLite, store.Postgres, store.MySQL} {
		cd := dialect(t, d)
		require.Equal(t, "a"+astro, cd.CutText("a"+astro+bmp, 2), d)
		require.Equal(t, strings.Repeat(astro, 1000), cd.CutText(strings.Repeat(astro, 1001), 1000), d)
		require.Equal(t, "short", cd.CutText("short", 1000), d)
	}

	// UTF-16 code units (SQL Server): a pair that does not fit entirely is
	// dropped whole, never split.
	require.Equal(t, "a", utf16s.CutText("a"+astro, 2), "1 + 2 units > 2")
	require.Equal(t, "a"+astro, utf16s.CutText("a"+astro+"b", 3))
	require.Equal(t, strings.Repeat(astro, 500), utf16s.CutText(strings.Repeat(astro, 600), 1000))
	require.Equal(t, strings.Repeat(astro, 499)+"a", utf16s.CutText(strings.Repeat(astro, 499)+"a"+astro, 1000))
	for _, s := range []string{strings.Repeat(astro, 600), strings.Repeat("a"+astro, 400), strings.Repeat(bmp+astro+"x", 300)} {
		got := utf16s.CutText(s, MaxMessage)
		require.LessOrEqual(t, utf16s.TextLen(got), MaxMessage)
		require.True(t, strings.HasPrefix(s, got))
		require.Greater(t, utf16s.TextLen(s[:len(got)+firstCharLen(s[len(got):])]), MaxMessage, "the longest prefix that fits")
	}

	// The store cuts with its dialect's rule, and only when asked.
	long := strings.Repeat(astro, MaxMessage+1)
	for cd, fit := range map[*store.Dialect]int{chars: MaxMessage, utf16s: MaxMessage / 2} {
		s := &bunStore{d: cd}
		_, err := s.fitMessage(long, false)
		require.ErrorIs(t, err, store.ErrTooLong, cd.Name())
		got, err := s.fitMessage(long, true)
		require.NoError(t, err)
		require.Equal(t, strings.Repeat(astro, fit), got, cd.Name())
		got, err = s.fitMessage(strings.Repeat(astro, fit), false)
		require.NoError(t, err, "at the limit")
		require.Equal(t, strings.Repeat(astro, fit), got)
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
