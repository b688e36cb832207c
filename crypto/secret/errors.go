package secret

import (
	"errors"
	"fmt"
	"strings"
)

var (
	// ErrDecrypt: a token could not be decrypted (wrong key, tampered,
	// truncated or malformed token). Package store maps it onto
	// store.ErrDecrypt.
	ErrDecrypt = errors.New("secret: decryption failed")
	// ErrInvalidKey: a key is malformed (wrong length, not base64, unknown kind).
	ErrInvalidKey = errors.New("secret: invalid key")
)

// DecryptError says why a token did not decrypt and which keys were tried.
// errors.Is(err, ErrDecrypt) is true for it.
type DecryptError struct {
	// Tried lists the ids of the keys the token was tried with. For a GCM
	// token that names a key id the ring does not hold, no key could be
	// tried, and Tried lists every key id of the ring instead: the error
	// then shows both the id the token wants (in Reason) and the ids the
	// ring has, which is what a user needs to find the missing key. Tried is
	// empty only when no key applies at all (a malformed GCM prefix, or a
	// Fernet token and a ring without Fernet keys).
	Tried []string
	// Reason is a short description: "HMAC mismatch", "no key with id 1a2b3c4d", …
	Reason string
}

// Error describes the failure.
func (e *DecryptError) Error() string {
	if len(e.Tried) == 0 {
		return "secret: decryption failed: " + e.Reason
	}
	return fmt.Sprintf("secret: decryption failed with key %s: %s", strings.Join(e.Tried, ", "), e.Reason)
}

// Is makes errors.Is(err, ErrDecrypt) true.
func (e *DecryptError) Is(target error) bool { return target == ErrDecrypt }

func decryptErr(reason string, tried ...string) error {
	return &DecryptError{Tried: tried, Reason: reason}
}
