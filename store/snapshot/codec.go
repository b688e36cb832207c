package snapshot

import (
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"

	"github.com/flowstore/flowstore/crypto/secret"
	"github.com/flowstore/flowstore/store"
)

// Codec transforms payloads on their way into and out of the database:
// compression, or encryption with a key ring. It is off by default; a
// store uses one only when made with WithCodec.
//
// The codec's Name is stored with every row it writes (column
// process_instances.payload_codec), and rows written without a codec keep
// NULL there. Reads pick the codec by that name, so a table may hold rows
// of several codecs and plain rows side by side, and a codec can be
// introduced or replaced without rewriting old rows: keep the old one
// registered for reading (WithReadCodecs) until its rows are gone.
//
// Implementations must be safe for concurrent use and must not keep or
// modify the slices they are given.
type Codec interface {
	// Name identifies the format, at most 64 characters of [A-Za-z0-9._:-].
	Name() string
	// Encode turns a payload into what is stored.
	Encode(payload []byte) ([]byte, error)
	// Decode turns what is stored back into the payload.
	Decode(stored []byte) ([]byte, error)
}

// Gzip is a Codec that compresses payloads with gzip at the given level
// (gzip.DefaultCompression when 0). Its name is "gzip" whatever the level,
// since any level decodes the same way; every store reads gzip rows without
// configuration.
type Gzip struct {
	// Level is a compress/gzip level, gzip.HuffmanOnly (-2) to
	// gzip.BestCompression (9); 0 means gzip.DefaultCompression, so
	// gzip.NoCompression cannot be chosen. Any other value makes Encode fail
	// with store.ErrInvalid.
	Level int
}

// Name returns "gzip".
func (Gzip) Name() string { return "gzip" }

// Encode compresses payload.
func (g Gzip) Encode(payload []byte) ([]byte, error) {
	level := g.Level
	if level == 0 {
		level = gzip.DefaultCompression
	}
	var buf bytes.Buffer
	buf.Grow(len(payload)/2 + 64)
	w, err := gzip.NewWriterLevel(&buf, level)
	if err != nil {
		return nil, fmt.Errorf("%w: gzip: %v", store.ErrInvalid, err)
	}
	if _, err := w.Write(payload); err != nil {
		return nil, err
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// Decode decompresses stored.
func (Gzip) Decode(stored []byte) ([]byte, error) {
	r, err := gzip.NewReader(bytes.NewReader(stored))
	if err != nil {
		return nil, fmt.Errorf("%w: gzip: %v", store.ErrInvalid, err)
	}
	out, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("%w: gzip: %v", store.ErrInvalid, err)
	}
	return out, nil
}

// TokenCipher is the method set of a key ring that seals bytes into text
// tokens — secret.Ring's: Encrypt with the primary key, Decrypt with
// whichever key of the ring the token names.
type TokenCipher interface {
	// Encrypt seals plaintext with the primary key into a text token.
	Encrypt(plaintext []byte) (string, error)
	// Decrypt opens a token with the key of the ring the token names.
	Decrypt(token string) ([]byte, error)
}

// secret.Ring is the TokenCipher Encrypted is written for; the compiler
// checks that the two keep matching.
var _ TokenCipher = (*secret.Ring)(nil)

// Encrypted returns a Codec that stores each payload as a token of the
// cipher (a secret.Ring). Keep name stable across key rotations — tokens
// name their key, so a ring holding the old keys reads old rows — and
// change it only for a different scheme. A token that does not open is
// store.ErrDecrypt.
//
// A token is about 4/3 of the payload's size, as tokens are base64 (exactly
// secret.Ring.TokenLen of it), and the limits of the payload column apply to
// the token: the store checks its size before anything is written, and one
// that does not fit is store.ErrTooLong naming both sizes and the limit. On
// PostgreSQL, SQLite and SQL Server that limit is a gigabyte or more; on
// MySQL/MariaDB it is the server's max_allowed_packet, so MariaDB's default
// of 16 MiB holds encrypted payloads up to about 12 MiB
// (secret.Ring.MaxPlaintext(16 << 20)), and a 16 MiB payload that is stored
// plain is store.ErrTooLong encrypted: raise max_allowed_packet, or use a
// Codec of your own that compresses before it encrypts.
func Encrypted(name string, cipher TokenCipher) Codec {
	return encrypted{name: name, cipher: cipher}
}

type encrypted struct {
	name   string
	cipher TokenCipher
}

func (c encrypted) Name() string { return c.name }

func (c encrypted) Encode(payload []byte) ([]byte, error) {
	token, err := c.cipher.Encrypt(payload)
	if err != nil {
		return nil, err
	}
	return []byte(token), nil
}

func (c encrypted) Decode(stored []byte) ([]byte, error) {
	plain, err := c.cipher.Decrypt(string(stored))
	if err != nil && !errors.Is(err, store.ErrDecrypt) {
		err = fmt.Errorf("%w: %w", store.ErrDecrypt, err)
	}
	return plain, err
}
