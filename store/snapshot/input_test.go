package snapshot_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/flowstore/flowstore/internal/testdb"
	"github.com/flowstore/flowstore/store"
	"github.com/flowstore/flowstore/store/snapshot"
)

// TestNilContextRefused: every method of the Store, and Retry, refuses a
// nil context with store.ErrInvalid instead of panicking inside
// database/sql (whose recovered panic leaves the pool locked); the pool
// works afterwards.
func TestNilContextRefused(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		snaps := newSnapshots(t, db)
		require.Equal(t, 13, testdb.RefusesNilContext(t, snaps))
		require.NoError(t, db.InTx(context.Background(), func(_ context.Context, s *store.Session) error {
			require.Equal(t, 13, testdb.RefusesNilContext(t, snaps.WithTx(s)))
			return nil
		}))

		//nolint:staticcheck // a nil context is the point
		_, err := snapshot.Retry(nil, snaps, "x", 1, func(context.Context, *snapshot.Snapshot) error { return nil })
		require.ErrorIs(t, err, store.ErrInvalid)
		require.EqualError(t, err, "snapshot: retry x: invalid input: nil context (use context.Background() or context.TODO())")
		_, err = snapshot.Retry(context.Background(), nil, "x", 1, func(context.Context, *snapshot.Snapshot) error { return nil })
		require.ErrorIs(t, err, store.ErrInvalid)
		_, err = snapshot.Retry(context.Background(), snaps, "x", 1, nil)
		require.ErrorIs(t, err, store.ErrInvalid)

		ctx := context.Background()
		require.NoError(t, snaps.Create(ctx, &snapshot.Snapshot{ID: "after", ProcessID: "p", Payload: []byte("x")}))
		ok, err := snaps.Exists(ctx, "after")
		require.NoError(t, err)
		require.True(t, ok)
	})
}

// badTexts are values no dialect stores exactly: a NUL, invalid UTF-8.
var badTexts = map[string]string{"NUL": "a\x00b", "invalid UTF-8": "a\xffb"}

// TestTextRuleOnWritesAndLookups is the regression test of issue 14 for the
// snapshot store: text with a NUL or invalid UTF-8 — in an id, a process id
// or version, a business key, an event type — is store.ErrInvalid before
// anything is written, on every dialect, and so is such a value a read
// looks up (before, SQLite and MariaDB answered "not found" and PostgreSQL an
// unclassified SQLSTATE 22021). A value too long for its column is
// store.ErrTooLong on lookups as on writes, and ids or business keys that
// end with a blank, which Kogito's CHAR columns cannot keep, are
// store.ErrInvalid.
func TestTextRuleOnWritesAndLookups(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		snaps := newSnapshots(t, db)
		const id = "7d6a0b8c-4e91-4f2c-8d3e-6f708192a3b4"
		p := snapshot.Versioned("p", "1")
		live := &snapshot.Snapshot{ID: id, ProcessID: p.ID, ProcessVersion: p.Version, Payload: []byte("x"), BusinessKey: "K", EventTypes: []string{"e"}}
		require.NoError(t, snaps.Create(ctx, live))

		check := func(t *testing.T, want error, bad string) {
			t.Helper()
			badRef := snapshot.Versioned(bad, "1")
			badVersion := snapshot.Versioned("p", bad)
			calls := map[string]error{
				"create id":            snaps.Create(ctx, &snapshot.Snapshot{ID: bad, ProcessID: "p", Payload: []byte("x")}),
				"create process id":    snaps.Create(ctx, &snapshot.Snapshot{ID: "n1", ProcessID: bad, Payload: []byte("x")}),
				"create version":       snaps.Create(ctx, &snapshot.Snapshot{ID: "n2", ProcessID: "p", ProcessVersion: &bad, Payload: []byte("x")}),
				"create business key":  snaps.Create(ctx, &snapshot.Snapshot{ID: "n3", ProcessID: "p", Payload: []byte("x"), BusinessKey: bad}),
				"create event type":    snaps.Create(ctx, &snapshot.Snapshot{ID: "n4", ProcessID: "p", Payload: []byte("x"), EventTypes: []string{"ok", bad}}),
				"update id":            snaps.Update(ctx, &snapshot.Snapshot{ID: bad, Payload: []byte("y")}),
				"update event type":    snaps.Update(ctx, &snapshot.Snapshot{ID: id, Payload: []byte("y"), EventTypes: []string{bad}}),
				"unchecked id":         snaps.UpdateUnchecked(ctx, &snapshot.Snapshot{ID: bad, Payload: []byte("y")}),
				"unchecked event type": snaps.UpdateUnchecked(ctx, &snapshot.Snapshot{ID: id, Payload: []byte("y"), EventTypes: []string{bad}}),
				"delete":               snaps.Delete(ctx, bad),
			}
			_, calls["get"] = snaps.Get(ctx, bad)
			_, calls["exists"] = snaps.Exists(ctx, bad)
			_, calls["stat"] = snaps.Stat(ctx, bad)
			_, calls["ids"] = snaps.IDs(ctx, badRef)
			_, calls["ids version"] = snaps.IDs(ctx, badVersion)
			_, calls["count"] = snaps.Count(ctx, badRef)
			_, calls["count version"] = snaps.Count(ctx, badVersion)
			_, calls["find by key, process"] = snaps.FindByBusinessKey(ctx, badRef, "K")
			_, calls["find by key, key"] = snaps.FindByBusinessKey(ctx, p, bad)
			_, calls["migrate from"] = snaps.MigrateInstances(ctx, badRef, snapshot.Unversioned("q"))
			_, calls["migrate to"] = snaps.MigrateInstances(ctx, p, snapshot.Versioned("q", bad))
			_, calls["migrate ids"] = snaps.MigrateInstances(ctx, p, snapshot.Unversioned("q"), id, bad)
			calls["all"] = firstErr(snaps.All(ctx, badRef))
			calls["waiting, process"] = firstErr(snaps.WaitingForEventType(ctx, badVersion, "e"))
			calls["waiting, event type"] = firstErr(snaps.WaitingForEventType(ctx, p, bad))
			for name, err := range calls {
				require.ErrorIs(t, err, want, name)
				require.True(t, strings.HasPrefix(err.Error(), "snapshot: "), "%s: %v", name, err)
			}
			// Nothing was written, and the live instance is as it was.
			require.Equal(t, 1, snapRawCount(t, db, `SELECT COUNT(*) FROM process_instances`))
			require.Equal(t, 1, snapRawCount(t, db, `SELECT COUNT(*) FROM business_key_mapping`))
			require.Equal(t, 1, snapRawCount(t, db, `SELECT COUNT(*) FROM event_types`))
			got, err := snaps.Get(ctx, id)
			require.NoError(t, err)
			require.Equal(t, int64(0), got.Version)
			require.Equal(t, []byte("x"), got.Payload)
			require.Equal(t, []string{id}, snapWaiting(t, snaps, p, "e"))
		}
		for name, bad := range badTexts {
			t.Run(name, func(t *testing.T) { check(t, store.ErrInvalid, bad) })
		}

		// Lookups refuse what writes refuse: no id, an id too long or
		// ending with a blank, an empty process id, event type or key.
		_, err := snaps.Get(ctx, "")
		require.ErrorIs(t, err, store.ErrInvalid)
		_, err = snaps.Get(ctx, strings.Repeat("x", 37))
		require.ErrorIs(t, err, store.ErrTooLong)
		_, err = snaps.Exists(ctx, "x ")
		require.ErrorIs(t, err, store.ErrInvalid)
		err = snaps.Create(ctx, &snapshot.Snapshot{ID: "x ", ProcessID: "p"})
		require.ErrorIs(t, err, store.ErrInvalid)
		require.Contains(t, err.Error(), "process_instances.id ends with a blank")
		_, err = snaps.Count(ctx, snapshot.Unversioned(""))
		require.ErrorIs(t, err, store.ErrInvalid)
		require.ErrorIs(t, firstErr(snaps.WaitingForEventType(ctx, p, "")), store.ErrInvalid)
		_, err = snaps.FindByBusinessKey(ctx, p, strings.Repeat("k", 256))
		require.ErrorIs(t, err, store.ErrTooLong)
		require.ErrorIs(t, firstErr(snaps.WaitingForEventType(ctx, p, strings.Repeat("e", 257))), store.ErrTooLong)
		require.Equal(t, 1, snapRawCount(t, db, `SELECT COUNT(*) FROM process_instances`))

		// A refused value reads in the message as Go would quote it.
		_, err = snaps.Get(ctx, "a\x00b")
		require.EqualError(t, err, `snapshot: get "a\x00b": invalid input: process_instances.id holds a NUL character (at byte 1), which the database cannot store`)
	})
}

// firstErr is the error an iterator yields first, or one saying it yielded
// none.
func firstErr(seq func(func(*snapshot.Snapshot, error) bool)) error {
	var first error
	for _, err := range seq {
		if err != nil {
			first = err
			break
		}
	}
	if first == nil {
		return errors.New("no error")
	}
	return first
}
