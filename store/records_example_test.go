package store_test

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/flowstore/flowstore/crypto"
	"github.com/flowstore/flowstore/store"
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
func ExampleConstants() {
	ctx := context.Background()
	db := exampleDB(ctx)
	defer db.Close()
	constants := store.NewConstants(db)

	_ = constants.Set(ctx, "invoice_folder", `\\share\invoices`)
	c, _ := constants.Get(ctx, "invoice_folder")
	fmt.Println(c.Value)
	// Output: \\share\invoices
}

// Credentials encrypt passwords with a key ring. An OpenOrchestratorKey (a
// Fernet key) writes Fernet tokens, so OpenOrchestrator reads them too.
func ExampleCredentials() {
	ctx := context.Background()
	db := exampleDB(ctx)
	defer db.Close()
	key, _ := crypto.GenerateKey(crypto.Fernet) // or crypto.ParseKey(os.Getenv("OpenOrchestratorKey"))
	ring, _ := crypto.NewRing(key)
	creds := store.NewCredentials(db, ring)

	_ = creds.Set(ctx, "erp", "robot", "s3cret")
	s, _ := creds.Get(ctx, "erp")
	fmt.Println(s.Username, s.Password)

	// Rotate to a new key; afterwards the new key alone reads everything.
	next, _ := crypto.GenerateKey(crypto.AESGCM)
	nextRing, _ := crypto.NewRing(next)
	n, _ := creds.Rotate(ctx, nextRing)
	s, _ = store.NewCredentials(db, nextRing).Get(ctx, "erp")
	fmt.Println(n, s.Password)
	// Output:
	// robot s3cret
	// 1 s3cret
}

// A LogHandler sends slog records to the Logs table in batches.
func ExampleLogHandler() {
	ctx := context.Background()
	db := exampleDB(ctx)
	defer db.Close()
	logs := store.NewLogs(db)
	h := store.NewLogHandler(logs, store.LogHandlerOptions{ProcessName: "invoice-robot"})
	log := slog.New(h)

	log.Info("invoice booked", "number", 1042)
	log.Error("invoice rejected", "number", 1043)
	_ = h.Close(ctx) // writes what is still buffered

	page, _ := logs.Query(ctx, store.LogFilter{ProcessName: "invoice-robot"})
	for _, e := range page.Entries {
		fmt.Println(e.Level, e.Message)
	}
	// Output:
	// ERROR invoice rejected number=1043
	// INFO invoice booked number=1042
}
