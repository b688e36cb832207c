package secret

import (
	"encoding/base64"
	"encoding/binary"
	"strings"
	"testing"
	"time"
)

// lineBroken returns token with a line break inserted in the middle, and with
// a CR LF at its end: what a token copied through an e-mail or a wrapped
// column looks like. encoding/base64 skips both, so the decoders must refuse
// them before decoding.
func lineBroken(token string) []string {
	return []string{token[:len(token)/2] + "\n" + token[len(token)/2:], token + "\r\n"}
}

// FuzzFernetDecrypt feeds arbitrary tokens to the Fernet decoder: it must
// never panic, and whatever it accepts must be a token this key wrote — so
// re-encrypting the plaintext at the token's own time and IV gives back the
// very same string (not merely the same bytes after decoding).
func FuzzFernetDecrypt(f *testing.F) {
	for _, v := range specGenerate {
		f.Add(v.token)
		for _, s := range lineBroken(v.token) {
			f.Add(s)
		}
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
		raw, err := base64.URLEncoding.Strict().DecodeString(token)
		if err != nil {
			t.Fatalf("accepted %q, which is not strict base64: %v", token, err)
		}
		var iv [16]byte
		copy(iv[:], raw[9:25])
		ts := time.Unix(int64(binary.BigEndian.Uint64(raw[1:9])), 0)
		if again := k.fernetEncrypt(plain, ts, iv); again != token {
			t.Fatalf("accepted %q as %q, which encrypts to %q", token, plain, again)
		}
	})
}

// FuzzRingDecrypt feeds arbitrary tokens to a ring holding both kinds: no
// panic, and an error or the plaintext of a genuine token. Forging a token
// is infeasible and each token has a single spelling, so anything the ring
// accepts must be, character for character, one of the tokens written here
// — an assertion that fails for any malleability in the decoders (such as
// the line breaks that base64 decoding skips).
func FuzzRingDecrypt(f *testing.F) {
	fk, err := ParseKey(specSecret)
	if err != nil {
		f.Fatal(err)
	}
	gk, err := NewKey(AESGCM, []byte("0123456789abcdef0123456789abcdef"))
	if err != nil {
		f.Fatal(err)
	}
	r, err := NewRing(gk, fk)
	if err != nil {
		f.Fatal(err)
	}
	// The tokens are fixed (set IVs, nonces and times), not random: the
	// fuzzing engine runs this setup again in each worker process, and the
	// seeds it hands them must be genuine there too.
	genuine := map[string]string{specGenerate[0].token: specGenerate[0].src}
	for i, p := range []string{"", "hello"} {
		iv := [16]byte{byte(i)}
		genuine[fk.fernetEncrypt([]byte(p), time.Unix(1_700_000_000, 0), iv)] = p
		nonce := make([]byte, gcmNonceLen)
		nonce[0] = byte(i)
		head := gcmPrefix + gk.id + "."
		genuine[head+base64.RawURLEncoding.EncodeToString(gk.aead.Seal(nonce, nonce, []byte(p), []byte(head)))] = p
	}
	for tok := range genuine {
		f.Add(tok)
		for _, s := range lineBroken(tok) {
			f.Add(s)
		}
	}
	f.Add("gcm1.")
	f.Add("gcm1." + gk.ID() + ".")
	f.Fuzz(func(t *testing.T, token string) {
		plain, err := r.Decrypt(token)
		if err != nil {
			if plain != nil {
				t.Fatalf("plaintext with error %v", err)
			}
			if _, ok := r.KeyIDOf(token); ok {
				t.Fatalf("Decrypt refuses %q (%v) but KeyIDOf claims it", token, err)
			}
			return
		}
		want, ok := genuine[token]
		if !ok {
			t.Fatalf("accepted %q (plaintext %q), which no key here wrote", token, plain)
		}
		if string(plain) != want {
			t.Fatalf("%q opened as %q, want %q", token, plain, want)
		}
		if strings.ContainsAny(token, "\r\n") {
			t.Fatalf("accepted a token with a line break: %q", token)
		}
		if _, ok := r.KeyIDOf(token); !ok {
			t.Fatalf("Decrypt accepted %q but no key claims it", token)
		}
	})
}
