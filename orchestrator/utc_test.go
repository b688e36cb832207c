package orchestrator_test

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/flowstore/flowstore/internal/testdb"
	"github.com/flowstore/flowstore/orchestrator"
	"github.com/flowstore/flowstore/orchestrator/subscription"
	"github.com/flowstore/flowstore/store"
)

// utcAt is the instant the UTC tests write: in July, when both DST zones
// below are an odd number of hours from UTC.
var utcAt = time.Date(2026, 7, 1, 10, 0, 0, 123456000, time.UTC)

const utcWall = "2026-07-01 10:00:00.123456"

// TestWFOTimesStayUTC: WFO's tables hold UTC timestamptz — the zone of
// OpenOrchestrator's naive columns (store.WithZone, or the process's local
// zone by default) must not leak into them. Under two zones with DST, set as
// the store's zone and as the process's TZ (in a child process, where
// time.Local comes from TZ), the times the orchestrator and subscription
// stores write are read back, at the SQL level, as the UTC instant written.
func TestWFOTimesStayUTC(t *testing.T) {
	if testdb.IsChild() {
		// Default zone: time.Local, from the TZ the parent set.
		db, err := store.Open(t.Context(), os.Getenv("UTC_DSN"), store.WithClock(func() time.Time { return utcAt }))
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		loc, err := time.LoadLocation(os.Getenv("TZ"))
		if err != nil {
			t.Fatal(err)
		}
		_, local := utcAt.In(time.Local).Zone()
		if _, want := utcAt.In(loc).Zone(); local != want || local == 0 {
			t.Fatalf("time.Local is %d s from UTC, want %s's %d", local, loc, want)
		}
		writeWFOTimes(t, db, uuid.MustParse(os.Getenv("UTC_PID")), uuid.MustParse(os.Getenv("UTC_SUB")))
		return
	}
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		dsn := testdb.DSN(t, db)
		for _, zone := range []string{"Europe/Copenhagen", "America/New_York"} {
			loc, err := time.LoadLocation(zone)
			if err != nil {
				t.Fatal(err)
			}
			// The zone as configuration …
			zdb, err := store.Open(t.Context(), dsn, store.WithZone(loc), store.WithClock(func() time.Time { return utcAt }))
			if err != nil {
				t.Fatal(err)
			}
			pid, sub := uuid.New(), uuid.New()
			writeWFOTimes(t, zdb, pid, sub)
			_ = zdb.Close()
			checkWFOTimes(t, db, zone+" (WithZone)", pid, sub)
			// … and as the process's local zone.
			pid, sub = uuid.New(), uuid.New()
			testdb.RunChildren(t, 1, "TestWFOTimesStayUTC", map[string]string{
				"UTC_DSN": dsn, "TZ": zone, "UTC_PID": pid.String(), "UTC_SUB": sub.String()})
			checkWFOTimes(t, db, zone+" (TZ)", pid, sub)
		}
	})
}

// writeWFOTimes writes a process (with its input and a step) and a
// subscription with a product, every time from db's clock.
func writeWFOTimes(t *testing.T, db *store.DB, pid, sub uuid.UUID) {
	ctx := t.Context()
	e, err := orchestrator.NewEngine(db, orchestrator.WithPollInterval(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	te := runEngine(t, e)
	if err := e.Register(ctx, orchestrator.Workflow{Name: "utc", Target: orchestrator.TargetCreate,
		Steps: []orchestrator.Step{orchestrator.InputStep("ask")}}); err != nil {
		t.Fatal(err)
	}
	wf, err := e.Store().Workflow(ctx, "utc")
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Store().CreateProcess(ctx, &orchestrator.Process{PID: pid, WorkflowID: wf.WorkflowID}, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := e.RunProcess(ctx, pid); err != nil {
		t.Fatal(err)
	}
	te.Stop(t)
	ss, err := subscription.New(db)
	if err != nil {
		t.Fatal(err)
	}
	p := &subscription.Product{Name: "utc-" + sub.String(), Description: "d", ProductType: "t", Tag: "T", Status: subscription.ProductActive}
	if err := ss.CreateProduct(ctx, p); err != nil {
		t.Fatal(err)
	}
	start := db.Now()
	if err := ss.Save(ctx, &subscription.Tree{Subscription: subscription.Subscription{SubscriptionID: sub, Description: "utc",
		Status: subscription.Active, ProductID: p.ProductID, CustomerID: "c", StartDate: &start}}); err != nil {
		t.Fatal(err)
	}
}

// checkWFOTimes reads the times writeWFOTimes wrote as text, at the SQL
// level, converted to UTC where the column has a zone.
func checkWFOTimes(t *testing.T, db *store.DB, label string, pid, sub uuid.UUID) {
	t.Helper()
	for _, c := range []struct{ table, column, key string }{
		{"processes", "started_at", "pid"},
		{"processes", "last_modified_at", "pid"},
		{"process_steps", "executed_at", "pid"},
		{"input_states", "input_time", "pid"},
		{"subscriptions", "start_date", "subscription_id"},
	} {
		id := pid
		if c.key == "subscription_id" {
			id = sub
		}
		got := utcText(t, db, c.table, c.column, c.key, id)
		if got != utcWall {
			t.Errorf("%s: %s.%s holds %q, want the UTC wall clock %q", label, c.table, c.column, got, utcWall)
		}
	}
}

// utcText reads one time column as the UTC wall clock, as text: converted
// with the database's own functions where the column has a zone
// (PostgreSQL's timestamptz), and as stored where it has none (MySQL's
// DATETIME, SQLite's text, which must then be UTC).
func utcText(t *testing.T, db *store.DB, table, column, key string, id uuid.UUID) string {
	t.Helper()
	var q string
	switch db.SQLDialect().Name() {
	case store.Postgres:
		q = "SELECT to_char(" + column + " AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') FROM " + table + " WHERE " + key + " = ?"
	case store.MySQL:
		q = "SELECT DATE_FORMAT(" + column + ", '%Y-%m-%d %H:%i:%s.%f') FROM " + table + " WHERE " + key + " = ?"
	case store.SQLServer:
		q = "SELECT CONVERT(varchar(26), " + column + ", 121) FROM " + table + " WHERE " + key + " = ?"
	default:
		q = "SELECT " + column + " FROM " + table + " WHERE " + key + " = ?"
	}
	var s string
	if err := db.Bun().NewRaw(q, id).Scan(context.Background(), &s); err != nil {
		t.Fatalf("%s.%s: %v", table, column, err)
	}
	// SQLite's text may carry a UTC designator; any other offset is wrong.
	for _, utc := range []string{"+00:00", "Z"} {
		s = strings.TrimSuffix(s, utc)
	}
	return strings.Replace(s, "T", " ", 1)
}
