package pipeline

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/flowstore/flowstore/internal/golden"
	"github.com/flowstore/flowstore/internal/testdb"
	"github.com/flowstore/flowstore/store"
)

// recorder keeps the statements bun formats, including those the offline
// database then fails to run.
type recorder struct{ stmts []string }

func (r *recorder) BeforeQuery(ctx context.Context, _ *bun.QueryEvent) context.Context { return ctx }
func (r *recorder) AfterQuery(_ context.Context, e *bun.QueryEvent) {
	r.stmts = append(r.stmts, e.Query)
}

// TestStatementsGolden pins the statements the concurrency guarantees rest
// on, for every dialect — for SQL Server, which cannot run here, the only
// check besides review.
func TestStatementsGolden(t *testing.T) {
	at := time.Date(2026, 3, 1, 10, 5, 0, 123456000, time.UTC)
	for _, d := range store.Dialects() {
		rec := &recorder{}
		db, err := store.New(testdb.Offline(d).Bun().WithQueryHook(rec), store.WithClock(func() time.Time { return at }))
		if err != nil {
			t.Fatal(err)
		}
		h, ctx := db.Handle(), context.Background()
		var b strings.Builder
		step := func(name string, run func()) {
			rec.stmts = nil
			run()
			fmt.Fprintf(&b, "-- %s\n", name)
			for _, s := range rec.stmts {
				fmt.Fprintf(&b, "%s;\n", s)
			}
			b.WriteString("\n")
		}
		step("start run: allocate sequence and instance", func() { _, _ = startRun(ctx, h, 42, StartOptions{}) })
		step("transition to Doing", func() {
			_ = transition(ctx, h, LevelAction, 7, RunDoing, RunDoing.from(), "")
		})
		step("transition to Failed", func() {
			_ = transition(ctx, h, LevelWorkflow, 7, RunFailed, RunFailed.from(), ReasonWorkflowRunFailed)
		})
		step("release instance", func() { _ = releaseInstance(ctx, h, 7) })
		step("claim timer", func() { _, _ = claimTimer(ctx, h, 3, at, at.Add(5*time.Minute)) })
		step("lock versions", func() { _ = lockVersions(ctx, h, versionLockFor(d), "acme", "shop", "deploy") })
		step("soft delete", func() { _ = softDelete(ctx, h, (*Stage)(nil), "id", 9, true) })
		step("locked read of a run's authorisations", func() { _, _ = loadGate(ctx, h, LevelWorkflow, 7, rowLockFor(d)) })
		golden.Assert(t, "testdata/statements/"+string(d)+".sql", b.String())
	}
}
