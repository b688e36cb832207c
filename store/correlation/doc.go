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
// must carry. Encode computes Kogito's encoded id exactly as its
// MD5CorrelationEncoder does — the "key|value" renderings sorted as Java
// sorts strings (by UTF-16 code units), joined with "|", MD5 in lower-case
// hex — so ids written by Go and by Kogito agree. A Correlation is a row:
// a random ID, the EncodedID (unique), the CorrelatedID of the instance
// (varchar(36)) and the Parts, stored as JSON in the shape Kogito's Jackson
// mapper writes for a CompositeCorrelation; rows of older single
// correlations read as one part. The version column stays NULL, as Kogito
// leaves it.
//
// Store is the whole API: Create (store.ErrDuplicate for an encoded id that
// exists), FindByEncodedID, FindByCorrelatedID, Delete (store.ErrNotFound
// for none, as in Kogito) and WithTx. New makes the one implementation and
// does no I/O. Inside a session Create runs in a savepoint, so a duplicate
// leaves the session usable on PostgreSQL.
//
// # Dialect notes
//
// correlated_id is checked before writing as the dialect counts text: on
// SQL Server its NVARCHAR(36) counts a character above U+FFFF twice. The
// statements are the same on every dialect but for their placeholders.
//
// The package adds nothing to the schema: correlation_instances is part of
// the reference schema (migration 0001); migrations 0040–0049 are shared
// with package snapshot, which owns the ones used so far.
package correlation
