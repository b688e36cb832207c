package main

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"sync"

	"github.com/google/uuid"

	"github.com/flowstore/flowstore/store/logs"
)

// Log writes: records through logs.Handler (format, buffer, batched
// multi-row INSERT) against the raw driver inserting the same rows with the
// same multi-row INSERT of logBatch rows. Each op is one batch: the library
// side logs logBatch records and flushes, the raw side makes logBatch rows
// (id, time, message) and executes one statement. The handler runs (Run)
// for the whole run, as in an application, so its writer may take a full
// batch before Flush does, as it would there. Both write the run's tag as
// the process name (cleanup removes the rows).
const logBatch = 256

func init() {
	register(&benchCase{
		name:    fmt.Sprintf("logs: slog handler, batch %d", logBatch),
		order:   800,
		workers: 1,
		ops:     50 * logBatch,
		prepare: func(ctx context.Context, e *env, _ int) error {
			_, err := e.logHandler()
			return err
		},
		library: func(ctx context.Context, e *env, _, max int) (int, error) {
			h := e.logs.h
			log := slog.New(h)
			n := min(max, logBatch)
			for i := range n {
				log.Info("benchmark record", "n", i)
			}
			return n, h.Flush(ctx)
		},
		raw: func(ctx context.Context, e *env, _, max int) (int, error) {
			n := min(max, logBatch)
			args := make([]any, 0, 5*n)
			for i := range n {
				id, err := uuid.NewV7()
				if err != nil {
					return 0, err
				}
				args = append(args, id, e.db.Now(), "INFO", e.tag, "benchmark record n="+strconv.Itoa(i))
			}
			_, err := e.raw.ExecContext(ctx, e.logs.insert(n), args...)
			return n, err
		},
	})
}

// logSide is the run's log handler and the raw side's INSERTs by row count.
type logSide struct {
	h      *logs.Handler
	insert func(n int) string
}

// logHandler keeps one handler for the whole run, as an application would;
// prepare makes it and starts its Run, untimed.
func (e *env) logHandler() (*logs.Handler, error) {
	if e.logs != nil {
		return e.logs.h, nil
	}
	h, err := logs.NewHandler(e.db, logs.WithProcessName(e.tag), logs.WithBatchSize(logBatch))
	if err != nil {
		return nil, err
	}
	e.bg.goRun("log handler", h.Run)
	d := e.db.SQLDialect()
	cache := map[int]string{}
	var mu sync.Mutex
	e.logs = &logSide{h: h, insert: func(n int) string {
		mu.Lock()
		defer mu.Unlock()
		if q, ok := cache[n]; ok {
			return q
		}
		q := "INSERT INTO " + d.Quote("Logs") + " (id, log_time, log_level, process_name, log_message) VALUES "
		for i := range n {
			if i > 0 {
				q += ","
			}
			q += "(?,?,?,?,?)"
		}
		q = d.Rebind(q)
		cache[n] = q
		return q
	}}
	return h, nil
}
