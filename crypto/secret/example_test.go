package secret_test

import (
	"errors"
	"fmt"
	"strings"

	"github.com/flowstore/flowstore/crypto/secret"
)

// An OpenOrchestratorKey is a Fernet key: a ring whose primary key is one
// writes Fernet tokens, which OpenOrchestrator (Python cryptography) reads.
func ExampleRing_fernet() {
	key, err := secret.GenerateKey(secret.Fernet) // or secret.ParseRing(os.Getenv("OpenOrchestratorKey"))
	if err != nil {
		panic(err)
	}
	ring, err := secret.NewRing(key)
	if err != nil {
		panic(err)
	}
	token, err := ring.Encrypt([]byte("s3cret"))
	if err != nil {
		panic(err)
	}
	plain, err := ring.Decrypt(token)
	fmt.Println(strings.HasPrefix(token, "gAAAAA"), string(plain), err)
	// Output: true s3cret <nil>
}

// Rotating: a ring with a new AES-256-GCM primary key writes GCM tokens that
// name their key, and still reads tokens of the old Fernet key.
func ExampleRing_rotation() {
	old, _ := secret.GenerateKey(secret.Fernet)
	oldRing, _ := secret.NewRing(old)
	legacy, _ := oldRing.Encrypt([]byte("written with the old key"))

	next, _ := secret.GenerateKey(secret.AESGCM)
	ring, _ := secret.NewRing(next, old)
	fresh, _ := ring.Encrypt([]byte("written with the new key"))

	a, _ := ring.Decrypt(legacy)
	b, _ := ring.Decrypt(fresh)
	fmt.Println(string(a))
	fmt.Println(string(b), strings.HasPrefix(fresh, "gcm1."+next.ID()+"."))

	// A ring without the right key fails with ErrDecrypt, never garbage.
	_, err := oldRing.Decrypt(fresh)
	fmt.Println(errors.Is(err, secret.ErrDecrypt))
	// Output:
	// written with the old key
	// written with the new key true
	// true
}

// ParseRing reads a key file (flowctl's --key-file): one key per line, the
// first encrypts, every key decrypts; blank lines and '#' comments are
// skipped. A bare key is an OpenOrchestratorKey (Fernet).
func ExampleParseRing() {
	keyFile := `# primary: new data is written with AES-256-GCM
aes256gcm:MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=

# the old OpenOrchestratorKey, kept to read tokens written with it
cw_0x689RpI-jtRR7oE8h_eQsKImvJapLeSbXpwF4e4=
`
	ring, err := secret.ParseRing(keyFile)
	if err != nil {
		panic(err)
	}
	for _, k := range ring.Keys() {
		fmt.Println(k) // names the kind and id, never the key material
	}

	// A token the old key wrote (the Fernet specification's example).
	plain, err := ring.Decrypt("gAAAAAAdwJ6wAAECAwQFBgcICQoLDA0ODy021cpGVWKZ_eEwCGM4BLLF_5CV9dOPmrhuVUPgJobwOz7JcbmrR64jVmpU4IwqDA==")
	fmt.Println(string(plain), err)

	token, _ := ring.Encrypt([]byte("s3cret"))
	fmt.Println(strings.HasPrefix(token, "gcm1."+ring.Primary().ID()+"."))
	// Output:
	// aes256gcm key 5f5f8f31
	// fernet key e0b3b6b2
	// hello <nil>
	// true
}
