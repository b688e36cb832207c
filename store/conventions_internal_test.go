package store

import (
	"math/rand/v2"
	"testing"
	"time"
)

// TestOffsetStretchesShiftEveryValueOnce applies the stretches the way
// convertUTCColumns's UPDATEs do — each shifts the values then inside its
// span — to values spread over years of daylight-saving changes, and
// checks that every value ends as its instant's wall clock in the zone:
// none shifted twice, none missed.
func TestOffsetStretchesShiftEveryValueOnce(t *testing.T) {
	for _, name := range []string{"Europe/Copenhagen", "America/New_York", "Australia/Lord_Howe", "UTC", "Asia/Kolkata"} {
		zone, err := time.LoadLocation(name)
		if err != nil {
			t.Fatal(err)
		}
		rng := rand.New(rand.NewPCG(1, 2))
		start := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
		values := make([]time.Time, 2000) // UTC wall clocks, as stored
		want := make([]time.Time, len(values))
		for i := range values {
			at := start.Add(time.Duration(rng.Int64N(int64(3 * 365 * 24 * time.Hour))))
			if i < 8 { // values at the very transitions, too
				at = time.Date(2025, 3, 30, 1, 0, 0, 0, time.UTC).Add(time.Duration(i-4) * time.Second)
			}
			values[i] = at
			w := at.In(zone)
			want[i] = time.Date(w.Year(), w.Month(), w.Day(), w.Hour(), w.Minute(), w.Second(), w.Nanosecond(), time.UTC)
		}
		lo, hi := values[0], values[0]
		for _, v := range values {
			if v.Before(lo) {
				lo = v
			}
			if v.After(hi) {
				hi = v
			}
		}
		for _, s := range offsetStretches(zone, lo, hi) {
			for i, v := range values {
				if !v.Before(s.from) && v.Before(s.to) {
					values[i] = v.Add(time.Duration(s.offset) * time.Second)
				}
			}
		}
		for i := range values {
			if !values[i].Equal(want[i]) {
				t.Fatalf("%s: value %d became %v, want %v", name, i, values[i], want[i])
			}
		}
	}
}
