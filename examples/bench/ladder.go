package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"

	"github.com/flowstore/flowstore/internal/rawqueue"
	"github.com/flowstore/flowstore/store"
)

// The schema ladder (-ladder) answers what the anchor column cannot: why
// the single-element claim + finish on Queues runs at a fraction of the
// anchor's rate although flowstore's statements cost no more than the same
// SQL sent raw. It runs the raw side's claim and finish — the library's SQL
// (rawqueue.SQL) — on copies of Queues that keep fewer and fewer of its
// indexes, each rung measured in rounds with the anchor, in the same run:
//
//  1. every index flowstore's migrations give Queues;
//  2. without the dashboard's and the partial retry/idempotency indexes:
//     the indexes the reference schema has (in flowstore's spelling,
//     ix_Queues_queue_name_status_created_date_id for the reference's
//     ix_Queues_queue_name_status_created_date, and ix_Queues_created_date),
//     the claim's index and the primary key;
//  3. the primary key and the claim's index only.
//
// A status change cannot be a heap-only update on PostgreSQL while status
// is in any index, so each claim and each finish adds an entry to every
// index of the table that the new row version belongs to; on SQLite an
// UPDATE rewrites only the indexes holding a column it changes. The rungs
// put a rate on each of those entries.

// rung is one copy of Queues in the ladder.
type rung struct {
	name string
	// keep says whether the copy keeps one of Queues' indexes, by name;
	// claimIndex names the index the claim reads.
	keep func(index, claimIndex string) bool
}

// dashboardOrOptional are the indexes that rung 2 drops: the dashboard's
// (migration 0071) and the partial ones for retries and idempotency keys
// (whose column is NULL on every element the bench enqueues).
var dashboardOrOptional = []string{
	"ix_Queues_reference_created_date_id",
	"ix_Queues_queue_name_status_end_date",
	"ix_Queues_queue_name_retry_at",
	"ux_Queues_queue_name_idempotency_key",
}

var rungs = []rung{
	{"every index of Queues", func(string, string) bool { return true }},
	{"reference indexes + claim index + key", func(ix, _ string) bool { return !slices.Contains(dashboardOrOptional, ix) }},
	{"claim index + key only", func(ix, claim string) bool { return ix == claim }},
}

// claimIndexes are the indexes a claim reads, in order of preference: the
// first of them that the dialect's schema creates is the claim's
// (ix_Queues_claim_new exists on PostgreSQL only; see migration 0072).
var claimIndexes = []string{"ix_Queues_claim_new", "ix_Queues_queue_name_status_created_date_id"}

// queuesStatement is one statement of the dialect's schema that makes
// Queues: its table, a column, a constraint or an index.
type queuesStatement struct {
	sql string
	// index names the index the statement creates or drops ("" for none).
	index string
}

// indexStatement matches a CREATE INDEX or DROP INDEX and its index's name.
var indexStatement = regexp.MustCompile(`^(?:CREATE (?:UNIQUE )?|DROP )INDEX (\S+)`)

// queuesSchema returns, in order, the statements of the dialect's schema
// (store.SchemaSQL: every migration as Migrate applies it) that name Queues.
// The ladder's copies replay them under other names, so what a copy is, on
// each dialect, is what flowstore's migrations make of Queues there, with
// no catalog query.
func queuesSchema(d *store.Dialect) ([]queuesStatement, error) {
	schema, err := store.SchemaSQL(d.Name())
	if err != nil {
		return nil, err
	}
	table := d.Quote("Queues")
	var out []queuesStatement
	created := map[string]bool{} // Queues' indexes, by name
	for _, chunk := range strings.Split(schema, ";\n") {
		// SchemaSQL puts comments between statements, and on SQL Server a
		// GO line after each.
		var lines []string
		for _, l := range strings.Split(chunk, "\n") {
			if t := strings.TrimSpace(l); t != "" && t != "GO" && !strings.HasPrefix(t, "--") {
				lines = append(lines, l)
			}
		}
		st := queuesStatement{sql: strings.Join(lines, "\n")}
		if m := indexStatement.FindStringSubmatch(st.sql); m != nil {
			st.index = strings.Trim(m[1], "\"`[]")
		}
		// A DROP INDEX names no table on some dialects: it belongs to
		// Queues when the index it drops does.
		if strings.Contains(st.sql, table) || created[st.index] {
			if st.index != "" {
				created[st.index] = true
			}
			out = append(out, st)
		}
	}
	return out, nil
}

// ladderTable is one rung's table: its statements and indexes.
type ladderTable struct {
	name    string
	sql     *rawqueue.SQL
	indexes []string
}

// ladderTables creates the rungs' tables, once per run.
func (e *env) ladderTables(ctx context.Context) ([]*ladderTable, error) {
	if e.ladder != nil {
		return e.ladder, nil
	}
	d := e.db.SQLDialect()
	schema, err := queuesSchema(d)
	if err != nil {
		return nil, err
	}
	claimIndex := ""
	for _, ix := range claimIndexes {
		if slices.ContainsFunc(schema, func(st queuesStatement) bool { return st.index == ix }) {
			claimIndex = ix
			break
		}
	}
	base := rawqueue.For(e.db)
	for k, r := range rungs {
		t := &ladderTable{name: fmt.Sprintf("%s_l%d", e.tableTag, k+1)}
		// The copy's own names: the table's, and in its constraints' and
		// indexes' names a short tag instead of "Queues", so that they stay
		// unique (PostgreSQL and SQLite name indexes per schema) and short.
		tag := fmt.Sprintf("l%d_%s", k+1, strings.TrimPrefix(e.tableTag, tablePrefix))
		// Recorded before the CREATE, so cleanup drops a half-made table.
		e.ladder = append(e.ladder, t)
		for _, st := range schema {
			if st.index != "" && !r.keep(st.index, claimIndex) {
				continue
			}
			stmt := strings.ReplaceAll(strings.ReplaceAll(st.sql, d.Quote("Queues"), d.Quote(t.name)), "Queues", tag)
			if _, err := e.raw.ExecContext(ctx, stmt); err != nil {
				return nil, fmt.Errorf("the ladder: %s: %w", stmt, err)
			}
			switch {
			case strings.HasPrefix(st.sql, "DROP"):
				t.indexes = slices.DeleteFunc(t.indexes, func(ix string) bool { return ix == st.index })
			case st.index != "":
				t.indexes = append(t.indexes, st.index)
			}
		}
		t.sql = base.OnTable(t.name)
	}
	return e.ladder, nil
}

// dropLadder removes the rungs' tables.
func (e *env) dropLadder(ctx context.Context) error {
	var errs []error
	for _, t := range e.ladder {
		if _, err := e.raw.ExecContext(ctx, "DROP TABLE IF EXISTS "+e.db.SQLDialect().Quote(t.name)); err != nil {
			errs = append(errs, fmt.Errorf("cleanup %s: %w", t.name, err))
		}
	}
	return errors.Join(errs...)
}

// fillRung empties rung k's table and inserts n NEW elements of the run's
// queue, as the raw side fills Queues.
func fillRung(k int) func(ctx context.Context, e *env, n int) error {
	return func(ctx context.Context, e *env, n int) error {
		ts, err := e.ladderTables(ctx)
		if err != nil {
			return err
		}
		if _, err := e.raw.ExecContext(ctx, "DELETE FROM "+e.db.SQLDialect().Quote(ts[k].name)); err != nil {
			return err
		}
		refs, data := enqueueRows(n)
		return ts[k].sql.EnqueueOn(ctx, e.raw, e.tag, refs, data, benchCreatedBy)
	}
}

// ladderCases are the ladder's cases: each rung at 1, 4 and 16 workers,
// with the anchor measured in the same rounds. They are not registered:
// -ladder runs them instead of the table's cases.
func ladderCases() []*benchCase {
	var cs []*benchCase
	for k, r := range rungs {
		for _, workers := range []int{1, 4, 16} {
			cs = append(cs, &benchCase{
				name:    fmt.Sprintf("ladder %d: %s, %d workers", k+1, r.name, workers),
				workers: workers,
				ops:     2000,
				prepare: fillRung(k),
				library: func(ctx context.Context, e *env, _, _ int) (int, error) {
					return e.ladder[k].sql.ClaimFinishOn(ctx, e.raw, e.tag, 1)
				},
				anchorPrepare: fillAnchor,
				anchor: func(ctx context.Context, e *env, _, _ int) (int, error) {
					return e.anchor.a.ClaimFinish(ctx, e.raw)
				},
			})
		}
	}
	return cs
}

// printLadder prints the ladder's table: each rung's rate and its ratio to
// the anchor measured in the same rounds, then the indexes of each rung.
func printLadder(w io.Writer, rep report, e *env) {
	fmt.Fprintf(w, "\nflowstore schema ladder on %s — %s — %s — median of %d rounds\n\n", rep.Dialect, rep.Machine, rep.Date, rep.Rounds)
	fmt.Fprintln(w, "The raw side's claim + finish of one element (flowstore's SQL) on copies of Queues with fewer indexes;")
	fmt.Fprintln(w, "each cell: elements/s, and in brackets that ÷ the anchor's elements/s in the same rounds.")
	fmt.Fprintln(w)
	fmt.Fprintf(w, "| %-50s | %18s | %18s | %18s |\n", "schema", "1 worker", "4 workers", "16 workers")
	fmt.Fprintf(w, "|%s|%s:|%s:|%s:|\n", strings.Repeat("-", 52), strings.Repeat("-", 19), strings.Repeat("-", 19), strings.Repeat("-", 19))
	cells := map[string][]string{}
	anchors := make([]string, 0, 3)
	var names []string
	for _, r := range rep.Results {
		name := r.Case[:strings.LastIndex(r.Case, ",")]
		if _, ok := cells[name]; !ok {
			names = append(names, name)
		}
		cells[name] = append(cells[name], fmt.Sprintf("%.0f (%.2f)", r.LibraryOps, r.VsAnchor))
		if len(names) == 1 {
			anchors = append(anchors, fmt.Sprintf("%.0f", r.AnchorOps))
		}
	}
	for _, n := range names {
		c := append(cells[n], "", "", "")
		fmt.Fprintf(w, "| %-50s | %18s | %18s | %18s |\n", n, c[0], c[1], c[2])
	}
	a := append(anchors, "", "", "")
	fmt.Fprintf(w, "| %-50s | %18s | %18s | %18s |\n", "anchor (rung 1's rounds)", a[0], a[1], a[2])
	fmt.Fprintln(w)
	for k, t := range e.ladder {
		fmt.Fprintf(w, "rung %d indexes (besides the primary key): %s\n", k+1, strings.Join(t.indexes, ", "))
	}
}
