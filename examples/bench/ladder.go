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
	{"claim index + key only", func(ix, claim string) bool { return ix == claim || isKey(ix) }},
}

// isKey reports whether an index is Queues' primary key (PostgreSQL names
// it Queues_pkey; SQLite's is part of the table's own DDL and is not
// listed).
func isKey(index string) bool { return index == "Queues_pkey" }

// catalog reads, for one dialect, the DDL of Queues and of its indexes.
type catalog struct {
	// table creates a copy of Queues' columns and constraints (no indexes).
	table func(ctx context.Context, e *env, name string) (string, error)
	// indexes returns each index of Queues: its name and its CREATE INDEX.
	indexes string
	// claimIndex is the index the claim reads, on this dialect.
	claimIndex string
}

var catalogs = map[store.DialectName]catalog{
	store.Postgres: {
		table: func(_ context.Context, e *env, name string) (string, error) {
			q := e.db.SQLDialect().Quote
			return "CREATE TABLE " + q(name) + " (LIKE " + q("Queues") + " INCLUDING DEFAULTS INCLUDING CONSTRAINTS)", nil
		},
		indexes:    `SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'Queues' AND schemaname = current_schema()`,
		claimIndex: "ix_Queues_claim_new",
	},
	store.SQLite: {
		table: func(ctx context.Context, e *env, name string) (string, error) {
			var ddl string
			err := e.raw.QueryRowContext(ctx, `SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'Queues'`).Scan(&ddl)
			if err != nil {
				return "", err
			}
			return strings.Replace(ddl, `"Queues"`, `"`+name+`"`, 1), nil
		},
		indexes:    `SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'Queues' AND sql IS NOT NULL`,
		claimIndex: "ix_Queues_queue_name_status_created_date_id",
	},
}

// indexHead matches a CREATE INDEX up to its table, for renaming both.
var indexHead = regexp.MustCompile(`^(CREATE (?:UNIQUE )?INDEX )\S+( ON )(?:\S+\.)?"Queues"`)

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
	cat, ok := catalogs[e.db.SQLDialect().Name()]
	if !ok {
		return nil, fmt.Errorf("%w: the schema ladder runs on PostgreSQL and SQLite, not %s", store.ErrInvalid, e.db.SQLDialect().Name())
	}
	type index struct{ name, ddl string }
	var all []index
	rows, err := e.raw.QueryContext(ctx, cat.indexes)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var ix index
		if err := rows.Scan(&ix.name, &ix.ddl); err != nil {
			rows.Close()
			return nil, err
		}
		all = append(all, ix)
	}
	if err := errors.Join(rows.Err(), rows.Close()); err != nil {
		return nil, err
	}
	if !slices.ContainsFunc(all, func(ix index) bool { return ix.name == cat.claimIndex }) {
		return nil, fmt.Errorf("the ladder: Queues has no %s (is the schema migrated?)", cat.claimIndex)
	}
	q := e.db.SQLDialect().Quote
	base := rawqueue.For(e.db)
	for k, r := range rungs {
		t := &ladderTable{name: fmt.Sprintf("%s_l%d", e.tableTag, k+1)}
		ddl, err := cat.table(ctx, e, t.name)
		if err != nil {
			return nil, err
		}
		// Recorded before the CREATE, so cleanup drops a half-made table.
		e.ladder = append(e.ladder, t)
		stmts := []string{ddl}
		if e.db.SQLDialect().Name() == store.Postgres {
			// LIKE copies no index, the primary key's included.
			stmts = append(stmts, "ALTER TABLE "+q(t.name)+" ADD PRIMARY KEY ("+q("id")+")")
		}
		for i, ix := range all {
			if isKey(ix.name) || !r.keep(ix.name, cat.claimIndex) {
				continue
			}
			stmts = append(stmts, indexHead.ReplaceAllString(ix.ddl, "${1}"+q(fmt.Sprintf("%s_i%d", t.name, i))+"${2}"+q(t.name)))
			t.indexes = append(t.indexes, ix.name)
		}
		for _, s := range stmts {
			if _, err := e.raw.ExecContext(ctx, s); err != nil {
				return nil, fmt.Errorf("the ladder: %s: %w", s, err)
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
