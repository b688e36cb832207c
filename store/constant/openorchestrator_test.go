package constant_test

// These tests play OpenOrchestrator's part: its Constant model writes
// changed_at with datetime.now() (default and onupdate), a naive wall clock
// of the writing machine that SQLAlchemy sends as the text
// "2026-12-05 23:47:13.123456", and reads rows by name.

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/flowstore/flowstore/internal/testdb"
	"github.com/flowstore/flowstore/store"
	"github.com/flowstore/flowstore/store/constant"
)

// ooNaive is OpenOrchestrator's datetime.now() at instant at on a machine in
// zone, as SQLAlchemy sends it. Written out here rather than taken from
// store.DB.Naive, so that the tests check that function against it.
func ooNaive(at time.Time, zone *time.Location) string {
	return at.In(zone).Format("2006-01-02 15:04:05.000000")
}

// ooSet writes a constant as OpenOrchestrator's create_constant (insert)
// or update_constant (value and changed_at) does.
func ooSet(t *testing.T, db *store.DB, name, value, changedAt string) {
	t.Helper()
	d := db.SQLDialect()
	q := d.Quote
	ctx := context.Background()
	res, err := db.SQL().ExecContext(ctx, d.Rebind("UPDATE "+q("Constants")+" SET "+q("value")+" = ?, "+q("changed_at")+" = ? WHERE "+q("name")+" = ?"), value, changedAt, name)
	require.NoError(t, err)
	if n, err := res.RowsAffected(); err == nil && n == 1 {
		return
	}
	_, err = db.SQL().ExecContext(ctx, d.Rebind("INSERT INTO "+q("Constants")+" ("+q("name")+", "+q("value")+", "+q("changed_at")+") VALUES (?, ?, ?)"), name, value, changedAt)
	require.NoError(t, err)
}

// naiveText renders a naive time column as text with six fraction digits.
func naiveText(d *store.Dialect, col string) string {
	switch d.Name() {
	case store.SQLite:
		return "CAST(" + col + " AS TEXT)"
	case store.Postgres:
		return "to_char(" + col + ", 'YYYY-MM-DD HH24:MI:SS.US')"
	case store.MySQL:
		return "DATE_FORMAT(" + col + ", '%Y-%m-%d %H:%i:%s.%f')"
	}
	return "CONVERT(VARCHAR(26), " + col + ", 121)"
}

// ooGet reads a constant as OpenOrchestrator's get_constant does (by
// name), with changed_at as the text the row holds; ok is false when there
// is no such row.
func ooGet(t *testing.T, db *store.DB, name string) (value, changedAt string, ok bool) {
	t.Helper()
	d := db.SQLDialect()
	q := d.Quote
	rows, err := db.SQL().QueryContext(context.Background(), d.Rebind("SELECT "+q("value")+", "+naiveText(d, q("changed_at"))+" FROM "+q("Constants")+" WHERE "+q("name")+" = ?"), name)
	require.NoError(t, err)
	defer rows.Close()
	if !rows.Next() {
		require.NoError(t, rows.Err())
		return "", "", false
	}
	require.NoError(t, rows.Scan(&value, &changedAt))
	return value, changedAt, true
}

// countConstants counts every row of the table.
func countConstants(t *testing.T, db *store.DB) int {
	t.Helper()
	var n int
	require.NoError(t, db.SQL().QueryRowContext(context.Background(), "SELECT COUNT(*) FROM "+db.SQLDialect().Quote("Constants")).Scan(&n))
	return n
}

// inZone returns base's database with OpenOrchestrator's naive times in
// zone and the store clock reading clock.
func inZone(t *testing.T, base *store.DB, zone *time.Location, clock *fixedClock) *store.DB {
	t.Helper()
	db, err := store.New(context.Background(), base.Bun(), store.WithZone(zone), store.WithClock(clock.Now))
	require.NoError(t, err)
	return db
}

// TestConstantsShareTheTableWithOpenOrchestrator: under a zone with
// daylight saving time and one without, in summer and in winter,
// OpenOrchestrator and flowstore write the same Constants rows. flowstore
// reads changed_at that OpenOrchestrator wrote as the instant it names, and
// writes it (Set, Create, Update) as OpenOrchestrator does: the zone's wall
// clock in SQLAlchemy's text form.
func TestConstantsShareTheTableWithOpenOrchestrator(t *testing.T) {
	testdb.Each(t, func(t *testing.T, base *store.DB) {
		ctx := context.Background()
		for _, zoneName := range []string{"Europe/Copenhagen", "Asia/Kolkata"} {
			zone, err := time.LoadLocation(zoneName)
			require.NoError(t, err)
			for _, season := range []time.Time{
				time.Date(2026, 7, 15, 9, 30, 0, 123456000, time.UTC),
				time.Date(2026, 1, 15, 21, 45, 10, 654321000, time.UTC),
			} {
				t.Run(zoneName+"/"+season.Month().String(), func(t *testing.T) {
					_, err := base.SQL().ExecContext(ctx, "DELETE FROM "+base.SQLDialect().Quote("Constants"))
					require.NoError(t, err)
					clock := &fixedClock{t: season}
					db := inZone(t, base, zone, clock)
					cs := newStore(t, db)

					// OpenOrchestrator's rows, an hour before the clock.
					ooAt := season.Add(-time.Hour)
					ooSet(t, db, "oo_url", "https://erp.example", ooNaive(ooAt, zone))
					ooSet(t, db, "oo_folder", `\\share\in`, ooNaive(ooAt.Add(time.Minute), zone))
					got, err := cs.Get(ctx, "oo_url")
					require.NoError(t, err)
					require.Equal(t, "https://erp.example", got.Value)
					require.True(t, got.ChangedAt.Equal(ooAt), "read %v, want %v", got.ChangedAt, ooAt)
					require.Equal(t, time.UTC, got.ChangedAt.Location())

					// flowstore's writes hold the zone's wall clock, as
					// OpenOrchestrator's datetime.now() would.
					require.NoError(t, cs.Set(ctx, "go_set", "1"))
					require.NoError(t, cs.Create(ctx, "go_create", "2"))
					clock.Add(time.Second)
					require.NoError(t, cs.Update(ctx, "oo_url", "https://erp2.example"))
					for name, want := range map[string]struct {
						value string
						at    time.Time
					}{
						"go_set":    {"1", season},
						"go_create": {"2", season},
						"oo_url":    {"https://erp2.example", season.Add(time.Second)},
						"oo_folder": {`\\share\in`, ooAt.Add(time.Minute)},
					} {
						value, changedAt, ok := ooGet(t, db, name)
						require.True(t, ok, name)
						require.Equal(t, want.value, value, name)
						require.Equal(t, ooNaive(want.at, zone), changedAt, "%s: changed_at as OpenOrchestrator writes it", name)
					}
					list, err := cs.List(ctx)
					require.NoError(t, err)
					var names []string
					for _, k := range list {
						names = append(names, k.Name)
						if k.Name == "oo_folder" {
							require.True(t, k.ChangedAt.Equal(ooAt.Add(time.Minute)), "List reads OpenOrchestrator's time as its instant")
						}
					}
					require.Equal(t, []string{"go_create", "go_set", "oo_folder", "oo_url"}, names)

					// OpenOrchestrator updates a row flowstore wrote.
					later := season.Add(2 * time.Hour)
					ooSet(t, db, "go_set", "3", ooNaive(later, zone))
					got, err = cs.Get(ctx, "go_set")
					require.NoError(t, err)
					require.Equal(t, "3", got.Value)
					require.True(t, got.ChangedAt.Equal(later))
					require.NoError(t, cs.Delete(ctx, "oo_folder"))
					_, _, ok := ooGet(t, db, "oo_folder")
					require.False(t, ok)
				})
			}
		}
	})
}

// TestConstantsDefaultZoneIsLocal: without WithZone, changed_at is the wall
// clock of the process's local zone, as OpenOrchestrator's datetime.now()
// on the same machine. A child process per zone runs with TZ set (time.Local
// is fixed at start-up), reads a constant OpenOrchestrator wrote in that
// zone and sets one; this process checks what the child stored.
func TestConstantsDefaultZoneIsLocal(t *testing.T) {
	at := time.Date(2026, 7, 15, 9, 30, 0, 250000000, time.UTC)
	if testdb.IsChild() {
		ctx := context.Background()
		zone, err := time.LoadLocation(os.Getenv("TZ"))
		require.NoError(t, err)
		_, local := at.In(time.Local).Zone()
		_, want := at.In(zone).Zone()
		require.Equal(t, want, local, "time.Local follows TZ")
		db, err := store.Open(ctx, os.Getenv("FLOWSTORE_CHILD_DSN"), store.WithClock(func() time.Time { return at }))
		require.NoError(t, err)
		defer db.Close()
		require.Equal(t, time.Local, db.Zone())
		cs := newStore(t, db)
		got, err := cs.Get(ctx, "from_oo")
		require.NoError(t, err)
		require.True(t, got.ChangedAt.Equal(at), "read %v, want %v", got.ChangedAt, at)
		require.NoError(t, cs.Set(ctx, "from_go", "v"))
		return
	}
	for _, d := range testdb.Live() {
		t.Run(string(d), func(t *testing.T) {
			db := testdb.Fresh(t, d)
			for _, zoneName := range []string{"America/New_York", "Asia/Kolkata"} {
				zone, err := time.LoadLocation(zoneName)
				require.NoError(t, err)
				ooSet(t, db, "from_oo", "v", ooNaive(at, zone))
				testdb.RunChildren(t, 1, "TestConstantsDefaultZoneIsLocal", map[string]string{"TZ": zoneName, "FLOWSTORE_CHILD_DSN": testdb.DSN(t, db)})
				_, changedAt, ok := ooGet(t, db, "from_go")
				require.True(t, ok)
				require.Equal(t, ooNaive(at, zone), changedAt, "the child wrote %s's wall clock", zoneName)
			}
		})
	}
}

// Issue 14, defects 3 and 4: text a column cannot hold exactly — NUL,
// invalid UTF-8 — is refused with store.ErrInvalid before anything is
// written, in names and values, by every write; and a lookup of such a
// name (Get, Delete) is refused the same way instead of reaching the
// database. Set(ctx, "nul\x00name", "v1") used to return nil on SQLite and
// MariaDB and store the bytes (MariaDB dropping the NUL), after which Get
// failed ("unrecognized token") or said not found.
func TestConstantsRefuseTextTheyCannotStore(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		cs := newStore(t, db)
		require.NoError(t, cs.Set(ctx, "nul", "v0"))
		for _, bad := range []string{"nul\x00name", "nul\x00", "\x00", "bad\xff", "cut \xe2\x82", "\xc3("} {
			require.ErrorIs(t, cs.Set(ctx, bad, "v1"), store.ErrInvalid, "%q", bad)
			require.ErrorIs(t, cs.Create(ctx, bad, "v1"), store.ErrInvalid, "%q", bad)
			require.ErrorIs(t, cs.Update(ctx, bad, "v1"), store.ErrInvalid, "%q", bad)
			_, err := cs.Get(ctx, bad)
			require.ErrorIs(t, err, store.ErrInvalid, "%q: Get refuses the name Set refuses", bad)
			require.NotErrorIs(t, err, store.ErrNotFound)
			require.True(t, strings.HasPrefix(err.Error(), fmt.Sprintf("constant: get %q: invalid input: Constants.name ", bad)), err.Error())
			require.ErrorIs(t, cs.Delete(ctx, bad), store.ErrInvalid, "%q", bad)
			// In values.
			require.ErrorIs(t, cs.Set(ctx, "good", bad), store.ErrInvalid, "%q", bad)
			require.ErrorIs(t, cs.Create(ctx, "good", bad), store.ErrInvalid, "%q", bad)
			require.ErrorIs(t, cs.Update(ctx, "nul", bad), store.ErrInvalid, "%q", bad)
		}
		require.Equal(t, 1, countConstants(t, db), "nothing written")
		got, err := cs.Get(ctx, "nul")
		require.NoError(t, err)
		require.Equal(t, "v0", got.Value, "unchanged")

		// Lookups of names too long for the column are refused as the
		// write refuses them; the longest name works.
		_, err = cs.Get(ctx, strings.Repeat("n", constant.NameMax+1))
		require.ErrorIs(t, err, store.ErrTooLong)
		require.ErrorIs(t, cs.Delete(ctx, strings.Repeat("n", constant.NameMax+1)), store.ErrTooLong)
		long := strings.Repeat("ü", constant.NameMax)
		require.NoError(t, cs.Set(ctx, long, "v"))
		_, err = cs.Get(ctx, long)
		require.NoError(t, err)

		// Text that is hard to quote is stored and found exactly.
		for _, name := range []string{`it's`, `back\slash`, `50%_`, "tab\there", "U+FFFD \uFFFD", "😀 emoji", `"quoted"`} {
			value := name + " = " + name
			require.NoError(t, cs.Set(ctx, name, value), name)
			got, err := cs.Get(ctx, name)
			require.NoError(t, err, name)
			require.Equal(t, value, got.Value)
			require.NoError(t, cs.Delete(ctx, name), name)
			_, err = cs.Get(ctx, name)
			require.ErrorIs(t, err, store.ErrNotFound, name)
		}
	})
}

// Every method refuses a nil context with store.ErrInvalid instead of
// panicking inside database/sql (Constants.Get used to, leaving the pool's
// lock held so that every later call hung).
func TestConstantsRefuseNilContext(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		cs := newStore(t, db)
		require.Equal(t, 6, testdb.RefusesNilContext(t, cs))
		// With arguments that pass every other check, too.
		var nilCtx context.Context
		_, err := cs.Get(nilCtx, "k")
		require.ErrorContains(t, err, "nil context")
		require.ErrorContains(t, cs.Set(nilCtx, "k", "v"), "nil context")
		require.ErrorContains(t, cs.Create(nilCtx, "k", "v"), "nil context")
		require.ErrorContains(t, cs.Update(nilCtx, "k", "v"), "nil context")
		require.ErrorContains(t, cs.Delete(nilCtx, "k"), "nil context")
		require.NoError(t, cs.Set(context.Background(), "after", "v"), "nothing was left locked")
	})
}

// TestConstantsSetOutcomesAreHonest is issue 14's scenario for Set:
// goroutines call it with deadlines of a few milliseconds — on each name
// twice, an insert then an update — and then what the calls said is
// compared with what is stored. A Set that returned nil stored its value;
// one that failed with any error but store.ErrCommitUnknown stored nothing.
// Before writes ran detached from the caller's deadline, Set reported
// deadline errors for rows it had committed — on embedded SQLite too — and
// a caller retrying them wrote twice.
func TestConstantsSetOutcomesAreHonest(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		cs := newStore(t, db)
		const workers, namesPerWorker = 4, 50
		type call struct {
			value string
			err   error
		}
		var mu sync.Mutex
		calls := map[string][]call{} // per name, in order
		var wg sync.WaitGroup
		for w := range workers {
			wg.Go(func() {
				rng := rand.New(rand.NewPCG(uint64(w), 11))
				for i := range namesPerWorker {
					name := fmt.Sprintf("w%d-%d", w, i)
					for j := range 2 {
						// Mostly a few milliseconds, about what a write
						// takes; now and then over before the call is made.
						timeout := time.Duration(1+rng.IntN(15)) * time.Millisecond
						if rng.IntN(20) == 0 {
							timeout = time.Microsecond
						}
						ctx, cancel := context.WithTimeout(context.Background(), timeout)
						c := call{value: fmt.Sprint("v", j)}
						c.err = cs.Set(ctx, name, c.value)
						cancel()
						mu.Lock()
						calls[name] = append(calls[name], c)
						mu.Unlock()
					}
				}
			})
		}
		wg.Wait()
		ctx := context.Background()
		var failed, unknown int
		for name, cs2 := range calls {
			// What the calls allow the row to hold: a nil Set decides it,
			// an unknown outcome may have, a failed Set did not.
			possible := map[string]bool{"": true} // "": no row
			for _, c := range cs2 {
				switch {
				case c.err == nil:
					possible = map[string]bool{c.value: true}
				case errors.Is(c.err, store.ErrCommitUnknown):
					possible[c.value] = true
					unknown++
				default:
					failed++
				}
			}
			stored := ""
			got, err := cs.Get(ctx, name)
			if err == nil {
				stored = got.Value
			} else {
				require.ErrorIs(t, err, store.ErrNotFound)
			}
			var said []string
			for _, c := range cs2 {
				said = append(said, fmt.Sprintf("Set(%q): %v", c.value, c.err))
			}
			require.True(t, possible[stored], "%s holds %q; the calls said %s", name, stored, strings.Join(said, ", "))
		}
		t.Logf("%d Sets: %d failed and stored nothing, %d with an unknown outcome", 2*workers*namesPerWorker, failed, unknown)
		require.NotZero(t, failed, "the deadlines must be tight enough that some Sets fail, or the test shows nothing")
	})
}
