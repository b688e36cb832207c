package logs_test

// These tests play OpenOrchestrator's part: they write Logs rows exactly as
// its SQLAlchemy models do — ids as SQLAlchemy's Uuid binds them (native on
// PostgreSQL, 32 lower-case hex digits on SQLite and MySQL), log_time as
// datetime.now() of the writing machine, a naive wall clock that SQLAlchemy
// sends as the text "2026-12-05 23:47:13.123456", the level as the member
// name of its LogLevel enum — and read rows as it reads them (get_logs:
// naive bounds, ORDER BY log_time DESC; lookups by id in its spelling).

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/flowstore/flowstore/internal/testdb"
	"github.com/flowstore/flowstore/store"
	"github.com/flowstore/flowstore/store/logs"
)

// ooNaive is how OpenOrchestrator's datetime.now() on a machine in zone
// reaches the database at instant at: its wall clock, six fraction digits.
// Written out here rather than taken from store.DB.Naive, so that the tests
// check that function against OpenOrchestrator's form.
func ooNaive(at time.Time, zone *time.Location) string {
	return at.In(zone).Format("2006-01-02 15:04:05.000000")
}

// ooID is how SQLAlchemy's Uuid binds an id: the native type where the
// dialect has one, 32 lower-case hex digits elsewhere.
func ooID(d *store.Dialect, id uuid.UUID) any {
	switch d.Name() {
	case store.Postgres, store.SQLServer:
		return id
	}
	return strings.ReplaceAll(id.String(), "-", "")
}

// textIDs reports whether the dialect keeps UUIDs as text.
func textIDs(d *store.Dialect) bool {
	return d.Name() == store.SQLite || d.Name() == store.MySQL
}

// ooRow is a Logs row as OpenOrchestrator's create_log writes it.
type ooRow struct {
	id      any // as bound: ooID, or a dashed text id an earlier flowstore wrote
	logTime string
	level   string
	process string
	message string
}

// ooInsert writes rows with the INSERT SQLAlchemy's ORM sends for Log.
func ooInsert(t *testing.T, db *store.DB, rows ...ooRow) {
	t.Helper()
	d := db.SQLDialect()
	q := d.Quote
	stmt := d.Rebind("INSERT INTO " + q("Logs") + " (" + q("id") + ", " + q("log_time") + ", " + q("log_level") + ", " +
		q("process_name") + ", " + q("log_message") + ") VALUES (?, ?, ?, ?, ?)")
	for _, r := range rows {
		_, err := db.SQL().ExecContext(context.Background(), stmt, r.id, r.logTime, r.level, r.process, r.message)
		require.NoError(t, err)
	}
}

// naiveText renders a naive time column as text with six fraction digits,
// to see exactly what a row holds.
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

// storedRow is what a Logs row holds, read as OpenOrchestrator would.
type storedRow struct {
	idText  string // the id's text where ids are text; "" where native
	logTime string // NaiveLayout
	level   string
}

// readStored reads the row whose id is id, looking it up as SQLAlchemy
// does: by its own spelling of the id. It fails the test when there is no
// such row.
func readStored(t *testing.T, db *store.DB, id uuid.UUID) storedRow {
	t.Helper()
	d := db.SQLDialect()
	q := d.Quote
	idCol := "''"
	if textIDs(d) {
		idCol = q("id")
	}
	var r storedRow
	err := db.SQL().QueryRowContext(context.Background(), d.Rebind("SELECT "+idCol+", "+naiveText(d, q("log_time"))+", "+q("log_level")+
		" FROM "+q("Logs")+" WHERE "+q("id")+" = ?"), ooID(d, id)).Scan(&r.idText, &r.logTime, &r.level)
	require.NoError(t, err, "OpenOrchestrator looks row %s up by %v", id, ooID(d, id))
	return r
}

// ooOrder returns the ids of every row in the order OpenOrchestrator's
// get_logs lists them (log_time DESC), with the tie-break flowstore adds
// (id DESC), within [from, to] given as naive text ("" for no bound).
func ooOrder(t *testing.T, db *store.DB, from, to string) []uuid.UUID {
	t.Helper()
	d := db.SQLDialect()
	q := d.Quote
	where, args := " WHERE 1 = 1", []any{}
	if from != "" {
		where, args = where+" AND "+q("log_time")+" >= ?", append(args, from)
	}
	if to != "" {
		where, args = where+" AND "+q("log_time")+" <= ?", append(args, to)
	}
	rows, err := db.SQL().QueryContext(context.Background(), d.Rebind("SELECT "+q("id")+" FROM "+q("Logs")+where+" ORDER BY "+q("log_time")+" DESC, "+q("id")+" DESC"), args...)
	require.NoError(t, err)
	defer rows.Close()
	var ids []uuid.UUID
	for rows.Next() {
		var id uuid.UUID
		require.NoError(t, rows.Scan(&id))
		ids = append(ids, id)
	}
	require.NoError(t, rows.Err())
	return ids
}

// allIDs streams every row of f through All, in pages of pageSize rows,
// and returns the ids in the order All yields them.
func allIDs(t *testing.T, l logs.Store, f logs.Filter, pageSize int) ([]uuid.UUID, map[uuid.UUID]logs.Entry) {
	t.Helper()
	l = logs.SetPageSize(l, pageSize)
	var ids []uuid.UUID
	got := map[uuid.UUID]logs.Entry{}
	for e, err := range l.All(context.Background(), f) {
		require.NoError(t, err)
		ids = append(ids, e.ID)
		got[e.ID] = e
		// A keyset that steps back would page forever: these tests have
		// a few dozen rows.
		require.Less(t, len(ids), 1000, "All yields rows again and again")
	}
	return ids, got
}

// zones are the zones the time tests run under: one with daylight saving
// time, one without and half an hour off the hour.
func zones(t *testing.T) []*time.Location {
	t.Helper()
	var out []*time.Location
	for _, name := range []string{"Europe/Copenhagen", "Asia/Kolkata"} {
		z, err := time.LoadLocation(name)
		require.NoError(t, err)
		out = append(out, z)
	}
	return out
}

// inZone returns base's database with the naive times of OpenOrchestrator's
// tables in zone, and the store clock at clock when it is not zero.
func inZone(t *testing.T, base *store.DB, zone *time.Location, clock time.Time) *store.DB {
	t.Helper()
	opts := []store.Option{store.WithZone(zone)}
	if !clock.IsZero() {
		opts = append(opts, store.WithClock(func() time.Time { return clock }))
	}
	db, err := store.New(context.Background(), base.Bun(), opts...)
	require.NoError(t, err)
	return db
}

func clearLogs(t *testing.T, db *store.DB) {
	t.Helper()
	_, err := db.SQL().ExecContext(context.Background(), "DELETE FROM "+db.SQLDialect().Quote("Logs"))
	require.NoError(t, err)
}

// TestLogsShareTheTableWithOpenOrchestrator: OpenOrchestrator's robots and
// flowstore (Write, WriteBatch and the slog handler) log into one table,
// their rows interleaved in time, under a zone with daylight saving time
// and one without. flowstore reads OpenOrchestrator's rows as the instants
// they name; Query, All (paged), ProcessNames and Prune treat both writers'
// rows alike, in OpenOrchestrator's order; and the rows flowstore writes
// hold what OpenOrchestrator writes — its id spelling, the zone's wall
// clock in its text form, its level names — so that its lookups and its
// get_logs find them where its own rows would be.
func TestLogsShareTheTableWithOpenOrchestrator(t *testing.T) {
	testdb.Each(t, func(t *testing.T, base *store.DB) {
		ctx := context.Background()
		d := base.SQLDialect()
		for _, zone := range zones(t) {
			t.Run(zone.String(), func(t *testing.T) {
				clearLogs(t, base)
				// Summer: Copenhagen is two hours ahead of UTC, in winter one.
				start := time.Date(2026, 7, 15, 9, 0, 0, 123456000, time.UTC)
				clock := start.Add(10 * time.Minute)
				db := inZone(t, base, zone, clock)
				l := newStore(t, db)

				// OpenOrchestrator logs a row every minute (uuid4 ids), two
				// of them in the same microsecond.
				type want struct {
					at      time.Time
					level   logs.Level
					process string
					message string
				}
				wants := map[uuid.UUID]want{}
				var oo []ooRow
				for i := range 8 {
					at := start.Add(time.Duration(i) * time.Minute)
					if i == 7 {
						at = start.Add(6 * time.Minute)
					}
					id := uuid.New()
					level := []string{"TRACE", "INFO", "ERROR"}[i%3]
					w := want{at: at, level: logs.Level(level), process: "oo-robot", message: fmt.Sprintf("oo %d", i)}
					wants[id] = w
					oo = append(oo, ooRow{id: ooID(d, id), logTime: ooNaive(at, zone), level: level, process: w.process, message: w.message})
				}
				ooInsert(t, db, oo...)

				// flowstore writes between them: one row, a batch, and
				// records through the slog handler.
				ours := map[uuid.UUID]want{}
				one := logs.Entry{ID: uuid.New(), Time: start.Add(90 * time.Second), Level: logs.LevelInfo, ProcessName: "go", Message: "write"}
				require.NoError(t, l.Write(ctx, one))
				ours[one.ID] = want{one.Time, one.Level, one.ProcessName, one.Message}
				var batch []logs.Entry
				for i := range 3 {
					e := logs.Entry{ID: uuid.New(), Time: start.Add(time.Duration(2*i+1)*time.Minute + 30*time.Second), Level: logs.LevelError, ProcessName: "go", Message: fmt.Sprint("batch ", i)}
					batch = append(batch, e)
					ours[e.ID] = want{e.Time, e.Level, e.ProcessName, e.Message}
				}
				require.NoError(t, l.WriteBatch(ctx, batch))
				h := newHandler(t, db, logs.WithProcessName("go-slog"), logs.WithLevel(slog.LevelDebug), logs.WithFlushInterval(time.Hour))
				handled := map[string]want{}
				for i, level := range []slog.Level{slog.LevelDebug, slog.LevelWarn} {
					at := start.Add(time.Duration(4+i)*time.Minute + 15*time.Second)
					msg := fmt.Sprint("handled ", i)
					require.NoError(t, h.Handle(ctx, slog.NewRecord(at, level, msg, 0)))
					handled[msg] = want{at, []logs.Level{logs.LevelTrace, logs.LevelInfo}[i], "go-slog", msg}
				}
				require.NoError(t, h.Flush(ctx))

				// flowstore reads OpenOrchestrator's rows as the instants
				// they name, and its own back as written.
				_, got := allIDs(t, l, logs.Filter{}, 1000)
				require.Len(t, got, len(wants)+len(ours)+len(handled))
				for _, e := range got {
					w, ok := wants[e.ID]
					if !ok {
						w, ok = ours[e.ID]
					}
					if !ok {
						w, ok = handled[e.Message]
						ours[e.ID] = w
					}
					require.True(t, ok, "unexpected row %+v", e)
					require.True(t, e.Time.Equal(w.at), "%s: read %v, want %v", w.message, e.Time, w.at)
					require.Equal(t, time.UTC, e.Time.Location())
					require.Equal(t, w.level, e.Level, w.message)
					require.Equal(t, w.process, e.ProcessName, w.message)
					require.Equal(t, w.message, e.Message)
				}

				// The rows flowstore wrote hold what OpenOrchestrator writes,
				// and its lookups by id find them.
				for id, w := range ours {
					r := readStored(t, db, id)
					require.Equal(t, ooNaive(w.at, zone), r.logTime, "%s: log_time is the zone's wall clock, in SQLAlchemy's form", w.message)
					require.Equal(t, string(w.level), r.level)
					if textIDs(d) {
						require.Equal(t, ooID(d, id), r.idText, "%s: SQLAlchemy's 32 hex digits", w.message)
					}
				}

				// One order for both writers: OpenOrchestrator's get_logs
				// order, whether read in one page, in pages of 3 (keyset),
				// or by Query's offsets.
				order := ooOrder(t, db, "", "")
				require.Len(t, order, len(got))
				paged, _ := allIDs(t, l, logs.Filter{}, 3)
				require.Equal(t, order, paged, "All, paged, in OpenOrchestrator's order: none missing, none twice")
				var byOffset []uuid.UUID
				for off := 0; off < len(order); off += 4 {
					page, err := l.Query(ctx, logs.Filter{Offset: off, Limit: 4})
					require.NoError(t, err)
					require.Equal(t, len(order), page.Total)
					for _, e := range page.Entries {
						byOffset = append(byOffset, e.ID)
					}
				}
				require.Equal(t, order, byOffset)
				for i := 1; i < len(order); i++ {
					require.False(t, got[order[i]].Time.After(got[order[i-1]].Time), "newest first")
				}

				// From and To are the instants whose wall clocks
				// OpenOrchestrator's bounds name: minutes 2 to 5, inclusive.
				from, to := start.Add(2*time.Minute), start.Add(5*time.Minute)
				inRange := ooOrder(t, db, ooNaive(from, zone), ooNaive(to, zone))
				require.Len(t, inRange, 4+1+1, "OpenOrchestrator's minutes 2..5, the batch row of 3:30, the handler's record of 4:15")
				page, err := l.Query(ctx, logs.Filter{From: from, To: to})
				require.NoError(t, err)
				require.Equal(t, len(inRange), page.Total)
				var ids []uuid.UUID
				for _, e := range page.Entries {
					ids = append(ids, e.ID)
					require.False(t, e.Time.Before(from) || e.Time.After(to), "%v outside [%v, %v]", e.Time, from, to)
				}
				require.Equal(t, inRange, ids)
				streamed, _ := allIDs(t, l, logs.Filter{From: from, To: to}, 2)
				require.Equal(t, inRange, streamed)

				// Filters by OpenOrchestrator's process name and level.
				page, err = l.Query(ctx, logs.Filter{ProcessName: "oo-robot", Level: logs.LevelError})
				require.NoError(t, err)
				require.Equal(t, 2, page.Total, "OpenOrchestrator's ERROR rows, 2 and 5")
				names, err := l.ProcessNames(ctx)
				require.NoError(t, err)
				require.Equal(t, []string{"go", "go-slog", "oo-robot"}, names)

				// Prune compares as OpenOrchestrator does: rows whose wall
				// clock is before the bound's go, whoever wrote them.
				before := start.Add(3 * time.Minute)
				n, err := l.Prune(ctx, before)
				require.NoError(t, err)
				require.EqualValues(t, 3+2, n, "OpenOrchestrator's minutes 0..2, and flowstore's two rows of 1:30")
				for _, e := range logRowsOf(t, l) {
					require.False(t, e.Time.Before(before), "%s at %v survived Prune(%v)", e.Message, e.Time, before)
				}
			})
		}
	})
}

func logRowsOf(t *testing.T, l logs.Store) []logs.Entry {
	t.Helper()
	var out []logs.Entry
	for e, err := range l.All(context.Background(), logs.Filter{}) {
		require.NoError(t, err)
		out = append(out, e)
	}
	return out
}

// TestLogsKeysetPagesMixedIDSpellings: on SQLite and MySQL, where ids are
// text, a table holds OpenOrchestrator's 32-hex ids beside the dashed ids
// an earlier flowstore wrote (or a database migration 0070 has not
// reached). The two spellings do not sort as their UUIDs do: '-' sorts
// before every hex digit, so "0190a5d0-ac96…" < "0190a5d0ac00…" as text
// although the first UUID is the greater. All's keyset therefore compares
// the id as the row stores it; these rows, all logged in one microsecond so
// that the id decides every step, come back in the database's own order,
// each once, whatever the page size.
func TestLogsKeysetPagesMixedIDSpellings(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		d := db.SQLDialect()
		l := newStore(t, db)
		at := time.Date(2026, 2, 3, 4, 5, 6, 789000000, time.UTC)
		rng := rand.New(rand.NewPCG(13, 14))
		var rows []ooRow
		var ids []uuid.UUID
		for i := range 40 {
			var id uuid.UUID
			for j := range id {
				id[j] = byte(rng.IntN(256))
			}
			copy(id[:4], []byte{0x01, 0x90, 0xa5, 0xd0}) // one prefix: the spellings part at the fifth byte
			id[6] = id[6]&0x0f | 0x40
			id[8] = id[8]&0x3f | 0x80
			var bound any = ooID(d, id)
			if textIDs(d) && i%2 == 1 {
				bound = id.String() // dashed
			}
			ids = append(ids, id)
			rows = append(rows, ooRow{id: bound, logTime: ooNaive(at, db.Zone()), level: "INFO", process: "p", message: fmt.Sprint(i)})
		}
		ooInsert(t, db, rows...)
		order := ooOrder(t, db, "", "")
		require.Len(t, order, len(rows))
		if textIDs(d) {
			byUUID := slices.Clone(ids)
			slices.SortFunc(byUUID, func(a, b uuid.UUID) int { return d.CompareUUIDs(b, a) })
			require.NotEqual(t, byUUID, order, "the stored text must order the spellings otherwise than their UUIDs, or this test shows nothing")
		}
		for _, size := range []int{1, 2, 3, 7, 39, 40, 41} {
			paged, got := allIDs(t, l, logs.Filter{}, size)
			require.Equal(t, order, paged, "pages of %d", size)
			for _, id := range ids {
				require.True(t, got[id].Time.Equal(at), "row %s read at %v", id, got[id].Time)
			}
		}
	})
}

// TestLogsPageAcrossDSTChanges: wall clocks are what OpenOrchestrator
// stores and orders by, so in the night a zone falls back, rows of the
// repeated hour interleave by wall clock, and a writer in another zone may
// even stamp a wall clock the zone skips in spring. Paging walks the
// stored wall clocks themselves, so every row comes back once, in the
// database's order; rows outside those hours read back as their instants,
// rows inside as an instant with their wall clock.
func TestLogsPageAcrossDSTChanges(t *testing.T) {
	zone, err := time.LoadLocation("Europe/Copenhagen")
	require.NoError(t, err)
	testdb.Each(t, func(t *testing.T, base *store.DB) {
		db := inZone(t, base, zone, time.Time{})
		l := newStore(t, db)
		d := db.SQLDialect()
		var rows []ooRow
		exact := map[uuid.UUID]time.Time{}
		walls := map[uuid.UUID]string{}
		add := func(wall string, at time.Time) {
			id := uuid.New()
			rows = append(rows, ooRow{id: ooID(d, id), logTime: wall, level: "INFO", process: "p", message: wall})
			walls[id] = wall
			if !at.IsZero() {
				exact[id] = at
			}
		}
		// 2026-10-25: 03:00 CEST falls back to 02:00 CET.
		for _, at := range []time.Time{
			time.Date(2026, 10, 24, 23, 59, 0, 0, time.UTC), // 01:59 CEST
			time.Date(2026, 10, 25, 0, 10, 0, 0, time.UTC),  // 02:10 CEST, the first 02:10
			time.Date(2026, 10, 25, 0, 50, 0, 0, time.UTC),  // 02:50 CEST
			time.Date(2026, 10, 25, 1, 5, 0, 0, time.UTC),   // 02:05 CET, the second hour
			time.Date(2026, 10, 25, 1, 40, 0, 0, time.UTC),  // 02:40 CET
			time.Date(2026, 10, 25, 2, 1, 0, 0, time.UTC),   // 03:01 CET
		} {
			wall := ooNaive(at, zone)
			if strings.Contains(wall, " 02:") {
				add(wall, time.Time{}) // a wall clock of the repeated hour: two instants
			} else {
				add(wall, at)
			}
		}
		// 2026-03-29: 02:00 CET springs to 03:00 CEST; 02:30 is no time in
		// Copenhagen, but a robot on a machine in UTC+1 without DST writes it.
		add("2026-03-29 01:59:59.999999", time.Date(2026, 3, 29, 0, 59, 59, 999999000, time.UTC))
		add("2026-03-29 02:30:00.000000", time.Time{})
		add("2026-03-29 02:30:00.000000", time.Time{})
		add("2026-03-29 03:00:00.000000", time.Date(2026, 3, 29, 1, 0, 0, 0, time.UTC))
		ooInsert(t, db, rows...)

		order := ooOrder(t, db, "", "")
		require.Len(t, order, len(rows))
		for _, size := range []int{1, 2, 3} {
			paged, got := allIDs(t, l, logs.Filter{}, size)
			require.Equal(t, order, paged, "pages of %d", size)
			for id, at := range exact {
				require.True(t, got[id].Time.Equal(at), "%s: read %v, want %v", walls[id], got[id].Time, at)
			}
			for id, e := range got {
				if _, ok := exact[id]; !ok && !strings.Contains(walls[id], "03-29 02:30") {
					require.Equal(t, walls[id], db.Naive(e.Time), "a wall clock of the repeated hour reads as an instant with that wall clock")
				}
			}
		}
		var walled []string
		for _, id := range order {
			walled = append(walled, walls[id][11:16])
		}
		require.Equal(t, []string{"03:01", "02:50", "02:40", "02:10", "02:05", "01:59", "03:00", "02:30", "02:30", "01:59"}, walled,
			"OpenOrchestrator's order is the wall clock's")
	})
}

// TestLogsDefaultZoneIsLocal: without WithZone the naive times are in the
// process's local zone, as OpenOrchestrator's datetime.now() on the same
// machine. A child process per zone runs with TZ set (time.Local is fixed
// at start-up, so a zone set in this process would come too late), writes
// rows through Write and the handler, and reads a row OpenOrchestrator
// wrote in that zone; this process then reads what the child stored.
func TestLogsDefaultZoneIsLocal(t *testing.T) {
	if testdb.IsChild() {
		defaultZoneChild(t)
		return
	}
	at := time.Date(2026, 7, 15, 9, 30, 0, 250000000, time.UTC)
	for _, d := range testdb.Live() {
		t.Run(string(d), func(t *testing.T) {
			db := testdb.Fresh(t, d)
			for _, zone := range zones(t) {
				clearLogs(t, db)
				ooRowID := uuid.New()
				ooInsert(t, db, ooRow{id: ooID(db.SQLDialect(), ooRowID), logTime: ooNaive(at, zone), level: "ERROR", process: "oo", message: "from OpenOrchestrator"})
				testdb.RunChildren(t, 1, "TestLogsDefaultZoneIsLocal", map[string]string{
					"TZ": zone.String(), "FLOWSTORE_CHILD_DSN": testdb.DSN(t, db), "FLOWSTORE_CHILD_OO_ID": ooRowID.String(),
				})
				ids := ooOrder(t, db, "", "")
				require.Len(t, ids, 3, "OpenOrchestrator's row and the child's two")
				for _, id := range ids {
					if id == ooRowID {
						continue
					}
					require.Equal(t, ooNaive(at, zone), readStored(t, db, id).logTime, "the child wrote %s's wall clock", zone)
				}
			}
		})
	}
}

func defaultZoneChild(t *testing.T) {
	ctx := context.Background()
	zone, err := time.LoadLocation(os.Getenv("TZ"))
	require.NoError(t, err)
	at := time.Date(2026, 7, 15, 9, 30, 0, 250000000, time.UTC)
	_, localOffset := at.In(time.Local).Zone()
	_, zoneOffset := at.In(zone).Zone()
	require.Equal(t, zoneOffset, localOffset, "time.Local follows TZ")
	db, err := store.Open(ctx, os.Getenv("FLOWSTORE_CHILD_DSN"))
	require.NoError(t, err)
	defer db.Close()
	require.Equal(t, time.Local, db.Zone())
	l := newStore(t, db)
	page, err := l.Query(ctx, logs.Filter{From: at, To: at})
	require.NoError(t, err)
	require.Equal(t, 1, page.Total, "OpenOrchestrator's row, found by its instant")
	require.Equal(t, uuid.MustParse(os.Getenv("FLOWSTORE_CHILD_OO_ID")), page.Entries[0].ID)
	require.True(t, page.Entries[0].Time.Equal(at), "read %v, want %v", page.Entries[0].Time, at)
	require.NoError(t, l.Write(ctx, logs.Entry{Time: at, Level: logs.LevelInfo, ProcessName: "child", Message: "write"}))
	h := newHandler(t, db, logs.WithProcessName("child"))
	require.NoError(t, h.Handle(ctx, slog.NewRecord(at, slog.LevelInfo, "handled", 0)))
	require.NoError(t, h.Flush(ctx))
}

// Every method refuses a nil context with store.ErrInvalid instead of
// panicking inside database/sql (which left the pool's lock held, so that
// every later call hung).
func TestLogsRefuseNilContext(t *testing.T) {
	db := testdb.Fresh(t, store.SQLite)
	l := newStore(t, db)
	require.Equal(t, 6, testdb.RefusesNilContext(t, l))
	// With arguments that pass every other check, too.
	var nilCtx context.Context
	good := logs.Entry{Level: logs.LevelInfo, ProcessName: "p", Message: "m"}
	require.ErrorContains(t, l.Write(nilCtx, good), "nil context")
	require.ErrorContains(t, l.WriteBatch(nilCtx, []logs.Entry{good}), "nil context")
	_, err := l.Prune(nilCtx, time.Now())
	require.ErrorContains(t, err, "nil context")
	h := newHandler(t, db, logs.WithOnError(func(error) {}))
	// Enabled is slog.Handler's and reports no error; it does not use its
	// context.
	require.Equal(t, 3, testdb.RefusesNilContext(t, h, "Enabled"))
	require.ErrorContains(t, h.Handle(nilCtx, slog.NewRecord(time.Now(), slog.LevelInfo, "m", 0)), "nil context")
	// A refused Run did not count as the one Run.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	require.NoError(t, h.Run(ctx))
	// The store still works: nothing was left locked.
	require.NoError(t, l.Write(context.Background(), logs.Entry{Level: logs.LevelInfo, ProcessName: "p", Message: "after"}))
}

// Issue 14, defect 3: the text a read looks up goes through the write's
// text rule. A process name or search term holding a NUL or invalid UTF-8
// used to reach bun's inlined literal: SQLite failed with "unrecognized
// token", PostgreSQL with SQLSTATE 22021, MariaDB silently dropped the NUL.
// Now each is store.ErrInvalid (and an over-long process name
// store.ErrTooLong), as Write says, on every dialect.
func TestLogsLookupsFollowTheTextRule(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		l := newStore(t, db)
		require.NoError(t, l.Write(ctx, logs.Entry{Level: logs.LevelInfo, ProcessName: "nul", Message: "name"}))
		for name, f := range map[string]logs.Filter{
			"NUL in process name":           {ProcessName: "nul\x00name"},
			"invalid UTF-8 in process name": {ProcessName: "nul\xff"},
			"NUL in search":                 {Search: "nul\x00"},
			"invalid UTF-8 in search":       {Search: "\xc3("},
		} {
			_, err := l.Query(ctx, f)
			require.ErrorIs(t, err, store.ErrInvalid, name)
			require.True(t, strings.HasPrefix(err.Error(), "logs: query: invalid input: "), err.Error())
			for _, err := range l.All(ctx, f) {
				require.ErrorIs(t, err, store.ErrInvalid, name)
			}
			e := logs.Entry{Level: logs.LevelInfo, ProcessName: f.ProcessName, Message: f.Search}
			require.ErrorIs(t, l.Write(ctx, e), store.ErrInvalid, "%s: the write refuses it the same way", name)
		}
		_, err := l.Query(ctx, logs.Filter{ProcessName: strings.Repeat("p", logs.ProcessNameMax+1)})
		require.ErrorIs(t, err, store.ErrTooLong)
		page, err := l.Query(ctx, logs.Filter{ProcessName: strings.Repeat("p", logs.ProcessNameMax)})
		require.NoError(t, err)
		require.Zero(t, page.Total)
		// Quotes, backslashes and wildcards are looked up as written.
		odd := `it's a \ 100% _robot_`
		require.NoError(t, l.Write(ctx, logs.Entry{Level: logs.LevelInfo, ProcessName: odd, Message: odd}))
		page, err = l.Query(ctx, logs.Filter{ProcessName: odd, Search: `'s a \ 100%`})
		require.NoError(t, err)
		require.Equal(t, 1, page.Total)
		require.Equal(t, odd, page.Entries[0].Message)
	})
}
