package constant

import "github.com/flowstore/flowstore/store"

// stmts are the statements the store binds on the driver (Handle.Raw),
// rendered once for a dialect; the reads go through bun. The upsert is the
// dialect layer's form; the rest differ between dialects only in quoting
// and placeholders.
type stmts struct {
	upsert string // name, value, changed_at
	insert string // name, value, changed_at
	update string // value, changed_at, name
	delete string // name
}

func newStmts(d *store.Dialect) *stmts {
	t := d.Quote("Constants")
	return &stmts{
		upsert: d.Upsert("Constants", []string{"name", "value", "changed_at"}, []string{"name"}),
		insert: d.Rebind(`INSERT INTO ` + t + ` (name, value, changed_at) VALUES (?, ?, ?)`),
		update: d.Rebind(`UPDATE ` + t + ` SET value = ?, changed_at = ? WHERE name = ?`),
		delete: d.Rebind(`DELETE FROM ` + t + ` WHERE name = ?`),
	}
}
