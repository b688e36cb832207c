package dashboard_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/flowstore/flowstore"
	"github.com/flowstore/flowstore/crypto/secret"
	"github.com/flowstore/flowstore/internal/testdb"
	"github.com/flowstore/flowstore/orchestrator"
	"github.com/flowstore/flowstore/queue"
	"github.com/flowstore/flowstore/store"
	"github.com/flowstore/flowstore/store/logs"
	"github.com/flowstore/flowstore/trigger"
)

func TestMain(m *testing.M) { testdb.Main(m) }

const (
	authHeader = "X-Test-Auth"
	authValue  = "let-me-in"
	// The secrets the fixture stores; no response may contain them.
	password      = "pw-never-on-a-page-7f3a"
	constantValue = "constant-value-never-on-a-page-91c2"
)

// fixture is a database with one of each thing the dashboard shows, the
// dashboard over it, and an engine that serves the "flaky" workflow.
type fixture struct {
	db        *flowstore.DB
	srv       *httptest.Server
	ring      *secret.Ring
	failed    queue.Element // a FAILED element of queue "invoices"
	newElem   queue.Element // a NEW element of queue "invoices"
	trig      trigger.Trigger
	pid       uuid.UUID // a failed process of workflow "flaky"
	done      uuid.UUID // a completed process
	suspended uuid.UUID // a suspended process of workflow "approve"
	engine    *orchestrator.Engine
	attempts  *atomic.Int32 // calls of flaky's failing step
}

func newFixture(t *testing.T, sdb *store.DB) *fixture {
	t.Helper()
	ctx := t.Context()
	key, err := secret.GenerateKey(secret.AESGCM)
	require.NoError(t, err)
	ring, err := secret.NewRing(key)
	require.NoError(t, err)
	db, err := flowstore.New(ctx, sdb, flowstore.WithKeyRing(ring))
	require.NoError(t, err)
	f := &fixture{db: db, ring: ring, attempts: &atomic.Int32{}}

	// Queue: one element that fails, one NEW.
	_, err = db.Queue.Enqueue(ctx, "invoices", queue.NewElement{Reference: "inv-fail", Data: `{"amount": 12}`, CreatedBy: "test"})
	require.NoError(t, err)
	f.newElem, err = db.Queue.Enqueue(ctx, "invoices", queue.NewElement{Reference: "inv-new", Data: `{"amount": 13}`})
	require.NoError(t, err)
	e, err := db.Queue.ClaimReference(ctx, "invoices", "inv-fail")
	require.NoError(t, err)
	require.NoError(t, db.Queue.Finish(ctx, e.ID, queue.Failed("upstream <b>timeout</b>")))
	f.failed, err = db.Queue.Get(ctx, e.ID)
	require.NoError(t, err)

	// A scheduled trigger.
	f.trig, err = db.Triggers.Create(ctx, trigger.Spec{Type: trigger.Scheduled, Name: "nightly", ProcessName: "report", ProcessPath: "report.py", CronExpr: "0 3 * * *"})
	require.NoError(t, err)
	require.NoError(t, db.Triggers.Heartbeat(ctx, "robot-1"))

	// Logs, credentials, constants.
	require.NoError(t, db.Logs.Write(ctx, logs.Entry{Level: logs.LevelError, ProcessName: "report", Message: "disk <full>"}))
	require.NoError(t, db.Logs.Write(ctx, logs.Entry{Level: logs.LevelInfo, ProcessName: "report", Message: "started"}))
	require.NoError(t, db.Credentials.Set(ctx, "smtp", "mailer", password))
	require.NoError(t, db.Constants.Set(ctx, "api_url", constantValue))

	// Processes: the engine serves "flaky", whose second step fails on
	// its first call, "noop" and "approve" (which suspends for input). Its
	// Run loop polls often, so that a resume is picked up at once.
	f.engine, err = db.NewEngine(orchestrator.WithPollInterval(100 * time.Millisecond))
	require.NoError(t, err)
	ok := func(_ context.Context, _ *store.Session, st orchestrator.State) (orchestrator.Result, error) {
		return orchestrator.Success(st), nil
	}
	require.NoError(t, f.engine.Register(ctx, orchestrator.Workflow{Name: "flaky", Target: orchestrator.TargetSystem, IsTask: true, Steps: []orchestrator.Step{
		{Name: "fetch", Fn: ok},
		{Name: "upload", Fn: func(_ context.Context, _ *store.Session, st orchestrator.State) (orchestrator.Result, error) {
			if f.attempts.Add(1) < 2 {
				return orchestrator.Fail(errors.New("upload refused: <quota>")), nil
			}
			return orchestrator.Success(st), nil
		}},
	}}))
	require.NoError(t, f.engine.Register(ctx, orchestrator.Workflow{Name: "noop", Target: orchestrator.TargetSystem, IsTask: true, Steps: []orchestrator.Step{{Name: "noop", Fn: ok}}}))
	require.NoError(t, f.engine.Register(ctx, orchestrator.Workflow{Name: "approve", Target: orchestrator.TargetSystem, IsTask: true, Steps: []orchestrator.Step{orchestrator.InputStep("approval"), {Name: "ship", Fn: ok}}}))
	f.runEngine(t)
	f.pid = f.startAndWait(t, "flaky", orchestrator.StatusFailed)
	f.done = f.startAndWait(t, "noop", orchestrator.StatusCompleted)
	f.suspended = f.startAndWait(t, "approve", orchestrator.StatusSuspended)

	h, err := db.Dashboard(flowstore.DashboardOptions{
		Authorize: func(r *http.Request) bool {
			if r.Header.Get(authHeader) == authValue {
				return true
			}
			c, err := r.Cookie("test_session")
			return err == nil && c.Value == authValue
		},
		TailInterval: 50 * time.Millisecond,
	})
	require.NoError(t, err)
	// The test's login: a link that sets the session cookie the
	// Authorize function accepts, as flowctl serve's login does.
	mux := http.NewServeMux()
	mux.HandleFunc("GET /test-login", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("token") != authValue {
			http.Error(w, "unauthorised", http.StatusUnauthorized)
			return
		}
		http.SetCookie(w, &http.Cookie{Name: "test_session", Value: authValue, Path: "/", HttpOnly: true, SameSite: http.SameSiteStrictMode})
		http.Redirect(w, r, "/", http.StatusSeeOther)
	})
	mux.Handle("/", h)
	f.srv = httptest.NewServer(mux)
	t.Cleanup(f.srv.Close)
	return f
}

// startAndWait starts a process of workflow and waits until the engine
// has brought it to status.
func (f *fixture) startAndWait(t *testing.T, workflow string, status orchestrator.ProcessStatus) uuid.UUID {
	t.Helper()
	pid, err := f.engine.Start(t.Context(), workflow, nil)
	require.NoError(t, err)
	var last orchestrator.ProcessStatus
	require.Eventually(t, func() bool {
		p, err := f.db.Processes.Process(t.Context(), pid)
		if err == nil {
			last = p.LastStatus
		}
		return last == status
	}, 20*time.Second, 20*time.Millisecond, "process %s of %s: want %s", pid, workflow, status)
	return pid
}

// runEngine starts the fixture's engine loop until the test ends.
func (f *fixture) runEngine(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- f.engine.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("engine: %v", err)
		}
	})
}

// client is an authorised browser-like client: a cookie jar, the auth
// header, and the CSRF token of the last page read.
type client struct {
	t    *testing.T
	base string
	hc   *http.Client
	csrf string
}

func (f *fixture) client(t *testing.T) *client {
	jar, err := cookiejar.New(nil)
	require.NoError(t, err)
	return &client{t: t, base: f.srv.URL, hc: &http.Client{Jar: jar, Transport: authTransport{}}}
}

type authTransport struct{}

func (authTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set(authHeader, authValue)
	return http.DefaultTransport.RoundTrip(r)
}

var csrfRE = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// get reads a page and returns its status and body, remembering the CSRF
// token the page carries.
func (c *client) get(path string) (int, string) {
	c.t.Helper()
	resp, err := c.hc.Get(c.base + path)
	require.NoError(c.t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(c.t, err)
	if m := csrfRE.FindStringSubmatch(string(b)); m != nil {
		c.csrf = m[1]
	}
	return resp.StatusCode, string(b)
}

// post sends an action form with the current CSRF token and follows the
// redirect; it returns the final status, URL and body.
func (c *client) post(path string, form url.Values) (int, string, string) {
	c.t.Helper()
	form.Set("csrf", c.csrf)
	resp, err := c.hc.PostForm(c.base+path, form)
	require.NoError(c.t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(c.t, err)
	return resp.StatusCode, resp.Request.URL.String(), string(b)
}

// formValue returns the value of the hidden input name in the form whose
// action ends with action and that names id (its first such form).
func formValue(t *testing.T, body, action, id, name string) string {
	t.Helper()
	for _, f := range strings.Split(body, "<form")[1:] {
		f, _, _ = strings.Cut(f, "</form>")
		if strings.Contains(f, `action="`+action+`"`) && strings.Contains(f, id) {
			m := regexp.MustCompile(`name="` + name + `" value="([^"]*)"`).FindStringSubmatch(f)
			if m != nil {
				return htmlUnescape(m[1])
			}
		}
	}
	t.Fatalf("no form %s for %s with %s", action, id, name)
	return ""
}

func htmlUnescape(s string) string {
	return strings.NewReplacer("&#43;", "+", "&amp;", "&", "&lt;", "<", "&gt;", ">", "&#34;", `"`, "&#39;", "'").Replace(s)
}
