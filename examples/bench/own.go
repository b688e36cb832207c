package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/flowstore/flowstore/orchestrator"
	"github.com/flowstore/flowstore/store"
)

// The bench's own rows. Every name a run writes starts with its tag,
// benchPrefix and 8 hex digits; its anchor table is tablePrefix and the same
// digits. A row whose name starts with benchPrefix is a bench's (this run's
// or one an earlier run left when it was killed): checkClean lets those
// pass, cleanup removes only this run's.
const (
	benchPrefix = "flowstore-bench-"
	tablePrefix = "flowstore_bench_"
)

// ownedTables are the tables the bench writes, each with the column that
// carries a bench row's name. Processes, their steps and inputs belong to
// the bench through their workflow (ownedProcesses); engine_settings is
// the one row every database has, whose counter cleanup leaves as it found
// it.
var ownedTables = []struct{ table, column string }{
	{"Queues", "queue_name"},
	{"Logs", "process_name"},
	{"Constants", "name"},
	{"process_instances", "process_id"},
	{"workflows", "name"},
	{"engine_instances", "instance_id"},
}

// checkClean counts, in every table the bench writes, the rows that are not
// a bench's; any is errDirty, naming the tables.
func checkClean(ctx context.Context, db *store.DB) error {
	d := db.SQLDialect()
	q := d.Quote
	var foreign []string
	count := func(table, query string) error {
		var n int
		if err := db.SQL().QueryRowContext(ctx, d.Rebind(query), benchPrefix+"%").Scan(&n); err != nil {
			return fmt.Errorf("check %s: %w", table, err)
		}
		if n > 0 {
			foreign = append(foreign, fmt.Sprintf("%s: %d", table, n))
		}
		return nil
	}
	for _, t := range ownedTables {
		c := q(t.column)
		if err := count(t.table, "SELECT COUNT(*) FROM "+q(t.table)+" WHERE "+c+" IS NULL OR "+c+" NOT LIKE ?"); err != nil {
			return err
		}
	}
	if err := count("processes", "SELECT COUNT(*) FROM "+q("processes")+" p WHERE NOT EXISTS (SELECT 1 FROM "+q("workflows")+
		" w WHERE w."+q("workflow_id")+" = p."+q("workflow_id")+" AND w."+q("name")+" LIKE ?)"); err != nil {
		return err
	}
	if len(foreign) > 0 {
		return fmt.Errorf("%w (%s): run it on a database of its own, or pass -dirty-ok", errDirty, strings.Join(foreign, ", "))
	}
	return nil
}

// cleanup ends the run's background work, then removes every row and the
// table the run made, on a context of its own: it also runs after Ctrl-C
// cancelled the run's.
func (e *env) cleanup(parent context.Context) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(parent), 2*time.Minute)
	defer cancel()
	errs := []error{e.bg.stop()}
	errs = append(errs, e.removeProcesses(ctx))
	d := e.db.SQLDialect()
	q := d.Quote
	del := func(table, column, op, value string) {
		_, err := e.db.SQL().ExecContext(ctx, d.Rebind("DELETE FROM "+q(table)+" WHERE "+q(column)+" "+op+" ?"), value)
		if err != nil {
			errs = append(errs, fmt.Errorf("cleanup %s: %w", table, err))
		}
	}
	del("workflows", "name", "LIKE", e.tag+"-%")
	del("Queues", "queue_name", "=", e.tag)
	del("Logs", "process_name", "=", e.tag)
	del("Constants", "name", "LIKE", e.tag+"-%")
	del("process_instances", "process_id", "=", e.tag)
	del("engine_instances", "instance_id", "=", e.tag)
	if e.anchor != nil {
		errs = append(errs, e.anchor.a.Drop(ctx, e.raw))
	}
	errs = append(errs, e.dropLadder(ctx))
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("%w of run %s: %w", errCleanup, e.tag, err)
	}
	return nil
}

// removeProcesses deletes the processes of the run's workflows, with their
// steps and inputs, through the orchestrator's DeleteProcess (the bench's
// workflows are tasks, which it may delete), which takes a process still
// running — one Ctrl-C interrupted — off running_processes in the same
// transaction.
func (e *env) removeProcesses(ctx context.Context) error {
	d := e.db.SQLDialect()
	rows, err := e.db.SQL().QueryContext(ctx, d.Rebind("SELECT "+d.Quote("name")+" FROM "+d.Quote("workflows")+" WHERE "+d.Quote("name")+" LIKE ?"), e.tag+"-%")
	if err != nil {
		return fmt.Errorf("cleanup workflows: %w", err)
	}
	var names []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			rows.Close()
			return err
		}
		names = append(names, n)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	st, err := orchestrator.New(e.db)
	if err != nil {
		return err
	}
	for _, name := range names {
		var pids []uuid.UUID
		for p, err := range st.AllProcesses(ctx, orchestrator.ProcessFilter{Workflow: name}) {
			if err != nil {
				return fmt.Errorf("cleanup processes of %s: %w", name, err)
			}
			pids = append(pids, p.PID)
		}
		for _, pid := range pids {
			if err := st.DeleteProcess(ctx, pid); err != nil {
				return fmt.Errorf("cleanup: %w", err)
			}
		}
	}
	return nil
}
