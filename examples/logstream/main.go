// Command logstream measures the memory of streaming log rows: it fills
// the Logs table to -rows rows (if it has fewer), then reads every row
// through the Logs store's All and reports the process's resident set size
// while streaming. It exits with status 1 when the peak is over -max-rss
// MiB (default 64, the target for streaming 1,000,000 rows), so it can
// gate a run:
//
//	go run ./examples/logstream                      # 1,000,000 rows in a temp SQLite file
//	go run ./examples/logstream -dsn postgres://…    # any flowstore DSN
//	go run ./examples/logstream -max-rss 0           # report only
//
// The peak RSS is reset (Linux /proc/self/clear_refs) after filling, so the
// figure covers the streaming alone; where it cannot be reset, the peak is
// the largest RSS sampled while streaming. Without Linux's /proc there is
// no figure and no check. main_test.go runs it on a few rows.
//
// While it fills and streams it shows progress — rows so far and the rate —
// on one line rewritten in place when stdout is a terminal, and as a plain
// line every -progress interval otherwise (a pipe, CI). Run again on the
// same -dsn, it finds the rows already there and only streams.
package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/flowstore/flowstore"
	"github.com/flowstore/flowstore/store/logs"
)

func main() {
	dsn := flag.String("dsn", "", "database DSN (default: a new SQLite file in a temp directory)")
	rows := flag.Int("rows", 1_000_000, "rows to stream")
	maxRSS := flag.Int("max-rss", 64, "fail (exit 1) if the peak RSS while streaming is over this many MiB; 0: do not check")
	every := flag.Duration("progress", time.Second, "print a progress line this often when stdout is not a terminal (a terminal's line updates in place); 0: no progress")
	flag.Parse()
	p := newProgress(os.Stdout, isTerminal(os.Stdout), *every)
	if err := run(context.Background(), os.Stdout, p, *dsn, *rows, *maxRSS); err != nil {
		fmt.Fprintln(os.Stderr, "logstream:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, out io.Writer, p *progress, dsn string, rows, maxRSSMiB int) error {
	if dsn == "" {
		dir, err := os.MkdirTemp("", "flowstore-logstream-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		dsn = "sqlite:" + filepath.Join(dir, "logs.db")
	}
	fs, err := flowstore.Open(ctx, dsn) // migrates
	if err != nil {
		return err
	}
	defer fs.Close()
	page, err := fs.Logs.Query(ctx, logs.Filter{Limit: 1}) // Total counts every row
	if err != nil {
		return err
	}
	start := time.Now()
	base := fs.Store().Now().Add(-time.Duration(rows) * time.Millisecond)
	batch := make([]logs.Entry, 0, 10_000)
	p.begin("filling")
	for i := page.Total; i < rows; i++ {
		batch = append(batch, logs.Entry{
			Time:        base.Add(time.Duration(i) * time.Millisecond),
			Level:       logs.LevelInfo,
			ProcessName: "robot-" + strconv.Itoa(i%7),
			Message:     fmt.Sprintf("invoice %d booked for customer %d; amount %d.%02d", i, i%1000, i%5000, i%100),
		})
		if len(batch) == cap(batch) || i == rows-1 {
			if err := fs.Logs.WriteBatch(ctx, batch); err != nil {
				p.end()
				return err
			}
			batch = batch[:0]
			p.update(i+1-page.Total, rows-page.Total, "")
		}
	}
	p.end()
	batch = nil
	if page.Total >= rows {
		fmt.Fprintf(out, "the Logs table already holds %d rows (%s): nothing to fill\n", page.Total, fs.SQLDialect().Name())
	} else {
		fmt.Fprintf(out, "filled to %d rows in %s (%s)\n", rows, time.Since(start).Round(time.Millisecond), fs.SQLDialect().Name())
	}

	runtime.GC()
	reset := resetPeak()
	before := status("VmRSS")
	start = time.Now()
	n, maxRSS := 0, before
	var bytes int
	total := max(rows, page.Total)
	p.begin("streaming")
	// All reads a page at a time; its zero Limit means no cap on the rows.
	for e, err := range fs.Logs.All(ctx, logs.Filter{}) {
		if err != nil {
			p.end()
			return err
		}
		n++
		bytes += len(e.Message)
		if n%10_000 == 0 {
			maxRSS = max(maxRSS, status("VmRSS"))
		}
		if n%1000 == 0 {
			p.update(n, total, rssNote(maxRSS))
		}
	}
	p.end()
	fmt.Fprintf(out, "streamed %d rows (%d MiB of messages) in %s\n", n, bytes>>20, time.Since(start).Round(time.Millisecond))
	maxRSS = max(maxRSS, status("VmRSS"))
	// VmHWM catches peaks between samples, but only counts from the reset;
	// without one it includes the filling, so the samples are used instead.
	peak, how := maxRSS, "max sampled while streaming (VmHWM could not be reset)"
	if reset {
		peak, how = max(maxRSS, status("VmHWM")), "VmHWM since reset"
	}
	fmt.Fprintf(out, "RSS before streaming %d MiB; max sampled while streaming %d MiB; peak (%s) %d MiB\n",
		before>>10, maxRSS>>10, how, peak>>10)
	switch {
	case maxRSSMiB <= 0:
	case peak == 0:
		fmt.Fprintln(out, "no RSS figures here (no /proc/self/status): -max-rss not checked")
	case peak > maxRSSMiB<<10:
		return fmt.Errorf("peak RSS %d MiB is over -max-rss %d MiB", peak>>10, maxRSSMiB)
	}
	return nil
}

// rssNote is the progress line's RSS figure, "" where there is none.
func rssNote(kib int) string {
	if kib == 0 {
		return ""
	}
	return fmt.Sprintf("RSS %d MiB", kib>>10)
}

// resetPeak resets VmHWM to the current RSS (Linux ≥ 4.0) and reports
// whether it could.
func resetPeak() bool { return os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) == nil }

// status returns a /proc/self/status field in KiB (0 if unavailable).
func status(field string) int {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), field+":"); ok {
			n, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(rest), " kB"))
			return n
		}
	}
	return 0
}
