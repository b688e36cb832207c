package trigger_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/flowstore/flowstore/store"
	"github.com/flowstore/flowstore/trigger"
)

func TestParseCronNext(t *testing.T) {
	from := time.Date(2026, 11, 22, 7, 30, 0, 0, time.UTC)
	for expr, want := range map[string]time.Time{
		"*/15 * * * *":                        time.Date(2026, 11, 22, 7, 45, 0, 0, time.UTC),
		"0 9 * * MON-FRI":                     time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC), // the 22nd is a Sunday
		"@hourly":                             time.Date(2026, 11, 22, 8, 0, 0, 0, time.UTC),
		"@daily":                              time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC),
		"CRON_TZ=Europe/Copenhagen 0 9 * * *": time.Date(2026, 11, 22, 8, 0, 0, 0, time.UTC), // CET = UTC+1
	} {
		s, err := trigger.ParseCron(expr)
		require.NoError(t, err, expr)
		got := s.Next(from)
		require.True(t, want.Equal(got), "%s: want %s, got %s", expr, want, got)
		require.Equal(t, time.UTC, got.Location())
	}
}

func TestParseCronRejects(t *testing.T) {
	for _, expr := range []string{"", "* * *", "61 * * * *", "@every 5m", "CRON_TZ=Nowhere/City 0 9 * * *", "0 9 * * * *"} {
		_, err := trigger.ParseCron(expr)
		require.ErrorIs(t, err, store.ErrInvalid, "%q", expr)
	}
}

// DST: Copenhagen moves from CEST to CET on 2026-10-25 at 03:00 local. A
// 02:30 local schedule fires once that night, and 09:00 local lands at 07:00
// UTC before and 08:00 UTC after.
func TestParseCronDST(t *testing.T) {
	s, err := trigger.ParseCron("CRON_TZ=Europe/Copenhagen 0 9 * * *")
	require.NoError(t, err)
	require.Equal(t, time.Date(2026, 10, 24, 7, 0, 0, 0, time.UTC), s.Next(time.Date(2026, 10, 24, 0, 0, 0, 0, time.UTC)))
	require.Equal(t, time.Date(2026, 10, 25, 8, 0, 0, 0, time.UTC), s.Next(time.Date(2026, 10, 24, 12, 0, 0, 0, time.UTC)))

	half, err := trigger.ParseCron("CRON_TZ=Europe/Copenhagen 30 2 * * *")
	require.NoError(t, err)
	first := half.Next(time.Date(2026, 10, 24, 23, 0, 0, 0, time.UTC))
	second := half.Next(first)
	require.Equal(t, time.Date(2026, 10, 25, 0, 30, 0, 0, time.UTC), first, "02:30 CEST")
	require.Equal(t, time.Date(2026, 10, 26, 1, 30, 0, 0, time.UTC), second, "not repeated in the repeated hour")
	// Spring forward 2026-03-29 02:00 -> 03:00: 02:30 does not exist that day.
	spring := half.Next(time.Date(2026, 3, 28, 23, 0, 0, 0, time.UTC))
	t.Logf("spring-forward 02:30 fires at %s", spring)
	require.Equal(t, time.Date(2026, 3, 30, 0, 30, 0, 0, time.UTC), spring, "a local time that does not exist is skipped, not fired twice")
}
