package testdb

import (
	"bytes"
	"errors"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// ChildEnv is set to "1" in the environment of the child processes that
// RunChildren and StartChild start.
const ChildEnv = "FLOWSTORE_TESTDB_CHILD"

// IsChild reports whether this test binary was started by RunChildren or
// StartChild. A test that re-executes itself branches on it: the child does
// the work, the parent sets up and checks.
//
//	func TestClaimAcrossProcesses(t *testing.T) {
//		if testdb.IsChild() {
//			db, err := store.Open(t.Context(), os.Getenv("DSN"))
//			// … claim work, report through the database …
//			return
//		}
//		testdb.Each(t, func(t *testing.T, db *store.DB) {
//			testdb.RunChildren(t, 4, "TestClaimAcrossProcesses", map[string]string{"DSN": testdb.DSN(t, db)})
//			// … check every item was claimed exactly once …
//		})
//	}
func IsChild() bool { return os.Getenv(ChildEnv) == "1" }

// childCommand re-executes the test binary to run exactly the test named
// testName (a top-level test, or a subtest path as t.Name gives it).
func childCommand(testName string, env map[string]string) *exec.Cmd {
	parts := strings.Split(testName, "/")
	for i, p := range parts {
		parts[i] = "^" + regexp.QuoteMeta(p) + "$"
	}
	cmd := exec.Command(os.Args[0], "-test.run="+strings.Join(parts, "/"), "-test.count=1", "-test.v=true")
	cmd.Env = append(os.Environ(), ChildEnv+"=1")
	for _, k := range slices.Sorted(maps.Keys(env)) {
		cmd.Env = append(cmd.Env, k+"="+env[k])
	}
	// A child outliving its parent (a -timeout panic, a killed test run)
	// would keep working on a database nobody checks.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	return cmd
}

// checkRan reports an error when a child's output shows that it ran nothing:
// a -test.run pattern matching no test exits 0, which would make a
// concurrency test pass without any concurrency.
func checkRan(testName, output string) error {
	if strings.Contains(output, "--- PASS: "+testName+" (") {
		return nil
	}
	if strings.Contains(output, "no tests to run") {
		return fmt.Errorf("no test matched %q in the child", testName)
	}
	return fmt.Errorf("the child's output does not show %q passing", testName)
}

// RunChildren runs the test named testName in n child processes at once,
// re-executing the test binary with the environment of this process plus
// ChildEnv=1 and env, and waits for all of them. The test fails, with the
// child's output, for every child that fails or does not run the test.
func RunChildren(t testing.TB, n int, testName string, env map[string]string) {
	t.Helper()
	cmds := make([]*exec.Cmd, n)
	outs := make([]bytes.Buffer, n)
	for i := range cmds {
		cmds[i] = childCommand(testName, env)
		cmds[i].Stdout, cmds[i].Stderr = &outs[i], &outs[i]
	}
	// Start them all before waiting on any, so they really overlap.
	started := 0
	var startErr error
	for _, cmd := range cmds {
		if startErr = cmd.Start(); startErr != nil {
			break
		}
		started++
	}
	errs := make([]error, started)
	for i := range started {
		errs[i] = cmds[i].Wait()
	}
	if startErr != nil {
		t.Fatalf("testdb: start child %d of %d: %v", started+1, n, startErr)
	}
	for i, err := range errs {
		out := outs[i].String()
		if err == nil {
			err = checkRan(testName, out)
		}
		if err != nil {
			t.Errorf("testdb: child %d of %d (%s) failed: %v\n%s", i+1, n, testName, err, lastLines(out, 200))
		}
	}
}

// Child is a test-binary child process started by StartChild, for crash
// tests: start it, wait until it is mid-work, Kill it, then check the
// database.
type Child struct {
	cmd  *exec.Cmd
	out  *notifyBuffer
	done chan struct{}
	err  error // exit status, valid once done is closed
}

// StartChild starts the test named testName in one child process, like
// RunChildren, and returns without waiting. The child is killed when the
// test ends, if it has not exited by then.
func StartChild(t testing.TB, testName string, env map[string]string) *Child {
	t.Helper()
	c := &Child{cmd: childCommand(testName, env), out: newNotifyBuffer(), done: make(chan struct{})}
	c.cmd.Stdout, c.cmd.Stderr = c.out, c.out
	if err := c.cmd.Start(); err != nil {
		t.Fatalf("testdb: start child: %v", err)
	}
	go func() {
		c.err = c.cmd.Wait()
		close(c.done)
	}()
	t.Cleanup(func() {
		_ = c.Kill()
		<-c.done
	})
	return c
}

// Kill ends the child with SIGKILL, so that it gets no chance to clean up:
// exactly what a crash looks like to the database. Killing a child that
// has already exited does nothing.
func (c *Child) Kill() error {
	select {
	case <-c.done:
		return nil
	default:
	}
	if err := c.cmd.Process.Kill(); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return err
	}
	return nil
}

// Wait waits for the child to exit and returns its exit status: nil when
// its test passed, an *exec.ExitError otherwise (also after Kill).
func (c *Child) Wait() error {
	<-c.done
	return c.err
}

// Output returns what the child has written to stdout and stderr so far.
func (c *Child) Output() string { return c.out.String() }

// WaitOutput waits until the child's output contains s, which a child
// prints (fmt.Println to stdout is enough) to say it has reached the point
// where the parent should kill it. It fails when the child exits first or
// timeout passes.
func (c *Child) WaitOutput(s string, timeout time.Duration) error {
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	for {
		changed, has := c.out.contains(s)
		if has {
			return nil
		}
		select {
		case <-changed:
		case <-c.done:
			if _, has := c.out.contains(s); has {
				return nil
			}
			return fmt.Errorf("testdb: child exited (%v) before printing %q:\n%s", c.err, s, lastLines(c.Output(), 100))
		case <-timer.C:
			return fmt.Errorf("testdb: child did not print %q within %s:\n%s", s, timeout, lastLines(c.Output(), 100))
		}
	}
}

// notifyBuffer is a concurrency-safe buffer that tells waiters when it
// grows.
type notifyBuffer struct {
	mu      sync.Mutex
	buf     bytes.Buffer
	changed chan struct{} // closed and replaced on every write
}

func newNotifyBuffer() *notifyBuffer { return &notifyBuffer{changed: make(chan struct{})} }

func (b *notifyBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	n, err := b.buf.Write(p)
	close(b.changed)
	b.changed = make(chan struct{})
	return n, err
}

func (b *notifyBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// contains reports whether the buffer holds s, and returns a channel that
// is closed on the next write.
func (b *notifyBuffer) contains(s string) (<-chan struct{}, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.changed, bytes.Contains(b.buf.Bytes(), []byte(s))
}
