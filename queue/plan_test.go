package queue

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/flowstore/flowstore/internal/testdb"
	"github.com/flowstore/flowstore/store"
)

// TestClaimReadsOnlyClaimableRows checks on PostgreSQL that a claim reads
// the NEW elements it takes and not the elements claimed before them, also
// when the statistics were taken while every element was NEW (a large
// enqueue, then ANALYZE, then most of it worked off) and also in a generic
// plan (what a prepared claim runs after its fifth execution). With the
// queue bound by "=", such statistics made an index on created_date with
// a filter look as cheap as the claim's partial index, and each claim then
// read every element claimed before it (issue 15: claims of 150 ms where
// 2 ms do). The claim runs under EXPLAIN ANALYZE in a transaction that is
// rolled back.
func TestClaimReadsOnlyClaimableRows(t *testing.T) {
	const bloat = 200_000
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		if db.SQLDialect().Name() != store.Postgres {
			t.Skip("a PostgreSQL planner check")
		}
		ctx := t.Context()
		q, err := New(db)
		require.NoError(t, err)
		s := baseStore(q)
		const total, claimedBefore, n = 20_000, 15_000, 500
		exec := func(stmt string) {
			_, err := db.SQL().ExecContext(ctx, stmt)
			require.NoError(t, err)
		}
		// Earlier work leaves the indexes as a queue in use has them: grown,
		// with the pages VACUUM emptied still counted by the planner. (On
		// fresh indexes the partial index wins either way.)
		exec(`INSERT INTO "Queues" (id, queue_name, status, created_date) SELECT gen_random_uuid(), 'plan', 'NEW', localtimestamp - interval '1 day' + g * interval '1 microsecond' FROM generate_series(1, ` + strconv.Itoa(bloat) + `) g`)
		exec(`DELETE FROM "Queues"`)
		exec(`VACUUM "Queues"`)
		batch := make([]NewElement, 1000)
		for done := 0; done < total; done += len(batch) {
			for i := range batch {
				batch[i] = NewElement{Reference: strconv.Itoa(done + i)}
			}
			_, err := q.EnqueueBatch(ctx, "plan", batch)
			require.NoError(t, err)
		}
		exec(`ANALYZE "Queues"`)
		for done := 0; done < claimedBefore; done += MaxClaimBatch {
			els, err := q.ClaimBatch(ctx, "plan", MaxClaimBatch)
			require.NoError(t, err)
			require.Len(t, els, MaxClaimBatch)
		}

		c := s.sql.claims[claimKind{}]
		args := c.Bind([]any{s.naive(db.Now())}, claimArgs(claimKind{}, "plan", nil, nil), n)
		for _, mode := range []string{"auto", "force_generic_plan"} {
			t.Run(mode, func(t *testing.T) {
				plan := explainAnalyze(t, db, mode, c.Statement, args)
				require.Equal(t, float64(n), plan.Rows, "the claim takes n elements")
				var read float64
				walkPlan(plan, func(p *planNode) {
					if p.RelationName == "Queues" && p.NodeType != "ModifyTable" {
						read += p.Rows + p.RowsRemovedByFilter
					}
				})
				// The picked rows, then the same rows fetched again by id
				// for the UPDATE: nothing claimed before is read.
				require.LessOrEqual(t, read, float64(2*n), "rows of Queues the claim read\n%s", plan.text)
			})
		}
	})
}

// planNode is one node of EXPLAIN (FORMAT JSON)'s plan.
type planNode struct {
	NodeType            string      `json:"Node Type"`
	RelationName        string      `json:"Relation Name"`
	Rows                float64     `json:"Actual Rows"`
	RowsRemovedByFilter float64     `json:"Rows Removed by Filter"`
	Plans               []*planNode `json:"Plans"`
	text                string
}

func walkPlan(p *planNode, fn func(*planNode)) {
	fn(p)
	for _, c := range p.Plans {
		walkPlan(c, fn)
	}
}

// explainAnalyze runs a statement under EXPLAIN (ANALYZE, FORMAT JSON) with
// plan_cache_mode set to mode, in a transaction it rolls back, and returns
// the plan's top node.
func explainAnalyze(t *testing.T, db *store.DB, mode, statement string, args []any) *planNode {
	t.Helper()
	ctx := context.WithoutCancel(t.Context())
	tx, err := db.SQL().BeginTx(ctx, nil)
	require.NoError(t, err)
	defer tx.Rollback()
	_, err = tx.ExecContext(ctx, "SET LOCAL plan_cache_mode = "+mode)
	require.NoError(t, err)
	var out string
	require.NoError(t, tx.QueryRowContext(ctx, "EXPLAIN (ANALYZE, FORMAT JSON) "+statement, args...).Scan(&out))
	var plans []struct {
		Plan *planNode `json:"Plan"`
	}
	require.NoError(t, json.Unmarshal([]byte(out), &plans), out)
	require.Len(t, plans, 1)
	plans[0].Plan.text = out
	return plans[0].Plan
}

// TestReferenceReadsUseTheReferenceIndex checks on PostgreSQL and SQLite
// that the reads of one reference's elements — the dashboard's page, List
// with Filter.Reference — still read ix_Queues_reference_created_date_id
// now that it covers only rows with a reference (migration 0074): the
// planner has to take reference = … as implying reference IS NOT NULL.
// Most elements have no reference, as OpenOrchestrator's often do not, so
// that a scan of another index would look cheap.
func TestReferenceReadsUseTheReferenceIndex(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		var explain string
		switch db.SQLDialect().Name() {
		case store.Postgres:
			explain = "EXPLAIN "
		case store.SQLite:
			explain = "EXPLAIN QUERY PLAN "
		default:
			t.Skip("a PostgreSQL and SQLite planner check (MySQL has no partial indexes)")
		}
		ctx := t.Context()
		q, err := New(db)
		require.NoError(t, err)
		batch := make([]NewElement, 1000)
		for done := 0; done < 20_000; done += len(batch) {
			for i := range batch {
				if (done+i)%50 == 0 {
					batch[i].Reference = "ref-" + strconv.Itoa((done+i)/50)
				} else {
					batch[i].Reference = ""
				}
			}
			_, err := q.EnqueueBatch(ctx, "refs", batch)
			require.NoError(t, err)
		}
		_, err = db.SQL().ExecContext(ctx, `ANALYZE "Queues"`)
		require.NoError(t, err)
		for _, f := range []Filter{
			{Reference: "ref-7", Desc: true, Limit: 50},                // the dashboard's page of one reference
			{Queue: "refs", Reference: "ref-7", Desc: true, Limit: 50}, // … within one queue
			{Reference: "ref-7", Limit: 50},
		} {
			var dst []Element
			_, page, err := listQueries(db.Bun(), db, f, &dst)
			require.NoError(t, err)
			rows, err := db.SQL().QueryContext(ctx, explain+page.String())
			require.NoError(t, err)
			cols, err := rows.Columns()
			require.NoError(t, err)
			var plan string
			for rows.Next() {
				vals := make([]any, len(cols))
				ptrs := make([]any, len(cols))
				for i := range vals {
					ptrs[i] = &vals[i]
				}
				require.NoError(t, rows.Scan(ptrs...))
				for _, v := range vals {
					if b, ok := v.([]byte); ok {
						v = string(b)
					}
					plan += fmt.Sprint(v) + " "
				}
				plan += "\n"
			}
			require.NoError(t, rows.Err())
			require.NoError(t, rows.Close())
			require.Contains(t, plan, "ix_Queues_reference_created_date_id", "filter %+v: %s\nplan:\n%s", f, page.String(), plan)
		}
	})
}
