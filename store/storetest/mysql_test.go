package storetest_test

import (
	"regexp"
	"strconv"
	"testing"

	"github.com/flowstore/flowstore/internal/testdb"
	"github.com/flowstore/flowstore/store"
	"github.com/flowstore/flowstore/store/storetest"
)

// TestMySQLCopyIsTheMigratedSchema: on MySQL/MariaDB a test's database is
// copied table by table from the template; every table must come out as a
// migration makes it (columns, indexes, foreign keys, options) with the
// same rows in the bookkeeping tables.
func TestMySQLCopyIsTheMigratedSchema(t *testing.T) {
	migrated := testdb.Fresh(t, store.MySQL) // skips unless MySQL/MariaDB is live
	copied := storetest.FlowstoreOn(t, testdb.FreshDSN(t, store.MySQL)).Store()
	want, got := mysqlSchema(t, migrated), mysqlSchema(t, copied)
	if len(want) == 0 {
		t.Fatal("the migrated database has no tables")
	}
	for name, w := range want {
		if g, ok := got[name]; !ok {
			t.Errorf("table %s missing from the copy", name)
		} else if g != w {
			t.Errorf("table %s:\ncopy:     %s\nmigrated: %s", name, g, w)
		}
	}
	for name := range got {
		if _, ok := want[name]; !ok {
			t.Errorf("table %s in the copy only", name)
		}
	}
}

var autoIncrement = regexp.MustCompile(` AUTO_INCREMENT=\d+`)

// mysqlSchema returns each table's SHOW CREATE TABLE (without the
// AUTO_INCREMENT counter) and row count.
func mysqlSchema(t *testing.T, db *store.DB) map[string]string {
	t.Helper()
	ctx := t.Context()
	q := db.SQL()
	rows, err := q.QueryContext(ctx, "SELECT table_name FROM information_schema.tables WHERE table_schema = DATABASE()")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
		names = append(names, n)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	rows.Close()
	out := map[string]string{}
	for _, n := range names {
		var table, ddl string
		var count int
		if err := q.QueryRowContext(ctx, "SHOW CREATE TABLE "+db.SQLDialect().Quote(n)).Scan(&table, &ddl); err != nil {
			t.Fatal(err)
		}
		if err := q.QueryRowContext(ctx, "SELECT COUNT(*) FROM "+db.SQLDialect().Quote(n)).Scan(&count); err != nil {
			t.Fatal(err)
		}
		out[n] = autoIncrement.ReplaceAllString(ddl, "") + " -- rows: " + strconv.Itoa(count)
	}
	return out
}
