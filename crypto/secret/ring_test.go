package secret_test

import (
	"bytes"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/flowstore/flowstore/crypto/secret"
)

func mustKey(t testing.TB, kind secret.Kind) *secret.Key {
	t.Helper()
	k, err := secret.GenerateKey(kind)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestParseKeyForms(t *testing.T) {
	f := mustKey(t, secret.Fernet)
	g := mustKey(t, secret.AESGCM)
	for _, tc := range []struct {
		in   string
		kind secret.Kind
		id   string
	}{
		{f.Encode(), secret.Fernet, f.ID()},
		{"  " + f.Encode() + "\n", secret.Fernet, f.ID()},
		{"fernet:" + f.Encode(), secret.Fernet, f.ID()},
		{strings.TrimRight(f.Encode(), "="), secret.Fernet, f.ID()},
		{g.Encode(), secret.AESGCM, g.ID()},
		{"aes256gcm:" + strings.NewReplacer("-", "+", "_", "/").Replace(strings.TrimPrefix(g.Encode(), "aes256gcm:")), secret.AESGCM, g.ID()},
	} {
		k, err := secret.ParseKey(tc.in)
		if err != nil {
			t.Fatalf("ParseKey(%q): %v", tc.in, err)
		}
		if k.Kind() != tc.kind || k.ID() != tc.id {
			t.Errorf("ParseKey(%q) = %s %s, want %s %s", tc.in, k.Kind(), k.ID(), tc.kind, tc.id)
		}
	}
	for _, bad := range []string{"", "short", "rsa:" + f.Encode(), f.Encode() + "AAAA", "!!!!" + f.Encode()[4:]} {
		if _, err := secret.ParseKey(bad); !errors.Is(err, secret.ErrInvalidKey) {
			t.Errorf("ParseKey(%q) = %v, want ErrInvalidKey", bad, err)
		}
	}
	if strings.Contains(f.String(), f.Encode()[:10]) {
		t.Errorf("String() reveals key material: %s", f)
	}
}

func TestKeyIDsDifferByKindAndMaterial(t *testing.T) {
	f := mustKey(t, secret.Fernet)
	same, _ := secret.ParseKey("aes256gcm:" + f.Encode())
	if same.ID() == f.ID() {
		t.Error("a Fernet key and a GCM key with the same bytes share an id")
	}
	if mustKey(t, secret.Fernet).ID() == f.ID() {
		t.Error("two random keys share an id")
	}
}

func TestPrimaryKindDecidesFormat(t *testing.T) {
	f := mustKey(t, secret.Fernet)
	g := mustKey(t, secret.AESGCM)
	fr, _ := secret.NewRing(f, g)
	gr, _ := secret.NewRing(g, f)
	ft, err := fr.Encrypt([]byte("secret"))
	if err != nil {
		t.Fatal(err)
	}
	gt, err := gr.Encrypt([]byte("secret"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(ft, "gAAAAA") {
		t.Errorf("Fernet primary wrote %q", ft)
	}
	if !strings.HasPrefix(gt, "gcm1."+g.ID()+".") {
		t.Errorf("GCM primary wrote %q", gt)
	}
	if len(gt) != g.TokenLen(6) || len(ft) != f.TokenLen(6) {
		t.Errorf("TokenLen disagrees with the tokens")
	}
	// Both rings read both tokens: one column can hold both formats.
	for _, r := range []*secret.Ring{fr, gr} {
		for _, tok := range []string{ft, gt} {
			got, err := r.Decrypt(tok)
			if err != nil || string(got) != "secret" {
				t.Errorf("Decrypt(%.12s…) = %q, %v", tok, got, err)
			}
		}
	}
	if id, ok := fr.KeyIDOf(gt); !ok || id != g.ID() {
		t.Errorf("KeyIDOf(gcm) = %q %v", id, ok)
	}
	if id, ok := gr.KeyIDOf(ft); !ok || id != f.ID() {
		t.Errorf("KeyIDOf(fernet) = %q %v", id, ok)
	}
}

func TestWrongKeyNamesKeyTried(t *testing.T) {
	a, b := mustKey(t, secret.Fernet), mustKey(t, secret.Fernet)
	ga, gb := mustKey(t, secret.AESGCM), mustKey(t, secret.AESGCM)
	ra, _ := secret.NewRing(a, ga)
	rb, _ := secret.NewRing(b, gb)
	ft, _ := ra.Encrypt([]byte("x"))
	gt, _ := ga.Encrypt([]byte("x"))

	_, err := rb.Decrypt(ft)
	var de *secret.DecryptError
	if !errors.Is(err, secret.ErrDecrypt) || !errors.As(err, &de) {
		t.Fatalf("wrong Fernet key: %v", err)
	}
	if len(de.Tried) != 1 || de.Tried[0] != b.ID() || !strings.Contains(err.Error(), b.ID()) {
		t.Errorf("error %q should name key %s", err, b.ID())
	}
	_, err = rb.Decrypt(gt)
	if !errors.Is(err, secret.ErrDecrypt) || !strings.Contains(err.Error(), ga.ID()) || !strings.Contains(err.Error(), b.ID()) {
		t.Errorf("GCM token of an unknown key: %v (should name id %s)", err, ga.ID())
	}
	// A key of the right id that is not the right key cannot exist (ids are
	// derived), so forge the id: the authentication must still fail.
	forged := "gcm1." + gb.ID() + gt[len("gcm1.")+8:]
	_, err = rb.Decrypt(forged)
	if !errors.Is(err, secret.ErrDecrypt) || !strings.Contains(err.Error(), gb.ID()) {
		t.Errorf("GCM token moved to another key id: %v", err)
	}
}

func TestTamperedTokensFail(t *testing.T) {
	f, g := mustKey(t, secret.Fernet), mustKey(t, secret.AESGCM)
	r, _ := secret.NewRing(f, g)
	for _, k := range []*secret.Key{f, g} {
		tok, _ := k.Encrypt([]byte("attack at dawn"))
		for i := 0; i < len(tok); i++ {
			b := []byte(tok)
			if b[i] == 'A' {
				b[i] = 'B'
			} else {
				b[i] = 'A'
			}
			if got, err := r.Decrypt(string(b)); err == nil {
				// Changing the last base64 character may only flip unused
				// padding bits; then the plaintext must be the original.
				if !bytes.Equal(got, []byte("attack at dawn")) {
					t.Fatalf("%s: tampered token at %d gave %q", k.Kind(), i, got)
				}
			}
		}
		for n := 0; n < len(tok); n++ {
			if _, err := r.Decrypt(tok[:n]); !errors.Is(err, secret.ErrDecrypt) {
				t.Fatalf("%s: truncated token (%d chars) gave %v", k.Kind(), n, err)
			}
		}
	}
}

func TestParseRing(t *testing.T) {
	a, g := mustKey(t, secret.Fernet), mustKey(t, secret.AESGCM)
	r, err := secret.ParseRing("# keys\n\n" + g.Encode() + "\n" + a.Encode() + "\n" + a.Encode() + "\n")
	if err != nil {
		t.Fatal(err)
	}
	if r.Primary().ID() != g.ID() || len(r.Keys()) != 2 {
		t.Errorf("primary %s, %d keys", r.Primary(), len(r.Keys()))
	}
	if _, err := secret.ParseRing("# nothing\n"); !errors.Is(err, secret.ErrInvalidKey) {
		t.Errorf("empty ring: %v", err)
	}
	if _, err := secret.ParseRing(a.Encode() + "\nnot-a-key\n"); err == nil || !strings.Contains(err.Error(), "line 2") {
		t.Errorf("bad line: %v", err)
	}
}

func TestGCMMaxPlaintext(t *testing.T) {
	g := mustKey(t, secret.AESGCM)
	n := g.MaxPlaintext(1000)
	if g.TokenLen(n) > 1000 || g.TokenLen(n+1) <= 1000 {
		t.Errorf("MaxPlaintext(1000) = %d: TokenLen %d, next %d", n, g.TokenLen(n), g.TokenLen(n+1))
	}
	tok, _ := g.Encrypt(bytes.Repeat([]byte("p"), n))
	if len(tok) != g.TokenLen(n) {
		t.Errorf("token %d chars, TokenLen %d", len(tok), g.TokenLen(n))
	}
}

// A line break inside a token is not skipped: encoding/base64 would ignore
// it, which made one token open in many spellings.
func TestTokensWithLineBreaksFail(t *testing.T) {
	f, g := mustKey(t, secret.Fernet), mustKey(t, secret.AESGCM)
	r, _ := secret.NewRing(f, g)
	for _, k := range []*secret.Key{f, g} {
		tok, err := k.Encrypt([]byte("attack at dawn"))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := r.Decrypt(tok); err != nil {
			t.Fatalf("%s: genuine token: %v", k.Kind(), err)
		}
		mid := len(tok) / 2
		for _, bad := range []string{
			tok[:mid] + "\n" + tok[mid:],
			tok[:mid] + "\r\n" + tok[mid:],
			tok + "\n",
			tok[:mid] + " " + tok[mid:],
		} {
			if got, err := r.Decrypt(bad); !errors.Is(err, secret.ErrDecrypt) {
				t.Errorf("%s: Decrypt(%q) = %q, %v; want ErrDecrypt", k.Kind(), bad, got, err)
			}
			if got, err := k.Decrypt(bad); !errors.Is(err, secret.ErrDecrypt) {
				t.Errorf("%s: Key.Decrypt(%q) = %q, %v; want ErrDecrypt", k.Kind(), bad, got, err)
			}
			if _, ok := r.KeyIDOf(bad); ok {
				t.Errorf("%s: KeyIDOf claims %q", k.Kind(), bad)
			}
		}
	}
}

// A GCM token of a key the ring lacks names that key id in Reason and the
// ring's keys in Tried, as DecryptError documents.
func TestUnknownGCMKeyListsRingKeys(t *testing.T) {
	a, g, other := mustKey(t, secret.Fernet), mustKey(t, secret.AESGCM), mustKey(t, secret.AESGCM)
	r, _ := secret.NewRing(a, g)
	tok, _ := other.Encrypt([]byte("x"))
	_, err := r.Decrypt(tok)
	var de *secret.DecryptError
	if !errors.As(err, &de) {
		t.Fatalf("want a *DecryptError, got %v", err)
	}
	if !slices.Equal(de.Tried, []string{a.ID(), g.ID()}) {
		t.Errorf("Tried = %v, want the ring's ids %v", de.Tried, []string{a.ID(), g.ID()})
	}
	if !strings.Contains(de.Reason, other.ID()) {
		t.Errorf("Reason %q does not name the token's key %s", de.Reason, other.ID())
	}
}

// Ring is documented as safe for concurrent use: With on one shared ring
// from many goroutines must neither race (go test -race) nor hand one
// caller another caller's keys. The base ring has three keys, so its key
// slice has spare capacity — where append(r.keys[1:], …) used to write.
func TestRingWithConcurrent(t *testing.T) {
	base, err := secret.NewRing(mustKey(t, secret.Fernet), mustKey(t, secret.Fernet), mustKey(t, secret.AESGCM))
	if err != nil {
		t.Fatal(err)
	}
	baseIDs := ringIDs(base)
	const workers = 16
	others := make([]*secret.Ring, workers)
	for i := range others {
		others[i], _ = secret.NewRing(mustKey(t, secret.AESGCM))
	}
	var wg sync.WaitGroup
	for i := range workers {
		wg.Go(func() {
			want := slices.Concat(baseIDs, ringIDs(others[i]))
			for range 200 {
				if got := ringIDs(base.With(others[i])); !slices.Equal(got, want) {
					t.Errorf("worker %d: With gave keys %v, want %v", i, got, want)
					return
				}
			}
		})
	}
	wg.Wait()
	if got := ringIDs(base); !slices.Equal(got, baseIDs) {
		t.Errorf("the shared ring changed: %v, was %v", got, baseIDs)
	}
}

func ringIDs(r *secret.Ring) []string {
	var ids []string
	for _, k := range r.Keys() {
		ids = append(ids, k.ID())
	}
	return ids
}
