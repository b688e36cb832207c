package trigger

import (
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
	trimmed := strings.TrimSpace(expr)
	if trimmed == "" {
		return Schedule{}, fmt.Errorf("%w: empty cron expression", store.ErrInvalid)
	}
	body := trimmed
	if strings.HasPrefix(body, "CRON_TZ=") || strings.HasPrefix(body, "TZ=") {
		if _, rest, ok := strings.Cut(body, " "); ok {
			body = strings.TrimSpace(rest)
		}
	}
	if strings.HasPrefix(body, "@every") {
		return Schedule{}, fmt.Errorf("%w: cron expression %q: @every is not supported; use a five-field expression", store.ErrInvalid, expr)
	}
	s, err := cronParser.Parse(trimmed)
	if err != nil {
		return Schedule{}, fmt.Errorf("%w: cron expression %q: %v", store.ErrInvalid, expr, err)
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
// the first 02:30 only, and in spring a local time that does not exist that
// day is skipped.
func (s Schedule) Next(t time.Time) time.Time {
	if s.sched == nil {
		return time.Time{}
	}
	loc := time.UTC
	if spec, ok := s.sched.(*cron.SpecSchedule); ok && spec.Location != nil {
		loc = spec.Location
	}
	next := s.sched.Next(t.UTC())
	// The clock fell back: next shows a wall-clock time that was already
	// reached before t. Skip it.
	for i := 0; i < 4 && !next.IsZero() && !wallClock(next, loc).After(wallClock(t, loc)); i++ {
		next = s.sched.Next(next)
	}
	return store.UTC(next)
}

// wallClock is t's local date and time in loc, read as if it were UTC, so
// that two instants can be compared by what a wall clock showed.
func wallClock(t time.Time, loc *time.Location) time.Time {
	l := t.In(loc)
	return time.Date(l.Year(), l.Month(), l.Day(), l.Hour(), l.Minute(), l.Second(), l.Nanosecond(), time.UTC)
}
