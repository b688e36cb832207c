package queue

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

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
		rows := []Element{
			{ID: uuid.MustParse("0191e8b2-1c2d-7e3f-8a4b-5c6d7e8f9a0b"), QueueName: "q", Status: StatusNew, Reference: "r1", Data: "d1", CreatedDate: now, CreatedBy: "me"},
			{ID: uuid.MustParse("0191e8b2-1c2d-7e3f-8a4b-5c6d7e8f9a0c"), QueueName: "q", Status: StatusNew, Reference: "r2", CreatedDate: now, CreatedBy: "me"},
		}
		section("enqueue batch (bun inlines the values; 2 rows here)", testdb.Offline(d).Bun().NewInsert().Model(&rows).String())
	} else {
		section("enqueue batch (2 rows here)", ds.insertMany(2))
	}
	section("finish", ds.finish1)
	section("finish with message", ds.finish1Msg)
	section("finish batch (3 here)", ds.finish(3, true))
	section("force status IN_PROGRESS with message", ds.force("start_date", true))
	section("force status NEW", ds.force("", false))
	section("requeue stale", ds.requeueStale())
	section("fail stale with message", ds.failStale(true))
	return b.String()
}
