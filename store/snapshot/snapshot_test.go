package snapshot_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/go-sql-driver/mysql"
	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/mysqldialect"

	"github.com/flowstore/flowstore/crypto/secret"
	"github.com/flowstore/flowstore/internal/testdb"
	"github.com/flowstore/flowstore/store"
	"github.com/flowstore/flowstore/store/snapshot"
)

// newSnapshots returns the snapshot store of db.
func newSnapshots(t testing.TB, db *store.DB, opts ...snapshot.Option) snapshot.Store {
	t.Helper()
	s, err := snapshot.New(db, opts...)
	require.NoError(t, err)
	return s
}

func TestNewRefusesNilDB(t *testing.T) {
	s, err := snapshot.New(nil)
	require.ErrorIs(t, err, store.ErrInvalid)
	require.Nil(t, s)
	require.EqualError(t, err, "snapshot: new store: invalid input: nil *store.DB")
	_, err = snapshot.New(testdb.Offline(store.SQLite), snapshot.WithPageSize(0))
	require.ErrorIs(t, err, store.ErrInvalid)
	require.EqualError(t, err, "snapshot: new store: invalid input: page size 0 (want 1-10000)")
}

func snapRawCount(t testing.TB, db *store.DB, query string, args ...any) int {
	t.Helper()
	var n int
	require.NoError(t, db.SQL().QueryRowContext(context.Background(), db.SQLDialect().Rebind(query), args...).Scan(&n))
	return n
}

func TestSnapshotLifecycle(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		snaps := newSnapshots(t, db)
		const id = "8d1f3c2e-5a4b-4c3d-9e8f-0a1b2c3d4e5f"
		v1 := "1.0"
		s := &snapshot.Snapshot{ID: id, ProcessID: "orders", ProcessVersion: &v1, Payload: []byte("state-0"), Version: 7}
		require.NoError(t, snaps.Create(ctx, s))
		require.Equal(t, int64(0), s.Version, "Create starts at version 0 whatever the caller had")

		dup := &snapshot.Snapshot{ID: id, ProcessID: "orders", Payload: []byte("other")}
		require.ErrorIs(t, snaps.Create(ctx, dup), store.ErrDuplicate)

		ok, err := snaps.Exists(ctx, id)
		require.NoError(t, err)
		require.True(t, ok)

		got, err := snaps.Get(ctx, id)
		require.NoError(t, err)
		require.Equal(t, id, got.ID)
		require.Equal(t, "orders", got.ProcessID)
		require.Equal(t, "1.0", *got.ProcessVersion)
		require.Equal(t, int64(0), got.Version)
		require.Equal(t, []byte("state-0"), got.Payload)

		// The bun tags name the real table and columns, for hosts that query
		// with bun themselves.
		var viaBun snapshot.Snapshot
		require.NoError(t, db.Bun().NewSelect().Model(&viaBun).Where("id = ?", id).Scan(ctx))
		require.Equal(t, "orders", viaBun.ProcessID)
		require.Equal(t, []byte("state-0"), viaBun.Payload)
		require.Equal(t, "1.0", *viaBun.ProcessVersion)

		// Two writers load version 0; the first update wins.
		a, _ := snaps.Get(ctx, id)
		b, _ := snaps.Get(ctx, id)
		a.Payload = []byte("state-a")
		require.NoError(t, snaps.Update(ctx, a))
		require.Equal(t, int64(1), a.Version)
		b.Payload = []byte("state-b")
		err = snaps.Update(ctx, b)
		require.ErrorIs(t, err, store.ErrConflict)
		var ce *store.ConflictError
		require.ErrorAs(t, err, &ce)
		require.Equal(t, store.ConflictError{Table: "process_instances", ID: id, Expected: 0, Actual: 1}, *ce)
		require.Equal(t, int64(0), b.Version, "a failed update leaves the caller's version alone")
		got, _ = snaps.Get(ctx, id)
		require.Equal(t, []byte("state-a"), got.Payload, "the losing write is not stored")

		// The unchecked update ignores the stale version but still bumps it.
		b.Payload = []byte("state-b")
		require.NoError(t, snaps.UpdateUnchecked(ctx, b))
		require.Equal(t, int64(2), b.Version)
		got, _ = snaps.Get(ctx, id)
		require.Equal(t, []byte("state-b"), got.Payload)
		require.Equal(t, int64(2), got.Version)
		// … so a locking writer holding version 1 now conflicts.
		a.Payload = []byte("state-a2")
		require.ErrorIs(t, snaps.Update(ctx, a), store.ErrConflict)

		// Completed: the snapshot leaves the table.
		require.NoError(t, snaps.Delete(ctx, id))
		ok, err = snaps.Exists(ctx, id)
		require.NoError(t, err)
		require.False(t, ok)
		_, err = snaps.Get(ctx, id)
		require.ErrorIs(t, err, store.ErrNotFound)
		require.ErrorIs(t, snaps.Delete(ctx, id), store.ErrNotFound)
		require.ErrorIs(t, snaps.UpdateUnchecked(ctx, got), store.ErrNotFound)
		err = snaps.Update(ctx, got)
		require.ErrorAs(t, err, &ce)
		require.Equal(t, int64(2), ce.Expected)
		require.Equal(t, int64(-1), ce.Actual, "a vanished row reports -1")
		require.Contains(t, err.Error(), "no longer exists")
	})
}

func TestSnapshotBadInputWritesNothing(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		snaps := newSnapshots(t, db)
		for _, c := range []struct {
			s    *snapshot.Snapshot
			want error
		}{
			{nil, store.ErrInvalid},
			{&snapshot.Snapshot{ProcessID: "p"}, store.ErrInvalid},
			{&snapshot.Snapshot{ID: "x"}, store.ErrInvalid},
			{&snapshot.Snapshot{ID: strings.Repeat("x", 37), ProcessID: "p"}, store.ErrTooLong},
			{&snapshot.Snapshot{ID: "x", ProcessID: "p", BusinessKey: strings.Repeat("k", 256)}, store.ErrTooLong},
			{&snapshot.Snapshot{ID: "x", ProcessID: "p", EventTypes: []string{""}}, store.ErrInvalid},
			{&snapshot.Snapshot{ID: "x", ProcessID: "p", EventTypes: []string{strings.Repeat("e", 257)}}, store.ErrTooLong},
		} {
			require.ErrorIs(t, snaps.Create(ctx, c.s), c.want)
		}
		require.Zero(t, snapRawCount(t, db, `SELECT COUNT(*) FROM process_instances`))
		// A nil payload is stored as an empty one (the column is NOT NULL).
		require.NoError(t, snaps.Create(ctx, &snapshot.Snapshot{ID: "empty", ProcessID: "p"}))
		got, err := snaps.Get(ctx, "empty")
		require.NoError(t, err)
		require.Equal(t, []byte{}, got.Payload)
		require.Equal(t, "empty", got.ID, "CHAR(36) padding is trimmed")

		// Update addresses a row by id: without one it is bad input, not a
		// conflict; an id longer than the column names no row either.
		for _, c := range []struct {
			s    *snapshot.Snapshot
			want error
		}{
			{nil, store.ErrInvalid},
			{&snapshot.Snapshot{Payload: []byte("x")}, store.ErrInvalid},
			{&snapshot.Snapshot{ID: strings.Repeat("x", 37), Payload: []byte("x")}, store.ErrTooLong},
			{&snapshot.Snapshot{ID: "empty", EventTypes: []string{""}}, store.ErrInvalid},
			{&snapshot.Snapshot{ID: "empty", EventTypes: []string{strings.Repeat("e", 257)}}, store.ErrTooLong},
		} {
			err := snaps.Update(ctx, c.s)
			require.ErrorIs(t, err, c.want)
			require.NotErrorIs(t, err, store.ErrConflict)
			require.ErrorIs(t, snaps.UpdateUnchecked(ctx, c.s), c.want)
		}
		got, err = snaps.Get(ctx, "empty")
		require.NoError(t, err)
		require.Equal(t, int64(0), got.Version, "no refused update was written")
		require.Zero(t, snapRawCount(t, db, `SELECT COUNT(*) FROM event_types`))
	})
}

// snapRefLimits are the process_id / process_version limits of each dialect's
// schema (store/migrations/*/0001_reference_schema.sql), stated here again so
// the test does not take them from the code it checks. fits returns the
// longest value that fits, too one that does not.
var snapRefLimits = map[store.DialectName]struct {
	fits, tooLong func() string
	detail        string
}{
	// VARCHAR(450), utf8mb4: characters, so 450 two-byte ones fit.
	store.MySQL: {func() string { return strings.Repeat("é", 450) }, func() string { return strings.Repeat("é", 451) }, "VARCHAR(450)"},
	// NVARCHAR(450): UTF-16 code units; a character above U+FFFF is two.
	store.SQLServer: {func() string { return strings.Repeat("😀", 225) }, func() string { return strings.Repeat("😀", 225) + "x" }, "NVARCHAR(450)"},
	// Unbounded VARCHAR, but both values share one btree index entry of at
	// most 2704 bytes; incompressible text of 1300 bytes each must fit.
	store.Postgres: {func() string { return snapRandomText(1300) }, func() string { return snapRandomText(1301) }, "2704 bytes"},
}

// snapRandomText returns n bytes of random two-byte UTF-8 characters (and one
// ASCII letter when n is odd): text PostgreSQL cannot compress.
func snapRandomText(n int) string {
	var b strings.Builder
	raw := make([]byte, n)
	_, _ = rand.Read(raw)
	for i := 0; i+1 < n; i += 2 {
		b.WriteRune(rune(0x80 + (int(raw[i])<<8|int(raw[i+1]))%(0x800-0x80))) // U+0080–U+07FF
	}
	if n%2 == 1 {
		b.WriteByte('x')
	}
	return b.String()
}

// TestSnapshotProcessRefLimits: a process id or version longer than the
// dialect stores is ErrTooLong naming the column and the limit before
// anything is written — in Create and as MigrateInstances' target — and the
// longest value that fits is stored. SQLite has no limit.
func TestSnapshotProcessRefLimits(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		snaps := newSnapshots(t, db)
		lim, ok := snapRefLimits[db.SQLDialect().Name()]
		if !ok {
			long := strings.Repeat("p", 10000)
			require.NoError(t, snaps.Create(ctx, &snapshot.Snapshot{ID: "long", ProcessID: long, ProcessVersion: &long, Payload: []byte("x")}))
			return
		}
		fits, fitsToo, tooLong := lim.fits(), lim.fits(), lim.tooLong()
		require.NoError(t, snaps.Create(ctx, &snapshot.Snapshot{ID: "at-limit", ProcessID: fits, ProcessVersion: &fitsToo, Payload: []byte("x")}))
		got, err := snaps.Get(ctx, "at-limit")
		require.NoError(t, err)
		require.Equal(t, fits, got.ProcessID)
		require.Equal(t, fitsToo, *got.ProcessVersion)

		err = snaps.Create(ctx, &snapshot.Snapshot{ID: "id-over", ProcessID: tooLong, Payload: []byte("x"), EventTypes: []string{"e"}})
		require.ErrorIs(t, err, store.ErrTooLong)
		require.Contains(t, err.Error(), "process_instances.process_id")
		require.Contains(t, err.Error(), lim.detail)
		err = snaps.Create(ctx, &snapshot.Snapshot{ID: "version-over", ProcessID: "p", ProcessVersion: &tooLong, Payload: []byte("x")})
		require.ErrorIs(t, err, store.ErrTooLong)
		require.Contains(t, err.Error(), "process_instances.process_version")
		require.Equal(t, 1, snapRawCount(t, db, `SELECT COUNT(*) FROM process_instances`))
		require.Zero(t, snapRawCount(t, db, `SELECT COUNT(*) FROM event_types`))

		from := snapshot.ProcessRef{ID: fits, Version: &fitsToo}
		for _, to := range []snapshot.ProcessRef{{ID: tooLong}, {ID: "p", Version: &tooLong}} {
			for _, ids := range [][]string{nil, {"at-limit"}} {
				n, err := snaps.MigrateInstances(ctx, from, to, ids...)
				require.ErrorIs(t, err, store.ErrTooLong)
				require.Contains(t, err.Error(), "target process_")
				require.Zero(t, n)
			}
		}
		ids, err := snaps.IDs(ctx, from)
		require.NoError(t, err)
		require.Equal(t, []string{"at-limit"}, ids, "a refused migration moves nothing")
		n, err := snaps.MigrateInstances(ctx, from, snapshot.ProcessRef{ID: fitsToo, Version: &fits})
		require.NoError(t, err)
		require.Equal(t, int64(1), n, "a target at the limit moves")
	})
}

// SQL Server cannot run here, but its limits are checked before any
// statement: an offline handle shows which inputs are refused.
func TestSnapshotLimitsSQLServerOffline(t *testing.T) {
	ctx := context.Background()
	snaps := newSnapshots(t, testdb.Offline(store.SQLServer))
	lim := snapRefLimits[store.SQLServer]
	tooLong, fits := lim.tooLong(), lim.fits()
	for _, s := range []*snapshot.Snapshot{
		{ID: "a", ProcessID: tooLong},
		{ID: "a", ProcessID: "p", ProcessVersion: &tooLong},
		{ID: strings.Repeat("😀", 18) + "x", ProcessID: "p"}, // NCHAR(36): 37 code units
		{ID: "a", ProcessID: "p", BusinessKey: strings.Repeat("😀", 128)},
		{ID: "a", ProcessID: "p", EventTypes: []string{strings.Repeat("😀", 128) + "x"}},
	} {
		err := snaps.Create(ctx, s)
		require.ErrorIs(t, err, store.ErrTooLong)
		require.Contains(t, err.Error(), "UTF-16 code units")
	}
	_, err := snaps.MigrateInstances(ctx, snapshot.Unversioned("p"), snapshot.ProcessRef{ID: tooLong})
	require.ErrorIs(t, err, store.ErrTooLong)
	// At the limit the checks pass and the offline handle fails to run it.
	err = snaps.Create(ctx, &snapshot.Snapshot{ID: strings.Repeat("😀", 18), ProcessID: fits, ProcessVersion: &fits, BusinessKey: strings.Repeat("😀", 127) + "x"})
	require.Error(t, err)
	require.NotErrorIs(t, err, store.ErrTooLong)
}

func TestSnapshotNullProcessVersions(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		snaps := newSnapshots(t, db, snapshot.WithPageSize(2))
		unversioned := snapshot.Unversioned("flow")
		v1, v2 := snapshot.Versioned("flow", "1"), snapshot.Versioned("flow", "2")
		other := snapshot.Unversioned("other")
		want := map[string][]string{}
		for i, p := range []snapshot.ProcessRef{unversioned, v1, unversioned, v2, unversioned, v1, other, unversioned, unversioned} {
			id := fmt.Sprintf("inst-%02d", i)
			require.NoError(t, snaps.Create(ctx, &snapshot.Snapshot{ID: id, ProcessID: p.ID, ProcessVersion: p.Version, Payload: []byte(id)}))
			want[p.String()] = append(want[p.String()], id)
		}
		// A version stored as '' is a version, not the absence of one.
		empty := snapshot.Versioned("flow", "")
		require.NoError(t, snaps.Create(ctx, &snapshot.Snapshot{ID: "inst-empty", ProcessID: "flow", ProcessVersion: empty.Version, Payload: []byte("e")}))

		for _, p := range []snapshot.ProcessRef{unversioned, v1, v2, other, snapshot.Versioned("flow", "3"), snapshot.Unversioned("missing")} {
			ids, err := snaps.IDs(ctx, p)
			require.NoError(t, err)
			require.Equal(t, want[p.String()], snapNilIfEmpty(ids), "ids of %s", p)
			n, err := snaps.Count(ctx, p)
			require.NoError(t, err)
			require.Equal(t, int64(len(want[p.String()])), n, "count of %s", p)
			var streamed []string
			for s, err := range snaps.All(ctx, p) {
				require.NoError(t, err)
				require.Equal(t, p.ID, s.ProcessID)
				require.Equal(t, p.Version, s.ProcessVersion)
				require.Equal(t, []byte(s.ID), s.Payload)
				streamed = append(streamed, s.ID)
			}
			require.Equal(t, want[p.String()], streamed, "stream of %s", p)
		}
		ids, err := snaps.IDs(ctx, empty)
		require.NoError(t, err)
		require.Equal(t, []string{"inst-empty"}, ids)

		// A NULL version column (written by Kogito's unlocked mode or another
		// tool) reads as 0 and takes part in compare-and-swap.
		_, err = db.SQL().ExecContext(ctx, db.SQLDialect().Rebind(`UPDATE process_instances SET version = NULL WHERE id = ?`), "inst-00")
		require.NoError(t, err)
		s, err := snaps.Get(ctx, "inst-00")
		require.NoError(t, err)
		require.Equal(t, int64(0), s.Version)
		require.NoError(t, snaps.Update(ctx, s))
		require.Equal(t, int64(1), s.Version)
		s.Version = 0
		require.ErrorIs(t, snaps.Update(ctx, s), store.ErrConflict)
	})
}

func snapNilIfEmpty(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	return s
}

func TestSnapshotStreamPagesAndWritesInLoop(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		snaps := newSnapshots(t, db, snapshot.WithPageSize(3))
		p := snapshot.Versioned("stream", "1")
		for i := range 10 {
			require.NoError(t, snaps.Create(ctx, &snapshot.Snapshot{ID: fmt.Sprintf("s-%02d", i), ProcessID: p.ID, ProcessVersion: p.Version, Payload: []byte("x")}))
		}
		// The loop body writes to every snapshot it is given, inside one
		// session: the stream holds no cursor open between pages.
		err := db.InTx(ctx, func(ctx context.Context, sess *store.Session) error {
			tx := snaps.WithTx(sess)
			seen := 0
			for s, err := range tx.All(ctx, p) {
				if err != nil {
					return err
				}
				s.Payload = []byte("seen")
				if err := tx.Update(ctx, s); err != nil {
					return err
				}
				seen++
			}
			require.Equal(t, 10, seen)
			return nil
		})
		require.NoError(t, err)
		for s, err := range snaps.All(ctx, p) {
			require.NoError(t, err)
			require.Equal(t, "seen", string(s.Payload))
			require.Equal(t, int64(1), s.Version)
		}
		// Breaking out stops the stream.
		n := 0
		for _, err := range snaps.All(ctx, p) {
			require.NoError(t, err)
			n++
			if n == 4 {
				break
			}
		}
		require.Equal(t, 4, n)
		// A cancelled context surfaces as the stream's error.
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		for _, err := range snaps.All(cctx, p) {
			require.ErrorIs(t, err, context.Canceled)
		}
	})
}

func TestSnapshotBusinessKeys(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		snaps := newSnapshots(t, db)
		p := snapshot.Versioned("orders", "2")
		require.NoError(t, snaps.Create(ctx, &snapshot.Snapshot{ID: "order-1", ProcessID: p.ID, ProcessVersion: p.Version, Payload: []byte("o1"), BusinessKey: "ORDER-1"}))
		got, err := snaps.FindByBusinessKey(ctx, p, "ORDER-1")
		require.NoError(t, err)
		require.Equal(t, "order-1", got.ID)
		require.Equal(t, []byte("o1"), got.Payload)
		require.Equal(t, "ORDER-1", got.BusinessKey)

		// Scoped by process id and version, like every query.
		_, err = snaps.FindByBusinessKey(ctx, snapshot.Unversioned("orders"), "ORDER-1")
		require.ErrorIs(t, err, store.ErrNotFound)
		_, err = snaps.FindByBusinessKey(ctx, p, "ORDER-2")
		require.ErrorIs(t, err, store.ErrNotFound)

		// A business key is unique across all processes; the failed create
		// leaves no instance behind.
		err = snaps.Create(ctx, &snapshot.Snapshot{ID: "order-2", ProcessID: "other", Payload: []byte("o2"), BusinessKey: "ORDER-1", EventTypes: []string{"paid"}})
		require.ErrorIs(t, err, store.ErrDuplicate)
		ok, err := snaps.Exists(ctx, "order-2")
		require.NoError(t, err)
		require.False(t, ok, "instance and business key are written in one transaction")
		require.Zero(t, snapRawCount(t, db, `SELECT COUNT(*) FROM event_types WHERE process_instance_id = ?`, "order-2"))

		info, err := snaps.Stat(ctx, "order-1")
		require.NoError(t, err)
		require.Equal(t, "ORDER-1", info.BusinessKey)

		// Deleting the instance deletes its key, which can then be reused.
		require.NoError(t, snaps.Delete(ctx, "order-1"))
		require.Zero(t, snapRawCount(t, db, `SELECT COUNT(*) FROM business_key_mapping`))
		require.NoError(t, snaps.Create(ctx, &snapshot.Snapshot{ID: "order-3", ProcessID: p.ID, ProcessVersion: p.Version, Payload: []byte("o3"), BusinessKey: "ORDER-1"}))
		got, err = snaps.FindByBusinessKey(ctx, p, "ORDER-1")
		require.NoError(t, err)
		require.Equal(t, "order-3", got.ID)

		// The schema cascades too, for rows deleted behind the store's back.
		_, err = db.SQL().ExecContext(ctx, db.SQLDialect().Rebind(`DELETE FROM process_instances WHERE id = ?`), "order-3")
		require.NoError(t, err)
		require.Zero(t, snapRawCount(t, db, `SELECT COUNT(*) FROM business_key_mapping`))
	})
}

func snapWaiting(t *testing.T, snaps snapshot.Store, p snapshot.ProcessRef, eventType string) []string {
	t.Helper()
	var ids []string
	for s, err := range snaps.WaitingForEventType(context.Background(), p, eventType) {
		require.NoError(t, err)
		ids = append(ids, s.ID)
	}
	return ids
}

func TestSnapshotEventTypes(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		snaps := newSnapshots(t, db, snapshot.WithPageSize(2))
		p := snapshot.Unversioned("shipping")
		for i := range 5 {
			events := []string{"paid", "cancelled", "paid"} // duplicates are folded
			if i%2 == 1 {
				events = []string{"shipped"}
			}
			require.NoError(t, snaps.Create(ctx, &snapshot.Snapshot{ID: fmt.Sprintf("ship-%d", i), ProcessID: p.ID, Payload: []byte("s"), EventTypes: events}))
		}
		require.NoError(t, snaps.Create(ctx, &snapshot.Snapshot{ID: "elsewhere", ProcessID: "billing", Payload: []byte("b"), EventTypes: []string{"paid"}}))
		require.Equal(t, []string{"ship-0", "ship-2", "ship-4"}, snapWaiting(t, snaps, p, "paid"))
		require.Equal(t, []string{"ship-1", "ship-3"}, snapWaiting(t, snaps, p, "shipped"))
		require.Nil(t, snapWaiting(t, snaps, snapshot.Versioned("shipping", "1"), "paid"))

		// Update replaces the set …
		s, err := snaps.Get(ctx, "ship-0")
		require.NoError(t, err)
		require.Nil(t, s.EventTypes)
		s.EventTypes = []string{"shipped"}
		require.NoError(t, snaps.Update(ctx, s))
		require.Equal(t, []string{"ship-2", "ship-4"}, snapWaiting(t, snaps, p, "paid"))
		require.Equal(t, []string{"ship-0", "ship-1", "ship-3"}, snapWaiting(t, snaps, p, "shipped"))
		// … leaves it alone when nil …
		s.EventTypes = nil
		require.NoError(t, snaps.Update(ctx, s))
		info, err := snaps.Stat(ctx, "ship-0")
		require.NoError(t, err)
		require.Equal(t, []string{"shipped"}, info.EventTypes)
		// … and a conflicting update changes nothing, event types included.
		stale := *s
		stale.Version = 0
		stale.EventTypes = []string{"refunded"}
		require.ErrorIs(t, snaps.Update(ctx, &stale), store.ErrConflict)
		require.Nil(t, snapWaiting(t, snaps, p, "refunded"))
		// An empty set clears it; the unchecked update replaces it too.
		s.EventTypes = []string{}
		require.NoError(t, snaps.Update(ctx, s))
		info, _ = snaps.Stat(ctx, "ship-0")
		require.Empty(t, info.EventTypes)
		s.EventTypes = []string{"refunded", "audited"}
		require.NoError(t, snaps.UpdateUnchecked(ctx, s))
		info, _ = snaps.Stat(ctx, "ship-0")
		require.Equal(t, []string{"audited", "refunded"}, info.EventTypes)

		require.NoError(t, snaps.Delete(ctx, "ship-0"))
		require.Zero(t, snapRawCount(t, db, `SELECT COUNT(*) FROM event_types WHERE process_instance_id = ?`, "ship-0"))
	})
}

func TestSnapshotMigrateInstances(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		snaps := newSnapshots(t, db)
		v1, v2, v3 := snapshot.Versioned("loan", "1"), snapshot.Versioned("loan", "2"), snapshot.Versioned("loan-ng", "3")
		for i := range 6 {
			require.NoError(t, snaps.Create(ctx, &snapshot.Snapshot{ID: fmt.Sprintf("loan-%d", i), ProcessID: "loan", ProcessVersion: v1.Version, Payload: []byte("l")}))
		}
		require.NoError(t, snaps.Create(ctx, &snapshot.Snapshot{ID: "loan-null", ProcessID: "loan", Payload: []byte("l")}))

		n, err := snaps.MigrateInstances(ctx, v1, v2, "loan-1", "loan-3", "loan-null", "no-such")
		require.NoError(t, err)
		require.Equal(t, int64(2), n, "only instances of the source definition move")
		ids, _ := snaps.IDs(ctx, v2)
		require.Equal(t, []string{"loan-1", "loan-3"}, ids)

		n, err = snaps.MigrateInstances(ctx, v1, v3)
		require.NoError(t, err)
		require.Equal(t, int64(4), n)
		ids, _ = snaps.IDs(ctx, v3)
		require.Equal(t, []string{"loan-0", "loan-2", "loan-4", "loan-5"}, ids)
		c, _ := snaps.Count(ctx, v1)
		require.Zero(t, c)

		// From the unversioned definition to a versioned one and back.
		n, err = snaps.MigrateInstances(ctx, snapshot.Unversioned("loan"), v2)
		require.NoError(t, err)
		require.Equal(t, int64(1), n)
		n, err = snaps.MigrateInstances(ctx, v2, snapshot.Unversioned("loan"), "loan-null")
		require.NoError(t, err)
		require.Equal(t, int64(1), n)
		s, err := snaps.Get(ctx, "loan-null")
		require.NoError(t, err)
		require.Nil(t, s.ProcessVersion)
		require.Equal(t, int64(0), s.Version, "migration does not bump the version: the payload is unchanged")

		_, err = snaps.MigrateInstances(ctx, v2, snapshot.ProcessRef{})
		require.ErrorIs(t, err, store.ErrInvalid)
	})
}

// rot13 is a codec no store knows by default.
type rot13 struct{}

func (rot13) Name() string                    { return "rot13" }
func (rot13) Encode(p []byte) ([]byte, error) { return rot13Bytes(p), nil }
func (rot13) Decode(p []byte) ([]byte, error) { return rot13Bytes(p), nil }
func rot13Bytes(p []byte) []byte {
	out := bytes.Clone(p)
	for i, c := range out {
		switch {
		case c >= 'a' && c <= 'z':
			out[i] = 'a' + (c-'a'+13)%26
		case c >= 'A' && c <= 'Z':
			out[i] = 'A' + (c-'A'+13)%26
		}
	}
	return out
}

func TestSnapshotPayloadCodec(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		plainStore := newSnapshots(t, db)
		gz := newSnapshots(t, db, snapshot.WithCodec(snapshot.Gzip{}))
		payload := bytes.Repeat([]byte("the same state again and again; "), 2000)

		require.NoError(t, plainStore.Create(ctx, &snapshot.Snapshot{ID: "plain", ProcessID: "p", Payload: payload}))
		zipped := &snapshot.Snapshot{ID: "zipped", ProcessID: "p", Payload: payload}
		require.NoError(t, gz.Create(ctx, zipped))
		require.Equal(t, "gzip", zipped.Codec)

		// What is stored: the plain row as given, with NULL codec; the other
		// compressed and marked.
		var stored []byte
		require.NoError(t, db.SQL().QueryRowContext(ctx, db.SQLDialect().Rebind(`SELECT payload FROM process_instances WHERE id = ?`), "plain").Scan(&stored))
		require.Equal(t, payload, stored)
		require.Equal(t, 1, snapRawCount(t, db, `SELECT COUNT(*) FROM process_instances WHERE payload_codec IS NULL`))
		require.Equal(t, 1, snapRawCount(t, db, `SELECT COUNT(*) FROM process_instances WHERE payload_codec = 'gzip'`))
		info, err := gz.Stat(ctx, "zipped")
		require.NoError(t, err)
		require.Equal(t, "gzip", info.Codec)
		require.Less(t, info.StoredSize, int64(len(payload)/10))

		// Mixed rows stay readable through either store.
		for _, st := range []snapshot.Store{plainStore, gz} {
			for _, id := range []string{"plain", "zipped"} {
				s, err := st.Get(ctx, id)
				require.NoError(t, err)
				require.Equal(t, payload, s.Payload, id)
			}
		}
		// Updating a plain row through the codec store encodes it from then on.
		s, _ := gz.Get(ctx, "plain")
		s.Payload = []byte("smaller now")
		require.NoError(t, gz.Update(ctx, s))
		s, err = plainStore.Get(ctx, "plain")
		require.NoError(t, err)
		require.Equal(t, "smaller now", string(s.Payload))
		require.Equal(t, "gzip", s.Codec)

		// A row of a codec the store does not have is an error, not garbage;
		// WithReadCodecs makes it readable without writing with it.
		r13 := newSnapshots(t, db, snapshot.WithCodec(rot13{}))
		require.NoError(t, r13.Create(ctx, &snapshot.Snapshot{ID: "rot", ProcessID: "p", Payload: []byte("Hello")}))
		_, err = gz.Get(ctx, "rot")
		require.ErrorIs(t, err, store.ErrUnsupported)
		reader := newSnapshots(t, db, snapshot.WithReadCodecs(rot13{}))
		s, err = reader.Get(ctx, "rot")
		require.NoError(t, err)
		require.Equal(t, "Hello", string(s.Payload))
		s.Payload = []byte("World")
		require.NoError(t, reader.Update(ctx, s))
		require.Equal(t, "", s.Codec, "WithReadCodecs does not write with the codec")
		info, err = gz.Stat(ctx, "rot")
		require.NoError(t, err, "Stat does not decode")
		require.Equal(t, "", info.Codec)

		// A stored payload the codec cannot decode is reported, not returned.
		_, err = db.SQL().ExecContext(ctx, db.SQLDialect().Rebind(`UPDATE process_instances SET payload = ? WHERE id = ?`), []byte("not gzip"), "zipped")
		require.NoError(t, err)
		_, err = gz.Get(ctx, "zipped")
		require.ErrorIs(t, err, store.ErrInvalid)

		_, err = snapshot.New(db, snapshot.WithCodec(badCodecName{}))
		require.ErrorIs(t, err, store.ErrInvalid)
	})
}

// fakeSnapRing stands in for package crypto's Ring: tokens name the key.
type fakeSnapRing struct {
	keys    map[string]byte
	primary string
}

func (r fakeSnapRing) Encrypt(p []byte) (string, error) {
	out := make([]byte, len(p))
	for i, b := range p {
		out[i] = b ^ r.keys[r.primary]
	}
	return r.primary + "." + base64.RawURLEncoding.EncodeToString(out), nil
}

func (r fakeSnapRing) Decrypt(token string) ([]byte, error) {
	id, body, _ := strings.Cut(token, ".")
	k, ok := r.keys[id]
	if !ok {
		return nil, fmt.Errorf("key %s not in the ring", id)
	}
	raw, err := base64.RawURLEncoding.DecodeString(body)
	if err != nil {
		return nil, err
	}
	for i := range raw {
		raw[i] ^= k
	}
	return raw, nil
}

// An encrypted codec keeps its name across key rotation: a ring holding the
// old key reads old rows; a ring without it reports ErrDecrypt.
func TestSnapshotEncryptedCodec(t *testing.T) {
	t.Parallel()
	db := testdb.Fresh(t, store.SQLite)
	ctx := context.Background()
	old := newSnapshots(t, db, snapshot.WithCodec(snapshot.Encrypted("ring", fakeSnapRing{keys: map[string]byte{"k1": 0x5a}, primary: "k1"})))
	require.NoError(t, old.Create(ctx, &snapshot.Snapshot{ID: "secret", ProcessID: "p", Payload: []byte("card 4242")}))
	var stored []byte
	require.NoError(t, db.SQL().QueryRowContext(ctx, `SELECT payload FROM process_instances WHERE id = ?`, "secret").Scan(&stored))
	require.NotContains(t, string(stored), "4242")
	require.True(t, strings.HasPrefix(string(stored), "k1."))

	rotated := newSnapshots(t, db, snapshot.WithCodec(snapshot.Encrypted("ring", fakeSnapRing{keys: map[string]byte{"k1": 0x5a, "k2": 0x33}, primary: "k2"})))
	s, err := rotated.Get(ctx, "secret")
	require.NoError(t, err)
	require.Equal(t, "card 4242", string(s.Payload))
	require.NoError(t, rotated.Update(ctx, s))

	_, err = old.Get(ctx, "secret")
	require.ErrorIs(t, err, store.ErrDecrypt, "the old ring lacks the new key")
}

type badCodecName struct{ rot13 }

func (badCodecName) Name() string { return "no spaces allowed" }

// TestSnapshotLargePayloads stores, reads and updates a 16 MiB payload on
// every dialect. On MySQL/MariaDB the driver sends a value this large with
// COM_STMT_SEND_LONG_DATA in chunks, so it does not have to fit one packet;
// the test logs the server's max_allowed_packet, which still bounds a
// single value and a result row.
func TestSnapshotLargePayloads(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		snaps := newSnapshots(t, db)
		if db.SQLDialect().Name() == store.MySQL {
			var version string
			var packet int64
			require.NoError(t, db.SQL().QueryRowContext(ctx, `SELECT @@version, @@max_allowed_packet`).Scan(&version, &packet))
			t.Logf("%s: max_allowed_packet = %d (%.1f MiB)", version, packet, float64(packet)/(1<<20))
			require.GreaterOrEqual(t, packet, int64(16<<20), "MySQL 8 and MariaDB >= 10.2 default to at least 16 MiB")
			if packet <= 64<<20 {
				// One byte more than the server takes is a clear error, and
				// the connection stays usable.
				err := snaps.Create(ctx, &snapshot.Snapshot{ID: "too-big", ProcessID: "p", Payload: make([]byte, packet+1)})
				require.ErrorIs(t, err, store.ErrTooLong)
				ok, err := snaps.Exists(ctx, "too-big")
				require.NoError(t, err)
				require.False(t, ok)
			}
		}
		big := make([]byte, 16<<20)
		_, _ = rand.Read(big)
		s := &snapshot.Snapshot{ID: "big", ProcessID: "p", Payload: big}
		require.NoError(t, snaps.Create(ctx, s))
		got, err := snaps.Get(ctx, "big")
		require.NoError(t, err)
		require.True(t, bytes.Equal(big, got.Payload), "16 MiB round trip")
		big[0], big[len(big)-1] = big[0]+1, big[len(big)-1]+1
		got.Payload = big
		require.NoError(t, snaps.Update(ctx, got))
		info, err := snaps.Stat(ctx, "big")
		require.NoError(t, err)
		require.Equal(t, int64(16<<20), info.StoredSize)
		got, err = snaps.Get(ctx, "big")
		require.NoError(t, err)
		require.True(t, bytes.Equal(big, got.Payload), "16 MiB update round trip")
		require.Equal(t, int64(1), got.Version)
	})
}

// TestSnapshotEncryptedLargePayload: a payload just under 16 MiB encrypted
// with a real key ring becomes a token of about 21 MiB. PostgreSQL and SQLite
// store it; MariaDB's default max_allowed_packet (16 MiB) does not hold it,
// and that is a clear ErrTooLong naming both sizes before anything is
// written — also on a pool the host opened with the driver's defaults, where
// sending it would make the server drop the connection — and the connection
// stays usable.
func TestSnapshotEncryptedLargePayload(t *testing.T) {
	t.Parallel()
	key, err := secret.GenerateKey(secret.AESGCM)
	require.NoError(t, err)
	ring, err := secret.NewRing(key)
	require.NoError(t, err)
	payload := make([]byte, 16<<20-1024)
	_, _ = rand.Read(payload)
	tokenLen := ring.TokenLen(len(payload))
	require.Greater(t, tokenLen, len(payload)*4/3)
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		enc := snapshot.WithCodec(snapshot.Encrypted("ring", ring))
		snaps := newSnapshots(t, db, enc)
		require.NoError(t, snaps.Create(ctx, &snapshot.Snapshot{ID: "small", ProcessID: "p", Payload: []byte("s")}))
		if db.SQLDialect().Name() != store.MySQL {
			require.NoError(t, snaps.Create(ctx, &snapshot.Snapshot{ID: "enc", ProcessID: "p", Payload: payload}))
			info, err := snaps.Stat(ctx, "enc")
			require.NoError(t, err)
			require.Equal(t, int64(tokenLen), info.StoredSize)
			got, err := snaps.Get(ctx, "enc")
			require.NoError(t, err)
			require.True(t, bytes.Equal(payload, got.Payload))
			return
		}
		var packet int
		require.NoError(t, db.SQL().QueryRowContext(ctx, `SELECT @@max_allowed_packet`).Scan(&packet))
		if tokenLen <= packet {
			t.Skipf("max_allowed_packet %d holds the %d-byte token", packet, tokenLen)
		}
		adopted := snapAdoptedMySQL(t, db)
		for name, snaps := range map[string]snapshot.Store{"open": newSnapshots(t, db, enc), "adopted": newSnapshots(t, adopted, enc)} {
			err := snaps.Create(ctx, &snapshot.Snapshot{ID: "enc-" + name, ProcessID: "p", Payload: payload, EventTypes: []string{"e"}, BusinessKey: "K-" + name})
			require.ErrorIs(t, err, store.ErrTooLong, name)
			require.Contains(t, err.Error(), fmt.Sprintf("%d bytes as stored by codec \"ring\" (%d before)", tokenLen, len(payload)), name)
			require.Contains(t, err.Error(), "max_allowed_packet", name)
			ok, err := snaps.Exists(ctx, "enc-"+name)
			require.NoError(t, err, "%s: the connection is still usable", name)
			require.False(t, ok, name)

			s, err := snaps.Get(ctx, "small")
			require.NoError(t, err, name)
			s.Payload, s.EventTypes = payload, []string{"e"}
			require.ErrorIs(t, snaps.Update(ctx, s), store.ErrTooLong, name)
			require.ErrorIs(t, snaps.UpdateUnchecked(ctx, s), store.ErrTooLong, name)
			s, err = snaps.Get(ctx, "small")
			require.NoError(t, err, name)
			require.Equal(t, int64(0), s.Version, "%s: nothing written", name)
		}
		require.Zero(t, snapRawCount(t, db, `SELECT COUNT(*) FROM event_types`))
		require.Zero(t, snapRawCount(t, db, `SELECT COUNT(*) FROM business_key_mapping`))

		// On the adopted pool the driver sends a value this large in one
		// COM_STMT_SEND_LONG_DATA packet, 7 bytes more than the value: a
		// plain payload 4 bytes under max_allowed_packet, which a pool from
		// Open stores, would make the server drop the connection (error
		// 1153, 08S01). It is refused up front.
		plain := newSnapshots(t, adopted)
		err = plain.Create(ctx, &snapshot.Snapshot{ID: "near", ProcessID: "p", Payload: make([]byte, packet-4)})
		require.ErrorIs(t, err, store.ErrTooLong)
		require.Contains(t, err.Error(), "not opened by store.Open")
		ok, err := plain.Exists(ctx, "near")
		require.NoError(t, err)
		require.False(t, ok)

		// The pool Open made stores the same payload: the store tells the
		// two pools apart (store.DB.Adopted).
		require.True(t, adopted.Adopted())
		require.False(t, db.Adopted())
		require.NoError(t, newSnapshots(t, db).Create(ctx, &snapshot.Snapshot{ID: "near", ProcessID: "p", Payload: make([]byte, packet-4)}))
		info, err := plain.Stat(ctx, "near")
		require.NoError(t, err)
		require.Equal(t, int64(packet-4), info.StoredSize)
	})
}

// snapAdoptedMySQL opens db's database the way a host application would —
// go-sql-driver/mysql with its default maxAllowedPacket (64 MiB), set up as
// store.New asks (READ COMMITTED, clientFoundRows), adopted with store.New —
// closed when the test ends.
func snapAdoptedMySQL(t *testing.T, db *store.DB) *store.DB {
	t.Helper()
	target, err := store.ParseDSN(testdb.DSN(t, db))
	require.NoError(t, err)
	cfg, err := mysql.ParseDSN(target.DriverDSN)
	require.NoError(t, err)
	cfg.MaxAllowedPacket = mysql.NewConfig().MaxAllowedPacket
	require.Greater(t, cfg.MaxAllowedPacket, 16<<20)
	var version string
	require.NoError(t, db.SQL().QueryRowContext(t.Context(), `SELECT @@version`).Scan(&version))
	isolation := "transaction_isolation" // MySQL 8; MariaDB before 11.1 knows only tx_isolation
	if strings.Contains(version, "MariaDB") {
		isolation = "tx_isolation"
	}
	cfg.Params = map[string]string{isolation: "'READ-COMMITTED'"}
	cfg.ClientFoundRows = true
	connector, err := mysql.NewConnector(cfg)
	require.NoError(t, err)
	sqldb := sql.OpenDB(connector)
	t.Cleanup(func() { _ = sqldb.Close() })
	adopted, err := store.New(context.Background(), bun.NewDB(sqldb, mysqldialect.New()))
	require.NoError(t, err)
	return adopted
}

func TestSnapshotSessionRollback(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		snaps := newSnapshots(t, db)
		boom := errors.New("boom")
		err := db.InTx(ctx, func(ctx context.Context, sess *store.Session) error {
			tx := snaps.WithTx(sess)
			require.NoError(t, tx.Create(ctx, &snapshot.Snapshot{ID: "tx", ProcessID: "p", Payload: []byte("1"), BusinessKey: "K", EventTypes: []string{"e"}}))
			ok, err := tx.Exists(ctx, "tx")
			require.NoError(t, err)
			require.True(t, ok)
			return boom
		})
		require.ErrorIs(t, err, boom)
		require.Zero(t, snapRawCount(t, db, `SELECT COUNT(*) FROM process_instances`))
		require.Zero(t, snapRawCount(t, db, `SELECT COUNT(*) FROM event_types`))
		require.Zero(t, snapRawCount(t, db, `SELECT COUNT(*) FROM business_key_mapping`))
	})
}

// A duplicate inside a session is reported and leaves the session usable:
// on PostgreSQL a failed statement would otherwise abort the transaction.
func TestSnapshotDuplicateInSessionKeepsSession(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		snaps := newSnapshots(t, db)
		require.NoError(t, snaps.Create(ctx, &snapshot.Snapshot{ID: "dup", ProcessID: "p", Payload: []byte("1")}))
		err := db.InTx(ctx, func(ctx context.Context, sess *store.Session) error {
			tx := snaps.WithTx(sess)
			if err := tx.Create(ctx, &snapshot.Snapshot{ID: "dup", ProcessID: "p", Payload: []byte("2")}); !errors.Is(err, store.ErrDuplicate) {
				return fmt.Errorf("want ErrDuplicate, got %v", err)
			}
			if err := tx.Create(ctx, &snapshot.Snapshot{ID: "dup-key", ProcessID: "p", Payload: []byte("2"), BusinessKey: "K", EventTypes: []string{"e"}}); err != nil {
				return err
			}
			if err := tx.Create(ctx, &snapshot.Snapshot{ID: "dup-key-2", ProcessID: "p", Payload: []byte("2"), BusinessKey: "K"}); !errors.Is(err, store.ErrDuplicate) {
				return fmt.Errorf("want ErrDuplicate for the business key, got %v", err)
			}
			return tx.Create(ctx, &snapshot.Snapshot{ID: "after", ProcessID: "p", Payload: []byte("3")})
		})
		require.NoError(t, err)
		for id, want := range map[string]bool{"after": true, "dup-key": true, "dup-key-2": false} {
			ok, err := snaps.Exists(ctx, id)
			require.NoError(t, err)
			require.Equal(t, want, ok, "the session committed the writes after the duplicates, and not the failed one: %s", id)
		}
	})
}

// snapMarkers reads the "w3.7;" markers writers append.
func snapMarkers(payload []byte) []string {
	parts := strings.Split(strings.TrimSuffix(string(payload), ";"), ";")
	if len(parts) == 1 && parts[0] == "" {
		return nil
	}
	return parts
}

// TestSnapshotCASSameInstanceGoroutines: 16 writers hammer one instance,
// each appending its own marker with a compare-and-swap update. Every
// update that reported success is in the final payload, none that failed
// is, and the final version is the number of successes.
func TestSnapshotCASSameInstanceGoroutines(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		snaps := newSnapshots(t, db)
		require.NoError(t, snaps.Create(ctx, &snapshot.Snapshot{ID: "hot", ProcessID: "p", Payload: []byte{}}))
		const writers, tries = 16, 8
		var (
			mu        sync.Mutex
			succeeded []string
			conflicts int
			wg        sync.WaitGroup
		)
		for w := range writers {
			wg.Go(func() {
				for i := range tries {
					s, err := snaps.Get(ctx, "hot")
					if !snapNoError(t, err) {
						return
					}
					marker := fmt.Sprintf("w%d.%d", w, i)
					s.Payload = append(s.Payload, marker+";"...)
					err = snaps.Update(ctx, s)
					mu.Lock()
					switch {
					case err == nil:
						succeeded = append(succeeded, marker)
					case errors.Is(err, store.ErrConflict):
						conflicts++
					default:
						t.Errorf("update: %v", err)
					}
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		final, err := snaps.Get(ctx, "hot")
		require.NoError(t, err)
		require.Equal(t, int64(len(succeeded)), final.Version, "final version = successful updates")
		got := snapMarkers(final.Payload)
		require.ElementsMatch(t, succeeded, got, "every successful update is in the payload, no failed one is")
		require.Equal(t, writers*tries, len(succeeded)+conflicts)
		// An attempt fails only if another writer's update committed between
		// its load and its update. Charge each failure to the success that
		// moved the version past the one it loaded: the failures charged to
		// one success are in-flight attempts of the other writers-1 writers,
		// at most one each (a writer's next load sees the newer version). So
		// conflicts <= (writers-1)·successes, and with successes + conflicts
		// = writers·tries, successes >= writers·tries/writers = tries. An
		// Update that always conflicted would have none.
		require.GreaterOrEqual(t, len(succeeded), writers*tries/writers, "each success fails at most %d other attempts", writers-1)
		require.LessOrEqual(t, conflicts, (writers-1)*len(succeeded))
		t.Logf("%s: %d successful updates, %d conflicts", db.SQLDialect().Name(), len(succeeded), conflicts)
	})
}

func snapNoError(t *testing.T, err error) bool {
	t.Helper()
	if err != nil {
		t.Errorf("%v", err)
		return false
	}
	return true
}

// TestSnapshotRetryAcrossProcesses: 4 OS processes × 4 goroutines append
// markers to one instance through Retry. Nothing is lost: the payload holds
// every marker exactly once and the version is their number.
func TestSnapshotRetryAcrossProcesses(t *testing.T) {
	const procs, workers, each = 4, 4, 5
	if testdb.IsChild() {
		ctx := context.Background()
		db, err := store.Open(ctx, os.Getenv("SNAP_DSN"))
		require.NoError(t, err)
		defer db.Close()
		snaps := newSnapshots(t, db)
		var wg sync.WaitGroup
		for w := range workers {
			wg.Go(func() {
				for i := range each {
					marker := fmt.Sprintf("p%d.w%d.%d", os.Getpid(), w, i)
					_, err := snapshot.Retry(ctx, snaps, "shared", 1000, func(_ context.Context, s *snapshot.Snapshot) error {
						s.Payload = append(s.Payload, marker+";"...)
						return nil
					})
					snapNoError(t, err)
				}
			})
		}
		wg.Wait()
		return
	}
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		snaps := newSnapshots(t, db)
		require.NoError(t, snaps.Create(ctx, &snapshot.Snapshot{ID: "shared", ProcessID: "p", Payload: []byte{}}))
		testdb.RunChildren(t, procs, "TestSnapshotRetryAcrossProcesses", map[string]string{"SNAP_DSN": testdb.DSN(t, db)})
		final, err := snaps.Get(ctx, "shared")
		require.NoError(t, err)
		got := snapMarkers(final.Payload)
		require.Len(t, got, procs*workers*each)
		pids := map[string]bool{}
		for _, m := range got {
			pids[strings.SplitN(m, ".", 2)[0]] = true
		}
		require.Len(t, pids, procs, "every process wrote")
		slices.Sort(got)
		require.Equal(t, len(got), len(slices.Compact(slices.Clone(got))), "no marker twice")
		require.Equal(t, int64(procs*workers*each), final.Version)
	})
}

// TestSnapshotCASAcrossProcesses: plain compare-and-swap (no retry) from
// child processes on distinct and shared instances. Each child also owns an
// instance no one else writes, updated between its shared updates: there
// every update must succeed, and its final version equals the child's
// successes. On the shared instance the final version equals the
// successful updates the children left as markers in the payload.
func TestSnapshotCASAcrossProcesses(t *testing.T) {
	const procs, tries = 4, 10
	if testdb.IsChild() {
		ctx := context.Background()
		db, err := store.Open(ctx, os.Getenv("SNAP_DSN"))
		require.NoError(t, err)
		defer db.Close()
		snaps := newSnapshots(t, db)
		own := fmt.Sprintf("own-%d", os.Getpid())
		require.NoError(t, snaps.Create(ctx, &snapshot.Snapshot{ID: own, ProcessID: "own", Payload: []byte{}}))
		ownSuccesses := 0
		for i := range tries {
			s, err := snaps.Get(ctx, "contended")
			require.NoError(t, err)
			s.Payload = append(s.Payload, fmt.Sprintf("p%d.%d;", os.Getpid(), i)...)
			if err := snaps.Update(ctx, s); err != nil && !errors.Is(err, store.ErrConflict) {
				t.Fatal(err)
			}

			mine, err := snaps.Get(ctx, own)
			require.NoError(t, err)
			mine.Payload = append(mine.Payload, fmt.Sprintf("o%d;", i)...)
			require.NoError(t, snaps.Update(ctx, mine), "no other writer touches %s", own)
			ownSuccesses++
		}
		final, err := snaps.Get(ctx, own)
		require.NoError(t, err)
		require.Equal(t, int64(ownSuccesses), final.Version, "final version = this child's successes")
		require.Len(t, snapMarkers(final.Payload), ownSuccesses)
		return
	}
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		snaps := newSnapshots(t, db)
		require.NoError(t, snaps.Create(ctx, &snapshot.Snapshot{ID: "contended", ProcessID: "p", Payload: []byte{}}))
		testdb.RunChildren(t, procs, "TestSnapshotCASAcrossProcesses", map[string]string{"SNAP_DSN": testdb.DSN(t, db)})
		final, err := snaps.Get(ctx, "contended")
		require.NoError(t, err)
		got := snapMarkers(final.Payload)
		require.Equal(t, int64(len(got)), final.Version, "every counted version is a marker in the payload")
		require.GreaterOrEqual(t, len(got), tries, "at least one process's worth of updates succeeded")
		slices.Sort(got)
		require.Equal(t, len(got), len(slices.Compact(slices.Clone(got))))

		// The distinct instances, one per child, each updated tries times.
		n := 0
		for s, err := range snaps.All(ctx, snapshot.Unversioned("own")) {
			require.NoError(t, err)
			require.Equal(t, int64(tries), s.Version, s.ID)
			require.Len(t, snapMarkers(s.Payload), tries, s.ID)
			n++
		}
		require.Equal(t, procs, n, "every child had its own instance")
	})
}

func TestRetry(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		snaps := newSnapshots(t, db)
		require.NoError(t, snaps.Create(ctx, &snapshot.Snapshot{ID: "r", ProcessID: "p", Payload: []byte("0")}))

		// A rival writes between our load and our update, twice: apply runs
		// three times and the third result is stored on top of the rival's.
		calls := 0
		s, err := snapshot.Retry(ctx, snaps, "r", 5, func(ctx context.Context, s *snapshot.Snapshot) error {
			calls++
			if calls <= 2 {
				rival, err := snaps.Get(ctx, "r")
				require.NoError(t, err)
				rival.Payload = append(rival.Payload, 'r')
				require.NoError(t, snaps.Update(ctx, rival))
			}
			s.Payload = append(s.Payload, 'm')
			return nil
		})
		require.NoError(t, err)
		require.Equal(t, 3, calls)
		require.Equal(t, "0rrm", string(s.Payload))
		require.Equal(t, int64(3), s.Version)

		// Bounded: a rival that always wins exhausts the attempts.
		calls = 0
		_, err = snapshot.Retry(ctx, snaps, "r", 2, func(ctx context.Context, s *snapshot.Snapshot) error {
			calls++
			_, err := snapshot.Retry(ctx, snaps, "r", 1, func(context.Context, *snapshot.Snapshot) error { return nil })
			return err
		})
		require.ErrorIs(t, err, store.ErrConflict)
		require.Contains(t, err.Error(), "gave up after 2 attempts")
		require.Equal(t, 2, calls)

		// apply's error ends the loop; nothing is written.
		before, _ := snaps.Get(ctx, "r")
		stop := errors.New("stop")
		_, err = snapshot.Retry(ctx, snaps, "r", 0, func(context.Context, *snapshot.Snapshot) error { return stop })
		require.ErrorIs(t, err, stop)
		after, _ := snaps.Get(ctx, "r")
		require.Equal(t, before.Version, after.Version)

		// Context-aware: a cancelled context stops before loading; one
		// cancelled during apply fails the update itself (the wait after a
		// conflict is TestRetryStopsInBackoff's).
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		_, err = snapshot.Retry(cctx, snaps, "r", 3, func(context.Context, *snapshot.Snapshot) error { return nil })
		require.ErrorIs(t, err, context.Canceled)
		cctx, cancel = context.WithCancel(ctx)
		_, err = snapshot.Retry(cctx, snaps, "r", 3, func(ctx context.Context, s *snapshot.Snapshot) error {
			_, err := snapshot.Retry(ctx, snaps, "r", 1, func(context.Context, *snapshot.Snapshot) error { return nil })
			cancel()
			return err
		})
		require.ErrorIs(t, err, context.Canceled)

		// A deleted snapshot ends it with ErrNotFound.
		require.NoError(t, snaps.Delete(ctx, "r"))
		_, err = snapshot.Retry(ctx, snaps, "r", 3, func(context.Context, *snapshot.Snapshot) error { return nil })
		require.ErrorIs(t, err, store.ErrNotFound)
	})
}

// conflictingSnaps is a SnapshotStore whose Update always loses, and
// cancels the caller's context as it does — as if the caller gave up while
// a rival was writing. Only Get and Update are implemented.
type conflictingSnaps struct {
	snapshot.Store
	cancel        context.CancelFunc
	gets, updates int
}

func (f *conflictingSnaps) Get(_ context.Context, id string) (*snapshot.Snapshot, error) {
	f.gets++
	return &snapshot.Snapshot{ID: id, ProcessID: "p", Version: 3, Payload: []byte("x")}, nil
}

func (f *conflictingSnaps) Update(_ context.Context, s *snapshot.Snapshot) error {
	f.updates++
	f.cancel()
	return &store.ConflictError{Table: "process_instances", ID: s.ID, Expected: s.Version, Actual: s.Version + 1}
}

// TestRetryStopsInBackoff: a context cancelled while the update conflicts is
// seen by the wait before the next attempt — Retry neither reloads nor
// applies again, and says which conflict it was waiting on.
func TestRetryStopsInBackoff(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	fake := &conflictingSnaps{cancel: cancel}
	applied := 0
	_, err := snapshot.Retry(ctx, fake, "r", 5, func(context.Context, *snapshot.Snapshot) error {
		applied++
		return nil
	})
	require.ErrorIs(t, err, context.Canceled)
	require.Contains(t, err.Error(), "expected version 3, found 4", "the error names the conflict it was waiting on")
	require.Equal(t, 1, fake.gets, "no reload after the cancel")
	require.Equal(t, 1, fake.updates)
	require.Equal(t, 1, applied)
}

func TestProcessRefString(t *testing.T) {
	require.Equal(t, "p", snapshot.Unversioned("p").String())
	require.Equal(t, "p@"+strconv.Itoa(2), snapshot.Versioned("p", "2").String())
}
