package store_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"reflect"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/flowstore/flowstore/internal/testdb"
	"github.com/flowstore/flowstore/store"
)

// constant is a minimal model of OpenOrchestrator's Constants table, enough
// to write and count rows in these tests.
type constant struct {
	bun.BaseModel `bun:"table:Constants"`
	Name          string    `bun:"name,pk"`
	Value         string    `bun:"value"`
	ChangedAt     time.Time `bun:"changed_at"`
}

func insertConstant(ctx context.Context, idb bun.IDB, name string) error {
	_, err := idb.NewInsert().Model(&constant{Name: name, Value: "v", ChangedAt: time.Now()}).Exec(ctx)
	return err
}

func constantExists(t *testing.T, db *store.DB, name string) bool {
	t.Helper()
	n, err := db.Bun().NewSelect().Model((*constant)(nil)).Where("name = ?", name).Count(context.Background())
	require.NoError(t, err)
	return n > 0
}

func TestSessionSuppressedCommitCommitsNothing(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		var logs bytes.Buffer
		db2, err := store.New(context.Background(), db.Bun(), store.WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
		require.NoError(t, err)

		s, err := db2.Begin(ctx)
		require.NoError(t, err)
		restore := s.Suppress()
		require.True(t, s.Suppressed())
		require.NoError(t, insertConstant(ctx, s, "suppressed"))
		require.NoError(t, s.Commit(), "a suppressed commit returns nil")
		require.Contains(t, logs.String(), "step tried to commit")
		restore()
		require.False(t, s.Suppressed())
		require.NoError(t, s.Rollback(), "the owner rolls back")
		require.False(t, constantExists(t, db, "suppressed"), "the suppressed commit must not have committed")
	})
}

func TestSessionOwnerCommitPersistsEverything(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s, err := db.Begin(ctx)
		require.NoError(t, err)
		restore := s.Suppress()
		require.NoError(t, insertConstant(ctx, s, "step-a"))
		require.NoError(t, s.Commit())
		require.NoError(t, insertConstant(ctx, s, "step-b"))
		restore()
		require.NoError(t, s.Commit())
		require.True(t, constantExists(t, db, "step-a"))
		require.True(t, constantExists(t, db, "step-b"))
		require.Error(t, s.Commit(), "a finished session cannot commit twice")
	})
}

func TestSessionRollbackOnly(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		err := db.InTx(ctx, func(ctx context.Context, s *store.Session) error {
			if err := insertConstant(ctx, s, "doomed"); err != nil {
				return err
			}
			require.NoError(t, s.Rollback(), "a suppressed rollback only marks the session")
			require.True(t, s.RollbackOnly())
			return nil
		})
		require.ErrorIs(t, err, store.ErrRollbackOnly)
		require.False(t, constantExists(t, db, "doomed"))

		// The same with a session the caller owns.
		s, err := db.Begin(ctx)
		require.NoError(t, err)
		restore := s.Suppress()
		require.NoError(t, insertConstant(ctx, s, "doomed2"))
		require.NoError(t, s.Rollback())
		restore()
		require.ErrorIs(t, s.Commit(), store.ErrRollbackOnly)
		require.False(t, constantExists(t, db, "doomed2"))
	})
}

type ctxKey struct{}

func TestSessionFailedSavepointKeepsOuterWork(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		err := db.InTx(ctx, func(ctx context.Context, s *store.Session) error {
			if err := insertConstant(ctx, s, "outer-1"); err != nil {
				return err
			}
			// RunInTx: a savepoint; the duplicate fails inside it. On
			// PostgreSQL that error would abort the whole transaction
			// without the savepoint.
			inner := context.WithValue(ctx, ctxKey{}, "inner")
			err := s.RunInTx(inner, nil, func(ctx context.Context, tx bun.Tx) error {
				require.Equal(t, "inner", ctx.Value(ctxKey{}), "RunInTx passes the caller's context")
				if err := insertConstant(ctx, tx, "inner-1"); err != nil {
					return err
				}
				return insertConstant(ctx, tx, "outer-1")
			})
			require.ErrorIs(t, db.SQLDialect().Classify(err), store.ErrDuplicate)

			// Savepoint: same through flowstore's own helper.
			err = s.Savepoint(ctx, func(ctx context.Context) error {
				if err := insertConstant(ctx, s, "inner-2"); err != nil {
					return err
				}
				return errors.New("step failed")
			})
			require.EqualError(t, err, "step failed")

			// BeginTx on a session is a savepoint whose Commit cannot end
			// the transaction.
			sp, err := s.BeginTx(ctx, nil)
			require.NoError(t, err)
			require.NoError(t, insertConstant(ctx, sp, "inner-3"))
			require.NoError(t, sp.Commit())

			return insertConstant(ctx, s, "outer-2")
		})
		require.NoError(t, err)
		require.True(t, constantExists(t, db, "outer-1"))
		require.True(t, constantExists(t, db, "outer-2"))
		require.True(t, constantExists(t, db, "inner-3"), "a released savepoint commits with the transaction")
		require.False(t, constantExists(t, db, "inner-1"))
		require.False(t, constantExists(t, db, "inner-2"))
	})
}

func TestInTxRetriesRetryableErrorsOnly(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		var attempts atomic.Int32
		err := db.InTx(ctx, func(ctx context.Context, s *store.Session) error {
			n := attempts.Add(1)
			if err := insertConstant(ctx, s, "retried"); err != nil {
				return err
			}
			if n == 1 {
				return &store.DBError{Dialect: db.SQLDialect().Name(), Kind: store.ErrRetryable, Err: errors.New("deadlock victim")}
			}
			return nil
		})
		require.NoError(t, err)
		require.EqualValues(t, 2, attempts.Load(), "a retryable error runs the function again")
		require.True(t, constantExists(t, db, "retried"), "the second attempt committed (the first was rolled back, or the insert would be a duplicate)")

		attempts.Store(0)
		err = db.InTx(ctx, func(ctx context.Context, s *store.Session) error {
			attempts.Add(1)
			return fmt.Errorf("bad input: %w", store.ErrInvalid)
		})
		require.ErrorIs(t, err, store.ErrInvalid)
		require.EqualValues(t, 1, attempts.Load(), "a non-retryable error is not retried")

		// A real duplicate is not retryable either.
		attempts.Store(0)
		err = db.InTx(ctx, func(ctx context.Context, s *store.Session) error {
			attempts.Add(1)
			return insertConstant(ctx, s, "retried")
		})
		require.ErrorIs(t, err, store.ErrDuplicate)
		require.EqualValues(t, 1, attempts.Load())
	})
}

func TestInTxPanicRollsBack(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		require.PanicsWithValue(t, "boom", func() {
			_ = db.InTx(ctx, func(ctx context.Context, s *store.Session) error {
				if err := insertConstant(ctx, s, "panicked"); err != nil {
					return err
				}
				panic("boom")
			})
		})
		require.False(t, constantExists(t, db, "panicked"))
		// The pool is still healthy afterwards.
		require.NoError(t, db.InTx(ctx, func(ctx context.Context, s *store.Session) error {
			return insertConstant(ctx, s, "after-panic")
		}))
		require.True(t, constantExists(t, db, "after-panic"))
	})
}

func TestHandleInTxOnSessionIsSavepoint(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		err := db.InTx(ctx, func(ctx context.Context, s *store.Session) error {
			h := s.Handle()
			require.Same(t, s, h.Session())
			if err := insertConstant(ctx, h.IDB(), "kept"); err != nil {
				return err
			}
			err := h.InTx(ctx, func(ctx context.Context, h store.Handle) error {
				if err := insertConstant(ctx, h.IDB(), "undone"); err != nil {
					return err
				}
				return errors.New("inner failure")
			})
			require.Error(t, err)
			return nil
		})
		require.NoError(t, err)
		require.True(t, constantExists(t, db, "kept"))
		require.False(t, constantExists(t, db, "undone"))
	})
}

func TestSessionExposesNoTransaction(t *testing.T) {
	// The point of delegation: nothing reachable from a Session commits the
	// transaction behind a suppressed session's back — no exported or
	// embedded field (an embedded bun.Tx would make s.Tx.Commit() reachable).
	var _ bun.IDB = (*store.Session)(nil)
	typ := reflect.TypeOf(store.Session{})
	for i := range typ.NumField() {
		f := typ.Field(i)
		require.False(t, f.IsExported() || f.Anonymous, "Session field %s must be unexported and not embedded", f.Name)
	}
}

// TestSessionSavepointCancelledContextRollsBack: a savepoint whose work fails
// because its context was cancelled must still be rolled back. bun runs a
// savepoint's ROLLBACK TO on the context the savepoint was opened with; if
// that is the cancelled one, the rollback never reaches the database and
// the failed work commits with the transaction.
func TestSessionSavepointCancelledContextRollsBack(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		err := db.InTx(ctx, func(ctx context.Context, s *store.Session) error {
			// Savepoint: fn writes, its context is cancelled, fn reports it.
			spCtx, cancel := context.WithCancel(ctx)
			err := s.Savepoint(spCtx, func(ctx context.Context) error {
				if err := insertConstant(ctx, s, "cancelled-savepoint"); err != nil {
					return err
				}
				cancel()
				return ctx.Err()
			})
			require.ErrorIs(t, err, context.Canceled)
			require.NotContains(t, err.Error(), "rollback to savepoint", "the rollback itself must succeed")

			// RunInTx: the same through bun's interface.
			spCtx, cancel = context.WithCancel(ctx)
			err = s.RunInTx(spCtx, nil, func(ctx context.Context, tx bun.Tx) error {
				if err := insertConstant(ctx, tx, "cancelled-runintx"); err != nil {
					return err
				}
				cancel()
				return ctx.Err()
			})
			require.ErrorIs(t, err, context.Canceled)
			require.NotContains(t, err.Error(), "rollback to savepoint")

			// BeginTx: the caller rolls back after its context ended.
			spCtx, cancel = context.WithCancel(ctx)
			sp, err := s.BeginTx(spCtx, nil)
			require.NoError(t, err)
			require.NoError(t, insertConstant(spCtx, sp, "cancelled-begintx"))
			cancel()
			require.NoError(t, sp.Rollback(), "rolling back a savepoint whose context was cancelled")

			return insertConstant(ctx, s, "outer-after-cancel")
		})
		require.NoError(t, err)
		require.True(t, constantExists(t, db, "outer-after-cancel"))
		for _, name := range []string{"cancelled-savepoint", "cancelled-runintx", "cancelled-begintx"} {
			require.False(t, constantExists(t, db, name), "%s: the failed savepoint's write must not commit", name)
		}
	})
}

// TestSessionSavepointPanicRollsBack: a panic inside a savepoint
// undoes the savepoint's writes, reaches the caller, and leaves the
// transaction usable (also on PostgreSQL).
func TestSessionSavepointPanicRollsBack(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		err := db.InTx(ctx, func(ctx context.Context, s *store.Session) error {
			if err := insertConstant(ctx, s, "before-panic"); err != nil {
				return err
			}
			require.PanicsWithValue(t, "step exploded", func() {
				_ = s.Savepoint(ctx, func(ctx context.Context) error {
					if err := insertConstant(ctx, s, "inside-panic"); err != nil {
						return err
					}
					panic("step exploded")
				})
			})
			require.PanicsWithValue(t, "callback exploded", func() {
				_ = s.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
					if err := insertConstant(ctx, tx, "inside-panic-2"); err != nil {
						return err
					}
					panic("callback exploded")
				})
			})
			return insertConstant(ctx, s, "after-panic")
		})
		require.NoError(t, err)
		require.True(t, constantExists(t, db, "before-panic"))
		require.True(t, constantExists(t, db, "after-panic"))
		require.False(t, constantExists(t, db, "inside-panic"))
		require.False(t, constantExists(t, db, "inside-panic-2"))
	})
}

// TestInTxEndsTransactionDespiteUnrestoredSuppress: fn leaving a Suppress
// unrestored must not make InTx's own commit a suppressed no-op — that
// committed nothing, returned nil, and leaked the transaction and its
// connection.
func TestInTxEndsTransactionDespiteUnrestoredSuppress(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		var logs bytes.Buffer
		db2, err := store.New(context.Background(), db.Bun(), store.WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
		require.NoError(t, err)

		err = db2.InTx(ctx, func(ctx context.Context, s *store.Session) error {
			if err := insertConstant(ctx, s, "suppressed-forever"); err != nil {
				return err
			}
			_ = s.Suppress() // the bug in fn: never restored
			return nil
		})
		require.NoError(t, err)
		require.True(t, constantExists(t, db, "suppressed-forever"), "InTx must commit what fn wrote")
		require.Contains(t, logs.String(), "still suppressed")

		err = db2.InTx(ctx, func(ctx context.Context, s *store.Session) error {
			if err := insertConstant(ctx, s, "suppressed-and-failed"); err != nil {
				return err
			}
			_ = s.Suppress()
			return errors.New("step failed")
		})
		require.EqualError(t, err, "step failed")
		require.False(t, constantExists(t, db, "suppressed-and-failed"), "InTx must roll back")

		require.Zero(t, db.SQL().Stats().InUse, "no transaction may stay open")
	})
}

// TestInTxStopsRetryingAtMaxRetries: a function that always fails with a
// retryable error runs 1 + WithMaxRetries times, and the last error is
// returned.
func TestInTxStopsRetryingAtMaxRetries(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		for _, limit := range []int{0, 2} {
			limited, err := store.New(context.Background(), db.Bun(), store.WithMaxRetries(limit))
			require.NoError(t, err)
			var attempts int
			err = limited.InTx(ctx, func(ctx context.Context, s *store.Session) error {
				attempts++
				if err := insertConstant(ctx, s, fmt.Sprintf("retry-%d", limit)); err != nil {
					return err
				}
				return &store.DBError{Dialect: db.SQLDialect().Name(), Kind: store.ErrRetryable, Err: fmt.Errorf("victim %d", attempts)}
			})
			require.ErrorIs(t, err, store.ErrRetryable)
			require.Contains(t, err.Error(), fmt.Sprintf("victim %d", limit+1), "the last attempt's error")
			require.Equal(t, limit+1, attempts, "WithMaxRetries(%d)", limit)
			require.False(t, constantExists(t, db, fmt.Sprintf("retry-%d", limit)), "every attempt was rolled back")
		}
	})
}

// TestInTxRetriesRealSerializationFailure provokes SQLSTATE 40001 on
// PostgreSQL: a REPEATABLE READ transaction reads a row, another
// transaction updates and commits it, and the first one's update of that row
// fails with "could not serialize access due to concurrent update". The
// error classifies as retryable and InTx runs the function again, which then
// succeeds. (MariaDB at REPEATABLE READ updates the newest version instead
// of failing, SQLite serialises writers, and SQL Server needs SNAPSHOT
// isolation to report 3960; their retryable errors are provoked in
// TestClassifyDeadlock and TestClassifySQLiteBusy.)
func TestInTxRetriesRealSerializationFailure(t *testing.T) {
	db := testdb.Fresh(t, store.Postgres)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	require.NoError(t, insertConstant(ctx, db.Bun(), "contended"))
	read := func(s *store.Session) string {
		var v string
		require.NoError(t, s.NewSelect().Model((*constant)(nil)).Column("value").Where("name = ?", "contended").Scan(ctx, &v))
		return v
	}
	set := func(idb bun.IDB, value string) error {
		_, err := idb.NewUpdate().Model((*constant)(nil)).Set("value = ?", value).Where("name = ?", "contended").Exec(ctx)
		return err
	}

	var attempts int
	var first error
	err := db.InTx(ctx, func(ctx context.Context, s *store.Session) error {
		attempts++
		if _, err := s.ExecContext(ctx, "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ"); err != nil {
			return err
		}
		read(s) // the snapshot is taken here
		if attempts == 1 {
			// Another connection changes the row and commits.
			require.NoError(t, set(db.Bun(), "theirs"))
		}
		err := set(s, "ours")
		if attempts == 1 {
			first = err
		}
		return err
	})
	require.NoError(t, err)
	require.Error(t, first, "the first attempt must hit a serialization failure")
	require.ErrorIs(t, dialect(t, store.Postgres).Classify(first), store.ErrRetryable)
	var dbErr *store.DBError
	require.ErrorAs(t, dialect(t, store.Postgres).Classify(first), &dbErr)
	require.Contains(t, dbErr.Err.Error(), "40001")
	require.Equal(t, 2, attempts, "InTx retried the serialization failure once")

	var v string
	require.NoError(t, db.Bun().NewSelect().Model((*constant)(nil)).Column("value").Where("name = ?", "contended").Scan(ctx, &v))
	require.Equal(t, "ours", v)
}
