package pipeline_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/flowstore/flowstore/internal/testdb"
	"github.com/flowstore/flowstore/orchestrator/pipeline"
	"github.com/flowstore/flowstore/store"
)

// The tests in this file pin the guards an audit found missing: inputs that
// must be refused, rows that must not leak an instance, racing writers that
// must not duplicate a row.

const neverCron = "0 0 30 2 *" // 30 February

// TestNextFireNever: NextFire refuses a cron expression that parses but
// matches no time, instead of returning the zero time.
func TestNextFireNever(t *testing.T) {
	at := time.Date(2026, 3, 1, 10, 0, 30, 0, time.UTC)
	next, err := pipeline.NextFire(neverCron, at)
	require.ErrorIs(t, err, pipeline.ErrNeverFires)
	require.ErrorIs(t, err, store.ErrInvalid)
	require.Contains(t, err.Error(), neverCron)
	require.True(t, next.IsZero())
	leap, err := pipeline.NextFire("0 0 29 2 *", at)
	require.NoError(t, err, "29 February comes every four years")
	require.Equal(t, time.Date(2028, 2, 29, 0, 0, 0, 0, time.UTC), leap)
}

// TestNeverFiringTimers: a timer whose cron expression never fires is
// refused on write, and a stored one is switched off instead of firing on
// every call.
func TestNeverFiringTimers(t *testing.T) {
	const never = neverCron
	at := time.Date(2026, 3, 1, 10, 0, 30, 0, time.UTC)
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		clk := &clock{t: at}
		var logged syncBuffer
		tdb, err := store.Open(ctx, testdb.DSN(t, db), store.WithClock(clk.now),
			store.WithLogger(slog.New(slog.NewTextHandler(&logged, nil))))
		require.NoError(t, err)
		defer tdb.Close()
		ps := newStore(t, tdb)
		def := create(t, ps, threeStages("never"))
		id := def.Workflow.ID

		for _, available := range []bool{true, false} {
			err := ps.CreateTimer(ctx, &pipeline.Timer{Namespace: "acme", Repository: "shop", Workflow: id, Available: available, Cron: never})
			require.ErrorIs(t, err, pipeline.ErrNeverFires)
			require.ErrorIs(t, err, store.ErrInvalid)
		}
		timers, err := ps.ListTimers(ctx, id)
		require.NoError(t, err)
		require.Empty(t, timers, "a refused timer writes nothing")

		// Rows stored by older code or another system: one never scheduled,
		// one with a next_run in the past; and a good timer beside them.
		legacy := []*pipeline.Timer{
			{Namespace: "acme", Repository: "shop", Workflow: id, Available: true, Cron: never},
			{Namespace: "acme", Repository: "shop", Workflow: id, Available: true, Cron: never, NextRun: at.Add(-time.Hour)},
		}
		for _, tm := range legacy {
			_, err := db.Bun().NewInsert().Model(tm).Exec(ctx)
			require.NoError(t, err)
		}
		good := &pipeline.Timer{Namespace: "acme", Repository: "shop", Workflow: id, Available: true, Cron: "*/5 * * * *"}
		require.NoError(t, ps.CreateTimer(ctx, good))

		fired := 0
		for range 3 {
			clk.set(clk.now().Add(2 * time.Minute))
			f, err := ps.FireDueTimers(ctx)
			require.NoError(t, err)
			for _, one := range f {
				require.Equal(t, good.ID, one.Timer.ID, "only the good timer fires")
			}
			fired += len(f)
		}
		require.Equal(t, 1, fired, "the good timer fired its 10:05 occurrence")
		requireGapless(t, sequences(t, db, id), 1)
		timers, err = ps.ListTimers(ctx, id)
		require.NoError(t, err)
		for _, tm := range timers {
			if tm.ID == good.ID {
				require.True(t, tm.Available)
				continue
			}
			require.False(t, tm.Available, "timer %d is switched off", tm.ID)
			require.True(t, tm.NextRun.IsZero(), "timer %d has no next_run", tm.ID)
		}

		require.Equal(t, 2, strings.Count(logged.String(), "timer switched off: its cron expression never fires"),
			"each timer switched off is logged once:\n%s", logged.String())

		require.ErrorIs(t, ps.SetTimerAvailable(ctx, legacy[0].ID, true), pipeline.ErrNeverFires)
		require.NoError(t, ps.SetTimerAvailable(ctx, legacy[0].ID, false))
	})
}

// syncBuffer is a bytes.Buffer for a logger that several goroutines share.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// TestDeleteLiveRunReleasesInstance: deleting the workflow_log row of a run
// that has not ended gives back its instance in the same transaction;
// deleting an ended (or already deleted) run gives back nothing; and a
// delete racing the Transition that ends the run releases the instance once.
func TestDeleteLiveRunReleasesInstance(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		ps := newStore(t, db)
		def := create(t, ps, threeStages("deleted"))
		id := def.Workflow.ID
		require.NoError(t, ps.SetInstanceLimit(ctx, id, 1))
		start := func() int64 {
			t.Helper()
			r, err := ps.StartRun(ctx, id, pipeline.StartOptions{})
			require.NoError(t, err)
			return r.Workflow.ID
		}

		r1 := start()
		require.NoError(t, ps.SoftDelete(ctx, pipeline.TableWorkflowLog, r1))
		require.Zero(t, currentInstance(t, db, id), "a soft-deleted live run gives its instance back")
		r2 := start() // the slot is free again
		require.ErrorIs(t, ps.Transition(ctx, pipeline.LevelWorkflow, r1, pipeline.RunFailed, pipeline.ReasonWorkflowRunFailed), store.ErrNotFound)
		require.Equal(t, int64(1), currentInstance(t, db, id), "ending a deleted run releases nothing")
		require.ErrorIs(t, ps.SoftDelete(ctx, pipeline.TableWorkflowLog, r1), store.ErrNotFound)
		require.NoError(t, ps.HardDelete(ctx, pipeline.TableWorkflowLog, r1), "a soft-deleted run can be removed")
		require.Equal(t, int64(1), currentInstance(t, db, id), "and its instance is not given back twice")

		require.NoError(t, ps.HardDelete(ctx, pipeline.TableWorkflowLog, r2))
		require.Zero(t, currentInstance(t, db, id), "a hard-deleted live run gives its instance back")
		require.ErrorIs(t, ps.HardDelete(ctx, pipeline.TableWorkflowLog, r2), store.ErrNotFound)

		// An ended run held no instance: deleting it leaves the counter
		// alone (a live run keeps it at 1, so a wrong release would show).
		r3 := start()
		require.True(t, endRun(t, ps, r3))
		r4 := start()
		require.NoError(t, ps.SoftDelete(ctx, pipeline.TableWorkflowLog, r3))
		require.NoError(t, ps.HardDelete(ctx, pipeline.TableWorkflowLog, r3))
		require.Equal(t, int64(1), currentInstance(t, db, id))
		require.True(t, endRun(t, ps, r4))
		require.ErrorIs(t, ps.SoftDelete(ctx, pipeline.TableWorkflowLog, 999999), store.ErrNotFound)
		require.ErrorIs(t, ps.HardDelete(ctx, pipeline.TableWorkflowLog, 999999), store.ErrNotFound)

		// Deletes racing the ends of the same runs: each run gives its
		// instance back once. The kept runs hold the counter above 0, so a
		// double release would show rather than stop at the floor.
		require.NoError(t, ps.SetInstanceLimit(ctx, id, -1))
		const kept, raced = 3, 8
		for range kept {
			start()
		}
		var runs []int64
		for range raced {
			runs = append(runs, start())
		}
		var wg sync.WaitGroup
		for i, run := range runs {
			wg.Go(func() {
				var err error
				if i%2 == 0 {
					err = ps.SoftDelete(ctx, pipeline.TableWorkflowLog, run)
				} else {
					err = ps.HardDelete(ctx, pipeline.TableWorkflowLog, run)
				}
				assertNoError(t, err)
			})
			wg.Go(func() {
				err := ps.Transition(ctx, pipeline.LevelWorkflow, run, pipeline.RunFailed, pipeline.ReasonWorkflowRunFailed)
				if err != nil && !errors.Is(err, store.ErrNotFound) { // the delete came first
					t.Errorf("end run %d: %v", run, err)
				}
			})
		}
		wg.Wait()
		require.Equal(t, int64(kept), currentInstance(t, db, id))
	})
}

// TestBlankRequires: requires that hold no requirement however they are
// spelt (JSON null, blanks, an empty list with spaces) let a run start,
// instead of blocking it with a misleading TransitionError.
func TestBlankRequires(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		ps := newStore(t, db)
		for i, requires := range []string{"null", " null ", "", "  ", "\t\n", "[]", " [ ] ", "[\n]"} {
			spec := threeStages(fmt.Sprintf("blank%d", i))
			spec.Workflow.Requires = requires
			spec.Stages[1].Actions[0].Requires = requires
			def := create(t, ps, spec)
			run, err := ps.StartRun(ctx, def.Workflow.ID, pipeline.StartOptions{})
			require.NoError(t, err)
			require.NoError(t, ps.Transition(ctx, pipeline.LevelWorkflow, run.Workflow.ID, pipeline.RunDoing, ""), "requires %q", requires)
			action := run.Stages[1].Actions[0].ID
			require.NoError(t, ps.Transition(ctx, pipeline.LevelAction, action, pipeline.RunWaitToStart, ""))
			require.NoError(t, ps.Transition(ctx, pipeline.LevelAction, action, pipeline.RunDoing, ""), "requires %q", requires)
			_, err = ps.Authorize(ctx, pipeline.LevelStage, run.Stages[0].Stage.ID, pipeline.Requirement{Type: pipeline.AuthDefault, Token: pipeline.DefaultToken}, "alice")
			require.ErrorIs(t, err, store.ErrInvalid, "nothing to authorise")
		}
		// A requirement still blocks, with the error that says so; broken
		// JSON is reported as such.
		spec := threeStages("gated")
		spec.Workflow.Requires = ` [{"type":"default","token":"default"}] `
		def := create(t, ps, spec)
		run, err := ps.StartRun(ctx, def.Workflow.ID, pipeline.StartOptions{})
		require.NoError(t, err)
		require.ErrorIs(t, ps.Transition(ctx, pipeline.LevelWorkflow, run.Workflow.ID, pipeline.RunDoing, ""), pipeline.ErrNotAuthorized)
		spec = threeStages("broken")
		spec.Workflow.Requires = `[{"type":`
		def = create(t, ps, spec)
		run, err = ps.StartRun(ctx, def.Workflow.ID, pipeline.StartOptions{})
		require.NoError(t, err)
		require.ErrorIs(t, ps.Transition(ctx, pipeline.LevelWorkflow, run.Workflow.ID, pipeline.RunDoing, ""), store.ErrInvalid)
	})
}

// TestEventCodes: event type, source and character take only the codes of
// their kind; anything else is refused before a row is written.
func TestEventCodes(t *testing.T) {
	require.Equal(t, "system", pipeline.EventTypeSystem.String())
	require.Equal(t, "user", pipeline.EventTypeUser.String())
	require.Equal(t, "inner", pipeline.EventSourceInner.String())
	require.Equal(t, "outside", pipeline.EventSourceOutside.String())
	require.Equal(t, "service", pipeline.EventCharacterService.String())
	require.Equal(t, "component", pipeline.EventCharacterComponent.String())
	require.Equal(t, "EventType(9)", pipeline.EventType(9).String())
	require.Equal(t, "EventSource(0)", pipeline.EventSource(0).String())
	require.Equal(t, "EventCharacter(1)", pipeline.EventCharacter(1).String())

	testdb.Each(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		ps := newStore(t, db)
		ok := func() pipeline.Event {
			return pipeline.Event{Title: "CO_TASK_STATUS", Header: "{}", Payload: "{}", Workflow: 1,
				Type: pipeline.EventTypeSystem, Source: pipeline.EventSourceInner, Character: pipeline.EventCharacterComponent}
		}
		bad := []func(*pipeline.Event){
			func(e *pipeline.Event) { e.Type = 9 },
			func(e *pipeline.Event) { e.Type = pipeline.EventType(pipeline.EventSourceInner) },
			func(e *pipeline.Event) { e.Source = 0 },
			func(e *pipeline.Event) { e.Source = 4 },
			func(e *pipeline.Event) { e.Character = 1 },
			func(e *pipeline.Event) { e.Character = -1 },
		}
		for i, spoil := range bad {
			e := ok()
			spoil(&e)
			require.ErrorIs(t, ps.RecordEvent(ctx, &e), store.ErrInvalid, "case %d", i)
			d := pipeline.EventDefinition{Event: "CO_TASK_STATUS", Action: 7, Type: e.Type, Source: e.Source, Character: e.Character}
			require.ErrorIs(t, ps.CreateEventDefinition(ctx, &d), store.ErrInvalid, "case %d", i)
		}
		n, err := db.Bun().NewSelect().Model((*pipeline.Event)(nil)).WhereAllWithDeleted().Count(ctx)
		require.NoError(t, err)
		require.Zero(t, n, "refused events write nothing")
		n, err = db.Bun().NewSelect().Model((*pipeline.EventDefinition)(nil)).WhereAllWithDeleted().Count(ctx)
		require.NoError(t, err)
		require.Zero(t, n, "refused event definitions write nothing")

		e := ok()
		e.Type, e.Source, e.Character = pipeline.EventTypeUser, pipeline.EventSourceOutside, pipeline.EventCharacterService
		require.NoError(t, ps.RecordEvent(ctx, &e))
		d := pipeline.EventDefinition{Event: "register", Action: 7, Type: pipeline.EventTypeSystem,
			Source: pipeline.EventSourceInner, Character: pipeline.EventCharacterComponent}
		require.NoError(t, ps.CreateEventDefinition(ctx, &d))
	})
}

// TestStageOutcomeCodes: the start and end outcomes of a run carry the
// stage codes 0 and -1 in action, real_action and event, as pilotage's;
// the event that started the run stays on its workflow_log row.
func TestStageOutcomeCodes(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		ps := newStore(t, db)
		def := create(t, ps, threeStages("codes"))
		run, err := ps.StartRun(ctx, def.Workflow.ID, pipeline.StartOptions{Event: 77, StartData: `{"ref":"main"}`})
		require.NoError(t, err)
		_, err = ps.RecordStageOutcome(ctx, run.Workflow.ID, pipeline.OutcomeStageEnd, true, "done", "")
		require.NoError(t, err)
		got, err := ps.GetRunByID(ctx, run.Workflow.ID)
		require.NoError(t, err)
		require.Equal(t, int64(77), got.Workflow.Event)
		require.Len(t, got.Outcomes, 2)
		for i, want := range []int64{pipeline.OutcomeStageStart, pipeline.OutcomeStageEnd} {
			o := got.Outcomes[i]
			require.Equal(t, []int64{want, want, want}, []int64{o.Action, o.RealAction, o.Event}, "outcome %d", i)
		}
		require.Equal(t, run.Stages[0].Stage.ID, got.Outcomes[0].Stage)
		require.Equal(t, run.Stages[2].Stage.ID, got.Outcomes[1].Stage)
	})
}

// TestUserSettingFirstWriters: callers racing to store the first settings
// of a namespace/repository leave exactly one row.
func TestUserSettingFirstWriters(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		ps := newStore(t, db)
		const rounds, writers = 5, 8
		for round := range rounds {
			repo := fmt.Sprintf("repo%d", round)
			var wg sync.WaitGroup
			begin := make(chan struct{})
			for i := range writers {
				wg.Go(func() {
					<-begin
					us, err := ps.SetUserSetting(ctx, "acme", repo, fmt.Sprintf(`{"writer":%d}`, i))
					if assertNoError(t, err) && us.Repository != repo {
						t.Errorf("SetUserSetting returned the settings of %q", us.Repository)
					}
				})
			}
			close(begin)
			wg.Wait()
			n, err := db.Bun().NewSelect().Model((*pipeline.UserSetting)(nil)).
				Where("namespace = ? AND repository = ?", "acme", repo).Count(ctx)
			require.NoError(t, err)
			require.Equal(t, 1, int(n), "round %d: one user_setting row", round)
			us, err := ps.UserSetting(ctx, "acme", repo)
			require.NoError(t, err)
			var v struct{ Writer int }
			require.NoError(t, json.Unmarshal([]byte(us.Setting), &v))
			require.Less(t, v.Writer, writers)
		}
	})
}

// TestAttachToMissingWorkflow: timers and variables need a workflow version
// that exists and is not deleted.
func TestAttachToMissingWorkflow(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		ps := newStore(t, db)
		def := create(t, ps, threeStages("attached"))
		timer := func(workflow int64) *pipeline.Timer {
			return &pipeline.Timer{Namespace: "acme", Repository: "shop", Workflow: workflow, Available: true, Cron: "@daily"}
		}
		vars := []pipeline.WorkflowVar{{Key: "branch", Value: "dev"}}
		require.ErrorIs(t, ps.CreateTimer(ctx, timer(999999)), store.ErrNotFound)
		require.ErrorIs(t, ps.CreateTimer(ctx, timer(0)), store.ErrNotFound)
		require.ErrorIs(t, ps.SetVars(ctx, 999999, vars), store.ErrNotFound)
		n, err := db.Bun().NewSelect().Model((*pipeline.Timer)(nil)).WhereAllWithDeleted().Count(ctx)
		require.NoError(t, err)
		require.Zero(t, n)
		n, err = db.Bun().NewSelect().Model((*pipeline.WorkflowVar)(nil)).Where("workflow = ?", 999999).Count(ctx)
		require.NoError(t, err)
		require.Zero(t, n)

		require.NoError(t, ps.CreateTimer(ctx, timer(def.Workflow.ID)))
		require.NoError(t, ps.SetVars(ctx, def.Workflow.ID, vars))
		require.NoError(t, ps.DeleteWorkflow(ctx, def.Workflow.ID))
		require.ErrorIs(t, ps.CreateTimer(ctx, timer(def.Workflow.ID)), store.ErrNotFound)
		require.ErrorIs(t, ps.SetVars(ctx, def.Workflow.ID, vars), store.ErrNotFound)
	})
}

// TestConcurrentAuthorize: authorisers of different requirements of one run
// racing each other all keep their entry.
func TestConcurrentAuthorize(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		ps := newStore(t, db)
		const n = 8
		reqs := make([]pipeline.Requirement, n)
		for i := range reqs {
			reqs[i] = pipeline.Requirement{Type: pipeline.AuthWorkflowStartAPI, Token: fmt.Sprintf("t%d", i)}
		}
		raw, err := json.Marshal(reqs)
		require.NoError(t, err)
		spec := threeStages("approvals")
		spec.Workflow.Requires = string(raw)
		def := create(t, ps, spec)
		run, err := ps.StartRun(ctx, def.Workflow.ID, pipeline.StartOptions{})
		require.NoError(t, err)
		id := run.Workflow.ID

		var wg sync.WaitGroup
		remaining := make([]int, n)
		for i, req := range reqs {
			wg.Go(func() {
				var err error
				remaining[i], err = ps.Authorize(ctx, pipeline.LevelWorkflow, id, req, fmt.Sprintf("user%d", i))
				assertNoError(t, err)
			})
		}
		wg.Wait()
		require.ElementsMatch(t, []int{0, 1, 2, 3, 4, 5, 6, 7}, remaining, "each authoriser saw one fewer requirement")

		got, err := ps.GetRunByID(ctx, id)
		require.NoError(t, err)
		var left []pipeline.Requirement
		require.NoError(t, json.Unmarshal([]byte(got.Workflow.Requires), &left))
		require.Empty(t, left)
		var auths []pipeline.Authorization
		require.NoError(t, json.Unmarshal([]byte(got.Workflow.AuthList), &auths))
		require.Len(t, auths, n)
		tokens := map[string]string{}
		for _, a := range auths {
			tokens[a.Token] = a.Authorizer
		}
		for i, req := range reqs {
			require.Equal(t, fmt.Sprintf("user%d", i), tokens[req.Token])
		}
		require.NoError(t, ps.Transition(ctx, pipeline.LevelWorkflow, id, pipeline.RunDoing, ""))
	})
}
