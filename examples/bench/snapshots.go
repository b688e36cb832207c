package main

import (
	"context"
	"crypto/rand"
	"fmt"

	"github.com/google/uuid"

	"github.com/flowstore/flowstore/store"
)

// Snapshot hot paths: the compare-and-swap update of a 1 KiB payload and
// the get by id, each worker on its own instance, against the raw driver
// running the same parameterized statement.
func init() {
	for i, workers := range []int{1, 4, 16} {
		st := &snapshotBench{workers: workers}
		register(&benchCase{
			name:    fmt.Sprintf("snapshot: CAS update 1 KiB, %d workers", workers),
			order:   500 + i,
			workers: workers,
			ops:     2000,
			prepare: st.prepare,
			library: func(ctx context.Context, _ *store.DB, w, _ int) (int, error) {
				return 1, st.snaps.Update(ctx, st.mine[w])
			},
			raw: func(ctx context.Context, db *store.DB, w, _ int) (int, error) {
				s := st.mine[w]
				res, err := db.SQL().ExecContext(ctx, st.update, s.Payload, nil, s.Version+1, s.ID, s.Version)
				if err != nil {
					return 0, err
				}
				if n, err := res.RowsAffected(); err != nil || n != 1 {
					return 0, fmt.Errorf("raw update: %d rows, %v", n, err)
				}
				s.Version++
				return 1, nil
			},
		})
	}
	for i, workers := range []int{1, 4, 16} {
		st := &snapshotBench{workers: workers}
		register(&benchCase{
			name:    fmt.Sprintf("snapshot: get by id 1 KiB, %d workers", workers),
			order:   510 + i,
			workers: workers,
			ops:     4000,
			prepare: st.prepare,
			library: func(ctx context.Context, _ *store.DB, w, _ int) (int, error) {
				_, err := st.snaps.Get(ctx, st.mine[w].ID)
				return 1, err
			},
			raw: func(ctx context.Context, db *store.DB, w, _ int) (int, error) {
				var (
					id, processID        string
					payload              []byte
					version              *int64
					processVersion, code *string
				)
				return 1, db.SQL().QueryRowContext(ctx, st.get, st.mine[w].ID).Scan(&id, &payload, &processID, &version, &processVersion, &code)
			},
		})
	}
}

// snapshotBench holds one case's instances: prepare makes a fresh one per
// worker before each side runs.
type snapshotBench struct {
	workers     int
	snaps       *store.Snapshots
	update, get string
	mine        []*store.Snapshot
}

func (b *snapshotBench) prepare(ctx context.Context, db *store.DB, _ int) error {
	var err error
	if b.snaps == nil {
		if b.snaps, err = store.NewSnapshots(db); err != nil {
			return err
		}
		b.update = db.Dialect().Rebind(`UPDATE process_instances SET payload = ?, payload_codec = ?, version = ? WHERE id = ? AND COALESCE(version, 0) = ?`)
		b.get = db.Dialect().Rebind(`SELECT p.id, p.payload, p.process_id, p.version, p.process_version, p.payload_codec FROM process_instances p WHERE p.id = ?`)
	}
	payload := make([]byte, 1<<10)
	_, _ = rand.Read(payload)
	b.mine = make([]*store.Snapshot, b.workers)
	for w := range b.mine {
		b.mine[w] = &store.Snapshot{ID: uuid.NewString(), ProcessID: "bench", Payload: payload}
		if err := b.snaps.Create(ctx, b.mine[w]); err != nil {
			return err
		}
	}
	return nil
}
