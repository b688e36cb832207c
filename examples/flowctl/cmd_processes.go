package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/google/uuid"

	"github.com/flowstore/flowstore/orchestrator"
)

func init() {
	register(&command{name: "processes", usage: "list [--status S] [--limit N] | show PID | resume PID [--input JSON] | resume-all | abort PID: WFO processes", run: runProcesses})
	register(&command{name: "engine", usage: "lock | unlock | status: the WFO engine's global lock and counters", run: runEngine})
}

func runProcesses(ctx context.Context, e *env, args []string) error {
	if len(args) == 0 {
		return usageError("missing subcommand")
	}
	sub, args := args[0], args[1:]
	fs := e.flags("processes " + sub)
	status := fs.String("status", "", "list: only processes with this status (running, failed, …)")
	limit := fs.Int("limit", 50, "list: at most this many, newest first (0: all)")
	input := fs.String("input", "", "resume: the user input, a JSON object")
	// Flags may come before or after the PID.
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return err
		}
		args = fs.Args()
		if len(args) == 0 {
			break
		}
		pos, args = append(pos, args[0]), args[1:]
	}
	db, err := e.open(ctx)
	if err != nil {
		return err
	}
	st := db.Processes
	pid := func() (uuid.UUID, error) {
		if len(pos) != 1 {
			return uuid.Nil, usageError("%s needs one PID", sub)
		}
		id, err := uuid.Parse(pos[0])
		if err != nil {
			return uuid.Nil, usageError("bad PID %q: %v", pos[0], err)
		}
		return id, nil
	}
	switch sub {
	case "list":
		if len(pos) != 0 {
			return usageError("list takes no arguments")
		}
		if *limit < 0 {
			return usageError("--limit must not be negative")
		}
		f := orchestrator.ProcessFilter{Limit: *limit}
		if *status != "" {
			s, err := orchestrator.ParseProcessStatus(*status)
			if err != nil {
				return usageError("%v", err)
			}
			f.Status = s
		}
		w := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(w, "PID\tWORKFLOW\tSTATUS\tLAST STEP\tSTARTED\tMODIFIED")
		// Streamed: --limit 0 means every process, more than the store's
		// one-page Processes gives; f.Limit is the page size then.
		for p, err := range upTo(st.AllProcesses(ctx, f), *limit) {
			if err != nil {
				return err
			}
			fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\n", p.PID, p.WorkflowName, p.LastStatus, deref(p.LastStep), ts(p.StartedAt), ts(p.LastModifiedAt))
		}
		return w.Flush()
	case "show":
		id, err := pid()
		if err != nil {
			return err
		}
		p, err := st.Process(ctx, id)
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "process   %s\nworkflow  %s\nstatus    %s\nlast step %s\nassignee  %s\nstarted   %s\nmodified  %s\n",
			p.PID, p.WorkflowName, p.LastStatus, deref(p.LastStep), p.Assignee, ts(p.StartedAt), ts(p.LastModifiedAt))
		if p.EngineInstanceID != nil {
			fmt.Fprintf(e.stdout, "engine    %s\n", *p.EngineInstanceID)
		}
		if p.FailedReason != nil {
			fmt.Fprintf(e.stdout, "failed    %s\n", firstLine(*p.FailedReason))
		}
		steps, err := st.Steps(ctx, id)
		if err != nil {
			return err
		}
		fmt.Fprintln(e.stdout, "\nsteps:")
		w := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
		// process_steps keeps one time per row, when the step was recorded
		// (executed_at; a folded retry row: its latest attempt), not when
		// it began, so a step's own duration is not known. What is shown is
		// the gap between consecutive rows, named for what it is.
		fmt.Fprintln(w, "SEQ\tNAME\tSTATUS\tEXECUTED\tSINCE PREV")
		prev := p.StartedAt
		for _, s := range steps {
			seq := "-"
			if s.Seq != nil {
				seq = fmt.Sprint(*s.Seq)
			}
			since := s.ExecutedAt.Sub(prev).Round(time.Millisecond)
			prev = s.ExecutedAt
			fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\n", seq, s.Name, s.Status, ts(s.ExecutedAt), since)
		}
		if err := w.Flush(); err != nil {
			return err
		}
		fmt.Fprintln(e.stdout, "\nSINCE PREV: time from the previous step row (for the first, from the process start) to this one;\n"+
			"it includes any time the process spent suspended, waiting or queued, not only the step's own run.")
		return nil
	case "resume":
		id, err := pid()
		if err != nil {
			return err
		}
		var in orchestrator.State
		if *input != "" {
			if err := json.Unmarshal([]byte(*input), &in); err != nil {
				return usageError("--input is not a JSON object: %v", err)
			}
		}
		if err := st.ResumeProcess(ctx, id, in); err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "process %s resumed; a serving engine will run it\n", id)
		return nil
	case "resume-all":
		if len(pos) != 0 {
			return usageError("resume-all takes no arguments")
		}
		n, err := st.ResumeAllTasks(ctx)
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "%d failed or waiting tasks resumed; serving engines will retry them\n", n)
		return nil
	case "abort":
		id, err := pid()
		if err != nil {
			return err
		}
		// No user to record: the abort step's created_by stays NULL.
		if err := st.AbortProcess(ctx, id, ""); err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "process %s aborted\n", id)
		return nil
	}
	return usageError("unknown subcommand %q", sub)
}

func runEngine(ctx context.Context, e *env, args []string) error {
	if len(args) == 0 {
		return usageError("missing subcommand")
	}
	sub := args[0]
	fs := e.flags("engine " + sub)
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		return usageError("engine %s takes no arguments", sub)
	}
	db, err := e.open(ctx)
	if err != nil {
		return err
	}
	switch sub {
	case "lock":
		if err := db.Processes.Lock(ctx); err != nil {
			return err
		}
		fmt.Fprintln(e.stdout, "engine locked: running processes stop at their next step")
		return nil
	case "unlock":
		n, err := db.Processes.Unlock(ctx)
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "engine unlocked: %d paused processes resumed\n", n)
		return nil
	case "status":
		st, err := db.Processes.EngineStatus(ctx)
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "status             %s\nlocked             %t\nrunning processes  %d\nexecuting now      %d\nlive engines       %d\n",
			st.Global, st.Locked, st.RunningProcesses, st.Executing, st.Engines)
		return nil
	}
	return usageError("unknown subcommand %q", sub)
}

func deref(s *string) string {
	if s == nil {
		return "-"
	}
	return *s
}

func ts(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05.000") }

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i] + " …"
	}
	return s
}
