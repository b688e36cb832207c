// Package storetest gives tests of programs built on flowstore a database of
// their own: New returns a migrated SQLite database in the test's temporary
// directory, closed and removed when the test ends.
//
// It needs no server, so it suits the unit tests of a downstream project.
// flowstore's own suites run against every dialect with a richer, internal
// harness; a downstream project that needs PostgreSQL, SQL Server or MySQL
// in its tests opens those with store.Open itself.
//
// The database is a file with the settings store.Open gives every SQLite
// database (WAL, a busy timeout, foreign keys, immediate transactions), so
// it behaves like a production one: a test may read through the DB while a
// Session is open, as the code under test will. An in-memory database would
// not do that: it lives in a single connection, and such a read would wait
// for the transaction until its context ends (see store.Open).
package storetest
