package flowstore_test

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/flowstore/flowstore"
	"github.com/flowstore/flowstore/crypto/secret"
	"github.com/flowstore/flowstore/internal/testdb"
	"github.com/flowstore/flowstore/queue"
	"github.com/flowstore/flowstore/store"
)

func TestMain(m *testing.M) { testdb.Main(m) }

// TestInTxBindsEveryStore writes through several stores in one transaction:
// a failure rolls all of them back; success commits all of them.
func TestInTxBindsEveryStore(t *testing.T) {
	for _, d := range testdb.Live() {
		t.Run(string(d), func(t *testing.T) {
			ctx := context.Background()
			fs, err := flowstore.Open(ctx, testdb.FreshDSN(t, d))
			require.NoError(t, err)
			defer fs.Close()
			require.Equal(t, d, fs.SQLDialect().Name())

			boom := errors.New("boom")
			err = fs.InTx(ctx, func(ctx context.Context, tx *flowstore.Tx) error {
				if _, err := tx.Queue.Enqueue(ctx, "orders", queue.NewElement{Reference: "o-1"}); err != nil {
					return err
				}
				if err := tx.Constants.Set(ctx, "last_order", "o-1"); err != nil {
					return err
				}
				return boom
			})
			require.ErrorIs(t, err, boom)
			counts, err := fs.Queue.Counts(ctx)
			require.NoError(t, err)
			require.Empty(t, counts, "the enqueue rolled back with the transaction")
			_, err = fs.Constants.Get(ctx, "last_order")
			require.ErrorIs(t, err, store.ErrNotFound)

			err = fs.InTx(ctx, func(ctx context.Context, tx *flowstore.Tx) error {
				if _, err := tx.Queue.Enqueue(ctx, "orders", queue.NewElement{Reference: "o-2"}); err != nil {
					return err
				}
				return tx.Constants.Set(ctx, "last_order", "o-2")
			})
			require.NoError(t, err)
			c, err := fs.Constants.Get(ctx, "last_order")
			require.NoError(t, err)
			require.Equal(t, "o-2", c.Value)
			e, err := fs.Queue.Claim(ctx, "orders")
			require.NoError(t, err)
			require.Equal(t, "o-2", e.Reference)
		})
	}
}

func TestOpenOptions(t *testing.T) {
	ctx := context.Background()
	dsn := testdb.FreshDSN(t, store.SQLite)
	fs, err := flowstore.Open(ctx, dsn, flowstore.WithoutMigrate())
	require.NoError(t, err)
	v, err := fs.Store().SchemaVersion(ctx)
	require.NoError(t, err)
	require.Zero(t, v, "WithoutMigrate leaves the schema alone")
	require.NoError(t, fs.Close())

	key, err := secret.GenerateKey(secret.Fernet)
	require.NoError(t, err)
	ring, err := secret.NewRing(key)
	require.NoError(t, err)
	fs, err = flowstore.Open(ctx, dsn, flowstore.WithKeyRing(ring))
	require.NoError(t, err)
	defer fs.Close()
	require.NoError(t, fs.Credentials.Set(ctx, "erp", "robot", "s3cret"))
	secret, err := fs.Credentials.Get(ctx, "erp")
	require.NoError(t, err)
	require.Equal(t, "s3cret", secret.Password)

	_, err = flowstore.Open(ctx, "nosuch://x")
	require.ErrorIs(t, err, store.ErrUnsupported)
}
