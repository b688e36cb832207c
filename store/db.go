package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/uptrace/bun"
)

// DB is a flowstore database handle: a bun.DB plus the dialect, the clock and
// the logger every store shares. It is safe for concurrent use; open one per
// database and share it.
type DB struct {
	bun         *bun.DB
	dialect     *Dialect
	commitGrace time.Duration
	zone        *time.Location // of OpenOrchestrator's naive times (zone.go)
	turn        *writeTurn     // nil unless the dialect has FeatureSerialWrites and Open made the pool
	clock       func() time.Time
	logger      *slog.Logger
	maxRetries  int
	owned       bool // Close closes the pool only if Open created it
}

// Option configures Open and New.
type Option func(*config)

type config struct {
	existing    bool
	zone        *time.Location
	clock       func() time.Time
	logger      *slog.Logger
	maxRetries  int
	commitGrace time.Duration
	wraps       []func(driver.Connector, *Dialect) driver.Connector // wrap.go
}

// WithClock replaces time.Now as the source of every timestamp flowstore
// writes (tests use it to control time; see DB.Now).
func WithClock(now func() time.Time) Option {
	return func(c *config) {
		if now != nil {
			c.clock = now
		}
	}
}

// WithLogger sets the logger for warnings such as a suppressed commit.
// The default is slog.Default().
func WithLogger(l *slog.Logger) Option {
	return func(c *config) {
		if l != nil {
			c.logger = l
		}
	}
}

// WithMaxRetries sets how many times InTx runs a transaction again after a
// retryable error (deadlock, serialization failure, SQLITE_BUSY). Default 5;
// 0 disables retries.
func WithMaxRetries(n int) Option {
	return func(c *config) {
		if n >= 0 {
			c.maxRetries = n
		}
	}
}

// WithCommitGrace sets how long a write that has reached the database may
// run past its caller's deadline: a COMMIT, or a statement that writes
// outside a transaction (its own commit). The caller learns the write's real
// outcome instead of a deadline error for a write that may have committed;
// a write still running at the end of the grace is cancelled, and its
// outcome is what the database answers, or ErrCommitUnknown. A caller
// without a deadline waits for its write as long as it takes. Default 1 s.
func WithCommitGrace(d time.Duration) Option {
	return func(c *config) {
		if d > 0 {
			c.commitGrace = d
		}
	}
}

// WithExisting makes Open refuse a database that does not exist yet
// instead of creating it: a SQLite DSN must name a file that is there.
// (Server dialects never create a database.) Tools that only read or
// administer a database — flowctl's commands other than migrate — open
// with it, so a mistyped path is an error rather than a new empty file.
func WithExisting() Option { return func(c *config) { c.existing = true } }

func newConfig(opts []Option) config {
	c := config{clock: time.Now, logger: slog.Default(), maxRetries: 5, commitGrace: time.Second, zone: time.Local}
	for _, o := range opts {
		o(&c)
	}
	return c
}

// Open connects to the database a DSN names (see ParseDSN for the forms) and
// checks that it answers. It does not migrate; call Migrate (or open with
// flowstore.Open, which does). The DSN's dialect must be linked into the
// program: package flowstore links all four, and each has a package of its
// own under store/dialect to import instead.
//
// On a dialect that admits one writer at a time (SQLite) the connections of
// the pool take turns to write (FeatureSerialWrites), so writers queue in
// the process instead of sleeping in the database's busy handler.
//
// An in-memory SQLite database gets a pool of exactly one connection (it
// vanishes with its last connection). While a Session is open on it, every
// statement run on the DB rather than on the session waits for that one
// connection until its context ends: fine for a single-threaded script, a
// deadlock for code that reads through the DB while a transaction is open.
// A file database has no such limit.
//
// The pool keeps up to IdleConns idle connections (database/sql keeps 2):
// a queue Worker alone has five or six statements under way at once, and
// with two kept every burst past them would open new connections — a new
// server process each on PostgreSQL, milliseconds each (measured in issue
// 15: p50 pickup 10 ms instead of 2 at 1,000 enqueues/s). DB.SQL's
// SetMaxIdleConns changes it; behind a pooler that gives each client
// connection a server connection for its life (PgBouncer's session mode),
// size the pool to the pooler's with SetMaxOpenConns.
//
// On PostgreSQL, Open refuses (ErrUnsupported) connections that do not keep
// one server session, as behind PgBouncer in transaction pooling mode: the
// engine's prepared statements, the migration's advisory lock and the
// queue Worker's LISTEN need session pooling.
func Open(ctx context.Context, dsn string, opts ...Option) (*DB, error) {
	if err := CheckContext(ctx); err != nil {
		return nil, fmt.Errorf("store: open: %w", err)
	}
	target, err := ParseDSN(dsn)
	if err != nil {
		return nil, err
	}
	d, err := LookupDialect(target.Dialect)
	if err != nil {
		return nil, fmt.Errorf("store: open: %w", err)
	}
	if target.Zone != nil {
		opts = append([]Option{WithZone(target.Zone)}, opts...)
	}
	c := newConfig(opts)
	if c.existing && target.File != "" {
		if _, err := os.Stat(target.File); err != nil {
			return nil, fmt.Errorf("store: open: %w: SQLite database %s does not exist (create it with flowctl migrate, or open with flowstore.Open)", ErrNotFound, target.File)
		}
	}
	connector, err := d.s.Connector(target)
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", d, err)
	}
	for _, wrap := range c.wraps {
		connector = wrap(connector, d)
	}
	pc := poolConnector{Connector: connector, writes: &writePolicy{grace: c.commitGrace, definite: d.s.Definite}}
	if d.Has(FeatureSerialWrites) {
		pc.turn = newWriteTurn(turnPatience)
	}
	sqldb := sql.OpenDB(pc)
	sqldb.SetMaxIdleConns(IdleConns)
	if target.Memory {
		// An in-memory SQLite database vanishes with its last connection and
		// shared-cache locks do not wait for each other: one connection,
		// kept forever, serialises everything.
		sqldb.SetMaxOpenConns(1)
		sqldb.SetConnMaxLifetime(0)
		sqldb.SetConnMaxIdleTime(0)
	}
	if err := ping(ctx, sqldb, d); err != nil {
		_ = sqldb.Close()
		return nil, fmt.Errorf("store: connect to %s database %s: %w", d, redact(dsn), err)
	}
	if d.s.CheckSession != nil {
		if err := d.Classify(d.s.CheckSession(ctx, sqldb)); err != nil {
			_ = sqldb.Close()
			return nil, fmt.Errorf("store: connect to %s database %s: %w", d, redact(dsn), err)
		}
	}
	db := newDB(bun.NewDB(sqldb, d.Bun()), d, opts)
	db.owned = true
	db.turn = pc.turn
	return db, nil
}

// IdleConns is how many idle connections the pool of a DB that Open opened
// keeps for reuse.
const IdleConns = 16

// turnPatience bounds a writer's wait for the pool's write turn: the busy
// timeout every SQLite connection of Open's has (busy_timeout(10000)).
const turnPatience = 10 * time.Second

// ping checks the connection, retrying for a few seconds where the dialect
// can fail a first connection transiently (SQLite's switch to WAL).
func ping(ctx context.Context, sqldb *sql.DB, d *Dialect) error {
	deadline := time.Now().Add(10 * time.Second)
	for attempt := 0; ; attempt++ {
		err := d.Classify(sqldb.PingContext(ctx))
		if err == nil || !d.s.RetryFirstPing || !IsRetryable(err) || time.Now().After(deadline) {
			return err
		}
		if werr := Backoff(ctx, attempt); werr != nil {
			return err
		}
	}
}

// New adopts a bun handle the host application already has. The dialect is
// taken from it, and flowstore's package for that dialect must be linked
// (see Open). Close does not close the adopted pool. For SQL Server and
// MySQL the host's bun dialect writes times as it likes; flowstore normalises
// every time it writes to UTC first, so that is harmless. An adopted SQLite
// pool does not take write turns (see Open): its writers meet in SQLite's
// busy handler.
//
// New checks the two pool settings that would otherwise corrupt data
// silently, with one cheap query on ctx, and refuses the pool with
// ErrUnsupported naming the DSN option to set:
//
//   - SQL Server: uniqueidentifier must come back in RFC byte order, which
//     go-mssqldb does only with the DSN option "guid conversion=true";
//     without it every UUID read back is byte-swapped.
//   - MySQL/MariaDB: connections must run at READ COMMITTED (or
//     SERIALIZABLE), not InnoDB's default REPEATABLE READ, whose gap locks
//     deadlock concurrent claims and whose snapshot hides rows committed
//     after the transaction's first read. For go-sql-driver/mysql: the DSN
//     parameter transaction_isolation='READ-COMMITTED' (tx_isolation on
//     MariaDB before 11.1), or a connector wrapped with the dialect
//     package's ReadCommitted, which works on both. The DSN should also set
//     clientFoundRows=true, so that rows affected counts matched rows as on
//     every other dialect; that flag cannot be checked from a connection.
//
// The checks run only on the drivers flowstore knows (go-mssqldb,
// go-sql-driver/mysql); a pool behind another driver or a wrapper is taken
// as it is. SQLite and PostgreSQL need no check.
func New(ctx context.Context, b *bun.DB, opts ...Option) (*DB, error) {
	if err := CheckContext(ctx); err != nil {
		return nil, err
	}
	if b == nil {
		return nil, fmt.Errorf("store: new: %w: nil *bun.DB", ErrInvalid)
	}
	d, err := dialectOfBun(b.Dialect())
	if err != nil {
		return nil, fmt.Errorf("store: new: %w", err)
	}
	if err := checkAdopted(ctx, b.DB, d); err != nil {
		return nil, fmt.Errorf("store: new: %w", err)
	}
	return newDB(b, d, opts), nil
}

// checkAdopted runs the dialect's check on a pool given to New. It
// questions only the dialect's own driver: a pool behind another driver —
// a tracing wrapper, a test double that renders SQL without a server — is
// taken as it is, and the host answers for its settings.
func checkAdopted(ctx context.Context, sqldb *sql.DB, d *Dialect) error {
	if d.s.CheckPool == nil || d.s.OwnsDriver == nil || !d.s.OwnsDriver(sqldb.Driver()) {
		return nil
	}
	return d.Classify(d.s.CheckPool(ctx, sqldb))
}

// CheckContext refuses a nil context, which database/sql would panic on —
// and a panic there, recovered, leaves the pool's lock held so that every
// later call hangs. Every public method of flowstore's stores checks its
// context with it first.
func CheckContext(ctx context.Context) error {
	if ctx == nil {
		return fmt.Errorf("%w: nil context (use context.Background() or context.TODO())", ErrInvalid)
	}
	return nil
}

func newDB(b *bun.DB, d *Dialect, opts []Option) *DB {
	c := newConfig(opts)
	return &DB{bun: b, dialect: d, clock: c.clock, logger: c.logger, maxRetries: c.maxRetries, commitGrace: c.commitGrace, zone: c.zone}
}

// SQLDialect reports the database's SQL dialect: its name, and what
// flowstore's packages build their statements from.
func (db *DB) SQLDialect() *Dialect { return db.dialect }

// WritersWaiting reports how many writers of this DB wait for its write
// turn right now (see Open): on SQLite, how many goroutines a write in
// progress holds up. It is 0 on other dialects and on adopted pools.
func (db *DB) WritersWaiting() int {
	if db.turn == nil {
		return 0
	}
	return int(db.turn.waiting.Load())
}

// Bun returns the underlying bun handle, for queries flowstore does not offer.
func (db *DB) Bun() *bun.DB { return db.bun }

// SQL returns the underlying database/sql pool.
func (db *DB) SQL() *sql.DB { return db.bun.DB }

// Logger returns the logger the stores write warnings to.
func (db *DB) Logger() *slog.Logger { return db.logger }

// Now returns the current time from the configured clock, in UTC, truncated to
// microseconds — the precision every dialect stores.
func (db *DB) Now() time.Time { return UTC(db.clock()) }

// Adopted reports whether the pool is the host's, given to New, rather
// than one Open made with flowstore's settings. Limits that depend on those
// settings differ: on MySQL, Open makes the driver send a large value in
// chunks the server accepts (maxAllowedPacket=0), a host's pool may not.
func (db *DB) Adopted() bool { return !db.owned }

// Close closes the connection pool if Open created it.
func (db *DB) Close() error {
	if !db.owned {
		return nil
	}
	return db.bun.Close()
}

// Handle returns a Handle bound to the database (each statement in its own
// implicit transaction).
func (db *DB) Handle() Handle { return Handle{db: db} }

// UTC normalises a time the way flowstore stores it: UTC, microsecond
// precision. A zero time stays zero.
func UTC(t time.Time) time.Time {
	if t.IsZero() {
		return t
	}
	return t.UTC().Truncate(time.Microsecond)
}

// Begin opens a transaction and returns it as a Session. The caller must end
// it with Commit or Rollback; InTx does that for you and is usually better.
//
// The transaction is rolled back when ctx ends before its COMMIT starts;
// from then on ctx's end no longer cuts it off: the COMMIT gets the commit
// grace past ctx's deadline to finish (see WithCommitGrace), so the caller
// learns whether it committed.
func (db *DB) Begin(ctx context.Context) (*Session, error) {
	if err := CheckContext(ctx); err != nil {
		return nil, fmt.Errorf("store: begin: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("store: begin: %w", err)
	}
	tctx := newTxContext(ctx)
	tx, err := db.bun.BeginTx(tctx, nil)
	if err != nil {
		tctx.shield()
		return nil, fmt.Errorf("store: begin: %w", db.dialect.Classify(err))
	}
	if !tctx.opened(func() { _ = tx.Rollback() }) {
		// ctx ended while BEGIN was answering: database/sql rolls the
		// transaction back as its context is done; make sure and say why.
		_ = tx.Rollback()
		return nil, fmt.Errorf("store: begin: %w", context.Cause(ctx))
	}
	deadline, _ := ctx.Deadline()
	return &Session{db: db, tx: tx, tctx: tctx, deadline: deadline}, nil
}

// txContext is the context a transaction begins with. It ends with its
// parent while BEGIN waits (for a connection, the write turn, the
// database). Once the transaction is open it never ends: when the parent
// ends before COMMIT starts, the transaction is rolled back instead (on a
// live context, so the driver can send the ROLLBACK and keep its
// connection; a cancelled one makes pgx drop it), and its locks go even
// while its owner is still busy; once COMMIT has started, the parent's end
// changes nothing, so no deadline of the caller's cuts off a COMMIT the
// database may already be carrying out (drivers commit on the context the
// transaction began with). It keeps the parent's values.
type txContext struct {
	context.Context // context.WithoutCancel(parent)
	done            chan struct{}
	stop            chan struct{}
	mu              sync.Mutex
	rollback        func() // set once BEGIN succeeded
	shielded        bool
	closed          bool  // done is closed: the parent ended during BEGIN
	err             error // the parent's, once it ended before COMMIT
}

func newTxContext(parent context.Context) *txContext {
	c := &txContext{Context: context.WithoutCancel(parent), done: make(chan struct{}), stop: make(chan struct{})}
	go func() {
		select {
		case <-parent.Done():
			c.mu.Lock()
			if c.shielded {
				c.mu.Unlock()
				return
			}
			c.err = parent.Err()
			rollback := c.rollback
			if rollback == nil {
				c.closed = true
				close(c.done) // BEGIN is still waiting: give up
			}
			c.shielded = true
			c.mu.Unlock()
			if rollback != nil {
				rollback()
			}
		case <-c.stop:
		}
	}()
	return c
}

// opened records how to roll back the transaction BEGIN opened. It
// reports false when the parent ended first: Done is closed then, and the
// transaction must not be used.
func (c *txContext) opened(rollback func()) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return false
	}
	c.rollback = rollback
	return true
}

// shield stops following the parent (COMMIT starts, or the transaction
// ended). It reports whether the parent had ended before.
func (c *txContext) shield() (live bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.shielded {
		c.shielded = true
		close(c.stop)
	}
	return c.err == nil
}

func (c *txContext) Done() <-chan struct{} { return c.done }

func (c *txContext) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	// Err must be non-nil exactly when Done is closed: contexts derived from
	// this one panic otherwise ("missing cancel error").
	if !c.closed {
		return nil // open: the context itself never ends (see txContext)
	}
	return c.err
}

// InTx runs fn in a transaction and commits it if fn returns nil. It rolls
// back if fn returns an error or panics (the panic is re-raised), and runs fn
// again — at most WithMaxRetries times, with a short growing pause — when the
// error is retryable. fn must therefore not have side effects outside the
// transaction that cannot be repeated.
//
// The session is suppressed while fn runs: InTx owns the transaction, so a
// Commit from inside fn only logs a warning, and a Rollback marks the session
// rollback-only, which makes InTx roll back and return ErrRollbackOnly.
func (db *DB) InTx(ctx context.Context, fn func(ctx context.Context, s *Session) error) error {
	if err := CheckContext(ctx); err != nil {
		return fmt.Errorf("store: transaction: %w", err)
	}
	var err error
	for attempt := 0; ; attempt++ {
		err = db.runOnce(ctx, fn)
		if err == nil || !IsRetryable(err) || attempt >= db.maxRetries {
			return err
		}
		if werr := Backoff(ctx, attempt); werr != nil {
			return errors.Join(err, werr)
		}
	}
}

func (db *DB) runOnce(ctx context.Context, fn func(ctx context.Context, s *Session) error) (err error) {
	s, err := db.Begin(ctx)
	if err != nil {
		return err
	}
	restore := s.Suppress()
	defer func() {
		if p := recover(); p != nil {
			_ = s.end(false)
			panic(p)
		}
	}()
	err = fn(ctx, s)
	restore()
	if s.Suppressed() {
		// fn called Suppress and never restored it. InTx still owns the
		// transaction and ends it below through the path that ignores
		// suppression; the warning points at the bug in fn.
		db.logger.Warn("flowstore: InTx: fn returned with the session still suppressed (a Suppress without its restore); ending the transaction anyway")
	}
	if err != nil {
		if rbErr := s.end(false); rbErr != nil && !errors.Is(rbErr, sql.ErrTxDone) {
			err = errors.Join(err, rbErr)
		}
		return db.dialect.Classify(err)
	}
	return s.end(true)
}

// Backoff waits before attempt number attempt+1 of something that failed
// retryably: a little longer after each failed attempt (2 ms, doubling, to
// 128 ms), with jitter so that two transactions that deadlocked do not
// collide again in step. It returns ctx's error if ctx ends first. InTx
// and the stores' retry helpers share it.
func Backoff(ctx context.Context, attempt int) error {
	d := time.Duration(1<<min(attempt, 6)) * 2 * time.Millisecond
	d += time.Duration(time.Now().UnixNano() % int64(d))
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
