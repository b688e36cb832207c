package crypto

import (
	"encoding/base64"
	"encoding/binary"
	"testing"
	"time"
)

// FuzzFernetDecrypt feeds arbitrary tokens to the Fernet decoder: it must
// never panic, and whatever it accepts must be a token this key wrote — so
// re-encrypting the plaintext at the token's own time and IV gives it back.
func FuzzFernetDecrypt(f *testing.F) {
	for _, v := range specGenerate {
		f.Add(v.token)
	}
	for _, v := range specInvalid {
		f.Add(v.token)
	}
	k, err := ParseKey(specSecret)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, token string) {
		plain, err := k.fernetDecrypt(token, 0, time.Unix(0, 0))
		if err != nil {
			if plain != nil {
				t.Fatalf("plaintext %q returned with error %v", plain, err)
			}
			return
		}
		raw, _ := base64.URLEncoding.DecodeString(token)
		var iv [16]byte
		copy(iv[:], raw[9:25])
		ts := time.Unix(int64(binary.BigEndian.Uint64(raw[1:9])), 0)
		if again := k.fernetEncrypt(plain, ts, iv); again != token {
			t.Fatalf("accepted %q as %q, which encrypts to %q", token, plain, again)
		}
	})
}

// FuzzRingDecrypt feeds arbitrary tokens to a ring holding both kinds: no
// panic, an error or the plaintext of a genuine token.
func FuzzRingDecrypt(f *testing.F) {
	fk, _ := ParseKey(specSecret)
	gk, _ := NewKey(AESGCM, []byte("0123456789abcdef0123456789abcdef"))
	r, _ := NewRing(gk, fk)
	gt, _ := gk.Encrypt([]byte("hello"))
	f.Add(gt)
	f.Add(specGenerate[0].token)
	f.Add("gcm1.")
	f.Add("gcm1." + gk.ID() + ".")
	f.Fuzz(func(t *testing.T, token string) {
		plain, err := r.Decrypt(token)
		if err != nil {
			if plain != nil {
				t.Fatalf("plaintext with error %v", err)
			}
			return
		}
		// Accepted: then exactly one key claims it.
		if _, ok := r.KeyIDOf(token); !ok {
			t.Fatalf("Decrypt accepted %q but no key claims it", token)
		}
	})
}
