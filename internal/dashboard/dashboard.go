// Package dashboard is flowstore's embeddable web dashboard: an http.Handler
// that shows queues, triggers, schedulers, processes, pipelines, snapshots,
// logs, credentials and constants, and runs the few administrative actions an
// operator needs (requeue, pause, resume, abort, engine lock).
//
// It is reached through the root package (flowstore.DB.Dashboard) and
// flowctl serve; this package is internal so that its shape can change
// without breaking callers.
//
// Safety rules, each enforced in one place of this package:
//   - every request, static files included, passes Options.Authorize; New
//     refuses to build without it unless Options.ReadOnly is set explicitly;
//   - every action is a POST that carries a CSRF token bound to a cookie
//     (double submit, the token an HMAC of the cookie under a per-handler
//     key) and, when the browser sends Sec-Fetch-Site, comes from the same
//     origin;
//   - responses carry a Content-Security-Policy that allows only 'self' and
//     no framing, X-Content-Type-Options nosniff and a Referrer-Policy;
//   - pages are html/template, so everything rendered is escaped, and a
//     credential's password (or any key) is never read into a page;
//   - every list is bounded: keyset pages of a fixed size, at most a capped
//     number of rows per query, no OFFSET.
package dashboard

import (
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/flowstore/flowstore/orchestrator"
	"github.com/flowstore/flowstore/orchestrator/pipeline"
	"github.com/flowstore/flowstore/queue"
	"github.com/flowstore/flowstore/store"
	"github.com/flowstore/flowstore/store/constant"
	"github.com/flowstore/flowstore/store/correlation"
	"github.com/flowstore/flowstore/store/credential"
	"github.com/flowstore/flowstore/store/logs"
	"github.com/flowstore/flowstore/store/snapshot"
	"github.com/flowstore/flowstore/trigger"
)

// Stores is what the dashboard reads and changes: the stores of one
// database (the root package's Stores, without the import cycle).
type Stores struct {
	Queue        queue.Store
	Triggers     trigger.Store
	Logs         logs.Store
	Constants    constant.Store
	Credentials  credential.Store
	Snapshots    snapshot.Store
	Correlations correlation.Store
	Processes    orchestrator.Store
	Pipelines    pipeline.Store
}

// Options configures New.
type Options struct {
	// Authorize decides whether a request may reach the dashboard at all
	// (pages, static files and actions). It is required unless ReadOnly is
	// set: the dashboard changes the database, so it must never be
	// reachable by accident.
	Authorize func(r *http.Request) bool
	// ReadOnly hides and refuses every action. Set it explicitly to build a
	// dashboard without Authorize (for example behind the host's own
	// authenticating proxy).
	ReadOnly bool
	// Actor names the user an action is recorded for (AbortProcess's
	// created_by); nil or "" records "dashboard".
	Actor func(r *http.Request) string
	// Logger receives errors the dashboard could not show (nil:
	// slog.Default()).
	Logger *slog.Logger
	// Metrics, when set, is served at /metrics (behind Authorize) — the
	// mount point for the Prometheus collector's handler.
	Metrics http.Handler
	// Prefix is the path the handler is mounted under (for example
	// "/flowstore"); the host strips it (http.StripPrefix) and the pages
	// link with it. "" mounts at the root.
	Prefix string
	// StaleAfter is how old a scheduler's heartbeat may be before the
	// overview shows it stale (0: two minutes).
	StaleAfter time.Duration
	// TailInterval is how often the live log tail polls (0: one second).
	TailInterval time.Duration
	// CountsMaxAge is how long the overview shows the same queue counts
	// before it reads them again (0: five seconds; negative: read on every
	// request). The page says when they were read. Each refresh is a few
	// dozen bounded index reads per queue; the cache keeps many open
	// overviews from repeating them. An action through the dashboard
	// refreshes them.
	CountsMaxAge time.Duration
}

// ErrNoAuthorize is returned by New when Options.Authorize is nil and
// ReadOnly is not set. It wraps store.ErrInvalid.
var ErrNoAuthorize = fmt.Errorf("%w: dashboard: Options.Authorize is required unless ReadOnly is set", store.ErrInvalid)

// New returns the dashboard handler over the stores of db.
func New(db *store.DB, s Stores, o Options) (http.Handler, error) {
	if db == nil {
		return nil, fmt.Errorf("%w: dashboard: nil *store.DB", store.ErrInvalid)
	}
	if o.Authorize == nil && !o.ReadOnly {
		return nil, ErrNoAuthorize
	}
	if s.Queue == nil || s.Triggers == nil || s.Logs == nil || s.Constants == nil || s.Credentials == nil ||
		s.Snapshots == nil || s.Correlations == nil || s.Processes == nil || s.Pipelines == nil {
		return nil, fmt.Errorf("%w: dashboard: a store is nil", store.ErrInvalid)
	}
	if o.Prefix != "" && (!strings.HasPrefix(o.Prefix, "/") || strings.HasSuffix(o.Prefix, "/")) {
		return nil, fmt.Errorf("%w: dashboard: Prefix %q must start with / and not end with one", store.ErrInvalid, o.Prefix)
	}
	if o.StaleAfter < 0 || o.TailInterval < 0 {
		return nil, fmt.Errorf("%w: dashboard: negative duration", store.ErrInvalid)
	}
	if o.StaleAfter == 0 {
		o.StaleAfter = 2 * time.Minute
	}
	if o.TailInterval == 0 {
		o.TailInterval = time.Second
	}
	if o.CountsMaxAge == 0 {
		o.CountsMaxAge = 5 * time.Second
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	h := &handler{db: db, s: s, o: o}
	if _, err := rand.Read(h.csrfKey[:]); err != nil {
		return nil, fmt.Errorf("dashboard: csrf key: %w", err)
	}
	var err error
	if h.pages, err = parsePages(db.Zone()); err != nil {
		return nil, err
	}
	h.routes()
	return h, nil
}

// errChanged says an action found its row changed since the page showed it.
var errChanged = errors.New("changed meanwhile")
