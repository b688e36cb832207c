package main

import (
	"context"
	"fmt"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// openPTY opens a pseudo-terminal pair: what the user types is written to
// master, the program reads slave; the terminal's echo comes back on master.
func openPTY(t *testing.T) (master, slave *os.File) {
	t.Helper()
	master, err := os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("no pseudo-terminals here: %v", err)
	}
	t.Cleanup(func() { _ = master.Close() })
	var n int
	rc, err := master.SyscallConn() // not Fd(): that would make reads on master blocking
	require.NoError(t, err)
	require.NoError(t, rc.Control(func(fd uintptr) {
		if err = unix.IoctlSetPointerInt(int(fd), unix.TIOCSPTLCK, 0); err == nil { // unlockpt
			n, err = unix.IoctlGetInt(int(fd), unix.TIOCGPTN) // ptsname
		}
	}))
	require.NoError(t, err)
	slave, err = os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|syscall.O_NOCTTY, 0)
	require.NoError(t, err)
	t.Cleanup(func() { _ = slave.Close() })
	return master, slave
}

// echoOff reports whether the terminal behind f echoes input.
func echoOff(t *testing.T, f *os.File) bool {
	t.Helper()
	rc, err := f.SyscallConn()
	require.NoError(t, err)
	var tio *unix.Termios
	require.NoError(t, rc.Control(func(fd uintptr) { tio, err = unix.IoctlGetTermios(int(fd), unix.TCGETS) }))
	require.NoError(t, err)
	return tio.Lflag&unix.ECHO == 0
}

// On a terminal, credentials set prompts on stderr and reads the password
// with echo off: the typed password never comes back on the terminal.
func TestCredentialsSetDoesNotEchoOnTerminal(t *testing.T) {
	dsn := migrated(t)
	_, out, _ := flowctl(t, "", "key", "new")
	keyFile := writeKeyFile(t, strings.TrimSpace(out))
	master, slave := openPTY(t)
	watch, err := os.OpenFile(slave.Name(), os.O_RDWR|syscall.O_NOCTTY, 0) // to look at the terminal's settings
	require.NoError(t, err)
	defer watch.Close()

	var stdout, stderr syncBuffer
	done := make(chan int, 1)
	go func() {
		done <- run(context.Background(), []string{"--dsn", dsn, "credentials", "set", "erp", "--username", "robot", "--key-file", keyFile},
			slave, &stdout, &stderr, func(string) string { return "" })
	}()
	// Type only once the program has turned echo off (bounded: a program
	// that never does gets the password typed anyway, and echoes it).
	deadline := time.Now().Add(10 * time.Second)
	for !echoOff(t, watch) && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	_, err = master.Write([]byte("s3cret pass\n"))
	require.NoError(t, err)
	select {
	case code := <-done:
		require.Equal(t, 0, code, stderr.String())
	case <-time.After(30 * time.Second):
		t.Fatal("credentials set did not return")
	}
	// Everything the terminal sent back to the "user".
	var echoed []byte
	buf := make([]byte, 4096)
	for {
		require.NoError(t, master.SetReadDeadline(time.Now().Add(200*time.Millisecond)))
		n, err := master.Read(buf)
		echoed = append(echoed, buf[:n]...)
		if err != nil {
			break
		}
	}
	require.NotContains(t, string(echoed), "s3cret", "the password was echoed")
	require.Contains(t, stdout.String(), "credential erp set")
	require.Contains(t, stderr.String(), "Password:")
	require.False(t, echoOff(t, watch), "echo is back on afterwards")

	code, out, errOut := flowctl(t, "", "--dsn", dsn, "credentials", "get", "erp", "--key-file", keyFile)
	require.Equal(t, 0, code, errOut)
	require.Contains(t, out, "password: s3cret pass\n")
}
