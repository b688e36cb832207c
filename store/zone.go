package store

import (
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/google/uuid"
)

// OpenOrchestrator's programs write naive local times — datetime.now() of
// whichever machine writes, without a zone — and compare them with their own
// datetime.now(). Its tables keep that convention under flowstore too, or
// OpenOrchestrator would start triggers an hour early and misorder queues.
// The zone of those wall-clock times is configuration (WithZone, or the DSN
// parameter timezone=), by default the process's local zone, which is what
// OpenOrchestrator itself does on the same machine. The other reference
// systems' tables, and flowstore's own, hold UTC.
//
// A naive time is written as text in exactly SQLAlchemy's form, which every
// dialect accepts for its naive column type and which SQLite compares as
// text: "2026-12-05 23:47:13.123456" (always six fraction digits).

// NaiveLayout is the text form of a naive time: SQLAlchemy's form of a
// DateTime on SQLite, which every dialect parses into its naive type.
const NaiveLayout = "2006-01-02 15:04:05.000000"

// WithZone sets the zone of the naive wall-clock times OpenOrchestrator's
// tables hold (default: the process's local zone, time.Local). A DSN can say
// it too: timezone=Europe/Copenhagen.
func WithZone(loc *time.Location) Option {
	return func(c *config) {
		if loc != nil {
			c.zone = loc
		}
	}
}

// Zone reports the zone of the naive times in OpenOrchestrator's tables
// (see WithZone).
func (db *DB) Zone() *time.Location { return db.zone }

// Naive returns t as a naive time for an OpenOrchestrator column: its wall
// clock in the DB's zone, microseconds, as text (NaiveLayout) — the value to
// bind, or compare with, on every dialect. A zero time is nil (NULL).
func (db *DB) Naive(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.In(db.zone).Truncate(time.Microsecond).Format(NaiveLayout)
}

// FromNaive reads a naive time as scanned from an OpenOrchestrator column —
// drivers hand back the wall clock in UTC or without a meaningful zone — as
// the instant it names in the DB's zone. A zero time stays zero.
//
// A wall clock in the hour a fall-back repeats names two instants; Go picks
// one (see time.Date). Code comparing naive times therefore works in the
// zone's wall clock (comparing with Naive(now)), where the repeated hour
// only ever makes work look younger than it is, never older.
func (db *DB) FromNaive(t time.Time) time.Time {
	if t.IsZero() {
		return t
	}
	return time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), db.zone)
}

// ParseNaive reads a naive time written as text (NaiveLayout, with any
// number of fraction digits, or with a "T"), in the DB's zone.
func (db *DB) ParseNaive(s string) (time.Time, error) {
	s = strings.Replace(strings.TrimSpace(s), "T", " ", 1)
	t, err := time.ParseInLocation("2006-01-02 15:04:05.999999999", s, db.zone)
	if err != nil {
		return time.Time{}, fmt.Errorf("%w: naive time %q: %v", ErrInvalid, s, err)
	}
	return t, nil
}

// RefUUID returns id as OpenOrchestrator's tables store it (SQLAlchemy's
// Uuid): the native type where the dialect has one (PostgreSQL uuid, SQL
// Server uniqueidentifier), and elsewhere 32 lower-case hex digits without
// dashes. Lookups by id use RefUUIDs, so rows an earlier flowstore wrote
// with dashes are found too.
func (db *DB) RefUUID(id uuid.UUID) any {
	if db.dialect.s.NativeUUID {
		return id
	}
	return hexUUID(id)
}

// RefUUIDs returns the spellings of id a lookup in an OpenOrchestrator
// table must match: the one RefUUID writes and, where ids are text, the
// dashed form databases written by earlier flowstore releases hold.
func (db *DB) RefUUIDs(id uuid.UUID) []any {
	if db.dialect.s.NativeUUID {
		return []any{id}
	}
	return []any{hexUUID(id), id.String()}
}

func hexUUID(id uuid.UUID) string {
	s := id.String()
	return s[0:8] + s[9:13] + s[14:18] + s[19:23] + s[24:]
}

// ZoneName returns the IANA name of a zone, for a database that must be told
// it (PostgreSQL's TimeZone, converting old rows): loc's own name, or for
// time.Local the name the system gives it (TZ, /etc/localtime,
// /etc/timezone), "UTC" when none is found.
func ZoneName(loc *time.Location) string {
	if loc == nil {
		return "UTC"
	}
	if name := loc.String(); name != "Local" {
		return name
	}
	if tz, ok := os.LookupEnv("TZ"); ok {
		tz = strings.TrimPrefix(tz, ":")
		if tz == "" {
			return "UTC"
		}
		if _, err := time.LoadLocation(tz); err == nil {
			return tz
		}
	}
	if target, err := os.Readlink("/etc/localtime"); err == nil {
		if _, name, ok := strings.Cut(target, "zoneinfo/"); ok {
			return name
		}
	}
	if b, err := os.ReadFile("/etc/timezone"); err == nil {
		if name := strings.TrimSpace(string(b)); name != "" {
			return name
		}
	}
	return "UTC"
}
