package main

import (
	"context"
	"fmt"
	"sync/atomic"

	"github.com/google/uuid"

	"github.com/flowstore/flowstore/store"
)

// The cost of flowstore's transaction wrapper: InTx with one parameterized
// insert against database/sql's BeginTx + the same insert + Commit.
func init() {
	for i, workers := range []int{1, 4} {
		register(&benchCase{
			name:    fmt.Sprintf("session: InTx + 1 insert, %d workers", workers),
			order:   900 + i,
			workers: workers,
			ops:     1000,
			library: func(ctx context.Context, db *store.DB, _, _ int) (int, error) {
				return 1, db.InTx(ctx, func(ctx context.Context, s *store.Session) error {
					_, err := s.Raw().ExecContext(ctx, db.SQLDialect().Rebind(insertConstantSQL(db)), nextName("lib"), "v", s.Now())
					return err
				})
			},
			raw: func(ctx context.Context, db *store.DB, _, _ int) (int, error) {
				tx, err := db.SQL().BeginTx(ctx, nil)
				if err != nil {
					return 0, err
				}
				if _, err := tx.ExecContext(ctx, db.SQLDialect().Rebind(insertConstantSQL(db)), nextName("raw"), "v", db.Now()); err != nil {
					_ = tx.Rollback()
					return 0, err
				}
				return 1, tx.Commit()
			},
		})
	}
}

var nameSeq atomic.Int64

// runTag keeps the names of one run apart from those earlier runs left in
// the same database.
var runTag = uuid.NewString()[:8]

// nextName returns a name no other row of the bench uses, in this run or an
// earlier one.
func nextName(prefix string) string {
	return fmt.Sprintf("bench-%s-%s-%d", runTag, prefix, nameSeq.Add(1))
}

func insertConstantSQL(db *store.DB) string {
	return "INSERT INTO " + db.SQLDialect().Quote("Constants") + " (name, value, changed_at) VALUES (?, ?, ?)"
}
