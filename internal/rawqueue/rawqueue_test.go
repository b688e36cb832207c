package rawqueue

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/flowstore/flowstore/internal/testdb"
	"github.com/flowstore/flowstore/queue"
	"github.com/flowstore/flowstore/store"
)

// TestStatementsAreTheLibrarys keeps the benchmarks honest: every statement
// here must be one the queue package runs, as its golden files pin it, and
// bind one argument per placeholder.
func TestStatementsAreTheLibrarys(t *testing.T) {
	for _, d := range store.DialectNames() {
		t.Run(string(d), func(t *testing.T) {
			golden, err := os.ReadFile(filepath.Join("..", "..", "queue", "testdata", "sql", string(d)+".sql"))
			if err != nil {
				t.Fatal(err)
			}
			dialect, err := store.LookupDialect(d)
			if err != nil {
				t.Fatal(err)
			}
			r := For(dialect)
			stmts := map[string]string{"claim": r.Claim(), "finish": r.Finish(1)}
			if d == store.MySQL {
				stmts["mark claimed"] = r.MarkClaimed(3)
			} else if r.MarkClaimed(3) != "" {
				t.Errorf("%s claims in one statement, yet MarkClaimed is %q", d, r.MarkClaimed(3))
			}
			if d != store.SQLServer { // bun inlines SQL Server's batch values
				stmts["insert"] = r.Insert(2)
			}
			for name, s := range stmts {
				if !strings.Contains(string(golden), "\n"+s+";\n") {
					t.Errorf("the raw %s is not what the library runs:\n%s", name, s)
				}
			}
			args := len(r.ClaimArgs("q", time.Time{}, 1))
			if marks := strings.Count(r.Claim(), "?") + strings.Count(r.Claim(), "$") + strings.Count(r.Claim(), "@p"); marks != args {
				t.Errorf("claim has %d placeholders and %d arguments", marks, args)
			}
		})
	}
}

func TestMain(m *testing.M) { testdb.Main(m) }

// TestClaimFinishWorks runs the raw side on every live dialect: what it
// enqueues, it claims and finishes, each element once.
func TestClaimFinishWorks(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		r := For(db.SQLDialect())
		refs, data := make([]string, 10), make([]string, 10)
		for i := range refs {
			refs[i], data[i] = strconv.Itoa(i), "{}"
		}
		if err := r.Enqueue(ctx, db, "raw", refs, data, "test"); err != nil {
			t.Fatal(err)
		}
		done := 0
		for {
			n, err := r.ClaimFinish(ctx, db, "raw", 4)
			if err != nil {
				t.Fatal(err)
			}
			if n == 0 {
				break
			}
			done += n
		}
		q, err := queue.New(db)
		if err != nil {
			t.Fatal(err)
		}
		c, err := q.Counts(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if done != 10 || c["raw"][queue.StatusDone] != 10 || len(c["raw"]) != 1 {
			t.Fatalf("worked %d; counts %v", done, c)
		}
	})
}
