package secret

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strings"
)

// Kind is the kind of a key, which decides the format of the tokens it writes.
type Kind int

const (
	// Fernet keys write Fernet tokens (OpenOrchestrator-compatible).
	Fernet Kind = iota + 1
	// AESGCM keys write AES-256-GCM tokens with a key-id prefix.
	AESGCM
)

// String returns the kind's name as used in key files ("fernet", "aes256gcm").
func (k Kind) String() string {
	switch k {
	case Fernet:
		return "fernet"
	case AESGCM:
		return "aes256gcm"
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// KeySize is the length of every key's material: 32 bytes (Fernet: 16-byte
// signing key ‖ 16-byte AES-128 key; GCM: one AES-256 key).
const KeySize = 32

// Key is one secret key. It is immutable and safe for concurrent use.
type Key struct {
	kind     Kind
	material [KeySize]byte
	id       string
	block    cipher.Block // Fernet: AES-128 over material[16:]
	aead     cipher.AEAD  // GCM: AES-256 over material
}

// NewKey builds a key of the given kind from 32 bytes of key material.
func NewKey(kind Kind, material []byte) (*Key, error) {
	if len(material) != KeySize {
		return nil, fmt.Errorf("%w: %s key must be %d bytes, got %d", ErrInvalidKey, kind, KeySize, len(material))
	}
	k := &Key{kind: kind}
	copy(k.material[:], material)
	var err error
	switch kind {
	case Fernet:
		k.block, err = aes.NewCipher(k.material[16:])
	case AESGCM:
		var b cipher.Block
		if b, err = aes.NewCipher(k.material[:]); err == nil {
			k.aead, err = cipher.NewGCM(b)
		}
	default:
		return nil, fmt.Errorf("%w: unknown kind %d", ErrInvalidKey, int(kind))
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidKey, err)
	}
	sum := sha256.Sum256(append([]byte("flowstore key id\x00"+kind.String()+"\x00"), k.material[:]...))
	k.id = hex.EncodeToString(sum[:4])
	return k, nil
}

// GenerateKey makes a new random key of the given kind.
func GenerateKey(kind Kind) (*Key, error) {
	var m [KeySize]byte
	if _, err := rand.Read(m[:]); err != nil {
		return nil, err
	}
	return NewKey(kind, m[:])
}

// ParseKey reads a key in one of the forms users have:
//
//   - a bare 32-byte base64 key, as Fernet.generate_key() prints it and
//     OpenOrchestrator keeps it in OpenOrchestratorKey: a Fernet key;
//   - "fernet:<base64>": a Fernet key, explicitly;
//   - "aes256gcm:<base64>": an AES-256-GCM key.
//
// Base64 may be url-safe or standard, padded or not. Surrounding blanks are
// ignored.
func ParseKey(s string) (*Key, error) {
	s = strings.TrimSpace(s)
	kind := Fernet
	if prefix, rest, ok := strings.Cut(s, ":"); ok {
		switch strings.ToLower(prefix) {
		case "fernet":
			kind = Fernet
		case "aes256gcm", "aes-256-gcm", "gcm":
			kind = AESGCM
		default:
			return nil, fmt.Errorf("%w: unknown key kind %q (want fernet or aes256gcm)", ErrInvalidKey, prefix)
		}
		s = rest
	}
	m, err := decodeBase64Any(s)
	if err != nil {
		return nil, fmt.Errorf("%w: %s key is not base64", ErrInvalidKey, kind)
	}
	return NewKey(kind, m)
}

// decodeBase64Any accepts url-safe or standard base64, padded or not.
func decodeBase64Any(s string) ([]byte, error) {
	s = strings.TrimRight(s, "=")
	if strings.ContainsAny(s, "+/") {
		return base64.RawStdEncoding.Strict().DecodeString(s)
	}
	return base64.RawURLEncoding.Strict().DecodeString(s)
}

// Kind reports the key's kind.
func (k *Key) Kind() Kind { return k.kind }

// ID returns the key's id: 8 hex digits derived from its kind and material.
func (k *Key) ID() string { return k.id }

// String names the key without revealing it ("fernet key 1a2b3c4d").
func (k *Key) String() string { return k.kind.String() + " key " + k.id }

// Encode returns the key in the form ParseKey reads. A Fernet key is
// returned bare (url-safe base64, padded), exactly as OpenOrchestrator and
// Python's Fernet expect it; other kinds carry their prefix. The result is
// secret.
func (k *Key) Encode() string {
	b64 := base64.URLEncoding.EncodeToString(k.material[:])
	if k.kind == Fernet {
		return b64
	}
	return k.kind.String() + ":" + b64
}

// Encrypt seals plaintext in a token of the key's format.
func (k *Key) Encrypt(plaintext []byte) (string, error) {
	if k.kind == Fernet {
		var iv [16]byte
		if _, err := rand.Read(iv[:]); err != nil {
			return "", err
		}
		return k.fernetEncrypt(plaintext, timeNow(), iv), nil
	}
	return k.gcmEncrypt(plaintext)
}

// Decrypt opens a token written with this key. Fernet tokens are accepted
// whatever their age (OpenOrchestrator sets no TTL); see DecryptFernetTTL.
func (k *Key) Decrypt(token string) ([]byte, error) {
	if isGCMToken(token) {
		if k.kind != AESGCM {
			return nil, decryptErr("a GCM token cannot be opened with a Fernet key", k.id)
		}
		return k.gcmDecrypt(token)
	}
	if k.kind != Fernet {
		return nil, decryptErr("not a GCM token", k.id)
	}
	return k.fernetDecrypt(token, 0, timeNow())
}

// TokenLen returns the length of the token this key writes for a plaintext
// of n bytes.
func (k *Key) TokenLen(n int) int {
	if k.kind == Fernet {
		return fernetTokenLen(n)
	}
	return gcmTokenLen(n)
}

// MaxPlaintext returns the longest plaintext, in bytes, whose token from this
// key is at most limit characters long (0 if none fits).
func (k *Key) MaxPlaintext(limit int) int {
	// Token length grows monotonically with n; search upwards from a bound.
	lo, hi := 0, limit // a token is never shorter than its plaintext
	if k.TokenLen(0) > limit {
		return 0
	}
	for lo < hi {
		mid := (lo + hi + 1) / 2
		if k.TokenLen(mid) <= limit {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	return lo
}
