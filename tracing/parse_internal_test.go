package tracing

import "testing"

func TestParseStatement(t *testing.T) {
	for _, c := range []struct{ sql, op, table string }{
		{`SELECT count(*) FROM "Queues" AS "element" WHERE (reference = 'x')`, "SELECT", "Queues"},
		{`select a from public."Queues" q`, "SELECT", "public.Queues"},
		{`INSERT INTO engine_instances (a, b) VALUES (?, ?)`, "INSERT", "engine_instances"},
		{"UPDATE `Triggers` SET status = 'RUNNING' WHERE id = ?", "UPDATE", "Triggers"},
		{`DELETE FROM [dbo].[Queues] WHERE id = @p1`, "DELETE", "dbo.Queues"},
		{`WITH claimable AS MATERIALIZED (SELECT id FROM "Queues" WHERE status = 'NEW' LIMIT 1 FOR UPDATE SKIP LOCKED) UPDATE "Queues" SET status = 'IN_PROGRESS' WHERE id = ANY(ARRAY(SELECT id FROM claimable)) RETURNING *`, "UPDATE", "Queues"},
		{`WITH a (x, y) AS (SELECT 1, 2), b AS (SELECT 3) SELECT * FROM a`, "SELECT", "a"},
		{`SELECT 'FROM secret' AS x FROM t`, "SELECT", "t"},
		{`SELECT 1`, "SELECT", ""},
		{`SELECT * FROM (SELECT 1) AS t`, "SELECT", ""},
		{`-- comment FROM x` + "\n" + `SAVEPOINT sp1`, "SAVEPOINT", ""},
		{`INSERT INTO "a""b" (x) VALUES (1)`, "INSERT", `a"b`},
		{`SELECT 1 FROM 42`, "SELECT", ""},
		{``, "", ""},
	} {
		op, table := parseStatement(c.sql)
		if op != c.op || table != c.table {
			t.Errorf("parseStatement(%q) = %q, %q; want %q, %q", c.sql, op, table, c.op, c.table)
		}
	}
}
