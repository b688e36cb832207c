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
	for _, d := range store.Dialects() {
		t.Run(string(d), func(t *testing.T) {
			golden.Assert(t, "testdata/sql/"+string(d)+".sql", renderSQL(t, d))
		})
	}
}

func renderSQL(t *testing.T, d store.Dialect) string {
	ds := newDialectSQL(d)
	var b strings.Builder
	section := func(name, sql string, args ...any) {
		fmt.Fprintf(&b, "-- %s", name)
		if len(args) > 0 {
			fmt.Fprintf(&b, " %v", args)
		}
		fmt.Fprintf(&b, "\n%s;\n\n", sql)
	}
	style := map[claimStyle]string{claimReturning: "one statement", claimLockThenUpdate: "locking SELECT, then UPDATE by ids, in one transaction"}
	fmt.Fprintf(&b, "-- claim style: %s\n\n", style[ds.style])
	for _, k := range []claimKind{{}, {byReference: true}, {lease: true}, {byReference: true, lease: true}} {
		st := ds.claims[k]
		names := make([]string, len(st.Args))
		for i, a := range st.Args {
			names[i] = [...]string{"now", "queue", "reference", "lease cutoff", "limit"}[a]
		}
		section(fmt.Sprintf("claim (by reference: %v, lease: %v) args", k.byReference, k.lease), st.SQL, names)
	}
	if ds.style == claimLockThenUpdate {
		section("claim: mark the locked rows (3 here)", ds.updateClaimed(3))
	}
	section("enqueue", ds.insert1)
	fmt.Fprintf(&b, "-- enqueue batch: %d rows per statement\n", ds.batchRows())
	if ds.inlineBatch {
		now := time.Date(2026, 3, 1, 12, 0, 0, 123456000, time.UTC)
		ids := []uuid.UUID{uuid.MustParse("0191e8b2-1c2d-7e3f-8a4b-5c6d7e8f9a0b"), uuid.MustParse("0191e8b2-1c2d-7e3f-8a4b-5c6d7e8f9a0c")}
		// Rows 1000 and 1001 of a batch: the second INSERT.
		rows := newRows("q", ids, []string{"r1", "r2"}, []string{"d1", ""}, "me", now, 1000)
		section("enqueue batch (bun inlines the values; rows 1000 and 1001 here, created start + 1000 µs and + 1001 µs)", testdb.Offline(d).Bun().NewInsert().Model(&rows).String())
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
	section("prune one queue", ds.prune(true))
	section("prune every queue", ds.prune(false))

	// List is built by bun, which inlines the values: run it on an offline
	// handle of the dialect and record what bun sends (the offline driver
	// then fails it).
	rec := &recordQueries{}
	idb := testdb.Offline(d).Bun().WithQueryHook(rec)
	var dst []Element
	list := func(name string, f Filter) {
		count, page, err := listQueries(idb, f, &dst)
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
	list(`list, every filter (queue q, FAILED, reference r1, 1 March 2026 to 2 March, search "50%_off!", by end_date descending, offset 20, limit 10)`,
		Filter{Queue: "q", Status: StatusFailed, Reference: "r1", From: from, To: from.Add(24 * time.Hour),
			Search: "50%_off!", OrderBy: "end_date", Desc: true, Offset: 20, Limit: 10, Count: true})
	return b.String()
}

// recordQueries is a bun query hook that keeps the last query it saw.
type recordQueries struct{ last string }

func (r *recordQueries) BeforeQuery(ctx context.Context, e *bun.QueryEvent) context.Context {
	r.last = e.Query
	return ctx
}

func (*recordQueries) AfterQuery(context.Context, *bun.QueryEvent) {}
