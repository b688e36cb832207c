package storetest_test

import (
	"context"
	"testing"

	"github.com/flowstore/flowstore/store"
	"github.com/flowstore/flowstore/store/storetest"
)

// A downstream test gets a migrated database with one call; it is closed when
// the test ends.
func ExampleNew() {
	t := &testing.T{} // in a real test: the test's own t

	db := storetest.New(t)
	err := db.InTx(t.Context(), func(ctx context.Context, s *store.Session) error {
		_, err := s.ExecContext(ctx, `INSERT INTO "Constants" ("name", "value", "changed_at") VALUES (?, ?, ?)`,
			"greeting", "hello", s.Now())
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}
