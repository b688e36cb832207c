package storetest_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/flowstore/flowstore"
	"github.com/flowstore/flowstore/queue"
	"github.com/flowstore/flowstore/store"
	"github.com/flowstore/flowstore/store/storetest"
)

// A test of code that takes a *flowstore.DB calls
//
//	db := storetest.NewFlowstore(t)
//
// and gets a migrated database of its own, removed when the test ends;
// NewDatabase is the same without a test. Both use SQLite unless
// FLOWSTORE_STORETEST_DSN names a PostgreSQL or MySQL/MariaDB server.
func ExampleNewDatabase() {
	ctx := context.Background()
	d, err := storetest.NewDatabase(ctx)
	if err != nil {
		panic(err)
	}
	defer d.Remove(ctx)
	db, err := flowstore.Open(ctx, d.DSN)
	if err != nil {
		panic(err)
	}
	defer db.Close()

	if _, err := db.Queue.Enqueue(ctx, "invoices", queue.NewElement{Reference: "INV-1"}); err != nil {
		panic(err)
	}
	e, err := db.Queue.Claim(ctx, "invoices")
	if err != nil {
		panic(err)
	}
	fmt.Println(e.Reference, e.Status)
	// Output: INV-1 IN_PROGRESS
}

// A test that needs no commit calls
//
//	tx := storetest.TestTx(t)
//
// and works through tx's stores; the transaction is rolled back when the
// test ends. BeginTx is the same without a test: the caller rolls back.
func ExampleBeginTx() {
	ctx := context.Background()
	d, err := storetest.NewDatabase(ctx)
	if err != nil {
		panic(err)
	}
	defer d.Remove(ctx)
	db, err := flowstore.Open(ctx, d.DSN)
	if err != nil {
		panic(err)
	}
	defer db.Close()

	tx, rollback, err := storetest.BeginTx(ctx, db)
	if err != nil {
		panic(err)
	}
	if err := tx.Constants.Set(ctx, "greeting", "hello"); err != nil {
		panic(err)
	}
	c, err := tx.Constants.Get(ctx, "greeting")
	fmt.Println("inside:", c.Value, err)
	if err := rollback(); err != nil {
		panic(err)
	}
	_, err = db.Constants.Get(ctx, "greeting")
	fmt.Println("after rollback, not found:", errors.Is(err, store.ErrNotFound))
	// Output:
	// inside: hello <nil>
	// after rollback, not found: true
}
