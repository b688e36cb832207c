package testdb

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/flowstore/flowstore/store"
)

// Server is a throwaway database server of its own, for fault tests that
// crash and restart it: the servers Each and Fresh use are shared by every
// test of the binary, which a restart would disturb. It keeps its port and
// data directory across restarts, so DSNs handed out before a crash work
// again once it is back.
type Server struct {
	dialect store.DialectName
	mu      sync.Mutex
	pg      *pgBackend
	my      *mysqlBackend
	crashes int
}

// NewServer starts a dedicated throwaway server of dialect d (store.Postgres
// or store.MySQL, the two whose servers the harness can start) and stops it
// when the test ends. The test is skipped when the dialect is not installed
// or is configured to run against a shared server (that one must not be
// crashed), and fails when the server cannot start.
func NewServer(t testing.TB, d store.DialectName) *Server {
	t.Helper()
	if IsChild() {
		t.Fatalf("testdb: NewServer in a child process: pass the parent's DSN through the environment")
	}
	s := &Server{dialect: d}
	var err error
	switch d {
	case store.Postgres:
		if v := os.Getenv(PostgresEnv); v == "skip" {
			t.Skipf("testdb: %s=skip", PostgresEnv)
		} else if v != "" {
			t.Skipf("testdb: %s names a shared server, which a fault test must not crash", PostgresEnv)
		}
		bin := findPostgres()
		if bin == "" {
			t.Skipf("testdb: no PostgreSQL under /usr/lib/postgresql")
		}
		s.pg, _, err = throwawayPostgres(bin)
	case store.MySQL:
		if v := os.Getenv(MySQLEnv); v == "skip" {
			t.Skipf("testdb: %s=skip", MySQLEnv)
		} else if v != "" {
			t.Skipf("testdb: %s names a shared server, which a fault test must not crash", MySQLEnv)
		}
		if _, serr := exec.LookPath(mariadbd); serr != nil {
			t.Skipf("testdb: no %s", mariadbd)
		}
		s.my, _, err = throwawayMySQL()
	default:
		t.Fatalf("testdb: NewServer(%q): only PostgreSQL and MariaDB servers can be started here", d)
	}
	if err != nil {
		t.Fatalf("testdb: start a dedicated %s server: %v", d, err)
	}
	// The shared servers trade durability for speed; a server that is to
	// crash must keep what it acknowledged, or the test would blame the
	// library for commits the server threw away. Restart it durable.
	p, _ := s.current()
	sig := syscall.SIGTERM
	if s.pg != nil {
		sig = syscall.SIGINT // a fast shutdown
	}
	if err := p.stop(sig); err != nil {
		t.Fatalf("testdb: restart the dedicated %s server durable: %v", d, err)
	}
	if err := s.Start(); err != nil {
		t.Fatalf("testdb: restart the dedicated %s server durable: %v", d, err)
	}
	t.Cleanup(func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		var err error
		if s.pg != nil {
			err = s.pg.shutdown()
		} else {
			err = s.my.shutdown()
		}
		if err != nil {
			t.Errorf("testdb: stop the dedicated %s server: %v", d, err)
		}
	})
	return s
}

// Dialect returns the server's dialect.
func (s *Server) Dialect() store.DialectName { return s.dialect }

// Crashes returns how many times Crash stopped the server.
func (s *Server) Crashes() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.crashes
}

func (s *Server) backend() backend {
	if s.pg != nil {
		return s.pg
	}
	return s.my
}

func (s *Server) current() (*proc, string) {
	if s.pg != nil {
		return s.pg.srv, s.pg.dir
	}
	return s.my.srv, s.my.dir
}

// FreshDSN creates a new, migrated database on the server and returns its
// DSN. The database is dropped when the test ends (the server is up then).
func (s *Server) FreshDSN(t testing.TB) string {
	t.Helper()
	ctx := t.Context()
	dsn, err := s.backend().create(ctx, t)
	if err != nil {
		t.Fatalf("testdb: %s: create database: %v", s.dialect, err)
	}
	db, err := store.Open(ctx, dsn)
	if err != nil {
		t.Fatalf("testdb: %s: open %s: %v", s.dialect, dsn, err)
	}
	defer db.Close()
	if err := db.Migrate(ctx); err != nil {
		t.Fatalf("testdb: %s: migrate %s: %v", s.dialect, dsn, err)
	}
	return dsn
}

// Crash stops the server the way a crash does: PostgreSQL with
// `pg_ctl stop -m immediate` (no checkpoint, clients cut off, recovery from
// the WAL on the next start), MariaDB with SIGKILL. It returns once the
// server process has exited.
func (s *Server) Crash() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, dir := s.current()
	select {
	case <-p.done:
		return fmt.Errorf("testdb: %s is not running", p.name)
	default:
	}
	if s.pg != nil {
		pgctl := filepath.Join(filepath.Dir(p.cmd.Path), "pg_ctl")
		cmd := command(dir, p.cmd.SysProcAttr.Credential, pgctl, "stop", "-m", "immediate", "-w", "-D", filepath.Join(dir, "data"))
		if err := runTool(cmd); err != nil {
			return err
		}
	} else if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		return err
	}
	select {
	case <-p.done:
	case <-time.After(stopGrace):
		_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
		<-p.done
		return fmt.Errorf("testdb: %s did not exit within %s of the crash and was killed", p.name, stopGrace)
	}
	s.crashes++
	return nil
}

// Start starts the server again after Crash, on the same port and data
// directory, and waits until it accepts connections (after its crash
// recovery).
func (s *Server) Start() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	old, _ := s.current()
	select {
	case <-old.done:
	default:
		return fmt.Errorf("testdb: %s is still running", old.name)
	}
	// The same program, arguments and credentials as the first start,
	// made durable.
	args := slices.Clone(old.cmd.Args[1:])
	for i, a := range args {
		if v, ok := durable[a]; ok {
			args[i] = v
		}
	}
	cmd := command(old.cmd.Dir, old.cmd.SysProcAttr.Credential, old.cmd.Path, args...)
	p, err := startProc(old.name, cmd, old.log)
	if err != nil {
		return err
	}
	var probe func(ctx context.Context) error
	if s.pg != nil {
		s.pg.srv = p
		probe = func(ctx context.Context) error { return pingDSN(ctx, "pgx", s.pg.base.String()) }
	} else {
		s.my.srv = p
		cfg := s.my.adminConfig()
		probe = func(ctx context.Context) error { return pingDSN(ctx, "mysql", cfg.FormatDSN()) }
	}
	return p.waitReady(probe)
}

// durable replaces the settings of the shared servers that lose
// acknowledged commits when the server process dies: PostgreSQL's
// asynchronous commit (acknowledged before the WAL reaches the kernel) and
// InnoDB's flush of the log once a second. fsync stays off on PostgreSQL
// and InnoDB writes its log at every commit without syncing it (2): a
// server crash keeps what the kernel has, only a machine crash would not.
var durable = map[string]string{
	"synchronous_commit=off":             "synchronous_commit=on",
	"--innodb-flush-log-at-trx-commit=0": "--innodb-flush-log-at-trx-commit=2",
}

// pingDSN opens a fresh pool (so nothing is reused from before a crash),
// runs one query and closes it.
func pingDSN(ctx context.Context, driverName, dsn string) error {
	db, err := sql.Open(driverName, dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	var one int
	return db.QueryRowContext(ctx, "SELECT 1").Scan(&one)
}
