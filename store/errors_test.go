package store_test

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/flowstore/flowstore/internal/golden"
	"github.com/flowstore/flowstore/internal/testdb"
	"github.com/flowstore/flowstore/store"
)

func TestClassifyDuplicate(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		require.NoError(t, insertConstant(ctx, db.Bun(), "dup"))
		err := db.SQLDialect().Classify(insertConstant(ctx, db.Bun(), "dup"))
		require.ErrorIs(t, err, store.ErrDuplicate)
		var dbErr *store.DBError
		require.ErrorAs(t, err, &dbErr)
		require.Equal(t, db.SQLDialect().Name(), dbErr.Dialect)
	})
}

func TestClassifyTooLong(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		// Constants.value is varchar(1000).
		_, err := db.Bun().NewInsert().Model(&constant{Name: "long", Value: strings.Repeat("x", 1001), ChangedAt: time.Now()}).Exec(ctx)
		require.ErrorIs(t, db.SQLDialect().Classify(err), store.ErrTooLong)
		require.False(t, constantExists(t, db, "long"))
		// 1000 characters fit, also multi-byte ones.
		_, err = db.Bun().NewInsert().Model(&constant{Name: "fits", Value: strings.Repeat("é", 1000), ChangedAt: time.Now()}).Exec(ctx)
		require.NoError(t, err)
	})
}

func TestClassifyNotFound(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		var c constant
		err := db.Bun().NewSelect().Model(&c).Where("name = ?", "absent").Scan(context.Background())
		require.ErrorIs(t, db.SQLDialect().Classify(err), store.ErrNotFound)
	})
}

// TestClassifyDeadlock provokes a real deadlock: two transactions update the
// same two rows in opposite order. The database picks a victim, whose error
// must classify as retryable. SQLite cannot deadlock (one writer at a time);
// its retryable error is SQLITE_BUSY, provoked in TestClassifySQLiteBusy.
func TestClassifyDeadlock(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		if db.SQLDialect().Name() == store.SQLite {
			t.Skip("SQLite serialises writers; see TestClassifySQLiteBusy")
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		require.NoError(t, insertConstant(ctx, db.Bun(), "row-1"))
		require.NoError(t, insertConstant(ctx, db.Bun(), "row-2"))
		update := func(s *store.Session, name string) error {
			_, err := s.NewUpdate().Model((*constant)(nil)).Set("value = ?", "x").Where("name = ?", name).Exec(ctx)
			return err
		}
		a, err := db.Begin(ctx)
		require.NoError(t, err)
		b, err := db.Begin(ctx)
		require.NoError(t, err)
		require.NoError(t, update(a, "row-1"))
		require.NoError(t, update(b, "row-2"))

		var wg sync.WaitGroup
		var errA, errB error
		wg.Add(2)
		go func() { defer wg.Done(); errA = update(a, "row-2") }()
		// b closes the cycle only once a waits for its row: the database
		// itself says so.
		testdb.WaitBlocked(t, db, 1)
		go func() { defer wg.Done(); errB = update(b, "row-1") }()
		wg.Wait()
		_ = a.Rollback()
		_ = b.Rollback()

		victim := errA
		if victim == nil {
			victim = errB
		}
		require.Error(t, victim, "one of the two transactions must be the deadlock victim")
		require.True(t, errA == nil || errB == nil, "only one victim: %v / %v", errA, errB)
		require.ErrorIs(t, db.SQLDialect().Classify(victim), store.ErrRetryable, "victim error: %v", victim)
	})
}

func TestClassifySQLiteBusy(t *testing.T) {
	ctx := context.Background()
	dsn := testdb.FreshDSN(t, store.SQLite)
	writer, err := store.Open(ctx, dsn)
	require.NoError(t, err)
	defer writer.Close()
	require.NoError(t, writer.Migrate(ctx))
	// A second handle that does not wait for the lock at all.
	impatient, err := store.Open(ctx, dsn+"?_pragma=busy_timeout(0)")
	require.NoError(t, err)
	defer impatient.Close()

	s, err := writer.Begin(ctx) // BEGIN IMMEDIATE: holds the write lock
	require.NoError(t, err)
	defer s.Rollback()
	require.NoError(t, insertConstant(ctx, s, "held"))

	err = insertConstant(ctx, impatient.Bun(), "blocked")
	require.Error(t, err)
	require.ErrorIs(t, dialect(t, store.SQLite).Classify(err), store.ErrRetryable, "got %v", err)
}

// queueRow is enough of OpenOrchestrator's Queues table to round-trip a UUID
// and times.
type queueRow struct {
	bun.BaseModel `bun:"table:Queues"`
	ID            uuid.UUID  `bun:"id,pk"`
	QueueName     string     `bun:"queue_name"`
	Status        string     `bun:"status"`
	CreatedDate   time.Time  `bun:"created_date"`
	StartDate     *time.Time `bun:"start_date"`
}

func TestTimeAndUUIDRoundTrip(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		plus2 := time.FixedZone("UTC+2", 2*60*60)
		written := time.Date(2026, 3, 29, 3, 4, 5, 123456789, plus2) // nanoseconds, non-UTC
		start := time.Date(2026, 12, 31, 23, 59, 59, 999999000, time.UTC)
		id := uuid.MustParse("0191e8b2-1c2d-7e3f-8a4b-5c6d7e8f9a0b") // distinct bytes in every group
		row := queueRow{ID: id, QueueName: "q", Status: "NEW", CreatedDate: store.UTC(written), StartDate: &start}
		_, err := db.Bun().NewInsert().Model(&row).Exec(ctx)
		require.NoError(t, err)

		var got queueRow
		require.NoError(t, db.Bun().NewSelect().Model(&got).Where("id = ?", id).Scan(ctx))
		require.Equal(t, id, got.ID, "UUID must come back with the same bytes")
		require.True(t, got.CreatedDate.Equal(written.Truncate(time.Microsecond)), "same instant: wrote %s, read %s", written, got.CreatedDate)
		require.True(t, got.StartDate.Equal(start), "microseconds kept: wrote %s, read %s", start, got.StartDate)

		// Comparisons happen in the database on the stored form: the row is
		// found by its exact time and ordered correctly against a bound time.
		n, err := db.Bun().NewSelect().Model((*queueRow)(nil)).Where("created_date = ?", store.UTC(written)).Count(ctx)
		require.NoError(t, err)
		require.EqualValues(t, 1, n)
		n, err = db.Bun().NewSelect().Model((*queueRow)(nil)).Where("created_date < ?", store.UTC(written).Add(time.Microsecond)).Count(ctx)
		require.NoError(t, err)
		require.EqualValues(t, 1, n)

		// The same through driver-bound parameters (the hot-path route),
		// scanned into a uuid.UUID as the stores do: each driver hands the
		// id over in its own form (text on SQLite, PostgreSQL and MySQL, 16
		// bytes on SQL Server, in RFC order only with "guid conversion"),
		// and a string would hold SQL Server's raw bytes.
		var rawID uuid.UUID
		q := db.SQLDialect().Rebind(`SELECT id FROM "Queues" WHERE created_date = ?`)
		if db.SQLDialect().Name() == store.MySQL {
			q = "SELECT id FROM `Queues` WHERE created_date = ?"
		}
		err = db.SQL().QueryRowContext(ctx, q, store.UTC(written)).Scan(&rawID)
		require.NoError(t, err)
		require.Equal(t, id, rawID)
	})
}

func TestUTCNormalises(t *testing.T) {
	local := time.Date(2026, 1, 2, 3, 4, 5, 6789, time.FixedZone("X", -5*3600))
	got := store.UTC(local)
	require.Equal(t, time.UTC, got.Location())
	require.True(t, got.Equal(local.Truncate(time.Microsecond)))
	require.True(t, store.UTC(time.Time{}).IsZero())
}

func TestDBNowUsesClock(t *testing.T) {
	fixed := time.Date(2030, 5, 6, 7, 8, 9, 999, time.FixedZone("Y", 3600))
	db, err := store.New(context.Background(), testdb.Offline(store.SQLite).Bun(), store.WithClock(func() time.Time { return fixed }))
	require.NoError(t, err)
	require.True(t, db.Now().Equal(fixed.Truncate(time.Microsecond)))
	require.Equal(t, time.UTC, db.Now().Location())
}

func TestIsRetryable(t *testing.T) {
	require.True(t, store.IsRetryable(&store.DBError{Kind: store.ErrRetryable, Err: errors.New("x")}))
	require.False(t, store.IsRetryable(errors.New("x")))
	require.NoError(t, dialect(t, store.Postgres).Classify(nil))
}

// TestLiteralsGolden pins how each dialect receives a UUID and a time that
// bun inlines: the UUID as its canonical text (SQL Server converts N'…' into
// uniqueidentifier itself; reading back relies on "guid conversion", pinned in
// testdata/dsn.txt), and the time in UTC with microseconds on every dialect —
// bun's own SQL Server dialect would write the local wall clock in ms.
func TestLiteralsGolden(t *testing.T) {
	plus2 := time.FixedZone("UTC+2", 2*60*60)
	created := time.Date(2026, 3, 29, 3, 4, 5, 123456789, plus2)
	row := queueRow{ID: uuid.MustParse("0191e8b2-1c2d-7e3f-8a4b-5c6d7e8f9a0b"), QueueName: "q", Status: "NEW", CreatedDate: created}
	var b strings.Builder
	for _, d := range store.DialectNames() {
		q := testdb.Offline(d).Bun().NewInsert().Model(&row)
		b.WriteString(string(d) + ": " + q.String() + "\n")
	}
	golden.Assert(t, "testdata/literals.sql", b.String())
}

// TestMySQLIsolation: Open makes every MySQL/MariaDB connection run at READ
// COMMITTED (InnoDB defaults to REPEATABLE READ), unless the DSN chose a
// level itself. The other dialects run at READ COMMITTED by default.
func TestMySQLIsolation(t *testing.T) {
	ctx := context.Background()
	dsn := testdb.FreshDSN(t, store.MySQL)
	level := func(t *testing.T, db *store.DB) string {
		// Several connections, so a level set on only the first would show.
		conns := make([]*sql.Conn, 3)
		var levels []string
		for i := range conns {
			c, err := db.SQL().Conn(ctx)
			require.NoError(t, err)
			conns[i] = c
			var l string
			// MariaDB before 11.1 names the variable tx_isolation, MySQL 8
			// transaction_isolation.
			if err := c.QueryRowContext(ctx, "SELECT @@SESSION.tx_isolation").Scan(&l); err != nil {
				require.NoError(t, c.QueryRowContext(ctx, "SELECT @@SESSION.transaction_isolation").Scan(&l))
			}
			levels = append(levels, l)
		}
		for _, c := range conns {
			require.NoError(t, c.Close())
		}
		for _, l := range levels[1:] {
			require.Equal(t, levels[0], l)
		}
		return levels[0]
	}

	db, err := store.Open(ctx, dsn)
	require.NoError(t, err)
	defer db.Close()
	require.Equal(t, "READ-COMMITTED", level(t, db))

	sep := "?"
	if strings.Contains(dsn, "?") {
		sep = "&"
	}
	own, err := store.Open(ctx, dsn+sep+"tx_isolation=%27SERIALIZABLE%27")
	if err != nil {
		// MySQL 8 knows the variable only as transaction_isolation.
		own, err = store.Open(ctx, dsn+sep+"transaction_isolation=%27SERIALIZABLE%27")
	}
	require.NoError(t, err)
	defer own.Close()
	require.Equal(t, "SERIALIZABLE", level(t, own))
}
