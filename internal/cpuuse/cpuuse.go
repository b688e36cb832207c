// Package cpuuse reads how much CPU time this process and the whole
// machine have used, so that a benchmark can tell a client's share of a
// round from the database server's: on a machine where nothing else runs,
// the rest of the machine is the server (and, for an embedded database,
// the process's own background threads show in its share). Linux only:
// elsewhere the machine's time reads as zero.
package cpuuse

import (
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Reading is the CPU time used so far.
type Reading struct {
	self, machine time.Duration
}

// Use is the CPU time used between two readings.
type Use struct {
	Self   time.Duration // by this process
	Others time.Duration // by the rest of the machine
}

// Read returns the CPU time this process and the machine have used so far.
func Read() Reading {
	var r Reading
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) == nil {
		r.self = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	// /proc/stat's first line: "cpu user nice system idle iowait irq
	// softirq steal guest guest_nice", in clock ticks of 10 ms (USER_HZ).
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return r
	}
	line, _, _ := strings.Cut(string(b), "\n")
	var ticks int64
	for i, v := range strings.Fields(line)[1:] {
		if i >= 8 { // guest time is counted in user time already
			break
		}
		if i == 3 || i == 4 { // idle, iowait
			continue
		}
		n, _ := strconv.ParseInt(v, 10, 64)
		ticks += n
	}
	r.machine = time.Duration(ticks) * 10 * time.Millisecond
	return r
}

// Since returns the CPU time used from before to r.
func (r Reading) Since(before Reading) Use {
	self := r.self - before.self
	return Use{Self: self, Others: max(0, r.machine-before.machine-self)}
}

// PerOp returns a duration divided by n operations, in microseconds.
func PerOp(d time.Duration, n int) float64 {
	return d.Seconds() * 1e6 / float64(max(n, 1))
}
