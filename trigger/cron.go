package trigger

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/flowstore/flowstore/store"
)

// Schedule is a parsed cron expression. Next times are computed in the
// expression's time zone (CRON_TZ=…, default UTC) and returned in UTC.
type Schedule struct {
	expr  string
	sched cron.Schedule
}

// cronParser accepts standard five-field expressions (minute hour
// day-of-month month day-of-week) and the descriptors @yearly, @annually,
// @monthly, @weekly, @daily, @midnight and @hourly. A leading "CRON_TZ=Zone "
// (or "TZ=Zone ") sets the time zone the fields are read in.
var cronParser = cron.NewParser(cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)

// ParseCron parses a cron expression. A malformed expression returns an
// error that wraps store.ErrInvalid and quotes the expression. "@every" is
// refused: OpenOrchestrator's cron dialect has no such thing and it would not
// survive being read back by another system.
func ParseCron(expr string) (Schedule, error) {
	s, err := parseCron(expr)
	if err != nil {
		return Schedule{}, fmt.Errorf("%w: cron expression %q: %v", store.ErrInvalid, expr, err)
	}
	return s, nil
}

// parseCron is ParseCron with a bare reason for an error, so that the
// store can name the column instead of "cron expression".
func parseCron(expr string) (Schedule, error) {
	trimmed := strings.TrimSpace(expr)
	if trimmed == "" {
		return Schedule{}, errors.New("empty")
	}
	body := trimmed
	if strings.HasPrefix(body, "CRON_TZ=") || strings.HasPrefix(body, "TZ=") {
		if _, rest, ok := strings.Cut(body, " "); ok {
			body = strings.TrimSpace(rest)
		}
	}
	if strings.HasPrefix(body, "@every") {
		return Schedule{}, errors.New("@every is not supported; use a five-field expression")
	}
	s, err := cronParser.Parse(trimmed)
	if err != nil {
		return Schedule{}, err
	}
	return Schedule{expr: trimmed, sched: s}, nil
}

// String returns the expression as parsed.
func (s Schedule) String() string { return s.expr }

// Next returns the first fire time strictly after t, in UTC with microsecond
// precision. Missed runs are never replayed: asking with "now" skips them, as
// OpenOrchestrator does.
//
// Around daylight-saving changes of a CRON_TZ zone each local wall-clock time
// fires at most once: in the repeated hour of autumn a 02:30 schedule fires at
// the first 02:30 only, a schedule of every few minutes runs through the
// hour's first pass and then waits until the clock shows a time it has not
// shown yet (New York, */5: 01:55 EDT, then 02:00 EST, an hour and five
// minutes later), and in spring a local time that does not exist that day is
// skipped.
func (s Schedule) Next(t time.Time) time.Time {
	if s.sched == nil {
		return time.Time{}
	}
	loc := time.UTC
	if spec, ok := s.sched.(*cron.SpecSchedule); ok && spec.Location != nil {
		loc = spec.Location
	}
	t = t.UTC()
	next := s.sched.Next(t)
	// When the clock falls back, the cron library's next time can show a
	// wall-clock time that t had already reached (the repeated hour).
	// Every instant from t until the clock shows t's wall-clock time a
	// second time shows one that has been shown before, so the search
	// starts again from that later instant: t plus the hour (or whatever
	// the zone's offsets differ by) the clock fell back. From there the
	// wall clock moves forward again. The loop is bounded only against a
	// zone database gone mad: one fall-back a year needs one step.
	for i := 0; i < 8 && !next.IsZero() && !wallClock(next, loc).After(wallClock(t, loc)); i++ {
		t = t.Add(offset(t, loc) - offset(next, loc))
		next = s.sched.Next(t)
	}
	return store.UTC(next)
}

// offset is loc's offset from UTC at the instant t.
func offset(t time.Time, loc *time.Location) time.Duration {
	_, secs := t.In(loc).Zone()
	return time.Duration(secs) * time.Second
}

// wallClock is t's local date and time in loc, read as if it were UTC, so
// that two instants can be compared by what a wall clock showed.
func wallClock(t time.Time, loc *time.Location) time.Time {
	l := t.In(loc)
	return time.Date(l.Year(), l.Month(), l.Day(), l.Hour(), l.Minute(), l.Second(), l.Nanosecond(), time.UTC)
}
