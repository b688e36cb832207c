package queue

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/flowstore/flowstore/internal/golden"
	"github.com/flowstore/flowstore/internal/testdb"
	"github.com/flowstore/flowstore/store"
)

// TestSQLGolden pins every statement the package runs with bound
// parameters, per dialect — for SQL Server, which cannot run here, this is
// the check: testdata/sql/sqlserver.sql is what was reviewed against the
// T-SQL documentation (see the package doc).
func TestSQLGolden(t *testing.T) {
	for _, d := range store.DialectNames() {
		t.Run(string(d), func(t *testing.T) {
			golden.Assert(t, "testdata/sql/"+string(d)+".sql", renderSQL(t, d))
		})
	}
}

// dialect returns the registered dialect of a name (the test binary links
// all four through internal/testdb).
func dialect(t testing.TB, name store.DialectName) *store.Dialect {
	t.Helper()
	d, err := store.LookupDialect(name)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// goldenZone is the zone of the naive times the golden files show: one
// east of UTC, so that a time written in UTC instead would show.
const goldenZone = "Europe/Copenhagen"

// offline returns an offline handle of a dialect whose naive times are in
// goldenZone.
func offline(t *testing.T, d store.DialectName) *store.DB {
	t.Helper()
	zone, err := time.LoadLocation(goldenZone)
	if err != nil {
		t.Fatal(err)
	}
	db, err := store.New(context.Background(), testdb.Offline(d).Bun(), store.WithZone(zone))
	if err != nil {
		t.Fatal(err)
	}
	return db
}

func renderSQL(t *testing.T, d store.DialectName) string {
	db := offline(t, d)
	s := &bunStore{h: db.Handle(), db: db, d: db.SQLDialect(), sql: newStatements(db.SQLDialect(), len(db.RefUUIDs(uuid.Nil)))}
	ds := s.sql
	var b strings.Builder
	section := func(name, sql string, args ...any) {
		fmt.Fprintf(&b, "-- %s", name)
		if len(args) > 0 {
			fmt.Fprintf(&b, " %v", args)
		}
		fmt.Fprintf(&b, "\n%s;\n\n", sql)
	}
	style := "one statement"
	if ds.claims[claimKind{}].TwoStep {
		style = "locking SELECT, then UPDATE by ids, in one transaction"
	}
	fmt.Fprintf(&b, "-- claim style: %s\n", style)
	fmt.Fprintf(&b, "-- a lookup by id binds %d spelling(s) of each id; naive times below are wall clocks of %s\n\n", ds.spellings, goldenZone)
	for _, k := range claimKinds {
		c := ds.claims[k]
		// Bind with the arguments' names to show the order the statement
		// binds them in; the limit, an int, is -1.
		var names []string
		for _, a := range c.Bind([]any{"now"}, claimArgs(k, "queue", "lease cutoff", "reference"), -1) {
			if a == -1 {
				a = "limit"
			}
			names = append(names, a.(string))
		}
		section(fmt.Sprintf("claim (by reference: %v, lease: %v) args", k.byReference, k.lease), c.Statement, names)
	}
	if c := ds.claims[claimKind{}]; c.TwoStep {
		section("claim: mark the locked rows (3 here)", c.MarkClaimed(3))
	}
	section("enqueue", ds.insert1)
	fmt.Fprintf(&b, "-- enqueue batch: %d rows per statement\n", ds.batchRows)
	if ds.inlineBatch {
		now := time.Date(2026, 3, 1, 12, 0, 0, 123456000, time.UTC)
		ids := []uuid.UUID{uuid.MustParse("0191e8b2-1c2d-7e3f-8a4b-5c6d7e8f9a0b"), uuid.MustParse("0191e8b2-1c2d-7e3f-8a4b-5c6d7e8f9a0c")}
		// Rows 1000 and 1001 of a batch: the second INSERT.
		rows := s.newRows("q", []pendingRow{
			{id: ids[0], e: NewElement{Reference: "r1", Data: "d1", CreatedBy: "me", Key: "k1"}, created: batchCreated(now, 1000)},
			{id: ids[1], e: NewElement{Reference: "r2", CreatedBy: "me"}, created: batchCreated(now, 1001)},
		})
		section("enqueue batch (bun inlines the values; rows 1000 and 1001 here, created start + 1000 µs and + 1001 µs, 12:00 UTC)", db.Bun().NewInsert().Model(&rows).String())
	} else {
		section("enqueue batch (2 rows here)", ds.insertMany(2))
	}
	section("finish", ds.finish1)
	section("finish with message", ds.finish1Msg)
	section("finish batch (3 here)", ds.finish(3, true))
	section("finish claimed (fenced by start_date)", ds.finishClaimed1)
	section("finish claimed with message", ds.finishClaimed1Msg)
	section("force status IN_PROGRESS with message", ds.force("start_date", true))
	section("force status NEW", ds.force("", false))
	section("requeue stale", ds.requeueStale())
	section("fail stale with message", ds.failStale(true))
	section("counts", ds.counts)
	section("delete", ds.delete1)
	section("get", ds.get1)
	section("elements by key (enqueue with a key)", ds.byKey1)
	section("elements by keys (enqueue batch with keys; 3 here)", ds.byKeys(3))
	section("prune one queue", ds.prune(true))
	section("prune every queue", ds.prune(false))

	// List is built by bun, which inlines the values: run it on an offline
	// handle of the dialect and record what bun sends (the offline driver
	// then fails it).
	rec := &recordQueries{}
	idb := db.Bun().WithQueryHook(rec)
	var dst []Element
	list := func(name string, f Filter) {
		count, page, err := listQueries(idb, db, f, &dst)
		if err != nil {
			t.Fatal(err)
		}
		if f.Count {
			rec.last = ""
			_, _ = count.Count(t.Context())
			section(name+": count", rec.last)
		}
		rec.last = ""
		_ = page.Scan(t.Context())
		section(name+": page", rec.last)
	}
	list("list, zero filter", Filter{})
	from := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	list(`list, every filter (queue q, FAILED, reference r1, 1 March 2026 to 2 March UTC, search "50%_off!", by end_date descending, offset 20, limit 10)`,
		Filter{Queue: "q", Status: StatusFailed, Reference: "r1", From: from, To: from.Add(24 * time.Hour),
			Search: "50%_off!", OrderBy: "end_date", Desc: true, Offset: 20, Limit: 10, Count: true})

	// All's keyset pages: the first, and the one after an element, for
	// each kind of order column.
	after := &Element{ID: uuid.MustParse("0191e8b2-1c2d-7e3f-8a4b-5c6d7e8f9a0b"), QueueName: "q", Status: StatusDone,
		Reference: "r1", CreatedDate: from, StartDate: from.Add(time.Minute)}
	all := func(name string, f Filter, after *Element) {
		orderBy, n, err := checkFilter(db.SQLDialect(), f)
		if err != nil {
			t.Fatal(err)
		}
		rec.last = ""
		_ = allPage(idb, db, f, orderBy, after, n, &dst).Scan(t.Context())
		section(name, rec.last)
	}
	all("all, first page (queue q, offset 5)", Filter{Queue: "q", Offset: 5}, nil)
	all("all, page after an element (queue q)", Filter{Queue: "q"}, after)
	all("all, page after an element, by id descending", Filter{OrderBy: "id", Desc: true, Limit: 10}, after)
	all("all, page after an element, by reference (nullable text) descending", Filter{OrderBy: "reference", Desc: true}, after)
	all("all, page after an element without end_date, by end_date (nullable time)", Filter{OrderBy: "end_date"}, after)
	all("all, page after an element without end_date, by end_date descending", Filter{OrderBy: "end_date", Desc: true}, after)
	all("all, page after an element with start_date, by start_date", Filter{OrderBy: "start_date"}, after)
	all("all, page after an element with start_date, by start_date descending", Filter{OrderBy: "start_date", Desc: true}, after)
	return b.String()
}

// recordQueries is a bun query hook that keeps the last query it saw.
type recordQueries struct{ last string }

func (r *recordQueries) BeforeQuery(ctx context.Context, e *bun.QueryEvent) context.Context {
	r.last = e.Query
	return ctx
}

func (*recordQueries) AfterQuery(context.Context, *bun.QueryEvent) {}
