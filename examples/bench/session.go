package main

import (
	"context"
	"fmt"

	"github.com/flowstore/flowstore/store"
)

// The cost of flowstore's transaction wrapper: InTx with one parameterized
// insert against database/sql's BeginTx + the same insert + Commit, on the
// raw pool. Both insert constants named after the run (cleanup removes
// them).
func init() {
	for i, workers := range []int{1, 4} {
		register(&benchCase{
			name:    fmt.Sprintf("session: InTx + 1 insert, %d workers", workers),
			order:   900 + i,
			workers: workers,
			ops:     1000,
			library: func(ctx context.Context, e *env, _, _ int) (int, error) {
				return 1, e.db.InTx(ctx, func(ctx context.Context, s *store.Session) error {
					_, err := s.Raw().ExecContext(ctx, insertConstantSQL(e.db), e.name("lib"), "v", s.Now())
					return err
				})
			},
			raw: func(ctx context.Context, e *env, _, _ int) (int, error) {
				tx, err := e.raw.BeginTx(ctx, nil)
				if err != nil {
					return 0, err
				}
				if _, err := tx.ExecContext(ctx, insertConstantSQL(e.db), e.name("raw"), "v", e.db.Now()); err != nil {
					_ = tx.Rollback()
					return 0, err
				}
				return 1, tx.Commit()
			},
		})
	}
}

func insertConstantSQL(db *store.DB) string {
	d := db.SQLDialect()
	return d.Rebind("INSERT INTO " + d.Quote("Constants") + " (name, value, changed_at) VALUES (?, ?, ?)")
}
