package testdb

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"
)

// dropper drops the databases of finished tests in the background, so that
// a long test binary does not pile up hundreds of databases (in memory, when
// a throwaway server lives on tmpfs) and no test waits for a DROP.
type dropper struct {
	drop func(ctx context.Context, name string) error

	mu      sync.Mutex
	pending []string
	running bool // a worker goroutine is draining pending
	errs    []error
	wg      sync.WaitGroup
}

// dropAfter drops the database name when t ends. The cleanup is registered
// before the caller's own (which close the connections), so it runs after
// them.
func (d *dropper) dropAfter(t testing.TB, name string) {
	t.Cleanup(func() {
		d.mu.Lock()
		defer d.mu.Unlock()
		d.pending = append(d.pending, name)
		if !d.running {
			d.running = true
			d.wg.Add(1)
			go d.work()
		}
	})
}

func (d *dropper) work() {
	defer d.wg.Done()
	for {
		d.mu.Lock()
		if len(d.pending) == 0 {
			d.running = false
			d.mu.Unlock()
			return
		}
		name := d.pending[0]
		d.pending = d.pending[1:]
		d.mu.Unlock()

		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		err := d.drop(ctx, name)
		cancel()
		if err != nil {
			d.mu.Lock()
			d.errs = append(d.errs, err)
			d.mu.Unlock()
		}
	}
}

// wait waits until every queued database is dropped and returns what
// failed. Call it once the tests are over.
func (d *dropper) wait() error {
	d.wg.Wait()
	d.mu.Lock()
	defer d.mu.Unlock()
	return errors.Join(d.errs...)
}
