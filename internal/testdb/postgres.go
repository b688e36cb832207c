package testdb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver, for the admin connection

	"github.com/flowstore/flowstore/store"
)

// PostgresEnv names a PostgreSQL server to test against instead of a
// throwaway one, as a postgres:// URL of a role that may CREATE DATABASE.
const PostgresEnv = "FLOWSTORE_TEST_POSTGRES"

type pgBackend struct {
	base  *url.URL // the server's URL; each database gets its own path
	admin *sql.DB  // connected to the maintenance database

	// throwaway server, nil on a shared one
	srv *proc
	dir string

	tmplOnce sync.Once
	tmpl     string // migrated template database
	tmplErr  error
	// tmplMu serialises copies of the template: PostgreSQL refuses
	// CREATE DATABASE … TEMPLATE while anything else uses the template.
	tmplMu sync.Mutex

	dropper dropper // drops each test's databases when it ends
}

func setupPostgres() Target {
	if v := os.Getenv(PostgresEnv); v != "" {
		if v == "skip" {
			return Target{Detail: PostgresEnv + "=skip"}
		}
		b, version, err := sharedPostgres(v)
		if err != nil {
			return Target{Live: true, Detail: PostgresEnv, Err: err}
		}
		return Target{Live: true, Detail: fmt.Sprintf("%s: server %s at %s", PostgresEnv, version, b.base.Host), be: b}
	}
	bin := findPostgres()
	if bin == "" {
		return Target{Detail: PostgresEnv + " not set and no PostgreSQL under /usr/lib/postgresql"}
	}
	began := time.Now()
	b, version, err := throwawayPostgres(bin)
	if err != nil {
		return Target{Live: true, Detail: "throwaway server " + bin, Err: err}
	}
	return Target{Live: true, be: b, Detail: fmt.Sprintf("throwaway server %s on %s, started in %.1fs",
		version, b.base.Host, time.Since(began).Seconds())}
}

// findPostgres returns the bin directory of the newest PostgreSQL installed
// the Debian way, or "".
func findPostgres() string {
	found, _ := filepath.Glob("/usr/lib/postgresql/*/bin/postgres")
	major := func(p string) int {
		n, _ := strconv.Atoi(filepath.Base(filepath.Dir(filepath.Dir(p))))
		return n
	}
	slices.SortFunc(found, func(a, b string) int { return major(a) - major(b) })
	if len(found) == 0 {
		return ""
	}
	return filepath.Dir(found[len(found)-1])
}

func newPGBackend() *pgBackend {
	b := &pgBackend{}
	b.dropper.drop = func(ctx context.Context, name string) error {
		// FORCE (PostgreSQL 13+) ends sessions a test leaked.
		_, err := b.admin.ExecContext(ctx, `DROP DATABASE IF EXISTS "`+name+`" WITH (FORCE)`)
		return err
	}
	return b
}

func sharedPostgres(dsn string) (*pgBackend, string, error) {
	u, err := url.Parse(dsn)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		return nil, "", fmt.Errorf("%s must be a postgres:// URL, got %q", PostgresEnv, dsn)
	}
	b := newPGBackend()
	b.base = u
	version, err := b.connect(context.Background())
	if err != nil {
		return nil, "", err
	}
	return b, version, nil
}

func throwawayPostgres(bin string) (*pgBackend, string, error) {
	cred, err := sysUser("postgres")
	if err != nil {
		return nil, "", err
	}
	dir, err := tempDir("flowstore-postgres-", cred)
	if err != nil {
		return nil, "", err
	}
	b := newPGBackend()
	b.dir = dir
	fail := func(err error) (*pgBackend, string, error) {
		_ = b.shutdown()
		return nil, "", err
	}
	data := filepath.Join(dir, "data")
	// -N: no fsync; the cluster lives for one test binary.
	initdb := command(dir, cred, filepath.Join(bin, "initdb"),
		"-D", data, "-A", "trust", "-U", "postgres", "-E", "UTF8", "--locale=C", "-N")
	if err := runTool(initdb); err != nil {
		return fail(err)
	}
	var version string
	b.srv, _, err = startServer(func(port int) (*proc, error) {
		cmd := command(dir, cred, filepath.Join(bin, "postgres"),
			"-D", data, "-p", strconv.Itoa(port), "-h", "127.0.0.1", "-k", dir,
			// Durability is worthless for a database that lives for one
			// test binary; these make commits cheap.
			"-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off",
			// Concurrency tests run many goroutines and processes at once.
			"-c", "max_connections=200",
			// Shared memory segments as files in the data directory, not
			// in /dev/shm: a server killed with its test binary would leave
			// the latter behind, the former go with the directory.
			"-c", "dynamic_shared_memory_type=mmap")
		p, err := startProc("postgres", cmd, filepath.Join(dir, "postgres.log"))
		if err != nil {
			return nil, err
		}
		b.base = &url.URL{
			Scheme:   "postgres",
			User:     url.User("postgres"),
			Host:     fmt.Sprintf("127.0.0.1:%d", port),
			Path:     "/postgres",
			RawQuery: "sslmode=disable",
		}
		err = p.waitReady(func(ctx context.Context) error {
			version, err = b.connect(ctx)
			return err
		})
		return p, err
	})
	if err != nil {
		return fail(err)
	}
	return b, version, nil
}

// connect opens the admin connection and returns the server's version.
func (b *pgBackend) connect(ctx context.Context) (string, error) {
	db, err := sql.Open("pgx", b.base.String())
	if err != nil {
		return "", err
	}
	var version string
	if err := db.QueryRowContext(ctx, "SHOW server_version").Scan(&version); err != nil {
		db.Close()
		return "", err
	}
	b.admin = db
	version, _, _ = strings.Cut(version, " ")
	return version, nil
}

func (b *pgBackend) dsn(name string) string {
	u := *b.base
	u.Path = "/" + name
	return u.String()
}

func (b *pgBackend) createDB(ctx context.Context, name, template string) error {
	q := `CREATE DATABASE "` + name + `"`
	if template != "" {
		q += ` TEMPLATE "` + template + `"`
	}
	if _, err := b.admin.ExecContext(ctx, q); err != nil {
		return fmt.Errorf("%s: %w", q, err)
	}
	return nil
}

func (b *pgBackend) create(ctx context.Context, t testing.TB) (string, error) {
	name := randomName("fs_")
	if err := b.createDB(ctx, name, ""); err != nil {
		return "", err
	}
	b.dropper.dropAfter(t, name)
	return b.dsn(name), nil
}

// createMigrated copies a template database that was migrated once per test
// binary: a copy takes milliseconds, a migration much longer.
func (b *pgBackend) createMigrated(ctx context.Context, t testing.TB) (string, error) {
	b.tmplOnce.Do(func() { b.tmpl, b.tmplErr = b.makeTemplate() })
	if b.tmplErr != nil {
		return "", fmt.Errorf("template database: %w", b.tmplErr)
	}
	name := randomName("fs_")
	b.tmplMu.Lock()
	defer b.tmplMu.Unlock()
	if err := b.createDB(ctx, name, b.tmpl); err != nil {
		return "", err
	}
	b.dropper.dropAfter(t, name)
	return b.dsn(name), nil
}

func (b *pgBackend) makeTemplate() (string, error) {
	// Not the test's context: the template outlives the test that happens
	// to make it.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	name := randomName("fs_tmpl_")
	if err := b.createDB(ctx, name, ""); err != nil {
		return "", err
	}
	db, err := store.Open(ctx, b.dsn(name))
	if err != nil {
		return "", err
	}
	err = db.Migrate(ctx)
	// Close before anyone copies it: PostgreSQL refuses to copy a database
	// that has connections.
	return name, errors.Join(err, db.Close())
}

func (b *pgBackend) shutdown() error {
	errs := []error{b.dropper.wait()}
	if b.admin != nil {
		if b.srv == nil && b.tmpl != "" {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			errs = append(errs, b.dropper.drop(ctx, b.tmpl))
			cancel()
		}
		errs = append(errs, b.admin.Close())
	}
	if b.srv != nil {
		// SIGINT is PostgreSQL's "fast" shutdown: it ends open sessions
		// instead of waiting for them as SIGTERM's "smart" shutdown does.
		errs = append(errs, b.srv.stop(syscall.SIGINT))
	}
	errs = append(errs, removeDir(b.dir))
	return errors.Join(errs...)
}
