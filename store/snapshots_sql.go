package store

import (
	"strconv"
	"strings"
)

// snapshotDialect is everything about the snapshot statements that differs
// per dialect. It is chosen once, when a Snapshots store is built.
type snapshotDialect struct {
	// byteLen is the function giving a binary value's length in bytes.
	byteLen string
	// currentRead is appended to the SELECT that reports the version after a
	// failed compare-and-swap. Open runs MySQL at READ COMMITTED, but a host
	// pool adopted with New may run at InnoDB's REPEATABLE READ, whose
	// snapshot inside a transaction would report the version the caller
	// already had; a locking read sees the latest commit at either level.
	currentRead string
	// page renders "the first n rows of this SELECT": LIMIT on most
	// dialects, TOP on SQL Server.
	page func(sel string, n int) string
}

var snapshotDialects = map[Dialect]snapshotDialect{
	Postgres:  {byteLen: "octet_length", page: snapPageLimit},
	SQLite:    {byteLen: "length", page: snapPageLimit},
	MySQL:     {byteLen: "LENGTH", currentRead: " LOCK IN SHARE MODE", page: snapPageLimit},
	SQLServer: {byteLen: "DATALENGTH", page: snapPageTop},
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
	q.versionOf = r(`SELECT COALESCE(p.version, 0) FROM process_instances p WHERE p.id = ?` + sd.currentRead)
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
