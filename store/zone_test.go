package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/flowstore/flowstore/internal/testdb"
	"github.com/flowstore/flowstore/store"
)

// TestNaiveTimesRoundTrip writes a naive time into an OpenOrchestrator
// column (Constants.changed_at) in SQLAlchemy's text form, as
// OpenOrchestrator does, and reads it back as the instant it names in the
// configured zone, on every dialect — also the wall clock of a zone far
// from UTC, and an instant in the hour a fall-back repeats.
func TestNaiveTimesRoundTrip(t *testing.T) {
	zone, err := time.LoadLocation("America/New_York")
	require.NoError(t, err)
	testdb.Each(t, func(t *testing.T, base *store.DB) {
		db, err := store.New(context.Background(), base.Bun(), store.WithZone(zone))
		require.NoError(t, err)
		ctx := context.Background()
		q := db.SQLDialect().Quote
		insert := db.SQLDialect().Rebind("INSERT INTO " + q("Constants") + " (" + q("name") + ", " + q("value") + ", " + q("changed_at") + ") VALUES (?, 'v', ?)")
		read := db.SQLDialect().Rebind("SELECT " + q("changed_at") + " FROM " + q("Constants") + " WHERE " + q("name") + " = ?")
		for name, at := range map[string]time.Time{
			"summer":   time.Date(2026, 7, 1, 23, 47, 13, 123456000, time.UTC),
			"winter":   time.Date(2026, 1, 2, 3, 4, 5, 600000000, time.UTC),
			"fallback": time.Date(2026, 11, 1, 5, 30, 0, 0, time.UTC), // 01:30 EDT, the first of two
		} {
			naive := db.Naive(at)
			require.Len(t, naive, len(store.NaiveLayout), "always six fraction digits")
			require.Equal(t, at.In(zone).Format("2006-01-02 15:04:05"), naive.(string)[:19])
			_, err := db.SQL().ExecContext(ctx, insert, name, naive)
			require.NoError(t, err, name)
			var got time.Time
			require.NoError(t, db.SQL().QueryRowContext(ctx, read, name).Scan(&got), name)
			require.True(t, db.FromNaive(got).Equal(at), "%s: wrote %s (%v), read %v", name, naive, at, db.FromNaive(got))
		}
		// Naive times compare as OpenOrchestrator compares them: as wall
		// clocks of the zone.
		var n int
		cmp := db.SQLDialect().Rebind("SELECT COUNT(*) FROM " + q("Constants") + " WHERE " + q("changed_at") + " < ?")
		require.NoError(t, db.SQL().QueryRowContext(ctx, cmp, db.Naive(time.Date(2026, 7, 1, 23, 47, 13, 123457000, time.UTC))).Scan(&n))
		require.Equal(t, 2, n, "winter and summer, not November")
		require.NoError(t, db.SQL().QueryRowContext(ctx, cmp, db.Naive(time.Date(2026, 7, 1, 23, 47, 13, 123456000, time.UTC))).Scan(&n))
		require.Equal(t, 1, n, "to the microsecond")
	})
}

func TestRefUUID(t *testing.T) {
	id := uuid.MustParse("0190a5d0-ac96-774b-bcce-b302099a8057")
	for _, name := range store.DialectNames() {
		db := testdb.Offline(name)
		switch name {
		case store.Postgres, store.SQLServer:
			require.Equal(t, id, db.RefUUID(id), name)
			require.Equal(t, []any{id}, db.RefUUIDs(id), name)
		default:
			require.Equal(t, "0190a5d0ac96774bbcceb302099a8057", db.RefUUID(id), name)
			require.Equal(t, []any{"0190a5d0ac96774bbcceb302099a8057", id.String()}, db.RefUUIDs(id), name)
		}
	}
}

func TestZoneName(t *testing.T) {
	cph, err := time.LoadLocation("Europe/Copenhagen")
	require.NoError(t, err)
	require.Equal(t, "Europe/Copenhagen", store.ZoneName(cph))
	require.Equal(t, "UTC", store.ZoneName(time.UTC))
	t.Setenv("TZ", "Asia/Tokyo")
	require.Equal(t, "Asia/Tokyo", store.ZoneName(time.Local))
	db := testdb.Offline(store.SQLite)
	require.Equal(t, time.Local, db.Zone(), "the local zone unless configured")
}
