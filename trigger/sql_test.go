package trigger

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/flowstore/flowstore/internal/golden"
	"github.com/flowstore/flowstore/internal/testdb"
	"github.com/flowstore/flowstore/store"
)

// TestStatementsGolden pins every statement of the package per dialect —
// above all for SQL Server, which cannot run here — plus the INSERTs bun
// renders for Create, with fixed values.
func TestStatementsGolden(t *testing.T) {
	id := uuid.MustParse("0191e8b2-7c3a-7d4e-8f00-123456789abc")
	at := time.Date(2026, 11, 22, 10, 0, 0, 123456000, time.UTC)
	for _, d := range store.DialectNames() {
		db := testdb.Offline(d)
		s := buildStatements(db.SQLDialect())
		var b strings.Builder
		put := func(name, sql string) { fmt.Fprintf(&b, "-- %s\n%s;\n\n", name, sql) }
		put("get", s.byID)
		put("due", s.due)
		put("due (limit)", s.dueLimit)
		put("begin: trigger", s.beginTrigger)
		put("begin: cron of", s.cronOf)
		put("begin: scheduled", s.beginScheduled)
		put("begin: single due", s.singleDue)
		put("begin: queue due", s.queueDue)
		put("begin: note latest", s.noteLatest)
		put("heartbeat: update", s.heartbeatUpdate)
		put("heartbeat: insert", s.heartbeatInsert)
		put("take name (renew a stale row)", s.takeName)
		put("release name", s.releaseName)
		put("schedulers", s.listSchedulers)
		put("last heartbeat", s.lastHeartbeat)
		put("killing", s.killing)
		put("stale schedulers", s.staleSchedulers)
		for _, m := range []RecoverMode{RecoverFail, RecoverIdle} {
			put("recover stale ("+m.String()+")", s.recover[m][0])
			put("recover own ("+m.String()+")", s.recover[m][1])
		}
		ops := make([]string, 0, len(s.transitions))
		for o := range s.transitions {
			ops = append(ops, string(o))
		}
		slices.Sort(ops)
		for _, o := range ops {
			put("transition: "+o, s.transitions[op(o)].sql)
		}
		q, _ := s.list(Filter{Type: Queue, Statuses: []Status{StatusIdle, StatusFailed}, ProcessName: "p"})
		put("list (all filters)", q)
		put("lock trigger (update, delete)", s.lockTrigger)
		put("update: Triggers (two columns)", s.patch("Triggers", []string{"trigger_name", "priority"}))
		put("update: Scheduled_Triggers (two columns)", s.patch("Scheduled_Triggers", []string{"cron_expr", "next_run"}))
		for i, del := range s.deleteChildren {
			put(fmt.Sprintf("delete: subtype row (%d of %d)", i+1, len(s.deleteChildren)), del)
		}
		put("delete: trigger", s.deleteTrigger)

		for _, name := range []string{"insert Triggers", "insert Scheduled_Triggers", "insert Single_Triggers", "insert Queue_Triggers"} {
			var model any
			switch name {
			case "insert Triggers":
				model = &triggerRow{ID: id, TriggerName: "nightly", ProcessName: "p", ProcessPath: "/p.py", ProcessStatus: StatusIdle,
					IsBlocking: true, Type: Scheduled, SchedulerWhitelist: `["a", "b"]`, Priority: 3}
			case "insert Scheduled_Triggers":
				model = &scheduledRow{ID: id, CronExpr: "0 2 * * *", NextRun: at}
			case "insert Single_Triggers":
				model = &singleRow{ID: id, NextRun: at}
			case "insert Queue_Triggers":
				model = &queueRow{ID: id, QueueName: "q", MinBatchSize: 5}
			}
			put(name, db.Bun().NewInsert().Model(model).String())
		}
		put("begin: trigger (rendered)", db.Bun().NewRaw(s.beginTrigger, at, "sched-1", id, string(Scheduled)).String())
		golden.Assert(t, "statements/"+string(d)+".sql", b.String())
	}
}
