package trigger

import (
	"context"
	"database/sql"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/flowstore/flowstore/internal/testdb"
	"github.com/flowstore/flowstore/store"
)

// benchNow is the instant the Due benchmark asks about.
var benchNow = time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)

// seedTriggers inserts n triggers (40% scheduled, 40% single, 20% queue,
// each queue trigger with a queue of its own) of which about 1% are due at
// benchNow, and returns how many are due. bigQueue > 0 puts that many NEW
// elements into the first queue trigger's queue instead of its usual three,
// so that Due's COUNT for it reads as many index entries.
func seedTriggers(tb testing.TB, db *store.DB, n, bigQueue int) int {
	tb.Helper()
	ctx := context.Background()
	// The rows as OpenOrchestrator writes them: ids as RefUUID, times as
	// naive wall clocks (Naive).
	type triggerRow struct {
		ID            any    `bun:"id"`
		TriggerName   string `bun:"trigger_name"`
		ProcessName   string `bun:"process_name"`
		ProcessPath   string `bun:"process_path"`
		ProcessStatus Status `bun:"process_status"`
		IsGitRepo     bool   `bun:"is_git_repo"`
		IsBlocking    bool   `bun:"is_blocking"`
		Type          Type   `bun:"type"`
		Priority      int    `bun:"priority"`
	}
	type scheduledRow struct {
		ID       any    `bun:"id"`
		CronExpr string `bun:"cron_expr"`
		NextRun  any    `bun:"next_run"`
	}
	type singleRow struct {
		ID      any `bun:"id"`
		NextRun any `bun:"next_run"`
	}
	type queueRow struct {
		ID           any    `bun:"id"`
		QueueName    string `bun:"queue_name"`
		MinBatchSize int    `bun:"min_batch_size"`
	}
	var parents []triggerRow
	var scheds []scheduledRow
	var singles []singleRow
	var queues []queueRow
	type element struct {
		ID          any    `bun:"id"`
		QueueName   string `bun:"queue_name"`
		Status      string `bun:"status"`
		CreatedDate any    `bun:"created_date"`
	}
	var elements []element
	due := 0
	for i := range n {
		id := db.RefUUID(uuid.New())
		isDue := i%97 == 0 // every type, and both priorities, among the due
		isBig := bigQueue > 0 && i == 4
		isDue = isDue || isBig
		if isDue {
			due++
		}
		next := benchNow.Add(time.Duration(1+i) * time.Minute)
		if isDue {
			next = benchNow.Add(-time.Duration(1+i) * time.Second)
		}
		p := triggerRow{ID: id, TriggerName: fmt.Sprintf("t-%05d", i), ProcessName: "p", ProcessPath: "p.py",
			ProcessStatus: StatusIdle, Priority: i % 3}
		switch i % 5 {
		case 0, 1:
			p.Type = Scheduled
			scheds = append(scheds, scheduledRow{ID: id, CronExpr: "*/5 * * * *", NextRun: db.Naive(next)})
		case 2, 3:
			p.Type = Single
			singles = append(singles, singleRow{ID: id, NextRun: db.Naive(next)})
		default:
			p.Type = Queue
			qn := fmt.Sprintf("queue-%05d", i)
			queues = append(queues, queueRow{ID: id, QueueName: qn, MinBatchSize: 3})
			have := 1
			if isDue {
				have = 3
			}
			if isBig {
				have = bigQueue
			}
			for range have {
				elements = append(elements, element{ID: db.RefUUID(uuid.New()), QueueName: qn, Status: "NEW", CreatedDate: db.Naive(benchNow)})
			}
		}
		parents = append(parents, p)
	}
	insert := func(table string, model any) {
		if _, err := db.Bun().NewInsert().Model(model).ModelTableExpr(db.SQLDialect().Quote(table)).Exec(ctx); err != nil {
			tb.Fatalf("seed %s: %v", table, err)
		}
	}
	for start := 0; start < len(parents); start += 500 {
		end := min(start+500, len(parents))
		chunk := parents[start:end]
		insert("Triggers", &chunk)
	}
	for start := 0; start < len(scheds); start += 500 {
		chunk := scheds[start:min(start+500, len(scheds))]
		insert("Scheduled_Triggers", &chunk)
	}
	for start := 0; start < len(singles); start += 500 {
		chunk := singles[start:min(start+500, len(singles))]
		insert("Single_Triggers", &chunk)
	}
	for start := 0; start < len(queues); start += 500 {
		chunk := queues[start:min(start+500, len(queues))]
		insert("Queue_Triggers", &chunk)
	}
	for start := 0; start < len(elements); start += 1000 {
		chunk := elements[start:min(start+1000, len(elements))]
		insert("Queues", &chunk)
	}
	// Fresh statistics, as a live database would have.
	switch db.SQLDialect().Name() {
	case store.Postgres:
		_, _ = db.SQL().ExecContext(ctx, "ANALYZE")
	case store.SQLite:
		_, _ = db.SQL().ExecContext(ctx, "ANALYZE")
	case store.MySQL:
		for _, t := range []string{"Triggers", "Scheduled_Triggers", "Single_Triggers", "Queue_Triggers", "Queues"} {
			_, _ = db.SQL().ExecContext(ctx, "ANALYZE TABLE "+db.SQLDialect().Quote(t))
		}
	}
	return due
}

// BenchmarkDue measures Due over 10,000 triggers (104 of them due, of all
// three types) on every live dialect: the library (bun, values inlined, rows
// scanned into Trigger) against the raw driver running the same statement
// with bound parameters and reading the rows as raw bytes. Both run in the
// same loop, one call each per iteration, so they see the same database in
// the same state; the result reports
//
//	ns/op, lib-ns/op  the library's due set without a limit, as the scheduler asks for it
//	raw-ns/op         the raw driver
//	lib/raw           the ratio of the two
//	rows              the rows each returned
//	limit4-ns/op      the library's Due(now, 4): what a limit would save
//
// Seeds: "10k" as above; "10k+100k-queue" the same with 100,000 NEW elements
// in one due queue trigger's queue, so that its COUNT reads that many index
// entries (Due counts every queue trigger's NEW elements).
func BenchmarkDue(b *testing.B) {
	seeds := []struct {
		name     string
		bigQueue int
	}{{"10k", 0}, {"10k+100k-queue", 100_000}}
	for _, d := range testdb.Live() {
		if d == store.SQLServer {
			continue
		}
		for _, seed := range seeds {
			b.Run(string(d)+"/"+seed.name, func(b *testing.B) {
				db := testdb.Fresh(b, d)
				due := seedTriggers(b, db, 10_000, seed.bigQueue)
				s, err := newStore(db)
				if err != nil {
					b.Fatal(err)
				}
				ctx := context.Background()
				query := db.SQLDialect().Rebind(s.sql.due)
				var lib, raw, limited time.Duration
				n := 0
				for b.Loop() {
					n++
					t0 := time.Now()
					ts, err := s.due(ctx, benchNow, 0)
					t1 := time.Now()
					if err != nil || len(ts) != due {
						b.Fatalf("library due: %d of %d, %v", len(ts), due, err)
					}
					rows, err := rawDue(ctx, db.SQL(), query, db.Naive(benchNow))
					t2 := time.Now()
					if err != nil || rows != due {
						b.Fatalf("raw due: %d of %d, %v", rows, due, err)
					}
					first, err := s.Due(ctx, benchNow, 4)
					t3 := time.Now()
					if err != nil || len(first) != 4 {
						b.Fatalf("due (limit 4): %d, %v", len(first), err)
					}
					lib, raw, limited = lib+t1.Sub(t0), raw+t2.Sub(t1), limited+t3.Sub(t2)
				}
				perOp := func(d time.Duration) float64 { return float64(d.Nanoseconds()) / float64(n) }
				b.ReportMetric(perOp(lib), "ns/op")
				b.ReportMetric(perOp(lib), "lib-ns/op")
				b.ReportMetric(perOp(raw), "raw-ns/op")
				b.ReportMetric(float64(lib)/float64(raw), "lib/raw")
				b.ReportMetric(float64(due), "rows")
				b.ReportMetric(perOp(limited), "limit4-ns/op")
			})
		}
	}
}

func rawDue(ctx context.Context, db *sql.DB, query string, now any) (int, error) {
	rows, err := db.QueryContext(ctx, query, now, now)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return 0, err
	}
	vals := make([]sql.RawBytes, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	n := 0
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return 0, err
		}
		n++
	}
	return n, rows.Err()
}

// BenchmarkBeginEnd measures one scheduled run's bookkeeping — Begin (its
// transaction of four statements) and End (two) — on every live dialect,
// against the raw driver running the same statements with bound parameters
// in the same transactions. The store clock advances a minute per run, so
// the trigger is due every time.
func BenchmarkBeginEnd(b *testing.B) {
	for _, d := range testdb.Live() {
		if d == store.SQLServer {
			continue
		}
		b.Run(string(d), func(b *testing.B) {
			ctx := context.Background()
			base := testdb.Fresh(b, d)
			var tick atomic.Int64
			clock := func() time.Time { return benchNow.Add(time.Duration(tick.Load()) * time.Minute) }
			db, err := store.Open(ctx, testdb.DSN(b, base), store.WithClock(clock))
			if err != nil {
				b.Fatal(err)
			}
			defer db.Close()
			s, err := newStore(db)
			if err != nil {
				b.Fatal(err)
			}
			if err := s.Heartbeat(ctx, "bench"); err != nil {
				b.Fatal(err)
			}
			tr, err := s.Create(ctx, Spec{Type: Scheduled, Name: "bench", ProcessName: "p", ProcessPath: "p.py", CronExpr: "* * * * *", NextRun: benchNow})
			if err != nil {
				b.Fatal(err)
			}
			b.Run("library", func(b *testing.B) {
				for b.Loop() {
					tick.Add(1)
					if _, err := s.Begin(ctx, tr, "bench"); err != nil {
						b.Fatal(err)
					}
					if _, err := s.transition(ctx, opEndOwn, tr.ID, "bench"); err != nil {
						b.Fatal(err)
					}
				}
			})
			b.Run("raw", func(b *testing.B) {
				sq, d := s.sql, db.SQLDialect()
				beginTrigger, cronOf, beginScheduled, noteLatest := d.Rebind(sq.beginTrigger), d.Rebind(sq.cronOf), d.Rebind(sq.beginScheduled), d.Rebind(sq.noteLatest)
				end, statusOf := d.Rebind(sq.transitions[opEndOwn].sql), d.Rebind(sq.statusOf)
				id := db.RefUUID(tr.ID)
				for b.Loop() {
					tick.Add(1)
					now := db.Naive(db.Now())
					if err := rawTx(ctx, db.SQL(), func(tx *sql.Tx) error {
						res, err := tx.ExecContext(ctx, beginTrigger, now, "bench", id, string(Scheduled))
						if err != nil {
							return err
						}
						if n, _ := res.RowsAffected(); n != 1 {
							return fmt.Errorf("not started")
						}
						var cron string
						if err := tx.QueryRowContext(ctx, cronOf, id).Scan(&cron); err != nil {
							return err
						}
						sched, err := ParseCron(cron)
						if err != nil {
							return err
						}
						next := sched.In(db.Zone()).next(db.Now(), db.Zone())
						if _, err := tx.ExecContext(ctx, beginScheduled, db.Naive(next), id, now); err != nil {
							return err
						}
						_, err = tx.ExecContext(ctx, noteLatest, "bench", now, "bench")
						return err
					}); err != nil {
						b.Fatal(err)
					}
					if err := rawTx(ctx, db.SQL(), func(tx *sql.Tx) error {
						if _, err := tx.ExecContext(ctx, end, id, "bench"); err != nil {
							return err
						}
						var st string
						return tx.QueryRowContext(ctx, statusOf, id).Scan(&st)
					}); err != nil {
						b.Fatal(err)
					}
				}
			})
		})
	}
}

func rawTx(ctx context.Context, db *sql.DB, fn func(*sql.Tx) error) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	return tx.Commit()
}
