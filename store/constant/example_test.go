package constant_test

import (
	"context"
	"fmt"

	"github.com/flowstore/flowstore/store"
	"github.com/flowstore/flowstore/store/constant"
)

// exampleDB opens a migrated in-memory SQLite database (storetest.New does
// the same for tests).
func exampleDB(ctx context.Context) *store.DB {
	db, err := store.Open(ctx, "sqlite::memory:")
	if err != nil {
		panic(err)
	}
	if err := db.Migrate(ctx); err != nil {
		panic(err)
	}
	return db
}

// Constants are named values robots read at run time.
func Example() {
	ctx := context.Background()
	db := exampleDB(ctx)
	defer db.Close()
	constants, err := constant.New(db)
	if err != nil {
		panic(err)
	}

	_ = constants.Set(ctx, "invoice_folder", `\\share\invoices`)
	c, _ := constants.Get(ctx, "invoice_folder")
	fmt.Println(c.Value)
	// Output: \\share\invoices
}
