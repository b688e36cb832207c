package queue_test

import (
	"context"
	"encoding/hex"
	"fmt"
	"os"
	"regexp"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/flowstore/flowstore/internal/testdb"
	"github.com/flowstore/flowstore/queue"
	"github.com/flowstore/flowstore/store"
)

// The tests in this file play OpenOrchestrator on the Queues table: its
// SQLAlchemy models write ids as SQLAlchemy's Uuid (native uuid on
// PostgreSQL and SQL Server, CHAR(32) lower-case hex elsewhere), times as
// naive wall clocks of the machine's zone (datetime.now(); on SQLite the
// text "2026-12-05 23:47:13.123456"), statuses as their enum names. The
// store must claim, finish and list those rows, interleave them with its
// own by age, and write rows OpenOrchestrator reads the same way.

// robot writes and reads the Queues table as OpenOrchestrator's db_util
// does, with the SQL its SQLAlchemy models send.
type robot struct {
	t    *testing.T
	db   *store.DB
	zone *time.Location // the zone of the machine the robot runs on
}

func (o robot) d() *store.Dialect { return o.db.SQLDialect() }

// id is SQLAlchemy's bind of a Uuid: the native type where there is one,
// else 32 lower-case hex digits (Uuid.bind_processor: value.hex).
func (o robot) id(u uuid.UUID) any {
	switch o.d().Name() {
	case store.Postgres, store.SQLServer:
		return u
	}
	return hex.EncodeToString(u[:])
}

// naive is datetime.now() on the robot's machine at the instant at, as
// SQLAlchemy binds a DateTime: on SQLite exactly this text
// ("%Y-%m-%d %H:%M:%S.%f"); psycopg2, pyodbc and the MySQL drivers send
// the same wall clock, which the server parses into its naive type.
func (o robot) naive(at time.Time) string {
	return at.In(o.zone).Format("2006-01-02 15:04:05.000000")
}

func (o robot) exec(query string, args ...any) int64 {
	o.t.Helper()
	res, err := o.db.SQL().ExecContext(context.Background(), o.d().Rebind(query), args...)
	require.NoError(o.t, err, query)
	n, err := res.RowsAffected()
	require.NoError(o.t, err)
	return n
}

func (o robot) q(name string) string { return o.d().Quote(name) }

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// create is create_queue_element: an INSERT of the mapped columns, status
// NEW, created_date = datetime.now(), id = uuid4().
func (o robot) create(queueName, reference, data, createdBy string, now time.Time) uuid.UUID {
	o.t.Helper()
	u := uuid.New()
	q := o.q
	o.exec(`INSERT INTO `+q("Queues")+` (`+q("id")+`, `+q("queue_name")+`, `+q("status")+`, `+q("data")+`, `+q("reference")+`, `+
		q("created_date")+`, `+q("start_date")+`, `+q("end_date")+`, `+q("message")+`, `+q("created_by")+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		o.id(u), queueName, "NEW", nullable(data), nullable(reference), o.naive(now), nil, nil, nil, nullable(createdBy))
	return u
}

// setStatus is set_queue_element_status: any status, IN_PROGRESS stamps
// start_date, a final status end_date.
func (o robot) setStatus(id uuid.UUID, status queue.Status, now time.Time) {
	o.t.Helper()
	q := o.q
	column := "end_date"
	if status == queue.StatusInProgress {
		column = "start_date"
	}
	require.EqualValues(o.t, 1, o.exec(`UPDATE `+q("Queues")+` SET `+q("status")+` = ?, `+q(column)+` = ? WHERE `+q("id")+` = ?`, string(status), o.naive(now), o.id(id)))
}

// order is the order get_next_queue_element and the UI's default list
// see: ORDER BY created_date.
func (o robot) order(queueName string) []uuid.UUID {
	o.t.Helper()
	q := o.q
	rows, err := o.db.SQL().QueryContext(context.Background(), o.d().Rebind(`SELECT `+q("id")+` FROM `+q("Queues")+` WHERE `+q("queue_name")+` = ? ORDER BY `+q("created_date")), queueName)
	require.NoError(o.t, err)
	defer rows.Close()
	var ids []uuid.UUID
	for rows.Next() {
		var raw any
		require.NoError(o.t, rows.Scan(&raw))
		ids = append(ids, parseID(o.t, raw))
	}
	require.NoError(o.t, rows.Err())
	return ids
}

// next is get_next_queue_element(queue): the oldest NEW element, then set
// IN_PROGRESS with start_date = now (without a lock, as OpenOrchestrator
// does).
func (o robot) next(queueName string, now time.Time) uuid.UUID {
	o.t.Helper()
	q := o.q
	var raw any
	require.NoError(o.t, o.db.SQL().QueryRowContext(context.Background(), o.d().Rebind(`SELECT `+q("id")+` FROM `+q("Queues")+` WHERE `+
		q("queue_name")+` = ? AND `+q("status")+` = 'NEW' ORDER BY `+q("created_date")+o.d().Limit("1")), queueName).Scan(&raw))
	id := parseID(o.t, raw)
	o.setStatus(id, queue.StatusInProgress, now)
	return id
}

// row is one element as OpenOrchestrator reads it: the stored text of its
// id and times.
type row struct {
	id, status, created, started, ended, message string
}

// read reads an element by id, as OpenOrchestrator looks it up (binding
// its own spelling of the id), with every value as the text stored: on
// SQLite exactly; elsewhere the server's text of its naive type, put in
// SQLAlchemy's form (PostgreSQL drops trailing zeros of the fraction).
func (o robot) read(id uuid.UUID) row {
	o.t.Helper()
	q, d := o.q, o.d()
	var r row
	var started, ended, message any
	err := o.db.SQL().QueryRowContext(context.Background(), d.Rebind(`SELECT `+textOf(d, q("id"))+`, `+q("status")+`, `+textOf(d, q("created_date"))+`, `+
		textOf(d, q("start_date"))+`, `+textOf(d, q("end_date"))+`, `+q("message")+` FROM `+q("Queues")+` WHERE `+q("id")+` = ?`), o.id(id)).
		Scan(&r.id, &r.status, &r.created, &started, &ended, &message)
	require.NoError(o.t, err, "OpenOrchestrator looks up %s by its own spelling", id)
	r.started, r.ended, r.message = str(started), str(ended), str(message)
	if d.Name() != store.SQLite {
		r.created, r.started, r.ended = o.form(r.created), o.form(r.started), o.form(r.ended)
	}
	return r
}

// form puts a server's text of a naive time into SQLAlchemy's form.
func (o robot) form(s string) string {
	o.t.Helper()
	if s == "" {
		return ""
	}
	t, err := time.Parse("2006-01-02 15:04:05.999999999", s)
	require.NoError(o.t, err)
	return t.Format("2006-01-02 15:04:05.000000")
}

func str(v any) string {
	switch v := v.(type) {
	case nil:
		return ""
	case []byte:
		return string(v)
	}
	return fmt.Sprint(v)
}

// textOf renders a column as the text the database holds.
func textOf(d *store.Dialect, col string) string {
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

func parseID(t testing.TB, raw any) uuid.UUID {
	t.Helper()
	var id uuid.UUID
	if b, ok := raw.([]byte); ok && len(b) != 16 {
		raw = string(b)
	}
	require.NoError(t, id.Scan(raw))
	return id
}

// storedID is how a dialect stores an id OpenOrchestrator reads: 32
// lower-case hex digits where ids are text, the native UUID's text form
// elsewhere.
func storedID(d *store.Dialect, id uuid.UUID) string {
	switch d.Name() {
	case store.Postgres, store.SQLServer:
		return id.String()
	}
	return hex.EncodeToString(id[:])
}

// ooZones are the zones the robots' machines run in: one with daylight
// saving time, one far from UTC without.
var ooZones = []string{"Europe/Copenhagen", "Asia/Tokyo"}

// TestOpenOrchestratorSharesTheQueue: a robot and the store work one queue.
// Their elements interleave oldest first for both sides; the store finds,
// claims, finishes, forces, deletes, lists and counts the robot's rows; the
// robot finds and reads the store's rows, in its spelling and form.
func TestOpenOrchestratorSharesTheQueue(t *testing.T) {
	for _, zoneName := range ooZones {
		t.Run(zoneName, func(t *testing.T) {
			zone := mustZone(zoneName)
			testdb.Each(t, func(t *testing.T, base *store.DB) {
				ctx := t.Context()
				// A summer instant with every microsecond digit set, so the
				// stored text has no trailing zero any dialect would drop.
				c := &clock{t: time.Date(2026, 7, 1, 8, 0, 0, 123457000, time.UTC)}
				db, err := store.New(ctx, base.Bun(), store.WithClock(c.now), store.WithZone(zone))
				require.NoError(t, err)
				q := newQueue(t, db)
				o := robot{t: t, db: db, zone: zone}
				t0 := c.now()

				// The robot's element F is an hour older than everything.
				f := o.create("shared", "f", `{"n":0}`, "robot", t0.Add(-time.Hour))
				a := o.create("shared", "a", `{"n":1}`, "robot", t0)
				c.advance(time.Second)
				b, err := q.Enqueue(ctx, "shared", queue.NewElement{Reference: "b", Data: `{"n":2}`, CreatedBy: "go"})
				require.NoError(t, err)
				cID := o.create("shared", "c", `{"n":3}`, "robot", t0.Add(2*time.Second))
				c.advance(2 * time.Second)
				de, err := q.EnqueueBatch(ctx, "shared", []queue.NewElement{{Reference: "d"}, {Reference: "e"}})
				require.NoError(t, err)
				want := []uuid.UUID{f, a, b.ID, cID, de[0], de[1]}

				// Oldest first, across writers, for both sides.
				require.Equal(t, want, o.order("shared"), "OpenOrchestrator's ORDER BY created_date interleaves the store's rows by age")
				p, err := q.List(ctx, queue.Filter{Queue: "shared", Count: true})
				require.NoError(t, err)
				require.Equal(t, want, idsOf(p.Elements))
				require.Equal(t, 6, p.Total)
				p, err = q.List(ctx, queue.Filter{Queue: "shared", From: t0, To: t0.Add(2 * time.Second)})
				require.NoError(t, err)
				require.Equal(t, []uuid.UUID{a, b.ID, cID}, idsOf(p.Elements), "From/To bound the wall clocks, inclusively")
				counts, err := q.Counts(ctx)
				require.NoError(t, err)
				require.Equal(t, queue.Counts{"shared": {queue.StatusNew: 6}}, counts)

				// The store reads the robot's rows as the instants they name.
				got, err := q.Get(ctx, f)
				require.NoError(t, err)
				require.True(t, got.CreatedDate.Equal(t0.Add(-time.Hour)), "created %v, want %v", got.CreatedDate, t0.Add(-time.Hour))
				require.Equal(t, queue.Element{ID: f, QueueName: "shared", Status: queue.StatusNew, Data: `{"n":0}`, Reference: "f",
					CreatedDate: got.CreatedDate, CreatedBy: "robot"}, got)

				// The robot reads the store's rows in its own form.
				rb := o.read(b.ID)
				require.Equal(t, storedID(db.SQLDialect(), b.ID), rb.id, "the id in SQLAlchemy's spelling")
				require.Equal(t, o.naive(t0.Add(time.Second)), rb.created, "created_date: the wall clock of the robot's zone, in SQLAlchemy's form")
				require.Equal(t, "NEW", rb.status)
				if db.SQLDialect().Name() == store.SQLite {
					require.Regexp(t, regexp.MustCompile(`^[0-9a-f]{32}$`), rb.id)
					require.Regexp(t, regexp.MustCompile(`^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}$`), rb.created)
				}
				require.Equal(t, o.naive(t0.Add(3*time.Second+time.Microsecond)), o.read(de[1]).created, "a batch's i-th element is stamped i µs later")

				// Claims hand the robot's elements out by age with the store's.
				c.advance(time.Minute)
				claimed, err := q.Claim(ctx, "shared")
				require.NoError(t, err)
				require.Equal(t, f, claimed.ID)
				require.True(t, claimed.StartDate.Equal(c.now()))
				rf := o.read(f)
				require.Equal(t, "IN_PROGRESS", rf.status)
				require.Equal(t, o.naive(c.now()), rf.started)
				batch, err := q.ClaimBatch(ctx, "shared", 2)
				require.NoError(t, err)
				require.Equal(t, []uuid.UUID{a, b.ID}, idsOf(batch))
				byRef, err := q.ClaimReference(ctx, "shared", "c")
				require.NoError(t, err)
				require.Equal(t, cID, byRef.ID)

				// Finishing: the robot sees the status, the message and
				// end_date in its form.
				c.advance(time.Minute)
				require.NoError(t, q.Finish(ctx, f, queue.Done("ok")))
				require.NoError(t, q.FinishClaimed(ctx, batch[0], queue.Failed("boom")))
				n, err := q.FinishBatch(ctx, []uuid.UUID{b.ID, cID}, queue.Done(""))
				require.NoError(t, err)
				require.Equal(t, 2, n)
				rf = o.read(f)
				require.Equal(t, row{id: storedID(db.SQLDialect(), f), status: "DONE", created: o.naive(t0.Add(-time.Hour)),
					started: o.naive(c.now().Add(-time.Minute)), ended: o.naive(c.now()), message: "ok"}, rf)
				require.Equal(t, "FAILED", o.read(a).status)
				require.Equal(t, "boom", o.read(a).message)
				require.Equal(t, o.naive(c.now()), o.read(b.ID).ended)

				// A robot takes the next element; the store finishes it.
				next := o.next("shared", c.now())
				require.Equal(t, de[0], next, "the robot's oldest NEW element is the store's")
				c.advance(time.Second)
				require.NoError(t, q.Finish(ctx, next, queue.Abandoned("by the store")))
				got, err = q.Get(ctx, next)
				require.NoError(t, err)
				require.Equal(t, queue.StatusAbandoned, got.Status)
				require.True(t, got.StartDate.Equal(c.now().Add(-time.Second)), "the robot's start_date, read as the instant it names")

				// Forcing and deleting find the robot's ids.
				g := o.create("shared", "g", "", "", c.now())
				require.NoError(t, q.ForceStatus(ctx, g, queue.StatusFailed, "forced"))
				require.Equal(t, "FAILED", o.read(g).status)
				require.Equal(t, o.naive(c.now()), o.read(g).ended)
				require.NoError(t, q.Delete(ctx, g))
				_, err = q.Get(ctx, g)
				require.ErrorIs(t, err, store.ErrNotFound)

				counts, err = q.Counts(ctx)
				require.NoError(t, err)
				require.Equal(t, queue.Counts{"shared": {queue.StatusDone: 3, queue.StatusFailed: 1, queue.StatusAbandoned: 1, queue.StatusNew: 1}}, counts)
				p, err = q.List(ctx, queue.Filter{Queue: "shared", Status: queue.StatusDone, OrderBy: "end_date", Count: true})
				require.NoError(t, err)
				require.Equal(t, 3, p.Total)

				// Prune compares end_date with the robot's wall clocks too.
				n, err = q.Prune(ctx, "shared", c.now().Add(-2*time.Second))
				require.NoError(t, err)
				require.Zero(t, n, "nothing ended two seconds ago")
				n, err = q.Prune(ctx, "shared", c.now().Add(time.Microsecond))
				require.NoError(t, err)
				require.Equal(t, 5, n)
			})
		})
	}
}

// TestOpenOrchestratorLeases: a robot that died leaves its element
// IN_PROGRESS with its own start_date; a store with a lease takes it over
// once the lease has run out by the robot's clock, and not before;
// RequeueStale and FailStale compare the same way.
func TestOpenOrchestratorLeases(t *testing.T) {
	for _, zoneName := range ooZones {
		t.Run(zoneName, func(t *testing.T) {
			zone := mustZone(zoneName)
			testdb.Each(t, func(t *testing.T, base *store.DB) {
				ctx := t.Context()
				c := &clock{t: time.Date(2026, 1, 15, 9, 30, 0, 111111000, time.UTC)}
				db, err := store.New(ctx, base.Bun(), store.WithClock(c.now), store.WithZone(zone))
				require.NoError(t, err)
				q := newQueue(t, db, queue.WithLease(time.Hour))
				plain := newQueue(t, db)
				o := robot{t: t, db: db, zone: zone}
				now := c.now()

				dead := o.create("lease", "dead", "", "robot", now.Add(-3*time.Hour))
				o.setStatus(dead, queue.StatusInProgress, now.Add(-61*time.Minute))
				alive := o.create("lease", "alive", "", "robot", now.Add(-2*time.Hour))
				o.setStatus(alive, queue.StatusInProgress, now.Add(-59*time.Minute))

				e, err := q.Claim(ctx, "lease")
				require.NoError(t, err)
				require.Equal(t, dead, e.ID, "61 minutes by the robot's clock: the lease ran out")
				require.Equal(t, o.naive(now), o.read(dead).started, "a new lease, in the robot's form")
				_, err = q.Claim(ctx, "lease")
				require.ErrorIs(t, err, queue.ErrEmpty, "59 minutes: still the robot's")

				n, err := plain.RequeueStale(ctx, "lease", time.Hour)
				require.NoError(t, err)
				require.Zero(t, n, "neither element has been IN_PROGRESS for an hour now")
				c.advance(2 * time.Minute)
				n, err = plain.FailStale(ctx, "lease", time.Hour, "robot lost")
				require.NoError(t, err)
				require.Equal(t, 1, n)
				r := o.read(alive)
				require.Equal(t, "FAILED", r.status)
				require.Equal(t, o.naive(c.now()), r.ended)
				require.NoError(t, q.FinishClaimed(ctx, e, queue.Done("")), "the store's claim of the robot's element stands")
			})
		})
	}
}

// TestEarlierFlowstoreIDs: rows an earlier flowstore wrote with dashed ids
// where ids are text (migration 0070 converts them, but a release before
// it may still be writing) are found by every lookup by id, and a two-step
// claim (MySQL) marks exactly the rows it locked.
func TestEarlierFlowstoreIDs(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		if _, native := db.RefUUID(uuid.Nil).(uuid.UUID); native {
			t.Skip("ids are native UUIDs here: one spelling")
		}
		ctx := t.Context()
		q := newQueue(t, db)
		d := db.SQLDialect()
		dashed := func(ref string) uuid.UUID {
			id := uuid.New()
			_, err := db.SQL().ExecContext(ctx, d.Rebind(`INSERT INTO `+d.Quote("Queues")+` (`+d.QuoteAll("", "id", "queue_name", "status", "reference", "created_date")+`) VALUES (?, 'old', 'NEW', ?, ?)`),
				id.String(), ref, db.Naive(db.Now()))
			require.NoError(t, err)
			return id
		}
		ids := []uuid.UUID{dashed("1"), dashed("2"), dashed("3"), dashed("4"), dashed("5")}
		got, err := q.Get(ctx, ids[0])
		require.NoError(t, err)
		require.Equal(t, "1", got.Reference)

		els, err := q.ClaimBatch(ctx, "old", 3)
		require.NoError(t, err)
		require.Len(t, els, 3)
		counts, err := q.Counts(ctx)
		require.NoError(t, err)
		require.Equal(t, queue.Counts{"old": {queue.StatusInProgress: 3, queue.StatusNew: 2}}, counts, "the claim marked the rows it returned")
		require.NoError(t, q.Finish(ctx, els[0].ID, queue.Done("")))
		require.NoError(t, q.FinishClaimed(ctx, els[1], queue.Done("")))
		n, err := q.FinishBatch(ctx, []uuid.UUID{els[2].ID}, queue.Done(""))
		require.NoError(t, err)
		require.Equal(t, 1, n)
		rest := []uuid.UUID{}
		for _, id := range ids {
			if e, err := q.Get(ctx, id); err == nil && e.Status == queue.StatusNew {
				rest = append(rest, id)
			}
		}
		require.Len(t, rest, 2)
		require.NoError(t, q.ForceStatus(ctx, rest[0], queue.StatusAbandoned, "old"))
		require.NoError(t, q.Delete(ctx, rest[1]))
		counts, err = q.Counts(ctx)
		require.NoError(t, err)
		require.Equal(t, queue.Counts{"old": {queue.StatusDone: 3, queue.StatusAbandoned: 1}}, counts)
	})
}

// fallBack is the night Europe/Copenhagen's clocks go from 03:00 CEST back
// to 02:00 CET (01:00 UTC), so that 02:00–02:59 comes twice.
var fallBack = time.Date(2026, 10, 25, 1, 0, 0, 0, time.UTC)

// TestLeaseAcrossFallBack: the hour a fall-back repeats must not make an
// element look stale. Naive times compare as wall clocks: an element
// claimed at the second 02:10 (CET) has a start_date below the wall clock
// of the first 02:50 (CEST), though it started 20 minutes later. Twenty
// minutes after its claim the cutoff of a 30-minute lease is that 02:50
// CEST, and a plain comparison with it would take the element over after
// ten minutes. The store compares with the earliest wall clock still to
// come instead (02:00, where the second pass starts), so the element is
// not taken over until its lease has really run out.
//
// An element claimed during the first pass counts as younger than it is
// until the second pass's wall clock passes its start_date — up to the
// length of the shift late, never early.
func TestLeaseAcrossFallBack(t *testing.T) {
	zone := mustZone("Europe/Copenhagen")
	testdb.Each(t, func(t *testing.T, base *store.DB) {
		ctx := t.Context()
		c := &clock{t: fallBack.Add(10 * time.Minute)} // 02:10 CET, the second 02:10
		db, err := store.New(ctx, base.Bun(), store.WithClock(c.now), store.WithZone(zone))
		require.NoError(t, err)
		q := newQueue(t, db, queue.WithLease(30*time.Minute))
		plain := newQueue(t, db)
		o := robot{t: t, db: db, zone: zone}

		e, err := q.Enqueue(ctx, "second", queue.NewElement{Reference: "second pass"})
		require.NoError(t, err)
		claimed, err := q.Claim(ctx, "second")
		require.NoError(t, err)
		require.Equal(t, e.ID, claimed.ID)
		require.Equal(t, "2026-10-25 02:10:00.000000", o.read(e.ID).started)

		c.advance(10 * time.Minute) // 02:20 CET; now − 30 min = 02:50 CEST
		require.Equal(t, "2026-10-25 02:50:00.000000", db.Naive(c.now().Add(-30*time.Minute)), "the lease's cutoff, as a wall clock, lies after the start")
		_, err = q.Claim(ctx, "second")
		require.ErrorIs(t, err, queue.ErrEmpty, "claimed 10 minutes ago: the lease holds")
		n, err := plain.RequeueStale(ctx, "second", 30*time.Minute)
		require.NoError(t, err)
		require.Zero(t, n, "RequeueStale: not stale")
		n, err = plain.FailStale(ctx, "second", 30*time.Minute, "")
		require.NoError(t, err)
		require.Zero(t, n, "FailStale: not stale")
		require.Equal(t, "IN_PROGRESS", o.read(e.ID).status)

		c.advance(21 * time.Minute) // 02:41 CET: 31 minutes after the claim
		taken, err := q.Claim(ctx, "second")
		require.NoError(t, err, "the lease ran out: taken over")
		require.Equal(t, e.ID, taken.ID)
		require.ErrorIs(t, q.FinishClaimed(ctx, claimed, queue.Done("")), store.ErrConflict)
		require.NoError(t, q.FinishClaimed(ctx, taken, queue.Done("")))

		// An element a robot claimed during the first pass, at 02:40 CEST.
		first := o.create("first", "first pass", "", "robot", fallBack.Add(-30*time.Minute))
		o.setStatus(first, queue.StatusInProgress, fallBack.Add(-20*time.Minute))
		require.Equal(t, "2026-10-25 02:40:00.000000", o.read(first).started)
		// 03:09 CET: 89 minutes later by the instants, but the wall clock
		// 30 minutes ago (02:39) is still below 02:40.
		c.t = fallBack.Add(69 * time.Minute)
		_, err = q.Claim(ctx, "first")
		require.ErrorIs(t, err, queue.ErrEmpty, "late, never early")
		c.t = fallBack.Add(71 * time.Minute) // 03:11 CET
		taken, err = q.Claim(ctx, "first")
		require.NoError(t, err)
		require.Equal(t, first, taken.ID)
	})
}

// TestLeaseAcrossSpringForward: when clocks jump from 02:00 CET to 03:00
// CEST, an element claimed at 01:50 CET is 15 minutes old at 03:05 CEST,
// not 75: a 30-minute lease holds until 02:20 UTC's wall clock, 03:20.
func TestLeaseAcrossSpringForward(t *testing.T) {
	zone := mustZone("Europe/Copenhagen")
	jump := time.Date(2026, 3, 29, 1, 0, 0, 0, time.UTC) // 02:00 CET → 03:00 CEST
	testdb.Each(t, func(t *testing.T, base *store.DB) {
		ctx := t.Context()
		c := &clock{t: jump.Add(-10 * time.Minute)} // 01:50 CET
		db, err := store.New(ctx, base.Bun(), store.WithClock(c.now), store.WithZone(zone))
		require.NoError(t, err)
		q := newQueue(t, db, queue.WithLease(30*time.Minute))
		_, err = q.Enqueue(ctx, "spring", queue.NewElement{})
		require.NoError(t, err)
		claimed, err := q.Claim(ctx, "spring")
		require.NoError(t, err)
		c.advance(15 * time.Minute) // 03:05 CEST
		_, err = q.Claim(ctx, "spring")
		require.ErrorIs(t, err, queue.ErrEmpty)
		c.advance(16 * time.Minute) // 03:21 CEST: 31 minutes
		taken, err := q.Claim(ctx, "spring")
		require.NoError(t, err)
		require.Equal(t, claimed.ID, taken.ID)
	})
}

// TestDefaultZoneIsTheLocalZone runs in child processes started with a TZ
// (one zone with daylight saving time, one without), on a database the
// parent made: without WithZone, the store's naive times are the wall
// clock of the process's local zone — what OpenOrchestrator writes on the
// same machine. The parent then reads what each child wrote with the zone
// set explicitly.
func TestDefaultZoneIsTheLocalZone(t *testing.T) {
	if testdb.IsChild() {
		defaultZoneChild(t)
		return
	}
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		for _, tz := range []string{"America/New_York", "Asia/Kolkata"} {
			testdb.RunChildren(t, 1, "TestDefaultZoneIsTheLocalZone", map[string]string{"TZ": tz, "ZONE_DSN": testdb.DSN(t, db), "ZONE_QUEUE": tz})
			zdb, err := store.New(t.Context(), db.Bun(), store.WithZone(mustZone(tz)))
			require.NoError(t, err)
			q := newQueue(t, zdb)
			p, err := q.List(t.Context(), queue.Filter{Queue: tz})
			require.NoError(t, err)
			require.Len(t, p.Elements, 3, tz)
			for i, at := range zoneInstants {
				require.True(t, p.Elements[i].CreatedDate.Equal(at), "%s: element %d created %v, want %v", tz, i, p.Elements[i].CreatedDate, at)
			}
		}
	})
}

// zoneInstants are the creation times of the child's elements: a winter
// and a summer instant (apart by a DST change in New York), and one the
// robot wrote.
var zoneInstants = []time.Time{
	time.Date(2026, 1, 10, 12, 0, 0, 111111000, time.UTC),
	time.Date(2026, 5, 5, 5, 5, 5, 555555000, time.UTC),
	time.Date(2026, 7, 20, 22, 30, 0, 999999000, time.UTC),
}

func defaultZoneChild(t *testing.T) {
	ctx := context.Background()
	tz := os.Getenv("TZ")
	local, err := time.LoadLocation(tz)
	require.NoError(t, err)
	c := &clock{t: zoneInstants[0]}
	db, err := store.Open(ctx, os.Getenv("ZONE_DSN"), store.WithClock(c.now))
	require.NoError(t, err)
	defer db.Close()
	require.Equal(t, time.Local, db.Zone(), "the default zone is the local one")
	require.Equal(t, tz, store.ZoneName(db.Zone()))
	q := newQueue(t, db)
	o := robot{t: t, db: db, zone: local} // a robot on this machine
	name := os.Getenv("ZONE_QUEUE")

	e0, err := q.Enqueue(ctx, name, queue.NewElement{Reference: "winter"})
	require.NoError(t, err)
	c.t = zoneInstants[1]
	e1, err := q.Enqueue(ctx, name, queue.NewElement{Reference: "spring"})
	require.NoError(t, err)
	robotsID := o.create(name, "summer", "", "robot", zoneInstants[2])
	for id, at := range map[uuid.UUID]time.Time{e0.ID: zoneInstants[0], e1.ID: zoneInstants[1]} {
		require.Equal(t, at.In(local).Format("2006-01-02 15:04:05.000000"), o.read(id).created, "the local wall clock, as the robot writes it")
	}
	got, err := q.Get(ctx, robotsID)
	require.NoError(t, err)
	require.True(t, got.CreatedDate.Equal(zoneInstants[2]), "the robot's local wall clock read as its instant: %v", got.CreatedDate)
	claimed, err := q.Claim(ctx, name)
	require.NoError(t, err)
	require.Equal(t, e0.ID, claimed.ID, "oldest first")
	require.NoError(t, q.ForceStatus(ctx, claimed.ID, queue.StatusNew, ""))
}
