package snapshot_test

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/flowstore/flowstore/crypto/secret"
	"github.com/flowstore/flowstore/store"
	"github.com/flowstore/flowstore/store/snapshot"
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
func ExampleStore_Update() {
	ctx := context.Background()
	db := openSnapshotExampleDB()
	defer db.Close()
	snaps, _ := snapshot.New(db)

	v := "1.0"
	_ = snaps.Create(ctx, &snapshot.Snapshot{ID: "order-42", ProcessID: "orders", ProcessVersion: &v, Payload: []byte("new")})
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
	snaps, _ := snapshot.New(db)
	_ = snaps.Create(ctx, &snapshot.Snapshot{ID: "order-7", ProcessID: "orders", Payload: []byte("a")})

	s, err := snapshot.Retry(ctx, snaps, "order-7", 5, func(_ context.Context, s *snapshot.Snapshot) error {
		s.Payload = append(s.Payload, 'b')
		s.EventTypes = []string{"shipped"} // the complete set the instance now waits for
		return nil
	})
	fmt.Println(string(s.Payload), s.Version, err)
	for s, err := range snaps.WaitingForEventType(ctx, snapshot.Unversioned("orders"), "shipped") {
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
	plain, _ := snapshot.New(db)
	zipped, _ := snapshot.New(db, snapshot.WithCodec(snapshot.Gzip{}))

	_ = plain.Create(ctx, &snapshot.Snapshot{ID: "old", ProcessID: "p", Payload: []byte("written before compression")})
	_ = zipped.Create(ctx, &snapshot.Snapshot{ID: "new", ProcessID: "p", Payload: []byte("compressed")})
	for _, id := range []string{"old", "new"} {
		s, _ := zipped.Get(ctx, id)
		fmt.Printf("%s %q codec=%q\n", s.ID, s.Payload, s.Codec)
	}
	// Output:
	// old "written before compression" codec=""
	// new "compressed" codec="gzip"
}

// Payloads encrypted with a secret.Ring: the row holds the token, which
// names its key, and reads decrypt it. A token is about 4/3 of the payload
// and must fit the dialect's payload limit (on MariaDB, max_allowed_packet:
// 16 MiB by default); one that does not is ErrTooLong before anything is
// written.
func ExampleEncrypted() {
	ctx := context.Background()
	db := openSnapshotExampleDB()
	defer db.Close()
	key, err := secret.GenerateKey(secret.AESGCM) // or secret.ParseRing(os.Getenv(…))
	if err != nil {
		panic(err)
	}
	ring, err := secret.NewRing(key)
	if err != nil {
		panic(err)
	}
	snaps, err := snapshot.New(db, snapshot.WithCodec(snapshot.Encrypted("ring-v1", ring)))
	if err != nil {
		panic(err)
	}

	payload := []byte("card 4242 4242 4242 4242")
	if err := snaps.Create(ctx, &snapshot.Snapshot{ID: "pay-1", ProcessID: "payments", Payload: payload}); err != nil {
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

// A business key maps a caller's key (an order number, say) to the instance;
// lookups are scoped by process definition, and the key goes with the
// instance.
func ExampleStore_FindByBusinessKey() {
	ctx := context.Background()
	db := openSnapshotExampleDB()
	defer db.Close()
	snaps, _ := snapshot.New(db)
	orders := snapshot.Versioned("orders", "2")

	_ = snaps.Create(ctx, &snapshot.Snapshot{ID: "order-9", ProcessID: orders.ID, ProcessVersion: orders.Version, Payload: []byte("placed"), BusinessKey: "ORD-2024-0009"})
	s, err := snaps.FindByBusinessKey(ctx, orders, "ORD-2024-0009")
	fmt.Println(s.ID, string(s.Payload), s.BusinessKey, err)

	_, err = snaps.FindByBusinessKey(ctx, snapshot.Versioned("orders", "1"), "ORD-2024-0009")
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
func ExampleStore_MigrateInstances() {
	ctx := context.Background()
	db := openSnapshotExampleDB()
	defer db.Close()
	snaps, _ := snapshot.New(db)
	v1, v2 := snapshot.Versioned("loan", "1"), snapshot.Versioned("loan", "2")
	for _, id := range []string{"loan-a", "loan-b", "loan-c"} {
		_ = snaps.Create(ctx, &snapshot.Snapshot{ID: id, ProcessID: v1.ID, ProcessVersion: v1.Version, Payload: []byte(id)})
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
