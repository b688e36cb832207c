package credential

import "github.com/flowstore/flowstore/store"

// stmts are the writes the store binds on the driver (Handle.Raw), rendered
// once for a dialect; the reads go through bun. The upsert is the dialect
// layer's form.
type stmts struct {
	upsert string // name, username, password, changed_at
	delete string // name
	// rotate binds the new password, name, and the password read: it
	// changes the row only if nobody has since.
	rotate string
}

func newStmts(d *store.Dialect) *stmts {
	t := d.Quote("Credentials")
	return &stmts{
		upsert: d.Upsert("Credentials", []string{"name", "username", "password", "changed_at"}, []string{"name"}),
		delete: d.Rebind(`DELETE FROM ` + t + ` WHERE name = ?`),
		rotate: d.Rebind(`UPDATE ` + t + ` SET password = ? WHERE name = ? AND password = ?`),
	}
}
