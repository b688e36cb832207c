// Package storetest gives tests of programs built on flowstore a database of
// their own: New returns a migrated, in-memory SQLite database that lives as
// long as the test.
//
// It needs no server and no files, so it suits the unit tests of a
// downstream project. flowstore's own suites run against every dialect with
// a richer, internal harness; a downstream project that needs PostgreSQL,
// SQL Server or MySQL in its tests opens those with store.Open itself.
//
// The database is one SQLite connection shared by the whole handle (see
// store.Open on in-memory databases), so a test that holds a transaction
// open must run every statement of that moment inside it: a second
// statement on the pool would wait for the transaction's connection.
package storetest
