package store_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/flowstore/flowstore/internal/testdb"
	"github.com/flowstore/flowstore/store"
)

// TestWriteOutcomesAreHonest throws writes with deadlines of a few
// milliseconds at the database — single statements on the pool (their own
// commit) and two-statement transactions through InTx — from several
// goroutines, and then compares what the calls said with what the database
// holds: a call that returned nil wrote, a call that returned any error but
// ErrCommitUnknown wrote nothing. Before writes ran detached from the
// caller's deadline, some calls reported a deadline error for rows that had
// been committed, and a caller retrying them doubled the write.
func TestWriteOutcomesAreHonest(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		const workers, perWorker = 4, 80
		type outcome struct {
			names []string // rows the call writes
			err   error
		}
		var mu sync.Mutex
		var outcomes []outcome
		var wg sync.WaitGroup
		for w := range workers {
			wg.Go(func() {
				rng := rand.New(rand.NewPCG(uint64(w), 7))
				for i := range perWorker {
					// Mostly a few milliseconds, around what a write takes;
					// now and then already over when the call is made.
					timeout := time.Duration(1+rng.IntN(15)) * time.Millisecond
					if rng.IntN(20) == 0 {
						timeout = time.Microsecond
					}
					ctx, cancel := context.WithTimeout(context.Background(), timeout)
					name := fmt.Sprintf("w%d-%d", w, i)
					var o outcome
					if i%2 == 0 {
						o.names = []string{name}
						o.err = insertConstant(ctx, db.Bun(), name)
					} else {
						o.names = []string{name + "a", name + "b"}
						o.err = db.InTx(ctx, func(ctx context.Context, s *store.Session) error {
							if err := insertConstant(ctx, s, name+"a"); err != nil {
								return err
							}
							return insertConstant(ctx, s, name+"b")
						})
					}
					cancel()
					mu.Lock()
					outcomes = append(outcomes, o)
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		var failed, unknown int
		for _, o := range outcomes {
			for _, name := range o.names {
				exists := constantExists(t, db, name)
				switch {
				case o.err == nil:
					require.True(t, exists, "%s: the call succeeded, the row must be there", name)
				case errors.Is(o.err, store.ErrCommitUnknown):
					unknown++
				default:
					require.False(t, exists, "%s: the call failed with %v, yet the row was committed", name, o.err)
					failed++
				}
			}
		}
		t.Logf("%d writes: %d refused before they reached the database or rolled back, %d with an unknown outcome", len(outcomes), failed, unknown)
		require.NotZero(t, failed, "the deadlines must be tight enough that some writes fail, or the test shows nothing")
	})
}
