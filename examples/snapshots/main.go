// Command snapshots shows optimistic locking on Kogito-style process
// snapshots: two writers load the same instance, the first update wins and
// the second gets a conflict naming both versions; then eight writers
// append to one instance through snapshot.Retry, which reloads and
// reapplies on every conflict, and not a single update is lost.
//
//	go run ./examples/snapshots                      # SQLite file in a temp directory
//	go run ./examples/snapshots -dsn postgres://…    # any flowstore DSN
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/flowstore/flowstore"
	"github.com/flowstore/flowstore/store"
	"github.com/flowstore/flowstore/store/snapshot"
)

func main() {
	dsn := flag.String("dsn", "", "database DSN (default: a new SQLite file in a temp directory)")
	flag.Parse()
	if err := run(context.Background(), *dsn, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "snapshots:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, dsn string, out io.Writer) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	if dsn == "" {
		dir, err := os.MkdirTemp("", "flowstore-snapshots-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		dsn = "sqlite:" + filepath.Join(dir, "snapshots.db")
	}
	fs, err := flowstore.Open(ctx, dsn) // migrates
	if err != nil {
		return err
	}
	defer fs.Close()
	snaps := fs.Snapshots
	// The example's own instance. Deleted when the example ends; one that an
	// interrupted earlier run left behind is found and deleted first, so the
	// example runs any number of times on one database.
	const id = "example-order-1"
	if err := snaps.Delete(ctx, id); err == nil {
		fmt.Fprintf(out, "deleted %s, left by an earlier run\n", id)
	} else if !errors.Is(err, store.ErrNotFound) {
		return err
	}
	defer snaps.Delete(context.WithoutCancel(ctx), id) //nolint:errcheck // best effort

	// 1. Two writers, one version: the second update is refused.
	version := "1.0"
	if err := snaps.Create(ctx, &snapshot.Snapshot{ID: id, ProcessID: "order-flow", ProcessVersion: &version, Payload: []byte("created;")}); err != nil {
		return err
	}
	alice, err := snaps.Get(ctx, id)
	if err != nil {
		return err
	}
	bob, err := snaps.Get(ctx, id)
	if err != nil {
		return err
	}
	alice.Payload = append(alice.Payload, "alice;"...)
	if err := snaps.Update(ctx, alice); err != nil {
		return err
	}
	fmt.Fprintf(out, "alice updated %s: now version %d\n", id, alice.Version)
	bob.Payload = append(bob.Payload, "bob;"...)
	err = snaps.Update(ctx, bob)
	var conflict *store.ConflictError
	if !errors.As(err, &conflict) {
		return fmt.Errorf("bob's stale update should conflict, got %v", err)
	}
	fmt.Fprintf(out, "bob's update was refused: expected version %d, found %d\n", conflict.Expected, conflict.Actual)

	// 2. Bob does it properly: Retry reloads and reapplies his change.
	bobsChange := func(_ context.Context, s *snapshot.Snapshot) error {
		s.Payload = append(s.Payload, "bob;"...)
		return nil
	}
	s, err := snapshot.Retry(ctx, snaps, id, 0, bobsChange)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "bob retried: version %d, payload %q\n", s.Version, s.Payload)

	// 3. Eight writers at once, five changes each, through Retry.
	const writers, each = 8, 5
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for w := range writers {
		wg.Go(func() {
			for i := range each {
				_, err := snapshot.Retry(ctx, snaps, id, 100, func(_ context.Context, s *snapshot.Snapshot) error {
					s.Payload = fmt.Appendf(s.Payload, "w%d.%d;", w, i)
					return nil
				})
				if err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return err
	}
	final, err := snaps.Get(ctx, id)
	if err != nil {
		return err
	}
	changes := strings.Count(string(final.Payload), ";") - 3 // created, alice, bob
	fmt.Fprintf(out, "%d writers × %d changes: %d changes in the payload, version %d\n", writers, each, changes, final.Version)
	if changes != writers*each || final.Version != int64(2+writers*each) {
		return fmt.Errorf("lost updates: %d changes, version %d", changes, final.Version)
	}
	fmt.Fprintln(out, "no update was lost")
	return nil
}
