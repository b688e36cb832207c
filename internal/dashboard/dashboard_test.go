package dashboard_test

import (
	"bufio"
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/flowstore/flowstore"
	"github.com/flowstore/flowstore/internal/testdb"
	"github.com/flowstore/flowstore/orchestrator"
	"github.com/flowstore/flowstore/queue"
	"github.com/flowstore/flowstore/store"
	"github.com/flowstore/flowstore/store/logs"
	"github.com/flowstore/flowstore/trigger"
)

// pages lists a GET of every page with a text it must show for the
// fixture.
func pages(f *fixture) map[string]string {
	return map[string]string{
		"/":                                    "invoices",
		"/queues":                              "inv-fail",
		"/queues?queue=invoices&status=FAILED": "inv-fail",
		"/queues/element/" + f.failed.ID.String(): "upstream &lt;b&gt;timeout&lt;/b&gt;",
		"/triggers":  "nightly",
		"/processes": f.pid.String(),
		"/processes?status=failed&workflow=flaky":        f.pid.String(),
		"/processes/" + f.pid.String():                   "upload refused: &lt;quota&gt;",
		"/pipelines":                                     "Name a workflow",
		"/pipelines?namespace=a&repository=b&workflow=c": "No version.",
		"/snapshots":                                     "instance id",
		"/snapshots?id=nope":                             "No snapshot found.",
		"/snapshots?process=p&key=k":                     "No snapshot found.",
		"/snapshots?process=p&event=e":                   "No snapshot found.",
		"/logs":                                          "disk &lt;full&gt;",
		"/logs?level=ERROR&process=report":               "disk &lt;full&gt;",
		"/secrets":                                       "mailer",
		"/static/style.css":                              "timeline",
		"/static/live.js":                                "EventSource",
	}
}

func TestNewNeedsAuthorizeOrReadOnly(t *testing.T) {
	ctx := t.Context()
	db, err := flowstore.Open(ctx, "sqlite::memory:")
	require.NoError(t, err)
	defer db.Close()
	_, err = db.Dashboard(flowstore.DashboardOptions{})
	require.ErrorIs(t, err, store.ErrInvalid)

	// Read-only without Authorize builds, shows pages, and refuses actions.
	h, err := db.Dashboard(flowstore.DashboardOptions{ReadOnly: true})
	require.NoError(t, err)
	rec := httptestDo(h, "GET", "/", nil)
	assert.Equal(t, http.StatusOK, rec.Code)
	assert.NotContains(t, rec.Body.String(), "<form method=\"post\"")
	assert.Contains(t, rec.Body.String(), "read-only")
	rec = httptestDo(h, "POST", "/engine/lock", nil)
	assert.Equal(t, http.StatusForbidden, rec.Code)
	st, err := db.Processes.EngineStatus(ctx)
	require.NoError(t, err)
	assert.False(t, st.Locked)

	_, err = db.Dashboard(flowstore.DashboardOptions{ReadOnly: true, Prefix: "nested/"})
	require.ErrorIs(t, err, store.ErrInvalid)
}

func TestPagesEveryDialect(t *testing.T) {
	testdb.Each(t, func(t *testing.T, sdb *store.DB) {
		f := newFixture(t, sdb)
		c := f.client(t)

		t.Run("render", func(t *testing.T) {
			for path, want := range pages(f) {
				code, body := c.get(path)
				assert.Equal(t, http.StatusOK, code, path)
				assert.Contains(t, body, want, path)
			}
			// The step timeline lists the steps in order.
			_, body := c.get("/processes/" + f.pid.String())
			assert.Regexp(t, `(?s)fetch.*success.*upload.*failed`, body)
			// Bad input is the user's error, not the server's.
			for _, p := range []string{"/queues?status=NOPE", "/processes?status=nope", "/queues/element/x", "/logs?level=LOUD", "/queues?before=zz", "/pipelines/runs/0",
				"/queues?reference=%00", "/queues?queue=%FF", "/processes?workflow=%00", "/logs?process=%00", "/logs?from=yesterday",
				"/snapshots?id=%00", "/snapshots?process=p&key=%FF", "/snapshots?correlation=%00", "/pipelines?namespace=%00&repository=b&workflow=c"} {
				code, _ := c.get(p)
				assert.Equal(t, http.StatusBadRequest, code, p)
			}
			code, _ := c.get("/pipelines/runs/99999")
			assert.Equal(t, http.StatusNotFound, code)
		})

		t.Run("unauthorised", func(t *testing.T) {
			for path := range pages(f) {
				resp, err := http.Get(f.srv.URL + path)
				require.NoError(t, err)
				resp.Body.Close()
				assert.Equal(t, http.StatusUnauthorized, resp.StatusCode, path)
			}
			resp, err := http.PostForm(f.srv.URL+"/engine/lock", url.Values{"csrf": {c.csrf}})
			require.NoError(t, err)
			resp.Body.Close()
			assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)
			assertUnlocked(t, f)
		})

		t.Run("headers", func(t *testing.T) {
			resp, err := c.hc.Get(f.srv.URL + "/")
			require.NoError(t, err)
			resp.Body.Close()
			csp := resp.Header.Get("Content-Security-Policy")
			assert.Contains(t, csp, "default-src 'self'")
			assert.Contains(t, csp, "frame-ancestors 'none'")
			assert.NotContains(t, csp, "unsafe-inline")
			assert.Equal(t, "nosniff", resp.Header.Get("X-Content-Type-Options"))
			assert.Equal(t, "no-referrer", resp.Header.Get("Referrer-Policy"))
		})

		t.Run("secrets never in a body", func(t *testing.T) {
			_, body := c.get("/secrets")
			assert.Contains(t, body, "smtp")
			assert.Contains(t, body, "mailer")
			assert.Contains(t, body, f.ring.Primary().ID(), "the key id is shown")
			enc, err := f.db.Credentials.GetEncrypted(t.Context(), "smtp")
			require.NoError(t, err)
			forbidden := []string{password, constantValue, enc.Password, f.ring.Primary().Encode()}
			for path := range pages(f) {
				_, body := c.get(path)
				for _, s := range forbidden {
					assert.NotContains(t, body, s, path)
				}
			}
		})

		t.Run("forged posts", func(t *testing.T) {
			c.get("/processes")
			good := c.csrf
			require.NotEmpty(t, good)
			// No token, a wrong token, another client's token (its cookie
			// differs), a cross-site request with the right token.
			other := f.client(t)
			other.get("/processes")
			cases := map[string]func() *http.Request{
				"no token":      func() *http.Request { return form(t, f, "/engine/lock", url.Values{}) },
				"wrong token":   func() *http.Request { return form(t, f, "/engine/lock", url.Values{"csrf": {"AAAA" + good[4:]}}) },
				"other's token": func() *http.Request { return form(t, f, "/engine/lock", url.Values{"csrf": {other.csrf}}) },
				"cross-site": func() *http.Request {
					r := form(t, f, "/engine/lock", url.Values{"csrf": {good}})
					r.Header.Set("Sec-Fetch-Site", "cross-site")
					return r
				},
			}
			for name, mk := range cases {
				resp, err := c.hc.Do(mk())
				require.NoError(t, err)
				resp.Body.Close()
				assert.Equal(t, http.StatusForbidden, resp.StatusCode, name)
			}
			assertUnlocked(t, f)
			// A GET never changes anything.
			code, _ := c.get("/engine/lock")
			assert.Equal(t, http.StatusMethodNotAllowed, code)
			assertUnlocked(t, f)
		})

		t.Run("actions", func(t *testing.T) { testActions(t, f, c) })
	})
}

func assertUnlocked(t *testing.T, f *fixture) {
	t.Helper()
	st, err := f.db.Processes.EngineStatus(t.Context())
	require.NoError(t, err)
	assert.False(t, st.Locked)
}

func form(t *testing.T, f *fixture, path string, v url.Values) *http.Request {
	r, err := http.NewRequest("POST", f.srv.URL+path, strings.NewReader(v.Encode()))
	require.NoError(t, err)
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return r
}

func testActions(t *testing.T, f *fixture, c *client) {
	ctx := t.Context()
	id := f.failed.ID.String()

	// Requeue with a stale view: the element changed meanwhile.
	_, body := c.get("/queues?queue=invoices")
	seen := formValue(t, body, "/queues/requeue", id, "seen")
	require.NoError(t, f.db.Queue.ForceStatus(ctx, f.failed.ID, queue.StatusAbandoned, ""))
	code, _, body := c.post("/queues/requeue", url.Values{"id": {id}, "seen": {seen}, "back": {"/queues?queue=invoices"}})
	assert.Equal(t, http.StatusOK, code)
	assert.Contains(t, body, "changed meanwhile")
	e, err := f.db.Queue.Get(ctx, f.failed.ID)
	require.NoError(t, err)
	assert.Equal(t, queue.StatusAbandoned, e.Status)

	// With a fresh view it works.
	_, body = c.get("/queues?queue=invoices&status=ABANDONED")
	seen = formValue(t, body, "/queues/requeue", id, "seen")
	_, u, body := c.post("/queues/requeue", url.Values{"id": {id}, "seen": {seen}, "back": {"/queues?queue=invoices"}})
	assert.Contains(t, body, "Element requeued")
	assert.Contains(t, u, "/queues?")
	e, err = f.db.Queue.Get(ctx, f.failed.ID)
	require.NoError(t, err)
	assert.Equal(t, queue.StatusNew, e.Status)

	// An outside back link is not followed.
	_, body = c.get("/queues/element/" + f.newElem.ID.String())
	seen = formValue(t, body, "/queues/delete", f.newElem.ID.String(), "seen")
	_, u, _ = c.post("/queues/delete", url.Values{"id": {f.newElem.ID.String()}, "seen": {seen}, "back": {"//evil.example/"}})
	assert.True(t, strings.HasPrefix(u, f.srv.URL+"/"), u)
	_, err = f.db.Queue.Get(ctx, f.newElem.ID)
	require.ErrorIs(t, err, store.ErrNotFound)

	// Requeue stale: an element claimed long ago comes back.
	_, err = f.db.Queue.Claim(ctx, "invoices")
	require.NoError(t, err)
	c.get("/queues?queue=invoices")
	_, _, body = c.post("/queues/requeue-stale", url.Values{"queue": {"invoices"}, "minutes": {"1"}})
	assert.Contains(t, body, "Stale elements requeued")

	// Triggers: pause, resume, start now.
	tid := f.trig.ID.String()
	_, body = c.get("/triggers")
	_, _, body = c.post("/triggers/pause", url.Values{"id": {tid}, "seen": {formValue(t, body, "/triggers/pause", tid, "seen")}})
	assert.Contains(t, body, "Trigger paused")
	tr, err := f.db.Triggers.Get(ctx, f.trig.ID)
	require.NoError(t, err)
	assert.Equal(t, trigger.StatusPaused, tr.Status)
	// A second pause from the stale page says the row changed.
	_, _, body = c.post("/triggers/pause", url.Values{"id": {tid}, "seen": {"IDLE"}})
	assert.Contains(t, body, "changed meanwhile")
	_, body = c.get("/triggers")
	_, _, body = c.post("/triggers/resume", url.Values{"id": {tid}, "seen": {formValue(t, body, "/triggers/resume", tid, "seen")}})
	assert.Contains(t, body, "Resumed")
	_, body = c.get("/triggers")
	_, _, body = c.post("/triggers/start", url.Values{"id": {tid}, "seen": {formValue(t, body, "/triggers/start", tid, "seen")}})
	assert.Contains(t, body, "start now")
	due, err := f.db.Triggers.Due(ctx, f.db.Store().Now().Add(time.Second), 10)
	require.NoError(t, err)
	require.Len(t, due, 1)
	assert.Equal(t, f.trig.ID, due[0].ID)

	// Engine lock and unlock.
	c.get("/processes")
	_, _, body = c.post("/engine/lock", url.Values{})
	assert.Contains(t, body, "Engine locked")
	st, err := f.db.Processes.EngineStatus(ctx)
	require.NoError(t, err)
	assert.True(t, st.Locked)
	// Resuming while locked is refused and says so.
	pid := f.pid.String()
	_, body = c.get("/processes/" + pid)
	pseen := formValue(t, body, "/processes/resume", pid, "seen")
	_, _, body = c.post("/processes/resume", url.Values{"pid": {pid}, "seen": {pseen}})
	assert.Contains(t, body, "engine is locked")
	_, _, body = c.post("/engine/unlock", url.Values{})
	assert.Contains(t, body, "Engine unlocked")

	// Retry the failed process; the engine runs it again, and the
	// timeline grows.
	before, err := f.db.Processes.Steps(ctx, f.pid)
	require.NoError(t, err)
	_, body = c.get("/processes/" + pid)
	assert.Contains(t, body, ">Retry<")
	_, _, body = c.post("/processes/resume", url.Values{"pid": {pid}, "seen": {formValue(t, body, "/processes/resume", pid, "seen")}})
	assert.Contains(t, body, "Resumed")
	require.Eventually(t, func() bool {
		p, err := f.db.Processes.Process(ctx, f.pid)
		return err == nil && p.LastStatus == orchestrator.StatusCompleted
	}, 20*time.Second, 50*time.Millisecond)
	after, err := f.db.Processes.Steps(ctx, f.pid)
	require.NoError(t, err)
	assert.Greater(t, len(after), len(before))
	_, body = c.get("/processes/" + pid)
	assert.Equal(t, len(after), strings.Count(body, `<li class="step`), "the page shows every step")
	// A post from the old page is refused: the process changed meanwhile.
	_, _, body = c.post("/processes/abort", url.Values{"pid": {pid}, "seen": {pseen}})
	assert.Contains(t, body, "changed meanwhile")

	// Abort the suspended process.
	sid := f.suspended.String()
	_, body = c.get("/processes/" + sid)
	_, _, body = c.post("/processes/abort", url.Values{"pid": {sid}, "seen": {formValue(t, body, "/processes/abort", sid, "seen")}})
	assert.Contains(t, body, "Process aborted")
	p, err := f.db.Processes.Process(ctx, f.suspended)
	require.NoError(t, err)
	assert.Equal(t, orchestrator.StatusAborted, p.LastStatus)
}

func TestKeysetPaging(t *testing.T) {
	testdb.Each(t, func(t *testing.T, sdb *store.DB) {
		ctx := t.Context()
		db, err := flowstore.New(ctx, sdb)
		require.NoError(t, err)
		h, err := db.Dashboard(flowstore.DashboardOptions{ReadOnly: true})
		require.NoError(t, err)
		const n = 130
		els := make([]queue.NewElement, n)
		for i := range els {
			els[i] = queue.NewElement{Reference: "r" + strings.Repeat("x", i%3) + itoa(i)}
		}
		ids, err := db.Queue.EnqueueBatch(ctx, "paged", els)
		require.NoError(t, err)
		entries := make([]logs.Entry, n)
		at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
		for i := range entries {
			// Rows 60 to 99 share one time, so a run of 40 ties crosses the
			// first page's edge (the first page ends 20 rows into it).
			ms := i
			if i >= 60 && i < 100 {
				ms = 60
			}
			entries[i] = logs.Entry{Time: at.Add(time.Duration(ms) * time.Millisecond), Level: logs.LevelInfo, ProcessName: "p", Message: "row-" + itoa(i) + "."}
		}
		require.NoError(t, db.Logs.WriteBatch(ctx, entries))

		walk := func(start, rowMarker string) []string {
			var seen []string
			next := start
			for pages := 0; next != ""; pages++ {
				require.Less(t, pages, 10)
				rec := httptestDo(h, "GET", next, nil)
				require.Equal(t, http.StatusOK, rec.Code, next)
				body := rec.Body.String()
				for _, part := range strings.Split(body, rowMarker)[1:] {
					v, _, _ := strings.Cut(part, `"`)
					v, _, _ = strings.Cut(v, `<`)
					seen = append(seen, v)
				}
				next = ""
				if i := strings.Index(body, `id="next" href="`); i >= 0 {
					next = htmlUnescape(body[i+len(`id="next" href="`):])
					next, _, _ = strings.Cut(next, `"`)
				}
			}
			return seen
		}
		got := walk("/queues?queue=paged&status=NEW", `href="/queues/element/`)
		require.Len(t, got, n)
		want := map[string]bool{}
		for _, id := range ids {
			want[id.String()] = true
		}
		for _, g := range got {
			assert.True(t, want[g], g)
			delete(want, g)
		}
		assert.Empty(t, want, "every element once")

		rows := walk("/logs?process=p", `<td class="msg">row-`)
		assert.Len(t, rows, n)
		uniq := map[string]bool{}
		for _, r := range rows {
			uniq[r] = true
		}
		assert.Len(t, uniq, n, "every log row once")
	})
}

func TestLogTail(t *testing.T) {
	testdb.Each(t, func(t *testing.T, sdb *store.DB) {
		f := newFixture(t, sdb)
		ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
		defer cancel()
		req, err := http.NewRequestWithContext(ctx, "GET", f.srv.URL+"/logs/tail?process=tailed", nil)
		require.NoError(t, err)
		req.Header.Set(authHeader, authValue)
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		require.Equal(t, "text/event-stream", resp.Header.Get("Content-Type"))
		sc := bufio.NewScanner(resp.Body)
		require.True(t, sc.Scan()) // the opening comment
		go func() {
			time.Sleep(200 * time.Millisecond)
			_ = f.db.Logs.Write(context.Background(), logs.Entry{Level: logs.LevelInfo, ProcessName: "other", Message: "not this"})
			_ = f.db.Logs.Write(context.Background(), logs.Entry{Level: logs.LevelError, ProcessName: "tailed", Message: "<live> row"})
		}()
		for sc.Scan() {
			line := sc.Text()
			if strings.HasPrefix(line, "data: ") {
				assert.Contains(t, line, `"process":"tailed"`)
				assert.Contains(t, line, `\u003clive\u003e row`)
				return
			}
		}
		t.Fatalf("no event: %v", errors.Join(sc.Err(), ctx.Err()))
	})
}

// TestOverviewCappedCounts checks the overview's bounded counts: exact up
// to the cap (1,000 exactly is still exact), "1,000+" above it, and the
// same as queue.Store.Counts (which groups the whole table) where both are
// exact.
func TestOverviewCappedCounts(t *testing.T) {
	testdb.Each(t, func(t *testing.T, sdb *store.DB) {
		ctx := t.Context()
		db, err := flowstore.New(ctx, sdb)
		require.NoError(t, err)
		h, err := db.Dashboard(flowstore.DashboardOptions{ReadOnly: true})
		require.NoError(t, err)
		els := make([]queue.NewElement, 1000)
		_, err = db.Queue.EnqueueBatch(ctx, "big", els)
		require.NoError(t, err)
		_, err = db.Queue.EnqueueBatch(ctx, "big", els[:1])
		require.NoError(t, err)
		_, err = db.Queue.EnqueueBatch(ctx, "exact", els)
		require.NoError(t, err)
		_, err = db.Queue.EnqueueBatch(ctx, "small 'quoted'", els[:3])
		require.NoError(t, err)
		e, err := db.Queue.Claim(ctx, "small 'quoted'")
		require.NoError(t, err)
		require.NoError(t, db.Queue.Finish(ctx, e.ID, queue.Failed("x")))

		body := httptestDo(h, "GET", "/", nil).Body.String()
		row := func(name string) []string {
			i := strings.Index(body, ">"+name+"</a></td>")
			require.GreaterOrEqual(t, i, 0, name)
			tr, _, _ := strings.Cut(body[i:], "</tr>")
			var cells []string
			for _, part := range strings.Split(tr, `status=`)[1:] {
				_, v, _ := strings.Cut(part, `">`)
				v, _, _ = strings.Cut(v, "<")
				cells = append(cells, htmlUnescape(v))
			}
			return cells
		}
		assert.Equal(t, []string{"1,000+", "0", "0", "0", "0"}, row("big"))
		assert.Equal(t, []string{"1,000", "0", "0", "0", "0"}, row("exact"))
		assert.Equal(t, []string{"2", "0", "0", "1", "0"}, row("small &#39;quoted&#39;"))
		assert.Contains(t, body, "Counts as of ")
		counts, err := db.Queue.Counts(ctx)
		require.NoError(t, err)
		assert.Equal(t, 2, counts["small 'quoted'"][queue.StatusNew])
		assert.Equal(t, 1, counts["small 'quoted'"][queue.StatusFailed])
		assert.Equal(t, 1001, counts["big"][queue.StatusNew])
		assert.Equal(t, 1000, counts["exact"][queue.StatusNew])
	})
}
