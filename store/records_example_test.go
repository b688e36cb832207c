package store_test

import (
	"context"
	"fmt"
	"log/slog"
	"time"

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

// exampleLogs writes five log rows, one a minute, alternating two robots.
func exampleLogs(ctx context.Context, db *store.DB) *store.Logs {
	logs := store.NewLogs(db)
	at := time.Date(2026, 1, 2, 9, 0, 0, 0, time.UTC)
	var batch []store.LogEntry
	for i := range 5 {
		level := store.LogInfo
		if i == 3 {
			level = store.LogError
		}
		batch = append(batch, store.LogEntry{
			Time:        at.Add(time.Duration(i) * time.Minute),
			Level:       level,
			ProcessName: []string{"invoice-robot", "mail-robot"}[i%2],
			Message:     fmt.Sprintf("step %d", i),
		})
	}
	if err := logs.WriteBatch(ctx, batch); err != nil {
		panic(err)
	}
	return logs
}

// Query returns one page of the matching rows, newest first, and how many
// match in all: here the second page of two rows of one robot's log.
func ExampleLogs_Query() {
	ctx := context.Background()
	db := exampleDB(ctx)
	defer db.Close()
	logs := exampleLogs(ctx, db)

	page, err := logs.Query(ctx, store.LogFilter{ProcessName: "invoice-robot", Offset: 2, Limit: 2})
	if err != nil {
		panic(err)
	}
	fmt.Println("matching:", page.Total)
	for _, e := range page.Entries {
		fmt.Println(e.Time.Format(time.TimeOnly), e.Level, e.Message)
	}

	// Filters combine: a level and an inclusive time range.
	page, _ = logs.Query(ctx, store.LogFilter{
		Level: store.LogError,
		From:  time.Date(2026, 1, 2, 9, 3, 0, 0, time.UTC),
		To:    time.Date(2026, 1, 2, 9, 4, 0, 0, time.UTC),
	})
	fmt.Println("errors 09:03-09:04:", page.Total, page.Entries[0].ProcessName, page.Entries[0].Message)
	// Output:
	// matching: 3
	// 09:00:00 INFO step 0
	// errors 09:03-09:04: 1 mail-robot step 3
}

// All streams every matching row newest first, in pages behind the scenes,
// so memory stays constant however many rows match. Break to stop early.
func ExampleLogs_All() {
	ctx := context.Background()
	db := exampleDB(ctx)
	defer db.Close()
	logs := exampleLogs(ctx, db)

	for e, err := range logs.All(ctx, store.LogFilter{Search: "step"}) {
		if err != nil {
			panic(err)
		}
		fmt.Println(e.Time.Format(time.TimeOnly), e.ProcessName, e.Message)
		if e.Message == "step 1" {
			break
		}
	}
	// Output:
	// 09:04:00 invoice-robot step 4
	// 09:03:00 mail-robot step 3
	// 09:02:00 invoice-robot step 2
	// 09:01:00 mail-robot step 1
}
