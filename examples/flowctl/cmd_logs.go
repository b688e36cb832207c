package main

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"

	"github.com/flowstore/flowstore/store"
)

func init() {
	register(&command{name: "logs", usage: "[--process P] [--level L] [--since 1h|2006-01-02T15:04:05Z] [--limit N] [--follow]: print log rows, oldest first", run: runLogs})
}

func runLogs(ctx context.Context, e *env, args []string) error {
	fs := e.flags("logs")
	process := fs.String("process", "", "only this process name")
	level := fs.String("level", "", "only this level: TRACE, INFO or ERROR")
	since := fs.String("since", "", "only rows since a duration ago (1h, 30m) or an RFC 3339 time")
	limit := fs.Int("limit", 50, "print at most the newest N rows (before following)")
	follow := fs.Bool("follow", false, "keep polling and print new rows as they arrive")
	interval := fs.Duration("interval", time.Second, "poll interval with --follow")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 0 {
		return usageError("unexpected argument %q", pos[0])
	}
	f := store.LogFilter{ProcessName: *process, Limit: *limit}
	if *level != "" {
		if f.Level, err = store.ParseLogLevel(*level); err != nil {
			return usageError("%v", err)
		}
	}
	if *limit <= 0 {
		return usageError("--limit must be positive")
	}
	db, err := e.open(ctx)
	if err != nil {
		return err
	}
	if *since != "" {
		if d, derr := time.ParseDuration(*since); derr == nil {
			f.From = db.Now().Add(-d)
		} else if t, terr := time.Parse(time.RFC3339Nano, *since); terr == nil {
			f.From = t
		} else {
			return usageError("--since %q is neither a duration nor an RFC 3339 time", *since)
		}
	}
	logs := store.NewLogs(db)
	page, err := logs.Query(ctx, f)
	if err != nil {
		return err
	}
	rows := page.Entries
	slices.Reverse(rows) // oldest first, like tail
	for _, r := range rows {
		printLog(e, r)
	}
	if !*follow {
		return nil
	}
	// Follow: ask for rows at or after the newest time printed, and skip
	// the ids already printed at that instant.
	var last time.Time
	seen := map[uuid.UUID]bool{}
	if len(rows) > 0 {
		last = rows[len(rows)-1].Time
		for _, r := range rows {
			if r.Time.Equal(last) {
				seen[r.ID] = true
			}
		}
	} else if f.From.IsZero() {
		last = db.Now()
	} else {
		last = f.From
	}
	tick := time.NewTicker(*interval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
		poll := f
		poll.From, poll.Limit = last, 0
		var fresh []store.LogEntry
		for r, err := range logs.All(ctx, poll) {
			if err != nil {
				if ctx.Err() != nil {
					return nil
				}
				return err
			}
			if !seen[r.ID] {
				fresh = append(fresh, r)
			}
		}
		slices.Reverse(fresh)
		for _, r := range fresh {
			printLog(e, r)
			if r.Time.After(last) {
				last = r.Time
				clear(seen)
			}
			seen[r.ID] = true
		}
	}
}

func printLog(e *env, r store.LogEntry) {
	fmt.Fprintf(e.stdout, "%s %-5s %s: %s\n", r.Time.Format("2006-01-02T15:04:05.000000Z"), r.Level, r.ProcessName, r.Message)
}
