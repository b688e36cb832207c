package correlation_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/flowstore/flowstore/store"
	"github.com/flowstore/flowstore/store/correlation"
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

// The encoded id is Kogito's: MD5 of the sorted "key|value" parts.
func ExampleEncode() {
	fmt.Println(correlation.Encode(correlation.Part{Key: "aaaa", Value: "bbbb"}))
	fmt.Println(correlation.Encode(
		correlation.Part{Key: "eeee", Value: "ffff"},
		correlation.Part{Key: "aaaa", Value: "bbbb"},
		correlation.Part{Key: "cccc", Value: "dddd"},
	))
	// Output:
	// c818ccd6be2b10823eb7208d162879d0
	// fc5428e42b043a7089d7a15d65558ca2
}

// Kogito's event correlations: an incoming event carrying these values finds
// the instance waiting for it, through the encoded id.
func Example() {
	ctx := context.Background()
	db := exampleDB(ctx)
	defer db.Close()
	corr, err := correlation.New(db)
	if err != nil {
		panic(err)
	}

	c, err := corr.Create(ctx, "8d1f3c2e-5a4b-4c3d-9e8f-0a1b2c3d4e5f",
		correlation.Part{Key: "userId", Value: "7"},
		correlation.Part{Key: "orderId", Value: "42"})
	if err != nil {
		panic(err)
	}
	fmt.Println(c.EncodedID, c.Parts)

	// The event arrives with the same values, in any order.
	encoded := correlation.Encode(
		correlation.Part{Key: "orderId", Value: "42"},
		correlation.Part{Key: "userId", Value: "7"})
	found, err := corr.FindByEncodedID(ctx, encoded)
	fmt.Println(found.CorrelatedID, err)

	// The same correlation cannot lead to a second instance.
	_, err = corr.Create(ctx, "another-instance", c.Parts...)
	fmt.Println(errors.Is(err, store.ErrDuplicate))

	byInstance, err := corr.FindByCorrelatedID(ctx, "8d1f3c2e-5a4b-4c3d-9e8f-0a1b2c3d4e5f")
	fmt.Println(byInstance.EncodedID == c.EncodedID, err)
	// Output:
	// 5d18ec4585c1d54957f475161ada7ceb [{orderId 42} {userId 7}]
	// 8d1f3c2e-5a4b-4c3d-9e8f-0a1b2c3d4e5f <nil>
	// true
	// true <nil>
}
