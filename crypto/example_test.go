package crypto_test

import (
	"errors"
	"fmt"
	"strings"

	"github.com/flowstore/flowstore/crypto"
)

// An OpenOrchestratorKey is a Fernet key: a ring whose primary key is one
// writes Fernet tokens, which OpenOrchestrator (Python cryptography) reads.
func ExampleRing_fernet() {
	key, err := crypto.GenerateKey(crypto.Fernet) // or crypto.ParseRing(os.Getenv("OpenOrchestratorKey"))
	if err != nil {
		panic(err)
	}
	ring, err := crypto.NewRing(key)
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
	old, _ := crypto.GenerateKey(crypto.Fernet)
	oldRing, _ := crypto.NewRing(old)
	legacy, _ := oldRing.Encrypt([]byte("written with the old key"))

	next, _ := crypto.GenerateKey(crypto.AESGCM)
	ring, _ := crypto.NewRing(next, old)
	fresh, _ := ring.Encrypt([]byte("written with the new key"))

	a, _ := ring.Decrypt(legacy)
	b, _ := ring.Decrypt(fresh)
	fmt.Println(string(a))
	fmt.Println(string(b), strings.HasPrefix(fresh, "gcm1."+next.ID()+"."))

	// A ring without the right key fails with ErrDecrypt, never garbage.
	_, err := oldRing.Decrypt(fresh)
	fmt.Println(errors.Is(err, crypto.ErrDecrypt))
	// Output:
	// written with the old key
	// written with the new key true
	// true
}
