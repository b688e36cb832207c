package trigger_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/flowstore/flowstore/store"
	"github.com/flowstore/flowstore/trigger"
)

// exampleDB opens a migrated in-memory SQLite database whose clock stands
// still at now.
func exampleDB(now time.Time) *store.DB {
	ctx := context.Background()
	db, err := store.Open(ctx, "sqlite::memory:", store.WithClock(func() time.Time { return now }))
	if err != nil {
		panic(err)
	}
	if err := db.Migrate(ctx); err != nil {
		panic(err)
	}
	return db
}

// Triggers are created per type, found with Due, and started with Begin —
// which exactly one of any number of racing schedulers wins.
func Example() {
	ctx := context.Background()
	now := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	db := exampleDB(now)
	defer db.Close()
	triggers, err := trigger.New(db)
	if err != nil {
		panic(err)
	}

	nightly, err := triggers.Create(ctx, trigger.Spec{
		Type: trigger.Scheduled, Name: "nightly report", ProcessName: "report", ProcessPath: "robots/report.py",
		CronExpr: "CRON_TZ=Europe/Copenhagen 0 2 * * *", NextRun: now.Add(-time.Minute),
	})
	if err != nil {
		panic(err)
	}
	due, _ := triggers.Due(ctx, now, 10)
	fmt.Println("due:", len(due), due[0].Name)

	started, err := triggers.Begin(ctx, due[0], "scheduler-1")
	fmt.Println("scheduler-1:", started.Status, err)
	_, err = triggers.Begin(ctx, due[0], "scheduler-2")
	fmt.Println("scheduler-2:", err != nil)

	status, _ := triggers.End(ctx, nightly.ID)
	got, _ := triggers.Get(ctx, nightly.ID)
	fmt.Println("after the run:", status, "next run", got.NextRun.Format(time.RFC3339))

	_, err = triggers.Create(ctx, trigger.Spec{
		Type: trigger.Scheduled, Name: "typo", ProcessName: "p", ProcessPath: "p.py", CronExpr: "0 25 * * *",
	})
	fmt.Println(err != nil)
	// Output:
	// due: 1 nightly report
	// scheduler-1: RUNNING <nil>
	// scheduler-2: true
	// after the run: IDLE next run 2026-11-23T01:00:00Z
	// true
}

// A Scheduler runs handlers for the due triggers until its context ends;
// then it lets the running handlers finish, records their runs and releases
// its name.
func ExampleScheduler() {
	now := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	db := exampleDB(now)
	defer db.Close()
	triggers, err := trigger.New(db)
	if err != nil {
		panic(err)
	}
	ctx, stop := context.WithCancel(context.Background())
	_, _ = triggers.Create(ctx, trigger.Spec{
		Type: trigger.Single, Name: "once", ProcessName: "hello", ProcessPath: "hello.py", NextRun: now,
	})
	s, err := trigger.NewScheduler(db,
		func(ctx context.Context, t trigger.Trigger) error {
			fmt.Println("running", t.Name, t.ProcessName)
			return nil
		},
		trigger.WithName("box-1"),
		trigger.WithPollInterval(10*time.Millisecond),
		trigger.WithOnSettled(func(t trigger.Trigger, status trigger.Status, err error) {
			fmt.Println("ended", t.Name, status, err)
			stop()
		}),
	)
	if err != nil {
		panic(err)
	}
	if err := s.Run(ctx); err != nil {
		panic(err)
	}
	schedulers, _ := triggers.Schedulers(context.Background())
	fmt.Println("schedulers after the stop:", len(schedulers))
	// Output:
	// running once hello
	// ended once DONE <nil>
	// schedulers after the stop: 0
}

// ParseCron reads standard five-field expressions and descriptors, in the
// zone CRON_TZ names (default UTC); Next returns UTC times. Around a
// daylight-saving change each local time fires at most once: New York's
// clocks fall back from 02:00 EDT to 01:00 EST on 2026-11-01, and a
// schedule of every twenty minutes skips the repeated hour.
func ExampleParseCron() {
	ny, _ := time.LoadLocation("America/New_York")
	s, err := trigger.ParseCron("CRON_TZ=America/New_York */20 * * * *")
	if err != nil {
		panic(err)
	}
	at := time.Date(2026, 11, 1, 5, 10, 0, 0, time.UTC) // 01:10 EDT
	for range 4 {
		at = s.Next(at)
		fmt.Println(at.Format("15:04Z"), "=", at.In(ny).Format("15:04 MST"))
	}

	_, err = trigger.ParseCron("0 25 * * *")
	fmt.Println(errors.Is(err, store.ErrInvalid))
	// Output:
	// 05:20Z = 01:20 EDT
	// 05:40Z = 01:40 EDT
	// 07:00Z = 02:00 EST
	// 07:20Z = 02:20 EST
	// true
}
