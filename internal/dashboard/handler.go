package dashboard

import (
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"errors"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/flowstore/flowstore/orchestrator"
	"github.com/flowstore/flowstore/store"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

const (
	csrfCookie = "flowstore_csrf"
	csrfField  = "csrf"
	// pageSize is the rows of one keyset page.
	pageSize = 50
)

type handler struct {
	db      *store.DB
	s       Stores
	o       Options
	csrfKey [32]byte
	pages   map[string]*template.Template
	mux     *http.ServeMux
	counts  countCache
}

// routes registers every page and action. Actions are POST only; the mux
// answers other methods with 405.
func (h *handler) routes() {
	m := http.NewServeMux()
	static, _ := fs.Sub(staticFS, "static")
	m.Handle("GET /static/", http.StripPrefix("/static/", http.FileServerFS(static)))
	m.HandleFunc("GET /{$}", h.overview)
	m.HandleFunc("GET /queues", h.queues)
	m.HandleFunc("GET /queues/element/{id}", h.element)
	m.HandleFunc("GET /triggers", h.triggers)
	m.HandleFunc("GET /processes", h.processes)
	m.HandleFunc("GET /processes/{pid}", h.process)
	m.HandleFunc("GET /pipelines", h.pipelines)
	m.HandleFunc("GET /pipelines/runs/{id}", h.pipelineRun)
	m.HandleFunc("GET /snapshots", h.snapshots)
	m.HandleFunc("GET /logs", h.logs)
	m.HandleFunc("GET /logs/tail", h.logTail)
	m.HandleFunc("GET /secrets", h.secrets)
	if h.o.Metrics != nil {
		m.Handle("GET /metrics", h.o.Metrics)
	}
	m.HandleFunc("POST /queues/requeue", h.action(h.requeue))
	m.HandleFunc("POST /queues/delete", h.action(h.deleteElement))
	m.HandleFunc("POST /queues/requeue-stale", h.action(h.requeueStale))
	m.HandleFunc("POST /triggers/pause", h.action(h.pauseTrigger))
	m.HandleFunc("POST /triggers/resume", h.action(h.resumeTrigger))
	m.HandleFunc("POST /triggers/start", h.action(h.startTrigger))
	m.HandleFunc("POST /processes/resume", h.action(h.resumeProcess))
	m.HandleFunc("POST /processes/abort", h.action(h.abortProcess))
	m.HandleFunc("POST /engine/lock", h.action(h.lockEngine))
	m.HandleFunc("POST /engine/unlock", h.action(h.unlockEngine))
	h.mux = m
}

// ServeHTTP sets the security headers, then authorises, then routes.
func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	hd := w.Header()
	hd.Set("Content-Security-Policy", "default-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'")
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("X-Frame-Options", "DENY")
	hd.Set("Referrer-Policy", "no-referrer")
	hd.Set("Cache-Control", "no-store")
	if h.o.Authorize != nil && !h.o.Authorize(r) {
		http.Error(w, "unauthorised", http.StatusUnauthorized)
		return
	}
	if r.Method == http.MethodPost {
		if h.o.ReadOnly {
			http.Error(w, "read-only dashboard", http.StatusForbidden)
			return
		}
		if !h.csrfOK(r) {
			http.Error(w, "forged request refused (CSRF)", http.StatusForbidden)
			return
		}
	}
	h.mux.ServeHTTP(w, r)
}

// csrfToken returns the form token for r's CSRF cookie, setting the cookie
// when r has none.
func (h *handler) csrfToken(w http.ResponseWriter, r *http.Request) string {
	c, err := r.Cookie(csrfCookie)
	if err != nil || len(c.Value) < 32 {
		var b [32]byte
		_, _ = rand.Read(b[:])
		c = &http.Cookie{
			Name: csrfCookie, Value: base64.RawURLEncoding.EncodeToString(b[:]),
			Path: h.path("/"), HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil,
		}
		http.SetCookie(w, c)
	}
	return h.mac(c.Value)
}

func (h *handler) mac(v string) string {
	m := hmac.New(sha256.New, h.csrfKey[:])
	m.Write([]byte(v))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// csrfOK checks a POST: the form's token must be the HMAC of the cookie,
// and a browser that says where the request comes from must say this
// origin.
func (h *handler) csrfOK(r *http.Request) bool {
	if s := r.Header.Get("Sec-Fetch-Site"); s != "" && s != "same-origin" {
		return false
	}
	c, err := r.Cookie(csrfCookie)
	if err != nil || len(c.Value) < 32 {
		return false
	}
	r.Body = http.MaxBytesReader(nil, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		return false
	}
	got := r.PostForm.Get(csrfField)
	return got != "" && hmac.Equal([]byte(got), []byte(h.mac(c.Value)))
}

func (h *handler) path(p string) string { return h.o.Prefix + p }

// view is what every page template gets.
type view struct {
	Title    string
	Nav      string
	Base     string
	CSRF     string
	ReadOnly bool
	Flash    string
	FlashBad bool
	Data     any
}

// flashes are the only texts an action's redirect can show: a fixed set, so
// a link cannot make the page say something of an attacker's choosing.
var flashes = map[string]struct {
	text string
	bad  bool
}{
	"requeued":   {"Element requeued (NEW).", false},
	"deleted":    {"Element deleted.", false},
	"stale":      {"Stale elements requeued.", false},
	"paused":     {"Trigger paused.", false},
	"resumed":    {"Resumed.", false},
	"started":    {"Trigger set to start now.", false},
	"aborted":    {"Process aborted.", false},
	"locked":     {"Engine locked.", false},
	"unlocked":   {"Engine unlocked.", false},
	"changed":    {"Not done: the row changed meanwhile (another process updated it). Look again.", true},
	"notfound":   {"Not done: the row no longer exists.", true},
	"enginelock": {"Not done: the engine is locked.", true},
	"invalid":    {"Not done: the request was not valid for this row.", true},
	"failed":     {"Not done: the database refused; see the server log.", true},
}

func (h *handler) render(w http.ResponseWriter, r *http.Request, name, title string, data any) {
	v := view{Title: title, Nav: name, Base: h.o.Prefix, ReadOnly: h.o.ReadOnly, Data: data}
	if !h.o.ReadOnly {
		v.CSRF = h.csrfToken(w, r)
	}
	if f, ok := flashes[r.URL.Query().Get("flash")]; ok {
		v.Flash, v.FlashBad = f.text, f.bad
	}
	var buf bytes.Buffer
	if err := h.pages[name].ExecuteTemplate(&buf, "layout", v); err != nil {
		h.o.Logger.Error("dashboard: render", "page", name, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_, _ = w.Write(buf.Bytes())
}

// fail answers a page whose query failed: bad input is the user's (400,
// with the reason), a missing row 404, anything else 500 with the detail
// in the log only.
func (h *handler) fail(w http.ResponseWriter, r *http.Request, err error) {
	switch {
	case errors.Is(err, store.ErrInvalid), errors.Is(err, store.ErrTooLong):
		http.Error(w, "bad request: "+err.Error(), http.StatusBadRequest)
	case errors.Is(err, store.ErrNotFound):
		http.Error(w, "not found", http.StatusNotFound)
	default:
		h.o.Logger.Error("dashboard: page", "path", r.URL.Path, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
	}
}

// action wraps a POST handler: it runs fn, maps its error to a flash code
// and redirects (303) to the page fn names, so a reload never repeats it.
func (h *handler) action(fn func(r *http.Request) (back string, flash string, err error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		back, flash, err := fn(r)
		h.counts.invalidate()
		if err != nil {
			switch {
			case errors.Is(err, errChanged), errors.Is(err, store.ErrConflict):
				flash = "changed"
			case errors.Is(err, store.ErrLocked):
				flash = "enginelock"
			case errors.Is(err, store.ErrNotFound):
				flash = "notfound"
			case errors.Is(err, store.ErrInvalid), errors.Is(err, store.ErrTooLong):
				flash = "invalid"
			default:
				h.o.Logger.Error("dashboard: action", "path", r.URL.Path, "err", err)
				flash = "failed"
			}
		}
		if back == "" || !strings.HasPrefix(back, "/") || strings.HasPrefix(back, "//") {
			back = "/"
		}
		u, perr := url.Parse(back)
		if perr != nil || u.Host != "" || u.Scheme != "" {
			u = &url.URL{Path: "/"}
		}
		q := u.Query()
		q.Set("flash", flash)
		u.RawQuery = q.Encode()
		http.Redirect(w, r, h.path(u.String()), http.StatusSeeOther)
	}
}

// back returns the page an action form names (a local path only).
func back(r *http.Request, def string) string {
	b := r.PostForm.Get("back")
	if b == "" || !strings.HasPrefix(b, "/") || strings.HasPrefix(b, "//") || strings.Contains(b, "\\") {
		return def
	}
	return b
}

// capped shows a count read with a cap of countCap: above it, only that it
// is more.
func capped(n int) string {
	if n > countCap {
		return commas(countCap) + "+"
	}
	return commas(n)
}

func commas(n int) string {
	s := strconv.Itoa(n)
	if n < 0 {
		return s
	}
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// timeLayout prints a time with its offset from UTC, so that a reader
// never has to guess the zone. OpenOrchestrator's tables hold naive wall
// clocks of the DB's zone (store.DB.Zone); the stores return them as
// instants, and the pages show them in that zone ("oo" in the templates),
// as OpenOrchestrator itself does. WFO, Kogito and ContainerOps times are
// UTC and shown as such ("when").
const timeLayout = "2006-01-02 15:04:05.000 -07:00"

// when formats t in UTC with the offset; the zero time is a dash.
func when(t time.Time) string { return whenIn(t, time.UTC) }

// whenIn formats t in loc with the offset; the zero time is a dash.
func whenIn(t time.Time, loc *time.Location) string {
	if t.IsZero() {
		return "—"
	}
	return t.In(loc).Format(timeLayout)
}

var funcs = template.FuncMap{
	"when":     when,
	"capcount": func() string { return commas(countCap) },
	"deref": func(p *string) string {
		if p == nil {
			return ""
		}
		return *p
	},
	"capped": capped,
	"commas": commas,
	"lower":  strings.ToLower,
	"seen":   seenElement,
	"int":    func(n int64) int { return int(n) },
	"dict2":  func(v view, e orchestrator.Status) engineView { return engineView{V: v, E: e} },
}

// engineView is the engine bar's data: the page's view and the status.
type engineView struct {
	V view
	E orchestrator.Status
}

// parsePages parses the layout with each page template; zone is the DB's
// zone, in which "oo" shows OpenOrchestrator's times.
func parsePages(zone *time.Location) (map[string]*template.Template, error) {
	oo := func(t time.Time) string { return whenIn(t, zone) }
	base, err := template.New("layout.html").Funcs(funcs).Funcs(template.FuncMap{"oo": oo}).ParseFS(templateFS, "templates/layout.html")
	if err != nil {
		return nil, err
	}
	names, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		return nil, err
	}
	out := map[string]*template.Template{}
	for _, n := range names {
		name := strings.TrimSuffix(strings.TrimPrefix(n, "templates/"), ".html")
		if name == "layout" {
			continue
		}
		t, err := template.Must(base.Clone()).ParseFS(templateFS, n)
		if err != nil {
			return nil, err
		}
		out[name] = t
	}
	return out, nil
}
