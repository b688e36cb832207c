package main

import (
	"fmt"
	"io"
	"os"
	"time"

	"golang.org/x/term"
)

// progress tells where a run is: "case n of m", the time elapsed and the
// time expected to remain, estimated from the rounds done so far. On a
// terminal one line is rewritten in place as rounds finish; elsewhere (a
// pipe, CI) each case prints one plain line when it starts. Either way each
// finished case prints its result on a line of its own.
type progress struct {
	w      io.Writer
	tty    bool
	total  int // cases
	rounds int // rounds per case
	start  time.Time
	now    func() time.Time

	n    int // current case, from 1
	name string
}

// isTerminal reports whether w is a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

func newProgress(w io.Writer, tty bool, total, rounds int) *progress {
	return &progress{w: w, tty: tty, total: total, rounds: max(1, rounds), start: time.Now(), now: time.Now}
}

// startCase announces case n (from 1).
func (p *progress) startCase(n int, name string) {
	p.n, p.name = n, name
	p.show(0)
}

// round hears that the current case finished its done-th round.
func (p *progress) round(done int) {
	if p.tty {
		p.show(done)
	}
}

// endCase prints the case's result.
func (p *progress) endCase(r result) {
	if p.tty {
		fmt.Fprint(p.w, "\r\x1b[K")
	}
	if l := r.Latency; l != nil {
		fmt.Fprintf(p.w, "%-48s p50 %.3f ms   p99 %.3f ms   (%d samples, %.0f/s reached)\n", r.Case, l.P50ms, l.P99ms, l.Samples, l.Achieved)
		return
	}
	line := fmt.Sprintf("%-48s library %10.0f ops/s", r.Case, r.LibraryOps)
	if r.RawOps > 0 {
		line += fmt.Sprintf("   raw %10.0f ops/s   ratio %.2f", r.RawOps, r.Ratio)
	}
	if r.AnchorOps > 0 {
		line += fmt.Sprintf("   anchor %10.0f ops/s   vs anchor %.2f", r.AnchorOps, r.VsAnchor)
	}
	fmt.Fprintln(p.w, line)
}

// show writes the status line, the current case having done rounds.
func (p *progress) show(rounds int) {
	line := fmt.Sprintf("case %d of %d: %s — elapsed %s, %s", p.n, p.total, p.name, clock(p.now().Sub(p.start)), p.remaining(rounds))
	if p.tty {
		fmt.Fprint(p.w, "\r\x1b[K"+line)
		return
	}
	fmt.Fprintln(p.w, line)
}

// remaining estimates the time left: the time per round so far, times the
// rounds still to run (a case's calibration counts into its first round).
func (p *progress) remaining(rounds int) string {
	done := (p.n-1)*p.rounds + rounds
	if done == 0 {
		return "expected remaining: unknown yet"
	}
	left := p.total*p.rounds - done
	per := p.now().Sub(p.start) / time.Duration(done)
	return "expected remaining " + clock(per*time.Duration(left))
}

// clock formats d as m:ss (h:mm:ss from an hour on).
func clock(d time.Duration) string {
	s := int(d.Round(time.Second) / time.Second)
	if s >= 3600 {
		return fmt.Sprintf("%d:%02d:%02d", s/3600, s/60%60, s%60)
	}
	return fmt.Sprintf("%d:%02d", s/60, s%60)
}
