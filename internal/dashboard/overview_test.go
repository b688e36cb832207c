package dashboard_test

import (
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/flowstore/flowstore"
	"github.com/flowstore/flowstore/internal/dashboard"
	"github.com/flowstore/flowstore/internal/testdb"
	"github.com/flowstore/flowstore/orchestrator/pipeline"
	"github.com/flowstore/flowstore/queue"
	"github.com/flowstore/flowstore/store"
	"github.com/flowstore/flowstore/store/logs"
)

// testClock is a clock the test moves.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *testClock) set(t time.Time) { c.mu.Lock(); c.t = t; c.mu.Unlock() }

// openZoned opens the database of sdb again with a clock the test moves and
// the zone Asia/Kolkata (+05:30 all year) for OpenOrchestrator's naive
// times, and returns the dashboard over it built with CountsMaxAge.
func openZoned(t *testing.T, sdb *store.DB, clk *testClock, maxAge time.Duration) (*flowstore.DB, http.Handler) {
	t.Helper()
	loc, err := time.LoadLocation("Asia/Kolkata")
	require.NoError(t, err)
	db, err := flowstore.Open(t.Context(), testdb.DSN(t, sdb), flowstore.WithClock(clk.now), flowstore.WithStoreOptions(store.WithZone(loc)))
	require.NoError(t, err)
	t.Cleanup(func() { _ = db.Close() })
	h, err := dashboard.New(db.Store(), dashboard.Stores{
		Queue: db.Queue, Triggers: db.Triggers, Logs: db.Logs, Constants: db.Constants, Credentials: db.Credentials,
		Snapshots: db.Snapshots, Correlations: db.Correlations, Processes: db.Processes, Pipelines: db.Pipelines,
	}, dashboard.Options{ReadOnly: true, CountsMaxAge: maxAge})
	require.NoError(t, err)
	return db, h
}

// queueRow returns the cells of queue name's row on the overview: the
// counts by status, then the work done in the last hour.
func queueRow(t *testing.T, body, name string) []string {
	t.Helper()
	i := strings.Index(body, ">"+name+"</a></td>")
	require.GreaterOrEqual(t, i, 0, name)
	tr, _, _ := strings.Cut(body[i:], "</tr>")
	var cells []string
	for _, m := range regexp.MustCompile(`<td class="num[^"]*">(?:<a [^>]*>)?([^<]*)<`).FindAllStringSubmatch(tr, -1) {
		cells = append(cells, m[1])
	}
	return cells
}

func get(t *testing.T, h http.Handler, path string) string {
	t.Helper()
	rec := httptestDo(h, "GET", path, nil)
	require.Equal(t, http.StatusOK, rec.Code, path)
	return htmlUnescape(rec.Body.String())
}

// TestOverviewDoneLastHour checks the per-queue "done in the last hour":
// DONE elements whose end_date is within the hour before now count, older
// ones and other statuses do not.
func TestOverviewDoneLastHour(t *testing.T) {
	testdb.Each(t, func(t *testing.T, sdb *store.DB) {
		ctx := t.Context()
		t0 := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
		clk := &testClock{t: t0.Add(-3 * time.Hour)}
		db, h := openZoned(t, sdb, clk, -1)
		_, err := db.Queue.EnqueueBatch(ctx, "work", make([]queue.NewElement, 5))
		require.NoError(t, err)
		finish := func(at time.Time, r queue.Result) {
			clk.set(at)
			e, err := db.Queue.Claim(ctx, "work")
			require.NoError(t, err)
			require.NoError(t, db.Queue.Finish(ctx, e.ID, r))
		}
		finish(t0.Add(-2*time.Hour), queue.Done(""))          // too old
		finish(t0.Add(-61*time.Minute), queue.Done(""))       // just too old
		finish(t0.Add(-59*time.Minute), queue.Done(""))       // counts
		finish(t0.Add(-10*time.Minute), queue.Failed("nope")) // not DONE
		clk.set(t0)
		body := get(t, h, "/")
		// NEW, IN_PROGRESS, DONE, FAILED, ABANDONED, done in the last hour
		assert.Equal(t, []string{"1", "0", "3", "1", "0", "1"}, queueRow(t, body, "work"))
	})
}

// TestOverviewCountsCache checks that the overview reuses its counts for
// CountsMaxAge, says when they were read, and reads them again after.
func TestOverviewCountsCache(t *testing.T) {
	testdb.Each(t, func(t *testing.T, sdb *store.DB) {
		ctx := t.Context()
		t0 := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
		clk := &testClock{t: t0}
		db, h := openZoned(t, sdb, clk, 5*time.Second)
		_, err := db.Queue.Enqueue(ctx, "cached", queue.NewElement{})
		require.NoError(t, err)
		body := get(t, h, "/")
		assert.Equal(t, "1", queueRow(t, body, "cached")[0])
		// The time the counts were read, in the DB's zone with its offset.
		assert.Contains(t, body, "Counts as of 2026-12-06 17:30:00.000 +05:30")

		_, err = db.Queue.Enqueue(ctx, "cached", queue.NewElement{})
		require.NoError(t, err)
		clk.set(t0.Add(4 * time.Second))
		body = get(t, h, "/")
		assert.Equal(t, "1", queueRow(t, body, "cached")[0], "within CountsMaxAge the counts are reused")
		assert.Contains(t, body, "Counts as of 2026-12-06 17:30:00.000 +05:30")

		clk.set(t0.Add(6 * time.Second))
		body = get(t, h, "/")
		assert.Equal(t, "2", queueRow(t, body, "cached")[0], "after CountsMaxAge they are read again")
		assert.Contains(t, body, "Counts as of 2026-12-06 17:30:06.000 +05:30")
	})
}

// TestTimesWithOffset checks that OpenOrchestrator's naive times are shown
// in the DB's zone with the offset, not as bare wall clocks.
func TestTimesWithOffset(t *testing.T) {
	testdb.Each(t, func(t *testing.T, sdb *store.DB) {
		ctx := t.Context()
		t0 := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
		clk := &testClock{t: t0}
		db, h := openZoned(t, sdb, clk, -1)
		e, err := db.Queue.Enqueue(ctx, "zoned", queue.NewElement{Reference: "z-1"})
		require.NoError(t, err)
		assert.Contains(t, get(t, h, "/queues/element/"+e.ID.String()), "2026-12-06 17:30:00.000 +05:30")
		require.NoError(t, db.Logs.WriteBatch(ctx, []logs.Entry{{Time: t0.Add(time.Minute), Level: logs.LevelInfo, ProcessName: "p", Message: "zoned row"}}))
		assert.Contains(t, get(t, h, "/logs"), "2026-12-06 17:31:00.000 +05:30")
		// The from field is read in the DB's zone: 17:31 there is the row's
		// time, so from 17:32 leaves it out.
		assert.Contains(t, get(t, h, "/logs?from=2026-12-06T17:31"), "zoned row")
		assert.NotContains(t, get(t, h, "/logs?from=2026-12-06T17:32"), "zoned row")
	})
}

// TestOverviewRunningPipelineRuns checks the overview's running pipeline
// runs: a run in RunDoing is listed, one not started is not.
func TestOverviewRunningPipelineRuns(t *testing.T) {
	testdb.Each(t, func(t *testing.T, sdb *store.DB) {
		ctx := t.Context()
		db, err := flowstore.New(ctx, sdb)
		require.NoError(t, err)
		h, err := db.Dashboard(flowstore.DashboardOptions{ReadOnly: true})
		require.NoError(t, err)
		assert.Contains(t, get(t, h, "/"), "No pipeline run is running.")
		def, err := db.Pipelines.CreateWorkflow(ctx, pipeline.WorkflowSpec{
			Workflow: pipeline.Workflow{Namespace: "acme", Repository: "shop", Name: "deploy", Version: "v1", State: pipeline.StateRunnable, Manifest: `{}`},
			Stages:   []pipeline.StageSpec{{Stage: pipeline.Stage{Name: "start", Title: "Start", Type: pipeline.StageStart}}},
		})
		require.NoError(t, err)
		running, err := db.Pipelines.StartRun(ctx, def.Workflow.ID, pipeline.StartOptions{})
		require.NoError(t, err)
		idle, err := db.Pipelines.StartRun(ctx, def.Workflow.ID, pipeline.StartOptions{})
		require.NoError(t, err)
		require.NoError(t, db.Pipelines.Transition(ctx, pipeline.LevelWorkflow, running.Workflow.ID, pipeline.RunDoing, ""))

		body := get(t, h, "/")
		i := strings.Index(body, `id="running-runs"`)
		require.GreaterOrEqual(t, i, 0)
		table, _, _ := strings.Cut(body[i:], "</table>")
		assert.Contains(t, table, "/pipelines/runs/"+itoa(int(running.Workflow.ID))+`"`)
		assert.NotContains(t, table, "/pipelines/runs/"+itoa(int(idle.Workflow.ID))+`"`)
		assert.Contains(t, table, "<td>deploy</td>")
	})
}
