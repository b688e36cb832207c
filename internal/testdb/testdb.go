package testdb

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/flowstore/flowstore/store"
)

// Target is one dialect as the harness sees it on this machine.
type Target struct {
	Dialect store.DialectName
	// Live reports whether tests run against the dialect here.
	Live bool
	// Detail says where the dialect's server is when it is live, and why the
	// dialect is skipped when it is not.
	Detail string
	// Err is set when the dialect is configured (its variable is set or its
	// server is installed) but the server could not be reached or started.
	// The dialect still counts as live, so that every test using it fails
	// with Err instead of passing without it.
	Err error

	be backend
}

// backend makes databases on one server.
type backend interface {
	// create makes a new, empty database, dropped when t ends, and returns
	// its DSN in the form store.Open accepts.
	create(ctx context.Context, t testing.TB) (string, error)
	// shutdown waits for the pending drops, then stops a throwaway server
	// and removes its files, or closes the connection to a shared one.
	shutdown() error
}

// templater is a backend that can copy a migrated template database, which
// is much faster than migrating every fresh database.
type templater interface {
	createMigrated(ctx context.Context, t testing.TB) (string, error)
}

type lazyTarget struct {
	once   sync.Once
	setup  func() Target
	target Target
}

// targets is fixed at init; each entry resolves itself once, on first use,
// so a package that only needs SQLite never starts a server.
var targets = map[store.DialectName]*lazyTarget{
	store.SQLite:    {setup: setupSQLite},
	store.Postgres:  {setup: setupPostgres},
	store.SQLServer: {setup: setupSQLServer},
	store.MySQL:     {setup: setupMySQL},
}

var (
	backendsMu sync.Mutex
	backends   []backend // every backend set up so far, for Main to shut down

	reportOnce sync.Once
	summary    string
)

func resolve(d store.DialectName) *Target {
	lt, ok := targets[d]
	if !ok {
		panic(fmt.Sprintf("testdb: unknown dialect %q", d))
	}
	lt.once.Do(func() {
		lt.target = lt.setup()
		lt.target.Dialect = d
		if lt.target.be != nil {
			backendsMu.Lock()
			backends = append(backends, lt.target.be)
			backendsMu.Unlock()
		}
	})
	return &lt.target
}

// Targets resolves every dialect, starting throwaway servers as needed (in
// parallel), and returns them in store.Dialects order. The first call prints
// a one-line summary of what runs and what is skipped, and why, to stderr.
func Targets() []Target {
	ds := store.DialectNames()
	var wg sync.WaitGroup
	for _, d := range ds {
		wg.Go(func() { resolve(d) })
	}
	wg.Wait()
	out := make([]Target, len(ds))
	for i, d := range ds {
		out[i] = *resolve(d)
	}
	reportOnce.Do(func() {
		summary = describe(out)
		fmt.Fprintln(os.Stderr, summary)
	})
	return out
}

// Summary returns the line Targets prints: which dialects run, and why any
// is skipped.
func Summary() string {
	Targets()
	return summary
}

func describe(ts []Target) string {
	parts := make([]string, 0, len(ts))
	for _, t := range ts {
		switch {
		case t.Err != nil:
			parts = append(parts, fmt.Sprintf("%s FAILED (%s: %v)", t.Dialect, t.Detail, firstLine(t.Err.Error())))
		case t.Live:
			parts = append(parts, fmt.Sprintf("%s yes (%s)", t.Dialect, t.Detail))
		default:
			parts = append(parts, fmt.Sprintf("%s skipped: %s", t.Dialect, t.Detail))
		}
	}
	return "flowstore testdb: " + strings.Join(parts, "; ")
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	return s
}

// Live returns the dialects tests run against here, in store.Dialects order.
// It resolves every target (see Targets).
func Live() []store.DialectName {
	var ds []store.DialectName
	for _, t := range Targets() {
		if t.Live {
			ds = append(ds, t.Dialect)
		}
	}
	return ds
}

// Main runs the tests and then stops the throwaway servers and removes their
// files (each test's databases are dropped when the test ends). Call it from
// TestMain.
func Main(m *testing.M) {
	code := m.Run()
	if err := shutdown(); err != nil {
		fmt.Fprintf(os.Stderr, "flowstore testdb: cleanup: %v\n", err)
	}
	os.Exit(code)
}

func shutdown() error {
	backendsMu.Lock()
	bs := backends
	backends = nil
	backendsMu.Unlock()
	var errs []error
	for _, b := range bs {
		errs = append(errs, b.shutdown())
	}
	return errors.Join(errs...)
}

// usable returns d's target for a test that needs a database, skipping the
// test when d is not live here and failing it when d's server is broken.
func usable(t testing.TB, d store.DialectName) *Target {
	t.Helper()
	if IsChild() {
		t.Fatalf("testdb: a child process must not create databases: pass the parent's DSN (testdb.DSN) through the environment")
	}
	tg := resolve(d)
	switch {
	case tg.Err != nil:
		t.Fatalf("testdb: %s: %s: %v", d, tg.Detail, tg.Err)
	case !tg.Live:
		t.Skipf("testdb: %s skipped: %s", d, tg.Detail)
	}
	return tg
}

// FreshDSN creates a new, empty database of dialect d and returns its DSN in
// the form store.Open accepts. The database is dropped when the test ends,
// after the test's own cleanups (which should close its connections). The
// test is skipped when d is not live here.
func FreshDSN(t testing.TB, d store.DialectName) string {
	t.Helper()
	tg := usable(t, d)
	dsn, err := tg.be.create(t.Context(), t)
	if err != nil {
		t.Fatalf("testdb: %s: create database: %v", d, err)
	}
	return dsn
}

// dsns maps the handles Fresh returned to their DSNs, for DSN.
var dsns sync.Map

// Fresh returns an open handle on a new, migrated database of dialect d,
// closed when the test ends. The test is skipped when d is not live here.
func Fresh(t testing.TB, d store.DialectName) *store.DB {
	t.Helper()
	tg := usable(t, d)
	ctx := t.Context()
	var dsn string
	var err error
	if tp, ok := tg.be.(templater); ok {
		dsn, err = tp.createMigrated(ctx, t)
	} else {
		dsn, err = tg.be.create(ctx, t)
	}
	if err != nil {
		t.Fatalf("testdb: %s: create database: %v", d, err)
	}
	db, err := store.Open(ctx, dsn)
	if err != nil {
		t.Fatalf("testdb: %s: open %s: %v", d, dsn, err)
	}
	t.Cleanup(func() {
		dsns.Delete(db)
		if err := db.Close(); err != nil {
			t.Errorf("testdb: %s: close: %v", d, err)
		}
	})
	dsns.Store(db, dsn)
	// Migrate even a copy of the migrated template: it is a cheap no-op
	// there, and it keeps Fresh honest if the template ever falls behind.
	if err := db.Migrate(ctx); err != nil {
		t.Fatalf("testdb: %s: migrate %s: %v", d, dsn, err)
	}
	return db
}

// DSN returns the DSN of a database Fresh (or Each) returned, so that child
// processes can open the same database.
func DSN(t testing.TB, db *store.DB) string {
	t.Helper()
	v, ok := dsns.Load(db)
	if !ok {
		t.Fatalf("testdb: DSN: this *store.DB was not returned by testdb.Fresh or testdb.Each")
	}
	return v.(string)
}

// Each runs fn in one subtest per live dialect, named after the dialect, each
// with a fresh migrated database.
func Each(t *testing.T, fn func(t *testing.T, db *store.DB)) {
	t.Helper()
	if IsChild() {
		t.Fatalf("testdb: Each in a child process: a child must open the parent's DSN instead (see testdb.RunChildren)")
	}
	for _, d := range Live() {
		t.Run(string(d), func(t *testing.T) { fn(t, Fresh(t, d)) })
	}
}

// randomName returns a database name that no other test, test binary or
// earlier run uses.
func randomName(prefix string) string {
	var b [6]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err) // crypto/rand does not fail on Linux
	}
	return prefix + hex.EncodeToString(b[:])
}
