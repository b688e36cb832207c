package flowstore_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/flowstore/flowstore"
	"github.com/flowstore/flowstore/internal/testdb"
	"github.com/flowstore/flowstore/store"
)

// TestNilContextAtTheBoundary: a nil context is refused with ErrInvalid by
// Open and by every method of the handles that takes a context — before
// database/sql can panic on it, which (recovered) left the pool's lock
// held and every later call hanging. The handle still works afterwards.
func TestNilContextAtTheBoundary(t *testing.T) {
	var nilCtx context.Context
	for _, d := range testdb.Live() {
		t.Run(string(d), func(t *testing.T) {
			dsn := testdb.FreshDSN(t, d)
			_, err := flowstore.Open(nilCtx, dsn)
			require.ErrorIs(t, err, store.ErrInvalid)
			_, err = store.Open(nilCtx, dsn)
			require.ErrorIs(t, err, store.ErrInvalid)

			fs, err := flowstore.Open(t.Context(), dsn)
			require.NoError(t, err)
			defer fs.Close()
			_, err = flowstore.New(nilCtx, fs.Store())
			require.ErrorIs(t, err, store.ErrInvalid)
			_, err = store.New(nilCtx, fs.Store().Bun())
			require.ErrorIs(t, err, store.ErrInvalid)
			require.NotZero(t, testdb.RefusesNilContext(t, fs))
			require.NotZero(t, testdb.RefusesNilContext(t, fs.Store()))
			s, err := fs.Store().Begin(t.Context())
			require.NoError(t, err)
			require.NotZero(t, testdb.RefusesNilContext(t, s, "QueryRowContext"))
			var one int
			require.NoError(t, s.QueryRowContext(nilCtx, "SELECT 1").Scan(&one), "a nil ctx runs on the session's context")
			require.Equal(t, 1, one)
			require.NoError(t, s.Rollback())

			ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
			defer cancel()
			require.NoError(t, fs.Constants.Set(ctx, "after", "nil"), "the pool still answers")
			c, err := fs.Constants.Get(ctx, "after")
			require.NoError(t, err)
			require.Equal(t, "nil", c.Value)
		})
	}
}
