package store

import (
	"strings"
	"time"

	"github.com/google/uuid"
)

// RecordStatements renders the SQL the record stores send on dialect d of
// db (an Offline database), for golden files.
func RecordStatements(db *DB) string {
	d := db.Dialect()
	r := recordsFor(d)
	logs := NewLogs(db)
	at := time.Date(2026, 1, 2, 3, 4, 5, 123456000, time.UTC)
	f := LogFilter{From: at, To: at.Add(time.Hour), ProcessName: "robot", Level: LogError, Search: "50%_[x]!"}
	q, _ := logs.pageQuery(&[]LogEntry{}, f, nil, 100, 200)
	after := &LogEntry{Time: at, ID: uuid.MustParse("01890a5d-ac96-774b-bcce-b302099a8057")}
	k, _ := logs.pageQuery(&[]LogEntry{}, LogFilter{}, after, 1000, 0)
	var b strings.Builder
	for _, s := range []struct{ name, sql string }{
		{"constant upsert", r.upsertConstant},
		{"constant insert", r.insertConstant},
		{"constant update" + map[bool]string{true: " (rows affected may count changed rows: re-read on 0)"}[r.countsChangedRows], r.updateConstant},
		{"constant delete", r.deleteConstant},
		{"credential upsert", r.upsertCredential},
		{"credential delete", r.deleteCredential},
		{"credential rotate (conditional on the token read)", r.rotateCredential},
		{"log insert (2 rows)", insertLogsSQL(d, 2)},
		{"log prune", r.pruneLogs},
		{"log query (all filters, page 3)", q.String()},
		{"log keyset page", k.String()},
	} {
		b.WriteString("-- " + s.name + "\n" + s.sql + "\n\n")
	}
	return b.String()
}
