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
// benchNow, and returns how many are due.
func seedTriggers(tb testing.TB, db *store.DB, n int) int {
	tb.Helper()
	ctx := context.Background()
	var parents []triggerRow
	var scheds []scheduledRow
	var singles []singleRow
	var queues []queueRow
	type element struct {
		ID          uuid.UUID `bun:"id,pk"`
		QueueName   string    `bun:"queue_name"`
		Status      string    `bun:"status"`
		CreatedDate time.Time `bun:"created_date"`
	}
	var elements []element
	due := 0
	for i := range n {
		id := uuid.New()
		isDue := i%97 == 0 // every type, and both priorities, among the due
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
			scheds = append(scheds, scheduledRow{ID: id, CronExpr: "*/5 * * * *", NextRun: next})
		case 2, 3:
			p.Type = Single
			singles = append(singles, singleRow{ID: id, NextRun: next})
		default:
			p.Type = Queue
			qn := fmt.Sprintf("queue-%05d", i)
			queues = append(queues, queueRow{ID: id, QueueName: qn, MinBatchSize: 3})
			have := 1
			if isDue {
				have = 3
			}
			for range have {
				elements = append(elements, element{ID: uuid.New(), QueueName: qn, Status: "NEW", CreatedDate: benchNow})
			}
		}
		parents = append(parents, p)
	}
	insert := func(table string, model any) {
		if _, err := db.Bun().NewInsert().Model(model).ModelTableExpr(db.Dialect().Quote(table)).Exec(ctx); err != nil {
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
	for start := 0; start < len(elements); start += 500 {
		chunk := elements[start:min(start+500, len(elements))]
		insert("Queues", &chunk)
	}
	// Fresh statistics, as a live database would have.
	switch db.Dialect() {
	case store.Postgres:
		_, _ = db.SQL().ExecContext(ctx, "ANALYZE")
	case store.SQLite:
		_, _ = db.SQL().ExecContext(ctx, "ANALYZE")
	case store.MySQL:
		for _, t := range []string{"Triggers", "Scheduled_Triggers", "Single_Triggers", "Queue_Triggers", "Queues"} {
			_, _ = db.SQL().ExecContext(ctx, "ANALYZE TABLE "+db.Dialect().Quote(t))
		}
	}
	return due
}

// BenchmarkDue measures Due over 10,000 triggers (104 of them due, of all three types) on every
// live dialect: the library (bun, values inlined, rows scanned into
// Trigger) against the raw driver running the same statement with bound
// parameters and reading the rows as raw bytes.
func BenchmarkDue(b *testing.B) {
	for _, d := range testdb.Live() {
		if d == store.SQLServer {
			continue
		}
		b.Run(string(d), func(b *testing.B) {
			db := testdb.Fresh(b, d)
			due := seedTriggers(b, db, 10_000)
			s := New(db)
			ctx := context.Background()
			b.Run("library", func(b *testing.B) {
				for b.Loop() {
					ts, err := s.Due(ctx, benchNow, 0)
					if err != nil || len(ts) != due {
						b.Fatalf("due: %d of %d, %v", len(ts), due, err)
					}
				}
			})
			b.Run("raw", func(b *testing.B) {
				query := d.Rebind(s.sql.due)
				for b.Loop() {
					n, err := rawDue(ctx, db.SQL(), query, benchNow)
					if err != nil || n != due {
						b.Fatalf("due: %d of %d, %v", n, due, err)
					}
				}
			})
			b.Run("library-first", func(b *testing.B) {
				for b.Loop() {
					ts, err := s.Due(ctx, benchNow, 1)
					if err != nil || len(ts) != 1 {
						b.Fatalf("due: %d, %v", len(ts), err)
					}
				}
			})
		})
	}
}

func rawDue(ctx context.Context, db *sql.DB, query string, now time.Time) (int, error) {
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
			s := New(db)
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
				sq := s.sql
				beginTrigger, cronOf, beginScheduled, noteLatest := d.Rebind(sq.beginTrigger), d.Rebind(sq.cronOf), d.Rebind(sq.beginScheduled), d.Rebind(sq.noteLatest)
				end, statusOf := d.Rebind(sq.transitions[opEndOwn].sql), d.Rebind(sq.statusOf)
				id := tr.ID.String()
				for b.Loop() {
					tick.Add(1)
					now := db.Now()
					if err := rawTx(ctx, db.SQL(), func(tx *sql.Tx) error {
						res, err := tx.ExecContext(ctx, beginTrigger, now, "bench", id, string(Scheduled))
						if err != nil {
							return err
						}
						if n, _ := res.RowsAffected(); n != 1 {
							return fmt.Errorf("not started")
						}
						var cron string
						var next any
						if err := tx.QueryRowContext(ctx, cronOf, id).Scan(&cron, &next); err != nil {
							return err
						}
						sched, err := ParseCron(cron)
						if err != nil {
							return err
						}
						if _, err := tx.ExecContext(ctx, beginScheduled, sched.Next(now), id, now); err != nil {
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
