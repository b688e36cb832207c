package secret

import (
	"bufio"
	"fmt"
	"slices"
	"strings"
)

// Ring is a set of keys: the primary key encrypts, every key decrypts. It
// lets a column hold tokens of several keys and both formats while keys are
// rotated. A Ring is immutable and safe for concurrent use.
type Ring struct {
	keys []*Key // keys[0] is the primary
	byID map[string]*Key
}

// NewRing makes a ring whose primary is primary; others may decrypt. A key
// given twice is kept once.
func NewRing(primary *Key, others ...*Key) (*Ring, error) {
	if primary == nil {
		return nil, fmt.Errorf("%w: a ring needs a primary key", ErrInvalidKey)
	}
	r := &Ring{byID: map[string]*Key{}}
	for _, k := range append([]*Key{primary}, others...) {
		if k == nil {
			return nil, fmt.Errorf("%w: nil key", ErrInvalidKey)
		}
		if _, dup := r.byID[k.id]; dup {
			continue
		}
		r.byID[k.id] = k
		r.keys = append(r.keys, k)
	}
	return r, nil
}

// ParseRing reads keys, one per line (see ParseKey); the first is the
// primary. Blank lines and lines starting with '#' are skipped. It is the
// format of flowctl's --key-file.
func ParseRing(text string) (*Ring, error) {
	var keys []*Key
	sc := bufio.NewScanner(strings.NewReader(text))
	for line := 1; sc.Scan(); line++ {
		s := strings.TrimSpace(sc.Text())
		if s == "" || strings.HasPrefix(s, "#") {
			continue
		}
		k, err := ParseKey(s)
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", line, err)
		}
		keys = append(keys, k)
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if len(keys) == 0 {
		return nil, fmt.Errorf("%w: no key found", ErrInvalidKey)
	}
	return NewRing(keys[0], keys[1:]...)
}

func (r *Ring) ids() []string {
	ids := make([]string, len(r.keys))
	for i, k := range r.keys {
		ids[i] = k.id
	}
	return ids
}

// Primary returns the key that encrypts.
func (r *Ring) Primary() *Key { return r.keys[0] }

// Keys returns every key, the primary first.
func (r *Ring) Keys() []*Key { return append([]*Key(nil), r.keys...) }

// Key returns the key with the given id.
func (r *Ring) Key(id string) (*Key, bool) {
	k, ok := r.byID[id]
	return k, ok
}

// With returns a ring with the same primary that also decrypts with the keys
// of other (used while rotating: old tokens open with the old ring, new ones
// with the new).
func (r *Ring) With(other *Ring) *Ring {
	// slices.Concat builds a new slice. append(r.keys[1:], …) would write
	// other's keys into r's backing array whenever it has spare capacity:
	// a data race between concurrent calls on a ring that is documented as
	// safe for concurrent use, and one call could pick up another's keys.
	out, _ := NewRing(r.keys[0], slices.Concat(r.keys[1:], other.keys)...)
	return out
}

// Encrypt seals plaintext with the primary key, in the primary key's format.
func (r *Ring) Encrypt(plaintext []byte) (string, error) { return r.keys[0].Encrypt(plaintext) }

// Decrypt opens a token written with any key of the ring. A GCM token goes
// to the key its prefix names; a Fernet token, which names no key, is tried
// with each Fernet key of the ring. The error names the key ids tried.
func (r *Ring) Decrypt(token string) ([]byte, error) {
	if isGCMToken(token) {
		id, ok := gcmTokenID(token)
		if !ok {
			return nil, decryptErr("malformed GCM token prefix")
		}
		k, ok := r.byID[id]
		if !ok {
			return nil, decryptErr("the token was written with key "+id+", which is not in the ring", r.ids()...)
		}
		return k.gcmDecrypt(token)
	}
	var tried []string
	var last error
	for _, k := range r.keys {
		if k.kind != Fernet {
			continue
		}
		plain, err := k.fernetDecrypt(token, 0, timeNow())
		if err == nil {
			return plain, nil
		}
		tried = append(tried, k.id)
		last = err
	}
	if len(tried) == 0 {
		return nil, decryptErr("a Fernet token, but the ring has no Fernet key")
	}
	reason := "no Fernet key of the ring opens it"
	if de, ok := last.(*DecryptError); ok && len(tried) == 1 {
		reason = de.Reason
	}
	return nil, decryptErr(reason, tried...)
}

// KeyIDOf reports which key of the ring opens token, without returning the
// plaintext ("" and false if none does).
func (r *Ring) KeyIDOf(token string) (string, bool) {
	if isGCMToken(token) {
		id, ok := gcmTokenID(token)
		if !ok {
			return "", false
		}
		k, ok := r.byID[id]
		if !ok {
			return "", false
		}
		if _, err := k.gcmDecrypt(token); err != nil {
			return "", false
		}
		return id, true
	}
	for _, k := range r.keys {
		if k.kind == Fernet {
			if _, err := k.fernetDecrypt(token, 0, timeNow()); err == nil {
				return k.id, true
			}
		}
	}
	return "", false
}

// MaxPlaintext returns the longest plaintext, in bytes, whose token from the
// primary key fits in limit characters.
func (r *Ring) MaxPlaintext(limit int) int { return r.keys[0].MaxPlaintext(limit) }

// TokenLen returns the length of the primary key's token for n bytes.
func (r *Ring) TokenLen(n int) int { return r.keys[0].TokenLen(n) }
