package flowstore

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/flowstore/flowstore/internal/dashboard"
)

// DashboardOptions configures DB.Dashboard.
type DashboardOptions struct {
	// Authorize decides whether a request may reach the dashboard at all
	// (every page, file and action). Dashboard refuses to build without it
	// unless ReadOnly is set: the dashboard can requeue, pause, abort and
	// lock, so it must never be reachable by accident.
	Authorize func(r *http.Request) bool
	// ReadOnly hides and refuses every action. Setting it is the one way
	// to build a dashboard without Authorize (for example behind a proxy
	// that authenticates).
	ReadOnly bool
	// Actor names the user an action is recorded for (an aborted
	// process's step created_by); nil records "dashboard".
	Actor func(r *http.Request) string
	// Logger receives the errors a page could not show (nil: slog.Default()).
	Logger *slog.Logger
	// Metrics, when set, is served at /metrics behind Authorize: mount the
	// Prometheus handler here.
	Metrics http.Handler
	// Prefix is the path the handler is mounted under, for its links
	// (for example "/flowstore" with http.StripPrefix("/flowstore", h));
	// "" for the root.
	Prefix string
	// StaleAfter is the heartbeat age from which a scheduler shows as stale
	// (0: two minutes).
	StaleAfter time.Duration
	// TailInterval is how often the live log tail polls the Logs table
	// (0: one second).
	TailInterval time.Duration
	// CountsMaxAge is how long the overview shows the same queue counts
	// before it reads them again (0: five seconds; negative: every time).
	// The page says when they were read; an action clears them.
	CountsMaxAge time.Duration
}

// Dashboard returns the web dashboard over db as an http.Handler for the
// host's own server: queues, triggers and schedulers, processes and their
// step timelines, pipelines, snapshots, logs (with a live tail), and the
// names of credentials and constants — never a password, key or constant
// value. Actions are POSTs with a CSRF token; every response carries a
// Content-Security-Policy that allows only the dashboard's own files.
//
// It returns an error wrapping store.ErrInvalid when opts has neither
// Authorize nor ReadOnly.
func (db *DB) Dashboard(opts DashboardOptions) (http.Handler, error) {
	return dashboard.New(db.db, dashboard.Stores{
		Queue:        db.Queue,
		Triggers:     db.Triggers,
		Logs:         db.Logs,
		Constants:    db.Constants,
		Credentials:  db.Credentials,
		Snapshots:    db.Snapshots,
		Correlations: db.Correlations,
		Processes:    db.Processes,
		Pipelines:    db.Pipelines,
	}, dashboard.Options{
		Authorize:    opts.Authorize,
		ReadOnly:     opts.ReadOnly,
		Actor:        opts.Actor,
		Logger:       opts.Logger,
		Metrics:      opts.Metrics,
		Prefix:       opts.Prefix,
		StaleAfter:   opts.StaleAfter,
		TailInterval: opts.TailInterval,
		CountsMaxAge: opts.CountsMaxAge,
	})
}
