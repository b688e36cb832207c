package main

import (
	"context"
	"crypto/rand"
	"fmt"

	"github.com/google/uuid"

	"github.com/flowstore/flowstore/store/snapshot"
)

// Snapshot hot paths: the compare-and-swap update of a 1 KiB payload and
// the get by id, each worker on its own instance, against the raw driver
// running the same parameterized statement. The instances' process_id is
// the run's tag (cleanup removes them).
func init() {
	for i, workers := range []int{1, 4, 16} {
		st := &snapshotBench{workers: workers}
		register(&benchCase{
			name:    fmt.Sprintf("snapshot: CAS update 1 KiB, %d workers", workers),
			order:   500 + i,
			workers: workers,
			ops:     2000,
			prepare: st.prepare,
			library: func(ctx context.Context, _ *env, w, _ int) (int, error) {
				return 1, st.snaps.Update(ctx, st.mine[w])
			},
			raw: func(ctx context.Context, e *env, w, _ int) (int, error) {
				s := st.mine[w]
				res, err := e.raw.ExecContext(ctx, st.update, s.Payload, nil, s.Version+1, s.ID, s.Version)
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
			library: func(ctx context.Context, _ *env, w, _ int) (int, error) {
				_, err := st.snaps.Get(ctx, st.mine[w].ID)
				return 1, err
			},
			raw: func(ctx context.Context, e *env, w, _ int) (int, error) {
				var (
					id, processID        string
					payload              []byte
					version              *int64
					processVersion, code *string
				)
				return 1, e.raw.QueryRowContext(ctx, st.get, st.mine[w].ID).Scan(&id, &payload, &processID, &version, &processVersion, &code)
			},
		})
	}
}

// snapshotBench holds one case's instances: prepare makes a fresh one per
// worker before each side runs. The store and the raw statements are those
// of the run's database.
type snapshotBench struct {
	workers     int
	e           *env
	snaps       snapshot.Store
	update, get string
	mine        []*snapshot.Snapshot
}

func (b *snapshotBench) prepare(ctx context.Context, e *env, _ int) error {
	if b.e != e {
		db := e.db
		snaps, err := snapshot.New(db)
		if err != nil {
			return err
		}
		b.e, b.snaps = e, snaps
		b.update = db.SQLDialect().Rebind(`UPDATE process_instances SET payload = ?, payload_codec = ?, version = ? WHERE id = ? AND COALESCE(version, 0) = ?`)
		b.get = db.SQLDialect().Rebind(`SELECT p.id, p.payload, p.process_id, p.version, p.process_version, p.payload_codec FROM process_instances p WHERE p.id = ?`)
	}
	payload := make([]byte, 1<<10)
	_, _ = rand.Read(payload)
	b.mine = make([]*snapshot.Snapshot, b.workers)
	for w := range b.mine {
		b.mine[w] = &snapshot.Snapshot{ID: uuid.NewString(), ProcessID: e.tag, Payload: payload}
		if err := b.snaps.Create(ctx, b.mine[w]); err != nil {
			return err
		}
	}
	return nil
}
