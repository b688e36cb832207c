package store_test

import (
	"context"
	"log/slog"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/flowstore/flowstore/internal/testdb"
	"github.com/flowstore/flowstore/store"
)

// BenchmarkLogWrites measures rows/s written through the slog handler
// against the raw driver inserting the same rows with the same multi-row
// INSERT of the handler's batch size, on SQLite and PostgreSQL. Compare the
// two rows/s figures of one dialect (the ratio target is ≥ 0.8):
//
//	go test ./store -run '^$' -bench LogWrites
//
// examples/bench runs the same comparison and prints the ratio.
func BenchmarkLogWrites(b *testing.B) {
	const batch = 256
	for _, d := range testdb.Live() {
		if d != store.SQLite && d != store.Postgres {
			continue
		}
		b.Run(string(d), func(b *testing.B) {
			db := testdb.Fresh(b, d)
			ctx := context.Background()
			b.Run("handler", func(b *testing.B) {
				h := store.NewLogHandler(store.NewLogs(db), store.LogHandlerOptions{ProcessName: "bench", BatchSize: batch, FlushInterval: time.Hour})
				defer h.Close(ctx)
				log := slog.New(h)
				start := time.Now()
				for i := 0; b.Loop(); i++ {
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
				b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "rows/s")
			})
			b.Run("raw", func(b *testing.B) {
				q := "INSERT INTO " + d.Quote("Logs") + " (id, log_time, log_level, process_name, log_message) VALUES " +
					strings.TrimSuffix(strings.Repeat("(?,?,?,?,?),", batch), ",")
				q = d.Rebind(q)
				args := make([]any, 0, 5*batch)
				start := time.Now()
				flush := func(n int) {
					stmt := q
					if n != batch {
						stmt = d.Rebind("INSERT INTO " + d.Quote("Logs") + " (id, log_time, log_level, process_name, log_message) VALUES " +
							strings.TrimSuffix(strings.Repeat("(?,?,?,?,?),", n), ","))
					}
					if _, err := db.SQL().ExecContext(ctx, stmt, args...); err != nil {
						b.Fatal(err)
					}
					args = args[:0]
				}
				for i := 0; b.Loop(); i++ {
					id, _ := uuid.NewV7()
					args = append(args, id, db.Now(), "INFO", "bench", "benchmark record n="+strconv.Itoa(i))
					if len(args) == 5*batch {
						flush(batch)
					}
				}
				if len(args) > 0 {
					flush(len(args) / 5)
				}
				b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "rows/s")
			})
		})
	}
}
