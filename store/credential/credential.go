package credential

import (
	"context"
	"time"

	"github.com/uptrace/bun"

	"github.com/flowstore/flowstore/crypto/secret"
	"github.com/flowstore/flowstore/store"
)

// Credential is a row of OpenOrchestrator's Credentials table. Password is
// the encrypted token as stored (a Fernet token, or a GCM token written by an
// AES-256-GCM key), never plaintext.
type Credential struct {
	bun.BaseModel `bun:"table:Credentials"`
	// Name is the key (Credentials.name), at most NameMax characters.
	Name string `bun:"name,pk"`
	// Username is stored in plain text (Credentials.username), at most
	// UsernameMax characters.
	Username string `bun:"username"`
	// Password is the encrypted token (Credentials.password), at most
	// PasswordMax characters; secret.Ring.Decrypt opens it.
	Password string `bun:"password"`
	// ChangedAt is when the username or password was last set.
	// Credentials.changed_at holds it as OpenOrchestrator does, the wall
	// clock of the DB's zone (store.DB.Naive); the store reads it back as
	// that instant, in UTC. Rotation does not change it.
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

// Column limits of Credentials (varchar(100), varchar(250), varchar(1000)),
// in the dialect's text units.
const (
	NameMax     = 100
	UsernameMax = 250
	PasswordMax = 1000 // of the encrypted token
)

// Store reads and writes Credentials, encrypting passwords with a
// secret.Ring (WithKeyRing): the ring's primary key encrypts (its kind
// decides the token format), every key of the ring decrypts. A store
// without a ring lists, reads encrypted rows and deletes; Set and Get need
// the ring and are store.ErrInvalid without one.
type Store interface {
	// Set creates the credential or replaces its username and password.
	Set(ctx context.Context, name, username, password string) error
	// Get returns the credential with its password decrypted.
	Get(ctx context.Context, name string) (*Secret, error)
	// GetEncrypted returns the row as stored, without decrypting (no key
	// needed): the way to see credentials written with a key you lack.
	GetEncrypted(ctx context.Context, name string) (*Credential, error)
	// List returns every credential ordered by name, passwords encrypted.
	// The table holds configuration, so it has no paging.
	List(ctx context.Context) ([]Credential, error)
	// Delete removes the credential; store.ErrNotFound if there is none.
	Delete(ctx context.Context, name string) error
	// Rotate re-encrypts every credential with next's primary key in one
	// transaction and reports how many rows changed.
	Rotate(ctx context.Context, next *secret.Ring) (int, error)
	// MaxPasswordLen is the longest password, in bytes, whose token from the
	// primary key fits Credentials.password; 0 without a ring.
	MaxPasswordLen() int
	// Ring returns the store's key ring, nil if it has none.
	Ring() *secret.Ring
	// WithTx returns the same store bound to s: its writes commit or roll
	// back with the session's other work.
	WithTx(s *store.Session) Store
}

// Option configures New.
type Option func(*options)

type options struct {
	ring *secret.Ring
}

// WithKeyRing gives the store the key ring that encrypts (its primary key)
// and decrypts (any of its keys) passwords. A nil ring is the same as none.
func WithKeyRing(r *secret.Ring) Option { return func(o *options) { o.ring = r } }
