package main

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/flowstore/flowstore"
	"github.com/flowstore/flowstore/crypto/secret"
)

func init() {
	register(&command{
		name:  "serve",
		usage: "[--addr HOST:PORT] [--read-only]: the web dashboard (loopback by default; prints a one-time login URL)",
		help: `flowctl serve [--addr HOST:PORT] [--read-only] [--prefix /PATH]
Serves the dashboard on 127.0.0.1:8080 by default and prints a one-time login URL.
$FLOWSTORE_DASHBOARD_TOKEN sets the token instead (reusable; also accepted as
"Authorization: Bearer TOKEN"); an address that is not loopback requires it.
$OpenOrchestratorKey, when set, lets the credentials page name each password's key.`,
		run: runServe,
	})
}

// tokenEnv holds the dashboard token an operator chooses.
const tokenEnv = "FLOWSTORE_DASHBOARD_TOKEN"

func runServe(ctx context.Context, e *env, args []string) error {
	fs := e.flags("serve")
	addr := fs.String("addr", "127.0.0.1:8080", "address to listen on")
	readOnly := fs.Bool("read-only", false, "refuse every action")
	prefix := fs.String("prefix", "", "path prefix the dashboard is served under")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 0 {
		return usageError("serve takes no arguments")
	}
	token := e.getenv(tokenEnv)
	loop, err := isLoopback(*addr)
	if err != nil {
		return usageError("--addr %q: %v", *addr, err)
	}
	if !loop && token == "" {
		return usageError("--addr %s is not a loopback address: set %s to a long random token first", *addr, tokenEnv)
	}
	if token != "" && len(token) < 16 {
		return usageError("%s must be at least 16 characters", tokenEnv)
	}
	var opts []flowstore.Option
	if k := e.getenv(keyEnv); k != "" {
		ring, err := secret.ParseRing(k)
		if err != nil {
			return fmt.Errorf("$%s: %w", keyEnv, err)
		}
		opts = append(opts, flowstore.WithKeyRing(ring))
	}
	db, err := e.open(ctx, opts...)
	if err != nil {
		return err
	}
	a := newServeAuth(token, *prefix)
	h, err := a.handler(db, flowstore.DashboardOptions{ReadOnly: *readOnly, Prefix: *prefix})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	url := "http://" + ln.Addr().String() + *prefix + "/login?token="
	if a.oneTime {
		fmt.Fprintf(e.stdout, "flowstore dashboard: open %s%s (valid once)\n", url, a.token)
	} else {
		fmt.Fprintf(e.stdout, "flowstore dashboard: open %s$%s\n", url, tokenEnv)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	// The live log tail holds its request until the client leaves; close
	// what has not finished by then.
	if err := srv.Shutdown(sctx); err != nil {
		_ = srv.Close()
	}
	if err := <-done; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// isLoopback reports whether addr listens on loopback only. An empty host
// (every interface) is not loopback.
func isLoopback(addr string) (bool, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false, err
	}
	if host == "localhost" {
		return true, nil
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback(), nil
}

// serveAuth is flowctl serve's authorisation: a login URL that carries the
// token and turns it into a session cookie. A generated token is valid for
// one login; a token from the environment for any number, and as a bearer
// token too (for scrapers).
type serveAuth struct {
	token   string
	oneTime bool
	prefix  string

	mu       sync.Mutex
	used     bool
	sessions map[string]bool
}

const sessionCookie = "flowstore_session"

func newServeAuth(token, prefix string) *serveAuth {
	a := &serveAuth{token: token, prefix: prefix, sessions: map[string]bool{}}
	if token == "" {
		a.token, a.oneTime = randomToken(), true
	}
	return a
}

func randomToken() string {
	var b [32]byte
	_, _ = rand.Read(b[:]) // crypto/rand does not fail on Linux
	return base64.RawURLEncoding.EncodeToString(b[:])
}

func (a *serveAuth) equal(s string) bool {
	return subtle.ConstantTimeCompare([]byte(s), []byte(a.token)) == 1
}

// authorize accepts a live session cookie, or the environment's token as a
// bearer token.
func (a *serveAuth) authorize(r *http.Request) bool {
	if c, err := r.Cookie(sessionCookie); err == nil {
		a.mu.Lock()
		ok := a.sessions[c.Value]
		a.mu.Unlock()
		if ok {
			return true
		}
	}
	if !a.oneTime {
		if b, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok && a.equal(b) {
			return true
		}
	}
	return false
}

// login checks the URL's token and starts a session.
func (a *serveAuth) login(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Referrer-Policy", "no-referrer")
	a.mu.Lock()
	ok := a.equal(r.URL.Query().Get("token")) && !(a.oneTime && a.used)
	var sid string
	if ok {
		a.used = true
		sid = randomToken()
		a.sessions[sid] = true
	}
	a.mu.Unlock()
	if !ok {
		http.Error(w, "unauthorised: the login link is wrong or was used already", http.StatusUnauthorized)
		return
	}
	path := a.prefix + "/"
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: sid, Path: path, HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil})
	http.Redirect(w, r, path, http.StatusSeeOther)
}

// handler is the dashboard with the login route in front of it.
func (a *serveAuth) handler(db *flowstore.DB, o flowstore.DashboardOptions) (http.Handler, error) {
	o.Authorize = a.authorize
	dash, err := db.Dashboard(o)
	if err != nil {
		return nil, err
	}
	var inner http.Handler = dash
	if a.prefix != "" {
		inner = http.StripPrefix(a.prefix, dash)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+a.prefix+"/login", a.login)
	mux.Handle(a.prefix+"/", inner)
	return mux, nil
}
