package trigger

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/flowstore/flowstore/internal/golden"
	"github.com/flowstore/flowstore/internal/testdb"
	"github.com/flowstore/flowstore/store"
)

// TestStatementsGolden pins every statement of the package per dialect —
// above all for SQL Server, which cannot run here — plus the INSERTs bun
// renders for Create, with fixed values.
func TestStatementsGolden(t *testing.T) {
	id := uuid.MustParse("0191e8b2-7c3a-7d4e-8f00-123456789abc")
	at := time.Date(2026, 11, 22, 10, 0, 0, 123456000, time.UTC)
	for _, d := range store.DialectNames() {
		db := testdb.Offline(d)
		s := buildStatements(db.SQLDialect())
		var b strings.Builder
		put := func(name, sql string) { fmt.Fprintf(&b, "-- %s\n%s;\n\n", name, sql) }
		put("get", s.byID)
		put("due", s.due)
		put("due (limit)", s.dueLimit)
		put("begin: trigger", s.beginTrigger)
		put("begin: cron of", s.cronOf)
		put("begin: scheduled", s.beginScheduled)
		put("begin: single due", s.singleDue)
		put("begin: queue due", s.queueDue)
		put("begin: note latest", s.noteLatest)
		put("heartbeat: update", s.heartbeatUpdate)
		put("heartbeat: insert", s.heartbeatInsert)
		put("take name (renew a stale row)", s.takeName)
		put("release name", s.releaseName)
		put("schedulers", s.listSchedulers)
		put("last heartbeat", s.lastHeartbeat)
		put("killing", s.killing)
		put("stale schedulers", s.staleSchedulers)
		for _, m := range []RecoverMode{RecoverFail, RecoverIdle} {
			put("recover stale ("+m.String()+")", s.recover[m][0])
			put("recover own ("+m.String()+")", s.recover[m][1])
		}
		ops := make([]string, 0, len(s.transitions))
		for o := range s.transitions {
			ops = append(ops, string(o))
		}
		slices.Sort(ops)
		for _, o := range ops {
			put("transition: "+o, s.transitions[op(o)].sql)
		}
		q, _ := s.list(Filter{Type: Queue, Statuses: []Status{StatusIdle, StatusFailed}, ProcessName: "p"})
		put("list (all filters)", q)
		put("lock trigger (update, delete)", s.lockTrigger)
		put("update: Triggers (two columns)", s.patch("Triggers", []string{"trigger_name", "priority"}))
		put("update: Scheduled_Triggers (two columns)", s.patch("Scheduled_Triggers", []string{"cron_expr", "next_run"}))
		for i, del := range s.deleteChildren {
			put(fmt.Sprintf("delete: subtype row (%d of %d)", i+1, len(s.deleteChildren)), del)
		}
		put("delete: trigger", s.deleteTrigger)

		// Rendered with the values Create binds: the id as RefUUID spells
		// it, a naive time as Naive writes it (here for a zone at UTC+1).
		ref, naive := db.RefUUID(id), at.In(time.FixedZone("UTC+1", 3600)).Format(store.NaiveLayout)
		put("insert Triggers (rendered)", db.Bun().NewRaw(s.insertTrigger, ref, "nightly", "p", nil, "/p.py", nil, string(StatusIdle),
			false, true, string(Scheduled), nil, `["a", "r\u00f8bot"]`, 3).String())
		put("insert Scheduled_Triggers (rendered)", db.Bun().NewRaw(s.insertScheduled, ref, "0 2 * * *", naive).String())
		put("insert Single_Triggers (rendered)", db.Bun().NewRaw(s.insertSingle, ref, naive).String())
		put("insert Queue_Triggers (rendered)", db.Bun().NewRaw(s.insertQueue, ref, "q", 5).String())
		put("begin: trigger (rendered)", db.Bun().NewRaw(s.beginTrigger, naive, "sched-1", bun.In(db.RefUUIDs(id)), string(Scheduled)).String())
		put("begin: scheduled (rendered)", db.Bun().NewRaw(s.beginScheduled, naive, bun.In(db.RefUUIDs(id)), naive).String())
		golden.Assert(t, "statements/"+string(d)+".sql", b.String())
	}
}

// FuzzWhitelistJSON: the whitelist is written as Python's json.dumps writes
// it — ASCII only, ", " between names — and reads back as the names written;
// a name no database stores exactly (NUL, invalid UTF-8) is refused, never
// altered.
func FuzzWhitelistJSON(f *testing.F) {
	for _, seed := range []string{"robot-1", "røbot", "🤖", `quote"back\slash`, "a<b&c", "tab\there", "\x7f", "nul\x00", "bad\xff"} {
		f.Add(seed, "second")
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		names := []string{a, b}
		text, err := encodeWhitelist(names)
		if err != nil {
			if !errors.Is(err, store.ErrInvalid) {
				t.Fatalf("%q: %v", names, err)
			}
			return
		}
		for i := 0; i < len(text); i++ {
			if text[i] < ' ' || text[i] > '~' {
				t.Fatalf("%q: byte %#x in %q is not printable ASCII", names, text[i], text)
			}
		}
		back, err := decodeWhitelist(text)
		if err != nil || !slices.Equal(back, names) {
			t.Fatalf("%q: wrote %q, read %q (%v)", names, text, back, err)
		}
	})
}

// TestWhitelistAsPython pins the text against what Python's json.dumps
// writes for the same list.
func TestWhitelistAsPython(t *testing.T) {
	text, err := encodeWhitelist([]string{"robot-1", "røbot", "🤖", `q"b\s`, "a<b&c", "t\tn\n\x01\x7f"})
	if err != nil {
		t.Fatal(err)
	}
	// python3 -c 'import json; print(json.dumps(["robot-1", "røbot", "🤖", "q\"b\\s", "a<b&c", "t\tn\n\x01\x7f"]))'
	want := `["robot-1", "r\u00f8bot", "\ud83e\udd16", "q\"b\\s", "a<b&c", "t\tn\n\u0001\u007f"]`
	if text != want {
		t.Fatalf("got  %s\nwant %s", text, want)
	}
}
