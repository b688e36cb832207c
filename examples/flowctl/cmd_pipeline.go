package main

import (
	"context"
	"flag"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/flowstore/flowstore/orchestrator/pipeline"
)

func init() {
	register(&command{
		name:  "pipeline",
		usage: "runs | show NAMESPACE/REPOSITORY/WORKFLOW: ContainerOps runs",
		help: `flowctl pipeline runs NAMESPACE/REPOSITORY/WORKFLOW [--version V] [--limit N] [--json]   newest first; --limit 0: all
flowctl pipeline show NAMESPACE/REPOSITORY/WORKFLOW [--version V] [--sequence N]   one run (0 = latest) with stages, actions, outcomes, events
Times are UTC.`,
		run: runPipeline,
	})
}

func runPipeline(ctx context.Context, e *env, args []string) error {
	if len(args) == 0 {
		return usageError("missing subcommand (runs or show)")
	}
	sub, args := args[0], args[1:]
	fs := e.flags("pipeline " + sub)
	version := fs.String("version", "", "only this version label")
	var limit int
	var sequence int64
	var asJSON *bool
	switch sub {
	case "runs":
		fs.IntVar(&limit, "limit", 20, "at most this many runs (0 = all)")
		asJSON = jsonFlag(fs)
	case "show":
		fs.Int64Var(&sequence, "sequence", 0, "run number (0 = the latest)")
	default:
		return usageError("unknown subcommand %q (want runs or show)", sub)
	}
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usageError("want one NAMESPACE/REPOSITORY/WORKFLOW")
	}
	parts := strings.Split(pos[0], "/")
	if len(parts) != 3 || parts[0] == "" || parts[1] == "" || parts[2] == "" {
		return usageError("%q is not NAMESPACE/REPOSITORY/WORKFLOW", pos[0])
	}
	if limit < 0 || sequence < 0 {
		return usageError("--limit and --sequence must not be negative")
	}
	f := pipeline.RunFilter{Namespace: parts[0], Repository: parts[1], Workflow: parts[2], Version: *version, Limit: limit}
	db, err := e.open(ctx)
	if err != nil {
		return err
	}
	ps := db.Pipelines
	if sub == "runs" {
		return pipelineRuns(ctx, e, ps, f, pos[0], *asJSON)
	}
	run, err := ps.GetRun(ctx, f, sequence)
	if err != nil {
		return err
	}
	w := run.Workflow
	fmt.Fprintf(e.stdout, "%s/%s/%s version %s (code %s) run %d: %s %s\n", w.Namespace, w.Repository, w.Name,
		dash(w.Version), dash(w.VersionCode), w.Sequence, w.RunState, dash(string(w.FailReason)))
	fmt.Fprintf(e.stdout, "started %s, workflow_log id %d, from workflow %d\n", utcTime(w.CreatedAt), w.ID, w.FromWorkflow)
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "STAGE\tACTION\tSTATE\tREASON")
	for _, st := range run.Stages {
		fmt.Fprintf(tw, "%s\t\t%s\t%s\n", st.Stage.Name, st.Stage.RunState, dash(string(st.Stage.FailReason)))
		for _, a := range st.Actions {
			fmt.Fprintf(tw, "\t%s\t%s\t%s\n", a.Name, a.RunState, dash(string(a.FailReason)))
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, v := range run.Vars {
		fmt.Fprintf(e.stdout, "var %s = %q\n", v.Key, v.Value)
	}
	for _, o := range run.Outcomes {
		what := fmt.Sprintf("action %d", o.Action)
		switch o.Action {
		case pipeline.OutcomeStageStart:
			what = "start"
		case pipeline.OutcomeStageEnd:
			what = "end"
		}
		fmt.Fprintf(e.stdout, "outcome %s: status=%t %s\n", what, o.Status, o.Result)
	}
	actions := map[int64]string{} // action_log id → name, to say where an event arrived
	for _, st := range run.Stages {
		for _, a := range st.Actions {
			actions[a.ID] = a.Name
		}
	}
	fmt.Fprintf(e.stdout, "%d event(s)\n", len(run.Events))
	for _, ev := range run.Events {
		where := ""
		if name, ok := actions[ev.Action]; ok {
			where = " on action " + name
		}
		fmt.Fprintf(e.stdout, "event %s (%s/%s/%s)%s at %s\n", ev.Title, ev.Type, ev.Source, ev.Character, where,
			utcTime(ev.CreatedAt))
	}
	return nil
}

// pipelineRuns prints the runs f selects, newest first. --limit 0 means
// every run, which the store's one-page ListRuns cannot give, so the runs
// are streamed: f.Limit is then the page size, and a positive limit is read
// in one page.
func pipelineRuns(ctx context.Context, e *env, ps pipeline.Store, f pipeline.RunFilter, name string, asJSON bool) error {
	if asJSON {
		type runJSON struct {
			Sequence   int64      `json:"sequence"`
			Version    string     `json:"version"`
			RunState   string     `json:"run_state"`
			FailReason string     `json:"fail_reason,omitempty"`
			CreatedAt  *time.Time `json:"created_at"`
		}
		out := []runJSON{}
		for r, err := range upTo(ps.AllRuns(ctx, f), f.Limit) {
			if err != nil {
				return err
			}
			out = append(out, runJSON{Sequence: r.Sequence, Version: r.Version, RunState: fmt.Sprint(r.RunState),
				FailReason: string(r.FailReason), CreatedAt: utcJSON(r.CreatedAt)})
		}
		return e.writeJSON(map[string]any{"workflow": name, "runs": out})
	}
	var tw *tabwriter.Writer
	for r, err := range upTo(ps.AllRuns(ctx, f), f.Limit) {
		if err != nil {
			return err
		}
		if tw == nil {
			tw = tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "SEQUENCE\tVERSION\tSTATE\tREASON\tSTARTED")
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\n", r.Sequence, r.Version, r.RunState, dash(string(r.FailReason)), utcTime(r.CreatedAt))
	}
	if tw == nil {
		_, err := fmt.Fprintf(e.stdout, "no runs of %s\n", name)
		return err
	}
	return tw.Flush()
}

// parseInterspersed parses flags that may come before or after the
// positional arguments ("show NS/REPO/WF --sequence 2").
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
