package faults_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/flowstore/flowstore/internal/testdb"
	"github.com/flowstore/flowstore/orchestrator"
	"github.com/flowstore/flowstore/queue"
	"github.com/flowstore/flowstore/store"
	"github.com/flowstore/flowstore/store/constant"
	"github.com/flowstore/flowstore/trigger"
)

const pgbouncerBin = "/usr/sbin/pgbouncer"

// startPgBouncer starts PgBouncer in the given pool mode in front of the
// PostgreSQL server of dsn and returns dsn rewritten to go through it. It
// runs as the postgres system user (PgBouncer refuses root) and is stopped
// when the test ends.
func startPgBouncer(t *testing.T, dsn, mode string) string {
	t.Helper()
	if _, err := os.Stat(pgbouncerBin); err != nil {
		t.Skipf("no %s: %v", pgbouncerBin, err)
	}
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	dir, err := os.MkdirTemp("", "flowstore-pgbouncer-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	var cred *syscall.Credential
	if os.Geteuid() == 0 {
		pg, err := user.Lookup("postgres")
		if err != nil {
			t.Skipf("running as root and no postgres user to run PgBouncer as: %v", err)
		}
		uid, _ := strconv.Atoi(pg.Uid)
		gid, _ := strconv.Atoi(pg.Gid)
		cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid), NoSetGroups: true}
		if err := os.Chown(dir, uid, gid); err != nil {
			t.Fatal(err)
		}
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	ini := fmt.Sprintf(`[databases]
* = host=%s port=%s

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = %d
unix_socket_dir =
auth_type = trust
auth_file = %s
pool_mode = %s
default_pool_size = 4
max_client_conn = 200
server_reset_query = DISCARD ALL
logfile = %s
pidfile = %s
`, u.Hostname(), u.Port(), port, filepath.Join(dir, "users.txt"), mode, filepath.Join(dir, "pgbouncer.log"), filepath.Join(dir, "pgbouncer.pid"))
	files := map[string]string{"pgbouncer.ini": ini, "users.txt": fmt.Sprintf("%q \"\"\n", u.User.Username())}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command(pgbouncerBin, filepath.Join(dir, "pgbouncer.ini"))
	cmd.Dir = dir
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred, Setpgid: true, Pdeathsig: syscall.SIGKILL}
	out, err := os.Create(filepath.Join(dir, "stdout.log"))
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGINT)
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-done
		}
	})
	u.Host = fmt.Sprintf("127.0.0.1:%d", port)
	deadline := time.Now().Add(30 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", u.Host, time.Second)
		if err == nil {
			c.Close()
			break
		}
		select {
		case <-done:
			log, _ := os.ReadFile(filepath.Join(dir, "pgbouncer.log"))
			so, _ := os.ReadFile(filepath.Join(dir, "stdout.log"))
			t.Fatalf("pgbouncer exited:\n%s\n%s", log, so)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("pgbouncer did not listen within 30 s: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	return u.String()
}

// TestPgBouncer runs flowstore through PgBouncer. In session pooling mode
// everything works: migration (a session advisory lock), the queue,
// constants, triggers with a scheduler, and an engine running processes
// (it prepares its hot statements), from several goroutines at once so
// that the pool hands out more than one server connection. In transaction
// pooling mode store.Open refuses the pool, naming the features that need
// session pooling.
func TestPgBouncer(t *testing.T) {
	for _, mode := range []string{"session", "transaction"} {
		t.Run(mode, func(t *testing.T) {
			dsn := testdb.FreshDSN(t, store.Postgres)
			bouncer := startPgBouncer(t, dsn, mode)
			ctx := t.Context()
			db, err := store.Open(ctx, bouncer)
			if mode == "transaction" {
				// Refused, with a message naming what needs session
				// pooling. (It did run before the refusal, with the
				// engine's prepared statements failing now and then:
				// "prepared statement … does not exist".)
				if err == nil {
					db.Close()
					t.Fatalf("transaction pooling: Open accepted a pool that does not keep server sessions")
				}
				if !errors.Is(err, store.ErrUnsupported) {
					t.Errorf("transaction pooling: Open: %v, want ErrUnsupported", err)
				}
				for _, want := range []string{"session pooling", "prepared statements", "advisory lock", "LISTEN", "pool_mode = session"} {
					if !strings.Contains(err.Error(), want) {
						t.Errorf("transaction pooling: the refusal does not name %q: %v", want, err)
					}
				}
				t.Logf("transaction pooling: refused: %v", err)
				return
			}
			if err != nil {
				t.Fatalf("%s pooling: open: %v", mode, err)
			}
			defer db.Close()
			// In session pooling each client connection holds a server
			// connection for its life, and the pool keeps idle ones
			// (store.IdleConns): more client connections than
			// default_pool_size would wait for a server connection that
			// an idle one holds. As the README says, the pool is sized to
			// PgBouncer's.
			db.SQL().SetMaxOpenConns(4)
			if err := db.Migrate(ctx); err != nil {
				t.Fatalf("%s pooling: migrate: %v", mode, err)
			}
			pgbouncerWorkload(t, db, mode)
		})
	}
}

func pgbouncerWorkload(t *testing.T, db *store.DB, mode string) {
	ctx := t.Context()
	fail := func(what string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s pooling: %s: %v", mode, what, err)
		}
	}
	// Constants and the queue, from 8 goroutines at once.
	c, err := constant.New(db)
	fail("constants", err)
	q, err := queue.New(db)
	fail("queue", err)
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for g := range 8 {
		wg.Go(func() {
			for i := range 10 {
				name := fmt.Sprintf("g%d-%d", g, i)
				if err := c.Set(ctx, name, name); err != nil {
					errs <- fmt.Errorf("set constant: %w", err)
					return
				}
				if got, err := c.Get(ctx, name); err != nil || got.Value != name {
					errs <- fmt.Errorf("get constant: %v, %v", got, err)
					return
				}
				if _, err := q.Enqueue(ctx, "bouncer", queue.NewElement{Reference: name}); err != nil {
					errs <- fmt.Errorf("enqueue: %w", err)
					return
				}
				els, err := q.ClaimBatch(ctx, "bouncer", 2)
				if err != nil {
					errs <- fmt.Errorf("claim: %w", err)
					return
				}
				for _, el := range els {
					if err := q.Finish(ctx, el.ID, queue.Done("")); err != nil {
						errs <- fmt.Errorf("finish: %w", err)
						return
					}
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		fail("8 goroutines", err)
	}
	for {
		els, err := q.ClaimBatch(ctx, "bouncer", 100)
		fail("claim the rest", err)
		if len(els) == 0 {
			break
		}
		for _, el := range els {
			fail("finish the rest", q.Finish(ctx, el.ID, queue.Done("")))
		}
	}
	counts, err := q.Counts(ctx)
	fail("counts", err)
	if counts["bouncer"][queue.StatusDone] != 80 {
		t.Fatalf("%s pooling: %v, want 80 DONE", mode, counts)
	}

	// An engine running processes (prepared statements, fenced steps).
	e, err := orchestrator.NewEngine(db, orchestrator.WithPollInterval(10*time.Millisecond), orchestrator.WithMaxConcurrent(4),
		orchestrator.WithQueryTimeout(10*time.Second))
	fail("engine", err)
	wf := orchestrator.Workflow{Name: "bouncer", Target: orchestrator.TargetCreate}
	for _, name := range []string{"a", "b", "c"} {
		wf.Steps = append(wf.Steps, orchestrator.Step{Name: name, Fn: func(ctx context.Context, s *store.Session, st orchestrator.State) (orchestrator.Result, error) {
			st[name] = true
			return orchestrator.Success(st), nil
		}})
	}
	fail("register", e.Register(ctx, wf))
	const processes = 12
	for range processes {
		_, err := e.Start(ctx, "bouncer", nil)
		fail("start process", err)
	}
	rctx, cancel := context.WithCancel(ctx)
	runErr := make(chan error, 1)
	go func() { runErr <- e.Run(rctx) }()
	deadline := time.Now().Add(30 * time.Second)
	for {
		n, err := db.Bun().NewSelect().Model((*orchestrator.Process)(nil)).Where("last_status = ?", orchestrator.StatusCompleted).Count(ctx)
		fail("count processes", err)
		if n == processes {
			break
		}
		select {
		case err := <-runErr:
			cancel()
			t.Fatalf("%s pooling: engine Run returned: %v", mode, err)
		default:
		}
		if time.Now().After(deadline) {
			cancel()
			t.Fatalf("%s pooling: %d of %d processes completed after 30 s", mode, n, processes)
		}
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	fail("engine run", <-runErr)

	// A scheduler starting single triggers.
	ts, err := trigger.New(db)
	fail("triggers", err)
	for i := range 4 {
		_, err := ts.Create(ctx, trigger.Spec{Type: trigger.Single, Name: fmt.Sprintf("t%d", i), ProcessName: "p", ProcessPath: "p.py", NextRun: db.Now().Add(-time.Second)})
		fail("create trigger", err)
	}
	var mu sync.Mutex
	started := map[string]int{}
	s, err := trigger.NewScheduler(db, func(ctx context.Context, tr trigger.Trigger) error {
		mu.Lock()
		started[tr.Name]++
		mu.Unlock()
		return nil
	}, trigger.WithName("bouncer-"+mode), trigger.WithPollInterval(10*time.Millisecond))
	fail("scheduler", err)
	sctx, scancel := context.WithCancel(ctx)
	schedErr := make(chan error, 1)
	go func() { schedErr <- s.Run(sctx) }()
	deadline = time.Now().Add(30 * time.Second)
	for {
		ts, err := ts.List(ctx, trigger.Filter{})
		fail("list triggers", err)
		done := 0
		for _, tr := range ts {
			if tr.Status == trigger.StatusDone {
				done++
			}
		}
		if done == 4 {
			break
		}
		if time.Now().After(deadline) {
			scancel()
			t.Fatalf("%s pooling: %d of 4 triggers done after 30 s", mode, done)
		}
		time.Sleep(20 * time.Millisecond)
	}
	scancel()
	fail("scheduler run", <-schedErr)
	for name, n := range started {
		if n != 1 {
			t.Errorf("%s pooling: trigger %s started %d times", mode, name, n)
		}
	}
	t.Logf("%s pooling: migrate, 80 constants and elements from 8 goroutines, %d processes by an engine, %d triggers by a scheduler: all worked",
		mode, processes, len(started))
}
