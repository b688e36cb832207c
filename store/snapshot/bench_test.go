package snapshot_test

import (
	"context"
	"crypto/rand"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/flowstore/flowstore/internal/testdb"
	"github.com/flowstore/flowstore/store"
	"github.com/flowstore/flowstore/store/snapshot"
)

// The snapshot benchmarks compare the library with the raw driver running
// the same parameterized statement on the same database in the same run:
// a compare-and-swap update of a 1 KiB payload, and a get by id, at 1, 4
// and 16 concurrent workers on distinct instances. Each pair of
// sides runs interleaved in one benchmark (see snapPair), which reports
// lib-ns/op, raw-ns/op and lib/raw, the library's share of the raw
// driver's throughput.
//
//	go test ./store/snapshot -run '^$' -bench 'Snapshot(Update|Get)' -count 5
//
// PostgreSQL figures are meant for a server with default durability (fsync
// on): point FLOWSTORE_TEST_POSTGRES at one.

const snapBenchPayload = 1 << 10

var snapBenchWorkers = []int{1, 4, 16}

// snapBenchInstances creates one snapshot per worker and returns their ids.
func snapBenchInstances(b *testing.B, snaps snapshot.Store, prefix string, n int) []string {
	b.Helper()
	ctx := context.Background()
	payload := make([]byte, snapBenchPayload)
	_, _ = rand.Read(payload)
	ids := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprintf("%s-%d", prefix, i)
		if err := snaps.Create(ctx, &snapshot.Snapshot{ID: ids[i], ProcessID: "bench", Payload: payload}); err != nil {
			b.Fatal(err)
		}
	}
	return ids
}

// snapSide is one way of doing an operation: worker w works on its own instance.
type snapSide func(w int) error

// snapPair measures library and raw driver in the same benchmark, interleaved:
// b.N operations per side, in up to 40 rounds that alternate which side
// goes first, so that background load hits both alike. Both sides warm
// their pool connections first. It reports each side's ns/op and lib/raw,
// the library's throughput as a fraction of the raw driver's: the median of
// the rounds' ratios, which a burst of load in one round does not move.
func snapPair(b *testing.B, workers int, lib, raw snapSide) {
	b.Helper()
	for _, s := range []snapSide{lib, raw} {
		if err := snapRunSide(workers, 2*workers, s); err != nil {
			b.Fatal(err)
		}
	}
	rounds := min(40, max(1, b.N/(4*workers)))
	var libT, rawT time.Duration
	ratios := make([]float64, 0, rounds)
	b.ResetTimer()
	for r := range rounds {
		n := b.N / rounds
		if r < b.N%rounds {
			n++
		}
		timeIt := func(s snapSide) time.Duration {
			start := time.Now()
			if err := snapRunSide(workers, n, s); err != nil {
				b.Fatal(err)
			}
			return time.Since(start)
		}
		var l, w time.Duration
		if r%2 == 0 {
			l, w = timeIt(lib), timeIt(raw)
		} else {
			w, l = timeIt(raw), timeIt(lib)
		}
		libT += l
		rawT += w
		ratios = append(ratios, float64(w)/float64(l))
	}
	b.StopTimer()
	slices.Sort(ratios)
	median := ratios[len(ratios)/2]
	if len(ratios)%2 == 0 {
		median = (ratios[len(ratios)/2-1] + median) / 2
	}
	b.ReportMetric(float64(libT.Nanoseconds())/float64(b.N), "lib-ns/op")
	b.ReportMetric(float64(rawT.Nanoseconds())/float64(b.N), "raw-ns/op")
	b.ReportMetric(median, "lib/raw")
}

// snapRunSide performs n operations split over workers goroutines.
func snapRunSide(workers, n int, s snapSide) error {
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := range workers {
		wg.Go(func() {
			for next.Add(1) <= int64(n) {
				if err := s(w); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	return <-errs
}

func snapBenchDialects(b *testing.B, fn func(b *testing.B, db *store.DB)) {
	for _, d := range testdb.Live() {
		if d != store.SQLite && d != store.Postgres && d != store.MySQL {
			continue
		}
		b.Run(string(d), func(b *testing.B) { fn(b, testdb.Fresh(b, d)) })
	}
}

var benchSeqSnap atomic.Int64

func BenchmarkSnapshotUpdate(b *testing.B) {
	snapBenchDialects(b, func(b *testing.B, db *store.DB) {
		ctx := context.Background()
		snaps, err := snapshot.New(db)
		if err != nil {
			b.Fatal(err)
		}
		// The statement the library runs, bound on the driver.
		update := db.SQLDialect().Rebind(`UPDATE process_instances SET payload = ?, payload_codec = ?, version = ? WHERE id = ? AND COALESCE(version, 0) = ?`)
		payload := make([]byte, snapBenchPayload)
		_, _ = rand.Read(payload)
		sqldb := db.SQL()
		for _, workers := range snapBenchWorkers {
			b.Run(fmt.Sprintf("workers=%d", workers), func(b *testing.B) {
				libIDs := snapBenchInstances(b, snaps, fmt.Sprintf("lib-%d", benchSeqSnap.Add(1)), workers)
				rawIDs := snapBenchInstances(b, snaps, fmt.Sprintf("raw-%d", benchSeqSnap.Add(1)), workers)
				mine := make([]*snapshot.Snapshot, workers)
				for i, id := range libIDs {
					mine[i] = &snapshot.Snapshot{ID: id, ProcessID: "bench", Payload: payload}
				}
				versions := make([]int64, workers)
				snapPair(b, workers, func(w int) error {
					return snaps.Update(ctx, mine[w])
				}, func(w int) error {
					v := versions[w]
					res, err := sqldb.ExecContext(ctx, update, payload, nil, v+1, rawIDs[w], v)
					if err != nil {
						return err
					}
					if n, err := res.RowsAffected(); err != nil || n != 1 {
						return fmt.Errorf("raw update: %d rows, %v", n, err)
					}
					versions[w] = v + 1
					return nil
				})
			})
		}
	})
}

func BenchmarkSnapshotGet(b *testing.B) {
	snapBenchDialects(b, func(b *testing.B, db *store.DB) {
		ctx := context.Background()
		snaps, err := snapshot.New(db)
		if err != nil {
			b.Fatal(err)
		}
		get := db.SQLDialect().Rebind(`SELECT p.id, p.payload, p.process_id, p.version, p.process_version, p.payload_codec FROM process_instances p WHERE p.id = ?`)
		ids := snapBenchInstances(b, snaps, fmt.Sprintf("get-%d", benchSeqSnap.Add(1)), 16)
		sqldb := db.SQL()
		for _, workers := range snapBenchWorkers {
			b.Run(fmt.Sprintf("workers=%d", workers), func(b *testing.B) {
				snapPair(b, workers, func(w int) error {
					s, err := snaps.Get(ctx, ids[w])
					if err == nil && len(s.Payload) != snapBenchPayload {
						err = fmt.Errorf("payload of %d bytes", len(s.Payload))
					}
					return err
				}, func(w int) error {
					var (
						gotID, processID          string
						payload                   []byte
						version                   *int64
						processVersion, codecName *string
					)
					err := sqldb.QueryRowContext(ctx, get, ids[w]).Scan(&gotID, &payload, &processID, &version, &processVersion, &codecName)
					if err == nil && len(payload) != snapBenchPayload {
						err = fmt.Errorf("payload of %d bytes", len(payload))
					}
					return err
				})
			})
		}
	})
}
