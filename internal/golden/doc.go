// Package golden compares test output with files kept under the test
// package's testdata directory.
//
// flowstore pins the SQL it generates per dialect in golden files, above
// all for SQL Server, which cannot run on the development machines: a
// change in the rendered SQL then shows up as a reviewed diff of testdata,
// not as a surprise on a customer's server.
//
// Regenerate the files after an intended change with
//
//	UPDATE_GOLDEN=1 go test ./...
//
// and review the diff before committing it.
package golden
