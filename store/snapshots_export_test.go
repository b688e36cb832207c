package store

import (
	"fmt"
	"strings"
)

// CompareUTF16 is the comparator Correlations sorts parts with.
var CompareUTF16 = compareUTF16

// SnapshotStatements renders every statement of the snapshot and correlation
// stores for one dialect, for golden files (SQL Server cannot run here).
func SnapshotStatements(d Dialect) string {
	q := newSnapshotSQL(d, 32)
	c := NewCorrelations(&DB{dialect: d}).q
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
		line("migrate all, "+v, d.Rebind(q.migrateAll[i]))
		line("migrate 2 ids, "+v, d.Rebind(q.migrateSome[i]+snapInList(2)))
	}
	if q.sd.payloadMaxQuery != "" {
		line("payload limit (asked once, for payloads over 1 MiB)", q.sd.payloadMaxQuery)
	}
	// The limits checked before writing, pinned with the SQL.
	ref := "no limit"
	if l := q.sd.processRef; l.max > 0 {
		unit := "characters"
		switch {
		case l.bytes:
			unit = "bytes of UTF-8"
		case q.sd.utf16:
			unit = "UTF-16 code units"
		}
		ref = fmt.Sprintf("at most %d %s each (%s)", l.max, unit, l.what)
	}
	fmt.Fprintf(&b, "-- limit: process_id, process_version: %s\n", ref)
	payload, what := q.sd.payloadLimit(16<<20, true)
	if q.sd.payloadMaxQuery != "" {
		fmt.Fprintf(&b, "-- limit: stored payload: %s (on a pool not opened by Open: %d bytes less)\n", what, snapPacketHeadroom)
	} else {
		fmt.Fprintf(&b, "-- limit: stored payload: at most %d bytes (%s)\n", payload, what)
	}
	line("correlation insert", c.insert)
	line("correlation by encoded id", c.byEncoded)
	line("correlation by correlated id", c.byCorrelated)
	line("correlation delete", c.delete)
	return b.String()
}
