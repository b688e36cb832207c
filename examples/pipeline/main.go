// Command pipeline shows the ContainerOps V1 store: it defines a three-stage
// workflow, runs it twice, marks actions done and failed, and prints the
// history — the way pilotage kept it, with run numbers that stay unique
// however many processes start runs. Run again on the same database, it
// finds the workflow it defined and adds two more runs to its history.
//
//	go run ./examples/pipeline                      # SQLite file in a temp directory
//	go run ./examples/pipeline -dsn postgres://…    # the same on another database
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/flowstore/flowstore"
	"github.com/flowstore/flowstore/orchestrator/pipeline"
	"github.com/flowstore/flowstore/store"
)

func main() {
	dsn := flag.String("dsn", "", "database DSN (default: a new SQLite file in a temp directory)")
	flag.Parse()
	if err := run(context.Background(), *dsn, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "pipeline:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, dsn string, out io.Writer) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	if dsn == "" {
		dir, err := os.MkdirTemp("", "flowstore-pipeline-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		dsn = "sqlite:" + filepath.Join(dir, "pipeline.db")
	}
	fs, err := flowstore.Open(ctx, dsn) // migrates
	if err != nil {
		return err
	}
	defer fs.Close()
	ps := fs.Pipelines

	// 1. A workflow version: start stage, a build stage with two actions,
	// end stage — stored with its variable in one transaction. A database
	// the example ran on before already has it: the runs below go to the
	// version there, so running the example again adds runs, not versions.
	def, verb, err := definition(ctx, ps)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "%s %s/%s/%s version %s (code %s) with %d stages\n", verb, def.Workflow.Namespace,
		def.Workflow.Repository, def.Workflow.Name, def.Workflow.Version, def.Workflow.VersionCode, len(def.Stages))

	// 2. Two runs: the first succeeds, the second fails its tests.
	for i, testsPass := range []bool{true, false} {
		run, err := ps.StartRun(ctx, def.Workflow.ID, pipeline.StartOptions{StartData: fmt.Sprintf(`{"run":%d}`, i+1)})
		if err != nil {
			return err
		}
		if err := ps.SetRunVar(ctx, run.Workflow.ID, "branch", fmt.Sprintf("release-%d", run.Workflow.Sequence), "alice"); err != nil {
			return err
		}
		if err := play(ctx, ps, run, testsPass); err != nil {
			return err
		}
	}

	// 3. The history, newest first, and the latest run in detail. AllRuns
	// reads the history a page at a time, so a long one is never held in
	// memory whole; the newest runs are printed, the older ones counted.
	const shown = 6
	f := pipeline.RunFilter{Namespace: "acme", Repository: "shop", Workflow: "release"}
	fmt.Fprintln(out, "history:")
	n := 0
	for r, err := range ps.AllRuns(ctx, f) {
		if err != nil {
			return err
		}
		if n++; n <= shown {
			fmt.Fprintf(out, "  run %d  %-10s %s\n", r.Sequence, r.RunState, r.FailReason)
		}
	}
	if n > shown {
		fmt.Fprintf(out, "  … and %d earlier runs\n", n-shown)
	}
	latest, err := ps.GetRun(ctx, f, 0)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "run %d in detail:\n", latest.Workflow.Sequence)
	for _, st := range latest.Stages {
		fmt.Fprintf(out, "  stage %-6s %-10s %s\n", st.Stage.Name, st.Stage.RunState, st.Stage.FailReason)
		for _, a := range st.Actions {
			fmt.Fprintf(out, "    action %-8s %-10s %s\n", a.Name, a.RunState, a.FailReason)
		}
	}
	for _, v := range latest.Vars {
		fmt.Fprintf(out, "  var %s = %s (changes: %s)\n", v.Key, v.Value, v.ChangeLog)
	}
	fmt.Fprintf(out, "  %d outcomes recorded\n", len(latest.Outcomes))
	return nil
}

// definition returns the example's workflow version: the latest runnable
// version of acme/shop/release if the database has one ("using"), else a new
// version 1 ("defined"). CreateWorkflow stores the State it is given, so the
// version is runnable as soon as it is created.
func definition(ctx context.Context, ps pipeline.Store) (*pipeline.Definition, string, error) {
	latest, err := ps.LatestRunnable(ctx, "acme", "shop", "release")
	switch {
	case err == nil:
		def, err := ps.GetWorkflow(ctx, latest.ID)
		return def, "using", err
	case !errors.Is(err, store.ErrNotFound):
		return nil, "", err
	}
	def, err := ps.CreateWorkflow(ctx, pipeline.WorkflowSpec{
		Workflow: pipeline.Workflow{Namespace: "acme", Repository: "shop", Name: "release", Version: "v1",
			State: pipeline.StateRunnable, Description: "build and test"},
		Stages: []pipeline.StageSpec{
			{Stage: pipeline.Stage{Name: "start", Title: "Start", Type: pipeline.StageStart}},
			{Stage: pipeline.Stage{Name: "build", Title: "Build", Type: pipeline.StageRun}, Actions: []pipeline.Action{
				{Name: "compile", Title: "Compile", ImageName: "golang", ImageTag: "1.26"},
				{Name: "test", Title: "Unit tests", ImageName: "golang", ImageTag: "1.26"},
			}},
			{Stage: pipeline.Stage{Name: "end", Title: "End", Type: pipeline.StageEnd}},
		},
		Vars: []pipeline.WorkflowVar{{Key: "branch", Default: "main", Value: "main"}},
	})
	return def, "defined", err
}

// play drives one run through its states the way an engine would: the run
// and each stage start, the actions report, everything ends.
func play(ctx context.Context, ps pipeline.Store, run *pipeline.Run, testsPass bool) error {
	wf := run.Workflow.ID
	if err := ps.Transition(ctx, pipeline.LevelWorkflow, wf, pipeline.RunDoing, ""); err != nil {
		return err
	}
	ok := true
	for _, st := range run.Stages {
		if err := ps.Transition(ctx, pipeline.LevelStage, st.Stage.ID, pipeline.RunDoing, ""); err != nil {
			return err
		}
		stageOK := true
		for _, a := range st.Actions {
			if err := ps.Transition(ctx, pipeline.LevelAction, a.ID, pipeline.RunDoing, ""); err != nil {
				return err
			}
			pass := testsPass || a.Name != "test"
			to, reason := pipeline.RunSuccess, pipeline.ReasonActionRunSuccess
			if !pass {
				to, reason, stageOK = pipeline.RunFailed, pipeline.ReasonActionRunFailed, false
			}
			if err := ps.RecordOutcome(ctx, &pipeline.Outcome{Workflow: wf, RealWorkflow: run.Workflow.FromWorkflow,
				Stage: st.Stage.ID, RealStage: st.Stage.FromStage, Action: a.ID, RealAction: a.FromAction,
				Sequence: run.Workflow.Sequence, Status: pass, Result: string(reason)}); err != nil {
				return err
			}
			if err := ps.Transition(ctx, pipeline.LevelAction, a.ID, to, reason); err != nil {
				return err
			}
		}
		to, reason := pipeline.RunSuccess, pipeline.ReasonRunSuccess
		if !stageOK {
			to, reason, ok = pipeline.RunFailed, pipeline.ReasonStageRunFailed, false
		}
		if err := ps.Transition(ctx, pipeline.LevelStage, st.Stage.ID, to, reason); err != nil {
			return err
		}
		if !ok {
			break
		}
	}
	to, reason := pipeline.RunSuccess, pipeline.ReasonWorkflowRunSuccess
	if !ok {
		to, reason = pipeline.RunFailed, pipeline.ReasonWorkflowRunFailed
	}
	if _, err := ps.RecordStageOutcome(ctx, wf, pipeline.OutcomeStageEnd, ok, string(reason), ""); err != nil {
		return err
	}
	return ps.Transition(ctx, pipeline.LevelWorkflow, wf, to, reason)
}
