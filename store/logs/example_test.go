package logs_test

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/flowstore/flowstore/store"
	"github.com/flowstore/flowstore/store/logs"
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

// A Handler sends slog records to the Logs table in batches while Run
// runs; when Run's context ends, it writes what is still buffered and
// returns.
func ExampleHandler() {
	ctx := context.Background()
	db := exampleDB(ctx)
	defer db.Close()
	h, err := logs.NewHandler(db, logs.WithProcessName("invoice-robot"))
	if err != nil {
		panic(err)
	}
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- h.Run(runCtx) }()
	log := slog.New(h)

	log.Info("invoice booked", "number", 1042)
	log.Error("invoice rejected", "number", 1043)
	stop()
	if err := <-done; err != nil { // Run has written what was buffered
		panic(err)
	}

	l, _ := logs.New(db)
	page, _ := l.Query(ctx, logs.Filter{ProcessName: "invoice-robot"})
	for _, e := range page.Entries {
		fmt.Println(e.Level, e.Message)
	}
	// Output:
	// ERROR invoice rejected number=1043
	// INFO invoice booked number=1042
}

// exampleLogs writes five log rows, one a minute, alternating two robots.
func exampleLogs(ctx context.Context, db *store.DB) logs.Store {
	l, err := logs.New(db)
	if err != nil {
		panic(err)
	}
	at := time.Date(2026, 1, 2, 9, 0, 0, 0, time.UTC)
	var batch []logs.Entry
	for i := range 5 {
		level := logs.LevelInfo
		if i == 3 {
			level = logs.LevelError
		}
		batch = append(batch, logs.Entry{
			Time:        at.Add(time.Duration(i) * time.Minute),
			Level:       level,
			ProcessName: []string{"invoice-robot", "mail-robot"}[i%2],
			Message:     fmt.Sprintf("step %d", i),
		})
	}
	if err := l.WriteBatch(ctx, batch); err != nil {
		panic(err)
	}
	return l
}

// Query returns one page of the matching rows, newest first, and how many
// match in all: here the second page of two rows of one robot's log.
func ExampleStore_Query() {
	ctx := context.Background()
	db := exampleDB(ctx)
	defer db.Close()
	l := exampleLogs(ctx, db)

	page, err := l.Query(ctx, logs.Filter{ProcessName: "invoice-robot", Offset: 2, Limit: 2})
	if err != nil {
		panic(err)
	}
	fmt.Println("matching:", page.Total)
	for _, e := range page.Entries {
		fmt.Println(e.Time.Format(time.TimeOnly), e.Level, e.Message)
	}

	// Filters combine: a level and an inclusive time range.
	page, _ = l.Query(ctx, logs.Filter{
		Level: logs.LevelError,
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
func ExampleStore_All() {
	ctx := context.Background()
	db := exampleDB(ctx)
	defer db.Close()
	l := exampleLogs(ctx, db)

	for e, err := range l.All(ctx, logs.Filter{Search: "step"}) {
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
