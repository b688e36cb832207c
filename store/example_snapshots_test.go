package store_test

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/flowstore/flowstore/crypto"
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

// Payloads encrypted with a crypto.Ring: the row holds the token, which
// names its key, and reads decrypt it. A token is about 4/3 of the payload
// and must fit the dialect's payload limit (on MariaDB, max_allowed_packet:
// 16 MiB by default); one that does not is ErrTooLong before anything is
// written.
func ExampleEncryptedCodec() {
	ctx := context.Background()
	db := openSnapshotExampleDB()
	defer db.Close()
	key, err := crypto.GenerateKey(crypto.AESGCM) // or crypto.ParseRing(os.Getenv(…))
	if err != nil {
		panic(err)
	}
	ring, err := crypto.NewRing(key)
	if err != nil {
		panic(err)
	}
	snaps, err := store.NewSnapshots(db, store.WithCodec(store.EncryptedCodec("ring-v1", ring)))
	if err != nil {
		panic(err)
	}

	payload := []byte("card 4242 4242 4242 4242")
	if err := snaps.Create(ctx, &store.Snapshot{ID: "pay-1", ProcessID: "payments", Payload: payload}); err != nil {
		panic(err)
	}
	var stored string
	if err := db.SQL().QueryRowContext(ctx, `SELECT payload FROM process_instances WHERE id = 'pay-1'`).Scan(&stored); err != nil {
		panic(err)
	}
	fmt.Println(strings.HasPrefix(stored, "gcm1."+key.ID()+"."), strings.Contains(stored, "4242"))

	s, _ := snaps.Get(ctx, "pay-1")
	info, _ := snaps.Stat(ctx, "pay-1")
	fmt.Printf("%s codec=%s stored=%v\n", s.Payload, info.Codec, info.StoredSize == int64(ring.TokenLen(len(payload))))
	// Output:
	// true false
	// card 4242 4242 4242 4242 codec=ring-v1 stored=true
}

// Kogito's event correlations: an incoming event carrying these values finds
// the instance waiting for it, through the encoded id.
func ExampleCorrelations() {
	ctx := context.Background()
	db := openSnapshotExampleDB()
	defer db.Close()
	corr := store.NewCorrelations(db)

	c, err := corr.Create(ctx, "8d1f3c2e-5a4b-4c3d-9e8f-0a1b2c3d4e5f",
		store.CorrelationPart{Key: "userId", Value: "7"},
		store.CorrelationPart{Key: "orderId", Value: "42"})
	if err != nil {
		panic(err)
	}
	fmt.Println(c.EncodedID, c.Parts)

	// The event arrives with the same values, in any order.
	encoded := store.EncodeCorrelation(
		store.CorrelationPart{Key: "orderId", Value: "42"},
		store.CorrelationPart{Key: "userId", Value: "7"})
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

// A business key maps a caller's key (an order number, say) to the instance;
// lookups are scoped by process definition, and the key goes with the
// instance.
func ExampleSnapshots_FindByBusinessKey() {
	ctx := context.Background()
	db := openSnapshotExampleDB()
	defer db.Close()
	snaps, _ := store.NewSnapshots(db)
	orders := store.Versioned("orders", "2")

	_ = snaps.Create(ctx, &store.Snapshot{ID: "order-9", ProcessID: orders.ID, ProcessVersion: orders.Version, Payload: []byte("placed"), BusinessKey: "ORD-2024-0009"})
	s, err := snaps.FindByBusinessKey(ctx, orders, "ORD-2024-0009")
	fmt.Println(s.ID, string(s.Payload), s.BusinessKey, err)

	_, err = snaps.FindByBusinessKey(ctx, store.Versioned("orders", "1"), "ORD-2024-0009")
	fmt.Println(errors.Is(err, store.ErrNotFound))

	_ = snaps.Delete(ctx, "order-9") // completed: snapshot and business key go
	_, err = snaps.FindByBusinessKey(ctx, orders, "ORD-2024-0009")
	fmt.Println(errors.Is(err, store.ErrNotFound))
	// Output:
	// order-9 placed ORD-2024-0009 <nil>
	// true
	// true
}

// MigrateInstances moves live instances to a new definition version, some or
// all; All streams a definition's instances in id order.
func ExampleSnapshots_MigrateInstances() {
	ctx := context.Background()
	db := openSnapshotExampleDB()
	defer db.Close()
	snaps, _ := store.NewSnapshots(db)
	v1, v2 := store.Versioned("loan", "1"), store.Versioned("loan", "2")
	for _, id := range []string{"loan-a", "loan-b", "loan-c"} {
		_ = snaps.Create(ctx, &store.Snapshot{ID: id, ProcessID: v1.ID, ProcessVersion: v1.Version, Payload: []byte(id)})
	}

	n, err := snaps.MigrateInstances(ctx, v1, v2, "loan-b")
	fmt.Println(n, err)
	n, err = snaps.MigrateInstances(ctx, v1, v2) // the rest
	fmt.Println(n, err)

	for s, err := range snaps.All(ctx, v2) {
		if err != nil {
			panic(err)
		}
		fmt.Println(s.ID, s.ProcessID+"@"+*s.ProcessVersion, s.Version)
	}
	left, _ := snaps.Count(ctx, v1)
	fmt.Println(left)
	// Output:
	// 1 <nil>
	// 2 <nil>
	// loan-a loan@2 0
	// loan-b loan@2 0
	// loan-c loan@2 0
	// 0
}
