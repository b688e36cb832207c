package queue

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

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
// BenchmarkEnqueueBatch one element inserted in batches of 1000 (at least
// 5000 per round).
//
// Both sides run in the same benchmark, in twenty alternating rounds (raw
// first in even rounds, the library first in odd ones), because on a
// shared two-core machine the load of other processes changes from second
// to second: rounds spread it over both sides. The metrics are lib-ns/op,
// raw-ns/op, lib-el/s, raw-el/s (over all rounds) and lib/raw — the
// library's speed as a fraction of the raw driver's (1.00 = as fast), the
// median over the rounds. The benchmark's own ns/op
// includes the untimed refills and means nothing.

var benchDialects = []store.DialectName{store.SQLite, store.Postgres}

func benchDB(b *testing.B, d store.DialectName) *store.DB {
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
	s := benchStore(b, db)
	for lo := 0; lo < n; lo += 10000 {
		k := min(10000, n-lo)
		els := make([]NewElement, k)
		for i := range els {
			els[i] = NewElement{Reference: strconv.Itoa(lo + i), Data: `{"n":1}`, CreatedBy: "bench"}
		}
		if _, err := s.EnqueueBatch(ctx, "bench", els); err != nil {
			b.Fatal(err)
		}
	}
}

func benchStore(b *testing.B, db *store.DB) Store {
	b.Helper()
	s, err := New(db)
	if err != nil {
		b.Fatal(err)
	}
	return s
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
	data, ref, msg, by, key    sql.NullString
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
		if err := rows.Scan(&e.id, &e.queue, &e.status, &e.data, &e.ref, &e.created, &e.started, &e.finished, &e.msg, &e.by, &e.key); err != nil {
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
				ds := newStatements(db.SQLDialect(), len(db.RefUUIDs(uuid.Nil)))
				claim := ds.claims[claimKind{}]
				lib := func(b *testing.B, n int) time.Duration {
					refill(b, db, n)
					s := benchStore(b, db)
					return timeIt(func() {
						parallel(b, workers, n, 1, func(ctx context.Context, _ int) bool {
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
					})
				}
				raw := func(b *testing.B, n int) time.Duration {
					refill(b, db, n)
					raw := db.SQL()
					return timeIt(func() {
						parallel(b, workers, n, 1, func(ctx context.Context, _ int) bool {
							els, err := rawClaim(ctx, raw, claim.Statement, claim.Bind([]any{db.Naive(db.Now())}, []any{"bench"}, 1)...)
							if err != nil || len(els) != 1 {
								b.Error(len(els), err)
								return false
							}
							res, err := raw.ExecContext(ctx, ds.finish1, append([]any{"DONE", db.Naive(db.Now())}, db.RefUUIDs(els[0].id)...)...)
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
					})
				}
				compare(b, raw, lib)
			})
		}
	}
}

// side does n elements' worth of work and returns how long it took
// (setting up, such as refilling the queue, is not counted).
type side func(b *testing.B, n int) time.Duration

// compare runs raw and lib in alternating rounds over b.N elements each and
// reports the metrics described at the top of the file. lib/raw is the
// median of the rounds' ratios, each taken from two runs side by side, so
// a burst of load from elsewhere spoils one round, not the figure.
func compare(b *testing.B, raw, lib side) { compareAtLeast(b, 1, raw, lib) }

// compareAtLeast is compare with at least minPer elements per round, for
// work whose single statements are too short to time alone.
func compareAtLeast(b *testing.B, minPer int, raw, lib side) {
	b.StopTimer()
	const rounds = 20
	per := max(minPer, b.N/rounds)
	var tr, tl time.Duration
	ratios := make([]float64, rounds)
	for r := range rounds {
		var dr, dl time.Duration
		if r%2 == 0 {
			dr = raw(b, per)
			dl = lib(b, per)
		} else {
			dl = lib(b, per)
			dr = raw(b, per)
		}
		tr += dr
		tl += dl
		ratios[r] = dr.Seconds() / dl.Seconds()
	}
	b.Logf("per-round lib/raw: %.2f", ratios)
	slices.Sort(ratios)
	n := float64(per * rounds)
	b.ReportMetric(float64(tl.Nanoseconds())/n, "lib-ns/op")
	b.ReportMetric(float64(tr.Nanoseconds())/n, "raw-ns/op")
	b.ReportMetric(n/tl.Seconds(), "lib-el/s")
	b.ReportMetric(n/tr.Seconds(), "raw-el/s")
	b.ReportMetric((ratios[rounds/2-1]+ratios[rounds/2])/2, "lib/raw")
}

// timeIt runs f and returns how long it took.
func timeIt(f func()) time.Duration {
	start := time.Now()
	f()
	return time.Since(start)
}

const benchBatch = 100

func BenchmarkClaimFinishBatch(b *testing.B) {
	for _, d := range benchDialects {
		for _, workers := range []int{1, 4} {
			b.Run(fmt.Sprintf("%s/workers=%d/batch=%d", d, workers, benchBatch), func(b *testing.B) {
				db := benchDB(b, d)
				ds := newStatements(db.SQLDialect(), len(db.RefUUIDs(uuid.Nil)))
				claim := ds.claims[claimKind{}]
				lib := func(b *testing.B, n int) time.Duration {
					refill(b, db, n)
					s := benchStore(b, db)
					return timeIt(func() {
						parallel(b, workers, n, benchBatch, func(ctx context.Context, k int) bool {
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
					})
				}
				raw := func(b *testing.B, n int) time.Duration {
					refill(b, db, n)
					raw := db.SQL()
					return timeIt(func() {
						parallel(b, workers, n, benchBatch, func(ctx context.Context, k int) bool {
							els, err := rawClaim(ctx, raw, claim.Statement, claim.Bind([]any{db.Naive(db.Now())}, []any{"bench"}, k)...)
							if err != nil || len(els) != k {
								b.Error(len(els), k, err)
								return false
							}
							args := []any{"DONE", db.Naive(db.Now())}
							for _, e := range els {
								args = append(args, db.RefUUIDs(e.id)...)
							}
							if _, err := raw.ExecContext(ctx, ds.finish(len(els), false), args...); err != nil {
								b.Error(err)
								return false
							}
							return true
						})
					})
				}
				compare(b, raw, lib)
			})
		}
	}
}

const enqueueBatch = 1000

func BenchmarkEnqueueBatch(b *testing.B) {
	for _, d := range benchDialects {
		b.Run(string(d), func(b *testing.B) {
			db := benchDB(b, d)
			ds := newStatements(db.SQLDialect(), len(db.RefUUIDs(uuid.Nil)))
			els := make([]NewElement, enqueueBatch)
			for i := range els {
				els[i] = NewElement{Reference: "ref-" + strconv.Itoa(i), Data: `{"invoice":12345,"amount":"99.50"}`, CreatedBy: "bench"}
			}
			lib := func(b *testing.B, n int) time.Duration {
				refill(b, db, 0)
				s := benchStore(b, db)
				ctx := context.Background()
				return timeIt(func() {
					for done := 0; done < n; done += enqueueBatch {
						k := min(enqueueBatch, n-done)
						if _, err := s.EnqueueBatch(ctx, "bench", els[:k]); err != nil {
							b.Fatal(err)
						}
					}
				})
			}
			raw := func(b *testing.B, n int) time.Duration {
				refill(b, db, 0)
				raw := db.SQL()
				ctx := context.Background()
				return timeIt(func() {
					for done := 0; done < n; done += enqueueBatch {
						k := min(enqueueBatch, n-done)
						now := db.Now()
						args := make([]any, 0, k*insertRowParams)
						for i := range k {
							args = append(args, db.RefUUID(uuid.Must(uuid.NewV7())), "bench", els[i].Data, els[i].Reference, db.Naive(batchCreated(now, i)), els[i].CreatedBy, nil)
						}
						if _, err := raw.ExecContext(ctx, ds.insertMany(k), args...); err != nil {
							b.Fatal(err)
						}
					}
				})
			}
			compareAtLeast(b, 5*enqueueBatch, raw, lib)
		})
	}
}
