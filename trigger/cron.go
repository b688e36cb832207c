package trigger

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/flowstore/flowstore/store"
)

// ErrNeverFires is the error of a cron expression that parses but matches no
// time at all, such as "0 0 30 2 *" (30 February) or "0 0 31 4 *" (31
// April). It wraps store.ErrInvalid. ParseCron returns it, so every entry
// point that takes a cron expression — Create, Update, orchestrator/pipeline's
// timers, flowctl — refuses such an expression the same way: a trigger that
// can never fire has no next run to wait for.
var ErrNeverFires = fmt.Errorf("%w: cron expression never fires", store.ErrInvalid)

// Schedule is a parsed cron expression. Next times are computed in the
// schedule's zone — the one CRON_TZ= names, else UTC, or the zone In gives
// it — and returned in UTC.
type Schedule struct {
	expr string
	spec *cron.SpecSchedule
	loc  *time.Location // the zone the fields are read in
	// fixed: the expression names its zone (CRON_TZ=, TZ=); In keeps it.
	fixed bool
}

// cronParser accepts standard five-field expressions (minute hour
// day-of-month month day-of-week) and the descriptors @yearly, @annually,
// @monthly, @weekly, @daily, @midnight and @hourly. A leading "CRON_TZ=Zone "
// (or "TZ=Zone ") sets the time zone the fields are read in.
var cronParser = cron.NewParser(cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)

// neverFiresFrom is where parseCron looks for a first fire time. The cron
// library looks five years ahead, and every month and day-of-month that
// exists at all occurs between 2000 and 2005, 29 February included (2000 and
// 2004 are leap years).
var neverFiresFrom = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

// errNoTime is parseCron's reason for an expression that matches no time;
// cronError turns it into ErrNeverFires.
var errNoTime = errors.New("matches no time")

// ParseCron parses and validates a cron expression: the one path every cron
// expression of flowstore goes through. A malformed expression returns an
// error that wraps store.ErrInvalid and quotes the expression; one that
// parses but never fires ("0 0 30 2 *") returns ErrNeverFires (which wraps
// store.ErrInvalid too). "@every" is refused: OpenOrchestrator's cron dialect
// has no such thing and it would not survive being read back by another
// system. Text that is not valid UTF-8 or holds a NUL is refused as every
// text of flowstore is (store.ValidText).
//
// Without CRON_TZ= the fields are read in UTC; In reads them in another
// zone (the trigger store reads them in the zone of OpenOrchestrator's naive
// times, store.DB.Zone, as OpenOrchestrator reads them in its local time).
func ParseCron(expr string) (Schedule, error) {
	s, err := parseCron("cron expression", expr)
	if err != nil {
		return Schedule{}, cronError("cron expression", expr, err)
	}
	return s, nil
}

// cronError words an error of parseCron for the expression expr, called
// what ("cron expression", or the column "cron_expr").
func cronError(what, expr string, err error) error {
	if errors.Is(err, errNoTime) {
		return fmt.Errorf("%w: %s %q matches no time (a day of month its months never have, such as 30 February)", ErrNeverFires, what, expr)
	}
	if errors.Is(err, store.ErrInvalid) {
		return err
	}
	return fmt.Errorf("%w: %s %q: %v", store.ErrInvalid, what, expr, err)
}

// parseCron is ParseCron with a bare reason for an error (errNoTime for an
// expression that never fires), so that the store can name the column
// (what) instead of "cron expression".
func parseCron(what, expr string) (Schedule, error) {
	if err := store.ValidText(what, expr); err != nil {
		return Schedule{}, err
	}
	trimmed := strings.TrimSpace(expr)
	if trimmed == "" {
		return Schedule{}, errors.New("empty")
	}
	body, fixed := trimmed, false
	if strings.HasPrefix(body, "CRON_TZ=") || strings.HasPrefix(body, "TZ=") {
		if _, rest, ok := strings.Cut(body, " "); ok {
			body, fixed = strings.TrimSpace(rest), true
		}
	}
	if strings.HasPrefix(body, "@every") {
		return Schedule{}, errors.New("@every is not supported; use a five-field expression")
	}
	parsed, err := cronParser.Parse(trimmed)
	if err != nil {
		return Schedule{}, err
	}
	spec, ok := parsed.(*cron.SpecSchedule)
	if !ok { // every form this parser accepts is a SpecSchedule
		return Schedule{}, fmt.Errorf("unsupported schedule %T", parsed)
	}
	s := Schedule{expr: trimmed, spec: spec, loc: time.UTC, fixed: fixed}
	if fixed {
		s.loc = spec.Location
	}
	if s.Next(neverFiresFrom).IsZero() {
		return Schedule{}, errNoTime
	}
	return s, nil
}

// String returns the expression as parsed.
func (s Schedule) String() string { return s.expr }

// Location returns the zone the expression's fields are read in: the one
// CRON_TZ= names, else UTC or the zone In set.
func (s Schedule) Location() *time.Location {
	if s.loc == nil {
		return time.UTC
	}
	return s.loc
}

// In returns the schedule with its fields read in loc, unless the expression
// names its own zone (CRON_TZ=), which stays. A nil loc changes nothing.
func (s Schedule) In(loc *time.Location) Schedule {
	if loc != nil && !s.fixed {
		s.loc = loc
	}
	return s
}

// Next returns the first fire time strictly after t, in UTC with microsecond
// precision, or the zero time when there is none (only for the zero
// Schedule: ParseCron refuses an expression that never fires). Missed runs
// are never replayed: asking with "now" skips them, as OpenOrchestrator does.
//
// Around daylight-saving changes of the schedule's zone each local wall-clock
// time fires at most once: in the repeated hour of autumn a 02:30 schedule
// fires at the first 02:30 only, a schedule of every few minutes runs through
// the hour's first pass and then waits until the clock shows a time it has
// not shown yet (New York, */5: 01:55 EDT, then 02:00 EST, an hour and five
// minutes later), and in spring a local time that does not exist that day is
// skipped.
func (s Schedule) Next(t time.Time) time.Time {
	return s.next(t)
}

// next is Next with more zones whose wall clock must move forward: the
// first fire time after t whose wall clock, in the schedule's zone and in
// each zone of also, is after t's. The trigger store passes the zone of its
// naive times, which compares wall clocks only: a fire time that zone's
// clock showed before t (in its repeated hour of autumn) would be due at
// once, and fire twice.
func (s Schedule) next(t time.Time, also ...*time.Location) time.Time {
	if s.spec == nil {
		return time.Time{}
	}
	loc := s.Location()
	// The schedule's zone, explicitly: the cron library reads a schedule
	// without a zone in the zone of the time it is given.
	spec := *s.spec
	spec.Location = loc
	zones := append([]*time.Location{loc}, also...)
	t = t.UTC()
	from := t
	next := spec.Next(from.In(loc))
	// When a zone's clock falls back, the cron library's next time can show
	// a wall-clock time that t had already reached (the repeated hour).
	// Every instant from t until that clock shows t's wall-clock time a
	// second time shows one that has been shown before, so the search
	// starts again from that later instant: t plus the hour (or whatever
	// the zone's offsets differ by) the clock fell back. From there the
	// wall clock moves forward again. The loop is bounded only against a
	// zone database gone mad: one fall-back a year needs one step per zone.
	for i := 0; i < 8 && !next.IsZero(); i++ {
		moved := false
		for _, z := range zones {
			if wallClock(next, z).After(wallClock(t, z)) {
				continue
			}
			again := t.Add(offset(t, z) - offset(next, z))
			if !again.After(from) {
				again = next // past the zone's repeated stretch already: skip this time
			}
			if again.After(from) {
				from, moved = again, true
			}
		}
		if !moved {
			break
		}
		next = spec.Next(from.In(loc))
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
