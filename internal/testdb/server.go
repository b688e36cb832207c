package testdb

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// startTimeout bounds how long a throwaway server may take to accept
// connections. Both servers start in about a second here; the margin is for
// a loaded CI machine running several test binaries at once.
const startTimeout = 60 * time.Second

// stopGrace is how long a server may take to shut down before it is killed.
const stopGrace = 10 * time.Second

// proc is a throwaway server process.
type proc struct {
	name string
	cmd  *exec.Cmd
	log  string        // path of the file that receives its stdout and stderr
	done chan struct{} // closed when the process has exited
	err  error         // its exit status, valid once done is closed
}

// sysUser returns the credential to run a server as the named system user
// when the tests run as root (PostgreSQL and MariaDB refuse to run as root),
// and nil otherwise.
func sysUser(name string) (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	u, err := user.Lookup(name)
	if err != nil {
		return nil, fmt.Errorf("running as root, but there is no %q system user to run the server as: %w", name, err)
	}
	uid, err := strconv.ParseUint(u.Uid, 10, 32)
	if err != nil {
		return nil, err
	}
	gid, err := strconv.ParseUint(u.Gid, 10, 32)
	if err != nil {
		return nil, err
	}
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid), NoSetGroups: true}, nil
}

// ownerFile, in a throwaway server's directory, holds the process id of the
// test binary that made it.
const ownerFile = "owner.pid"

// tempDir makes the directory that holds one server's files, owned by the
// user the server runs as. It first removes the directories of earlier test
// binaries that died without cleaning up (their servers died with them,
// see command).
func tempDir(pattern string, cred *syscall.Credential) (string, error) {
	root := serverRoot()
	removeOrphans(root, pattern)
	dir, err := os.MkdirTemp(root, pattern)
	if err != nil {
		return "", err
	}
	if err := os.WriteFile(filepath.Join(dir, ownerFile), []byte(strconv.Itoa(os.Getpid())), 0o644); err != nil {
		os.RemoveAll(dir)
		return "", err
	}
	if cred != nil {
		if err := os.Chown(dir, int(cred.Uid), int(cred.Gid)); err != nil {
			os.RemoveAll(dir)
			return "", err
		}
	}
	return dir, nil
}

// DirEnv names the directory where throwaway servers keep their files,
// instead of the default chosen by serverRoot.
const DirEnv = "FLOWSTORE_TESTDB_DIR"

// serverRoot returns where throwaway servers keep their files: in memory
// (/dev/shm) when it has room, because every CREATE DATABASE and DDL
// statement writes files, and on a VM disk that makes a fresh migrated
// PostgreSQL database about ten times slower (measured: a template copy
// 35 ms on tmpfs, 300-500 ms on disk). Tests drop their databases when they
// end, so a server's directory stays at some tens of megabytes.
func serverRoot() string {
	if dir := os.Getenv(DirEnv); dir != "" {
		return dir
	}
	const shm, need = "/dev/shm", 2 << 30
	var st syscall.Statfs_t
	if err := syscall.Statfs(shm, &st); err == nil && st.Bavail*uint64(st.Bsize) >= need && syscall.Access(shm, 2 /* W_OK */) == nil {
		return shm
	}
	return os.TempDir()
}

// removeOrphans deletes the server directories in root whose test binary is
// gone.
func removeOrphans(root, pattern string) {
	dirs, _ := filepath.Glob(filepath.Join(root, pattern+"*"))
	for _, dir := range dirs {
		b, err := os.ReadFile(filepath.Join(dir, ownerFile))
		if err != nil {
			continue // not ours, or being set up right now
		}
		pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
		if err != nil || pid <= 0 {
			continue
		}
		if err := syscall.Kill(pid, 0); errors.Is(err, syscall.ESRCH) {
			_ = os.RemoveAll(dir)
		}
	}
}

// command prepares a server-side program to run in dir as cred.
func command(dir string, cred *syscall.Credential, name string, args ...string) *exec.Cmd {
	cmd := exec.Command(name, args...)
	cmd.Dir = dir // the server user may not be able to read our working directory
	cmd.SysProcAttr = &syscall.SysProcAttr{
		Credential: cred,
		// Its own process group, so that stop can kill the server's
		// children too.
		Setpgid: true,
		// If the test binary dies (a -timeout panic, a SIGKILL), the
		// server goes with it instead of holding its port for ever.
		Pdeathsig: syscall.SIGKILL,
	}
	return cmd
}

// runTool runs a setup program (initdb, mariadb-install-db) to completion,
// killing it after startTimeout, and returns its output in the error when it
// fails.
func runTool(cmd *exec.Cmd) error {
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		return err
	}
	timer := time.AfterFunc(startTimeout, func() { _ = cmd.Process.Kill() })
	defer timer.Stop()
	if err := cmd.Wait(); err != nil {
		return fmt.Errorf("%s: %w\n%s", strings.Join(cmd.Args, " "), err, lastLines(out.String(), 30))
	}
	return nil
}

// startProc starts a long-running server with its output in logPath.
func startProc(name string, cmd *exec.Cmd, logPath string) (*proc, error) {
	f, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	defer f.Close() // the child has its own copy
	cmd.Stdout, cmd.Stderr = f, f
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	p := &proc{name: name, cmd: cmd, log: logPath, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	return p, nil
}

// waitReady polls probe until it succeeds, the process exits or
// startTimeout passes.
func (p *proc) waitReady(probe func(ctx context.Context) error) error {
	deadline := time.Now().Add(startTimeout)
	var last error
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		last = probe(ctx)
		cancel()
		if last == nil {
			return nil
		}
		select {
		case <-p.done:
			return fmt.Errorf("%s exited before accepting connections (%v); last lines of %s:\n%s",
				p.name, p.err, p.log, p.tail())
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			p.stop(syscall.SIGTERM)
			return fmt.Errorf("%s did not accept connections within %s (last error: %v); last lines of %s:\n%s",
				p.name, startTimeout, last, p.log, p.tail())
		}
	}
}

// stop sends sig, waits up to stopGrace and then kills the server's whole
// process group.
func (p *proc) stop(sig syscall.Signal) error {
	select {
	case <-p.done:
		return nil
	default:
	}
	_ = p.cmd.Process.Signal(sig)
	select {
	case <-p.done:
		return nil
	case <-time.After(stopGrace):
	}
	_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
	<-p.done
	return fmt.Errorf("%s did not stop within %s of %v and was killed", p.name, stopGrace, sig)
}

func (p *proc) tail() string {
	b, err := os.ReadFile(p.log)
	if err != nil {
		return err.Error()
	}
	return lastLines(string(b), 30)
}

// portInUse reports whether a failed start looks like a lost race for the
// port: freePort's port was taken by someone else before the server bound it.
func (p *proc) portInUse() bool {
	b, _ := os.ReadFile(p.log)
	s := string(b)
	return strings.Contains(s, "already in use") || strings.Contains(s, "Address in use")
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return "\t" + strings.Join(lines, "\n\t")
}

// freePort returns a loopback TCP port that was free a moment ago. Another
// process may take it before the server binds it; startServer retries then.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// startServer starts a server on a free port, retrying with another port
// when the first was taken in the meantime (test binaries of several
// packages start their servers at the same time).
func startServer(start func(port int) (*proc, error)) (*proc, int, error) {
	var err error
	for range 3 {
		var port int
		port, err = freePort()
		if err != nil {
			return nil, 0, err
		}
		var p *proc
		p, err = start(port)
		if err == nil {
			return p, port, nil
		}
		if p == nil || !p.portInUse() {
			break
		}
	}
	return nil, 0, err
}

// removeDir deletes a throwaway server's directory; the server has stopped,
// so nothing writes to it any more.
func removeDir(dir string) error {
	if dir == "" {
		return nil
	}
	if err := os.RemoveAll(dir); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return nil
}
