package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/uptrace/bun"

	"github.com/flowstore/flowstore/crypto"
)

// Credential is a row of OpenOrchestrator's Credentials table. Password is
// the encrypted token as stored (a Fernet token, or a GCM token written by an
// AES-256-GCM key), never plaintext.
type Credential struct {
	bun.BaseModel `bun:"table:Credentials"`
	// Name is the key (Credentials.name), at most CredentialNameMax
	// characters.
	Name string `bun:"name,pk"`
	// Username is stored in plain text (Credentials.username), at most
	// CredentialUsernameMax characters.
	Username string `bun:"username"`
	// Password is the encrypted token (Credentials.password), at most
	// CredentialPasswordMax characters; crypto.Ring.Decrypt opens it.
	Password string `bun:"password"`
	// ChangedAt is when the username or password was last set
	// (Credentials.changed_at), in UTC. Rotation does not change it.
	ChangedAt time.Time `bun:"changed_at"`
}

// Secret is a credential with its password decrypted.
type Secret struct {
	// Name is the credential's name.
	Name string
	// Username is the stored username.
	Username string
	// Password is the decrypted password: keep it out of logs.
	Password string
	// ChangedAt is when the credential was last set, in UTC.
	ChangedAt time.Time
	// KeyID is the id of the key that opened the token.
	KeyID string
}

// Column limits of Credentials (varchar(100), varchar(250), varchar(1000)).
const (
	CredentialNameMax     = 100
	CredentialUsernameMax = 250
	CredentialPasswordMax = 1000 // of the encrypted token
)

// CredentialStore reads and writes Credentials, encrypting passwords with a
// crypto.Ring: the ring's primary key encrypts (its kind decides the token
// format), every key of the ring decrypts.
type CredentialStore interface {
	// Set creates the credential or replaces its username and password.
	Set(ctx context.Context, name, username, password string) error
	// Get returns the credential with its password decrypted.
	Get(ctx context.Context, name string) (*Secret, error)
	// GetEncrypted returns the row as stored, without decrypting (no key
	// needed): the way to see credentials written with a key you lack.
	GetEncrypted(ctx context.Context, name string) (*Credential, error)
	// List returns every credential ordered by name, passwords encrypted.
	List(ctx context.Context) ([]Credential, error)
	// Delete removes the credential; ErrNotFound if absent.
	Delete(ctx context.Context, name string) error
	// Rotate re-encrypts every credential with next's primary key in one
	// transaction and reports how many rows changed.
	Rotate(ctx context.Context, next *crypto.Ring) (int, error)
	// MaxPasswordLen is the longest password, in bytes, whose token from the
	// primary key fits Credentials.password.
	MaxPasswordLen() int
}

// Credentials is the bun implementation of CredentialStore.
type Credentials struct {
	h    Handle
	sql  recordSQL
	ring *crypto.Ring
}

var _ CredentialStore = (*Credentials)(nil)

// NewCredentials returns the Credentials store of db using ring. ring may be
// nil for a store that only lists, reads encrypted rows and deletes.
func NewCredentials(db *DB, ring *crypto.Ring) *Credentials {
	return &Credentials{h: db.Handle(), sql: recordsFor(db.Dialect()), ring: ring}
}

// WithTx returns the store bound to s: its writes commit with s.
func (c *Credentials) WithTx(s *Session) *Credentials {
	return &Credentials{h: s.Handle(), sql: c.sql, ring: c.ring}
}

// Ring returns the store's key ring (nil if it has none).
func (c *Credentials) Ring() *crypto.Ring { return c.ring }

// decryptError is what a credential that does not decrypt returns. It
// matches both store.ErrDecrypt and crypto.ErrDecrypt with errors.Is, and
// errors.As reaches the *crypto.DecryptError with the key ids tried: crypto
// imports nothing of ours, so the store layer joins the two sentinels here.
type decryptError struct {
	name string
	err  error
}

func (e *decryptError) Error() string {
	return fmt.Sprintf("flowstore: credential %q: %v", e.name, e.err)
}

func (e *decryptError) Unwrap() []error { return []error{ErrDecrypt, e.err} }

func (c *Credentials) needRing() error {
	if c.ring == nil {
		return fmt.Errorf("%w: the credentials store has no key ring", ErrInvalid)
	}
	return nil
}

// MaxPasswordLen is the longest password, in bytes, whose token from the
// primary key fits Credentials.password (687 for a Fernet key, 711 for an
// AES-256-GCM key). 0 without a ring.
func (c *Credentials) MaxPasswordLen() int {
	if c.ring == nil {
		return 0
	}
	return c.ring.MaxPlaintext(CredentialPasswordMax)
}

// Set creates the credential or replaces its username and password (an
// upsert). A password whose token would not fit the column is refused with
// ErrTooLong naming the maximum plaintext length; nothing is written.
func (c *Credentials) Set(ctx context.Context, name, username, password string) error {
	if err := c.needRing(); err != nil {
		return err
	}
	switch {
	case name == "":
		return fmt.Errorf("%w: credential name is empty", ErrInvalid)
	case c.sql.columnLen(name) > CredentialNameMax:
		return fmt.Errorf("%w: credential name is %d characters; Credentials.name holds %d", ErrTooLong, c.sql.columnLen(name), CredentialNameMax)
	case c.sql.columnLen(username) > CredentialUsernameMax:
		return fmt.Errorf("%w: credential %q: username is %d characters; Credentials.username holds %d", ErrTooLong, name, c.sql.columnLen(username), CredentialUsernameMax)
	}
	token, err := c.seal(name, []byte(password))
	if err != nil {
		return err
	}
	if _, err := c.h.Raw().ExecContext(ctx, c.sql.upsertCredential, name, username, token, c.h.Now()); err != nil {
		return fmt.Errorf("flowstore: set credential %q: %w", name, c.h.Classify(err))
	}
	return nil
}

// seal encrypts a password with ring's primary key, checking that the token
// fits the column before anything is written.
func (c *Credentials) sealWith(ring *crypto.Ring, name string, password []byte) (string, error) {
	if ring.TokenLen(len(password)) > CredentialPasswordMax {
		return "", fmt.Errorf("%w: credential %q: password is %d bytes; with %s the longest that fits Credentials.password (%d characters encrypted) is %d bytes",
			ErrTooLong, name, len(password), ring.Primary(), CredentialPasswordMax, ring.MaxPlaintext(CredentialPasswordMax))
	}
	token, err := ring.Encrypt(password)
	if err != nil {
		return "", fmt.Errorf("flowstore: credential %q: encrypt: %w", name, err)
	}
	return token, nil
}

func (c *Credentials) seal(name string, password []byte) (string, error) {
	return c.sealWith(c.ring, name, password)
}

// Get returns the credential with its password decrypted. A token that no
// key of the ring opens returns an error matching ErrDecrypt (and
// crypto.ErrDecrypt) that names the key ids tried.
func (c *Credentials) Get(ctx context.Context, name string) (*Secret, error) {
	if err := c.needRing(); err != nil {
		return nil, err
	}
	row, err := c.GetEncrypted(ctx, name)
	if err != nil {
		return nil, err
	}
	plain, err := c.ring.Decrypt(row.Password)
	if err != nil {
		return nil, &decryptError{name: name, err: err}
	}
	id, _ := c.ring.KeyIDOf(row.Password)
	return &Secret{Name: row.Name, Username: row.Username, Password: string(plain), ChangedAt: row.ChangedAt, KeyID: id}, nil
}

// GetEncrypted returns the row as stored, without decrypting.
func (c *Credentials) GetEncrypted(ctx context.Context, name string) (*Credential, error) {
	var row Credential
	if err := c.h.IDB().NewSelect().Model(&row).Where("name = ?", name).Scan(ctx); err != nil {
		return nil, fmt.Errorf("flowstore: credential %q: %w", name, c.h.Classify(err))
	}
	row.ChangedAt = UTC(row.ChangedAt)
	return &row, nil
}

// List returns every credential ordered by name, passwords encrypted.
func (c *Credentials) List(ctx context.Context) ([]Credential, error) {
	var out []Credential
	if err := c.h.IDB().NewSelect().Model(&out).Order("name").Scan(ctx); err != nil {
		return nil, fmt.Errorf("flowstore: list credentials: %w", c.h.Classify(err))
	}
	for i := range out {
		out[i].ChangedAt = UTC(out[i].ChangedAt)
	}
	return out, nil
}

// Delete removes the credential; ErrNotFound if absent.
func (c *Credentials) Delete(ctx context.Context, name string) error {
	res, err := c.h.Raw().ExecContext(ctx, c.sql.deleteCredential, name)
	return rowsChanged(c.h, res, err, "delete credential", name)
}

// Rotate re-encrypts every credential with next's primary key, in one
// transaction (a savepoint inside a session), and reports how many rows
// changed; rows already encrypted with that key are left alone. Tokens are
// opened with this store's ring and next together. A credential that no key
// opens aborts the rotation with its name and nothing changed; so does one
// whose new token would not fit the column (switching from a GCM key to a
// Fernet key shrinks the longest password from 711 to 687 bytes).
//
// Each row is updated only if its token is still the one read (a
// conditional UPDATE), so a concurrent Set is never overwritten with an old
// password: the rotation fails with ErrConflict instead. changed_at is left
// alone: the credential did not change, only its encryption.
//
// After Rotate, open the store with next (NewCredentials(db, next)).
func (c *Credentials) Rotate(ctx context.Context, next *crypto.Ring) (int, error) {
	if next == nil {
		return 0, fmt.Errorf("%w: rotate: no new key ring", ErrInvalid)
	}
	open := next
	if c.ring != nil {
		open = next.With(c.ring)
	}
	primary := next.Primary().ID()
	changed := 0
	err := c.h.InTx(ctx, func(ctx context.Context, h Handle) error {
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
				return &decryptError{name: row.Name, err: err}
			}
			token, err := c.sealWith(next, row.Name, plain)
			if err != nil {
				return err
			}
			// A new token always differs from the old one (random IV or
			// nonce), so rows affected is 1 for an unchanged row even where
			// MySQL counts changed rows (countsChangedRows).
			res, err := h.Raw().ExecContext(ctx, c.sql.rotateCredential, token, row.Name, row.Password)
			if err != nil {
				return fmt.Errorf("flowstore: credential %q: %w", row.Name, h.Classify(err))
			}
			if n, err := res.RowsAffected(); err != nil || n != 1 {
				return errors.Join(fmt.Errorf("flowstore: credential %q changed during the rotation: %w", row.Name, ErrConflict), err)
			}
			changed++
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("flowstore: rotate credentials (nothing changed): %w", err)
	}
	return changed, nil
}
