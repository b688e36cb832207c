package storetest

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql/driver"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/flowstore/flowstore/store"
)

// server is the database server a DSN names, shared by every test of one
// test binary that uses that DSN. Its admin connection makes and drops the
// tests' databases.
type server struct {
	base    *url.URL // the DSN; each database gets its own path
	admin   *store.DB
	key     string // identifies the schema: names of the persistent databases end in it
	backend backend
}

// backend is what differs between the servers: how a migrated template
// database is copied (PostgreSQL: CREATE DATABASE … TEMPLATE; MySQL and
// MariaDB, which have no templates: table by table).
type backend interface {
	// fresh creates a database of its own for one test, a copy of the
	// migrated template, and returns its name. The caller's
	// flowstore.Open runs Migrate on it: a no-op on a complete copy.
	fresh(ctx context.Context, s *server) (string, error)
	// shared creates, unless it exists, the database the server keeps
	// for TestTx, and returns its name.
	shared(ctx context.Context, s *server) (string, error)
	// drop removes a test's database.
	drop(ctx context.Context, s *server, name string) error
}

// backends holds the servers' backends by dialect: CREATE DATABASE and its
// options are outside what store.Dialect describes, as in the harness of
// flowstore's own tests.
var backends = map[store.DialectName]func() backend{
	store.Postgres: func() backend { return &pgBackend{} },
	store.MySQL:    func() backend { return &mysqlBackend{} },
}

type serverEntry struct {
	once sync.Once
	srv  *server
	err  error
}

// servers maps each DSN to its server, connected on first use. The admin
// connections stay open for the life of the test binary: nothing tells a
// helper package when the last test ended, and the process's exit closes
// them.
var servers sync.Map // string → *serverEntry

func serverFor(dsn string) (*server, error) {
	v, _ := servers.LoadOrStore(dsn, &serverEntry{})
	e := v.(*serverEntry)
	e.once.Do(func() { e.srv, e.err = connect(dsn) })
	return e.srv, e.err
}

func connect(dsn string) (*server, error) {
	target, err := store.ParseDSN(dsn)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", EnvDSN, err)
	}
	mk, ok := backends[target.Dialect]
	if !ok {
		return nil, fmt.Errorf("%s: %w: %s names a %s server; storetest makes databases on PostgreSQL and MySQL/MariaDB",
			EnvDSN, store.ErrInvalid, EnvDSN, target.Dialect)
	}
	u, err := url.Parse(dsn)
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("%s: %w: want a URL with a host (postgres://user@host:5432/postgres, mysql://user:pass@host:3306/)",
			EnvDSN, store.ErrInvalid)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	admin, err := store.Open(ctx, dsn)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", EnvDSN, err)
	}
	schema, err := store.SchemaSQL(target.Dialect)
	if err != nil {
		_ = admin.Close()
		return nil, err
	}
	sum := sha256.Sum256([]byte(schema))
	return &server{
		base:    u,
		admin:   admin,
		key:     fmt.Sprintf("v%d_%s", store.LatestSchemaVersion(), hex.EncodeToString(sum[:5])),
		backend: mk(),
	}, nil
}

// dsn returns the DSN of database name on the server.
func (s *server) dsn(name string) string {
	u := *s.base
	u.Path = "/" + name
	return u.String()
}

func (s *server) exec(ctx context.Context, query string) error {
	if _, err := s.admin.SQL().ExecContext(ctx, query); err != nil {
		return fmt.Errorf("%s: %w", query, s.admin.SQLDialect().Classify(err))
	}
	return nil
}

// exists reports whether database name exists, by connecting to it: the
// one question every server answers the same way.
func (s *server) exists(ctx context.Context, name string) bool {
	db, err := store.Open(ctx, s.dsn(name))
	if err != nil {
		return false
	}
	_ = db.Close()
	return true
}

func (s *server) quote(name string) string { return s.admin.SQLDialect().Quote(name) }

// randomName returns a database name no other test, test binary or run
// uses.
func randomName(prefix string) string {
	var b [6]byte
	_, _ = rand.Read(b[:]) // crypto/rand does not fail
	return prefix + hex.EncodeToString(b[:])
}

// pgBackend makes each test's database as a copy of a migrated template,
// which takes a fraction of a migration. The template stays on the server
// (flowstore_tmpl_v<version>_<hash>), for later test binaries and runs; a
// new schema gets a template of its own.
type pgBackend struct {
	once sync.Once
	tmpl string
	err  error
}

func (b *pgBackend) template(ctx context.Context, s *server) (string, error) {
	b.once.Do(func() { b.tmpl, b.err = b.makeTemplate(s) })
	return b.tmpl, b.err
}

// makeTemplate builds the template under a name of its own and renames it
// into place when it is complete, so that no test binary copies a half-built
// one; of several binaries that build at once, the first rename wins and
// the others drop theirs.
func (b *pgBackend) makeTemplate(s *server) (string, error) {
	// Not a test's context: the template outlives the test that makes it.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	name := "flowstore_tmpl_" + s.key
	if pgTemplateExists(ctx, s, name) {
		return name, nil
	}
	build := randomName("flowstore_build_")
	if err := s.exec(ctx, "CREATE DATABASE "+s.quote(build)); err != nil {
		return "", err
	}
	db, err := store.Open(ctx, s.dsn(build))
	if err == nil {
		err = errors.Join(db.Migrate(ctx), db.Close())
	}
	if err == nil {
		// A template: any role that may CREATE DATABASE may copy it, and
		// no connection (which would block every copy) is let in.
		err = s.exec(ctx, "ALTER DATABASE "+s.quote(build)+" WITH IS_TEMPLATE true ALLOW_CONNECTIONS false")
	}
	if err == nil {
		err = s.exec(ctx, "ALTER DATABASE "+s.quote(build)+" RENAME TO "+s.quote(name))
		if err != nil && pgTemplateExists(ctx, s, name) {
			err = nil // another test binary was first
		} else if err == nil {
			return name, nil
		}
	}
	_ = s.exec(ctx, "ALTER DATABASE "+s.quote(build)+" WITH IS_TEMPLATE false")
	_ = s.exec(ctx, "DROP DATABASE IF EXISTS "+s.quote(build))
	if err != nil {
		return "", fmt.Errorf("template database: %w", err)
	}
	return name, nil
}

// pgTemplateExists reports whether the template name exists; it takes no
// connections, so exists (which connects) cannot answer.
func pgTemplateExists(ctx context.Context, s *server, name string) bool {
	var n int
	err := s.admin.SQL().QueryRowContext(ctx, "SELECT COUNT(*) FROM pg_database WHERE datname = $1", name).Scan(&n)
	return err == nil && n == 1
}

func (b *pgBackend) fresh(ctx context.Context, s *server) (string, error) {
	tmpl, err := b.template(ctx, s)
	if err != nil {
		return "", err
	}
	name := randomName("flowstore_test_")
	return name, s.exec(ctx, "CREATE DATABASE "+s.quote(name)+" TEMPLATE "+s.quote(tmpl))
}

func (b *pgBackend) shared(ctx context.Context, s *server) (string, error) {
	name := "flowstore_testtx_" + s.key
	if s.exists(ctx, name) {
		return name, nil
	}
	tmpl, err := b.template(ctx, s)
	if err != nil {
		return "", err
	}
	err = s.exec(ctx, "CREATE DATABASE "+s.quote(name)+" TEMPLATE "+s.quote(tmpl))
	if err != nil && s.exists(ctx, name) {
		err = nil // another test binary was first
	}
	return name, err
}

func (*pgBackend) drop(ctx context.Context, s *server, name string) error {
	// FORCE ends connections the test left open (PostgreSQL 13+).
	return s.exec(ctx, "DROP DATABASE IF EXISTS "+s.quote(name)+" WITH (FORCE)")
}

// mysqlBackend copies each test's database from a migrated template
// database kept on the server (flowstore_tmpl_v<version>_<hash>), table by
// table: MySQL and MariaDB have no CREATE DATABASE … TEMPLATE, but running
// each table's SHOW CREATE TABLE in a new database and copying the few
// bookkeeping rows costs about half of a migration (BenchmarkNewDatabase). flowstore.Open then
// checks the copy with Migrate, a no-op on a complete one.
type mysqlBackend struct {
	once   sync.Once
	tmpl   string
	tables []mysqlTable // nil: the template has more than tables; migrate instead
	err    error
}

type mysqlTable struct {
	name string
	ddl  string // SHOW CREATE TABLE in the template
	rows bool   // the template's table has rows to copy
}

func (b *mysqlBackend) template(s *server) ([]mysqlTable, error) {
	b.once.Do(func() { b.tmpl, b.tables, b.err = b.makeTemplate(s) })
	return b.tables, b.err
}

// makeTemplate creates the template unless it exists and migrates it:
// Migrate finishes a migration another test binary left half done and waits
// for one that is running, so the template is complete once it returns.
func (b *mysqlBackend) makeTemplate(s *server) (string, []mysqlTable, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	name := "flowstore_tmpl_" + s.key
	if err := s.exec(ctx, "CREATE DATABASE IF NOT EXISTS "+s.quote(name)+" CHARACTER SET utf8mb4"); err != nil {
		return "", nil, err
	}
	db, err := store.Open(ctx, s.dsn(name))
	if err != nil {
		return "", nil, fmt.Errorf("template database: %w", err)
	}
	defer db.Close()
	if err := db.Migrate(ctx); err != nil {
		return "", nil, fmt.Errorf("template database: %w", err)
	}
	q := db.SQL()
	// Views, triggers, routines and events would not be copied: a schema
	// with any of them is migrated per test instead.
	var others int
	if err := q.QueryRowContext(ctx, `SELECT
		(SELECT COUNT(*) FROM information_schema.views WHERE table_schema = DATABASE()) +
		(SELECT COUNT(*) FROM information_schema.triggers WHERE trigger_schema = DATABASE()) +
		(SELECT COUNT(*) FROM information_schema.routines WHERE routine_schema = DATABASE()) +
		(SELECT COUNT(*) FROM information_schema.events WHERE event_schema = DATABASE())`).Scan(&others); err != nil {
		return "", nil, fmt.Errorf("template database: %w", err)
	}
	if others > 0 {
		return name, nil, nil
	}
	rows, err := q.QueryContext(ctx, "SELECT table_name FROM information_schema.tables WHERE table_schema = DATABASE() AND table_type = 'BASE TABLE'")
	if err != nil {
		return "", nil, fmt.Errorf("template database: %w", err)
	}
	var tables []mysqlTable
	for rows.Next() {
		var t mysqlTable
		if err := rows.Scan(&t.name); err != nil {
			rows.Close()
			return "", nil, err
		}
		tables = append(tables, t)
	}
	if err := errors.Join(rows.Err(), rows.Close()); err != nil {
		return "", nil, fmt.Errorf("template database: %w", err)
	}
	for i := range tables {
		t := &tables[i]
		var table string
		if err := q.QueryRowContext(ctx, "SHOW CREATE TABLE "+s.quote(t.name)).Scan(&table, &t.ddl); err != nil {
			return "", nil, fmt.Errorf("template database: %s: %w", t.name, err)
		}
		var n int
		if err := q.QueryRowContext(ctx, "SELECT COUNT(*) FROM "+s.quote(t.name)).Scan(&n); err != nil {
			return "", nil, fmt.Errorf("template database: %s: %w", t.name, err)
		}
		t.rows = n > 0
	}
	return name, tables, nil
}

func (b *mysqlBackend) fresh(ctx context.Context, s *server) (name string, err error) {
	tables, err := b.template(s)
	if err != nil {
		return "", err
	}
	name = randomName("flowstore_test_")
	if err := s.exec(ctx, "CREATE DATABASE "+s.quote(name)+" CHARACTER SET utf8mb4"); err != nil {
		return "", err
	}
	if tables == nil {
		return name, nil
	}
	defer func() {
		if err != nil {
			_ = b.drop(context.WithoutCancel(ctx), s, name)
		}
	}()
	// One connection, in the new database, so that the foreign keys of
	// each CREATE TABLE refer to the new database's tables; their checks
	// are off while the tables they refer to may not exist yet.
	conn, err := s.admin.SQL().Conn(ctx)
	if err != nil {
		return "", err
	}
	// The connection's session now differs from the pool's others: it is
	// closed, not put back.
	defer func() { _ = conn.Raw(func(any) error { return driver.ErrBadConn }); _ = conn.Close() }()
	run := func(q string) error {
		if _, err := conn.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("copy of the template: %s: %w", firstLine(q), err)
		}
		return nil
	}
	if err := errors.Join(run("USE "+s.quote(name)), run("SET SESSION foreign_key_checks = 0")); err != nil {
		return "", err
	}
	for _, t := range tables {
		if err := run(t.ddl); err != nil {
			return "", err
		}
	}
	for _, t := range tables {
		if t.rows {
			if err := run("INSERT INTO " + s.quote(t.name) + " SELECT * FROM " + s.quote(b.tmpl) + "." + s.quote(t.name)); err != nil {
				return "", err
			}
		}
	}
	return name, nil
}

func (b *mysqlBackend) shared(ctx context.Context, s *server) (string, error) {
	// Migrate, which sharedDSN runs, finishes a migration another binary
	// left half done and waits for one that is running.
	name := "flowstore_testtx_" + s.key
	return name, s.exec(ctx, "CREATE DATABASE IF NOT EXISTS "+s.quote(name)+" CHARACTER SET utf8mb4")
}

func (*mysqlBackend) drop(ctx context.Context, s *server, name string) error {
	return s.exec(ctx, "DROP DATABASE IF EXISTS "+s.quote(name))
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	return s
}
