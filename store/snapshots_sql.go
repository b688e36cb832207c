package store

import (
	"fmt"
	"strconv"
	"strings"
)

// snapshotDialect is everything about the snapshot statements and limits
// that differs per dialect. It is chosen once, when a Snapshots (or
// Correlations) store is built.
type snapshotDialect struct {
	// byteLen is the function giving a binary value's length in bytes.
	byteLen string
	// page renders "the first n rows of this SELECT": LIMIT on most
	// dialects, TOP on SQL Server.
	page func(sel string, n int) string

	// utf16 says text columns count UTF-16 code units, not characters: SQL
	// Server's NCHAR/NVARCHAR, where a character above U+FFFF takes two.
	utf16 bool
	// processRef bounds process_id and process_version, each.
	processRef snapLimit
	// payloadMax is the most bytes one stored payload (after the codec) may
	// have. When payloadMaxQuery is set the server decides instead, and the
	// query asks it (see payloadLimit and Snapshots.checkPayload).
	payloadMax      int64
	payloadMaxQuery string
}

// snapLimit is how long a text column's values may be on one dialect.
type snapLimit struct {
	max   int    // 0: no limit
	bytes bool   // max counts UTF-8 bytes rather than characters
	what  string // what sets the limit, for the error message
}

var snapshotDialects = map[Dialect]snapshotDialect{
	// process_id and process_version are unbounded VARCHARs, as in Kogito's
	// DDL, but both are in the btree index idx_process_instances_process_id,
	// whose entries hold at most 2704 bytes: two values of 1300 bytes, the
	// CHAR(36) id and the tuple headers fit. A bytea holds just under 1 GB.
	Postgres: {byteLen: "octet_length", page: snapPageLimit,
		processRef: snapLimit{max: 1300, bytes: true, what: "an entry of index idx_process_instances_process_id holds at most 2704 bytes"},
		payloadMax: 1<<30 - 1 - 4}, // 1 GB less the value's 4-byte header
	// TEXT without a length check; a BLOB (indeed a whole row) is at most
	// SQLITE_MAX_LENGTH, 10^9 bytes; the margin is for the row's other
	// columns.
	SQLite: {byteLen: "length", page: snapPageLimit,
		payloadMax: 1_000_000_000 - 1<<16},
	// VARCHAR(450) in utf8mb4 counts characters. A LONGBLOB holds 4 GiB, but
	// one value may be at most the server's max_allowed_packet.
	MySQL: {byteLen: "LENGTH", page: snapPageLimit,
		processRef:      snapLimit{max: 450, what: "VARCHAR(450)"},
		payloadMaxQuery: "SELECT @@max_allowed_packet"},
	SQLServer: {byteLen: "DATALENGTH", page: snapPageTop, utf16: true,
		processRef: snapLimit{max: 450, what: "NVARCHAR(450)"},
		payloadMax: 1<<31 - 1}, // VARBINARY(MAX)
}

// snapPacketHeadroom is what a MySQL payload must leave of max_allowed_packet
// on a pool that flowstore did not open. Open makes the driver read the
// server's max_allowed_packet (DSN maxAllowedPacket=0), so it sends a large
// value in chunks the server accepts, and a value may be the whole packet
// size. A host's pool usually keeps the driver's own default, 64 MiB, and
// then sends the value in one packet with the statement's other parameters
// and the packet's framing; a packet over the server's limit makes the server
// drop the connection. 64 KiB covers the other parameters (at most a few
// KiB: id, process id and version, codec name) and the framing. A DSN given
// to Open that sets maxAllowedPacket itself is trusted to match the server.
const snapPacketHeadroom = 64 << 10

// snapPayloadLookupFloor: payloads up to this size are never checked against
// a server-decided limit, so small writes do not pay for the lookup. 1 MiB
// was MySQL 5.6's default max_allowed_packet; later defaults are 4, 16
// (MariaDB) and 64 MiB (MySQL 8). A server set lower still refuses a larger
// value itself, with ErrTooLong on a pool from Open.
const snapPayloadLookupFloor = 1 << 20

// payloadLimit is the most bytes a stored payload may have, and what sets
// that limit. server is the server's answer to payloadMaxQuery (used only
// when the dialect has one); owned says flowstore opened the pool itself.
func (sd snapshotDialect) payloadLimit(server int64, owned bool) (int64, string) {
	if sd.payloadMaxQuery == "" {
		return sd.payloadMax, "process_instances.payload on this dialect"
	}
	if owned {
		return server, "the server's max_allowed_packet"
	}
	return server - snapPacketHeadroom, fmt.Sprintf("the server's max_allowed_packet, %d, less %d for a pool not opened by store.Open", server, snapPacketHeadroom)
}

// textLen is the length of v as the dialect's text columns count it.
func (sd snapshotDialect) textLen(v string) int {
	n := 0
	for _, r := range v {
		n++
		if sd.utf16 && r > 0xFFFF {
			n++ // a surrogate pair
		}
	}
	return n
}

// checkLen refuses v when it is longer than limit in the dialect's count.
// The error names the column, the length and the limit.
func (sd snapshotDialect) checkLen(column, v string, limit int) error {
	if len(v) <= limit { // the byte count bounds every other count
		return nil
	}
	if n := sd.textLen(v); n > limit {
		unit := "characters"
		if sd.utf16 {
			unit = "UTF-16 code units"
		}
		return fmt.Errorf("%w: %s %.40q… is %d %s; at most %d fit", ErrTooLong, column, v, n, unit, limit)
	}
	return nil
}

// checkProcessRef refuses a process id or version the dialect cannot store.
func (sd snapshotDialect) checkProcessRef(column, v string) error {
	l := sd.processRef
	switch {
	case l.max == 0:
		return nil
	case l.bytes:
		if len(v) > l.max {
			return fmt.Errorf("%w: %s %.40q… is %d bytes (UTF-8); at most %d fit (%s)", ErrTooLong, column, v, len(v), l.max, l.what)
		}
		return nil
	}
	if err := sd.checkLen(column, v, l.max); err != nil {
		return fmt.Errorf("%w (%s)", err, l.what)
	}
	return nil
}

func snapPageLimit(sel string, n int) string { return sel + " LIMIT " + strconv.Itoa(n) }

func snapPageTop(sel string, n int) string {
	return strings.Replace(sel, "SELECT ", "SELECT TOP ("+strconv.Itoa(n)+") ", 1)
}

// Columns of a snapshot row, in the order scanSnapshot reads them.
const snapshotColumns = `p.id, p.payload, p.process_id, p.version, p.process_version, p.payload_codec`

// snapshotSQL holds every statement of the snapshot store, rendered for one
// dialect with its placeholders. Process-scoped statements come in two forms:
// [0] matches process_version = ?, [1] matches process_version IS NULL.
type snapshotSQL struct {
	insert, insertBusinessKey                    string
	get, exists, versionOf, stat, businessKeyOf  string
	eventTypesOf, deleteEventTypes               string
	update, updateUnchecked                      string
	deleteInstance, deleteBusinessKey            string
	count, listIDs, page, findByKey, waitingPage [2]string
	migrateAll                                   [2]string
	migrateSome                                  [2]string // followed by "(?, ?, …)"
	insertEventTypesHead, insertEventTypesRow    string
	d                                            Dialect
	sd                                           snapshotDialect
}

// snapProcessScope is the WHERE fragment that scopes a statement to one process
// definition; Kogito matches an absent version with IS NULL.
var snapProcessScope = [2]string{
	"p.process_id = ? AND p.process_version = ?",
	"p.process_id = ? AND p.process_version IS NULL",
}

func newSnapshotSQL(d Dialect, pageSize int) *snapshotSQL {
	sd := snapshotDialects[d]
	r := d.Rebind
	q := &snapshotSQL{d: d, sd: sd}
	q.insert = r(`INSERT INTO process_instances (id, payload, process_id, version, process_version, payload_codec) VALUES (?, ?, ?, 0, ?, ?)`)
	q.insertBusinessKey = r(`INSERT INTO business_key_mapping (business_key, process_instance_id) VALUES (?, ?)`)
	q.get = r(`SELECT ` + snapshotColumns + ` FROM process_instances p WHERE p.id = ?`)
	q.exists = r(`SELECT 1 FROM process_instances p WHERE p.id = ?`)
	// A plain read sees the latest commit: every pool runs at READ COMMITTED
	// (New refuses a MySQL pool at REPEATABLE READ, whose snapshot would show
	// the version the caller already had).
	q.versionOf = r(`SELECT COALESCE(p.version, 0) FROM process_instances p WHERE p.id = ?`)
	q.stat = r(`SELECT p.id, p.process_id, p.version, p.process_version, p.payload_codec, ` + sd.byteLen + `(p.payload) FROM process_instances p WHERE p.id = ?`)
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
	for i, scope := range snapProcessScope {
		q.count[i] = r(`SELECT COUNT(*) FROM process_instances p WHERE ` + scope)
		q.listIDs[i] = r(sd.page(`SELECT p.id FROM process_instances p WHERE `+scope+` AND p.id > ? ORDER BY p.id`, pageSize))
		q.page[i] = r(sd.page(`SELECT `+snapshotColumns+` FROM process_instances p WHERE `+scope+` AND p.id > ? ORDER BY p.id`, pageSize))
		q.findByKey[i] = r(`SELECT ` + snapshotColumns + ` FROM process_instances p JOIN business_key_mapping b ON b.process_instance_id = p.id WHERE ` + scope + ` AND b.business_key = ?`)
		q.waitingPage[i] = r(sd.page(`SELECT `+snapshotColumns+` FROM process_instances p JOIN event_types e ON e.process_instance_id = p.id WHERE `+scope+` AND e.event_type = ? AND p.id > ? ORDER BY p.id`, pageSize))
		set := `UPDATE process_instances SET process_id = ?, process_version = ? WHERE ` + strings.ReplaceAll(scope, "p.", "")
		q.migrateAll[i] = set
		q.migrateSome[i] = set + ` AND id IN `
	}
	return q
}

// snapInList renders "(?, ?, …)" for n values.
func snapInList(n int) string {
	var b strings.Builder
	b.Grow(3*n + 2)
	b.WriteByte('(')
	for i := range n {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteByte('?')
	}
	b.WriteByte(')')
	return b.String()
}
