package store_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/flowstore/flowstore/store"
)

func openSnapshotExampleDB() *store.DB {
	ctx := context.Background()
	db, err := store.Open(ctx, "sqlite::memory:")
	if err != nil {
		panic(err)
	}
	if err := db.Migrate(ctx); err != nil {
		panic(err)
	}
	return db
}

// Two writers load the same snapshot; the second update is refused with the
// versions involved.
func ExampleSnapshots_Update() {
	ctx := context.Background()
	db := openSnapshotExampleDB()
	defer db.Close()
	snaps, _ := store.NewSnapshots(db)

	v := "1.0"
	_ = snaps.Create(ctx, &store.Snapshot{ID: "order-42", ProcessID: "orders", ProcessVersion: &v, Payload: []byte("new")})
	first, _ := snaps.Get(ctx, "order-42")
	second, _ := snaps.Get(ctx, "order-42")

	first.Payload = []byte("paid")
	fmt.Println(snaps.Update(ctx, first), first.Version)

	second.Payload = []byte("cancelled")
	err := snaps.Update(ctx, second)
	var conflict *store.ConflictError
	fmt.Println(errors.Is(err, store.ErrConflict), errors.As(err, &conflict), conflict.Expected, conflict.Actual)
	// Output:
	// <nil> 1
	// true true 0 1
}

// Retry reloads and reapplies a change until it lands.
func ExampleRetry() {
	ctx := context.Background()
	db := openSnapshotExampleDB()
	defer db.Close()
	snaps, _ := store.NewSnapshots(db)
	_ = snaps.Create(ctx, &store.Snapshot{ID: "order-7", ProcessID: "orders", Payload: []byte("a")})

	s, err := store.Retry(ctx, snaps, "order-7", 5, func(_ context.Context, s *store.Snapshot) error {
		s.Payload = append(s.Payload, 'b')
		s.EventTypes = []string{"shipped"} // the complete set the instance now waits for
		return nil
	})
	fmt.Println(string(s.Payload), s.Version, err)
	for s, err := range snaps.WaitingForEventType(ctx, store.Unversioned("orders"), "shipped") {
		fmt.Println(s.ID, err)
	}
	// Output:
	// ab 1 <nil>
	// order-7 <nil>
}

// Payloads can be compressed (or, with a key ring, encrypted); the codec is
// recorded per row, so rows written before stay readable.
func ExampleWithCodec() {
	ctx := context.Background()
	db := openSnapshotExampleDB()
	defer db.Close()
	plain, _ := store.NewSnapshots(db)
	zipped, _ := store.NewSnapshots(db, store.WithCodec(store.Gzip{}))

	_ = plain.Create(ctx, &store.Snapshot{ID: "old", ProcessID: "p", Payload: []byte("written before compression")})
	_ = zipped.Create(ctx, &store.Snapshot{ID: "new", ProcessID: "p", Payload: []byte("compressed")})
	for _, id := range []string{"old", "new"} {
		s, _ := zipped.Get(ctx, id)
		fmt.Printf("%s %q codec=%q\n", s.ID, s.Payload, s.Codec)
	}
	// Output:
	// old "written before compression" codec=""
	// new "compressed" codec="gzip"
}

// The encoded id is Kogito's: MD5 of the sorted "key|value" parts.
func ExampleEncodeCorrelation() {
	fmt.Println(store.EncodeCorrelation(store.CorrelationPart{Key: "aaaa", Value: "bbbb"}))
	fmt.Println(store.EncodeCorrelation(
		store.CorrelationPart{Key: "eeee", Value: "ffff"},
		store.CorrelationPart{Key: "aaaa", Value: "bbbb"},
		store.CorrelationPart{Key: "cccc", Value: "dddd"},
	))
	// Output:
	// c818ccd6be2b10823eb7208d162879d0
	// fc5428e42b043a7089d7a15d65558ca2
}
