package logs_test

import (
	"context"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/flowstore/flowstore/internal/testdb"
	"github.com/flowstore/flowstore/store"
	"github.com/flowstore/flowstore/store/logs"
)

// BenchmarkLogWrites measures rows/s written through the slog handler
// against the raw driver inserting the same rows with the same multi-row
// INSERT of the handler's batch size, on SQLite and PostgreSQL. The two run
// in alternating rounds, each on a table emptied before it (outside the
// timing), so that neither profits from running first or into a smaller
// table — the way queue's benchmarks compare (see compare there). It
// reports both rows/s and the median per-round handler/raw ratio (the
// target is ≥ 0.8):
//
//	go test ./store/logs -run '^$' -bench LogWrites
//
// examples/bench runs the same comparison and prints the ratio.
func BenchmarkLogWrites(b *testing.B) {
	const batch = 256
	for _, d := range testdb.Live() {
		if d != store.SQLite && d != store.Postgres {
			continue
		}
		b.Run(string(d), func(b *testing.B) {
			b.StopTimer() // each side is timed by itself below
			db := testdb.Fresh(b, d)
			ctx := context.Background()
			clearLogs := func() {
				if _, err := db.SQL().ExecContext(ctx, "DELETE FROM "+db.SQLDialect().Quote("Logs")); err != nil {
					b.Fatal(err)
				}
			}

			// No Run: the benchmark flushes every batch itself.
			h := newHandler(b, db, logs.WithProcessName("bench"), logs.WithBatchSize(batch), logs.WithFlushInterval(time.Hour))
			log := slog.New(h)
			handler := func(n int) time.Duration {
				start := time.Now()
				for i := range n {
					log.Info("benchmark record", "n", i)
					if i%batch == batch-1 {
						if err := h.Flush(ctx); err != nil {
							b.Fatal(err)
						}
					}
				}
				if err := h.Flush(ctx); err != nil {
					b.Fatal(err)
				}
				return time.Since(start)
			}

			insert := func(n int) string {
				return db.SQLDialect().Rebind("INSERT INTO " + db.SQLDialect().Quote("Logs") + " (id, log_time, log_level, process_name, log_message) VALUES " +
					strings.TrimSuffix(strings.Repeat("(?,?,?,?,?),", n), ","))
			}
			full := insert(batch)
			args := make([]any, 0, 5*batch)
			raw := func(n int) time.Duration {
				start := time.Now()
				flush := func(rows int) {
					stmt := full
					if rows != batch {
						stmt = insert(rows)
					}
					if _, err := db.SQL().ExecContext(ctx, stmt, args...); err != nil {
						b.Fatal(err)
					}
					args = args[:0]
				}
				for i := range n {
					id, _ := uuid.NewV7()
					args = append(args, id, db.Now(), "INFO", "bench", "benchmark record n="+strconv.Itoa(i))
					if len(args) == 5*batch {
						flush(batch)
					}
				}
				if len(args) > 0 {
					flush(len(args) / 5)
				}
				return time.Since(start)
			}

			const rounds = 10
			per := max(batch, b.N/rounds)
			var th, tr time.Duration
			ratios := make([]float64, rounds)
			for r := range rounds {
				var dh, dr time.Duration
				if r%2 == 0 {
					clearLogs()
					dr = raw(per)
					clearLogs()
					dh = handler(per)
				} else {
					clearLogs()
					dh = handler(per)
					clearLogs()
					dr = raw(per)
				}
				th += dh
				tr += dr
				ratios[r] = dr.Seconds() / dh.Seconds() // rows/s handler ÷ rows/s raw
			}
			slices.Sort(ratios)
			n := float64(per * rounds)
			b.ReportMetric(n/th.Seconds(), "handler-rows/s")
			b.ReportMetric(n/tr.Seconds(), "raw-rows/s")
			b.ReportMetric((ratios[rounds/2-1]+ratios[rounds/2])/2, "handler/raw")
		})
	}
}
