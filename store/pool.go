package store

import (
	"bytes"
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/google/uuid"
	mssql "github.com/microsoft/go-mssqldb"
)

// poolDialect is everything about a connection pool that differs per
// dialect: how Open creates it, how Open waits for it, and what New checks
// on a pool a host application adopts.
type poolDialect struct {
	// open creates the database/sql pool for a parsed DSN; nil takes the
	// driver as it is.
	open func(Target) (*sql.DB, error)
	// pingRetriesRetryable makes Open's ping retry a retryable error for a
	// few seconds (see ping).
	pingRetriesRetryable bool
	// check refuses an adopted pool that flowstore cannot run on correctly;
	// nil checks nothing. ownDriver tells whether the pool's driver is the
	// one check knows how to question.
	check     func(ctx context.Context, sqldb *sql.DB) error
	ownDriver func(driver.Driver) bool
}

var poolDialects = map[Dialect]poolDialect{
	// A new SQLite connection switches the file to WAL, which needs a moment
	// of exclusive access; when several processes open one file at once that
	// step can report SQLITE_BUSY without waiting for the busy timeout.
	// PostgreSQL and SQL Server need nothing: their defaults (READ
	// COMMITTED, uuid types) are what flowstore's statements are written for.
	SQLite:   {pingRetriesRetryable: true},
	Postgres: {},
	SQLServer: {
		check: checkSQLServerGUIDs,
		ownDriver: func(d driver.Driver) bool {
			_, ok := d.(*mssql.Driver)
			return ok
		},
	},
	MySQL: {
		open:  openMySQL,
		check: checkMySQLIsolation,
		ownDriver: func(d driver.Driver) bool {
			_, ok := d.(*mysql.MySQLDriver)
			return ok
		},
	},
}

// openPool creates the database/sql pool for a parsed DSN.
func openPool(target Target) (*sql.DB, error) {
	if open := poolDialects[target.Dialect].open; open != nil {
		return open(target)
	}
	return sql.Open(target.Driver, target.DriverDSN)
}

// ping checks the connection, retrying for a few seconds where the dialect
// can fail a first connection transiently (SQLite's switch to WAL).
func ping(ctx context.Context, sqldb *sql.DB, d Dialect) error {
	retry := poolDialects[d].pingRetriesRetryable
	deadline := time.Now().Add(10 * time.Second)
	for attempt := 0; ; attempt++ {
		err := Classify(d, sqldb.PingContext(ctx))
		if err == nil || !retry || !IsRetryable(err) || time.Now().After(deadline) {
			return err
		}
		if werr := sleepBackoff(ctx, attempt); werr != nil {
			return err
		}
	}
}

// checkAdopted runs the dialect's check on a pool given to New. It questions
// only the drivers flowstore knows (go-mssqldb, go-sql-driver/mysql): a pool
// behind another driver — a tracing wrapper, a test double that renders SQL
// without a server — is taken as it is, and the host answers for its
// settings.
func checkAdopted(sqldb *sql.DB, d Dialect) error {
	pd := poolDialects[d]
	if pd.check == nil || pd.ownDriver == nil || !pd.ownDriver(sqldb.Driver()) {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return pd.check(ctx, sqldb)
}

// probeGUID has a different byte in every position, so that any reordering
// of its first three groups shows.
const probeGUID = "00112233-4455-6677-8899-aabbccddeeff"

// checkSQLServerGUIDs asks the server for a known uniqueidentifier and
// compares the bytes the driver hands back (see checkGUIDBytes).
func checkSQLServerGUIDs(ctx context.Context, sqldb *sql.DB) error {
	var raw []byte
	if err := sqldb.QueryRowContext(ctx, "SELECT CAST('"+probeGUID+"' AS uniqueidentifier)").Scan(&raw); err != nil {
		return fmt.Errorf("flowstore: check the adopted SQL Server pool: %w", Classify(SQLServer, err))
	}
	return checkGUIDBytes(raw)
}

// checkGUIDBytes accepts the driver's answer for probeGUID only in RFC 4122
// byte order. Without the DSN option "guid conversion=true" go-mssqldb
// returns uniqueidentifier in SQL Server's mixed-endian order, and
// uuid.UUID.Scan copies those 16 bytes as they are: every UUID flowstore
// reads would come back with its first three groups byte-swapped (writes are
// unaffected — bun sends UUIDs as text — so the damage would only show on
// the way back).
func checkGUIDBytes(raw []byte) error {
	want := uuid.MustParse(probeGUID)
	if bytes.Equal(raw, want[:]) {
		return nil
	}
	if len(raw) == 16 && bytes.Equal(raw, mixedEndian(want)) {
		return fmt.Errorf("%w: the adopted SQL Server pool returns uniqueidentifier in mixed-endian byte order, so every UUID read back would be byte-swapped: add \"guid conversion=true\" to its DSN (store.Open does)", ErrUnsupported)
	}
	return fmt.Errorf("%w: the adopted SQL Server pool returned %x for uniqueidentifier %s; want its 16 bytes in RFC 4122 order (DSN option \"guid conversion=true\")", ErrUnsupported, raw, probeGUID)
}

// mixedEndian is u in SQL Server's storage order: the first three groups
// little-endian.
func mixedEndian(u uuid.UUID) []byte {
	b := bytes.Clone(u[:])
	b[0], b[1], b[2], b[3] = b[3], b[2], b[1], b[0]
	b[4], b[5] = b[5], b[4]
	b[6], b[7] = b[7], b[6]
	return b
}

// checkMySQLIsolation reads the session isolation level of one pooled
// connection (the DSN or connector configures every connection alike).
// InnoDB's default, REPEATABLE READ, breaks what flowstore's statements rely
// on (see readCommittedConnector); SERIALIZABLE is accepted as the host's
// stricter choice: its reads lock, and they see the latest committed rows.
//
// The other setting Open makes, clientFoundRows=true, cannot be probed: it is
// a flag of the connection handshake that no session variable shows. On a
// pool without it MySQL counts changed rather than matched rows, so a
// conditional UPDATE that writes the values a row already has reports 0
// rows; New documents that hosts should set it.
func checkMySQLIsolation(ctx context.Context, sqldb *sql.DB) error {
	var level string
	err := sqldb.QueryRowContext(ctx, "SELECT @@SESSION.transaction_isolation").Scan(&level)
	var myErr *mysql.MySQLError
	if errors.As(err, &myErr) && myErr.Number == 1193 { // ER_UNKNOWN_SYSTEM_VARIABLE: MariaDB before 11.1
		err = sqldb.QueryRowContext(ctx, "SELECT @@SESSION.tx_isolation").Scan(&level)
	}
	if err != nil {
		return fmt.Errorf("flowstore: check the adopted MySQL pool: %w", Classify(MySQL, err))
	}
	switch level {
	case "READ-COMMITTED", "SERIALIZABLE":
		return nil
	}
	return fmt.Errorf("%w: the adopted MySQL/MariaDB pool runs at %s; flowstore needs READ COMMITTED: add transaction_isolation='READ-COMMITTED' to its DSN (tx_isolation on MariaDB before 11.1), wrap its connector with store.ReadCommitted, or open it with store.Open", ErrUnsupported, level)
}

// openMySQL creates a MySQL/MariaDB pool whose connections run at READ
// COMMITTED unless the DSN chose a level itself.
func openMySQL(target Target) (*sql.DB, error) {
	cfg, err := mysql.ParseDSN(target.DriverDSN)
	if err != nil {
		return nil, err
	}
	connector, err := mysql.NewConnector(cfg)
	if err != nil {
		return nil, err
	}
	if _, ok := cfg.Params["transaction_isolation"]; ok {
		return sql.OpenDB(connector), nil
	}
	if _, ok := cfg.Params["tx_isolation"]; ok {
		return sql.OpenDB(connector), nil
	}
	return sql.OpenDB(readCommittedConnector{connector}), nil
}

// ReadCommitted wraps a go-sql-driver/mysql connector so that every
// connection it makes runs at READ COMMITTED, as every connection of a pool
// Open creates does. It is for hosts that build their own pool and adopt it
// with New, which refuses a pool at InnoDB's default REPEATABLE READ:
//
//	connector, err := mysql.NewConnector(cfg)
//	…
//	db, err := store.New(bun.NewDB(sql.OpenDB(store.ReadCommitted(connector)), mysqldialect.New()))
//
// Unlike the DSN parameter, it works unchanged on MySQL 8 and on MariaDB,
// whose names for the session variable differ.
func ReadCommitted(c driver.Connector) driver.Connector { return readCommittedConnector{c} }

// readCommittedConnector makes every new MySQL/MariaDB connection run at READ
// COMMITTED, the level PostgreSQL and SQL Server run at by default and the
// one flowstore's statements are written for. InnoDB's default, REPEATABLE
// READ, takes gap locks that make concurrent claims (SELECT … FOR UPDATE SKIP
// LOCKED, then UPDATE) deadlock, and keeps a transaction's first snapshot, so
// a check made after taking a lock would read rows as they were before it.
// The statement is the same on MySQL 8 and MariaDB, whose names for the
// session variable differ (transaction_isolation, tx_isolation); a DSN that
// sets either variable keeps its own choice.
type readCommittedConnector struct{ driver.Connector }

func (c readCommittedConnector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.Connector.Connect(ctx)
	if err != nil {
		return nil, err
	}
	execer, ok := conn.(driver.ExecerContext)
	if !ok {
		_ = conn.Close()
		return nil, fmt.Errorf("%w: the mysql driver's connection cannot execute statements", ErrUnsupported)
	}
	if _, err := execer.ExecContext(ctx, "SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED", nil); err != nil {
		_ = conn.Close()
		return nil, err
	}
	return conn, nil
}
