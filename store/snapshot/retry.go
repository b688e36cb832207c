package snapshot

import (
	"context"
	"errors"
	"fmt"

	"github.com/flowstore/flowstore/store"
)

// DefaultRetryAttempts is how many times Retry tries when given 0 attempts.
const DefaultRetryAttempts = 10

// Retry is the optimistic-locking loop: it loads the snapshot, lets apply
// change it (payload, and event types if apply sets them), and updates it
// with the version check. When another writer got there first it waits a
// moment (growing, with jitter), reloads and applies again — so apply must
// compute the new state from the snapshot it is given, and may run several
// times. It gives up after attempts tries (DefaultRetryAttempts when 0 or
// less), returning the last *store.ConflictError, and stops as soon as ctx
// is done. An error from apply ends the loop and is returned as is; nothing
// is written for that attempt. A snapshot deleted meanwhile ends it with
// store.ErrNotFound. On success it returns the snapshot as stored, with its
// new version. A nil ctx, st or apply is store.ErrInvalid, before anything
// is read.
//
// Run it on a store bound to the database rather than to a session: each
// attempt is then a short transaction of its own, where inside a session the
// session's other locks would be held through every backoff pause.
func Retry(ctx context.Context, st Store, id string, attempts int, apply func(ctx context.Context, s *Snapshot) error) (*Snapshot, error) {
	switch {
	case ctx == nil:
		return nil, fmt.Errorf("snapshot: retry %s: %w", display(id), store.CheckContext(ctx))
	case st == nil:
		return nil, fmt.Errorf("snapshot: retry %s: %w: nil Store", display(id), store.ErrInvalid)
	case apply == nil:
		return nil, fmt.Errorf("snapshot: retry %s: %w: nil apply function", display(id), store.ErrInvalid)
	}
	if attempts <= 0 {
		attempts = DefaultRetryAttempts
	}
	var conflict error
	for attempt := 0; attempt < attempts; attempt++ {
		if attempt > 0 {
			if err := store.Backoff(ctx, attempt-1); err != nil {
				return nil, fmt.Errorf("snapshot: retry %s: %w (waiting after: %v)", display(id), err, conflict)
			}
		} else if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("snapshot: retry %s: %w", display(id), err)
		}
		s, err := st.Get(ctx, id)
		if err != nil {
			return nil, err
		}
		if err := apply(ctx, s); err != nil {
			return nil, err
		}
		err = st.Update(ctx, s)
		if err == nil {
			return s, nil
		}
		if !errors.Is(err, store.ErrConflict) {
			return nil, err
		}
		conflict = err
	}
	return nil, fmt.Errorf("snapshot: retry %s: gave up after %d attempts: %w", display(id), attempts, conflict)
}
