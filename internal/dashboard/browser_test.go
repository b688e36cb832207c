package dashboard_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/flowstore/flowstore/internal/testdb"
	"github.com/flowstore/flowstore/orchestrator"
	"github.com/flowstore/flowstore/queue"
	"github.com/flowstore/flowstore/store"
	"github.com/flowstore/flowstore/store/logs"
	"github.com/flowstore/flowstore/trigger"
)

// chromium returns the headless browser to drive, or skips the test when
// this machine has none.
func chromium(t *testing.T) string {
	names := []string{"chromium", "chromium-browser", "google-chrome"}
	for _, n := range names {
		if p, err := exec.LookPath(n); err == nil {
			return p
		}
	}
	t.Skipf("no Chromium binary: none of %s on PATH (Debian: apt-get install chromium)", strings.Join(names, ", "))
	return ""
}

// browser starts a headless Chromium for the test.
func browser(t *testing.T) context.Context {
	path := chromium(t)
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path), chromedp.NoSandbox, chromedp.WindowSize(1280, 860),
		chromedp.Flag("disable-dev-shm-usage", true))
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelB := chromedp.NewContext(actx)
	t.Cleanup(func() { cancelB(); cancelA() })
	// Start the browser now, so that its start-up does not eat the first
	// step's time.
	require.NoError(t, chromedp.Do(ctx, chromedp.Navigate("about:blank")))
	return ctx
}

// page drives one tab: navigation, clicks and waiting for what the page
// shows.
type page struct {
	t   *testing.T
	ctx context.Context
}

func (p *page) open(url string) {
	p.t.Helper()
	require.NoError(p.t, chromedp.Do(p.ctx, chromedp.Navigate(url)), url)
}

func (p *page) eval(js string) string {
	p.t.Helper()
	v, err := chromedp.Run(p.ctx, chromedp.Evaluate[string](js))
	require.NoError(p.t, err, js)
	return v
}

// text is the page's visible text.
func (p *page) text() string { return p.eval(`document.body ? document.body.innerText : ""`) }

// click clicks the first element matching a CSS selector (a submit
// button: the browser then loads the redirect).
func (p *page) click(sel string) {
	p.t.Helper()
	require.NoError(p.t, chromedp.Do(p.ctx, chromedp.Click(chromedp.CSS(sel), chromedp.NodeVisible)), sel)
}

// waitText waits until the page shows want, reloading url between looks
// when url is not "" (the dashboard has no auto-refresh).
func (p *page) waitText(url, want string) {
	p.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		if url != "" {
			p.open(url)
		}
		txt := p.eval(`document.readyState === "complete" && document.body ? document.body.innerText : ""`)
		if strings.Contains(txt, want) {
			return
		}
		if time.Now().After(deadline) {
			p.t.Fatalf("page never showed %q; it shows:\n%s", want, txt)
		}
		time.Sleep(150 * time.Millisecond)
	}
}

func (p *page) screenshot(name string) {
	p.t.Helper()
	if os.Getenv("UPDATE_SCREENSHOTS") != "1" {
		return
	}
	png, err := chromedp.Run(p.ctx, chromedp.FullScreenshot(100))
	require.NoError(p.t, err)
	path := filepath.Join("..", "..", "docs", name)
	require.NoError(p.t, os.MkdirAll(filepath.Dir(path), 0o755))
	require.NoError(p.t, os.WriteFile(path, png, 0o644))
	p.t.Logf("wrote %s (%d bytes)", path, len(png))
}

// TestBrowser drives the dashboard in headless Chromium on a real database:
// log in, watch an element fail, requeue it and watch it finish, pause a
// trigger, retry a failed process and watch its timeline grow, and see a
// forged POST and an unauthorised request refused.
func TestBrowser(t *testing.T) {
	chromium(t)
	testdb.Each(t, func(t *testing.T, sdb *store.DB) {
		if sdb.SQLDialect().Name() == store.MySQL {
			t.Skip("MariaDB: the dashboard sends no SQL of its own; TestPagesEveryDialect covers its pages there")
		}
		f := newFixture(t, sdb)
		ctx := t.Context()
		p := &page{t: t, ctx: browser(t)}
		base := f.srv.URL

		// Unauthorised: no session, no page.
		p.open(base + "/")
		require.Contains(t, p.text(), "unauthorised")

		// Log in.
		p.open(base + "/test-login?token=" + authValue)
		p.waitText("", "Overview")
		require.Contains(t, p.text(), "invoices")

		// A worker fails the first element it gets and finishes the rest.
		_, err := f.db.Queue.Enqueue(ctx, "jobs", queue.NewElement{Reference: "job-1", Data: `{"n": 1}`})
		require.NoError(t, err)
		wctx, stopWorker := context.WithCancel(context.Background())
		workerDone := make(chan struct{})
		go func() {
			defer close(workerDone)
			first := true
			for wctx.Err() == nil {
				e, err := f.db.Queue.Claim(wctx, "jobs")
				if err != nil {
					time.Sleep(50 * time.Millisecond)
					continue
				}
				r := queue.Done("ok")
				if first {
					r, first = queue.Failed("printer on fire"), false
				}
				_ = f.db.Queue.Finish(wctx, e.ID, r)
			}
		}()
		t.Cleanup(func() { stopWorker(); <-workerDone })

		jobs := base + "/queues?queue=jobs&status=FAILED"
		p.waitText(jobs, "printer on fire")
		require.Equal(t, "FAILED", p.eval(`document.querySelector('tr[data-ref="job-1"] .status').textContent`))
		p.click(`tr[data-ref="job-1"] button.requeue`)
		p.waitText("", "Element requeued")
		p.waitText(base+"/queues?queue=jobs&status=DONE", "job-1") // the worker finished it
		require.Equal(t, "DONE", p.eval(`document.querySelector('tr[data-ref="job-1"] .status').textContent`))

		// Pause a trigger.
		p.open(base + "/triggers")
		p.click(`tr[data-name="nightly"] button.pause`)
		p.waitText("", "Trigger paused")
		require.Equal(t, "PAUSED", p.eval(`document.querySelector('tr[data-name="nightly"] .status').textContent`))
		tr, err := f.db.Triggers.Get(ctx, f.trig.ID)
		require.NoError(t, err)
		require.Equal(t, trigger.StatusPaused, tr.Status)

		// Retry the failed process and watch the timeline grow.
		proc := base + "/processes/" + f.pid.String()
		p.open(proc)
		require.Contains(t, p.text(), "upload refused: <quota>")
		before := p.eval(`String(document.querySelectorAll('#timeline li.step').length)`)
		p.click(`#resume`)
		p.waitText("", "Resumed")
		p.waitText(proc, "completed")
		after := p.eval(`String(document.querySelectorAll('#timeline li.step').length)`)
		require.Greater(t, atoi(t, after), atoi(t, before), "timeline grew from %s to %s", before, after)
		pr, err := f.db.Processes.Process(ctx, f.pid)
		require.NoError(t, err)
		require.Equal(t, orchestrator.StatusCompleted, pr.LastStatus)

		// A forged POST from another site's page is refused.
		evil := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			fmt.Fprintf(w, `<form id="f" method="post" action="%s/engine/lock"><input name="csrf" value="forged"></form><script>document.getElementById("f").submit()</script>`, base)
		}))
		defer evil.Close()
		p.open(evil.URL)
		p.waitText("", "forged request refused")
		st, err := f.db.Processes.EngineStatus(ctx)
		require.NoError(t, err)
		require.False(t, st.Locked, "the forged lock did nothing")

		// The same dashboard under another host name has no session:
		// unauthorised.
		other := strings.Replace(base, "127.0.0.1", "localhost", 1)
		require.NotEqual(t, base, other)
		p.open(other + "/processes")
		require.Contains(t, p.text(), "unauthorised")
		require.NotContains(t, p.text(), "Processes")

		// The live log tail adds rows as they are written (the script is
		// the dashboard's own file: the CSP allows nothing else).
		p.open(base + "/logs?process=live")
		p.click(`#tail`)
		p.waitText("", "Stop tail")
		require.NoError(t, f.db.Logs.Write(ctx, logs.Entry{Level: logs.LevelError, ProcessName: "live", Message: "<b>tailed</b> row"}))
		p.waitText("", "<b>tailed</b> row")
		require.Equal(t, "0", p.eval(`String(document.querySelectorAll('#log-rows b').length)`), "a message is text, never HTML")

		// The overview, for the README.
		p.open(base + "/")
		p.waitText("", "Overview")
		if sdb.SQLDialect().Name() == store.SQLite {
			p.screenshot("overview.png")
			p.open(proc)
			p.screenshot("process.png")
		}
	})
}

func atoi(t *testing.T, s string) int {
	var n int
	_, err := fmt.Sscan(s, &n)
	require.NoError(t, err, s)
	return n
}
