// Package storetest gives the tests of programs built on flowstore a
// database of their own.
//
// NewFlowstore returns a migrated, empty *flowstore.DB per test, closed and
// removed when the test ends, so tests that call t.Parallel() never see each
// other's rows. TestTx returns every store bound to one transaction that is
// rolled back when the test ends, for tests that need no commit. New (and
// Open) give the lower-level *store.DB, always on SQLite.
//
// By default the databases are SQLite files in temporary directories: no
// server is needed, so the helpers suit any downstream unit test. When the
// environment variable FLOWSTORE_STORETEST_DSN (EnvDSN) names a PostgreSQL
// or MySQL/MariaDB server, NewFlowstore and TestTx make their databases
// there instead, so a CI job can run the same tests on the dialect the
// program uses in production. Every database is a copy of one migrated
// once: a SQLite file's bytes, a PostgreSQL template database, or on MySQL
// and MariaDB a template database's tables; a copy costs a fraction of a
// migration. On a server the template and the one database every TestTx
// shares stay between runs (their names end in the schema version and a
// hash of the schema, so a new schema gets new ones); each test's own
// database is dropped when the test ends.
//
// A SQLite database here is a file with the settings store.Open gives every
// SQLite database (WAL, a busy timeout, foreign keys, immediate
// transactions), so it behaves like a production one: a test may read
// through the DB while a Session is open, as the code under test will. An
// in-memory database would not do that: it lives in a single connection,
// and such a read would wait for the transaction until its context ends
// (see store.Open).
//
// Package storetest imports package flowstore, which links every dialect's
// driver; only test binaries link it.
package storetest
