package main

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"sync"

	"github.com/google/uuid"

	"github.com/flowstore/flowstore/store"
	"github.com/flowstore/flowstore/store/logs"
)

// Log writes: records through logs.Handler (format, buffer, batched
// multi-row INSERT) against the raw driver inserting the same rows with the
// same multi-row INSERT of logBatch rows. Each op is one batch: the library
// side logs logBatch records and flushes, the raw side makes logBatch rows
// (id, time, message) and executes one statement. The handler runs (Run)
// for the whole run, as in an application, so its writer may take a full
// batch before Flush does, as it would there.
const logBatch = 256

func init() {
	register(&benchCase{
		name:    fmt.Sprintf("logs: slog handler, batch %d", logBatch),
		order:   800,
		workers: 1,
		ops:     50 * logBatch,
		prepare: func(ctx context.Context, db *store.DB, _ int) error {
			_, err := logHandlerFor(db)
			return err
		},
		library: func(ctx context.Context, db *store.DB, _, max int) (int, error) {
			h, err := logHandlerFor(db)
			if err != nil {
				return 0, err
			}
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
	logHandlers   = map[*store.DB]*logs.Handler{}
	rawLogSQL     sync.Map // rawLogKey → the INSERT in the database's dialect
)

type rawLogKey struct {
	db   *store.DB
	rows int
}

// logHandlerFor keeps one handler per database for the whole run, as an
// application would; prepare makes it and starts its Run, untimed.
func logHandlerFor(db *store.DB) (*logs.Handler, error) {
	logHandlersMu.Lock()
	defer logHandlersMu.Unlock()
	if h, ok := logHandlers[db]; ok {
		return h, nil
	}
	h, err := logs.NewHandler(db, logs.WithProcessName("bench"), logs.WithBatchSize(logBatch))
	if err != nil {
		return nil, err
	}
	goRun(db, "log handler", h.Run)
	logHandlers[db] = h
	return h, nil
}

func rawLogInsert(db *store.DB, n int) string {
	key := rawLogKey{db, n}
	if q, ok := rawLogSQL.Load(key); ok {
		return q.(string)
	}
	q := "INSERT INTO " + db.SQLDialect().Quote("Logs") + " (id, log_time, log_level, process_name, log_message) VALUES "
	for i := range n {
		if i > 0 {
			q += ","
		}
		q += "(?,?,?,?,?)"
	}
	q = db.SQLDialect().Rebind(q)
	rawLogSQL.Store(key, q)
	return q
}
