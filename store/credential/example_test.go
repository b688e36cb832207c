package credential_test

import (
	"context"
	"fmt"

	"github.com/flowstore/flowstore/crypto/secret"
	"github.com/flowstore/flowstore/store"
	"github.com/flowstore/flowstore/store/credential"
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

// Credentials encrypt passwords with a key ring. An OpenOrchestratorKey (a
// Fernet key) writes Fernet tokens, so OpenOrchestrator reads them too.
func Example() {
	ctx := context.Background()
	db := exampleDB(ctx)
	defer db.Close()
	key, _ := secret.GenerateKey(secret.Fernet) // or secret.ParseKey(os.Getenv("OpenOrchestratorKey"))
	ring, _ := secret.NewRing(key)
	creds, err := credential.New(db, credential.WithKeyRing(ring))
	if err != nil {
		panic(err)
	}

	_ = creds.Set(ctx, "erp", "robot", "s3cret")
	s, _ := creds.Get(ctx, "erp")
	fmt.Println(s.Username, s.Password)

	// Rotate to a new key; afterwards the new key alone reads everything.
	next, _ := secret.GenerateKey(secret.AESGCM)
	nextRing, _ := secret.NewRing(next)
	n, _ := creds.Rotate(ctx, nextRing)
	rotated, _ := credential.New(db, credential.WithKeyRing(nextRing))
	s, _ = rotated.Get(ctx, "erp")
	fmt.Println(n, s.Password)
	// Output:
	// robot s3cret
	// 1 s3cret
}
