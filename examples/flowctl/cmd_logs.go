package main

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"

	"github.com/flowstore/flowstore/store/logs"
)

func init() {
	register(&command{name: "logs", usage: "[--process P] [--level L] [--since 1h|2006-01-02T15:04:05+01:00] [--limit N] [--json | --follow [--interval D] [--lag D]]: print log rows, oldest first, times in the database's zone", run: runLogs})
}

func runLogs(ctx context.Context, e *env, args []string) error {
	fs := e.flags("logs")
	process := fs.String("process", "", "only this process name")
	level := fs.String("level", "", "only this level: TRACE, INFO or ERROR")
	since := fs.String("since", "", "only rows since a duration ago (1h, 30m) or an RFC 3339 time")
	limit := fs.Int("limit", 50, "print at most the newest N rows (before following)")
	followFlag := fs.Bool("follow", false, "keep polling and print new rows as they arrive")
	interval := fs.Duration("interval", time.Second, "poll interval with --follow")
	lag := fs.Duration("lag", 5*time.Second, "with --follow, how long before its commit a row may be stamped and still be printed")
	asJSON := jsonFlag(fs)
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 0 {
		return usageError("unexpected argument %q", pos[0])
	}
	f := logs.Filter{ProcessName: *process, Limit: *limit}
	if *level != "" {
		if f.Level, err = logs.ParseLevel(*level); err != nil {
			return usageError("%v", err)
		}
	}
	if *limit <= 0 {
		return usageError("--limit must be positive")
	}
	if *asJSON && *followFlag {
		return usageError("--json prints one document: it does not go with --follow")
	}
	if *interval <= 0 || *lag < 0 {
		return usageError("--interval must be positive and --lag not negative")
	}
	db, err := e.open(ctx)
	if err != nil {
		return err
	}
	if *since != "" {
		if d, derr := time.ParseDuration(*since); derr == nil {
			f.From = db.Store().Now().Add(-d)
		} else if t, terr := time.Parse(time.RFC3339Nano, *since); terr == nil {
			f.From = t
		} else {
			return usageError("--since %q is neither a duration nor an RFC 3339 time", *since)
		}
	}
	page, err := db.Logs.Query(ctx, f)
	if err != nil {
		return err
	}
	rows := page.Entries
	slices.Reverse(rows) // oldest first, like tail
	if *asJSON {
		type logJSON struct {
			ID          string     `json:"id"`
			Time        *time.Time `json:"log_time"`
			Level       string     `json:"log_level"`
			ProcessName string     `json:"process_name"`
			Message     string     `json:"log_message"`
		}
		out := make([]logJSON, 0, len(rows))
		for _, r := range rows {
			out = append(out, logJSON{ID: r.ID.String(), Time: e.ooJSON(r.Time), Level: string(r.Level), ProcessName: r.ProcessName, Message: r.Message})
		}
		return e.writeJSON(map[string]any{"logs": out})
	}
	var fw *follower
	if *followFlag {
		// Before printing: once the first rows are out, a caller may add
		// more, and those must not be mistaken for rows --limit left out.
		if fw, err = newFollower(ctx, db.Store().Now(), db.Logs, f, rows, page.Total > len(rows), *lag); err != nil {
			return err
		}
	}
	for _, r := range rows {
		printLog(e, r)
	}
	if fw == nil {
		return nil
	}
	return fw.run(ctx, e, *interval)
}

// follower polls for rows that arrived after the ones printed and prints
// them.
//
// log_time is stamped by the writer before the row commits: a LogHandler
// stamps the log call and writes the batch up to a flush interval later,
// and writers on other machines have their own clocks. So a row may become
// visible after rows with later times were printed, and polling from the
// newest time printed would never show it. Each poll therefore asks for
// rows from lag before the newest time printed, and skips the ids printed
// in that window; ids older than the window cannot come back and are
// forgotten, so memory stays bounded. A row that turns up more than lag
// after rows newer than it is still missed: raise --lag for slow writers.
type follower struct {
	logs logs.Store
	f    logs.Filter
	lag  time.Duration
	last time.Time // the newest log_time printed, or where to start
	seen map[uuid.UUID]time.Time
}

// newFollower starts following after printed, the rows printed first
// (oldest first); limited says --limit left older matching rows out. now is
// the store clock's time, where following starts when nothing was printed
// and --since was not given.
func newFollower(ctx context.Context, now time.Time, ls logs.Store, f logs.Filter, printed []logs.Entry, limited bool, lag time.Duration) (*follower, error) {
	fw := &follower{logs: ls, f: f, lag: lag, seen: map[uuid.UUID]time.Time{}}
	switch {
	case len(printed) > 0:
		fw.last = printed[len(printed)-1].Time
	case f.From.IsZero():
		fw.last = now
	default:
		fw.last = f.From
	}
	for _, r := range printed {
		fw.seen[r.ID] = r.Time
	}
	if limited {
		// The window may hold rows that --limit left out: those are not
		// new, and the first poll must not print them. They are the ones
		// not newer than the oldest row printed; a row newer than that was
		// committed after the first query, and is printed.
		window := f
		window.From, window.To, window.Limit = fw.from(), printed[0].Time, 0
		for r, err := range ls.All(ctx, window) {
			if err != nil {
				return nil, err
			}
			fw.seen[r.ID] = r.Time
		}
	}
	return fw, nil
}

// from is where the next poll starts: lag before the newest row printed,
// but never before --since.
func (fw *follower) from() time.Time {
	t := fw.last.Add(-fw.lag)
	if !fw.f.From.IsZero() && t.Before(fw.f.From) {
		t = fw.f.From
	}
	return t
}

// run polls every interval until ctx ends.
func (fw *follower) run(ctx context.Context, e *env, interval time.Duration) error {
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
		poll := fw.f
		poll.From, poll.Limit = fw.from(), 0
		var fresh []logs.Entry
		for r, err := range fw.logs.All(ctx, poll) {
			if err != nil {
				if ctx.Err() != nil {
					return nil
				}
				return err
			}
			if _, ok := fw.seen[r.ID]; !ok {
				fresh = append(fresh, r)
			}
		}
		slices.Reverse(fresh) // oldest first
		for _, r := range fresh {
			printLog(e, r)
			fw.seen[r.ID] = r.Time
			if r.Time.After(fw.last) {
				fw.last = r.Time
			}
		}
		// The next poll starts at from(): older ids cannot come back.
		cut := fw.from()
		for id, t := range fw.seen {
			if t.Before(cut) {
				delete(fw.seen, id)
			}
		}
	}
}

func printLog(e *env, r logs.Entry) {
	fmt.Fprintf(e.stdout, "%s %-5s %s: %s\n", e.ooTimeMicro(r.Time), r.Level, r.ProcessName, r.Message)
}
