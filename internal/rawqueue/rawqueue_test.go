package rawqueue

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

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
			r := For(testdb.Offline(d))
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
		r := For(db)
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

// TestRowsAreTheLibrarys: the raw side writes and compares as the library
// does — ids in OpenOrchestrator's spelling, times as naive wall clocks of
// the DB's zone — so its rows are the library's, byte for byte, and each
// side works the other's. Run in a zone with daylight saving time, east of
// UTC, so that a time written in UTC would show.
func TestRowsAreTheLibrarys(t *testing.T) {
	zone, err := time.LoadLocation("Europe/Copenhagen")
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 7, 1, 10, 0, 0, 123456000, time.UTC) // 12:00 CEST
	testdb.Each(t, func(t *testing.T, base *store.DB) {
		ctx := context.Background()
		db, err := store.New(ctx, base.Bun(), store.WithZone(zone), store.WithClock(func() time.Time { return at }))
		if err != nil {
			t.Fatal(err)
		}
		d := db.SQLDialect()
		q, err := queue.New(db)
		if err != nil {
			t.Fatal(err)
		}
		lib, err := q.Enqueue(ctx, "lib", queue.NewElement{Reference: "r", Data: "{}", CreatedBy: "test"})
		if err != nil {
			t.Fatal(err)
		}
		r := For(db)
		if err := r.Enqueue(ctx, db, "raw", []string{"r"}, []string{"{}"}, "test"); err != nil {
			t.Fatal(err)
		}
		stored := func(queueName string) (id, created string) {
			t.Helper()
			query := d.Rebind("SELECT " + text(d, d.Quote("id")) + ", " + text(d, d.Quote("created_date")) + " FROM " + d.Quote("Queues") + " WHERE " + d.Quote("queue_name") + " = ?")
			if err := db.SQL().QueryRowContext(ctx, query, queueName).Scan(&id, &created); err != nil {
				t.Fatal(err)
			}
			return id, created
		}
		libID, libCreated := stored("lib")
		rawID, rawCreated := stored("raw")
		if libCreated != rawCreated || !strings.HasPrefix(libCreated, "2026-07-01 12:00:00.123456") {
			t.Errorf("created_date: library wrote %q, raw %q; want the wall clock 2026-07-01 12:00:00.123456", libCreated, rawCreated)
		}
		idForm := regexp.MustCompile(`^[0-9a-f]{32}$`)
		if _, native := db.RefUUID(uuid.Nil).(uuid.UUID); native {
			idForm = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)
		}
		if !idForm.MatchString(libID) || !idForm.MatchString(rawID) {
			t.Errorf("ids: library wrote %q, raw %q; want %s", libID, rawID, idForm)
		}
		want := lib.ID.String()
		if hex, ok := db.RefUUID(lib.ID).(string); ok {
			want = hex
		}
		if !strings.EqualFold(libID, want) {
			t.Errorf("the library stored id %s as %q, want %q", lib.ID, libID, want)
		}

		// Each side works the other's elements.
		if n, err := r.ClaimFinish(ctx, db, "lib", 10); err != nil || n != 1 {
			t.Fatalf("raw claim of the library's element: %d, %v", n, err)
		}
		got, err := q.Get(ctx, lib.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Status != queue.StatusDone || !got.StartDate.Equal(at) || !got.EndDate.Equal(at) {
			t.Errorf("the library reads the raw side's claim and finish as %+v", got)
		}
		e, err := q.Claim(ctx, "raw")
		if err != nil {
			t.Fatal(err)
		}
		if !e.CreatedDate.Equal(at) || e.Reference != "r" {
			t.Errorf("the library claims the raw side's element as %+v", e)
		}
	})
}

// text renders a column as the text the database holds.
func text(d *store.Dialect, col string) string {
	switch d.Name() {
	case store.SQLite:
		return "CAST(" + col + " AS TEXT)"
	case store.SQLServer:
		return "CONVERT(NVARCHAR(40), " + col + ", 121)"
	case store.MySQL:
		return "CAST(" + col + " AS CHAR)"
	}
	return col + "::text"
}

// TestAnchorClaimsEachRowOnce runs the anchor on every live dialect with
// concurrent claimers: every row is claimed and finished exactly once, and
// Fill starts over.
func TestAnchorClaimsEachRowOnce(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		pool := db.SQL()
		a := NewAnchor(db.SQLDialect(), "anchor_test")
		if err := a.Create(ctx, pool); err != nil {
			t.Fatal(err)
		}
		for range 2 { // the second Fill starts over on a worked table
			const n = 300
			if err := a.Fill(ctx, pool, n); err != nil {
				t.Fatal(err)
			}
			var worked atomic.Int64
			var wg sync.WaitGroup
			errs := make(chan error, 8)
			for range 8 {
				wg.Go(func() {
					for {
						k, err := a.ClaimFinish(ctx, pool)
						if err != nil {
							errs <- err
							return
						}
						if k == 0 {
							return
						}
						worked.Add(int64(k))
					}
				})
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Fatal(err)
			}
			fresh, claimed, done, err := a.Counts(ctx, pool)
			if err != nil {
				t.Fatal(err)
			}
			if worked.Load() != n || fresh != 0 || claimed != 0 || done != n {
				t.Fatalf("worked %d of %d; new %d, claimed %d, done %d", worked.Load(), n, fresh, claimed, done)
			}
		}
		if k, err := a.ClaimFinish(ctx, pool); k != 0 || err != nil {
			t.Errorf("claim from a drained table: %d, %v", k, err)
		}
		if err := a.Drop(ctx, pool); err != nil {
			t.Fatal(err)
		}
	})
}
