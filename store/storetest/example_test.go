package storetest_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/uptrace/bun"

	"github.com/flowstore/flowstore/store"
	"github.com/flowstore/flowstore/store/storetest"
)

// A downstream test calls storetest.New(t) and gets a migrated database that
// is closed and removed when the test ends; outside a test, Open does the
// same in a file the caller chooses and removes.
func ExampleOpen() {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "storetest-example")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	db, err := storetest.Open(ctx, filepath.Join(dir, "flowstore.db"))
	if err != nil {
		panic(err)
	}
	defer db.Close()

	err = db.InTx(ctx, func(ctx context.Context, s *store.Session) error {
		_, err := s.NewRaw("INSERT INTO ? (name, value, changed_at) VALUES (?, ?, ?)",
			bun.Ident("Constants"), "greeting", "hello", s.Now()).Exec(ctx)
		return err
	})
	if err != nil {
		panic(err)
	}
	var value string
	err = db.Bun().NewSelect().Table("Constants").Column("value").Where("name = ?", "greeting").Scan(ctx, &value)
	fmt.Println(value, err)
	// Output: hello <nil>
}
