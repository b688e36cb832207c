package queue

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/google/uuid"

	"github.com/flowstore/flowstore/internal/testdb"
	"github.com/flowstore/flowstore/store"
)

// The benchmarks compare the library with the raw driver running the same
// SQL with bound parameters, in the same run on the same database, on
// SQLite and PostgreSQL (set FLOWSTORE_TEST_POSTGRES to choose the server):
//
//	go test ./queue -run '^$' -bench . -benchtime 2000x
//
// Each op of BenchmarkClaimFinish is one element claimed and finished; of
// BenchmarkClaimFinishBatch one element worked in batches; of
// BenchmarkEnqueueBatch one element inserted in batches of 1000. Compare
// the lib and raw lines of one benchmark: their ns/op ratio is the figure.

var benchDialects = []store.Dialect{store.SQLite, store.Postgres}

func benchDB(b *testing.B, d store.Dialect) *store.DB {
	b.Helper()
	return testdb.Fresh(b, d)
}

// refill empties the table and enqueues n NEW elements.
func refill(b *testing.B, db *store.DB, n int) {
	b.Helper()
	ctx := context.Background()
	if _, err := db.SQL().ExecContext(ctx, `DELETE FROM "Queues"`); err != nil {
		b.Fatal(err)
	}
	s := New(db)
	for lo := 0; lo < n; lo += 10000 {
		k := min(10000, n-lo)
		refs, data := make([]string, k), make([]string, k)
		for i := range refs {
			refs[i], data[i] = strconv.Itoa(lo+i), `{"n":1}`
		}
		if _, err := s.EnqueueBatch(ctx, "bench", refs, data, "bench"); err != nil {
			b.Fatal(err)
		}
	}
}

// parallel works n elements over workers goroutines, each op taking up to
// per of them: op(ctx, k) must work exactly k elements and report success.
// Reserving before claiming keeps every claim non-empty.
func parallel(b *testing.B, workers, n, per int, op func(ctx context.Context, k int) bool) {
	b.Helper()
	var left atomic.Int64
	left.Store(int64(n))
	var wg sync.WaitGroup
	ctx := context.Background()
	for range workers {
		wg.Go(func() {
			for {
				cur := left.Load()
				if cur <= 0 {
					return
				}
				k := min(int64(per), cur)
				if !left.CompareAndSwap(cur, cur-k) {
					continue
				}
				if !op(ctx, int(k)) {
					return
				}
			}
		})
	}
	wg.Wait()
}

// rawElement is what the raw side scans: the same columns, in plain
// database/sql types (times as driver values: SQLite returns text).
type rawElement struct {
	id                         uuid.UUID
	queue, status              string
	data, ref, msg, by         sql.NullString
	created, started, finished any
}

func rawClaim(ctx context.Context, db *sql.DB, query string, args ...any) ([]rawElement, error) {
	rows, err := db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []rawElement
	for rows.Next() {
		var e rawElement
		if err := rows.Scan(&e.id, &e.queue, &e.status, &e.data, &e.ref, &e.created, &e.started, &e.finished, &e.msg, &e.by); err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

func BenchmarkClaimFinish(b *testing.B) {
	for _, d := range benchDialects {
		for _, workers := range []int{1, 4, 16} {
			b.Run(fmt.Sprintf("%s/workers=%d", d, workers), func(b *testing.B) {
				db := benchDB(b, d)
				ds := newDialectSQL(d)
				claimSQL := ds.claims[claimKind{}].SQL
				lib := func(b *testing.B) {
					refill(b, db, b.N)
					s := New(db)
					b.ResetTimer()
					parallel(b, workers, b.N, 1, func(ctx context.Context, _ int) bool {
						e, err := s.Claim(ctx, "bench")
						if err != nil {
							b.Error(err)
							return false
						}
						if err := s.Finish(ctx, e.ID, Done("")); err != nil {
							b.Error(err)
							return false
						}
						return true
					})
				}
				raw := func(b *testing.B) {
					refill(b, db, b.N)
					raw := db.SQL()
					b.ResetTimer()
					parallel(b, workers, b.N, 1, func(ctx context.Context, _ int) bool {
						els, err := rawClaim(ctx, raw, claimSQL, db.Now(), "bench", 1)
						if err != nil || len(els) != 1 {
							b.Error(len(els), err)
							return false
						}
						res, err := raw.ExecContext(ctx, ds.finish1, "DONE", db.Now(), els[0].id)
						if err != nil {
							b.Error(err)
							return false
						}
						if n, _ := res.RowsAffected(); n != 1 {
							b.Error("not finished")
							return false
						}
						return true
					})
				}
				pair(b, raw, lib)
			})
		}
	}
}

// pair runs raw and lib twice, alternating, so that neither side always
// runs on the colder or the fuller database (the first run on a fresh
// database is measurably slower).
func pair(b *testing.B, raw, lib func(b *testing.B)) {
	b.Run("raw", raw)
	b.Run("lib", lib)
	b.Run("raw", raw)
	b.Run("lib", lib)
}

const benchBatch = 100

func BenchmarkClaimFinishBatch(b *testing.B) {
	for _, d := range benchDialects {
		for _, workers := range []int{1, 4} {
			b.Run(fmt.Sprintf("%s/workers=%d/batch=%d", d, workers, benchBatch), func(b *testing.B) {
				db := benchDB(b, d)
				ds := newDialectSQL(d)
				claimSQL := ds.claims[claimKind{}].SQL
				lib := func(b *testing.B) {
					refill(b, db, b.N)
					s := New(db)
					b.ResetTimer()
					parallel(b, workers, b.N, benchBatch, func(ctx context.Context, k int) bool {
						els, err := s.ClaimBatch(ctx, "bench", k)
						if err != nil || len(els) != k {
							b.Error(len(els), k, err)
							return false
						}
						ids := make([]uuid.UUID, len(els))
						for i, e := range els {
							ids[i] = e.ID
						}
						if _, err := s.FinishBatch(ctx, ids, Done("")); err != nil {
							b.Error(err)
							return false
						}
						return true
					})
					b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "elements/s")
				}
				raw := func(b *testing.B) {
					refill(b, db, b.N)
					raw := db.SQL()
					b.ResetTimer()
					parallel(b, workers, b.N, benchBatch, func(ctx context.Context, k int) bool {
						els, err := rawClaim(ctx, raw, claimSQL, db.Now(), "bench", k)
						if err != nil || len(els) != k {
							b.Error(len(els), k, err)
							return false
						}
						args := []any{"DONE", db.Now()}
						for _, e := range els {
							args = append(args, e.id)
						}
						if _, err := raw.ExecContext(ctx, ds.finish(len(els), false), args...); err != nil {
							b.Error(err)
							return false
						}
						return true
					})
					b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "elements/s")
				}
				pair(b, raw, lib)
			})
		}
	}
}

const enqueueBatch = 1000

func BenchmarkEnqueueBatch(b *testing.B) {
	for _, d := range benchDialects {
		b.Run(string(d), func(b *testing.B) {
			db := benchDB(b, d)
			ds := newDialectSQL(d)
			refs, data := make([]string, enqueueBatch), make([]string, enqueueBatch)
			for i := range refs {
				refs[i], data[i] = "ref-"+strconv.Itoa(i), `{"invoice":12345,"amount":"99.50"}`
			}
			lib := func(b *testing.B) {
				refill(b, db, 0)
				s := New(db)
				ctx := context.Background()
				b.ResetTimer()
				for done := 0; done < b.N; done += enqueueBatch {
					k := min(enqueueBatch, b.N-done)
					if _, err := s.EnqueueBatch(ctx, "bench", refs[:k], data[:k], "bench"); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "elements/s")
			}
			raw := func(b *testing.B) {
				refill(b, db, 0)
				raw := db.SQL()
				ctx := context.Background()
				b.ResetTimer()
				for done := 0; done < b.N; done += enqueueBatch {
					k := min(enqueueBatch, b.N-done)
					now := db.Now()
					args := make([]any, 0, k*insertRowParams)
					for i := range k {
						args = append(args, uuid.Must(uuid.NewV7()), "bench", data[i], refs[i], now, "bench")
					}
					if _, err := raw.ExecContext(ctx, ds.insertMany(k), args...); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "elements/s")
			}
			pair(b, raw, lib)
		})
	}
}
