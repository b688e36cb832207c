package pipeline

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/flowstore/flowstore/internal/testdb"
	"github.com/flowstore/flowstore/store"
)

// TestNameLockExcludes: a transaction holding a name lock makes a second
// one taking the same name wait until the first ends — when the name is new
// and, on MySQL the case that matters, when its flowstore_locks row already
// exists, where only the exclusive lock InnoDB takes on the duplicate key
// (the UPDATE clause is a no-op) can make it wait. Other names do not wait.
func TestNameLockExcludes(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		if db.Dialect() == store.SQLite {
			t.Skip("SQLite has one writer at a time and no name lock")
		}
		ctx := t.Context()
		lock := nameLockFor(db.Dialect())
		take := func(name string) (*store.Session, error) {
			s, err := db.Begin(ctx)
			if err != nil {
				return nil, err
			}
			if err := lock.take(ctx, s.Handle(), lockVersion, "acme", "shop", name); err != nil {
				_ = s.Rollback()
				return nil, err
			}
			return s, nil
		}
		for _, exists := range []bool{false, true} {
			name := "new"
			if exists {
				name = "existing"
				s, err := take(name) // leaves the row behind on MySQL
				require.NoError(t, err)
				require.NoError(t, s.Commit())
			}
			first, err := take(name)
			require.NoError(t, err)
			other, err := take("unrelated")
			require.NoError(t, err, "another name does not wait")
			require.NoError(t, other.Rollback())

			type result struct {
				s   *store.Session
				err error
			}
			got := make(chan result, 1)
			go func() {
				s, err := take(name)
				got <- result{s, err}
			}()
			select {
			case r := <-got:
				if r.s != nil {
					_ = r.s.Rollback()
				}
				_ = first.Rollback()
				t.Fatalf("exists=%v: the second taker did not wait for the first (err %v)", exists, r.err)
			case <-time.After(300 * time.Millisecond):
			}
			require.NoError(t, first.Commit())
			select {
			case r := <-got:
				require.NoError(t, r.err)
				require.NoError(t, r.s.Rollback())
			case <-time.After(10 * time.Second):
				t.Fatalf("exists=%v: the second taker still waits after the first committed", exists)
			}
		}
	})
}
