// Package secret encrypts the secrets flowstore keeps (OpenOrchestrator's
// Credentials.password) with keys users already have.
//
// Two token formats share one column:
//
//   - Fernet, exactly per the public Fernet specification: url-safe base64 of
//     0x80 ‖ 64-bit big-endian Unix seconds ‖ 16-byte IV ‖ AES-128-CBC/PKCS#7
//     ciphertext ‖ HMAC-SHA256 over everything before it. The key is 32 bytes
//     (signing key ‖ encryption key) in url-safe base64 — the form of
//     OpenOrchestrator's OpenOrchestratorKey — so tokens written by Python's
//     cryptography.fernet decrypt here and the reverse. Fernet tokens carry
//     no key id; a ring tries each of its Fernet keys.
//   - AES-256-GCM: "gcm1." ‖ key id (8 hex digits) ‖ "." ‖ url-safe base64
//     (no padding) of a 12-byte random nonce ‖ ciphertext ‖ 16-byte tag. The
//     prefix is authenticated as additional data, so a token cannot be moved
//     to another key id. '.' is not in the base64 alphabet, so the two
//     formats never look alike.
//
// A Key's kind decides what it writes: a Fernet key writes Fernet tokens (a
// database shared with OpenOrchestrator stays readable by it), an AES-256-GCM
// key writes GCM tokens. A key's id is derived from its material (the first
// four bytes of a SHA-256 over kind and key, in hex), so ids need no storage
// and the same key always has the same id.
//
// # Keys and rings
//
// ParseKey accepts the forms users have: a bare 32-byte base64 key — an
// OpenOrchestratorKey — is a Fernet key; "fernet:<base64>" says so
// explicitly; "aes256gcm:<base64>" is an AES-256-GCM key (raw 32 bytes, any
// base64 alphabet, padded or not). Key.Encode returns that form; Key.String
// never shows key material.
//
// A Ring has one primary key, which encrypts, and any number of older keys;
// every key decrypts. ParseRing reads a key file: one key per line, the first
// is primary, blank lines and '#' comments ignored.
//
// # Errors
//
// A wrong key, a tampered or truncated token or a malformed one returns a
// *DecryptError — never a panic, never garbage plaintext. It names the key
// ids tried and satisfies errors.Is(err, ErrDecrypt). This package imports
// nothing of flowstore's, so it has its own sentinel; package store wraps
// its errors so that errors.Is(err, store.ErrDecrypt) holds as well as
// errors.Is(err, secret.ErrDecrypt). Malformed keys return errors matching
// ErrInvalidKey.
package secret
