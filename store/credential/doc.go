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
// and WithTx. New makes the one implementation and does no I/O. Every
// method that takes a context refuses a nil one with store.ErrInvalid.
//
// # Sharing the table with OpenOrchestrator
//
// OpenOrchestrator's programs read and write the same rows. With a Fernet
// key — its OpenOrchestratorKey — the store writes the Fernet tokens its
// crypto_util writes and reads, and reads the ones it wrote. changed_at is
// what its Credential model writes, datetime.now() of the writing machine:
// a naive wall clock in the DB's zone (store.WithZone, or timezone= in the
// DSN; the process's local zone by default), written with store.DB.Naive
// — on SQLite exactly the text "2026-12-05 23:47:13.123456" — and read back
// as the instant it names (store.DB.FromNaive), in UTC; a wall clock of the
// hour a fall-back repeats reads as one of its two instants.
//
// # Text
//
// Names, usernames and passwords go through the one text rule
// (store.Dialect.CheckText, store.ValidText) before anything is written:
// text that is not valid UTF-8 or holds a NUL is store.ErrInvalid on
// every dialect. The password is encrypted, so no column holds its text,
// but OpenOrchestrator decodes what it decrypts as UTF-8; an error about
// it never repeats it. The names Get, GetEncrypted and Delete look up go
// through the same rule, so a name no row can have is refused the same
// way (store.ErrInvalid, store.ErrTooLong) rather than sent to the
// database.
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
// Set and Delete are single statements and Rotate one transaction; none
// shortens the caller's deadline. An error other than
// store.ErrCommitUnknown means nothing was written; after ErrCommitUnknown
// the write may have happened (Set is an upsert, so retrying it is safe).
//
// The package adds nothing to the schema: Credentials is part of the
// reference schema (migration 0001), and migration 0070 (package store)
// converts the UTC times an earlier flowstore wrote to the zone's wall
// clock.
package credential
