// Package credential keeps OpenOrchestrator's Credentials table: a name, a
// username in plain text and a password stored encrypted, so robots can
// log in to other systems without keeping secrets in their code.
//
//	ring, err := secret.ParseRing(os.Getenv("OpenOrchestratorKey"))
//	creds, err := credential.New(db, credential.WithKeyRing(ring))
//	err = creds.Set(ctx, "erp", "robot", "s3cret")
//	s, err := creds.Get(ctx, "erp") // s.Username, s.Password (decrypted)
//
// # Model and Store
//
// A Credential is a row as stored: Name (the key, varchar(100)), Username
// (varchar(250)), Password — the encrypted token, never plaintext
// (varchar(1000)) — and ChangedAt. A Secret is a credential with its
// password decrypted, and the id of the key that opened it.
//
// Store is the whole API: Set (an upsert), Get (decrypted), GetEncrypted
// and List (as stored, no key needed), Delete, Rotate, MaxPasswordLen, Ring
// and WithTx. New makes the one implementation and does no I/O.
//
// # Keys
//
// Passwords are encrypted with a secret.Ring given by WithKeyRing: the
// ring's primary key encrypts, and its kind decides the token format — a
// Fernet key writes the Fernet tokens OpenOrchestrator reads and writes
// itself (its OpenOrchestratorKey), an AES-256-GCM key writes GCM tokens
// that name their key. Every key of the ring decrypts. A store without a
// ring lists, reads encrypted rows and deletes; Set and Get are then
// store.ErrInvalid. A token no key opens is an error matching both
// store.ErrDecrypt and secret.ErrDecrypt, and errors.As reaches the
// *secret.DecryptError with the key ids tried.
//
// The column holds 1000 characters of token, so the longest password is
// 687 bytes with a Fernet key and 711 with a GCM key (MaxPasswordLen); a
// longer one is store.ErrTooLong before anything is written. Rotate
// re-encrypts every row with a new ring's primary key in one transaction,
// each row conditional on the token it read, and leaves changed_at alone.
//
// # Dialect notes
//
// Set is one atomic statement in the dialect layer's upsert form
// (store.Dialect.Upsert). Names and usernames are checked against their
// columns as the dialect counts text (UTF-16 code units on SQL Server);
// tokens are ASCII and count the same everywhere.
//
// The package adds nothing to the schema: Credentials is part of the
// reference schema (migration 0001).
package credential
