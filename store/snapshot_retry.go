package store

import (
	"context"
	"errors"
	"fmt"
)

// DefaultRetryAttempts is how many times Retry tries when given 0 attempts.
const DefaultRetryAttempts = 10

// Retry is the optimistic-locking loop: it loads the snapshot, lets apply
// change it (payload, and event types if apply sets them), and updates it
// with the version check. When another writer got there first it waits a
// moment (growing, with jitter), reloads and applies again — so apply must
// compute the new state from the snapshot it is given, and may run several
// times. It gives up after attempts tries (DefaultRetryAttempts when 0 or
// less), returning the last *ConflictError, and stops as soon as ctx is done.
// An error from apply ends the loop and is returned as is; nothing is
// written for that attempt. A snapshot deleted meanwhile ends it with
// ErrNotFound. On success it returns the snapshot as stored, with its new
// version.
//
// Run it on a store bound to the database rather than to a session: each
// attempt is then a short transaction of its own, where inside a session the
// session's other locks would be held through every backoff pause.
func Retry(ctx context.Context, snaps SnapshotStore, id string, attempts int, apply func(ctx context.Context, snap *Snapshot) error) (*Snapshot, error) {
	if attempts <= 0 {
		attempts = DefaultRetryAttempts
	}
	var conflict error
	for attempt := 0; attempt < attempts; attempt++ {
		if attempt > 0 {
			if err := sleepBackoff(ctx, attempt-1); err != nil {
				return nil, fmt.Errorf("flowstore: snapshot %s: %w (after %v)", id, err, conflict)
			}
		} else if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("flowstore: snapshot %s: %w", id, err)
		}
		snap, err := snaps.Get(ctx, id)
		if err != nil {
			return nil, err
		}
		if err := apply(ctx, snap); err != nil {
			return nil, err
		}
		err = snaps.Update(ctx, snap)
		if err == nil {
			return snap, nil
		}
		if !errors.Is(err, ErrConflict) {
			return nil, err
		}
		conflict = err
	}
	return nil, fmt.Errorf("flowstore: snapshot %s: gave up after %d attempts: %w", id, attempts, conflict)
}
