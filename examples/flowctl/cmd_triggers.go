package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/google/uuid"

	"github.com/flowstore/flowstore/trigger"
)

func init() {
	register(&command{
		name:  "triggers",
		usage: "list | add-scheduled | add-single | add-queue | pause ID | resume ID | kill ID: manage triggers",
		run:   runTriggers,
	})
}

const triggersUsage = `flowctl triggers list [--type T] [--status S[,S…]] [--process P]
flowctl triggers add-scheduled --name N --process P --path PATH --cron EXPR [--next-run TIME] [common flags]
flowctl triggers add-single    --name N --process P --path PATH --at TIME [common flags]
flowctl triggers add-queue     --name N --process P --path PATH --queue Q --min-batch N [common flags]
flowctl triggers pause|resume|kill ID
common flags: --args A --priority N --blocking --git --branch B --whitelist NAME,NAME
TIME is RFC 3339 (2026-11-22T10:00:00Z)`

func runTriggers(ctx context.Context, e *env, args []string) error {
	if len(args) == 0 {
		return usageError("a subcommand is required\n%s", triggersUsage)
	}
	sub, rest := args[0], args[1:]
	switch sub {
	case "list":
		return triggersList(ctx, e, rest)
	case "add-scheduled":
		return triggersAdd(ctx, e, trigger.Scheduled, rest)
	case "add-single":
		return triggersAdd(ctx, e, trigger.Single, rest)
	case "add-queue":
		return triggersAdd(ctx, e, trigger.Queue, rest)
	case "pause", "resume", "kill":
		return triggersChange(ctx, e, sub, rest)
	}
	return usageError("unknown subcommand %q\n%s", sub, triggersUsage)
}

func triggersList(ctx context.Context, e *env, args []string) error {
	fs := e.flags("triggers list")
	typ := fs.String("type", "", "SINGLE, SCHEDULED or QUEUE")
	statuses := fs.String("status", "", "comma-separated statuses (IDLE, RUNNING, …)")
	process := fs.String("process", "", "process name")
	if err := fs.Parse(args); err != nil {
		return parseError(err)
	}
	var f trigger.Filter
	if *typ != "" {
		t, err := trigger.ParseType(*typ)
		if err != nil {
			return usageError("%v", err)
		}
		f.Type = t
	}
	for _, s := range splitList(*statuses) {
		st, err := trigger.ParseStatus(s)
		if err != nil {
			return usageError("%v", err)
		}
		f.Statuses = append(f.Statuses, st)
	}
	f.ProcessName = *process
	db, err := e.open(ctx)
	if err != nil {
		return err
	}
	ts, err := db.Triggers.List(ctx, f)
	if err != nil {
		return err
	}
	w := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "ID\tNAME\tTYPE\tSTATUS\tPRIO\tWHEN\tPROCESS\tLAST RUN")
	for _, t := range ts {
		when := ""
		switch t.Type {
		case trigger.Scheduled:
			when = fmt.Sprintf("%s (next %s)", t.CronExpr, fmtTime(t.NextRun))
		case trigger.Single:
			when = fmtTime(t.NextRun)
		case trigger.Queue:
			when = fmt.Sprintf("%s >= %d NEW", t.QueueName, t.MinBatchSize)
		}
		name := t.Name
		if t.IsBlocking {
			name += " (blocking)"
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%d\t%s\t%s\t%s\n", t.ID, name, t.Type, t.Status, t.Priority, when, t.ProcessName, fmtTime(t.LastRun))
	}
	if err := w.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "%d trigger(s)\n", len(ts))
	return nil
}

func fmtTime(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format(time.RFC3339)
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// timeFlag parses an RFC 3339 time.
type timeFlag struct{ t time.Time }

func (f *timeFlag) String() string { return fmtTime(f.t) }
func (f *timeFlag) Set(s string) error {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return fmt.Errorf("want RFC 3339, e.g. 2026-11-22T10:00:00Z: %v", err)
	}
	f.t = t
	return nil
}

func triggersAdd(ctx context.Context, e *env, typ trigger.Type, args []string) error {
	fs := e.flags("triggers add-" + strings.ToLower(string(typ)))
	spec := trigger.Spec{Type: typ}
	fs.StringVar(&spec.Name, "name", "", "trigger name (required)")
	fs.StringVar(&spec.ProcessName, "process", "", "process name (required)")
	fs.StringVar(&spec.ProcessPath, "path", "", "process path or git URL (required)")
	fs.StringVar(&spec.ProcessArgs, "args", "", "process arguments")
	fs.IntVar(&spec.Priority, "priority", 0, "higher starts first")
	fs.BoolVar(&spec.IsBlocking, "blocking", false, "run alone on its scheduler")
	fs.BoolVar(&spec.IsGitRepo, "git", false, "path is a git repository")
	fs.StringVar(&spec.GitBranch, "branch", "", "git branch or tag")
	whitelist := fs.String("whitelist", "", "comma-separated scheduler names allowed to run it")
	var at timeFlag
	switch typ {
	case trigger.Scheduled:
		fs.StringVar(&spec.CronExpr, "cron", "", `cron expression, e.g. "0 2 * * *" or "CRON_TZ=Europe/Copenhagen 0 2 * * MON-FRI" (required)`)
		fs.Var(&at, "next-run", "first run (default: the cron expression's next time)")
	case trigger.Single:
		fs.Var(&at, "at", "when it runs (required)")
	case trigger.Queue:
		fs.StringVar(&spec.QueueName, "queue", "", "queue name (required)")
		fs.IntVar(&spec.MinBatchSize, "min-batch", 1, "fire when the queue holds at least this many NEW elements")
	}
	if err := fs.Parse(args); err != nil {
		return parseError(err)
	}
	if fs.NArg() > 0 {
		return usageError("unexpected argument %q", fs.Arg(0))
	}
	spec.NextRun = at.t
	spec.SchedulerWhitelist = splitList(*whitelist)
	db, err := e.open(ctx)
	if err != nil {
		return err
	}
	t, err := db.Triggers.Create(ctx, spec)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "created %s trigger %q %s", t.Type, t.Name, t.ID)
	if !t.NextRun.IsZero() {
		fmt.Fprintf(e.stdout, ", next run %s", fmtTime(t.NextRun))
	}
	fmt.Fprintln(e.stdout)
	return nil
}

func triggersChange(ctx context.Context, e *env, sub string, args []string) error {
	fs := e.flags("triggers " + sub)
	if err := fs.Parse(args); err != nil {
		return parseError(err)
	}
	if fs.NArg() != 1 {
		return usageError("%s needs exactly one trigger ID", sub)
	}
	id, err := uuid.Parse(fs.Arg(0))
	if err != nil {
		return usageError("trigger ID %q: %v", fs.Arg(0), err)
	}
	db, err := e.open(ctx)
	if err != nil {
		return err
	}
	s := db.Triggers
	ops := map[string]func(context.Context, uuid.UUID) (trigger.Status, error){"pause": s.Pause, "resume": s.Resume, "kill": s.Kill}
	st, err := ops[sub](ctx, id)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "trigger %s is %s\n", id, st)
	return nil
}

var _ flag.Value = (*timeFlag)(nil)

// parseError makes a bad flag a usage error (exit status 2), like a bad
// argument.
func parseError(err error) error {
	if errors.Is(err, flag.ErrHelp) {
		return err
	}
	return usageError("%v", err)
}
