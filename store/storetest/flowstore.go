package storetest

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/flowstore/flowstore"
	"github.com/flowstore/flowstore/store"
)

// EnvDSN is the environment variable that moves NewFlowstore, TestTx and
// NewDatabase from SQLite to a server: the URL of a PostgreSQL or
// MySQL/MariaDB account that may create databases, for example
//
//	FLOWSTORE_STORETEST_DSN=postgres://ci@localhost:5432/postgres?sslmode=disable
//	FLOWSTORE_STORETEST_DSN=mysql://root:secret@127.0.0.1:3306/
//
// Unset or empty, the helpers use SQLite files and need no server.
const EnvDSN = "FLOWSTORE_STORETEST_DSN"

// Database is a migrated flowstore database that belongs to one test: a
// SQLite file in a directory of its own, or, when EnvDSN names a server, a
// database of its own on that server. Remove deletes it.
type Database struct {
	// DSN opens the database (flowstore.Open, store.Open), also from a
	// child process.
	DSN string

	remove func(ctx context.Context) error
}

// NewDatabase creates a Database: on SQLite a copy of a database migrated
// once per test binary; on PostgreSQL a copy of a migrated template
// database kept on the server; on MySQL/MariaDB an empty database that
// flowstore.Open migrates. The caller removes it; NewFlowstore does both
// for a test.
func NewDatabase(ctx context.Context) (*Database, error) {
	return newDatabase(ctx, os.Getenv(EnvDSN))
}

func newDatabase(ctx context.Context, server string) (*Database, error) {
	if err := store.CheckContext(ctx); err != nil {
		return nil, fmt.Errorf("storetest: %w", err)
	}
	if server == "" {
		return newSQLiteDatabase()
	}
	s, err := serverFor(server)
	if err != nil {
		return nil, fmt.Errorf("storetest: %w", err)
	}
	name, err := s.backend.fresh(ctx, s)
	if err != nil {
		return nil, fmt.Errorf("storetest: create database: %w", err)
	}
	return &Database{
		DSN: s.dsn(name),
		remove: func(ctx context.Context) error {
			return s.backend.drop(ctx, s, name)
		},
	}, nil
}

// Remove deletes the database. Close the handles on it first: on
// PostgreSQL a leftover connection is ended, on MySQL the DROP waits for it.
func (d *Database) Remove(ctx context.Context) error {
	if err := d.remove(ctx); err != nil {
		return fmt.Errorf("storetest: remove: %w", err)
	}
	return nil
}

// sqliteTemplate is a migrated SQLite database file, made once per test
// binary and kept in memory: writing its bytes to a new file is much
// cheaper than migrating one.
var sqliteTemplate struct {
	once sync.Once
	data []byte
	err  error
}

func sqliteTemplateData() ([]byte, error) {
	t := &sqliteTemplate
	t.once.Do(func() { t.data, t.err = makeSQLiteTemplate() })
	return t.data, t.err
}

func makeSQLiteTemplate() ([]byte, error) {
	dir, err := os.MkdirTemp("", "flowstore-storetest-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	path := filepath.Join(dir, "template.db")
	db, err := Open(ctx, path)
	if err != nil {
		return nil, fmt.Errorf("template database: %w", err)
	}
	// The last connection's close checkpoints the write-ahead log into the
	// file and removes it, so the file alone is the whole database.
	if err := db.Close(); err != nil {
		return nil, fmt.Errorf("template database: %w", err)
	}
	if _, err := os.Stat(path + "-wal"); err == nil {
		return nil, fmt.Errorf("template database: %s-wal is still there after close", path)
	}
	return os.ReadFile(path)
}

func newSQLiteDatabase() (*Database, error) {
	data, err := sqliteTemplateData()
	if err != nil {
		return nil, fmt.Errorf("storetest: %w", err)
	}
	dir, err := os.MkdirTemp("", "flowstore-storetest-")
	if err != nil {
		return nil, fmt.Errorf("storetest: %w", err)
	}
	path := filepath.Join(dir, "flowstore.db")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		_ = os.RemoveAll(dir)
		return nil, fmt.Errorf("storetest: %w", err)
	}
	return &Database{
		DSN:    "sqlite:" + path,
		remove: func(context.Context) error { return os.RemoveAll(dir) },
	}, nil
}

// dsns maps the handles NewFlowstore and TestTx returned to their DSNs.
var dsns sync.Map // *flowstore.DB → string

// DSN returns the DSN of a handle NewFlowstore returned, for a child
// process or a second handle on the same database; "" for any other handle.
func DSN(db *flowstore.DB) string {
	v, _ := dsns.Load(db)
	s, _ := v.(string)
	return s
}

// NewFlowstore returns a migrated, empty flowstore database of t's own,
// opened with every store bound (flowstore.Open with opts), closed and
// removed when t ends. Every call gets a new database, so tests that call
// t.Parallel() never see each other's rows.
//
// Without EnvDSN the database is a SQLite file and no server is needed.
// With EnvDSN naming a PostgreSQL or MySQL/MariaDB server, the database is
// made there (see NewDatabase), so the code under test meets the dialect it
// runs on in production.
func NewFlowstore(t testing.TB, opts ...flowstore.Option) *flowstore.DB {
	t.Helper()
	return newFlowstore(t, os.Getenv(EnvDSN), opts)
}

func newFlowstore(t testing.TB, server string, opts []flowstore.Option) *flowstore.DB {
	t.Helper()
	d, err := newDatabase(t.Context(), server)
	if err != nil {
		t.Fatal(err)
	}
	// Cleanups run last-registered first: the handle closes, then the
	// database goes.
	t.Cleanup(func() {
		// t.Context() has ended by now.
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := d.Remove(ctx); err != nil {
			t.Errorf("storetest: %v", err)
		}
	})
	return openFor(t, d.DSN, opts)
}

// openFor opens dsn with flowstore.Open and closes it when t ends.
func openFor(t testing.TB, dsn string, opts []flowstore.Option) *flowstore.DB {
	t.Helper()
	db, err := flowstore.Open(t.Context(), dsn, opts...)
	if err != nil {
		t.Fatalf("storetest: %v", err)
	}
	dsns.Store(db, dsn)
	t.Cleanup(func() {
		dsns.Delete(db)
		if err := db.Close(); err != nil {
			t.Errorf("storetest: close: %v", err)
		}
	})
	return db
}

// BeginTx opens a transaction on db with every store bound to it, for a
// test that needs no commit, and returns it with the function that rolls
// it back. Until then Commit on tx.Session commits nothing (it logs a
// warning and returns nil, see store.Session.Suppress), so code under test
// that commits cannot leave rows behind.
func BeginTx(ctx context.Context, db *flowstore.DB) (tx *flowstore.Tx, rollback func() error, err error) {
	if err := store.CheckContext(ctx); err != nil {
		return nil, nil, fmt.Errorf("storetest: begin: %w", err)
	}
	s, err := db.Store().Begin(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("storetest: %w", err)
	}
	restore := s.Suppress()
	rollback = func() error {
		restore()
		err := s.Rollback()
		// The transaction was already rolled back because ctx ended.
		if errors.Is(err, sql.ErrTxDone) {
			return nil
		}
		return err
	}
	return &flowstore.Tx{Session: s, Stores: db.Bind(s)}, rollback, nil
}

// TestTx returns every store bound to one transaction that is rolled back
// when t ends, so nothing the test writes stays. The stores are opened
// with opts.
//
// On a server (EnvDSN) every TestTx of every test binary shares one
// migrated database, flowstore_testtx_<schema>, which stays on the server
// and stays empty: a transaction costs much less than a new database. Two
// parallel tests that write the same unique key (a constant's name, a
// queue element's reference) wait for each other there, as two
// transactions of the program would. Without EnvDSN each TestTx gets a
// SQLite database of its own, because SQLite lets one transaction write at
// a time.
//
// Write only through tx: tx.Session.DB() reaches the database outside the
// transaction, and what is written through it stays.
func TestTx(t testing.TB, opts ...flowstore.Option) *flowstore.Tx {
	t.Helper()
	return testTx(t, os.Getenv(EnvDSN), opts)
}

func testTx(t testing.TB, server string, opts []flowstore.Option) *flowstore.Tx {
	t.Helper()
	var db *flowstore.DB
	if server == "" {
		db = newFlowstore(t, "", opts)
	} else {
		dsn, err := sharedDSN(t.Context(), server)
		if err != nil {
			t.Fatal(err)
		}
		// sharedDSN migrated it.
		db = openFor(t, dsn, append(opts[:len(opts):len(opts)], flowstore.WithoutMigrate()))
	}
	tx, rollback, err := BeginTx(t.Context(), db)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := rollback(); err != nil {
			t.Errorf("storetest: rollback: %v", err)
		}
	})
	return tx
}

type sharedEntry struct {
	once sync.Once
	dsn  string
	err  error
}

var shared sync.Map // server DSN → *sharedEntry

// sharedDSN returns the DSN of the server's TestTx database, created and
// migrated once per test binary.
func sharedDSN(ctx context.Context, server string) (string, error) {
	v, _ := shared.LoadOrStore(server, &sharedEntry{})
	e := v.(*sharedEntry)
	e.once.Do(func() {
		// Not the test's context: the database outlives the test.
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Minute)
		defer cancel()
		s, err := serverFor(server)
		if err != nil {
			e.err = fmt.Errorf("storetest: %w", err)
			return
		}
		name, err := s.backend.shared(ctx, s)
		if err != nil {
			e.err = fmt.Errorf("storetest: TestTx database: %w", err)
			return
		}
		e.dsn = s.dsn(name)
		db, err := flowstore.Open(ctx, e.dsn)
		if err != nil {
			e.err = fmt.Errorf("storetest: TestTx database: %w", err)
			return
		}
		e.err = db.Close()
	})
	return e.dsn, e.err
}
