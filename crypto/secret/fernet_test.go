package secret

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// The test vectors of the Fernet specification (github.com/fernet/spec:
// generate.json, verify.json, invalid.json), kept here as data.
const specSecret = "cw_0x689RpI-jtRR7oE8h_eQsKImvJapLeSbXpwF4e4="

var specGenerate = []struct {
	token, now, src string
	iv              [16]byte
}{{
	token: "gAAAAAAdwJ6wAAECAwQFBgcICQoLDA0ODy021cpGVWKZ_eEwCGM4BLLF_5CV9dOPmrhuVUPgJobwOz7JcbmrR64jVmpU4IwqDA==",
	now:   "1985-10-26T01:20:00-07:00",
	iv:    [16]byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15},
	src:   "hello",
}}

var specVerify = []struct {
	token, now, src string
	ttlSec          int
}{{
	token:  "gAAAAAAdwJ6wAAECAwQFBgcICQoLDA0ODy021cpGVWKZ_eEwCGM4BLLF_5CV9dOPmrhuVUPgJobwOz7JcbmrR64jVmpU4IwqDA==",
	now:    "1985-10-26T01:20:01-07:00",
	ttlSec: 60,
	src:    "hello",
}}

var specInvalid = []struct {
	desc, token, now string
	ttlSec           int
}{
	{"incorrect mac", "gAAAAAAdwJ6xAAECAwQFBgcICQoLDA0OD3HkMATM5lFqGaerZ-fWPAl1-szkFVzXTuGb4hR8AKtwcaX1YdykQUFBQUFBQUFBQQ==", "1985-10-26T01:20:01-07:00", 60},
	{"too short", "gAAAAAAdwJ6xAAECAwQFBgcICQoLDA0OD3HkMATM5lFqGaerZ-fWPA==", "1985-10-26T01:20:01-07:00", 60},
	{"invalid base64", "%%%%%%%%%%%%%AECAwQFBgcICQoLDA0OD3HkMATM5lFqGaerZ-fWPAl1-szkFVzXTuGb4hR8AKtwcaX1YdykRtfsH-p1YsUD2Q==", "1985-10-26T01:20:01-07:00", 60},
	{"payload size not multiple of block size", "gAAAAAAdwJ6xAAECAwQFBgcICQoLDA0OD3HkMATM5lFqGaerZ-fWPOm73QeoCk9uGib28Xe5vz6oxq5nmxbx_v7mrfyudzUm", "1985-10-26T01:20:01-07:00", 60},
	{"payload padding error", "gAAAAAAdwJ6xAAECAwQFBgcICQoLDA0ODz4LEpdELGQAad7aNEHbf-JkLPIpuiYRLQ3RtXatOYREu2FWke6CnJNYIbkuKNqOhw==", "1985-10-26T01:20:01-07:00", 60},
	{"far-future TS (unacceptable clock skew)", "gAAAAAAdwStRAAECAwQFBgcICQoLDA0OD3HkMATM5lFqGaerZ-fWPAnja1xKYyhd-Y6mSkTOyTGJmw2Xc2a6kBd-iX9b_qXQcw==", "1985-10-26T01:20:01-07:00", 60},
	{"expired TTL", "gAAAAAAdwJ6xAAECAwQFBgcICQoLDA0OD3HkMATM5lFqGaerZ-fWPAl1-szkFVzXTuGb4hR8AKtwcaX1YdykRtfsH-p1YsUD2Q==", "1985-10-26T01:21:31-07:00", 60},
	{"incorrect IV (causes padding error)", "gAAAAAAdwJ6xBQECAwQFBgcICQoLDA0OD3HkMATM5lFqGaerZ-fWPAkLhFLHpGtDBRLRTZeUfWgHSv49TF2AUEZ1TIvcZjK1zQ==", "1985-10-26T01:20:01-07:00", 60},
	{"trailing characters after b64 padding", "gAAAAAAdwJ6wAAECAwQFBgcICQoLDA0ODy021cpGVWKZ_eEwCGM4BLLF_5CV9dOPmrhuVUPgJobwOz7JcbmrR64jVmpU4IwqDA==trailingdata", "1985-10-26T01:20:01-07:00", 60},
	{"invalid characters in b64", "*gAAAAAAdwJ6wAAECAwQFBgcI!CQoLDA0ODy021?cpGVWKZ_eEwC@GM4BLLF_5CV9dOPmrhuVUPgJobwOz7JcbmrR64jVmpU4IwqDA==", "1985-10-26T01:20:01-07:00", 60},
	{"invalid non-urlsafe characters in b64", "gAAAAAAdwJ6wAAEC/AwQFBgcICQoLDA0ODy+021cpGVWKZ_eEwCGM4BLLF_5CV9dOPmrhuVUPgJobwOz7JcbmrR64jVmpU4IwqDA==", "1985-10-26T01:20:01-07:00", 60},
}

func specTime(t *testing.T, s string) time.Time {
	t.Helper()
	tm, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		t.Fatal(err)
	}
	return tm
}

func specKey(t *testing.T) *Key {
	t.Helper()
	k, err := ParseKey(specSecret)
	if err != nil {
		t.Fatal(err)
	}
	if k.Kind() != Fernet {
		t.Fatalf("a bare key must parse as Fernet, got %s", k.Kind())
	}
	return k
}

func TestFernetSpecGenerate(t *testing.T) {
	k := specKey(t)
	for _, v := range specGenerate {
		got := k.fernetEncrypt([]byte(v.src), specTime(t, v.now), v.iv)
		if got != v.token {
			t.Errorf("generate %q:\n got %s\nwant %s", v.src, got, v.token)
		}
		if n := k.TokenLen(len(v.src)); n != len(v.token) {
			t.Errorf("TokenLen(%d) = %d, token is %d", len(v.src), n, len(v.token))
		}
	}
}

func TestFernetSpecVerify(t *testing.T) {
	k := specKey(t)
	for _, v := range specVerify {
		got, err := k.DecryptFernetTTL(v.token, time.Duration(v.ttlSec)*time.Second, specTime(t, v.now))
		if err != nil {
			t.Fatalf("verify: %v", err)
		}
		if string(got) != v.src {
			t.Errorf("verify: got %q, want %q", got, v.src)
		}
		// Without a TTL (OpenOrchestrator's way) the token opens at any age.
		got, err = k.Decrypt(v.token)
		if err != nil || string(got) != v.src {
			t.Errorf("Decrypt without TTL: %q, %v", got, err)
		}
	}
}

func TestFernetSpecInvalid(t *testing.T) {
	k := specKey(t)
	for _, v := range specInvalid {
		t.Run(v.desc, func(t *testing.T) {
			got, err := k.DecryptFernetTTL(v.token, time.Duration(v.ttlSec)*time.Second, specTime(t, v.now))
			if err == nil {
				t.Fatalf("accepted an invalid token, plaintext %q", got)
			}
			if got != nil {
				t.Errorf("returned plaintext %q with the error", got)
			}
			if !errors.Is(err, ErrDecrypt) {
				t.Errorf("error %v is not ErrDecrypt", err)
			}
			if !strings.Contains(err.Error(), k.ID()) {
				t.Errorf("error %q does not name key %s", err, k.ID())
			}
		})
	}
}

// The timestamp checks belong to TTL verification only: the two vectors
// that are invalid solely for their time open without a TTL, the others
// never do.
func TestFernetSpecInvalidWithoutTTL(t *testing.T) {
	k := specKey(t)
	timeOnly := map[string]bool{"far-future TS (unacceptable clock skew)": true, "expired TTL": true}
	for _, v := range specInvalid {
		_, err := k.Decrypt(v.token)
		if timeOnly[v.desc] != (err == nil) {
			t.Errorf("%s: Decrypt without TTL returned %v", v.desc, err)
		}
	}
}

func TestFernetTokenLenMatchesEncrypt(t *testing.T) {
	k := specKey(t)
	for n := 0; n < 100; n++ {
		tok, err := k.Encrypt([]byte(strings.Repeat("x", n)))
		if err != nil {
			t.Fatal(err)
		}
		if len(tok) != k.TokenLen(n) {
			t.Fatalf("n=%d: token %d chars, TokenLen %d", n, len(tok), k.TokenLen(n))
		}
	}
	// OpenOrchestrator's varchar(1000) column holds plaintexts up to 687 bytes.
	if got := k.MaxPlaintext(1000); got != 687 {
		t.Errorf("MaxPlaintext(1000) = %d, want 687", got)
	}
}
