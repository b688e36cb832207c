// Package correlation keeps Kogito's correlation_instances table: event
// correlations that lead an incoming event to the process instance waiting
// for it.
//
//	corr, err := correlation.New(db)
//	c, err := corr.Create(ctx, instanceID,
//		correlation.Part{Key: "orderId", Value: "42"},
//		correlation.Part{Key: "userId", Value: "7"})
//	// later, when an event with those attributes arrives:
//	found, err := corr.FindByEncodedID(ctx, correlation.Encode(parts...))
//
// # Model and Store
//
// A correlation is a set of Parts, key/value pairs an event's attributes
// must carry: Kogito's CompositeCorrelation, which holds one part per key,
// ordered by key. A Correlation is a row: a random ID, the EncodedID
// (unique), the CorrelatedID of the instance (varchar(36)) and the Parts,
// in key order. The version column stays NULL, as Kogito leaves it.
//
// Store is the whole API: Create (store.ErrDuplicate for an encoded id that
// exists), FindByEncodedID, FindByCorrelatedID, Delete (store.ErrNotFound
// for none, as in Kogito) and WithTx. New makes the one implementation and
// does no I/O. Inside a session Create runs in a savepoint, so a duplicate
// leaves the session usable on PostgreSQL.
//
// # Sharing the table with Kogito
//
// The table is Kogito's, as its JDBC persistence's Flyway scripts leave it
// at V10.0.2 (apache/incubator-kie-kogito-runtimes, module
// addons/common/persistence/jdbc), and rows go both ways: Kogito finds,
// reads and deletes the correlations a Go program creates, and the reverse.
// The conventions, pinned by tests that play Kogito's JDBC statements and
// binds (kogito_test.go) and by vectors computed with Kogito's own classes
// (correlation_test.go):
//
//   - The encoded id is Kogito's MD5CorrelationEncoder (Encode): each part
//     rendered "key|value", the renderings sorted as Java sorts strings (by
//     UTF-16 code units) and joined with "|", the lower-case hex MD5 of its
//     UTF-8 bytes.
//   - The row's correlation is the JSON Kogito's Jackson mapper writes for a
//     CompositeCorrelation, byte for byte (but for U+2028 and U+2029, which
//     Go escapes): {"key":"customer|customer-id","value":[{"key":"customer",
//     "value":"…"},{"key":"customer-id","value":"…"}]} — the keys joined in
//     key order, not in the order of the "key|value" renderings the hash
//     sorts, and the parts in key order. A key given twice with different
//     values is store.ErrInvalid: Kogito would keep one of them.
//   - The column is character varying since Kogito's V10.0.1, and the JSON
//     is bound as text, as Kogito binds it (setString); migration 0041
//     (package snapshot's) converted the json column of databases an earlier
//     flowstore created on PostgreSQL. Reading, any order of parts is
//     accepted, and a value Kogito wrote as a JSON number or boolean (an
//     event attribute that is one) reads as its JSON text, a missing or null
//     one as "null": what Kogito renders into the encoded id for them.
//   - correlation_instances.id is CHAR(36); reads trim its padding.
//
// # Input
//
// Every method refuses a nil context with store.ErrInvalid, before it
// touches the database. Every text it is given — the correlated id, the
// parts' keys and values, an encoded id looked up or deleted — follows the
// store's one text rule (store.Dialect.CheckText), on lookups exactly as on
// writes: a NUL character or invalid UTF-8 is store.ErrInvalid, an id too
// long for its varchar(36) column store.ErrTooLong (counted as the dialect
// counts text: on SQL Server a character above U+FFFF is two), an empty id
// store.ErrInvalid, and nothing is written or looked up.
//
// # Schema
//
// correlation_instances is part of the reference schema (migration 0001).
// The package adds no extras. Migrations 0040–0049 are shared with package
// snapshot, which owns the ones used so far (0041 converts this table's
// correlation column on PostgreSQL).
package correlation
