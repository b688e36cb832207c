package trigger_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/flowstore/flowstore/internal/testdb"
	"github.com/flowstore/flowstore/store"
	"github.com/flowstore/flowstore/trigger"
)

// TestBeginAcrossDST walks a CRON_TZ trigger through New York's 2026 clock
// changes with the injected clock, by Begin and End as a scheduler would:
// in autumn the repeated 01:30 fires once; in spring the missing 02:30 is
// skipped; next_run is stored in UTC throughout.
func TestBeginAcrossDST(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		c := newClock(time.Time{})
		s := newStore(t, withClock(t, db, c))
		run := func(tr trigger.Trigger, at time.Time) time.Time {
			t.Helper()
			c.Set(at)
			due, err := s.Due(ctx, at, 0)
			require.NoError(t, err)
			require.Len(t, due, 1, "due at %s", at)
			b, err := s.Begin(ctx, due[0], "dst")
			require.NoError(t, err)
			_, err = s.End(ctx, tr.ID)
			require.NoError(t, err)
			stored := get(t, s, tr.ID)
			require.Equal(t, b.NextRun, stored.NextRun)
			require.Equal(t, time.UTC, stored.NextRun.Location())
			return stored.NextRun
		}

		// Autumn: 2026-11-01 02:00 EDT falls back to 01:00 EST.
		fall, err := s.Create(ctx, scheduled("fall", "CRON_TZ=America/New_York 30 1 * * *", time.Date(2026, 10, 31, 5, 30, 0, 0, time.UTC)))
		require.NoError(t, err)
		next := run(fall, time.Date(2026, 10, 31, 5, 30, 0, 0, time.UTC))
		require.Equal(t, time.Date(2026, 11, 1, 5, 30, 0, 0, time.UTC), next, "01:30 EDT, the first 01:30")
		next = run(fall, next)
		require.Equal(t, time.Date(2026, 11, 2, 6, 30, 0, 0, time.UTC), next, "01:30 EST the next day, not the repeated 01:30 an hour later")
		c.Set(time.Date(2026, 11, 1, 6, 30, 0, 0, time.UTC))
		due, err := s.Due(ctx, c.Now(), 0)
		require.NoError(t, err)
		require.Empty(t, due, "nothing due in the repeated hour")

		// Spring: 2026-03-08 02:00 EST jumps to 03:00 EDT; 02:30 does not exist.
		spring, err := s.Create(ctx, scheduled("spring", "CRON_TZ=America/New_York 30 2 * * *", time.Date(2026, 3, 7, 7, 30, 0, 0, time.UTC)))
		require.NoError(t, err)
		require.NoError(t, s.Delete(ctx, fall.ID))
		next = run(spring, time.Date(2026, 3, 7, 7, 30, 0, 0, time.UTC))
		require.Equal(t, time.Date(2026, 3, 9, 6, 30, 0, 0, time.UTC), next, "the missing 02:30 of March 8 is skipped, then 02:30 EDT")

		// A run missed across the change is not replayed: the scheduler was
		// down from March 9 to March 12, 12:00 UTC.
		next = run(spring, time.Date(2026, 3, 12, 12, 0, 0, 0, time.UTC))
		require.Equal(t, time.Date(2026, 3, 13, 6, 30, 0, 0, time.UTC), next)
	})
}

// TestParseCronDSTNewYork pins Schedule.Next itself around the same edges,
// and an hourly schedule through the repeated hour (each instant once).
func TestParseCronDSTNewYork(t *testing.T) {
	hourly, err := trigger.ParseCron("CRON_TZ=America/New_York 0 * * * *")
	require.NoError(t, err)
	at := time.Date(2026, 11, 1, 4, 30, 0, 0, time.UTC) // 00:30 EDT
	var got []time.Time
	for range 4 {
		at = hourly.Next(at)
		got = append(got, at)
	}
	// 01:00 EDT (05:00Z), then 01:00 EST is the same wall clock: skipped;
	// 02:00 EST (07:00Z), 03:00 EST, 04:00 EST.
	require.Equal(t, []time.Time{
		time.Date(2026, 11, 1, 5, 0, 0, 0, time.UTC),
		time.Date(2026, 11, 1, 7, 0, 0, 0, time.UTC),
		time.Date(2026, 11, 1, 8, 0, 0, 0, time.UTC),
		time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC),
	}, got)
}

// TestParseCronDSTMinuteSchedules: schedules firing every few minutes run
// through the first pass of New York's repeated hour (2026-11-01, 02:00 EDT
// falls back to 01:00 EST) and skip the second pass entirely: no local time
// fires twice, and the next fire time is the first wall-clock time after the
// last one.
func TestParseCronDSTMinuteSchedules(t *testing.T) {
	ny, err := time.LoadLocation("America/New_York")
	require.NoError(t, err)
	utc := func(h, m int) time.Time { return time.Date(2026, 11, 1, h, m, 0, 0, time.UTC) }
	for _, c := range []struct {
		expr string
		from time.Time
		want []time.Time
	}{
		// 01:55 EDT, then 01:00–01:55 EST repeat what was shown: 02:00 EST.
		{"*/5 * * * *", utc(5, 50), []time.Time{utc(5, 55), utc(7, 0), utc(7, 5), utc(7, 10)}},
		{"* * * * *", utc(5, 58), []time.Time{utc(5, 59), utc(7, 0), utc(7, 1), utc(7, 2)}},
		// Asked from inside the second pass (a scheduler that was down
		// through the first): Next knows only t, so the second pass's
		// times after t's wall clock fire, once each.
		{"*/5 * * * *", utc(6, 30), []time.Time{utc(6, 35), utc(6, 40)}},
		// From the first pass's middle: the rest of the first pass.
		{"*/20 * * * *", utc(5, 10), []time.Time{utc(5, 20), utc(5, 40), utc(7, 0), utc(7, 20)}},
	} {
		s, err := trigger.ParseCron("CRON_TZ=America/New_York " + c.expr)
		require.NoError(t, err)
		at := c.from
		var got []time.Time
		seen := map[string]bool{}
		for range c.want {
			at = s.Next(at)
			got = append(got, at)
			wall := at.In(ny).Format("2006-01-02 15:04")
			require.False(t, seen[wall], "%s: local time %s fires twice", c.expr, wall)
			seen[wall] = true
		}
		require.Equal(t, c.want, got, "%s from %s", c.expr, c.from)
	}
}

// FuzzParseCron: any input either fails with store.ErrInvalid or gives a
// schedule whose next time is after the start (or zero: never).
func FuzzParseCron(f *testing.F) {
	for _, seed := range []string{"* * * * *", "@hourly", "CRON_TZ=Europe/Copenhagen 30 2 * * *", "0 0 30 2 *", "61 * * * *", "@every 1m", "TZ=UTC 5 4 * * SUN"} {
		f.Add(seed)
	}
	from := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, expr string) {
		s, err := trigger.ParseCron(expr)
		if err != nil {
			require.ErrorIs(t, err, store.ErrInvalid)
			return
		}
		if next := s.Next(from); !next.IsZero() {
			require.True(t, next.After(from), "%q: next %s", expr, next)
		}
	})
}
