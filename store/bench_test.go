package store_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/flowstore/flowstore/internal/testdb"
	"github.com/flowstore/flowstore/store"
)

var benchSeq int // unique names across the repeated runs of a benchmark

// BenchmarkPostgresExecMode measures how pgx's query exec modes serve bun's
// statements, which inline every value and so are new texts each time. It
// is the measurement behind Open's default_query_exec_mode=exec:
//
//	go test ./store -run '^$' -bench PostgresExecMode
func BenchmarkPostgresExecMode(b *testing.B) {
	live := false
	for _, d := range testdb.Live() {
		live = live || d == store.Postgres
	}
	if !live {
		b.Skip("PostgreSQL is not live")
	}
	dsn := testdb.FreshDSN(b, store.Postgres)
	ctx := context.Background()
	setup, err := store.Open(ctx, dsn)
	if err != nil {
		b.Fatal(err)
	}
	if err := setup.Migrate(ctx); err != nil {
		b.Fatal(err)
	}
	setup.Close()
	for _, mode := range []string{"cache_statement", "cache_describe", "describe_exec", "exec", "simple_protocol"} {
		b.Run(mode, func(b *testing.B) {
			sep := "?"
			if strings.Contains(dsn, "?") {
				sep = "&"
			}
			db, err := store.Open(ctx, dsn+sep+"default_query_exec_mode="+mode)
			if err != nil {
				b.Fatal(err)
			}
			defer db.Close()
			b.ResetTimer()
			for range b.N {
				benchSeq++
				name := fmt.Sprintf("%s-%d", mode, benchSeq)
				c := constant{Name: name, Value: "v", ChangedAt: time.Now()}
				if _, err := db.Bun().NewInsert().Model(&c).Exec(ctx); err != nil {
					b.Fatal(err)
				}
				var got constant
				if err := db.Bun().NewSelect().Model(&got).Where("name = ?", name).Scan(ctx); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
