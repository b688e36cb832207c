package store_test

import (
	"context"
	"regexp"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/flowstore/flowstore/internal/testdb"
	"github.com/flowstore/flowstore/store"
	"github.com/flowstore/flowstore/store/snapshot"
)

// kogitoDDL is Kogito's own PostgreSQL DDL for process_instances, as its
// documentation prints it.
const kogitoDDL = `CREATE TABLE process_instances
(
    id              character(36)     NOT NULL,
    payload         bytea             NOT NULL,
    process_id      character varying NOT NULL,
    version         bigint,
    process_version character varying,
    CONSTRAINT process_instances_pkey PRIMARY KEY (id)
)`

// TestAdoptExistingDatabase: a database in which another system already
// created its tables (and wrote rows) is adopted, not overwritten: the rows
// stay readable through flowstore, the missing tables are created, and the
// result is a complete schema at the latest version.
func TestAdoptExistingDatabase(t *testing.T) {
	for _, d := range testdb.Live() {
		t.Run(string(d), func(t *testing.T) {
			ctx := context.Background()
			db, err := store.Open(ctx, testdb.FreshDSN(t, d))
			require.NoError(t, err)
			defer db.Close()

			// The other system's tables: Kogito's process_instances (its
			// own DDL on PostgreSQL) and OpenOrchestrator's Queues.
			ms, err := store.Migrations(d)
			require.NoError(t, err)
			theirs := regexp.MustCompile("(?i)^CREATE (TABLE|INDEX [^ ]+ ON) [`\"]?(process_instances|Queues)[`\"]? ")
			for _, stmt := range ms[0].Statements {
				if !theirs.MatchString(stmt) {
					continue
				}
				if d == store.Postgres && regexp.MustCompile(`^CREATE TABLE "process_instances"`).MatchString(stmt) {
					stmt = kogitoDDL
				}
				_, err := db.SQL().ExecContext(ctx, stmt)
				require.NoError(t, err, stmt)
			}
			_, err = db.SQL().ExecContext(ctx, db.SQLDialect().Rebind(`INSERT INTO process_instances (id, payload, process_id, version) VALUES (?, ?, ?, ?)`),
				"7f1c5a0e-0000-4000-8000-000000000001", []byte("kogito bytes"), "orders", 3)
			require.NoError(t, err)

			err = db.Migrate(ctx)
			require.ErrorIs(t, err, store.ErrDuplicate, "Migrate refuses: the tables exist")
			require.Contains(t, err.Error(), "Kogito (process_instances)")
			require.Contains(t, err.Error(), "OpenOrchestrator (Queues)")
			require.Contains(t, err.Error(), "flowctl migrate --adopt")
			v, err := db.SchemaVersion(ctx)
			require.NoError(t, err)
			require.Zero(t, v, "nothing was migrated before the refusal")
			require.NoError(t, db.Adopt(ctx))
			require.NoError(t, db.Adopt(ctx), "adopting twice is a no-op")
			v, err = db.SchemaVersion(ctx)
			require.NoError(t, err)
			require.Equal(t, store.LatestSchemaVersion(), v)
			assertCatalogMatchesReference(t, db)

			snaps, err := snapshot.New(db)
			require.NoError(t, err)
			got, err := snaps.Get(ctx, "7f1c5a0e-0000-4000-8000-000000000001")
			require.NoError(t, err)
			require.Equal(t, "kogito bytes", string(got.Payload))
			require.EqualValues(t, 3, got.Version)

			var settings int
			require.NoError(t, db.SQL().QueryRowContext(ctx, `SELECT COUNT(*) FROM engine_settings`).Scan(&settings))
			require.Equal(t, 1, settings, "a table flowstore created gets its seed row")
		})
	}
}

// TestAdoptPoolChecksOnlyKnownDrivers: a pool behind a driver flowstore does not
// know (here the harness's offline driver, which answers no queries) is
// adopted without a check, so golden tests keep rendering SQL for every
// dialect.
func TestAdoptPoolChecksOnlyKnownDrivers(t *testing.T) {
	for _, d := range store.DialectNames() {
		db, err := store.New(t.Context(), testdb.Offline(d).Bun())
		require.NoError(t, err, d)
		require.Equal(t, d, db.SQLDialect().Name())
	}
}

// TestAdoptKeepsAMaterializedView: in a real WFO database subscriptions_search
// is a materialized view, not a table. Adopt keeps it (it used to look only
// at information_schema.tables and tried to create the table over it, which
// failed with 42P07), and IsMaterializedView tells the stores so.
func TestAdoptKeepsAMaterializedView(t *testing.T) {
	ctx := context.Background()
	db, err := store.Open(ctx, testdb.FreshDSN(t, store.Postgres))
	require.NoError(t, err)
	defer db.Close()
	_, err = db.SQL().ExecContext(ctx, `CREATE MATERIALIZED VIEW subscriptions_search AS SELECT NULL::uuid AS subscription_id, NULL::tsvector AS tsv WITH NO DATA`)
	require.NoError(t, err)
	require.NoError(t, db.Adopt(ctx))
	mv, err := db.IsMaterializedView(ctx, "subscriptions_search")
	require.NoError(t, err)
	require.True(t, mv)
	mv, err = db.IsMaterializedView(ctx, "subscriptions")
	require.NoError(t, err)
	require.False(t, mv)
	v, err := db.SchemaVersion(ctx)
	require.NoError(t, err)
	require.Equal(t, store.LatestSchemaVersion(), v)
}
