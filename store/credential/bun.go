package credential

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/flowstore/flowstore/crypto/secret"
	"github.com/flowstore/flowstore/store"
)

// bunStore is the Store on bun, for every dialect.
type bunStore struct {
	h    store.Handle
	d    *store.Dialect
	q    *stmts
	ring *secret.Ring
}

var _ Store = (*bunStore)(nil)

// New returns the Credentials store of db. It renders the package's
// statements for db's dialect and does no I/O.
func New(db *store.DB, opts ...Option) (Store, error) {
	if db == nil {
		return nil, fmt.Errorf("credential: new store: %w: nil *store.DB", store.ErrInvalid)
	}
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	return &bunStore{h: db.Handle(), d: db.SQLDialect(), q: newStmts(db.SQLDialect()), ring: o.ring}, nil
}

// WithTx implements Store.
func (b *bunStore) WithTx(s *store.Session) Store {
	c := *b
	c.h = s.Handle()
	return &c
}

// Ring implements Store.
func (b *bunStore) Ring() *secret.Ring { return b.ring }

// decryptError is what a credential that does not decrypt returns. It
// matches both store.ErrDecrypt and secret.ErrDecrypt with errors.Is, and
// errors.As reaches the *secret.DecryptError with the key ids tried:
// package secret imports nothing of ours, so the two sentinels are joined
// here. Its message is the cipher's, which already says what failed.
type decryptError struct{ err error }

func (e *decryptError) Error() string   { return e.err.Error() }
func (e *decryptError) Unwrap() []error { return []error{store.ErrDecrypt, e.err} }

func (b *bunStore) needRing() error {
	if b.ring == nil {
		return fmt.Errorf("%w: the store has no key ring (see WithKeyRing)", store.ErrInvalid)
	}
	return nil
}

// MaxPasswordLen implements Store: 687 bytes for a Fernet primary key, 711
// for an AES-256-GCM one.
func (b *bunStore) MaxPasswordLen() int {
	if b.ring == nil {
		return 0
	}
	return b.ring.MaxPlaintext(PasswordMax)
}

// Set implements Store (an upsert). A password whose token would not fit
// the column is refused with store.ErrTooLong naming the longest plaintext
// that fits; nothing is written.
func (b *bunStore) Set(ctx context.Context, name, username, password string) error {
	if err := store.CheckContext(ctx); err != nil {
		return fmt.Errorf("credential: set %q: %w", name, err)
	}
	if err := b.set(ctx, name, username, password); err != nil {
		return fmt.Errorf("credential: set %q: %w", name, err)
	}
	return nil
}

func (b *bunStore) set(ctx context.Context, name, username, password string) error {
	if err := b.needRing(); err != nil {
		return err
	}
	if err := b.checkName(name); err != nil {
		return err
	}
	if err := b.d.CheckText("Credentials.username", username, UsernameMax); err != nil {
		return err
	}
	// The password is encrypted, so no column limits its text; it must be
	// text all the same, because OpenOrchestrator decodes what it decrypts
	// as UTF-8 (crypto_util.decrypt_string).
	if err := store.ValidText("the password", password); err != nil {
		return err
	}
	token, err := seal(b.ring, []byte(password))
	if err != nil {
		return err
	}
	// changed_at is the wall clock of the DB's zone, as OpenOrchestrator's
	// datetime.now() (DB.Naive).
	_, err = b.h.Raw().ExecContext(ctx, b.q.upsert, name, username, token, b.h.DB().Naive(b.h.Now()))
	return b.h.Classify(err)
}

// checkName refuses a name no row can have, by the rule the writes apply:
// lookups (Get, GetEncrypted, Delete) refuse what Set would, the same way,
// instead of sending it to the database.
func (b *bunStore) checkName(name string) error {
	if name == "" {
		return fmt.Errorf("%w: empty name", store.ErrInvalid)
	}
	return b.d.CheckText("Credentials.name", name, NameMax)
}

// seal encrypts a password with ring's primary key, checking that the token
// fits the column before anything is written. Tokens are ASCII, so their
// length is the same in every dialect's text units.
func seal(ring *secret.Ring, password []byte) (string, error) {
	if ring.TokenLen(len(password)) > PasswordMax {
		return "", fmt.Errorf("%w: password is %d bytes; with %s the longest that fits Credentials.password (%d characters encrypted) is %d bytes",
			store.ErrTooLong, len(password), ring.Primary(), PasswordMax, ring.MaxPlaintext(PasswordMax))
	}
	token, err := ring.Encrypt(password)
	if err != nil {
		return "", fmt.Errorf("encrypt: %w", err)
	}
	return token, nil
}

// Get implements Store. A token that no key of the ring opens returns an
// error matching store.ErrDecrypt (and secret.ErrDecrypt) that names the
// key ids tried.
func (b *bunStore) Get(ctx context.Context, name string) (*Secret, error) {
	s, err := b.get(ctx, name)
	if err != nil {
		return nil, fmt.Errorf("credential: get %q: %w", name, err)
	}
	return s, nil
}

func (b *bunStore) get(ctx context.Context, name string) (*Secret, error) {
	if err := store.CheckContext(ctx); err != nil {
		return nil, err
	}
	if err := b.needRing(); err != nil {
		return nil, err
	}
	row, err := b.getEncrypted(ctx, name)
	if err != nil {
		return nil, err
	}
	plain, err := b.ring.Decrypt(row.Password)
	if err != nil {
		return nil, &decryptError{err: err}
	}
	id, _ := b.ring.KeyIDOf(row.Password)
	return &Secret{Name: row.Name, Username: row.Username, Password: string(plain), ChangedAt: row.ChangedAt, KeyID: id}, nil
}

// GetEncrypted implements Store.
func (b *bunStore) GetEncrypted(ctx context.Context, name string) (*Credential, error) {
	row, err := b.getEncrypted(ctx, name)
	if err != nil {
		return nil, fmt.Errorf("credential: get encrypted %q: %w", name, err)
	}
	return row, nil
}

func (b *bunStore) getEncrypted(ctx context.Context, name string) (*Credential, error) {
	if err := store.CheckContext(ctx); err != nil {
		return nil, err
	}
	if err := b.checkName(name); err != nil {
		return nil, err
	}
	var row Credential
	if err := b.h.IDB().NewSelect().Model(&row).Where("name = ?", name).Scan(ctx); err != nil {
		return nil, b.h.Classify(err)
	}
	row.ChangedAt = b.fromNaive(row.ChangedAt)
	return &row, nil
}

// List implements Store.
func (b *bunStore) List(ctx context.Context) ([]Credential, error) {
	if err := store.CheckContext(ctx); err != nil {
		return nil, fmt.Errorf("credential: list: %w", err)
	}
	var out []Credential
	if err := b.h.IDB().NewSelect().Model(&out).Order("name").Scan(ctx); err != nil {
		return nil, fmt.Errorf("credential: list: %w", b.h.Classify(err))
	}
	for i := range out {
		out[i].ChangedAt = b.fromNaive(out[i].ChangedAt)
	}
	return out, nil
}

// Delete implements Store.
func (b *bunStore) Delete(ctx context.Context, name string) error {
	if err := b.delete(ctx, name); err != nil {
		return fmt.Errorf("credential: delete %q: %w", name, err)
	}
	return nil
}

func (b *bunStore) delete(ctx context.Context, name string) error {
	if err := store.CheckContext(ctx); err != nil {
		return err
	}
	if err := b.checkName(name); err != nil {
		return err
	}
	n, err := b.h.Exec(ctx, b.q.delete, name)
	if err == nil && n == 0 {
		err = store.ErrNotFound
	}
	return err
}

// fromNaive reads a scanned changed_at: the instant its wall clock names in
// the DB's zone (DB.FromNaive), in UTC.
func (b *bunStore) fromNaive(t time.Time) time.Time {
	return store.UTC(b.h.DB().FromNaive(t))
}

// Rotate implements Store: it re-encrypts every credential with next's
// primary key, in one transaction (a savepoint inside a session), and
// reports how many rows changed; rows already encrypted with that key are
// left alone. Tokens are opened with this store's ring and next together.
// A credential that no key opens aborts the rotation with its name and
// nothing changed; so does one whose new token would not fit the column
// (switching from a GCM key to a Fernet key shrinks the longest password
// from 711 to 687 bytes).
//
// Each row is updated only if its token is still the one read (a
// conditional UPDATE), so a concurrent Set is never overwritten with an old
// password: the rotation fails with store.ErrConflict instead. changed_at
// is left alone: the credential did not change, only its encryption.
//
// After Rotate, make the store with next (New(db, WithKeyRing(next))).
func (b *bunStore) Rotate(ctx context.Context, next *secret.Ring) (int, error) {
	n, err := b.rotate(ctx, next)
	if err != nil {
		return 0, fmt.Errorf("credential: rotate, nothing changed: %w", err)
	}
	return n, nil
}

func (b *bunStore) rotate(ctx context.Context, next *secret.Ring) (int, error) {
	if err := store.CheckContext(ctx); err != nil {
		return 0, err
	}
	if next == nil {
		return 0, fmt.Errorf("%w: no new key ring", store.ErrInvalid)
	}
	open := next
	if b.ring != nil {
		open = next.With(b.ring)
	}
	primary := next.Primary().ID()
	changed := 0
	err := b.h.InTx(ctx, func(ctx context.Context, h store.Handle) error {
		changed = 0
		var rows []Credential
		if err := h.IDB().NewSelect().Model(&rows).Column("name", "password").Order("name").Scan(ctx); err != nil {
			return h.Classify(err)
		}
		for _, row := range rows {
			if id, ok := next.KeyIDOf(row.Password); ok && id == primary {
				continue
			}
			plain, err := open.Decrypt(row.Password)
			if err != nil {
				return fmt.Errorf("%q: %w", row.Name, &decryptError{err: err})
			}
			token, err := seal(next, plain)
			if err != nil {
				return fmt.Errorf("%q: %w", row.Name, err)
			}
			// A new token always differs from the old one (random IV or
			// nonce), so rows affected is 1 for an unchanged row even where
			// it counts changed rows (store.FeatureCountsChangedRows).
			res, err := h.Raw().ExecContext(ctx, b.q.rotate, token, row.Name, row.Password)
			if err != nil {
				return fmt.Errorf("%q: %w", row.Name, h.Classify(err))
			}
			if n, err := res.RowsAffected(); err != nil || n != 1 {
				return errors.Join(fmt.Errorf("%w: %q changed during the rotation", store.ErrConflict, row.Name), h.Classify(err))
			}
			changed++
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	return changed, nil
}
