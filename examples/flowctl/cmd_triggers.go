package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/google/uuid"

	"github.com/flowstore/flowstore/trigger"
)

func init() {
	register(&command{
		name:  "triggers",
		usage: "list | add-scheduled | add-single | add-queue | pause | resume | kill | delete TRIGGER: manage OpenOrchestrator triggers",
		help:  triggersUsage,
		run:   runTriggers,
	})
}

const triggersUsage = `flowctl triggers list [--type T] [--status S[,S…]] [--process P] [--json]
flowctl triggers add-scheduled --name N --process P --path PATH --cron EXPR [--next-run TIME] [common flags]
flowctl triggers add-single    --name N --process P --path PATH --at TIME [common flags]
flowctl triggers add-queue     --name N --process P --path PATH --queue Q [--min-batch N] [common flags]
flowctl triggers pause|resume|kill|delete TRIGGER
common flags: --args A --priority N --blocking --git --branch B --whitelist NAME,NAME
TRIGGER is a trigger's name, its id, or a unique prefix of its id.
TIME is RFC 3339 with an offset (2026-11-22T10:00:00+01:00); times are
printed in the database's zone (DSN timezone=, default the local zone)
with their offset, as OpenOrchestrator stores them naive in that zone.`

func runTriggers(ctx context.Context, e *env, args []string) error {
	if len(args) == 0 {
		return usageError("a subcommand is required")
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
	case "pause", "resume", "kill", "delete":
		return triggersChange(ctx, e, sub, rest)
	}
	return usageError("unknown subcommand %q", sub)
}

// triggerJSON is a trigger in triggers list --json.
type triggerJSON struct {
	ID                 string     `json:"id"`
	Name               string     `json:"name"`
	Type               string     `json:"type"`
	Status             string     `json:"status"`
	ProcessName        string     `json:"process_name"`
	ProcessPath        string     `json:"process_path"`
	ProcessArgs        string     `json:"process_args,omitempty"`
	IsGitRepo          bool       `json:"is_git_repo"`
	GitBranch          string     `json:"git_branch,omitempty"`
	IsBlocking         bool       `json:"is_blocking"`
	Priority           int        `json:"priority"`
	SchedulerWhitelist []string   `json:"scheduler_whitelist"`
	LastRun            *time.Time `json:"last_run"`
	NextRun            *time.Time `json:"next_run,omitempty"`
	CronExpr           string     `json:"cron_expr,omitempty"`
	QueueName          string     `json:"queue_name,omitempty"`
	MinBatchSize       int        `json:"min_batch_size,omitempty"`
	RunningOn          string     `json:"running_on,omitempty"`
}

func triggersList(ctx context.Context, e *env, args []string) error {
	fs := e.flags("triggers list")
	typ := fs.String("type", "", "SINGLE, SCHEDULED or QUEUE")
	statuses := fs.String("status", "", "comma-separated statuses (IDLE, RUNNING, …)")
	process := fs.String("process", "", "process name")
	asJSON := jsonFlag(fs)
	if err := fs.Parse(args); err != nil {
		return parseError(err)
	}
	if fs.NArg() > 0 {
		return usageError("unexpected argument %q", fs.Arg(0))
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
	if *asJSON {
		out := make([]triggerJSON, 0, len(ts))
		for _, t := range ts {
			whitelist := t.SchedulerWhitelist
			if whitelist == nil {
				whitelist = []string{}
			}
			out = append(out, triggerJSON{
				ID: t.ID.String(), Name: t.Name, Type: string(t.Type), Status: string(t.Status),
				ProcessName: t.ProcessName, ProcessPath: t.ProcessPath, ProcessArgs: t.ProcessArgs,
				IsGitRepo: t.IsGitRepo, GitBranch: t.GitBranch, IsBlocking: t.IsBlocking, Priority: t.Priority,
				SchedulerWhitelist: whitelist, LastRun: e.ooJSON(t.LastRun), NextRun: e.ooJSON(t.NextRun),
				CronExpr: t.CronExpr, QueueName: t.QueueName, MinBatchSize: t.MinBatchSize, RunningOn: t.RunningOn,
			})
		}
		return e.writeJSON(map[string]any{"triggers": out})
	}
	w := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "ID\tNAME\tTYPE\tSTATUS\tPRIO\tWHEN\tPROCESS\tLAST RUN")
	for _, t := range ts {
		when := ""
		switch t.Type {
		case trigger.Scheduled:
			when = fmt.Sprintf("%s (next %s)", t.CronExpr, e.ooTime(t.NextRun))
		case trigger.Single:
			when = e.ooTime(t.NextRun)
		case trigger.Queue:
			when = fmt.Sprintf("%s >= %d NEW", t.QueueName, t.MinBatchSize)
		}
		name := t.Name
		if t.IsBlocking {
			name += " (blocking)"
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%d\t%s\t%s\t%s\n", t.ID, name, t.Type, t.Status, t.Priority, when, t.ProcessName, e.ooTime(t.LastRun))
	}
	if err := w.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "%d trigger(s)\n", len(ts))
	return nil
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

func (f *timeFlag) String() string {
	if f.t.IsZero() {
		return ""
	}
	return f.t.Format(time.RFC3339)
}
func (f *timeFlag) Set(s string) error {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return fmt.Errorf("want RFC 3339 with an offset, e.g. 2026-11-22T10:00:00+01:00: %v", err)
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
	var missing []string
	for flagName, v := range map[string]string{"name": spec.Name, "process": spec.ProcessName, "path": spec.ProcessPath} {
		if v == "" {
			missing = append(missing, "--"+flagName)
		}
	}
	switch {
	case typ == trigger.Scheduled && spec.CronExpr == "":
		missing = append(missing, "--cron")
	case typ == trigger.Single && at.t.IsZero():
		missing = append(missing, "--at")
	case typ == trigger.Queue && spec.QueueName == "":
		missing = append(missing, "--queue")
	}
	if len(missing) > 0 {
		slices.Sort(missing)
		return usageError("missing %s", strings.Join(missing, ", "))
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
		fmt.Fprintf(e.stdout, ", next run %s", e.ooTime(t.NextRun))
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
		return usageError("%s needs one TRIGGER: its name, id or id prefix", sub)
	}
	db, err := e.open(ctx)
	if err != nil {
		return err
	}
	s := db.Triggers
	id, err := resolveTrigger(ctx, s, fs.Arg(0))
	if err != nil {
		return err
	}
	if sub == "delete" {
		if err := s.Delete(ctx, id); err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "trigger %s deleted\n", id)
		return nil
	}
	ops := map[string]func(context.Context, uuid.UUID) (trigger.Status, error){"pause": s.Pause, "resume": s.Resume, "kill": s.Kill}
	st, err := ops[sub](ctx, id)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "trigger %s is %s\n", id, st)
	return nil
}

// resolveTrigger finds the trigger a user named: by its name, its id or a
// unique prefix of its id. Triggers are few (one per robot schedule), so
// the whole list is read.
func resolveTrigger(ctx context.Context, s trigger.Store, what string) (uuid.UUID, error) {
	return resolve("trigger", what, true, func(yield func(candidate, error) bool) {
		ts, err := s.List(ctx, trigger.Filter{})
		if err != nil {
			yield(candidate{}, err)
			return
		}
		for _, t := range ts {
			if !yield(candidate{id: t.ID, label: t.Name}, nil) {
				return
			}
		}
	})
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
