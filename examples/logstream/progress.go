package main

import (
	"fmt"
	"io"
	"os"
	"strconv"
	"time"

	"golang.org/x/term"
)

// ttyEvery is how often the in-place line of a terminal is rewritten: often
// enough to look live, seldom enough to cost nothing.
const ttyEvery = 100 * time.Millisecond

// progress shows how far a phase (filling, streaming) has come: the rows so
// far, of how many, and the rate since the phase began. On a terminal it
// rewrites one line in place and clears it when the phase ends, so that the
// phase's result line takes its place; elsewhere (a pipe, a CI log) it
// prints a plain line every interval, which a log keeps readably. An
// interval of 0 shows nothing.
type progress struct {
	w     io.Writer
	tty   bool
	every time.Duration
	now   func() time.Time

	phase       string
	start, last time.Time
	shown       bool // a terminal line is on screen
}

// isTerminal reports whether w is a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

func newProgress(w io.Writer, tty bool, every time.Duration) *progress {
	if tty && every > 0 {
		every = min(every, ttyEvery)
	}
	return &progress{w: w, tty: tty, every: every, now: time.Now}
}

// begin starts a phase.
func (p *progress) begin(phase string) {
	p.phase = phase
	p.start = p.now()
	p.last = p.start
}

// update reports n of total rows done; it prints only when the interval has
// passed since the last line.
func (p *progress) update(n, total int, note string) {
	if p.every <= 0 {
		return
	}
	t := p.now()
	if t.Sub(p.last) < p.every {
		return
	}
	p.last = t
	line := fmt.Sprintf("%s: %s of %s rows so far, %s rows/s", p.phase, thousands(n), thousands(total), thousands(rate(n, t.Sub(p.start))))
	if note != "" {
		line += ", " + note
	}
	if p.tty {
		fmt.Fprint(p.w, "\r\x1b[K"+line)
		p.shown = true
		return
	}
	fmt.Fprintln(p.w, line)
}

// end ends the phase, clearing a terminal's progress line.
func (p *progress) end() {
	if p.shown {
		fmt.Fprint(p.w, "\r\x1b[K")
		p.shown = false
	}
}

// rate is n per second over d, 0 before any time has passed.
func rate(n int, d time.Duration) int {
	if d <= 0 {
		return 0
	}
	return int(float64(n) / d.Seconds())
}

// thousands formats n with a comma between groups of three digits.
func thousands(n int) string {
	s := strconv.Itoa(n)
	neg := n < 0
	if neg {
		s = s[1:]
	}
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	if neg {
		s = "-" + s
	}
	return s
}
