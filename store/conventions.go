package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"
)

// The reference systems' own programs read and write the tables flowstore
// shares with them, so each system's tables keep that system's storage
// conventions (see zone.go for OpenOrchestrator's naive times and its UUID
// spelling). This file holds the migration steps that bring a database an
// earlier flowstore wrote to those conventions, and OpenOrchestrator's
// schema stamp. They are Go, not SQL: the zone is configuration, and what
// needs converting depends on who created each table.

// OpenOrchestratorRevision is the alembic revision of OpenOrchestrator's
// schema that flowstore's OpenOrchestrator tables match. OpenOrchestrator's
// programs refuse a database whose alembic_version says anything else
// (db_util.check_database_revision); a database flowstore creates is
// stamped with it.
const OpenOrchestratorRevision = "9698388a0709"

// AlembicRevision returns the revision stamped in alembic_version, "" when
// the database has none.
func (db *DB) AlembicRevision(ctx context.Context) (string, error) {
	if err := CheckContext(ctx); err != nil {
		return "", fmt.Errorf("store: alembic revision: %w", err)
	}
	var n int
	if err := db.bun.DB.QueryRowContext(ctx, db.dialect.Rebind(db.dialect.s.Catalog.CountTable), "alembic_version").Scan(&n); err != nil {
		return "", fmt.Errorf("store: alembic revision: %w", db.dialect.Classify(err))
	}
	if n == 0 {
		return "", nil
	}
	var rev sql.NullString
	err := db.bun.DB.QueryRowContext(ctx, "SELECT MAX(version_num) FROM alembic_version").Scan(&rev)
	if err != nil {
		return "", fmt.Errorf("store: alembic revision: %w", db.dialect.Classify(err))
	}
	return rev.String, nil
}

// IsMaterializedView reports whether name is a materialized view rather
// than a table. A real WFO database has subscriptions_search as one (kept by
// Adopt), which a store must refresh, or leave to WFO, instead of writing
// rows into it. Always false where the dialect has no materialized views.
func (db *DB) IsMaterializedView(ctx context.Context, name string) (bool, error) {
	if err := CheckContext(ctx); err != nil {
		return false, fmt.Errorf("store: materialized view %s: %w", name, err)
	}
	q := db.dialect.s.Catalog.CountMaterializedView
	if q == "" {
		return false, nil
	}
	var n int
	if err := db.bun.DB.QueryRowContext(ctx, db.dialect.Rebind(q), name).Scan(&n); err != nil {
		return false, fmt.Errorf("store: materialized view %s: %w", name, db.dialect.Classify(err))
	}
	return n > 0, nil
}

// goStep is a migration step written in Go: a migration file names it on a
// line of its own, "-- @go name". run does the work inside the migration
// (q is its transaction, or its connection where DDL is not transactional)
// and must be safe to run again on its own result; fresh is what SchemaSQL
// prints for it, the statements that give a new, empty database the same
// result (nil: nothing to do on an empty database).
type goStep struct {
	run   func(ctx context.Context, q Querier, db *DB) error
	fresh func(d *Dialect) []string
}

var goSteps = map[string]goStep{
	"alembic_stamp":               {run: alembicStamp, fresh: alembicStampSQL},
	"openorchestrator_naive_time": {run: convertNaiveTimes},
	"openorchestrator_hex_uuids":  {run: convertHexUUIDs},
}

// alembicStampSQL creates alembic_version as Alembic does and stamps it.
func alembicStampSQL(d *Dialect) []string {
	return []string{
		"CREATE TABLE " + d.Quote("alembic_version") + " (" + d.Quote("version_num") + " VARCHAR(32) NOT NULL, CONSTRAINT " +
			d.Quote("alembic_version_pkc") + " PRIMARY KEY (" + d.Quote("version_num") + "))",
		"INSERT INTO " + d.Quote("alembic_version") + " (" + d.Quote("version_num") + ") VALUES ('" + OpenOrchestratorRevision + "')",
	}
}

// alembicStamp stamps a database that has no alembic_version yet; one that
// has (OpenOrchestrator's own, adopted) keeps its stamp.
func alembicStamp(ctx context.Context, q Querier, db *DB) error {
	d := db.dialect
	var n int
	if err := q.QueryRowContext(ctx, d.Rebind(d.s.Catalog.CountTable), "alembic_version").Scan(&n); err != nil {
		return err
	}
	if n > 0 {
		return nil
	}
	for _, stmt := range alembicStampSQL(d) {
		if _, err := q.ExecContext(ctx, stmt); err != nil {
			return err
		}
	}
	return nil
}

// ooTimeColumns lists the time columns of OpenOrchestrator's tables, with
// each table's key, which hold naive wall-clock times.
var ooTimeColumns = []struct {
	table, key string
	columns    []string
}{
	{"Triggers", "id", []string{"last_run"}},
	{"Scheduled_Triggers", "id", []string{"next_run"}},
	{"Single_Triggers", "id", []string{"next_run"}},
	{"Queues", "id", []string{"created_date", "start_date", "end_date"}},
	{"Logs", "id", []string{"log_time"}},
	{"Constants", "name", []string{"changed_at"}},
	{"Credentials", "name", []string{"changed_at"}},
	{"Schedulers", "machine_name", []string{"last_update", "latest_trigger_time"}},
}

// convertNaiveTimes turns the times an earlier flowstore wrote into
// OpenOrchestrator's tables in UTC into naive wall-clock times of the DB's
// zone. Only what flowstore wrote is converted, where it can be told apart:
//
//   - PostgreSQL: columns of type timestamptz (flowstore created them; an
//     OpenOrchestrator table has timestamp) become timestamp, each value
//     the wall clock of its instant in the zone;
//   - SQLite: values written with a UTC offset ("…+00:00", bun's form);
//     OpenOrchestrator's own are plain;
//   - MySQL/MariaDB and SQL Server: columns flowstore created, whose
//     precision is microseconds (DATETIME(6), datetime2(6)); the tables
//     OpenOrchestrator creates have DATETIME and datetime2(7).
//
// Rows an earlier flowstore wrote into a table OpenOrchestrator created
// cannot be told from OpenOrchestrator's own and are left as they are.
func convertNaiveTimes(ctx context.Context, q Querier, db *DB) error {
	switch db.dialect.Name() {
	case Postgres:
		return convertPostgresTimes(ctx, q, db)
	case SQLite:
		return convertSQLiteTimes(ctx, q, db)
	default:
		return convertUTCColumns(ctx, q, db)
	}
}

func convertPostgresTimes(ctx context.Context, q Querier, db *DB) error {
	zoned := false
	for _, t := range ooTimeColumns {
		for _, c := range t.columns {
			var typ string
			err := q.QueryRowContext(ctx, `SELECT data_type FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = $1 AND column_name = $2`, t.table, c).Scan(&typ)
			if err != nil {
				return fmt.Errorf("%s.%s: %w", t.table, c, err)
			}
			if typ != "timestamp with time zone" {
				continue
			}
			if !zoned {
				// The cast from timestamptz to timestamp takes the wall clock
				// of the session's zone: make that the DB's zone, for this
				// transaction only.
				if _, err := q.ExecContext(ctx, `SELECT set_config('TimeZone', $1, true)`, ZoneName(db.zone)); err != nil {
					return err
				}
				zoned = true
			}
			alter := fmt.Sprintf(`ALTER TABLE %s ALTER COLUMN %s TYPE timestamp USING %s`, db.dialect.Quote(t.table), db.dialect.Quote(c), db.dialect.Quote(c))
			if _, err := q.ExecContext(ctx, alter); err != nil {
				return fmt.Errorf("%s.%s: %w", t.table, c, err)
			}
		}
	}
	return nil
}

func convertSQLiteTimes(ctx context.Context, q Querier, db *DB) error {
	type change struct{ key, value string }
	for _, t := range ooTimeColumns {
		for _, c := range t.columns {
			sel := fmt.Sprintf(`SELECT %s, %s FROM %s WHERE %s LIKE '%%+__:__' OR %s LIKE '%%-__:__' OR %s LIKE '%%Z'`,
				db.dialect.Quote(t.key), db.dialect.Quote(c), db.dialect.Quote(t.table), db.dialect.Quote(c), db.dialect.Quote(c), db.dialect.Quote(c))
			rows, err := q.QueryContext(ctx, sel)
			if err != nil {
				return fmt.Errorf("%s.%s: %w", t.table, c, err)
			}
			var changes []change
			for rows.Next() {
				var key, v string
				if err := rows.Scan(&key, &v); err != nil {
					rows.Close()
					return err
				}
				at, err := parseOffsetTime(v)
				if err != nil {
					rows.Close()
					return fmt.Errorf("%s.%s of %s: %w", t.table, c, key, err)
				}
				changes = append(changes, change{key, db.Naive(at).(string)})
			}
			if err := rows.Close(); err != nil {
				return err
			}
			upd := fmt.Sprintf(`UPDATE %s SET %s = ? WHERE %s = ?`, db.dialect.Quote(t.table), db.dialect.Quote(c), db.dialect.Quote(t.key))
			for _, ch := range changes {
				if _, err := q.ExecContext(ctx, upd, ch.value, ch.key); err != nil {
					return fmt.Errorf("%s.%s of %s: %w", t.table, c, ch.key, err)
				}
			}
		}
	}
	return nil
}

// parseOffsetTime reads a time text with a UTC offset, as bun and the
// SQLite driver wrote them.
func parseOffsetTime(v string) (time.Time, error) {
	v = strings.Replace(v, "T", " ", 1)
	for _, layout := range []string{"2006-01-02 15:04:05.999999999-07:00", "2006-01-02 15:04:05.999999999Z07:00"} {
		if t, err := time.Parse(layout, v); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("%w: time %q has no form flowstore wrote", ErrInvalid, v)
}

// convertUTCColumns shifts the UTC values of microsecond columns (MySQL,
// SQL Server: see convertNaiveTimes) to the zone's wall clock. Nothing in
// a value tells a converted one from another, so each converted column is
// recorded in flowstore_conversions, in the same transaction as its
// update, and never shifted twice. A zone's
// offset is constant between its transitions, so each stretch of values
// between two transitions is shifted by one UPDATE; the stretches are
// taken in the order that keeps a shifted value from landing in a stretch
// still to come (latest first when the zone is ahead of UTC, earliest
// first when behind).
func convertUTCColumns(ctx context.Context, q Querier, db *DB) error {
	d := db.dialect
	if err := ensureConversions(ctx, q, d); err != nil {
		return err
	}
	for _, t := range ooTimeColumns {
		for _, c := range t.columns {
			marker := "naive_time:" + t.table + "." + c
			var done int
			if err := q.QueryRowContext(ctx, d.Rebind(`SELECT COUNT(*) FROM flowstore_conversions WHERE name = ?`), marker).Scan(&done); err != nil {
				return err
			}
			if done > 0 {
				continue
			}
			var precision sql.NullInt64
			query := `SELECT datetime_precision FROM information_schema.columns WHERE table_schema = DATABASE() AND table_name = ? AND column_name = ?`
			if d.Name() == SQLServer {
				query = `SELECT datetime_precision FROM information_schema.columns WHERE table_schema = SCHEMA_NAME() AND table_name = ? AND column_name = ?`
			}
			if err := q.QueryRowContext(ctx, d.Rebind(query), t.table, c).Scan(&precision); err != nil {
				return fmt.Errorf("%s.%s: %w", t.table, c, err)
			}
			if precision.Int64 != 6 {
				continue // not flowstore's column: OpenOrchestrator's values, already naive
			}
			var lo, hi sql.NullTime
			minmax := fmt.Sprintf(`SELECT MIN(%s), MAX(%s) FROM %s`, d.Quote(c), d.Quote(c), d.Quote(t.table))
			if err := q.QueryRowContext(ctx, minmax).Scan(&lo, &hi); err != nil {
				return fmt.Errorf("%s.%s: %w", t.table, c, err)
			}
			if !lo.Valid {
				if _, err := q.ExecContext(ctx, d.Rebind(`INSERT INTO flowstore_conversions (name) VALUES (?)`), marker); err != nil {
					return err
				}
				continue
			}
			if err := shiftColumn(ctx, q, db, t.table, c, lo.Time, hi.Time, marker); err != nil {
				return fmt.Errorf("%s.%s: %w", t.table, c, err)
			}
		}
	}
	return nil
}

// ensureConversions creates flowstore_conversions, flowstore's record of
// the conversions a database has had.
func ensureConversions(ctx context.Context, q Querier, d *Dialect) error {
	var n int
	if err := q.QueryRowContext(ctx, d.Rebind(d.s.Catalog.CountTable), "flowstore_conversions").Scan(&n); err != nil || n > 0 {
		return err
	}
	_, err := q.ExecContext(ctx, "CREATE TABLE flowstore_conversions (name VARCHAR(200) NOT NULL PRIMARY KEY)")
	return err
}

// shiftColumn shifts one column's values (see convertUTCColumns) and
// records it, in one transaction: the migration's own where DDL is
// transactional (SQL Server), one of its own on MySQL, whose migration runs
// outside a transaction but whose row changes are transactional.
func shiftColumn(ctx context.Context, q Querier, db *DB, table, c string, lo, hi time.Time, marker string) (err error) {
	d := db.dialect
	if _, inTx := q.(*sql.Tx); !inTx {
		if _, err := q.ExecContext(ctx, "START TRANSACTION"); err != nil {
			return err
		}
		defer func() {
			end := "COMMIT"
			if err != nil {
				end = "ROLLBACK"
			}
			if _, endErr := q.ExecContext(context.WithoutCancel(ctx), end); endErr != nil && err == nil {
				err = endErr
			}
		}()
	}
	shift := fmt.Sprintf(`UPDATE %s SET %s = DATE_ADD(%s, INTERVAL ? SECOND) WHERE %s >= ? AND %s < ?`, d.Quote(table), d.Quote(c), d.Quote(c), d.Quote(c), d.Quote(c))
	if d.Name() == SQLServer {
		shift = fmt.Sprintf(`UPDATE %s SET %s = DATEADD(second, ?, %s) WHERE %s >= ? AND %s < ?`, d.Quote(table), d.Quote(c), d.Quote(c), d.Quote(c), d.Quote(c))
	}
	for _, s := range offsetStretches(db.zone, lo, hi) {
		if s.offset == 0 {
			continue
		}
		from, to := s.from.UTC().Format(NaiveLayout), s.to.UTC().Format(NaiveLayout)
		if _, err := q.ExecContext(ctx, d.Rebind(shift), s.offset, from, to); err != nil {
			return err
		}
	}
	_, err = q.ExecContext(ctx, d.Rebind(`INSERT INTO flowstore_conversions (name) VALUES (?)`), marker)
	return err
}

// stretch is a span of instants over which a zone keeps one UTC offset.
type stretch struct {
	from, to time.Time // [from, to)
	offset   int       // seconds east of UTC
}

// offsetStretches returns the spans of constant offset that cover [lo, hi],
// ordered so that shifting each by its offset in turn never moves a value
// into a span still to be shifted (see convertUTCColumns).
func offsetStretches(zone *time.Location, lo, hi time.Time) []stretch {
	lo, hi = lo.UTC(), hi.UTC().Add(time.Microsecond)
	var out []stretch
	for from := lo; from.Before(hi); {
		_, off := from.In(zone).Zone()
		to := nextTransition(zone, from, hi)
		out = append(out, stretch{from: from, to: to, offset: off})
		from = to
	}
	ahead := false
	for _, s := range out {
		if s.offset > 0 {
			ahead = true
		}
	}
	if ahead {
		for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
			out[i], out[j] = out[j], out[i]
		}
	}
	// The first and last spans stretch to cover every value.
	if len(out) > 0 {
		first, last := 0, len(out)-1
		if ahead {
			first, last = last, first
		}
		out[first].from = time.Date(1000, 1, 1, 0, 0, 0, 0, time.UTC) // DATETIME's first day
		out[last].to = time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC)
	}
	return out
}

// nextTransition finds the first instant after from, before limit, at which
// zone's offset changes (limit when it does not).
func nextTransition(zone *time.Location, from, limit time.Time) time.Time {
	_, off := from.In(zone).Zone()
	// Offsets change at most a few times a year: step by a week, then
	// bisect the week in which it changed.
	for t := from; t.Before(limit); {
		next := t.Add(7 * 24 * time.Hour)
		if next.After(limit) {
			next = limit
		}
		if _, o := next.In(zone).Zone(); o != off || next.Equal(limit) {
			if o == off {
				return limit
			}
			lo, hi := t, next
			for hi.Sub(lo) > time.Second {
				mid := lo.Add(hi.Sub(lo) / 2)
				if _, o := mid.In(zone).Zone(); o == off {
					lo = mid
				} else {
					hi = mid
				}
			}
			return hi.Truncate(time.Second)
		}
		t = next
	}
	return limit
}

// ooUUIDTables are OpenOrchestrator's tables keyed by a UUID, parents
// first.
var ooUUIDTables = []string{"Triggers", "Scheduled_Triggers", "Single_Triggers", "Queue_Triggers", "Queues", "Logs"}

// convertHexUUIDs rewrites the dashed UUIDs an earlier flowstore wrote into
// OpenOrchestrator's tables on SQLite and MySQL/MariaDB as SQLAlchemy's 32
// hex digits. The subtype tables' ids reference Triggers(id), so foreign
// keys are checked at COMMIT on SQLite, and off for the connection while it
// runs on MySQL (whose DDL is not transactional, so this step runs on the
// migration's connection).
func convertHexUUIDs(ctx context.Context, q Querier, db *DB) error {
	d := db.dialect
	if d.Name() == SQLite {
		if _, err := q.ExecContext(ctx, `PRAGMA defer_foreign_keys = ON`); err != nil {
			return err
		}
	} else {
		if _, err := q.ExecContext(ctx, `SET FOREIGN_KEY_CHECKS = 0`); err != nil {
			return err
		}
		defer q.ExecContext(context.WithoutCancel(ctx), `SET FOREIGN_KEY_CHECKS = 1`) //nolint:errcheck // best effort; the connection goes back to the pool with checks on or is reset
	}
	for _, t := range ooUUIDTables {
		upd := fmt.Sprintf(`UPDATE %s SET %s = REPLACE(%s, '-', '') WHERE %s LIKE '%%-%%'`, d.Quote(t), d.Quote("id"), d.Quote("id"), d.Quote("id"))
		if _, err := q.ExecContext(ctx, upd); err != nil {
			return fmt.Errorf("%s: %w", t, err)
		}
	}
	return nil
}
