// Package snapshot keeps Kogito's process-instance persistence:
// process_instances, one row per live instance holding its serialised
// state, with the version Kogito uses for optimistic locking, and the
// tables around it — business_key_mapping and event_types.
//
//	snaps, err := snapshot.New(db)
//	err = snaps.Create(ctx, &snapshot.Snapshot{ID: id, ProcessID: "orders", Payload: state})
//	s, err := snaps.Get(ctx, id)
//	s.Payload = next
//	err = snaps.Update(ctx, s) // store.ErrConflict if another writer got there first
//
// # Model and Store
//
// A Snapshot is one row: ID (CHAR(36)), Payload, ProcessID and
// ProcessVersion (nil for an unversioned definition), Version, and the
// Codec its payload was written with; BusinessKey and EventTypes are kept
// in their own tables with the instance. A ProcessRef (Unversioned,
// Versioned) names a definition, and every query over many snapshots is
// scoped by one, as in Kogito: a nil version matches only rows whose
// process_version IS NULL. Info is what Stat reports without loading the
// payload.
//
// Store is the whole API: Create, Get, Update (compare-and-swap on the
// version), UpdateUnchecked, Delete, Exists, Stat, IDs, All (an iterator
// in keyset pages of WithPageSize), Count, FindByBusinessKey,
// WaitingForEventType (an iterator), MigrateInstances and WithTx. New makes
// the one implementation and does no I/O. Retry is the optimistic-locking
// loop on top of any Store: load, apply, update, again on a conflict.
//
// # Codecs
//
// Payloads are stored as given — Kogito's own format — unless the store is
// made WithCodec: Gzip compresses, Encrypted seals with a key ring
// (secret.Ring). The codec's name is stored with each row, so plain rows and
// rows of several codecs can share the table; WithReadCodecs reads rows of
// a codec the store does not write with. Every store reads gzip rows.
//
// # Dialect notes and limits
//
// The statements are the same on every dialect but for what the dialect
// layer supplies: placeholders (Rebind), the first n rows of a page
// (Limit: LIMIT, or OFFSET … FETCH on SQL Server), a payload's size in
// bytes (ByteLength). Limits are checked before anything is written, as
// store.ErrTooLong: the id, the business key and event types against their
// columns in the dialect's text units; ProcessID and ProcessVersion against
// the dialect's key-text limit (CheckKeyText: 450 on MySQL/MariaDB and SQL
// Server, 1300 bytes on PostgreSQL, whose index entries hold 2704 bytes;
// none on SQLite); the stored payload — after the codec — against the
// dialect's largest value (MaxBlob: about 1 GB on PostgreSQL and SQLite,
// 2 GiB on SQL Server). On MySQL/MariaDB the server decides
// (max_allowed_packet), asked once for the first payload over 1 MiB; a pool
// not made by store.Open must leave 64 KiB of it free, since its driver
// sends a large value in one packet and the server drops the connection
// over a packet too large (store.DB.Adopted tells the two apart).
//
// # Sharing the tables with Kogito
//
// The tables are Kogito's, as its JDBC persistence's Flyway scripts leave
// them at V10.0.2 (apache/incubator-kie-kogito-runtimes, module
// addons/common/persistence/jdbc), so Kogito and a Go program can share one
// database — one Kogito created (store.DB.Adopt) or one flowstore created.
// The conventions, each pinned by a test that plays Kogito's JDBC statements
// and binds (kogito_test.go, migration_test.go):
//
//   - Rows are Kogito's: the payload as given (a store made WithCodec
//     writes payloads Kogito cannot read), version 0 after Create and +1
//     per update, as Kogito's optimistic locking counts, and a NULL version
//     read as 0, as Kogito's getLong reads it. Kogito's locked
//     update and Update agree on who loses a race; Kogito's unlocked update
//     leaves the version alone, so Update does not notice it.
//   - Kogito's create inserts the event types before the instance, in one
//     transaction. event_types therefore has no foreign key to
//     process_instances, as in Kogito's schema (migration 0041 drops the one
//     flowstore's schema had), and every write of event types — Create,
//     Update, UpdateUnchecked, Delete — deletes an instance's old rows
//     itself, as Kogito does. Create also deletes rows left for its id by a
//     create that failed without a transaction.
//     MySQL/MariaDB keep the key for now: the migrator cannot yet drop a
//     foreign key resumably there (see the migration's file). A database
//     that Kogito writes to needs it dropped once, by hand:
//     ALTER TABLE `event_types` DROP FOREIGN KEY `event_types_process_instance_id_fkey`.
//   - process_instances.id is CHAR(36) and Kogito's
//     business_key_mapping.business_key char(255) on PostgreSQL: such
//     columns pad values with blanks and compare without them. Reads trim
//     the padding, FindByBusinessKey finds a padded key by the key itself,
//     and an id or business key that ends with a blank is store.ErrInvalid,
//     since it could not be read back as written. flowstore's own
//     business_key column stays VARCHAR(255) (Kogito's ANSI scripts' type),
//     so converting it cannot merge two keys.
//   - Every query is scoped by process id and version as Kogito scopes its
//     own, a nil version matching process_version IS NULL only.
//
// # Input
//
// Every method refuses a nil context with store.ErrInvalid, before it
// touches the database. Every text it is given follows the store's one
// text rule (store.Dialect.CheckText) — on the values a read looks up
// exactly as on those a write stores: a NUL character or invalid UTF-8 is
// store.ErrInvalid, a value too long for its column store.ErrTooLong, and
// nothing is written or looked up. That covers ids, process ids and
// versions (Dialect.CheckKeyText), business keys and event types; an empty
// id, process id, business key looked up or event type is store.ErrInvalid
// too, as no row can hold one.
//
// # Schema
//
// process_instances, business_key_mapping, event_types and
// correlation_instances are part of the reference schema (migration 0001).
// This package owns migrations 0040 and 0041 (0040–0049 are reserved for it
// and package correlation):
//
//   - 0040 adds what Kogito does not have: process_instances.payload_codec
//     (NULL for a payload stored as given, so Kogito's rows stay readable)
//     and the index idx_event_types_event_type on event_types (event_type,
//     process_instance_id), through which WaitingForEventType finds its
//     instances. These are the package's extras.
//   - 0041 brings Kogito's tables to its V10.0.2: correlation_instances.
//     correlation becomes character varying on PostgreSQL (Kogito's V10.0.1;
//     the other dialects always had text), and event_types loses its
//     foreign key (on SQLite by rebuilding the table with its rows; not yet
//     on MySQL/MariaDB, see above).
package snapshot
