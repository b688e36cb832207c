package credential_test

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/flowstore/flowstore/crypto/secret"
	"github.com/flowstore/flowstore/internal/testdb"
	"github.com/flowstore/flowstore/store"
	"github.com/flowstore/flowstore/store/credential"
)

func ring(t *testing.T, kind secret.Kind, others ...*secret.Key) (*secret.Ring, *secret.Key) {
	t.Helper()
	k, err := secret.GenerateKey(kind)
	require.NoError(t, err)
	r, err := secret.NewRing(k, others...)
	require.NoError(t, err)
	return r, k
}

// newStore returns the Credentials store of db, with ring when it is not
// nil.
func newStore(t testing.TB, db *store.DB, ring *secret.Ring) credential.Store {
	t.Helper()
	var opts []credential.Option
	if ring != nil {
		opts = append(opts, credential.WithKeyRing(ring))
	}
	cs, err := credential.New(db, opts...)
	require.NoError(t, err)
	return cs
}

func TestNewRefusesNilDB(t *testing.T) {
	_, err := credential.New(nil)
	require.ErrorIs(t, err, store.ErrInvalid)
	require.EqualError(t, err, "credential: new store: invalid input: nil *store.DB")
}

func TestCredentialsRoundTrip(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		for _, kind := range []secret.Kind{secret.Fernet, secret.AESGCM} {
			r, k := ring(t, kind)
			cs := newStore(t, db, r)
			name := "erp-" + kind.String()
			require.NoError(t, cs.Set(ctx, name, "robot", "pässwörd"))
			got, err := cs.Get(ctx, name)
			require.NoError(t, err)
			require.Equal(t, "robot", got.Username)
			require.Equal(t, "pässwörd", got.Password)
			require.Equal(t, k.ID(), got.KeyID)

			raw, err := cs.GetEncrypted(ctx, name)
			require.NoError(t, err)
			require.NotContains(t, raw.Password, "pässwörd")
			if kind == secret.Fernet {
				require.True(t, strings.HasPrefix(raw.Password, "gAAAAA"), "Fernet primary writes Fernet tokens")
			} else {
				require.True(t, strings.HasPrefix(raw.Password, "gcm1."+k.ID()+"."))
			}

			// Set replaces username and password.
			require.NoError(t, cs.Set(ctx, name, "robot2", "new"))
			got, err = cs.Get(ctx, name)
			require.NoError(t, err)
			require.Equal(t, "robot2", got.Username)
			require.Equal(t, "new", got.Password)
		}
		list, err := newStore(t, db, nil).List(ctx)
		require.NoError(t, err)
		require.Len(t, list, 2)
		require.Equal(t, "erp-aes256gcm", list[0].Name)
		require.NoError(t, newStore(t, db, nil).Delete(ctx, "erp-fernet"))
		err = newStore(t, db, nil).Delete(ctx, "erp-fernet")
		require.ErrorIs(t, err, store.ErrNotFound)
		require.EqualError(t, err, `credential: delete "erp-fernet": not found`)
		noRing := newStore(t, db, nil)
		_, err = noRing.Get(ctx, "erp-aes256gcm")
		require.ErrorIs(t, err, store.ErrInvalid, "no ring, no decryption")
		require.ErrorIs(t, noRing.Set(ctx, "other", "u", "p"), store.ErrInvalid, "no ring, no encryption")
		_, err = noRing.GetEncrypted(ctx, "other")
		require.ErrorIs(t, err, store.ErrNotFound, "nothing written without a ring")
		raw, err := noRing.GetEncrypted(ctx, "erp-aes256gcm")
		require.NoError(t, err, "reading encrypted rows needs no ring")
		require.Equal(t, "robot2", raw.Username)
		require.Nil(t, noRing.Ring())
		require.Zero(t, noRing.MaxPasswordLen())
	})
}

func TestCredentialsWrongKey(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		r1, _ := ring(t, secret.Fernet)
		r2, k2 := ring(t, secret.Fernet)
		require.NoError(t, newStore(t, db, r1).Set(ctx, "c", "u", "secret"))
		_, err := newStore(t, db, r2).Get(ctx, "c")
		require.ErrorIs(t, err, store.ErrDecrypt)
		require.ErrorIs(t, err, secret.ErrDecrypt)
		var de *secret.DecryptError
		require.ErrorAs(t, err, &de)
		require.Equal(t, []string{k2.ID()}, de.Tried)
		require.Contains(t, err.Error(), k2.ID())
		require.Contains(t, err.Error(), `"c"`)
		require.True(t, strings.HasPrefix(err.Error(), `credential: get "c": `), err.Error())
	})
}

func TestCredentialsTooLong(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		for _, tc := range []struct {
			kind secret.Kind
			max  int
		}{{secret.Fernet, 687}, {secret.AESGCM, 711}} {
			r, _ := ring(t, tc.kind)
			cs := newStore(t, db, r)
			require.Equal(t, tc.max, cs.MaxPasswordLen())
			name := "long-" + tc.kind.String()
			err := cs.Set(ctx, name, "u", strings.Repeat("p", tc.max+1))
			require.ErrorIs(t, err, store.ErrTooLong)
			require.Contains(t, err.Error(), "is "+itoa(tc.max)+" bytes")
			_, err = cs.GetEncrypted(ctx, name)
			require.ErrorIs(t, err, store.ErrNotFound, "nothing written")
			// The longest password fits the column on every dialect.
			require.NoError(t, cs.Set(ctx, name, "u", strings.Repeat("p", tc.max)))
			got, err := cs.Get(ctx, name)
			require.NoError(t, err)
			require.Len(t, got.Password, tc.max)
		}
		r, _ := ring(t, secret.Fernet)
		cs := newStore(t, db, r)
		require.ErrorIs(t, cs.Set(ctx, strings.Repeat("n", 101), "u", "p"), store.ErrTooLong)
		require.ErrorIs(t, cs.Set(ctx, "n", strings.Repeat("u", 251), "p"), store.ErrTooLong)
		require.ErrorIs(t, cs.Set(ctx, "", "u", "p"), store.ErrInvalid)
	})
}

func itoa(n int) string { return strconv.Itoa(n) }

// A credential written with one key is readable after rotation with the new
// key alone; rows already under the new key are not counted.
func TestCredentialsRotate(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		oldRing, oldKey := ring(t, secret.Fernet)
		cs := newStore(t, db, oldRing)
		require.NoError(t, cs.Set(ctx, "a", "ua", "pa"))
		require.NoError(t, cs.Set(ctx, "b", "ub", "pb"))
		before, err := cs.GetEncrypted(ctx, "a")
		require.NoError(t, err)

		newRing, newKey := ring(t, secret.AESGCM)
		// A row already under the new key counts as unchanged.
		require.NoError(t, newStore(t, db, newRing).Set(ctx, "c", "uc", "pc"))

		n, err := cs.Rotate(ctx, newRing)
		require.NoError(t, err)
		require.Equal(t, 2, n)

		alone := newStore(t, db, newRing) // the old key is gone
		for _, name := range []string{"a", "b", "c"} {
			got, err := alone.Get(ctx, name)
			require.NoError(t, err, name)
			require.Equal(t, "p"+name, got.Password)
			require.Equal(t, newKey.ID(), got.KeyID)
		}
		after, err := alone.GetEncrypted(ctx, "a")
		require.NoError(t, err)
		require.True(t, before.ChangedAt.Equal(after.ChangedAt), "rotation does not touch changed_at")
		_, err = newStore(t, db, oldRing).Get(ctx, "a")
		require.ErrorIs(t, err, store.ErrDecrypt)
		require.Contains(t, err.Error(), oldKey.ID())

		n, err = alone.Rotate(ctx, newRing)
		require.NoError(t, err)
		require.Zero(t, n, "nothing left to re-encrypt")
	})
}

// A credential no key opens aborts the rotation, names it, changes nothing.
func TestCredentialsRotateAbortsOnUndecryptable(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		r1, _ := ring(t, secret.Fernet)
		stranger, _ := ring(t, secret.Fernet)
		require.NoError(t, newStore(t, db, r1).Set(ctx, "a-ok", "u", "p"))
		require.NoError(t, newStore(t, db, stranger).Set(ctx, "b-foreign", "u", "p"))
		require.NoError(t, newStore(t, db, r1).Set(ctx, "c-ok", "u", "p"))
		before, err := newStore(t, db, nil).List(ctx)
		require.NoError(t, err)

		next, _ := ring(t, secret.AESGCM)
		n, err := newStore(t, db, r1).Rotate(ctx, next)
		require.ErrorIs(t, err, store.ErrDecrypt)
		require.Contains(t, err.Error(), `"b-foreign"`)
		require.Contains(t, err.Error(), "nothing changed")
		require.True(t, strings.HasPrefix(err.Error(), `credential: rotate, nothing changed: "b-foreign": `), err.Error())
		require.Zero(t, n)
		after, err := newStore(t, db, nil).List(ctx)
		require.NoError(t, err)
		require.Equal(t, before, after, "a-ok was re-encrypted before b failed; the transaction undid it")
	})
}

// Rotation inside a caller's session commits with it.
func TestCredentialsRotateInSession(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		r1, _ := ring(t, secret.Fernet)
		require.NoError(t, newStore(t, db, r1).Set(ctx, "a", "u", "p"))
		r2, _ := ring(t, secret.Fernet)
		err := db.InTx(ctx, func(ctx context.Context, s *store.Session) error {
			n, err := newStore(t, db, r1).WithTx(s).Rotate(ctx, r2)
			require.NoError(t, err)
			require.Equal(t, 1, n)
			return errors.New("changed my mind")
		})
		require.Error(t, err)
		_, err = newStore(t, db, r1).Get(ctx, "a")
		require.NoError(t, err, "rolled back with the session: still under the old key")
	})
}
