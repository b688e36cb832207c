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
// # Schema
//
// process_instances, business_key_mapping, event_types and
// correlation_instances are part of the reference schema (migration 0001).
// This package owns migration 0040, which adds what Kogito does not have:
// process_instances.payload_codec (NULL for a payload stored as given, so
// Kogito's rows stay readable) and the index idx_event_types_event_type on
// event_types (event_type, process_instance_id), through which
// WaitingForEventType finds its instances. Migrations 0040–0049 are
// reserved for it and package correlation.
package snapshot
