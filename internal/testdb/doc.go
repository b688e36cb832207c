// Package testdb is flowstore's multi-dialect test harness.
//
// Every behaviour suite runs against each dialect that is live on the
// machine:
//
//   - SQLite always, as a file database in the test's temporary directory
//     (a file, not memory, so child processes can open it too);
//   - PostgreSQL when FLOWSTORE_TEST_POSTGRES names a server where we may
//     CREATE DATABASE, or else when a PostgreSQL installation is found under
//     /usr/lib/postgresql, in which case a throwaway server is initialised in
//     a temporary directory and started on a free loopback port;
//   - MariaDB/MySQL when FLOWSTORE_TEST_MYSQL names a server, or else when
//     /usr/sbin/mariadbd exists (again a throwaway server);
//   - SQL Server only when FLOWSTORE_TEST_SQLSERVER names a server.
//
// Setting one of the variables to "skip" turns that dialect off. Throwaway
// servers run as the postgres/mysql system user when the tests run as root
// (both servers refuse to run as root), keep their files in /dev/shm when it
// has room (or in FLOWSTORE_TESTDB_DIR), start lazily at most once per test
// binary and are stopped by Main, which every package using the harness
// calls from its TestMain:
//
//	func TestMain(m *testing.M) { testdb.Main(m) }
//
// A server dies with its test binary even when that is killed, and the next
// test binary removes the files it left behind. Each test's databases are
// dropped in the background when the test ends, on throwaway and shared
// servers alike.
//
// Tests get databases with Each (one subtest per live dialect, each with a
// fresh migrated database), Fresh (one dialect) or FreshDSN (an empty
// database, for migration tests and for child processes). Offline gives a
// handle that never connects, for rendering SQL into golden files.
//
// Concurrency across OS processes is tested by re-executing the test binary:
// RunChildren runs one test function in n child processes at once, and
// StartChild starts one that a crash test can SIGKILL mid-work. A child sees
// IsChild() == true and gets its database's DSN from the parent through the
// environment; children never create databases themselves.
package testdb
