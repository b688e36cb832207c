package main

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"sync"

	"github.com/google/uuid"

	"github.com/flowstore/flowstore/store"
)

// Log writes: records through store.LogHandler (format, buffer, batched
// multi-row INSERT) against the raw driver inserting the same rows with the
// same multi-row INSERT of logBatch rows. Each op is one batch: the library
// side logs logBatch records and flushes, the raw side makes logBatch rows
// (id, time, message) and executes one statement.
const logBatch = 256

func init() {
	register(&benchCase{
		name:    fmt.Sprintf("logs: slog handler, batch %d", logBatch),
		order:   800,
		workers: 1,
		ops:     50 * logBatch,
		library: func(ctx context.Context, db *store.DB, _, max int) (int, error) {
			h := logHandlerFor(db)
			log := slog.New(h)
			n := min(max, logBatch)
			for i := range n {
				log.Info("benchmark record", "n", i)
			}
			return n, h.Flush(ctx)
		},
		raw: func(ctx context.Context, db *store.DB, _, max int) (int, error) {
			n := min(max, logBatch)
			args := make([]any, 0, 5*n)
			for i := range n {
				id, err := uuid.NewV7()
				if err != nil {
					return 0, err
				}
				args = append(args, id, db.Now(), "INFO", "bench", "benchmark record n="+strconv.Itoa(i))
			}
			_, err := db.SQL().ExecContext(ctx, rawLogInsert(db, n), args...)
			return n, err
		},
	})
}

var (
	logHandlersMu sync.Mutex
	logHandlers   = map[*store.DB]*store.LogHandler{}
	rawLogSQL     sync.Map
)

// logHandlerFor keeps one handler per database for the whole run, as an
// application would.
func logHandlerFor(db *store.DB) *store.LogHandler {
	logHandlersMu.Lock()
	defer logHandlersMu.Unlock()
	h, ok := logHandlers[db]
	if !ok {
		h = store.NewLogHandler(store.NewLogs(db), store.LogHandlerOptions{ProcessName: "bench", BatchSize: logBatch})
		logHandlers[db] = h
	}
	return h
}

func rawLogInsert(db *store.DB, n int) string {
	if q, ok := rawLogSQL.Load(n); ok {
		return q.(string)
	}
	q := "INSERT INTO " + db.Dialect().Quote("Logs") + " (id, log_time, log_level, process_name, log_message) VALUES "
	for i := range n {
		if i > 0 {
			q += ","
		}
		q += "(?,?,?,?,?)"
	}
	q = db.Dialect().Rebind(q)
	rawLogSQL.Store(n, q)
	return q
}
