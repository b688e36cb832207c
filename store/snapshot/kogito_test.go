package snapshot_test

import (
	"context"
	"database/sql"
	"encoding/binary"
	"strings"
	"testing"

	"github.com/go-sql-driver/mysql"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/stretchr/testify/require"

	"github.com/flowstore/flowstore/internal/testdb"
	"github.com/flowstore/flowstore/store"
	"github.com/flowstore/flowstore/store/snapshot"
)

// The statements Kogito's JDBC persistence sends, as its repository
// (addons/common/persistence/jdbc, Repository.java and GenericRepository.java
// of apache/incubator-kie-kogito-runtimes @ c8326cb) writes them: '?'
// markers, which the JDBC drivers number as the server wants (Rebind here),
// and a process-version clause appended to the scoped ones.
const (
	kInsert            = "INSERT INTO process_instances (id, payload, process_id, process_version, version) VALUES (?, ?, ?, ?, ?)"
	kInsertBusinessKey = "INSERT INTO business_key_mapping (business_key,process_instance_id) VALUES (?,?)"
	kFindAll           = "SELECT payload, version FROM process_instances WHERE process_id = ?"
	kFindByID          = "SELECT payload, version FROM process_instances WHERE process_id = ? and id = ?"
	kFindByBusinessKey = "SELECT payload, version FROM process_instances INNER JOIN business_key_mapping ON id = process_instance_id WHERE business_key = ? and process_id = ?"
	kUpdate            = "UPDATE process_instances SET payload = ? WHERE process_id = ? and id = ?"
	kUpdateWithLock    = "UPDATE process_instances SET payload = ?, version = ? WHERE process_id = ? and id = ? and version = ?"
	kDelete            = "DELETE FROM process_instances WHERE process_id = ? and id = ?"
	kVersionEquals     = "and process_version = ?"
	kVersionIsNull     = "and process_version is null"
	kMigrateBulk       = "UPDATE process_instances SET process_id = ?, process_version = ? WHERE process_id = ? "
	kFindWaiting       = "SELECT payload, version FROM event_types, process_instances WHERE process_instances.id = event_types.process_instance_id AND process_id = ? AND event_type = ?"
	kDeleteEventTypes  = "DELETE FROM event_types WHERE process_instance_id = ?"
	kInsertEventType   = "INSERT INTO event_types (process_instance_id, event_type) VALUES(?,?)"
)

// kogito plays Kogito's JDBC repository on a database: its statements, its
// binds, its order of statements, each create/update/delete in one
// transaction (Kogito's runs in the surrounding JTA transaction).
//
// On PostgreSQL it is a connection of its own that binds as pgjdbc does:
// setString as varchar (parameter type OID 1043), setBytes as bytea (17),
// setLong as int8 (20), where flowstore's pool leaves parameter types for
// the server to infer. Elsewhere it binds strings, bytes and int64s through
// database/sql, as the JDBC drivers send them.
type kogito struct {
	t  testing.TB
	db *store.DB
	pg *pgconn.PgConn
	tx *sql.Tx
}

func newKogito(t testing.TB, db *store.DB) *kogito {
	t.Helper()
	return newKogitoDSN(t, db, testdb.DSN(t, db))
}

// newKogitoDSN is newKogito for a database opened from dsn.
func newKogitoDSN(t testing.TB, db *store.DB, dsn string) *kogito {
	t.Helper()
	k := &kogito{t: t, db: db}
	if db.SQLDialect().Name() == store.Postgres {
		conn, err := pgconn.Connect(context.Background(), dsn)
		require.NoError(t, err)
		t.Cleanup(func() { _ = conn.Close(context.Background()) })
		k.pg = conn
	}
	return k
}

// scoped appends Kogito's process-version clause: the version is bound
// last, and a nil version matches only NULL.
func scoped(stmt string, p snapshot.ProcessRef, args ...any) (string, []any) {
	if p.Version == nil {
		return stmt + " " + kVersionIsNull, args
	}
	return stmt + " " + kVersionEquals, append(args, *p.Version)
}

func version(p snapshot.ProcessRef) any {
	if p.Version == nil {
		return nil // setString(4, null)
	}
	return *p.Version
}

// inTx runs fn in a transaction and commits it, or rolls it back and
// returns fn's error.
func (k *kogito) inTx(fn func() error) error {
	ctx := context.Background()
	if k.pg != nil {
		_, err := k.pg.Exec(ctx, "BEGIN").ReadAll()
		require.NoError(k.t, err)
		if err := fn(); err != nil {
			_, rerr := k.pg.Exec(ctx, "ROLLBACK").ReadAll()
			require.NoError(k.t, rerr)
			return err
		}
		_, err = k.pg.Exec(ctx, "COMMIT").ReadAll()
		return err
	}
	tx, err := k.db.SQL().BeginTx(ctx, nil)
	require.NoError(k.t, err)
	k.tx = tx
	defer func() { k.tx = nil }()
	if err := fn(); err != nil {
		require.NoError(k.t, tx.Rollback())
		return err
	}
	return tx.Commit()
}

// exec runs one statement and returns the rows it affected.
func (k *kogito) exec(stmt string, args ...any) (int64, error) {
	ctx := context.Background()
	stmt = k.db.SQLDialect().Rebind(stmt)
	if k.pg != nil {
		vals, oids, formats := k.pgParams(args)
		tag, err := k.pg.ExecParams(ctx, stmt, vals, oids, formats, nil).Close()
		return tag.RowsAffected(), err
	}
	var q store.Querier = k.db.SQL()
	if k.tx != nil {
		q = k.tx
	}
	res, err := q.ExecContext(ctx, stmt, args...)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// kogitoRecord is a row as Kogito reads it: getBytes("payload"),
// getLong("version") — a NULL version reads as 0.
type kogitoRecord struct {
	Payload []byte
	Version int64
}

// records runs one of Kogito's SELECT payload, version statements.
func (k *kogito) records(stmt string, args ...any) []kogitoRecord {
	k.t.Helper()
	ctx := context.Background()
	stmt = k.db.SQLDialect().Rebind(stmt)
	var out []kogitoRecord
	if k.pg != nil {
		vals, oids, formats := k.pgParams(args)
		rr := k.pg.ExecParams(ctx, stmt, vals, oids, formats, []int16{1, 1}) // binary results, as pgjdbc reads bytea and int8
		for rr.NextRow() {
			v := rr.Values()
			r := kogitoRecord{Payload: append([]byte{}, v[0]...)}
			if v[1] != nil {
				r.Version = int64(binary.BigEndian.Uint64(v[1]))
			}
			out = append(out, r)
		}
		_, err := rr.Close()
		require.NoError(k.t, err)
		return out
	}
	rows, err := k.db.SQL().QueryContext(ctx, stmt, args...)
	require.NoError(k.t, err)
	defer rows.Close()
	for rows.Next() {
		var (
			r kogitoRecord
			v sql.NullInt64
		)
		require.NoError(k.t, rows.Scan(&r.Payload, &v))
		r.Version = v.Int64
		out = append(out, r)
	}
	require.NoError(k.t, rows.Err())
	return out
}

// pgParams binds args as pgjdbc does.
func (k *kogito) pgParams(args []any) (vals [][]byte, oids []uint32, formats []int16) {
	for _, a := range args {
		switch v := a.(type) {
		case string:
			vals, oids, formats = append(vals, []byte(v)), append(oids, 1043), append(formats, 0)
		case nil:
			vals, oids, formats = append(vals, nil), append(oids, 1043), append(formats, 0)
		case []byte:
			vals, oids, formats = append(vals, v), append(oids, 17), append(formats, 1)
		case int64:
			vals, oids, formats = append(vals, binary.BigEndian.AppendUint64(nil, uint64(v))), append(oids, 20), append(formats, 1)
		default:
			k.t.Fatalf("kogito: no JDBC bind for %T", a)
		}
	}
	return vals, oids, formats
}

// create is Kogito's insertInternal: the instance's event types first —
// deleting any left for its id, then one INSERT each — then the instance
// with version 0, then its business key, in one transaction.
func (k *kogito) create(p snapshot.ProcessRef, id string, payload []byte, businessKey string, eventTypes ...string) error {
	return k.inTx(func() error {
		if _, err := k.exec(kDeleteEventTypes, id); err != nil {
			return err
		}
		for _, et := range eventTypes {
			if _, err := k.exec(kInsertEventType, id, et); err != nil {
				return err
			}
		}
		if _, err := k.exec(kInsert, id, payload, p.ID, version(p), int64(0)); err != nil {
			return err
		}
		if businessKey != "" {
			_, err := k.exec(kInsertBusinessKey, businessKey, id)
			return err
		}
		return nil
	})
}

// updateWithLock is Kogito's updateWithLock (optimistic locking on): it
// replaces the event types, then writes payload and version+1 where the row
// still has version; false is Kogito's
// ProcessInstanceOptimisticLockingException.
func (k *kogito) updateWithLock(p snapshot.ProcessRef, id string, payload []byte, version int64, eventTypes ...string) bool {
	var n int64
	require.NoError(k.t, k.inTx(func() error {
		if err := k.replaceEventTypes(id, eventTypes); err != nil {
			return err
		}
		stmt, args := scoped(kUpdateWithLock, p, payload, version+1, p.ID, id, version)
		var err error
		n, err = k.exec(stmt, args...)
		return err
	}))
	return n == 1
}

// update is Kogito's updateInternal (optimistic locking off): the version
// stays as it is.
func (k *kogito) update(p snapshot.ProcessRef, id string, payload []byte, eventTypes ...string) {
	require.NoError(k.t, k.inTx(func() error {
		if err := k.replaceEventTypes(id, eventTypes); err != nil {
			return err
		}
		stmt, args := scoped(kUpdate, p, payload, p.ID, id)
		_, err := k.exec(stmt, args...)
		return err
	}))
}

func (k *kogito) replaceEventTypes(id string, eventTypes []string) error {
	if _, err := k.exec(kDeleteEventTypes, id); err != nil {
		return err
	}
	for _, et := range eventTypes {
		if _, err := k.exec(kInsertEventType, id, et); err != nil {
			return err
		}
	}
	return nil
}

// remove is Kogito's deleteInternal: the event types, then the instance;
// the business key goes by the schema's cascade.
func (k *kogito) remove(p snapshot.ProcessRef, id string) bool {
	var n int64
	require.NoError(k.t, k.inTx(func() error {
		if _, err := k.exec(kDeleteEventTypes, id); err != nil {
			return err
		}
		stmt, args := scoped(kDelete, p, p.ID, id)
		var err error
		n, err = k.exec(stmt, args...)
		return err
	}))
	return n == 1
}

func (k *kogito) findByID(p snapshot.ProcessRef, id string) []kogitoRecord {
	stmt, args := scoped(kFindByID, p, p.ID, id)
	return k.records(stmt, args...)
}

func (k *kogito) findByBusinessKey(p snapshot.ProcessRef, key string) []kogitoRecord {
	stmt, args := scoped(kFindByBusinessKey, p, key, p.ID)
	return k.records(stmt, args...)
}

func (k *kogito) waitingFor(p snapshot.ProcessRef, eventType string) []kogitoRecord {
	stmt, args := scoped(kFindWaiting, p, p.ID, eventType)
	return k.records(stmt, args...)
}

func (k *kogito) findAll(p snapshot.ProcessRef) []kogitoRecord {
	stmt, args := scoped(kFindAll, p, p.ID)
	return k.records(stmt, args...)
}

func (k *kogito) migrateAll(from, to snapshot.ProcessRef) int64 {
	stmt, args := scoped(kMigrateBulk, from, to.ID, version(to), from.ID)
	n, err := k.exec(stmt, args...)
	require.NoError(k.t, err)
	return n
}

// mysqlFKStatement is the statement package snapshot's documentation tells
// MySQL/MariaDB users to run once by hand before Kogito writes to the
// database (migration 0041 cannot drop the key there; see its file).
const mysqlFKStatement = "ALTER TABLE `event_types` DROP FOREIGN KEY `event_types_process_instance_id_fkey`"

// allowKogitoInsertOrder makes sure Kogito's create can run. Everywhere but
// MySQL/MariaDB, migration 0041 dropped the foreign key from event_types to
// process_instances that refused Kogito's order. On MySQL/MariaDB the key is
// still there — the test checks that it refuses Kogito's create, the
// documented limitation — and the documented statement removes it.
func allowKogitoInsertOrder(t *testing.T, db *store.DB, k *kogito) {
	t.Helper()
	if db.SQLDialect().Name() != store.MySQL {
		return
	}
	const probe = "00000000-0000-4000-8000-0000000000ff"
	err := k.create(snapshot.Unversioned("probe"), probe, []byte("p"), "", "probe")
	var me *mysql.MySQLError
	require.ErrorAs(t, err, &me, "MySQL: the foreign key refuses Kogito's insert order")
	require.Equal(t, uint16(1452), me.Number, "a foreign key constraint fails: %v", err)
	require.Zero(t, snapRawCount(t, db, `SELECT COUNT(*) FROM event_types WHERE process_instance_id = ?`, probe))
	_, err = db.SQL().ExecContext(context.Background(), mysqlFKStatement)
	require.NoError(t, err)
}

// TestKogitoWritesFlowstoreReads plays Kogito on every live dialect: its
// create (event types before the instance, in one transaction), its updates
// with and without optimistic locking, its delete — each read back by the
// store, whose own compare-and-swap agrees with Kogito's versions.
func TestKogitoWritesFlowstoreReads(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		snaps := newSnapshots(t, db, snapshot.WithPageSize(2))
		k := newKogito(t, db)
		allowKogitoInsertOrder(t, db, k)
		for i, p := range []snapshot.ProcessRef{snapshot.Versioned("orders", "1.0"), snapshot.Unversioned("orders")} {
			id := []string{"0b9f3c1e-7d2a-4e5b-8c6d-9e0f1a2b3c4d", "1c0a4d2f-8e3b-4f6c-9d7e-0f1a2b3c4d5e"}[i]
			key := []string{"ORDER-17", "ORDER-18"}[i]
			require.NoError(t, k.create(p, id, []byte("\x08\x01proto-0"), key, "paid", "shipped"), "Kogito's create")

			got, err := snaps.Get(ctx, id)
			require.NoError(t, err)
			require.Equal(t, snapshot.Snapshot{ID: id, ProcessID: p.ID, ProcessVersion: p.Version, Payload: []byte("\x08\x01proto-0")}, *got)
			info, err := snaps.Stat(ctx, id)
			require.NoError(t, err)
			require.Equal(t, key, info.BusinessKey)
			require.Equal(t, []string{"paid", "shipped"}, info.EventTypes)
			byKey, err := snaps.FindByBusinessKey(ctx, p, key)
			require.NoError(t, err)
			require.Equal(t, id, byKey.ID)
			require.Equal(t, []string{id}, snapWaiting(t, snaps, p, "paid"))
			n, err := snaps.Count(ctx, p)
			require.NoError(t, err)
			require.Equal(t, int64(1), n)

			// Kogito's locked update: version 0 → 1, event types replaced.
			require.True(t, k.updateWithLock(p, id, []byte("proto-1"), 0, "shipped"))
			require.Nil(t, snapWaiting(t, snaps, p, "paid"))
			require.Equal(t, []string{id}, snapWaiting(t, snaps, p, "shipped"))
			stale := got
			stale.Payload = []byte("flowstore-stale")
			err = snaps.Update(ctx, stale)
			var ce *store.ConflictError
			require.ErrorAs(t, err, &ce)
			require.Equal(t, store.ConflictError{Table: "process_instances", ID: id, Expected: 0, Actual: 1}, *ce)
			got, err = snaps.Get(ctx, id)
			require.NoError(t, err)
			require.Equal(t, int64(1), got.Version)
			require.Equal(t, []byte("proto-1"), got.Payload)
			got.Payload = []byte("flowstore-2")
			require.NoError(t, snaps.Update(ctx, got))
			require.Equal(t, int64(2), got.Version)
			// … and Kogito, holding version 1, now loses, as flowstore did.
			require.False(t, k.updateWithLock(p, id, []byte("proto-lost"), 1))
			require.Equal(t, []kogitoRecord{{[]byte("flowstore-2"), 2}}, k.findByID(p, id))

			// Kogito's unlocked update keeps the version.
			k.update(p, id, []byte("proto-3"), "refunded")
			got, err = snaps.Get(ctx, id)
			require.NoError(t, err)
			require.Equal(t, int64(2), got.Version)
			require.Equal(t, []byte("proto-3"), got.Payload)
			info, err = snaps.Stat(ctx, id)
			require.NoError(t, err)
			require.Equal(t, []string{"refunded"}, info.EventTypes)

			// Kogito's delete: event types, then the instance; the business
			// key goes by cascade.
			require.True(t, k.remove(p, id))
			ok, err := snaps.Exists(ctx, id)
			require.NoError(t, err)
			require.False(t, ok)
			_, err = snaps.FindByBusinessKey(ctx, p, key)
			require.ErrorIs(t, err, store.ErrNotFound)
			require.Zero(t, snapRawCount(t, db, `SELECT COUNT(*) FROM event_types`))
			require.Zero(t, snapRawCount(t, db, `SELECT COUNT(*) FROM business_key_mapping`))
		}
	})
}

// TestKogitoReadsWhatFlowstoreWrites: rows the store writes read back
// exactly as Kogito reads them — payload bytes, version, business key,
// waiting event types, process definition scope — and Kogito's own locked
// update agrees with the store's versions.
func TestKogitoReadsWhatFlowstoreWrites(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		snaps := newSnapshots(t, db)
		k := newKogito(t, db)
		for i, p := range []snapshot.ProcessRef{snapshot.Versioned("loans", "3"), snapshot.Unversioned("loans")} {
			id := []string{"2d1b5e3a-9f4c-4a7d-8e8f-1a2b3c4d5e6f", "3e2c6f4b-0a5d-4b8e-9f9a-2b3c4d5e6f70"}[i]
			key := []string{"LOAN-1", "LOAN-2"}[i]
			payload := []byte{0x0a, 0x00, 0xff, 'k'}
			s := &snapshot.Snapshot{ID: id, ProcessID: p.ID, ProcessVersion: p.Version, Payload: payload, BusinessKey: key, EventTypes: []string{"approved", "rejected"}}
			require.NoError(t, snaps.Create(ctx, s))

			want := []kogitoRecord{{payload, 0}}
			require.Equal(t, want, k.findByID(p, id))
			require.Equal(t, want, k.findByBusinessKey(p, key))
			require.Equal(t, want, k.waitingFor(p, "approved"))
			require.Equal(t, want, k.waitingFor(p, "rejected"))
			require.Equal(t, want, k.findAll(p))
			other := snapshot.Versioned("loans", "4")
			require.Nil(t, k.findByID(other, id), "scoped by process version, as Kogito scopes")

			s.Payload = []byte("v1")
			s.EventTypes = []string{"approved"}
			require.NoError(t, snaps.Update(ctx, s))
			require.Equal(t, []kogitoRecord{{[]byte("v1"), 1}}, k.findByID(p, id))
			require.Nil(t, k.waitingFor(p, "rejected"))
			require.False(t, k.updateWithLock(p, id, []byte("kogito-stale"), 0))
			require.True(t, k.updateWithLock(p, id, []byte("kogito-2"), 1, "approved"))
			require.Equal(t, []kogitoRecord{{[]byte("kogito-2"), 2}}, k.findByID(p, id))
			s.Payload = []byte("unchecked")
			require.NoError(t, snaps.UpdateUnchecked(ctx, s))
			require.Equal(t, []kogitoRecord{{[]byte("unchecked"), 3}}, k.findByID(p, id))

			// Moved by the store, found by Kogito under the new definition;
			// moved back by Kogito, found by the store.
			to := snapshot.Versioned("loans-ng", "1")
			n, err := snaps.MigrateInstances(ctx, p, to)
			require.NoError(t, err)
			require.Equal(t, int64(1), n)
			require.Equal(t, []kogitoRecord{{[]byte("unchecked"), 3}}, k.findByID(to, id))
			require.Equal(t, int64(1), k.migrateAll(to, p))
			ids, err := snaps.IDs(ctx, p)
			require.NoError(t, err)
			require.Equal(t, []string{id}, ids)

			require.NoError(t, snaps.Delete(ctx, id))
			require.Nil(t, k.findByID(p, id))
			require.Nil(t, k.findByBusinessKey(p, key))
			require.Nil(t, k.waitingFor(p, "approved"))
			require.Zero(t, snapRawCount(t, db, `SELECT COUNT(*) FROM event_types`))
		}
	})
}

// TestKogitoInsertOrderInOneTransaction is the regression test of the
// foreign key: Kogito's create inserts event types before the instance, in
// one transaction, and the schema must take that order (Kogito's own has no
// such key). A store session sees the result at once, and a create whose
// instance insert fails leaves nothing behind.
func TestKogitoInsertOrderInOneTransaction(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		snaps := newSnapshots(t, db)
		k := newKogito(t, db)
		if db.SQLDialect().Name() == store.MySQL {
			err := k.create(snapshot.Unversioned("p"), "4f3d7a5c-1b6e-4c9f-8a0b-3c4d5e6f7081", []byte("x"), "", "paid")
			require.Error(t, err, "MySQL/MariaDB keep the foreign key until the documented statement runs")
			allowKogitoInsertOrder(t, db, k)
		}
		p := snapshot.Unversioned("p")
		const id = "4f3d7a5c-1b6e-4c9f-8a0b-3c4d5e6f7081"
		require.NoError(t, k.create(p, id, []byte("x"), "K-1", "paid", "late"))
		require.Equal(t, []string{id}, snapWaiting(t, snaps, p, "late"))

		// The same id again: the instance insert fails after the event
		// types went in; the transaction takes them back.
		err := k.create(p, id, []byte("y"), "", "other")
		require.Error(t, err)
		require.Nil(t, snapWaiting(t, snaps, p, "other"))
		info, err := snaps.Stat(ctx, id)
		require.NoError(t, err)
		require.Equal(t, []string{"late", "paid"}, info.EventTypes)
	})
}

// TestCreateDropsLeftoverEventTypes: without a transaction a failed Kogito
// create leaves event types of an id that has no instance. Create, like
// Kogito's, deletes them, so the new instance does not wait for them; the
// store's Delete removes event types itself.
func TestCreateDropsLeftoverEventTypes(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		snaps := newSnapshots(t, db)
		k := newKogito(t, db)
		allowKogitoInsertOrder(t, db, k)
		const id = "5a4e8b6d-2c7f-4d0a-9b1c-4d5e6f708192"
		_, err := k.exec(kInsertEventType, id, "stale") // a create that stopped here
		require.NoError(t, err)
		p := snapshot.Unversioned("p")
		for _, events := range [][]string{nil, {"fresh"}} {
			require.NoError(t, snaps.Create(ctx, &snapshot.Snapshot{ID: id, ProcessID: p.ID, Payload: []byte("x"), EventTypes: events}))
			require.Nil(t, snapWaiting(t, snaps, p, "stale"))
			info, err := snaps.Stat(ctx, id)
			require.NoError(t, err)
			require.Equal(t, snapNilIfEmpty(events), info.EventTypes)
			require.NoError(t, snaps.Delete(ctx, id))
			require.Zero(t, snapRawCount(t, db, `SELECT COUNT(*) FROM event_types`))
			_, err = k.exec(kInsertEventType, id, "stale")
			require.NoError(t, err)
		}
		// A duplicate create deletes nothing of the live instance.
		require.NoError(t, snaps.Create(ctx, &snapshot.Snapshot{ID: id, ProcessID: p.ID, Payload: []byte("x"), EventTypes: []string{"live"}}))
		require.ErrorIs(t, snaps.Create(ctx, &snapshot.Snapshot{ID: id, ProcessID: p.ID, Payload: []byte("y")}), store.ErrDuplicate)
		require.Equal(t, []string{id}, snapWaiting(t, snaps, p, "live"))
	})
}

// TestBusinessKeysReadTrimmed: Kogito's business_key_mapping.business_key is
// char(255) on PostgreSQL, so its values come back padded with blanks.
// flowstore reads them trimmed, finds a padded row by the trimmed key, and
// refuses a key ending with a blank, which such a column could not keep
// (on writes and lookups alike).
func TestBusinessKeysReadTrimmed(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		snaps := newSnapshots(t, db)
		p := snapshot.Versioned("orders", "1")
		const id = "6b5f9c7e-3d80-4e1b-8c2d-5e6f708192a3"
		require.NoError(t, snaps.Create(ctx, &snapshot.Snapshot{ID: id, ProcessID: p.ID, ProcessVersion: p.Version, Payload: []byte("x")}))
		// The row as a char(255) column holds it (written raw: on a VARCHAR
		// column the padding stays, as in a column converted from CHAR).
		padded := "ORDER-ü" + strings.Repeat(" ", 255-len([]rune("ORDER-ü")))
		_, err := db.SQL().ExecContext(ctx, db.SQLDialect().Rebind(`INSERT INTO business_key_mapping (business_key, process_instance_id) VALUES (?, ?)`), padded, id)
		require.NoError(t, err)

		info, err := snaps.Stat(ctx, id)
		require.NoError(t, err)
		require.Equal(t, "ORDER-ü", info.BusinessKey)
		got, err := snaps.FindByBusinessKey(ctx, p, "ORDER-ü")
		require.NoError(t, err)
		require.Equal(t, id, got.ID)
		require.Equal(t, "ORDER-ü", got.BusinessKey)

		for _, key := range []string{"K ", " "} {
			err = snaps.Create(ctx, &snapshot.Snapshot{ID: "7c", ProcessID: p.ID, Payload: []byte("x"), BusinessKey: key})
			require.ErrorIs(t, err, store.ErrInvalid)
			require.Contains(t, err.Error(), "ends with a blank")
			_, err = snaps.FindByBusinessKey(ctx, p, key)
			require.ErrorIs(t, err, store.ErrInvalid)
		}
		_, err = snaps.FindByBusinessKey(ctx, p, "")
		require.ErrorIs(t, err, store.ErrInvalid)
		require.Equal(t, 1, snapRawCount(t, db, `SELECT COUNT(*) FROM process_instances`))
	})
}
