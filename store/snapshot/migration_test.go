package snapshot_test

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/flowstore/flowstore/internal/testdb"
	"github.com/flowstore/flowstore/store"
	"github.com/flowstore/flowstore/store/correlation"
	"github.com/flowstore/flowstore/store/snapshot"
)

// before0041 puts a migrated database back in the state migration 0041
// found in databases earlier flowstores made: correlation_instances.
// correlation json on PostgreSQL, and everywhere the foreign key from
// event_types to process_instances (on SQLite, a table created with it, as
// migration 0001 creates it). MySQL/MariaDB, where 0041 changes nothing yet,
// are in that state already.
var before0041 = map[store.DialectName][]string{
	store.Postgres: {
		`ALTER TABLE "correlation_instances" ALTER COLUMN "correlation" TYPE JSON USING "correlation"::json`,
		`ALTER TABLE "event_types" ADD CONSTRAINT "event_types_process_instance_id_fkey" FOREIGN KEY ("process_instance_id") REFERENCES "process_instances" ("id") ON DELETE CASCADE`,
	},
	store.SQLite: {
		`DROP TABLE "event_types"`,
		`CREATE TABLE "event_types" (
    "process_instance_id" TEXT NOT NULL CONSTRAINT "event_types_process_instance_id_len" CHECK (length("process_instance_id") <= 36),
    "event_type" TEXT NOT NULL CONSTRAINT "event_types_event_type_len" CHECK (length("event_type") <= 256),
    CONSTRAINT "event_types_pkey" PRIMARY KEY ("process_instance_id", "event_type"),
    CONSTRAINT "event_types_process_instance_id_fkey" FOREIGN KEY ("process_instance_id") REFERENCES "process_instances" ("id") ON DELETE CASCADE
)`,
		`CREATE INDEX "idx_event_types_event_type" ON "event_types" ("event_type", "process_instance_id")`,
	},
}

// TestMigration0041KeepsRows: migration 0041 converts a database an earlier
// flowstore wrote, with rows in it: every row stays (the correlation JSON
// with its exact text), the correlation column is text Kogito can bind a
// string to, event_types loses its foreign key — Kogito's insert order then
// works — and keeps its key, length checks and index.
func TestMigration0041KeepsRows(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		d := db.SQLDialect()
		for _, stmt := range before0041[d.Name()] {
			_, err := db.SQL().ExecContext(ctx, stmt)
			require.NoError(t, err, stmt)
		}
		snaps := newSnapshots(t, db)
		corr, err := correlation.New(db)
		require.NoError(t, err)
		p := snapshot.Versioned("orders", "1")
		const id = "8e7b1c9d-5f02-4a3d-9e4f-708192a3b4c5"
		require.NoError(t, snaps.Create(ctx, &snapshot.Snapshot{ID: id, ProcessID: p.ID, ProcessVersion: p.Version, Payload: []byte("kept"), BusinessKey: "B-1", EventTypes: []string{"paid", "shipped"}}))
		c, err := corr.Create(ctx, id, correlation.Part{Key: "orderId", Value: "ü 42"})
		require.NoError(t, err)
		// A row written with other spacing: json keeps its text, and so
		// must the conversion.
		const spaced = `{"key": "customer",  "value": [ {"key": "customer", "value": "ann"} ]}`
		_, err = db.SQL().ExecContext(ctx, d.Rebind(`INSERT INTO correlation_instances (id, encoded_correlation_id, correlated_id, correlation) VALUES (?, ?, ?, ?)`),
			"9f8c2d0e-6013-4b4e-8f50-8192a3b4c5d6", correlation.Encode(correlation.Part{Key: "customer", Value: "ann"}), "other", spaced)
		require.NoError(t, err)

		_, err = db.SQL().ExecContext(ctx, `DELETE FROM flowstore_migrations WHERE version = 41`)
		require.NoError(t, err)
		require.NoError(t, db.Migrate(ctx))
		v, err := db.SchemaVersion(ctx)
		require.NoError(t, err)
		require.Equal(t, store.LatestSchemaVersion(), v)

		got, err := snaps.Get(ctx, id)
		require.NoError(t, err)
		require.Equal(t, []byte("kept"), got.Payload)
		info, err := snaps.Stat(ctx, id)
		require.NoError(t, err)
		require.Equal(t, []string{"paid", "shipped"}, info.EventTypes)
		require.Equal(t, "B-1", info.BusinessKey)
		require.Equal(t, []string{id}, snapWaiting(t, snaps, p, "paid"))
		found, err := corr.FindByEncodedID(ctx, c.EncodedID)
		require.NoError(t, err)
		require.Equal(t, *c, *found)
		var text string
		require.NoError(t, db.SQL().QueryRowContext(ctx, d.Rebind(`SELECT correlation FROM correlation_instances WHERE correlated_id = ?`), "other").Scan(&text))
		require.Equal(t, spaced, text)

		if d.Name() == store.Postgres {
			var typ string
			require.NoError(t, db.SQL().QueryRowContext(ctx, `SELECT data_type FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = 'correlation_instances' AND column_name = 'correlation'`).Scan(&typ))
			require.Equal(t, "character varying", typ)
		}
		if d.Name() == store.SQLite {
			_, err = db.SQL().ExecContext(ctx, `INSERT INTO event_types (process_instance_id, event_type) VALUES (?, ?)`, id, strings.Repeat("e", 257))
			require.ErrorIs(t, d.Classify(err), store.ErrTooLong, "the length check survives the rebuild")
			_, err = db.SQL().ExecContext(ctx, `INSERT INTO event_types (process_instance_id, event_type) VALUES (?, ?)`, id, "paid")
			require.ErrorIs(t, d.Classify(err), store.ErrDuplicate, "and so does the key")
			var n int
			require.NoError(t, db.SQL().QueryRowContext(ctx, `SELECT COUNT(*) FROM sqlite_master WHERE type = 'index' AND name = 'idx_event_types_event_type' AND tbl_name = 'event_types'`).Scan(&n))
			require.Equal(t, 1, n, "and so does the index")
		}

		// Kogito's create now works, in its order.
		k := newKogito(t, db)
		allowKogitoInsertOrder(t, db, k)
		const kid = "a0b1c2d3-0000-4000-8000-000000000041"
		require.NoError(t, k.create(p, kid, []byte("k"), "B-2", "paid"))
		require.Equal(t, []string{id, kid}, snapWaiting(t, snaps, p, "paid"))
	})
}

// kogitoSchema is Kogito's own schema as its Flyway scripts V1.35.0,
// V10.0.0, V10.0.1 and V10.0.2 create it (kie-flyway/db/persistence-jdbc of
// apache/incubator-kie-kogito-runtimes @ c8326cb, restated): the
// PostgreSQL scripts, and for SQLite the ANSI ones, which SQLite takes as
// they are. (MySQL/MariaDB refuse the ANSI scripts' varbinary(1000000), so
// Kogito cannot create its schema there.)
var kogitoSchema = map[store.DialectName][]string{
	store.Postgres: {
		`CREATE TABLE process_instances (id character(36) NOT NULL, payload bytea NOT NULL, process_id character varying NOT NULL,
			version bigint, process_version character varying, CONSTRAINT process_instances_pkey PRIMARY KEY (id))`,
		`CREATE INDEX idx_process_instances_process_id ON process_instances (process_id, id, process_version)`,
		`CREATE TABLE correlation_instances (id character(36) NOT NULL, encoded_correlation_id character varying(36) NOT NULL UNIQUE,
			correlated_id character varying(36) NOT NULL, correlation json NOT NULL, version bigint,
			CONSTRAINT correlation_instances_pkey PRIMARY KEY (id))`,
		`CREATE INDEX idx_correlation_instances_encoded_id ON correlation_instances (encoded_correlation_id)`,
		`CREATE INDEX idx_correlation_instances_correlated_id ON correlation_instances (correlated_id)`,
		`CREATE TABLE business_key_mapping (business_key character (255) NOT NULL, process_instance_id character (36) NOT NULL,
			PRIMARY KEY (business_key), CONSTRAINT fk_process_instances FOREIGN KEY (process_instance_id) REFERENCES process_instances(id) ON DELETE CASCADE)`,
		`CREATE INDEX idx_business_key_process_instance_id ON business_key_mapping (process_instance_id)`,
		`ALTER TABLE correlation_instances ALTER COLUMN correlation TYPE character varying`,
		`CREATE TABLE event_types (process_instance_id character(36) NOT NULL, event_type character varying(256) NOT NULL,
			CONSTRAINT event_types_pk PRIMARY KEY (process_instance_id, event_type))`,
	},
	store.SQLite: {
		`CREATE TABLE process_instances (id character(36) NOT NULL, payload varbinary(1000000) NOT NULL, process_id character varying(4000) NOT NULL,
			version bigint, process_version character varying(4000), CONSTRAINT process_instances_pkey PRIMARY KEY (id))`,
		`CREATE INDEX idx_process_instances_process_id ON process_instances (process_id, id, process_version)`,
		`CREATE TABLE business_key_mapping (business_key VARCHAR (255) NOT NULL, process_instance_id VARCHAR (36) NOT NULL,
			CONSTRAINT business_key_primary_key PRIMARY KEY (business_key),
			CONSTRAINT fk_process_instances FOREIGN KEY (process_instance_id) REFERENCES process_instances(id) ON DELETE CASCADE)`,
		`CREATE INDEX idx_business_key_process_instance_id ON business_key_mapping (process_instance_id)`,
		`CREATE TABLE correlation_instances (id character(36) NOT NULL, encoded_correlation_id character varying(36) NOT NULL UNIQUE,
			correlated_id character varying(36) NOT NULL, correlation character varying(8000) NOT NULL, version bigint,
			CONSTRAINT correlation_instances_pkey PRIMARY KEY (id))`,
		`CREATE TABLE event_types (process_instance_id character(36) NOT NULL, event_type character varying(256) NOT NULL,
			CONSTRAINT event_types_pk PRIMARY KEY (process_instance_id, event_type))`,
	},
}

// TestAdoptKogitoDatabase: a database Kogito created with its Flyway
// scripts, with rows Kogito wrote (its business key padded by char(255) on
// PostgreSQL), is adopted, and afterwards both sides read and write each
// other's rows: flowstore reads Kogito's (business key trimmed, found by the
// trimmed key), Kogito's create keeps working in its order, and Kogito
// reads what flowstore writes.
func TestAdoptKogitoDatabase(t *testing.T) {
	t.Parallel()
	for _, d := range testdb.Live() {
		ddl, ok := kogitoSchema[d]
		if !ok {
			continue
		}
		t.Run(string(d), func(t *testing.T) {
			ctx := context.Background()
			dsn := testdb.FreshDSN(t, d)
			db, err := store.Open(ctx, dsn)
			require.NoError(t, err)
			t.Cleanup(func() { _ = db.Close() })
			for _, stmt := range ddl {
				_, err := db.SQL().ExecContext(ctx, stmt)
				require.NoError(t, err, stmt)
			}
			k := newKogitoDSN(t, db, dsn)
			p := snapshot.Versioned("orders", "2")
			const kid = "b1c2d3e4-0000-4000-8000-000000000001"
			require.NoError(t, k.create(p, kid, []byte("by kogito"), "ORDER-K", "paid"))
			_, err = k.exec("INSERT INTO correlation_instances (id, encoded_correlation_id, correlated_id, correlation) VALUES (?, ?, ?, ?)",
				"c2d3e4f5-0000-4000-8000-000000000001", correlation.Encode(correlation.Part{Key: "orderId", Value: "K"}), kid,
				`{"key":"orderId","value":[{"key":"orderId","value":"K"}]}`)
			require.NoError(t, err)

			require.NoError(t, db.Adopt(ctx))
			snaps := newSnapshots(t, db)
			corr, err := correlation.New(db)
			require.NoError(t, err)

			info, err := snaps.Stat(ctx, kid)
			require.NoError(t, err)
			require.Equal(t, "ORDER-K", info.BusinessKey, "read trimmed")
			require.Equal(t, []string{"paid"}, info.EventTypes)
			got, err := snaps.FindByBusinessKey(ctx, p, "ORDER-K")
			require.NoError(t, err)
			require.Equal(t, []byte("by kogito"), got.Payload)
			c, err := corr.FindByCorrelatedID(ctx, kid)
			require.NoError(t, err)
			require.Equal(t, []correlation.Part{{Key: "orderId", Value: "K"}}, c.Parts)

			const fid = "d3e4f5a6-0000-4000-8000-000000000001"
			require.NoError(t, snaps.Create(ctx, &snapshot.Snapshot{ID: fid, ProcessID: p.ID, ProcessVersion: p.Version, Payload: []byte("by flowstore"), BusinessKey: "ORDER-F", EventTypes: []string{"paid"}}))
			require.Equal(t, []kogitoRecord{{[]byte("by flowstore"), 0}}, k.findByBusinessKey(p, "ORDER-F"))
			require.Len(t, k.waitingFor(p, "paid"), 2)
			require.NoError(t, k.create(p, "e4f5a6b7-0000-4000-8000-000000000001", []byte("again"), "ORDER-K2", "paid"), "Kogito's insert order still works")
			require.True(t, k.remove(p, kid))
			require.NoError(t, snaps.Delete(ctx, fid))
			n, err := snaps.Count(ctx, p)
			require.NoError(t, err)
			require.Equal(t, int64(1), n)
		})
	}
}
