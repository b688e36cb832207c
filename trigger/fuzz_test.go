package trigger_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/flowstore/flowstore/internal/testdb"
	"github.com/flowstore/flowstore/store"
	"github.com/flowstore/flowstore/trigger"
)

// FuzzCreateScheduledRoundTrip: on every live dialect, a scheduled trigger
// either comes back from Get with its name and cron expression exactly as
// given and a next run in the future, or Create refuses it with ErrInvalid
// (ErrNeverFires among them) or ErrTooLong and writes nothing. Issue 14: a
// cron that never fires ("0 0 30 2 *") was accepted with a zero next run
// and then fired on every poll; names with invalid UTF-8 came back with
// U+FFFD, and MariaDB dropped a NUL.
func FuzzCreateScheduledRoundTrip(f *testing.F) {
	for _, c := range []struct{ name, cron string }{
		{"nightly", "0 2 * * *"}, {"feb30", "0 0 30 2 *"}, {"apr31", "0 0 31 4 *"}, {"nul\x00name", "* * * * *"},
		{"bad\xffutf8", "* * * * *"}, {"\xed\xa0\x80", "@hourly"}, {"it's", "@daily"}, {"", "* * * * *"},
		{strings.Repeat("n", 100), "*/5 * * * *"}, {strings.Repeat("n", 101), "*/5 * * * *"},
		{strings.Repeat("\U0001F600", 51), "* * * * *"}, {"tz", "CRON_TZ=Europe/Copenhagen 30 2 * * *"},
		{"tz-bad", "CRON_TZ=Mars/Olympus * * * * *"}, {"sixty-one", "61 * * * *"}, {"every", "@every 1m"},
		{"nul-cron", "* * * * *\x00"}, {"long-cron", strings.Repeat("1,", 100) + "1 * * * *"}, {"trailing ", " 0 0 * * * "},
	} {
		f.Add(c.name, c.cron)
	}
	type target struct {
		name store.DialectName
		st   trigger.Store
		db   *store.DB
	}
	var targets []target
	for _, d := range testdb.Live() {
		db := testdb.Fresh(f, d)
		targets = append(targets, target{d, newStore(f, db), db})
	}
	f.Fuzz(func(t *testing.T, name, cron string) {
		spec := trigger.Spec{Type: trigger.Scheduled, Name: name, ProcessName: "p", ProcessPath: "p.py", CronExpr: cron}
		for _, tg := range targets {
			ctx := t.Context()
			before, err := tg.st.List(ctx, trigger.Filter{})
			if err != nil {
				t.Fatal(err)
			}
			created, err := tg.st.Create(ctx, spec)
			if err != nil {
				if !errors.Is(err, store.ErrInvalid) && !errors.Is(err, store.ErrTooLong) {
					t.Fatalf("%s: Create(%q, %q): unclassified error %v", tg.name, name, cron, err)
				}
				after, lerr := tg.st.List(ctx, trigger.Filter{})
				if lerr != nil {
					t.Fatal(lerr)
				}
				if len(after) != len(before) {
					t.Fatalf("%s: Create(%q, %q) refused (%v) but the triggers went from %d to %d", tg.name, name, cron, err, len(before), len(after))
				}
				continue
			}
			got, err := tg.st.Get(ctx, created.ID)
			if err != nil {
				t.Fatalf("%s: Create(%q, %q) succeeded, Get: %v", tg.name, name, cron, err)
			}
			// The expression is stored trimmed, as Spec.CronExpr documents.
			if got.Name != name || got.CronExpr != strings.TrimSpace(cron) {
				t.Fatalf("%s: created (%q, %q), read (%q, %q)", tg.name, name, cron, got.Name, got.CronExpr)
			}
			if got.NextRun.IsZero() || !got.NextRun.After(tg.db.Now().Add(-time.Second)) {
				t.Fatalf("%s: cron %q accepted with next run %s (now %s): it would never fire, or fire at every poll",
					tg.name, cron, got.NextRun, tg.db.Now())
			}
			if err := tg.st.Delete(ctx, got.ID); err != nil {
				t.Fatal(err)
			}
		}
	})
}
