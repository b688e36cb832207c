package pipeline_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/flowstore/flowstore/internal/testdb"
	"github.com/flowstore/flowstore/orchestrator/pipeline"
	"github.com/flowstore/flowstore/store"
)

func TestMain(m *testing.M) { testdb.Main(m) }

// threeStages is a start stage, one run stage with two actions and an end
// stage, with one variable.
func threeStages(name string) pipeline.WorkflowSpec {
	return pipeline.WorkflowSpec{
		Workflow: pipeline.Workflow{Namespace: "acme", Repository: "shop", Name: name, Version: "v1",
			State: pipeline.StateRunnable, Manifest: `{"stages":3}`},
		Stages: []pipeline.StageSpec{
			{Stage: pipeline.Stage{Name: "start", Title: "Start", Type: pipeline.StageStart}},
			{Stage: pipeline.Stage{Name: "build", Title: "Build", Type: pipeline.StageRun}, Actions: []pipeline.Action{
				{Name: "compile", Title: "Compile", ImageName: "golang", ImageTag: "1.26"},
				{Name: "test", Title: "Test", ImageName: "golang", ImageTag: "1.26"},
			}},
			{Stage: pipeline.Stage{Name: "end", Title: "End", Type: pipeline.StageEnd}},
		},
		Vars: []pipeline.WorkflowVar{{Key: "branch", Default: "main", Value: "main"}},
	}
}

// newStore makes the pipeline store of db.
func newStore(t testing.TB, db *store.DB) pipeline.Store {
	t.Helper()
	ps, err := pipeline.New(db)
	require.NoError(t, err)
	return ps
}

// requireErrorPrefix checks the message convention: the package's prefix
// once, at the start, followed by the operation.
func requireErrorPrefix(t *testing.T, err error, op string) {
	t.Helper()
	require.Error(t, err)
	msg := err.Error()
	require.True(t, strings.HasPrefix(msg, "pipeline: "+op), "%q should start with %q", msg, "pipeline: "+op)
	require.Equal(t, 1, strings.Count(msg, "pipeline:"), "one package prefix in %q", msg)
	require.NotContains(t, msg, "flowstore:", "no foundation prefix in %q", msg)
}

func create(t *testing.T, ps pipeline.Store, spec pipeline.WorkflowSpec) *pipeline.Definition {
	t.Helper()
	def, err := ps.CreateWorkflow(t.Context(), spec)
	require.NoError(t, err)
	return def
}

func currentInstance(t *testing.T, db *store.DB, id int64) int64 {
	t.Helper()
	var n int64
	require.NoError(t, db.Bun().NewSelect().Model((*pipeline.Workflow)(nil)).WhereAllWithDeleted().
		Column("current_instance").Where("id = ?", id).Scan(t.Context(), &n))
	return n
}

func sequences(t *testing.T, db *store.DB, workflow int64) []int64 {
	t.Helper()
	var seqs []int64
	require.NoError(t, db.Bun().NewSelect().Model((*pipeline.WorkflowLog)(nil)).Column("sequence").
		Where("from_workflow = ?", workflow).Order("sequence").Scan(t.Context(), &seqs))
	return seqs
}

func requireGapless(t *testing.T, seqs []int64, n int) {
	t.Helper()
	require.Len(t, seqs, n)
	for i, s := range seqs {
		require.Equal(t, int64(i+1), s, "sequences must be 1..%d without duplicates or gaps: %v", n, seqs)
	}
}

// TestCreateWorkflowHonoursState: every version is stored in the state the
// caller asked for — a later version created runnable is runnable at once
// (it used to be turned disabled silently), one created disabled is not —
// and the rows read back say the same as the returned Definition.
func TestCreateWorkflowHonoursState(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		ps := newStore(t, db)
		states := []pipeline.State{pipeline.StateRunnable, pipeline.StateRunnable, pipeline.StateDisabled, pipeline.StateRunnable, pipeline.StateDisabled}
		var lastRunnable int64
		for i, want := range states {
			spec := threeStages("honour")
			spec.Workflow.State = want
			def := create(t, ps, spec)
			require.Equal(t, strconv.Itoa(i+1), def.Workflow.VersionCode)
			require.Equal(t, want, def.Workflow.State, "version %d: returned state", i+1)
			got, err := ps.GetWorkflow(ctx, def.Workflow.ID)
			require.NoError(t, err)
			require.Equal(t, want, got.Workflow.State, "version %d: stored state", i+1)
			if want == pipeline.StateRunnable {
				lastRunnable = def.Workflow.ID
			}
			latest, err := ps.LatestRunnable(ctx, "acme", "shop", "honour")
			require.NoError(t, err)
			require.Equal(t, lastRunnable, latest.ID, "after version %d, the latest runnable version", i+1)
		}
		// A version created runnable can start a run straight away.
		_, err := ps.StartRun(ctx, lastRunnable, pipeline.StartOptions{})
		require.NoError(t, err)
		// An unknown state is still refused before anything is written.
		spec := threeStages("honour")
		spec.Workflow.State = pipeline.State(7)
		_, err = ps.CreateWorkflow(ctx, spec)
		require.ErrorIs(t, err, store.ErrInvalid)
		versions, err := ps.ListVersions(ctx, "acme", "shop", "honour")
		require.NoError(t, err)
		require.Len(t, versions, len(states))
	})
}

func TestDefinitions(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		ps := newStore(t, db)
		v1 := create(t, ps, threeStages("deploy"))
		require.Equal(t, "1", v1.Workflow.VersionCode)
		require.Equal(t, pipeline.StateRunnable, v1.Workflow.State, "the first version keeps its state")
		require.Len(t, v1.Stages, 3)
		require.Equal(t, int64(-1), v1.Stages[0].Stage.PreStage)
		require.Equal(t, v1.Stages[0].Stage.ID, v1.Stages[1].Stage.PreStage)
		require.Len(t, v1.Stages[1].Actions, 2)

		// A version left at State's zero value starts disabled.
		spec2 := threeStages("deploy")
		spec2.Workflow.State = pipeline.StateDisabled
		v2 := create(t, ps, spec2)
		require.Equal(t, "2", v2.Workflow.VersionCode)
		require.Equal(t, pipeline.StateDisabled, v2.Workflow.State, "a version created disabled stays disabled")

		latest, err := ps.LatestRunnable(ctx, "acme", "shop", "deploy")
		require.NoError(t, err)
		require.Equal(t, v1.Workflow.ID, latest.ID)
		require.NoError(t, ps.SetState(ctx, v2.Workflow.ID, pipeline.StateRunnable))
		latest, err = ps.LatestRunnable(ctx, "acme", "shop", "deploy")
		require.NoError(t, err)
		require.Equal(t, v2.Workflow.ID, latest.ID)

		got, err := ps.GetWorkflow(ctx, v2.Workflow.ID)
		require.NoError(t, err)
		require.Len(t, got.Stages, 3)
		require.Equal(t, "compile", got.Stages[1].Actions[0].Name)
		require.Equal(t, "main", got.Vars[0].Value)

		// Soft delete: reads skip the version, the row stays; the next
		// version number still counts it; a hard delete removes it.
		require.NoError(t, ps.DeleteWorkflow(ctx, v2.Workflow.ID))
		_, err = ps.GetWorkflow(ctx, v2.Workflow.ID)
		require.ErrorIs(t, err, store.ErrNotFound)
		require.ErrorIs(t, ps.DeleteWorkflow(ctx, v2.Workflow.ID), store.ErrNotFound)
		latest, err = ps.LatestRunnable(ctx, "acme", "shop", "deploy")
		require.NoError(t, err)
		require.Equal(t, v1.Workflow.ID, latest.ID)
		versions, err := ps.ListVersions(ctx, "acme", "shop", "deploy")
		require.NoError(t, err)
		require.Len(t, versions, 1)
		var deletedAt time.Time
		require.NoError(t, db.Bun().NewSelect().Model((*pipeline.Workflow)(nil)).WhereAllWithDeleted().
			Column("deleted_at").Where("id = ?", v2.Workflow.ID).Scan(ctx, &deletedAt))
		require.False(t, deletedAt.IsZero(), "a soft-deleted row keeps existing with deleted_at set")
		var liveStages int64
		liveStages, err = db.Bun().NewSelect().Model((*pipeline.Stage)(nil)).Where("workflow = ?", v2.Workflow.ID).Count(ctx)
		require.NoError(t, err)
		require.Zero(t, liveStages, "the version's stages are soft-deleted with it")
		v3 := create(t, ps, threeStages("deploy"))
		require.Equal(t, "3", v3.Workflow.VersionCode)
		require.NoError(t, ps.HardDelete(ctx, pipeline.TableWorkflow, v2.Workflow.ID))
		all, err := db.Bun().NewSelect().Model((*pipeline.Workflow)(nil)).WhereAllWithDeleted().Where("id = ?", v2.Workflow.ID).Count(ctx)
		require.NoError(t, err)
		require.Zero(t, all)
		require.ErrorIs(t, ps.HardDelete(ctx, pipeline.TableWorkflow, v2.Workflow.ID), store.ErrNotFound)
		require.ErrorIs(t, ps.SoftDelete(ctx, pipeline.TableEventJSON, 1), store.ErrInvalid)
		require.ErrorIs(t, ps.SoftDelete(ctx, pipeline.Table("users"), 1), store.ErrInvalid)

		// Variables are replaced wholesale.
		require.NoError(t, ps.SetVars(ctx, v1.Workflow.ID, []pipeline.WorkflowVar{{Key: "key", Default: "d", Value: "v"}, {Key: "default", Value: "x"}}))
		vars, err := ps.ListVars(ctx, v1.Workflow.ID)
		require.NoError(t, err)
		require.Len(t, vars, 2)
		require.Equal(t, "v", vars[0].Value)

		// Bad input: nothing written.
		bad := threeStages("x")
		bad.Workflow.Namespace = ""
		_, err = ps.CreateWorkflow(ctx, bad)
		require.ErrorIs(t, err, store.ErrInvalid)
		requireErrorPrefix(t, err, "create workflow /shop/x: invalid input: namespace is required")
		long := threeStages(strings.Repeat("x", 256))
		_, err = ps.CreateWorkflow(ctx, long)
		require.ErrorIs(t, err, store.ErrTooLong)
		requireErrorPrefix(t, err, "create workflow ")
		require.Contains(t, err.Error(), "value too long: workflow is 256 ")
		// Lengths count characters (UTF-16 units on SQL Server), not bytes.
		wide := threeStages(strings.Repeat("é", 255))
		_, err = ps.CreateWorkflow(ctx, wide)
		require.NoError(t, err, "255 two-byte characters fit a varchar(255)")

		// Catalogue tables.
		require.NoError(t, ps.CreateComponent(ctx, &pipeline.Component{Namespace: "acme", Name: "golang", Source: "docker.io/golang"}))
		cs, err := ps.ListComponents(ctx, "acme")
		require.NoError(t, err)
		require.Len(t, cs, 1)
		require.NoError(t, ps.CreateService(ctx, &pipeline.Service{Namespace: "acme", Name: "github"}))
		require.ErrorIs(t, ps.CreateService(ctx, &pipeline.Service{Namespace: "acme", Name: "github"}), store.ErrDuplicate)
		require.NoError(t, ps.CreateServiceDefinition(ctx, &pipeline.ServiceDefinition{Name: "github", Status: "ok"}))
		sds, err := ps.ListServiceDefinitions(ctx)
		require.NoError(t, err)
		require.Equal(t, "github", sds[0].Name)
		_, err = ps.SetUserSetting(ctx, "acme", "shop", `{"a":1}`)
		require.NoError(t, err)
		us, err := ps.SetUserSetting(ctx, "acme", "shop", `{"a":2}`)
		require.NoError(t, err)
		require.Equal(t, `{"a":2}`, us.Setting)
		require.NoError(t, ps.CreateEventDefinition(ctx, &pipeline.EventDefinition{Event: "CO_TASK_STATUS", Action: 7,
			Type: pipeline.EventTypeSystem, Source: pipeline.EventSourceInner, Character: pipeline.EventCharacterComponent}))
		eds, err := ps.EventDefinitions(ctx, 7)
		require.NoError(t, err)
		require.Equal(t, pipeline.EventCharacterComponent, eds[0].Character)
	})
}

func TestStartRunCopiesAndHistory(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		ps := newStore(t, db)
		def := create(t, ps, threeStages("build"))
		r1, err := ps.StartRun(ctx, def.Workflow.ID, pipeline.StartOptions{StartData: `{"ref":"main"}`})
		require.NoError(t, err)
		require.Equal(t, int64(1), r1.Workflow.Sequence)
		require.Equal(t, def.Workflow.ID, r1.Workflow.FromWorkflow)
		require.Equal(t, pipeline.RunCanListen, r1.Workflow.RunState)
		require.Len(t, r1.Stages, 3)
		require.Equal(t, int64(-1), r1.Stages[0].Stage.PreStage)
		for i, st := range r1.Stages {
			require.Equal(t, r1.Workflow.ID, st.Stage.Workflow, "stage_log.workflow is the run's workflow_log id")
			require.Equal(t, def.Stages[i].Stage.ID, st.Stage.FromStage)
			if i > 0 {
				require.Equal(t, r1.Stages[i-1].Stage.ID, st.Stage.PreStage, "the stage chain links log ids")
			}
			for j, a := range st.Actions {
				require.Equal(t, st.Stage.ID, a.Stage)
				require.Equal(t, def.Stages[i].Actions[j].ID, a.FromAction)
				require.Equal(t, int64(1), a.Sequence)
			}
		}
		require.Len(t, r1.Vars, 1)
		require.Equal(t, def.Workflow.ID, r1.Vars[0].FromWorkflow)
		require.Equal(t, pipeline.OutcomeStageStart, r1.Outcomes[0].Action)
		require.Equal(t, r1.Stages[0].Stage.ID, r1.Outcomes[0].Stage)
		require.Equal(t, int64(1), currentInstance(t, db, def.Workflow.ID))

		r2, err := ps.StartRun(ctx, def.Workflow.ID, pipeline.StartOptions{})
		require.NoError(t, err)
		require.Equal(t, int64(2), r2.Workflow.Sequence)

		require.NoError(t, ps.RecordEvent(ctx, &pipeline.Event{Title: "CO_TASK_STATUS", Header: `{"X":"1"}`, Payload: `{"status":true}`,
			Authorization: "token", Workflow: r2.Workflow.ID, Stage: r2.Stages[1].Stage.ID, Action: r2.Stages[1].Actions[0].ID,
			Sequence: 2, Type: pipeline.EventTypeSystem, Source: pipeline.EventSourceOutside, Character: pipeline.EventCharacterComponent}))
		a := r2.Stages[1].Actions[0]
		require.NoError(t, ps.RecordOutcome(ctx, &pipeline.Outcome{Workflow: r2.Workflow.ID, RealWorkflow: def.Workflow.ID,
			Stage: a.Stage, RealStage: a.FromStage, Action: a.ID, RealAction: a.FromAction, Sequence: 2, Status: true, Result: "ok"}))
		end, err := ps.RecordStageOutcome(ctx, r2.Workflow.ID, pipeline.OutcomeStageEnd, true, "done", "")
		require.NoError(t, err)
		require.Equal(t, r2.Stages[2].Stage.ID, end.Stage)

		runs, err := ps.ListRuns(ctx, pipeline.RunFilter{Namespace: "acme", Repository: "shop", Workflow: "build"})
		require.NoError(t, err)
		require.Len(t, runs, 2)
		require.Equal(t, []int64{2, 1}, []int64{runs[0].Sequence, runs[1].Sequence}, "newest first")
		latest, err := ps.GetRun(ctx, pipeline.RunFilter{Namespace: "acme", Repository: "shop", Workflow: "build", Version: "v1"}, 0)
		require.NoError(t, err)
		require.Equal(t, r2.Workflow.ID, latest.Workflow.ID)
		require.Len(t, latest.Outcomes, 2)
		require.Equal(t, pipeline.OutcomeStageEnd, latest.Outcomes[1].Action)
		require.Len(t, latest.Events, 1)
		require.Len(t, latest.Stages[1].Actions, 2)
		first, err := ps.GetRun(ctx, pipeline.RunFilter{Namespace: "acme", Repository: "shop", Workflow: "build"}, 1)
		require.NoError(t, err)
		require.Equal(t, r1.Workflow.ID, first.Workflow.ID)
		_, err = ps.GetRun(ctx, pipeline.RunFilter{Namespace: "acme", Repository: "shop", Workflow: "build"}, 3)
		require.ErrorIs(t, err, store.ErrNotFound)

		// Disabled, deleted and unknown versions do not start, and write nothing.
		require.NoError(t, ps.SetState(ctx, def.Workflow.ID, pipeline.StateDisabled))
		_, err = ps.StartRun(ctx, def.Workflow.ID, pipeline.StartOptions{})
		require.ErrorIs(t, err, pipeline.ErrDisabled)
		require.ErrorIs(t, err, store.ErrConflict)
		requireErrorPrefix(t, err, fmt.Sprintf("start run of workflow %d: conflict: workflow version is disabled: acme/shop/build version 1", def.Workflow.ID))
		_, err = ps.StartRun(ctx, 999999, pipeline.StartOptions{})
		require.ErrorIs(t, err, store.ErrNotFound)
		requireErrorPrefix(t, err, "start run of workflow 999999: not found")
		requireGapless(t, sequences(t, db, def.Workflow.ID), 2)
	})
}

// TestStartRunInSession: a run started in a caller's session commits or
// rolls back with it, and a rolled-back start leaves no gap.
func TestStartRunInSession(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		ps := newStore(t, db)
		def := create(t, ps, threeStages("tx"))
		boom := errors.New("boom")
		err := db.InTx(ctx, func(ctx context.Context, s *store.Session) error {
			_, err := ps.WithTx(s).StartRun(ctx, def.Workflow.ID, pipeline.StartOptions{})
			require.NoError(t, err)
			return boom
		})
		require.ErrorIs(t, err, boom)
		require.Empty(t, sequences(t, db, def.Workflow.ID))
		require.Zero(t, currentInstance(t, db, def.Workflow.ID))
		require.NoError(t, db.InTx(ctx, func(ctx context.Context, s *store.Session) error {
			_, err := ps.WithTx(s).StartRun(ctx, def.Workflow.ID, pipeline.StartOptions{})
			return err
		}))
		requireGapless(t, sequences(t, db, def.Workflow.ID), 1)
	})
}

// endRun takes a run through Doing to Success and reports whether both
// changes went through. It fails the test with t.Errorf, not require (whose
// FailNow must not run outside the test's goroutine), so goroutines may call
// it.
func endRun(t *testing.T, ps pipeline.Store, run int64) bool {
	t.Helper()
	return assertNoError(t, ps.Transition(t.Context(), pipeline.LevelWorkflow, run, pipeline.RunDoing, "")) &&
		assertNoError(t, ps.Transition(t.Context(), pipeline.LevelWorkflow, run, pipeline.RunSuccess, pipeline.ReasonWorkflowRunSuccess))
}

func TestConcurrentStartsGoroutines(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		ps := newStore(t, db)
		def := create(t, ps, threeStages("busy"))
		const workers, each = 8, 5
		var wg sync.WaitGroup
		runs := make(chan int64, workers*each)
		for range workers {
			wg.Go(func() {
				for range each {
					r, err := ps.StartRun(ctx, def.Workflow.ID, pipeline.StartOptions{})
					if !assertNoError(t, err) {
						return
					}
					runs <- r.Workflow.ID
				}
			})
		}
		wg.Wait()
		close(runs)
		requireGapless(t, sequences(t, db, def.Workflow.ID), workers*each)
		require.Equal(t, int64(workers*each), currentInstance(t, db, def.Workflow.ID))
		var ids []int64
		for id := range runs {
			ids = append(ids, id)
		}
		// End them concurrently too: the counter returns exactly to 0.
		for _, id := range ids {
			wg.Go(func() { endRun(t, ps, id) }) // failures are t.Errorf; the count below checks the rest
		}
		wg.Wait()
		require.Zero(t, currentInstance(t, db, def.Workflow.ID))
	})
}

// assertNoError is require.NoError for goroutines: it marks the test failed
// and returns false instead of stopping the goroutine.
func assertNoError(t *testing.T, err error) bool {
	t.Helper()
	if err != nil {
		t.Errorf("unexpected error: %v", err)
		return false
	}
	return true
}

func TestInstanceLimitUnderConcurrency(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		ps := newStore(t, db)
		def := create(t, ps, threeStages("limited"))
		const limit, tries = 3, 12
		require.NoError(t, ps.SetInstanceLimit(ctx, def.Workflow.ID, limit))
		var wg sync.WaitGroup
		var mu sync.Mutex
		var started []int64
		refused := 0
		for range tries {
			wg.Go(func() {
				r, err := ps.StartRun(ctx, def.Workflow.ID, pipeline.StartOptions{})
				mu.Lock()
				defer mu.Unlock()
				var lim *pipeline.InstanceLimitError
				switch {
				case err == nil:
					started = append(started, r.Workflow.ID)
				case errors.As(err, &lim) && errors.Is(err, pipeline.ErrInstanceLimit) && errors.Is(err, store.ErrConflict):
					refused++
				default:
					t.Errorf("start: %v", err)
				}
			})
		}
		wg.Wait()
		require.Len(t, started, limit)
		require.Equal(t, tries-limit, refused)
		require.Equal(t, int64(limit), currentInstance(t, db, def.Workflow.ID))
		requireGapless(t, sequences(t, db, def.Workflow.ID), limit)
		// A failed run frees its slot as well.
		require.NoError(t, ps.Transition(ctx, pipeline.LevelWorkflow, started[0], pipeline.RunFailed, pipeline.ReasonWorkflowRunFailed))
		r, err := ps.StartRun(ctx, def.Workflow.ID, pipeline.StartOptions{})
		require.NoError(t, err)
		started = append(started[1:], r.Workflow.ID)
		for _, id := range started {
			require.True(t, endRun(t, ps, id))
		}
		require.Zero(t, currentInstance(t, db, def.Workflow.ID))
		require.NoError(t, ps.SetInstanceLimit(ctx, def.Workflow.ID, -1))
		for range limit + 1 {
			_, err := ps.StartRun(ctx, def.Workflow.ID, pipeline.StartOptions{})
			require.NoError(t, err)
		}
	})
}

// TestConcurrentStartsAcrossProcesses: child processes start runs of one
// unlimited and one limited workflow at the same time.
func TestConcurrentStartsAcrossProcesses(t *testing.T) {
	const children, each, limit = 3, 6, 2
	if testdb.IsChild() {
		ctx := t.Context()
		db, err := store.Open(ctx, os.Getenv("PIPELINE_DSN"))
		require.NoError(t, err)
		defer db.Close()
		ps := newStore(t, db)
		free, _ := strconv.ParseInt(os.Getenv("PIPELINE_FREE"), 10, 64)
		limited, _ := strconv.ParseInt(os.Getenv("PIPELINE_LIMITED"), 10, 64)
		for range each {
			_, err := ps.StartRun(ctx, free, pipeline.StartOptions{})
			require.NoError(t, err)
			_, err = ps.StartRun(ctx, limited, pipeline.StartOptions{})
			if err != nil {
				require.ErrorIs(t, err, pipeline.ErrInstanceLimit)
			}
		}
		return
	}
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		ps := newStore(t, db)
		free := create(t, ps, threeStages("free"))
		limited := create(t, ps, threeStages("limited"))
		require.NoError(t, ps.SetInstanceLimit(t.Context(), limited.Workflow.ID, limit))
		testdb.RunChildren(t, children, "TestConcurrentStartsAcrossProcesses", map[string]string{
			"PIPELINE_DSN":     testdb.DSN(t, db),
			"PIPELINE_FREE":    fmt.Sprint(free.Workflow.ID),
			"PIPELINE_LIMITED": fmt.Sprint(limited.Workflow.ID),
		})
		requireGapless(t, sequences(t, db, free.Workflow.ID), children*each)
		requireGapless(t, sequences(t, db, limited.Workflow.ID), limit)
		require.Equal(t, int64(children*each), currentInstance(t, db, free.Workflow.ID))
		require.Equal(t, int64(limit), currentInstance(t, db, limited.Workflow.ID))
		var seqRows []int64
		require.NoError(t, db.Bun().NewSelect().Model((*pipeline.WorkflowSequence)(nil)).Column("sequence").
			Where("workflow = ?", free.Workflow.ID).Order("sequence").Scan(t.Context(), &seqRows))
		requireGapless(t, seqRows, children*each)
	})
}

func TestRunStateTransitions(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		ps := newStore(t, db)
		spec := threeStages("gated")
		spec.Workflow.Requires = `[{"type":"WorkflowStartAPI","token":"t1"},{"type":"default","token":"default"}]`
		def := create(t, ps, spec)
		run, err := ps.StartRun(ctx, def.Workflow.ID, pipeline.StartOptions{})
		require.NoError(t, err)
		id := run.Workflow.ID

		var te *pipeline.TransitionError
		err = ps.Transition(ctx, pipeline.LevelWorkflow, id, pipeline.RunSuccess, pipeline.ReasonWorkflowRunSuccess)
		require.ErrorAs(t, err, &te, "CanListen cannot jump to Success")
		require.Equal(t, pipeline.RunCanListen, te.From)
		require.ErrorIs(t, err, store.ErrConflict)
		requireErrorPrefix(t, err, fmt.Sprintf("transition workflow_log %d to RunSuccess: conflict: run_state cannot change from CanListen to RunSuccess", id))
		require.NoError(t, ps.Transition(ctx, pipeline.LevelWorkflow, id, pipeline.RunWaitToStart, ""))
		err = ps.Transition(ctx, pipeline.LevelWorkflow, id, pipeline.RunDoing, "")
		require.ErrorIs(t, err, pipeline.ErrNotAuthorized)
		requireErrorPrefix(t, err, "transition workflow_log")

		left, err := ps.Authorize(ctx, pipeline.LevelWorkflow, id, pipeline.Requirement{Type: pipeline.AuthWorkflowStartAPI, Token: "t1"}, "alice")
		require.NoError(t, err)
		require.Equal(t, 1, left)
		_, err = ps.Authorize(ctx, pipeline.LevelWorkflow, id, pipeline.Requirement{Type: pipeline.AuthWorkflowStartAPI, Token: "t1"}, "alice")
		require.ErrorIs(t, err, store.ErrInvalid, "a requirement is satisfied once")
		left, err = ps.Authorize(ctx, pipeline.LevelWorkflow, id, pipeline.Requirement{Type: pipeline.AuthDefault, Token: pipeline.DefaultToken}, "bob")
		require.NoError(t, err)
		require.Zero(t, left)
		require.NoError(t, ps.Transition(ctx, pipeline.LevelWorkflow, id, pipeline.RunDoing, ""))

		got, err := ps.GetRunByID(ctx, id)
		require.NoError(t, err)
		require.Equal(t, "[]", got.Workflow.Requires)
		var auths []pipeline.Authorization
		require.NoError(t, json.Unmarshal([]byte(got.Workflow.AuthList), &auths))
		require.Len(t, auths, 2)
		require.Equal(t, "alice", auths[0].Authorizer)
		require.Equal(t, pipeline.AuthDefault, auths[1].Type)

		// Actions: one done, one failed; terminal states are final.
		a1, a2 := run.Stages[1].Actions[0].ID, run.Stages[1].Actions[1].ID
		require.NoError(t, ps.Transition(ctx, pipeline.LevelAction, a1, pipeline.RunDoing, ""))
		require.NoError(t, ps.Transition(ctx, pipeline.LevelAction, a1, pipeline.RunSuccess, pipeline.ReasonActionRunSuccess))
		require.NoError(t, ps.Transition(ctx, pipeline.LevelAction, a2, pipeline.RunFailed, pipeline.ReasonActionRunFailed))
		err = ps.Transition(ctx, pipeline.LevelAction, a1, pipeline.RunFailed, pipeline.ReasonActionRunFailed)
		require.ErrorAs(t, err, &te)
		require.Equal(t, pipeline.RunSuccess, te.From)
		require.ErrorAs(t, ps.Transition(ctx, pipeline.LevelAction, a2, pipeline.RunDoing, ""), &te)
		require.ErrorIs(t, ps.Transition(ctx, pipeline.LevelStage, 999999, pipeline.RunDoing, ""), store.ErrNotFound)
		require.ErrorIs(t, ps.Transition(ctx, pipeline.LevelAction, a1, pipeline.RunCanListen, ""), store.ErrInvalid)
		require.ErrorIs(t, ps.Transition(ctx, pipeline.LevelAction, a1, pipeline.RunFailed, "BROKEN"), store.ErrInvalid)

		// Two racing enders: exactly one wins, the instance is released once.
		require.Equal(t, int64(1), currentInstance(t, db, def.Workflow.ID))
		var wg sync.WaitGroup
		errs := make([]error, 6)
		for i := range errs {
			wg.Go(func() {
				to, reason := pipeline.RunSuccess, pipeline.ReasonWorkflowRunSuccess
				if i%2 == 1 {
					to, reason = pipeline.RunFailed, pipeline.ReasonWorkflowRunFailed
				}
				errs[i] = ps.Transition(ctx, pipeline.LevelWorkflow, id, to, reason)
			})
		}
		wg.Wait()
		wins := 0
		for _, err := range errs {
			if err == nil {
				wins++
			} else {
				require.ErrorAs(t, err, &te)
			}
		}
		require.Equal(t, 1, wins)
		require.Zero(t, currentInstance(t, db, def.Workflow.ID))
		got, err = ps.GetRunByID(ctx, id)
		require.NoError(t, err)
		require.True(t, got.Workflow.RunState.Terminal())
		want := pipeline.ReasonWorkflowRunSuccess
		if got.Workflow.RunState == pipeline.RunFailed {
			want = pipeline.ReasonWorkflowRunFailed
		}
		require.Equal(t, want, got.Workflow.FailReason)
		require.Equal(t, pipeline.ReasonActionRunFailed, got.Stages[1].Actions[1].FailReason)
	})
}

func TestRunVarChangeLog(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		ps := newStore(t, db)
		def := create(t, ps, threeStages("vars"))
		run, err := ps.StartRun(ctx, def.Workflow.ID, pipeline.StartOptions{})
		require.NoError(t, err)
		id := run.Workflow.ID
		require.NoError(t, ps.SetRunVar(ctx, id, "branch", "release", "alice"))
		const writers = 6
		var wg sync.WaitGroup
		for i := range writers {
			wg.Go(func() {
				assertNoError(t, ps.SetRunVar(ctx, id, "branch", fmt.Sprintf("b%d", i), fmt.Sprintf("u%d", i)))
			})
		}
		wg.Wait()
		require.ErrorIs(t, ps.SetRunVar(ctx, id, "nope", "x", "alice"), store.ErrNotFound)
		got, err := ps.GetRunByID(ctx, id)
		require.NoError(t, err)
		v := got.Vars[0]
		var changes []pipeline.VarChange
		require.NoError(t, json.Unmarshal([]byte(v.ChangeLog), &changes))
		require.Len(t, changes, 1+writers, "every change keeps its entry")
		require.Equal(t, "alice", changes[0].User)
		require.Equal(t, `set branch from "main" to "release"`, changes[0].Action)
		require.False(t, changes[0].Time.IsZero())
		users := map[string]bool{}
		for _, c := range changes[1:] {
			users[c.User] = true
		}
		require.Len(t, users, writers)
		last := changes[len(changes)-1].Action
		require.Contains(t, last, strconv.Quote(v.Value), "the last entry names the value that stayed")
		// Inside a caller's session, after another writer committed: the
		// change still lands on the latest change_log (a locking read; on
		// MySQL a plain read would show the session's older snapshot).
		// SQLite has no concurrent writer to a session's transaction.
		if db.SQLDialect().Name() != store.SQLite {
			require.NoError(t, db.InTx(ctx, func(ctx context.Context, s *store.Session) error {
				if _, err := ps.WithTx(s).GetRunByID(ctx, id); err != nil { // takes the snapshot
					return err
				}
				if err := ps.SetRunVar(ctx, id, "branch", "outside", "carol"); err != nil {
					return err
				}
				return ps.WithTx(s).SetRunVar(ctx, id, "branch", "inside", "dave")
			}))
			got, err = ps.GetRunByID(ctx, id)
			require.NoError(t, err)
			changes = nil
			require.NoError(t, json.Unmarshal([]byte(got.Vars[0].ChangeLog), &changes))
			require.Len(t, changes, 3+writers)
			require.Equal(t, "carol", changes[len(changes)-2].User)
			require.Equal(t, `set branch from "outside" to "inside"`, changes[len(changes)-1].Action)
		}
		// The definition's variable is untouched.
		vars, err := ps.ListVars(ctx, def.Workflow.ID)
		require.NoError(t, err)
		require.Equal(t, "main", vars[0].Value)
	})
}

// clock is a settable clock for store.WithClock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) set(t time.Time) { c.mu.Lock(); c.t = t; c.mu.Unlock() }

func TestTimersFireOnce(t *testing.T) {
	const children = 3
	if testdb.IsChild() {
		ctx := t.Context()
		at, _ := time.Parse(time.RFC3339Nano, os.Getenv("PIPELINE_NOW"))
		db, err := store.Open(ctx, os.Getenv("PIPELINE_DSN"), store.WithClock(func() time.Time { return at }))
		require.NoError(t, err)
		defer db.Close()
		ps := newStore(t, db)
		for range 3 {
			_, err := ps.FireDueTimers(ctx)
			require.NoError(t, err)
		}
		return
	}
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		clk := &clock{t: time.Date(2026, 3, 1, 10, 0, 30, 0, time.UTC)}
		tdb, err := store.Open(ctx, testdb.DSN(t, db), store.WithClock(clk.now))
		require.NoError(t, err)
		defer tdb.Close()
		ps := newStore(t, tdb)
		def := create(t, ps, threeStages("nightly"))

		require.ErrorIs(t, ps.CreateTimer(ctx, &pipeline.Timer{Namespace: "acme", Repository: "shop", Workflow: def.Workflow.ID,
			Available: true, Cron: "61 * * * *"}), store.ErrInvalid)
		tm := &pipeline.Timer{Namespace: "acme", Repository: "shop", Workflow: def.Workflow.ID, Available: true,
			Cron: "*/5 * * * *", StartJSON: `{"by":"timer"}`}
		require.NoError(t, ps.CreateTimer(ctx, tm))
		require.Equal(t, time.Date(2026, 3, 1, 10, 5, 0, 0, time.UTC), tm.NextRun.UTC())
		next, err := pipeline.NextFire(tm.Cron, tm.NextRun)
		require.NoError(t, err)
		require.Equal(t, time.Date(2026, 3, 1, 10, 10, 0, 0, time.UTC), next)

		fired, err := ps.FireDueTimers(ctx)
		require.NoError(t, err)
		require.Empty(t, fired, "nothing is due before 10:05")

		// Goroutines race for the 10:05 occurrence.
		clk.set(time.Date(2026, 3, 1, 10, 6, 0, 0, time.UTC))
		var wg sync.WaitGroup
		var mu sync.Mutex
		var all []pipeline.Firing
		for range 6 {
			wg.Go(func() {
				f, err := ps.FireDueTimers(ctx)
				assertNoError(t, err)
				mu.Lock()
				all = append(all, f...)
				mu.Unlock()
			})
		}
		wg.Wait()
		require.Len(t, all, 1, "one occurrence fires once")
		require.NoError(t, all[0].Err)
		require.Equal(t, time.Date(2026, 3, 1, 10, 10, 0, 0, time.UTC), all[0].NextRun)
		requireGapless(t, sequences(t, db, def.Workflow.ID), 1)
		r, err := ps.GetRunByID(ctx, all[0].Run.ID)
		require.NoError(t, err)
		require.Equal(t, `{"by":"timer"}`, r.Outcomes[0].Output)

		// Processes race for the 10:10 occurrence.
		testdb.RunChildren(t, children, "TestTimersFireOnce", map[string]string{
			"PIPELINE_DSN": testdb.DSN(t, db),
			"PIPELINE_NOW": time.Date(2026, 3, 1, 10, 11, 0, 0, time.UTC).Format(time.RFC3339Nano),
		})
		requireGapless(t, sequences(t, db, def.Workflow.ID), 2)
		timers, err := ps.ListTimers(ctx, def.Workflow.ID)
		require.NoError(t, err)
		require.Equal(t, time.Date(2026, 3, 1, 10, 15, 0, 0, time.UTC), timers[0].NextRun.UTC())

		// A full workflow uses up the occurrence without a run.
		require.NoError(t, ps.SetInstanceLimit(ctx, def.Workflow.ID, 2))
		clk.set(time.Date(2026, 3, 1, 10, 16, 0, 0, time.UTC))
		fired, err = ps.FireDueTimers(ctx)
		require.NoError(t, err)
		require.Len(t, fired, 1)
		require.ErrorIs(t, fired[0].Err, pipeline.ErrInstanceLimit)
		require.Nil(t, fired[0].Run)
		fired, err = ps.FireDueTimers(ctx)
		require.NoError(t, err)
		require.Empty(t, fired)

		// Switched off, a timer does not fire.
		require.NoError(t, ps.SetTimerAvailable(ctx, tm.ID, false))
		clk.set(time.Date(2026, 3, 1, 11, 0, 0, 0, time.UTC))
		fired, err = ps.FireDueTimers(ctx)
		require.NoError(t, err)
		require.Empty(t, fired)
		require.True(t, slices.Equal([]int64{1, 2}, sequences(t, db, def.Workflow.ID)))
	})
}

// TestConcurrentVersions: creators racing on one name, the first version
// included, get distinct, consecutive version codes.
func TestConcurrentVersions(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		ps := newStore(t, db)
		const n = 6
		var wg sync.WaitGroup
		for range n {
			wg.Go(func() {
				_, err := ps.CreateWorkflow(t.Context(), threeStages("raced"))
				assertNoError(t, err)
			})
		}
		wg.Wait()
		var codes []int
		require.NoError(t, db.Bun().NewSelect().Model((*pipeline.Workflow)(nil)).Column("version_code").
			Where("workflow = ?", "raced").Scan(t.Context(), &codes))
		slices.Sort(codes)
		require.Equal(t, []int{1, 2, 3, 4, 5, 6}, codes)
		runnable := 0
		versions, err := ps.ListVersions(t.Context(), "acme", "shop", "raced")
		require.NoError(t, err)
		for _, v := range versions {
			if v.State == pipeline.StateRunnable {
				runnable++
			}
		}
		require.Equal(t, n, runnable, "every version keeps the requested state")

		// In a caller's session whose snapshot predates another creator's
		// commit, the next code still counts that version.
		if db.SQLDialect().Name() != store.SQLite { // a SQLite session excludes the other writer
			var inside *pipeline.Definition
			require.NoError(t, db.InTx(t.Context(), func(ctx context.Context, s *store.Session) error {
				if _, err := ps.WithTx(s).ListVersions(ctx, "acme", "shop", "raced"); err != nil { // takes the snapshot
					return err
				}
				if _, err := ps.CreateWorkflow(ctx, threeStages("raced")); err != nil {
					return err
				}
				var err error
				inside, err = ps.WithTx(s).CreateWorkflow(ctx, threeStages("raced"))
				return err
			}))
			require.Equal(t, "8", inside.Workflow.VersionCode)
		}
	})
}

// TestStartRunSurvivesCrash kills a process that is starting runs as fast
// as it can: every committed run is complete, no number is lost or reused,
// and current_instance counts exactly the committed runs.
func TestStartRunSurvivesCrash(t *testing.T) {
	if testdb.IsChild() {
		ctx := t.Context()
		db, err := store.Open(ctx, os.Getenv("PIPELINE_DSN"))
		require.NoError(t, err)
		defer db.Close()
		ps := newStore(t, db)
		id, _ := strconv.ParseInt(os.Getenv("PIPELINE_FREE"), 10, 64)
		for i := 1; ; i++ {
			_, err := ps.StartRun(ctx, id, pipeline.StartOptions{})
			require.NoError(t, err)
			if i == 5 {
				fmt.Println("five runs started")
			}
		}
	}
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		ps := newStore(t, db)
		def := create(t, ps, threeStages("crashy"))
		child := testdb.StartChild(t, "TestStartRunSurvivesCrash", map[string]string{
			"PIPELINE_DSN": testdb.DSN(t, db), "PIPELINE_FREE": fmt.Sprint(def.Workflow.ID)})
		require.NoError(t, child.WaitOutput("five runs started", time.Minute))
		require.NoError(t, child.Kill())
		_ = child.Wait()

		// One more start after the crash continues the numbering.
		r, err := ps.StartRun(ctx, def.Workflow.ID, pipeline.StartOptions{})
		require.NoError(t, err)
		seqs := sequences(t, db, def.Workflow.ID)
		n := len(seqs)
		require.GreaterOrEqual(t, n, 6)
		requireGapless(t, seqs, n)
		require.Equal(t, int64(n), r.Workflow.Sequence)
		require.Equal(t, int64(n), currentInstance(t, db, def.Workflow.ID))
		stageLogs, err := db.Bun().NewSelect().Model((*pipeline.StageLog)(nil)).Where("from_workflow = ?", def.Workflow.ID).Count(ctx)
		require.NoError(t, err)
		actionLogs, err := db.Bun().NewSelect().Model((*pipeline.ActionLog)(nil)).Where("from_workflow = ?", def.Workflow.ID).Count(ctx)
		require.NoError(t, err)
		require.Equal(t, int64(3*n), stageLogs, "every committed run has all its stages")
		require.Equal(t, int64(2*n), actionLogs, "and all its actions")
	})
}

// TestRunNumbersContinuePilotageHistory: a workflow whose runs pilotage
// wrote (no last_sequence) continues numbering after its highest sequence.
func TestRunNumbersContinuePilotageHistory(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		ps := newStore(t, db)
		def := create(t, ps, threeStages("legacy"))
		for seq := int64(1); seq <= 3; seq++ {
			_, err := db.Bun().NewInsert().Model(&pipeline.WorkflowLog{Namespace: "acme", Repository: "shop", Name: "legacy",
				FromWorkflow: def.Workflow.ID, Sequence: seq, RunState: pipeline.RunSuccess}).Exec(ctx)
			require.NoError(t, err)
		}
		r, err := ps.StartRun(ctx, def.Workflow.ID, pipeline.StartOptions{})
		require.NoError(t, err)
		require.Equal(t, int64(4), r.Workflow.Sequence)
		r, err = ps.StartRun(ctx, def.Workflow.ID, pipeline.StartOptions{})
		require.NoError(t, err)
		require.Equal(t, int64(5), r.Workflow.Sequence)
	})
}
