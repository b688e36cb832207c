package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"iter"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/flowstore/flowstore/store"
)

// Times are printed as RFC 3339 with their offset, so nobody reads an hour
// wrong: OpenOrchestrator's tables (queues, triggers, logs, constants,
// credentials) hold naive wall-clock times of the database's zone
// (store.DB.Zone, the DSN's timezone=), and flowctl shows them in that
// zone with its offset — the wall clock OpenOrchestrator's own screens show,
// made unambiguous. WFO's, Kogito's and ContainerOps' tables hold UTC, shown
// as UTC.

// zone is the zone of the open database's OpenOrchestrator times (UTC
// before one is open).
func (e *env) zone() *time.Location {
	if e.db == nil {
		return time.UTC
	}
	return e.db.Store().Zone()
}

// ooTime prints a time of an OpenOrchestrator table in the database's zone,
// "-" for none.
func (e *env) ooTime(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.In(e.zone()).Format(time.RFC3339)
}

// ooTimeMicro is ooTime to the microsecond (log rows).
func (e *env) ooTimeMicro(t time.Time) string {
	return t.In(e.zone()).Format("2006-01-02T15:04:05.000000Z07:00")
}

// ooJSON is a time of an OpenOrchestrator table for a JSON document: in the
// database's zone (encoding/json writes the offset), nil for none.
func (e *env) ooJSON(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	t = t.In(e.zone())
	return &t
}

// utcTime prints a time of a WFO, Kogito or ContainerOps table, "-" for
// none.
func utcTime(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format(time.RFC3339)
}

// utcJSON is utcTime for a JSON document.
func utcJSON(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	t = t.UTC()
	return &t
}

// jsonFlag adds --json to a list command's flags.
func jsonFlag(fs *flag.FlagSet) *bool {
	return fs.Bool("json", false, "print one JSON document instead of a table (for scripts)")
}

// writeJSON prints v as one indented JSON document.
func (e *env) writeJSON(v any) error {
	enc := json.NewEncoder(e.stdout)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// candidate is a row a user may mean by what they typed: its id and a
// label that helps tell candidates apart.
type candidate struct {
	id    uuid.UUID
	label string
}

// maxCandidates is how many candidates an ambiguity error lists.
const maxCandidates = 10

// resolve finds the one row what names: a full id, else the rows whose
// label equals what (names, where the rows have them) or whose id starts
// with what (an id prefix, as printed, with or without dashes). rows
// streams the candidates; it is read to the end, since uniqueness cannot be
// told sooner. None is store.ErrNotFound, several is an error listing them.
func resolve(kind, what string, byName bool, rows iter.Seq2[candidate, error]) (uuid.UUID, error) {
	if id, err := uuid.Parse(what); err == nil {
		return id, nil
	}
	prefix := strings.ToLower(strings.ReplaceAll(what, "-", ""))
	isHex := prefix != "" && strings.Trim(prefix, "0123456789abcdef") == ""
	if !isHex && !byName {
		return uuid.Nil, usageError("%q is neither a %s id nor an id prefix", what, kind)
	}
	var named, prefixed []candidate
	for c, err := range rows {
		if err != nil {
			return uuid.Nil, err
		}
		switch {
		case byName && c.label == what:
			named = append(named, c)
		case isHex && strings.HasPrefix(strings.ReplaceAll(c.id.String(), "-", ""), prefix):
			prefixed = append(prefixed, c)
		}
	}
	// An exact name wins over id prefixes that happen to match it too.
	found := named
	if len(found) == 0 {
		found = prefixed
	}
	switch len(found) {
	case 1:
		return found[0].id, nil
	case 0:
		desc := "id prefix"
		if byName {
			desc = "name or id prefix"
		}
		return uuid.Nil, fmt.Errorf("%s %q: %w (no %s has this %s)", kind, what, store.ErrNotFound, kind, desc)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%q names %d %ss; give more of the id:", what, len(found), kind)
	for i, c := range found {
		if i == maxCandidates {
			fmt.Fprintf(&b, "\n  … and %d more", len(found)-i)
			break
		}
		fmt.Fprintf(&b, "\n  %s  %s", c.id, c.label)
	}
	return uuid.Nil, fmt.Errorf("%w: %s", errAmbiguous, b.String())
}

// errAmbiguous: what the user typed names several rows.
var errAmbiguous = fmt.Errorf("%w: ambiguous", store.ErrInvalid)
