package constant_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/mysqldialect"

	"github.com/flowstore/flowstore/internal/testdb"
	"github.com/flowstore/flowstore/store"
	"github.com/flowstore/flowstore/store/constant"
)

// fixedClock is a store clock tests move by hand.
type fixedClock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *fixedClock {
	return &fixedClock{t: time.Date(2026, 3, 4, 5, 6, 7, 891011000, time.UTC)}
}

func (c *fixedClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

func (c *fixedClock) Add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

// withClock reopens db's database with a controlled clock.
func withClock(t *testing.T, db *store.DB, clock *fixedClock) *store.DB {
	t.Helper()
	c, err := store.New(context.Background(), db.Bun(), store.WithClock(clock.Now))
	require.NoError(t, err)
	return c
}

// newStore returns the Constants store of db.
func newStore(t testing.TB, db *store.DB) constant.Store {
	t.Helper()
	cs, err := constant.New(db)
	require.NoError(t, err)
	return cs
}

func TestNewRefusesNilDB(t *testing.T) {
	_, err := constant.New(nil)
	require.ErrorIs(t, err, store.ErrInvalid)
	require.EqualError(t, err, "constant: new store: invalid input: nil *store.DB")
}

func TestConstantsCRUD(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		clock := newClock()
		cs := newStore(t, withClock(t, db, clock))

		_, err := cs.Get(ctx, "url")
		require.ErrorIs(t, err, store.ErrNotFound)
		require.EqualError(t, err, `constant: get "url": not found`, "one prefix, no driver text after the sentinel")
		err = cs.Update(ctx, "url", "x")
		require.ErrorIs(t, err, store.ErrNotFound)
		require.EqualError(t, err, `constant: update "url": not found`)
		err = cs.Delete(ctx, "url")
		require.ErrorIs(t, err, store.ErrNotFound)
		require.EqualError(t, err, `constant: delete "url": not found`)

		require.NoError(t, cs.Create(ctx, "url", "https://example.org"))
		err = cs.Create(ctx, "url", "other")
		require.ErrorIs(t, err, store.ErrDuplicate)
		require.True(t, strings.HasPrefix(err.Error(), `constant: create "url": duplicate`), err.Error())
		got, err := cs.Get(ctx, "url")
		require.NoError(t, err)
		require.Equal(t, "https://example.org", got.Value)
		require.True(t, clock.Now().Truncate(time.Microsecond).Equal(got.ChangedAt), "changed_at %v from the store clock %v", got.ChangedAt, clock.Now())

		clock.Add(time.Hour)
		require.NoError(t, cs.Update(ctx, "url", "https://example.com"))
		// Same value at the same instant is still an update of an existing
		// row (MySQL reports 0 changed rows for it).
		require.NoError(t, cs.Update(ctx, "url", "https://example.com"))
		got, err = cs.Get(ctx, "url")
		require.NoError(t, err)
		require.Equal(t, "https://example.com", got.Value)
		require.True(t, store.UTC(clock.Now()).Equal(got.ChangedAt))

		clock.Add(time.Hour)
		require.NoError(t, cs.Set(ctx, "url", "set-over"))
		require.NoError(t, cs.Set(ctx, "b", "created by set"))
		require.NoError(t, cs.Set(ctx, "A", "upper"))
		list, err := cs.List(ctx)
		require.NoError(t, err)
		var names []string
		for _, c := range list {
			names = append(names, c.Name+"="+c.Value)
			require.True(t, store.UTC(clock.Now()).Equal(c.ChangedAt))
		}
		require.Len(t, names, 3)
		require.Equal(t, "url=set-over", names[2])

		require.NoError(t, cs.Delete(ctx, "b"))
		_, err = cs.Get(ctx, "b")
		require.ErrorIs(t, err, store.ErrNotFound)
	})
}

func TestConstantsRefuseOverlongValues(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		cs := newStore(t, db)
		long := strings.Repeat("é", constant.ValueMax+1)
		for name, c := range map[string]struct {
			op   func() error
			want string
		}{
			"set":    {func() error { return cs.Set(ctx, "k", long) }, `constant: set "k": value too long: Constants.value is 1001 characters, at most 1000 fit`},
			"create": {func() error { return cs.Create(ctx, "k", long) }, `constant: create "k": value too long: Constants.value is 1001 characters, at most 1000 fit`},
			"update": {func() error { return cs.Update(ctx, "k", long) }, `constant: update "k": value too long: Constants.value is 1001 characters, at most 1000 fit`},
			"name":   {func() error { return cs.Set(ctx, strings.Repeat("n", constant.NameMax+1), "v") }, "Constants.name is 101 characters, at most 100 fit"},
		} {
			err := c.op()
			require.ErrorIs(t, err, store.ErrTooLong, name)
			require.Contains(t, err.Error(), c.want, name)
		}
		require.ErrorIs(t, cs.Set(ctx, "", "v"), store.ErrInvalid)
		list, err := cs.List(ctx)
		require.NoError(t, err)
		require.Empty(t, list, "nothing written")
		// The limit counts characters, not bytes.
		require.NoError(t, cs.Set(ctx, "k", strings.Repeat("é", constant.ValueMax)))
		require.NoError(t, cs.Create(ctx, strings.Repeat("n", constant.NameMax), "v"))
	})
}

// A duplicate Create inside a session leaves the session usable: it runs in
// a savepoint (PostgreSQL would otherwise abort the transaction).
func TestConstantsInSession(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		cs := newStore(t, db)
		require.NoError(t, cs.Set(ctx, "existing", "v"))
		err := db.InTx(ctx, func(ctx context.Context, s *store.Session) error {
			tx := cs.WithTx(s)
			require.ErrorIs(t, tx.Create(ctx, "existing", "again"), store.ErrDuplicate)
			require.NoError(t, tx.Set(ctx, "in-tx", "1"))
			return errors.New("roll back")
		})
		require.Error(t, err)
		_, err = cs.Get(ctx, "in-tx")
		require.ErrorIs(t, err, store.ErrNotFound, "rolled back with the session")

		require.NoError(t, db.InTx(ctx, func(ctx context.Context, s *store.Session) error {
			return cs.WithTx(s).Set(ctx, "in-tx", "2")
		}))
		got, err := cs.Get(ctx, "in-tx")
		require.NoError(t, err)
		require.Equal(t, "2", got.Value)
	})
}

// Many goroutines race to create and to upsert the same names: exactly one
// Create wins, every Set succeeds, one row each.
func TestConstantsConcurrentWriters(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		cs := newStore(t, db)
		const workers = 8
		var wg sync.WaitGroup
		errs := make(chan error, 2*workers)
		for i := range workers {
			wg.Go(func() { errs <- cs.Create(ctx, "race", fmt.Sprint(i)) })
			wg.Go(func() { errs <- cs.Set(ctx, "upsert", fmt.Sprint(i)) })
		}
		wg.Wait()
		close(errs)
		created, dup := 0, 0
		for err := range errs {
			switch {
			case err == nil:
				created++
			case errors.Is(err, store.ErrDuplicate):
				dup++
			default:
				t.Errorf("unexpected: %v", err)
			}
		}
		require.Equal(t, workers+1, created, "every Set and exactly one Create succeed")
		require.Equal(t, workers-1, dup)
		list, err := cs.List(ctx)
		require.NoError(t, err)
		require.Len(t, list, 2)
	})
}

// Several OS processes race to Create one constant: exactly one succeeds.
func TestConstantsCreateAcrossProcesses(t *testing.T) {
	for _, d := range testdb.Live() {
		t.Run(string(d), func(t *testing.T) {
			db := testdb.Fresh(t, d)
			testdb.RunChildren(t, 4, "TestConstantsCreateChild", map[string]string{"FLOWSTORE_CHILD_DSN": testdb.DSN(t, db)})
			list, err := newStore(t, db).List(context.Background())
			require.NoError(t, err)
			winners := 0
			for _, c := range list {
				if strings.HasPrefix(c.Name, "won-") {
					winners++
				}
			}
			require.Len(t, list, 2, "the contested constant and one winner's mark: %v", list)
			require.Equal(t, 1, winners)
		})
	}
}

// TestConstantsCreateChild is one child of TestConstantsCreateAcrossProcesses.
func TestConstantsCreateChild(t *testing.T) {
	if !testdb.IsChild() {
		t.Skip("child process of TestConstantsCreateAcrossProcesses")
	}
	ctx := context.Background()
	db, err := store.Open(ctx, os.Getenv("FLOWSTORE_CHILD_DSN"))
	require.NoError(t, err)
	defer db.Close()
	cs := newStore(t, db)
	err = cs.Create(ctx, "contested", fmt.Sprint(os.Getpid()))
	if errors.Is(err, store.ErrDuplicate) {
		return
	}
	require.NoError(t, err)
	require.NoError(t, cs.Set(ctx, fmt.Sprintf("won-%d", os.Getpid()), "1"))
}

// A MySQL/MariaDB pool a host opened with the driver's defaults counts
// changed rows, not matched ones (Open sets clientFoundRows=true, such a
// pool may not). Update on a handle adopted from it must still tell an
// unchanged row from a missing one.
func TestConstantsUpdateOnAdoptedMySQLHandle(t *testing.T) {
	if !slices.Contains(testdb.Live(), store.MySQL) {
		t.Skip("MySQL/MariaDB is not live")
	}
	ctx := context.Background()
	db := testdb.Fresh(t, store.MySQL)
	target, err := store.ParseDSN(testdb.DSN(t, db))
	require.NoError(t, err)
	cfg, err := mysql.ParseDSN(target.DriverDSN)
	require.NoError(t, err)
	cfg.ClientFoundRows = false // the driver's default
	// New refuses a pool at InnoDB's REPEATABLE READ; set what it asks for.
	var version string
	require.NoError(t, db.SQL().QueryRowContext(ctx, `SELECT @@version`).Scan(&version))
	isolation := "transaction_isolation" // MySQL 8; MariaDB before 11.1 knows only tx_isolation
	if strings.Contains(version, "MariaDB") {
		isolation = "tx_isolation"
	}
	if cfg.Params == nil {
		cfg.Params = map[string]string{}
	}
	cfg.Params[isolation] = "'READ-COMMITTED'"
	connector, err := mysql.NewConnector(cfg)
	require.NoError(t, err)
	sqldb := sql.OpenDB(connector)
	t.Cleanup(func() { _ = sqldb.Close() })
	clock := newClock()
	adopted, err := store.New(context.Background(), bun.NewDB(sqldb, mysqldialect.New()), store.WithClock(clock.Now))
	require.NoError(t, err)
	cs := newStore(t, adopted)

	require.NoError(t, cs.Set(ctx, "k", "v"))
	// The premise: on this pool an UPDATE that changes nothing reports 0.
	res, err := sqldb.ExecContext(ctx, "UPDATE `Constants` SET value = 'v' WHERE name = 'k'")
	require.NoError(t, err)
	n, err := res.RowsAffected()
	require.NoError(t, err)
	require.Zero(t, n, "the pool counts changed rows")

	require.NoError(t, cs.Update(ctx, "k", "v"), "same value at the same instant: the row exists")
	require.ErrorIs(t, cs.Update(ctx, "missing", "v"), store.ErrNotFound)
	clock.Add(time.Second)
	require.NoError(t, cs.Update(ctx, "k", "w"))
	got, err := cs.Get(ctx, "k")
	require.NoError(t, err)
	require.Equal(t, "w", got.Value)
	require.True(t, store.UTC(clock.Now()).Equal(got.ChangedAt))
}
