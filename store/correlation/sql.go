package correlation

import "github.com/flowstore/flowstore/store"

// columns of a correlation row, in the order find scans them.
const columns = `id, encoded_correlation_id, correlated_id, correlation`

// stmts are the store's statements, bound on the driver (Handle.Raw) and
// rendered once for a dialect. Kogito's table and column names are
// lower-case and need no quoting on any dialect.
type stmts struct {
	insert       string // id, encoded id, correlated id, JSON
	byEncoded    string // encoded id
	byCorrelated string // correlated id
	delete       string // encoded id
}

func newStmts(d *store.Dialect) *stmts {
	r := d.Rebind
	return &stmts{
		insert:       r(`INSERT INTO correlation_instances (` + columns + `) VALUES (?, ?, ?, ?)`),
		byEncoded:    r(`SELECT ` + columns + ` FROM correlation_instances WHERE encoded_correlation_id = ?`),
		byCorrelated: r(`SELECT ` + columns + ` FROM correlation_instances WHERE correlated_id = ?`),
		delete:       r(`DELETE FROM correlation_instances WHERE encoded_correlation_id = ?`),
	}
}
