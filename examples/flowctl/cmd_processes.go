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
	register(&command{name: "processes", usage: "list | show | resume | resume-all | abort: WFO processes", help: processesUsage, run: runProcesses})
	register(&command{name: "engine", usage: "lock | unlock | status: the WFO engine's global lock and counters", run: runEngine})
}

const processesUsage = `flowctl processes list [--status S] [--workflow W] [--limit N] [--json]   newest first; --limit 0: all
flowctl processes show PROCESS
flowctl processes resume PROCESS [--input JSON]
flowctl processes resume-all
flowctl processes abort PROCESS
PROCESS is a process id (pid) or a unique prefix of it. Times are UTC, as WFO stores them.`

func runProcesses(ctx context.Context, e *env, args []string) error {
	if len(args) == 0 {
		return usageError("missing subcommand")
	}
	sub, args := args[0], args[1:]
	fs := e.flags("processes " + sub)
	// Each subcommand has its own flags, so that its help lists only those.
	var (
		status, workflow, input = new(string), new(string), new(string)
		limit                   = new(int)
		asJSON                  = new(bool)
	)
	switch sub {
	case "list":
		status = fs.String("status", "", "only processes with this status (running, failed, suspended, …)")
		workflow = fs.String("workflow", "", "only processes of this workflow")
		limit = fs.Int("limit", 50, "at most this many, newest first (0: all)")
		asJSON = jsonFlag(fs)
	case "resume":
		input = fs.String("input", "", "the user input, a JSON object")
	case "show", "resume-all", "abort":
	default:
		return usageError("unknown subcommand %q", sub)
	}
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
			return uuid.Nil, usageError("%s needs one PROCESS: its pid or a unique prefix", sub)
		}
		return resolve("process", pos[0], false, func(yield func(candidate, error) bool) {
			for p, err := range st.AllProcesses(ctx, orchestrator.ProcessFilter{Limit: 1000}) {
				if !yield(candidate{id: p.PID, label: p.WorkflowName + " " + string(p.LastStatus)}, err) || err != nil {
					return
				}
			}
		})
	}
	switch sub {
	case "list":
		if len(pos) != 0 {
			return usageError("list takes no arguments")
		}
		if *limit < 0 {
			return usageError("--limit must not be negative")
		}
		f := orchestrator.ProcessFilter{Limit: *limit, Workflow: *workflow}
		if *status != "" {
			s, err := orchestrator.ParseProcessStatus(*status)
			if err != nil {
				return usageError("%v", err)
			}
			f.Status = s
		}
		if *asJSON {
			out := []processJSON{}
			for p, err := range upTo(st.AllProcesses(ctx, f), *limit) {
				if err != nil {
					return err
				}
				out = append(out, processJSON{PID: p.PID.String(), Workflow: p.WorkflowName, Status: string(p.LastStatus),
					LastStep: p.LastStep, Assignee: p.Assignee, IsTask: p.IsTask,
					StartedAt: utcJSON(p.StartedAt), LastModifiedAt: utcJSON(p.LastModifiedAt), FailedReason: p.FailedReason})
			}
			return e.writeJSON(map[string]any{"processes": out})
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

// ts prints a WFO time: UTC, to the millisecond, with its offset (Z).
func ts(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z07:00") }

// processJSON is a process in processes list --json.
type processJSON struct {
	PID            string     `json:"pid"`
	Workflow       string     `json:"workflow"`
	Status         string     `json:"last_status"`
	LastStep       *string    `json:"last_step"`
	Assignee       string     `json:"assignee"`
	IsTask         bool       `json:"is_task"`
	StartedAt      *time.Time `json:"started_at"`
	LastModifiedAt *time.Time `json:"last_modified_at"`
	FailedReason   *string    `json:"failed_reason"`
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i] + " …"
	}
	return s
}
