package orchestrator

import (
	"context"
	"fmt"
	"time"
)

// WaitRegistered waits until e's Run has registered the engine, for tests
// that must know the engine_instances row is there before they go on.
func WaitRegistered(ctx context.Context, e *Engine) error {
	t := time.NewTimer(time.Minute)
	defer t.Stop()
	select {
	case <-e.ready:
		return nil
	case <-e.stopped:
		return fmt.Errorf("%w: Run returned", ErrNotRunning)
	case <-t.C:
		return fmt.Errorf("%w: not registered within a minute", ErrNotRunning)
	case <-ctx.Done():
		return ctx.Err()
	}
}
