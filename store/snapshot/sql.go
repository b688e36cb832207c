package snapshot

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/flowstore/flowstore/store"
)

// columns of a snapshot row, in the order bunStore.scan reads them.
const columns = `p.id, p.payload, p.process_id, p.version, p.process_version, p.payload_codec`

// processScope is the WHERE fragment that scopes a statement to one process
// definition; Kogito matches an absent version with IS NULL. See
// ProcessRef.scope.
var processScope = [2]string{
	"p.process_id = ? AND p.process_version = ?",
	"p.process_id = ? AND p.process_version IS NULL",
}

// stmts holds every statement of the store, rendered once for a dialect
// with its placeholders, and the dialect's payload limit. Process-scoped
// statements come in two forms (see processScope). Kogito's table and
// column names are lower-case and need no quoting on any dialect; every
// statement binds its parameters on the driver (Handle.Raw), so the hot
// paths cost what the raw driver costs.
type stmts struct {
	insert, insertBusinessKey                    string
	get, exists, versionOf, stat, businessKeyOf  string
	eventTypesOf, deleteEventTypes               string
	update, updateUnchecked                      string
	deleteInstance, deleteBusinessKey            string
	count, listIDs, page, findByKey, waitingPage [2]string
	migrateAll                                   [2]string
	// migrateSome is followed by "(?, ?, …)" and then rebound.
	migrateSome [2]string
	// insertEventTypesHead and insertEventTypesRow make a multi-row INSERT,
	// rebound once the rows are known.
	insertEventTypesHead, insertEventTypesRow string

	// maxBlob is the most bytes one stored payload may have; where
	// maxBlobQuery is set the server decides instead, and the query asks
	// it (see bunStore.checkPayload).
	maxBlob      int64
	maxBlobQuery string
}

func newStmts(d *store.Dialect, pageSize int) *stmts {
	r := d.Rebind
	first := func(sel string) string { return r(sel + d.Limit(strconv.Itoa(pageSize))) }
	q := &stmts{}
	q.maxBlob, q.maxBlobQuery = d.MaxBlob()
	q.insert = r(`INSERT INTO process_instances (id, payload, process_id, version, process_version, payload_codec) VALUES (?, ?, ?, 0, ?, ?)`)
	q.insertBusinessKey = r(`INSERT INTO business_key_mapping (business_key, process_instance_id) VALUES (?, ?)`)
	q.get = r(`SELECT ` + columns + ` FROM process_instances p WHERE p.id = ?`)
	q.exists = r(`SELECT 1 FROM process_instances p WHERE p.id = ?`)
	// A plain read sees the latest commit: every pool runs at READ COMMITTED
	// (store.New refuses a MySQL pool at REPEATABLE READ, whose snapshot
	// would show the version the caller already had).
	q.versionOf = r(`SELECT COALESCE(p.version, 0) FROM process_instances p WHERE p.id = ?`)
	q.stat = r(`SELECT p.id, p.process_id, p.version, p.process_version, p.payload_codec, ` + d.ByteLength("p.payload") + ` FROM process_instances p WHERE p.id = ?`)
	q.businessKeyOf = r(`SELECT business_key FROM business_key_mapping WHERE process_instance_id = ?`)
	q.eventTypesOf = r(`SELECT event_type FROM event_types WHERE process_instance_id = ? ORDER BY event_type`)
	q.deleteEventTypes = r(`DELETE FROM event_types WHERE process_instance_id = ?`)
	q.insertEventTypesHead = `INSERT INTO event_types (process_instance_id, event_type) VALUES `
	q.insertEventTypesRow = `(?, ?)`
	// The version check is the whole of optimistic locking: one statement,
	// so no other writer can come between the check and the write. A NULL
	// version (rows of Kogito's unlocked mode written by other tools) counts
	// as 0.
	q.update = r(`UPDATE process_instances SET payload = ?, payload_codec = ?, version = ? WHERE id = ? AND COALESCE(version, 0) = ?`)
	q.updateUnchecked = r(`UPDATE process_instances SET payload = ?, payload_codec = ?, version = COALESCE(version, 0) + 1 WHERE id = ?`)
	q.deleteInstance = r(`DELETE FROM process_instances WHERE id = ?`)
	q.deleteBusinessKey = r(`DELETE FROM business_key_mapping WHERE process_instance_id = ?`)
	for i, scope := range processScope {
		q.count[i] = r(`SELECT COUNT(*) FROM process_instances p WHERE ` + scope)
		q.listIDs[i] = first(`SELECT p.id FROM process_instances p WHERE ` + scope + ` AND p.id > ? ORDER BY p.id`)
		q.page[i] = first(`SELECT ` + columns + ` FROM process_instances p WHERE ` + scope + ` AND p.id > ? ORDER BY p.id`)
		// The key, then the key padded as a char(255) column holds it (see
		// bunStore.findByBusinessKey).
		q.findByKey[i] = r(`SELECT ` + columns + ` FROM process_instances p JOIN business_key_mapping b ON b.process_instance_id = p.id WHERE ` + scope + ` AND b.business_key IN (?, ?)`)
		q.waitingPage[i] = first(`SELECT ` + columns + ` FROM process_instances p JOIN event_types e ON e.process_instance_id = p.id WHERE ` + scope + ` AND e.event_type = ? AND p.id > ? ORDER BY p.id`)
		set := `UPDATE process_instances SET process_id = ?, process_version = ? WHERE ` + strings.ReplaceAll(scope, "p.", "")
		q.migrateAll[i] = r(set)
		q.migrateSome[i] = set + ` AND id IN `
	}
	return q
}

// packetHeadroom is what a payload must leave of a server-decided limit
// (MySQL's max_allowed_packet) on a pool that store.Open did not make.
// Open makes the driver read the server's max_allowed_packet (DSN
// maxAllowedPacket=0), so it sends a large value in chunks the server
// accepts, and a value may be the whole packet size. A host's pool usually
// keeps the driver's own default, 64 MiB, and then sends the value in one
// packet with the statement's other parameters and the packet's framing; a
// packet over the server's limit makes the server drop the connection.
// 64 KiB covers the other parameters (at most a few KiB: id, process id and
// version, codec name) and the framing. A DSN given to Open that sets
// maxAllowedPacket itself is trusted to match the server.
const packetHeadroom = 64 << 10

// lookupFloor: payloads up to this size are never checked against a
// server-decided limit, so small writes do not pay for the lookup. 1 MiB
// was MySQL 5.6's default max_allowed_packet; later defaults are 4, 16
// (MariaDB) and 64 MiB (MySQL 8). A server set lower still refuses a larger
// value itself, with store.ErrTooLong on a pool from Open.
const lookupFloor = 1 << 20

// payloadLimit is the most bytes a stored payload may have, and what sets
// that limit. server is the server's answer to maxBlobQuery (used only
// where the dialect has one); fromOpen says store.Open made the pool (see
// store.DB.Adopted).
func (q *stmts) payloadLimit(server int64, fromOpen bool) (int64, string) {
	if q.maxBlobQuery == "" {
		return q.maxBlob, "process_instances.payload on this dialect"
	}
	if fromOpen {
		return server, fmt.Sprintf("the server's limit (%s)", q.maxBlobQuery)
	}
	return server - packetHeadroom, fmt.Sprintf("the server's limit (%s), %d, less %d for a pool not opened by store.Open", q.maxBlobQuery, server, packetHeadroom)
}

// inList renders "(?, ?, …)" for n values.
func inList(n int) string { return "(" + store.Placeholders(n) + ")" }
