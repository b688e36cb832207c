package pipeline

import (
	"context"
	"strings"
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
// (the UPDATE clause is a no-op) can make it wait. The database itself must
// report the second taker blocked (WaitBlocked). Other names do not
// wait — except on SQLite, where the lock sends nothing and the second
// transaction waits for the database's single write turn instead.
func TestNameLockExcludes(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		serial := db.SQLDialect().Has(store.FeatureSerialWrites)
		take := func(ctx context.Context, name string) (*store.Session, error) {
			s, err := db.Begin(ctx)
			if err != nil {
				return nil, err
			}
			if err := lockNames(ctx, s.Handle(), lockVersion, "acme", "shop", name); err != nil {
				_ = s.Rollback()
				return nil, err
			}
			return s, nil
		}
		for _, exists := range []bool{false, true} {
			name := "new"
			if exists {
				name = "existing"
				s, err := take(ctx, name) // leaves the row behind on MySQL
				require.NoError(t, err)
				require.NoError(t, s.Commit())
			}
			first, err := take(ctx, name)
			require.NoError(t, err)
			if !serial {
				// (cancel after the rollback: a session's context ending
				// rolls it back.)
				quick, cancel := context.WithTimeout(ctx, 10*time.Second)
				other, err := take(quick, "unrelated")
				require.NoError(t, err, "another name does not wait")
				require.NoError(t, other.Rollback())
				cancel()
			}

			type result struct {
				s   *store.Session
				err error
			}
			got := make(chan result, 1)
			go func() {
				s, err := take(ctx, name)
				got <- result{s, err}
			}()
			testdb.WaitBlocked(t, db, 1)
			select {
			case r := <-got:
				if r.s != nil {
					_ = r.s.Rollback()
				}
				_ = first.Rollback()
				t.Fatalf("exists=%v: the second taker did not wait for the first (err %v)", exists, r.err)
			default:
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

// TestLockNames: names are deterministic, differ by kind and parts, and stay
// short whatever the parts, so the dialect layer never has to shorten them.
func TestLockNames(t *testing.T) {
	a := lockName(lockVersion, "acme", "shop", "deploy")
	require.Equal(t, a, lockName(lockVersion, "acme", "shop", "deploy"))
	require.True(t, strings.HasPrefix(a, "flowstore.pipeline.version."), a)
	require.NotEqual(t, a, lockName(lockVersion, "acme", "shopdeploy", ""), "parts are separated")
	require.NotEqual(t, a, lockName(lockUserSetting, "acme", "shop", "deploy"), "kinds differ")
	long := strings.Repeat("x", 255)
	require.LessOrEqual(t, len(lockName(lockVersion, long, long, long)), 64)
}
