package snapshot

import (
	"fmt"
	"strings"

	"github.com/flowstore/flowstore/store"
)

// Statements renders every statement of the store for db's dialect (an
// Offline database), and the limits it checks before writing, for golden
// files (SQL Server cannot run here).
func Statements(db *store.DB) string {
	d := db.SQLDialect()
	q := newStmts(d, 32)
	var b strings.Builder
	line := func(name, sql string) { fmt.Fprintf(&b, "-- %s\n%s;\n", name, sql) }
	line("insert", q.insert)
	line("insert business key", q.insertBusinessKey)
	line("insert event types (2 rows)", d.Rebind(q.insertEventTypesHead+q.insertEventTypesRow+", "+q.insertEventTypesRow))
	line("get", q.get)
	line("exists", q.exists)
	line("version after a failed update", q.versionOf)
	line("stat", q.stat)
	line("business key of", q.businessKeyOf)
	line("event types of", q.eventTypesOf)
	line("update (compare-and-swap)", q.update)
	line("update unchecked", q.updateUnchecked)
	line("delete event types", q.deleteEventTypes)
	line("delete business key", q.deleteBusinessKey)
	line("delete", q.deleteInstance)
	for i, v := range []string{"version = ?", "version IS NULL"} {
		line("count, "+v, q.count[i])
		line("list ids (page), "+v, q.listIDs[i])
		line("stream (page), "+v, q.page[i])
		line("find by business key, "+v, q.findByKey[i])
		line("waiting for event type (page), "+v, q.waitingPage[i])
		line("migrate all, "+v, q.migrateAll[i])
		line("migrate 2 ids, "+v, d.Rebind(q.migrateSome[i]+inList(2)))
	}
	if q.maxBlobQuery != "" {
		line("payload limit (asked once, for payloads over 1 MiB)", q.maxBlobQuery)
	}
	// The limits checked before writing, pinned with the SQL: the key-text
	// limit as the dialect layer words it for a value far over any limit.
	ref := "no limit"
	if err := d.CheckKeyText("process_id", strings.Repeat("x", 5000)); err != nil {
		ref = err.Error()
	}
	fmt.Fprintf(&b, "-- limit: process_id, process_version: %s\n", ref)
	payload, what := q.payloadLimit(16<<20, true)
	if q.maxBlobQuery != "" {
		fmt.Fprintf(&b, "-- limit: stored payload: %s (on a pool not opened by Open: %d bytes less)\n", what, packetHeadroom)
	} else {
		fmt.Fprintf(&b, "-- limit: stored payload: at most %d bytes (%s)\n", payload, what)
	}
	return b.String()
}
