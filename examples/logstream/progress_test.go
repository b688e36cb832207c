package main

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

// fakeClock returns a clock that advances by step on every reading.
func fakeClock(step time.Duration) func() time.Time {
	t := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	return func() time.Time { t = t.Add(step); return t }
}

// Off a terminal, progress prints one plain line per interval, with the rows
// so far, the total and the rate, and never a carriage return.
func TestProgressPlainLines(t *testing.T) {
	var out bytes.Buffer
	p := newProgress(&out, false, time.Second)
	p.now = fakeClock(500 * time.Millisecond) // every update is half a second later
	p.begin("streaming")
	for n := 1000; n <= 4000; n += 1000 {
		p.update(n, 4000, "RSS 12 MiB")
	}
	p.end()
	want := "streaming: 2,000 of 4,000 rows so far, 2,000 rows/s, RSS 12 MiB\n" +
		"streaming: 4,000 of 4,000 rows so far, 2,000 rows/s, RSS 12 MiB\n"
	if out.String() != want {
		t.Errorf("got\n%q\nwant\n%q", out.String(), want)
	}
}

// On a terminal, progress rewrites one line in place (no newline) and clears
// it when the phase ends, so that the next output starts on a clean line.
func TestProgressInPlaceOnTerminal(t *testing.T) {
	var out bytes.Buffer
	p := newProgress(&out, true, time.Second)
	if p.every != ttyEvery {
		t.Fatalf("terminal interval %s, want %s", p.every, ttyEvery)
	}
	p.now = fakeClock(ttyEvery)
	p.begin("filling")
	p.update(10_000, 1_000_000, "")
	p.update(20_000, 1_000_000, "")
	p.end()
	got := out.String()
	if strings.Contains(got, "\n") {
		t.Errorf("a terminal progress line ended a line: %q", got)
	}
	want := "\r\x1b[Kfilling: 10,000 of 1,000,000 rows so far, 100,000 rows/s" +
		"\r\x1b[Kfilling: 20,000 of 1,000,000 rows so far, 100,000 rows/s" +
		"\r\x1b[K"
	if got != want {
		t.Errorf("got\n%q\nwant\n%q", got, want)
	}
}

// An interval of 0 shows nothing.
func TestProgressOff(t *testing.T) {
	var out bytes.Buffer
	p := newProgress(&out, true, 0)
	p.begin("streaming")
	p.update(1000, 2000, "")
	p.end()
	if out.Len() != 0 {
		t.Errorf("progress 0 printed %q", out.String())
	}
}

func TestThousands(t *testing.T) {
	for n, want := range map[int]string{0: "0", 999: "999", 1000: "1,000", 1234567: "1,234,567", -45000: "-45,000"} {
		if got := thousands(n); got != want {
			t.Errorf("thousands(%d) = %q, want %q", n, got, want)
		}
	}
}
