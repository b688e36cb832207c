package store

import (
	"context"
	"fmt"
	"hash/fnv"
	"strings"
)

// The statement forms that differ between dialects in shape, not only in
// spelling. Each is written once here; a DialectSpec picks one.

// Claim describes an atomic claim for Dialect.Claim: the rows of Table that
// Where selects, first by OrderBy, are marked by Set and returned — each to
// exactly one claimer, however many claim at once.
type Claim struct {
	Table   string   // the table, unquoted
	Key     string   // its key column, unquoted
	Columns []string // the columns returned, unquoted, in scan order
	Where   string   // SQL selecting claimable rows, with '?' for its arguments
	OrderBy string   // SQL: the order rows are claimed in
	Set     string   // SQL assignments that claim a row, with '?' for its arguments
	// Partition, if set, is a column, unquoted, of which each claim takes
	// rows of one value (a queue's name): the value is Where's first
	// argument, Where itself leaves the column out, and the dialect
	// compares it in the form its planner serves best from an index that
	// leads with the column (see Dialect.Claim).
	Partition string
}

// ClaimSQL is a claim rendered for one dialect, placeholders rebound.
type ClaimSQL struct {
	// Statement claims up to n rows and returns them — or, when TwoStep is
	// set, only locks and returns them; then MarkClaimed marks them, in the
	// same transaction. Rows come back in no particular order.
	Statement string
	TwoStep   bool

	order []claimArg
	mark  func(n int) string
	// rangedPartition: the partition's value is bound twice (p >= ? AND
	// p <= ?).
	rangedPartition bool
}

type claimArg int

const (
	claimSetArgs claimArg = iota
	claimWhereArgs
	claimLimitArg
)

// Bind returns Statement's arguments: set and where are the arguments of
// Claim.Set and Claim.Where (with a Partition, its value first), n the
// most rows to claim.
func (c ClaimSQL) Bind(set, where []any, n int) []any {
	args := make([]any, 0, len(set)+len(where)+2)
	for _, a := range c.order {
		switch a {
		case claimSetArgs:
			args = append(args, set...)
		case claimWhereArgs:
			if c.rangedPartition && len(where) > 0 {
				args = append(args, where[0])
			}
			args = append(args, where...)
		case claimLimitArg:
			args = append(args, n)
		}
	}
	return args
}

// MarkClaimed is a TwoStep claim's second statement: the UPDATE that marks
// n locked rows, binding the Set arguments and then the n keys. It binds
// one parameter per row, which bounds how many rows one claim may take.
func (c ClaimSQL) MarkClaimed(n int) string { return c.mark(n) }

// Claim renders an atomic claim in the dialect's form (see ClaimForm).
func (d *Dialect) Claim(c Claim) ClaimSQL {
	t, key := d.Quote(c.Table), d.Quote(c.Key)
	out := ClaimSQL{}
	if c.Partition != "" {
		p := d.Quote(c.Partition)
		if d.s.Claim == ClaimMaterializedCTE {
			// PostgreSQL drops a column bound by "=" from the ORDER BY (it
			// is constant), and so weighs every index that yields the rest
			// of the order: with statistics taken while all rows were
			// claimable, an index on the order's first column with a
			// filter costs about as much as the claim's own partial index,
			// and once most rows are claimed that filter reads them all,
			// on every claim (measured in issue 15: claims of 150 ms, not
			// 2). Bounding the column by a range of one value keeps it in
			// the order, which then only an index leading with it yields
			// without a sort.
			c.Where = p + " >= ? AND " + p + " <= ? AND (" + c.Where + ")"
			c.OrderBy = p + ", " + c.OrderBy
			out.rangedPartition = true
		} else {
			c.Where = p + " = ? AND (" + c.Where + ")"
		}
	}
	var sql string
	switch d.s.Claim {
	case ClaimMaterializedCTE:
		// The CTE locks the rows it picks and skips rows other claimers
		// hold; PostgreSQL re-checks a picked row's predicate against its
		// latest committed version, so a row claimed and committed
		// meanwhile is passed over, not taken twice.
		//
		// The pick is a MATERIALIZED CTE, not "WHERE key IN (SELECT … LIMIT
		// n FOR UPDATE SKIP LOCKED)": PostgreSQL plans an IN subquery as a
		// join and may run it again for every row of the outer scan (a
		// nested loop), and each run skips the rows the UPDATE has just
		// changed and locks the next n — one claim then takes far more
		// than n rows (PostgreSQL bug report #15715, answered as intended
		// behaviour). Only a WITH query is guaranteed to run once;
		// MATERIALIZED keeps the planner from folding it back in. The
		// UPDATE takes the picked keys as an array (an InitPlan over the
		// CTE), so it always fetches them through the key's index, where a
		// join with the CTE may scan the whole table when statistics say it
		// is small.
		sql = "WITH claimable AS MATERIALIZED (SELECT " + key + " FROM " + t + " WHERE " + c.Where +
			" ORDER BY " + c.OrderBy + " LIMIT ? FOR UPDATE SKIP LOCKED) UPDATE " + t + " SET " + c.Set +
			" WHERE " + key + " = ANY(ARRAY(SELECT " + key + " FROM claimable)) RETURNING " + d.QuoteAll("", c.Columns...)
		out.order = []claimArg{claimWhereArgs, claimLimitArg, claimSetArgs}
	case ClaimUpdateReturning:
		// One writer at a time: the statement runs under the database's
		// write lock from its first step, so picking and changing the rows
		// cannot interleave with another claim.
		sql = "UPDATE " + t + " SET " + c.Set + " WHERE " + key + " IN (SELECT " + key + " FROM " + t +
			" WHERE " + c.Where + " ORDER BY " + c.OrderBy + " LIMIT ?) RETURNING " + d.QuoteAll("", c.Columns...)
		out.order = []claimArg{claimSetArgs, claimWhereArgs, claimLimitArg}
	case ClaimTopCTE:
		// UPDATE TOP (n) ignores ORDER BY, so the ordered TOP (n) goes into
		// a CTE and the UPDATE targets the CTE. UPDLOCK holds the picked
		// rows until the statement's transaction ends, READPAST skips rows
		// another claimer holds instead of waiting, ROWLOCK keeps the locks
		// on rows (not pages) so READPAST skips only what is taken. (The
		// CTE is not called "next": NEXT is a keyword of T-SQL.)
		sql = "WITH claimable AS (SELECT TOP (?) * FROM " + t + " WITH (UPDLOCK, READPAST, ROWLOCK) WHERE " + c.Where +
			" ORDER BY " + c.OrderBy + ") UPDATE claimable SET " + c.Set + " OUTPUT " + d.QuoteAll("INSERTED.", c.Columns...)
		out.order = []claimArg{claimLimitArg, claimWhereArgs, claimSetArgs}
	case ClaimLockThenUpdate:
		// No UPDATE … RETURNING: the locking SELECT returns the rows, and
		// the UPDATE by keys marks them in the same transaction.
		sql = "SELECT " + d.QuoteAll("", c.Columns...) + " FROM " + t + " WHERE " + c.Where + " ORDER BY " + c.OrderBy +
			" LIMIT ? FOR UPDATE SKIP LOCKED"
		out.order = []claimArg{claimWhereArgs, claimLimitArg}
		out.TwoStep = true
		out.mark = func(n int) string {
			return d.Rebind("UPDATE " + t + " SET " + c.Set + " WHERE " + key + " IN (" + Placeholders(n) + ")")
		}
	default:
		panic(fmt.Sprintf("store: dialect %s has no claim form", d.s.Name))
	}
	out.Statement = d.Rebind(sql)
	return out
}

// Upsert renders an INSERT of one row into table that, when a row with the
// same key columns exists, updates that row's other columns instead,
// atomically against concurrent upserts of the same key. It binds one '?'
// per column, in the order of columns, and is rebound for the dialect.
func (d *Dialect) Upsert(table string, columns, key []string) string {
	var update []string
	for _, c := range columns {
		if !containsString(key, c) {
			update = append(update, c)
		}
	}
	t := d.Quote(table)
	insert := "INSERT INTO " + t + " (" + d.QuoteAll("", columns...) + ") VALUES (" + Placeholders(len(columns)) + ")"
	var sql string
	switch d.s.Upsert {
	case UpsertOnConflict:
		sets := make([]string, len(update))
		for i, c := range update {
			sets[i] = d.Quote(c) + " = EXCLUDED." + d.Quote(c)
		}
		sql = insert + " ON CONFLICT (" + d.QuoteAll("", key...) + ") DO UPDATE SET " + strings.Join(sets, ", ")
	case UpsertOnDuplicateKey:
		// VALUES() works on MariaDB and on MySQL 8 (deprecated there, but
		// MySQL's row-alias form is not MariaDB's).
		sets := make([]string, len(update))
		for i, c := range update {
			sets[i] = d.Quote(c) + " = VALUES(" + d.Quote(c) + ")"
		}
		sql = insert + " ON DUPLICATE KEY UPDATE " + strings.Join(sets, ", ")
	case UpsertMerge:
		// MERGE alone is not atomic against a concurrent insert of the same
		// key; HOLDLOCK keeps the range locked from the match to the insert.
		src := make([]string, len(columns))
		for i, c := range columns {
			src[i] = "? AS " + d.Quote(c)
		}
		on := make([]string, len(key))
		for i, c := range key {
			on[i] = "t." + d.Quote(c) + " = s." + d.Quote(c)
		}
		sets := make([]string, len(update))
		for i, c := range update {
			sets[i] = d.Quote(c) + " = s." + d.Quote(c)
		}
		sql = "MERGE INTO " + t + " WITH (HOLDLOCK) AS t USING (SELECT " + strings.Join(src, ", ") + ") AS s ON " +
			strings.Join(on, " AND ") + " WHEN MATCHED THEN UPDATE SET " + strings.Join(sets, ", ") +
			" WHEN NOT MATCHED THEN INSERT (" + d.QuoteAll("", columns...) + ") VALUES (" + d.QuoteAll("s.", columns...) + ");"
	default:
		panic(fmt.Sprintf("store: dialect %s has no upsert form", d.s.Name))
	}
	return d.Rebind(sql)
}

func containsString(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

// maxLockName is the longest lock name LockName passes on as it is:
// sp_getapplock takes 255 characters and flowstore_locks.name holds 255.
const maxLockName = 200

// LockName takes a lock on name that lasts until the transaction q belongs
// to ends, waiting for a transaction that holds it: a lock for
// read-then-write work that no row lock can guard, such as numbering the
// first row of a kind. q must be a transaction (a Session's Raw); on a pool
// the lock would end with the statement. On SQLite, whose transactions
// already exclude each other, it does nothing.
func (d *Dialect) LockName(ctx context.Context, q Querier, name string) error {
	if len(name) > maxLockName {
		name = fmt.Sprintf("%s…%016x", name[:maxLockName-24], lockKey(name))
	}
	var err error
	switch d.s.TxLock {
	case TxLockNone:
		return nil
	case TxLockAdvisory:
		_, err = q.ExecContext(ctx, d.Rebind("SELECT pg_advisory_xact_lock(?)"), lockKey(name))
	case TxLockAppLock:
		// A negative return (timeout, deadlock victim) must fail the
		// transaction.
		_, err = q.ExecContext(ctx, d.Rebind("DECLARE @rc int; EXEC @rc = sp_getapplock @Resource = ?, @LockMode = 'Exclusive', "+
			"@LockOwner = 'Transaction', @LockTimeout = 30000; IF @rc < 0 THROW 51000, 'flowstore: name lock not granted', 1;"), name)
	case TxLockRow:
		// InnoDB takes the exclusive lock on the duplicate key before it
		// looks at the UPDATE clause, so the no-op update locks a row that
		// exists as the insert locks a new one.
		_, err = q.ExecContext(ctx, d.Rebind("INSERT INTO "+d.Quote("flowstore_locks")+" ("+d.Quote("name")+") VALUES (?) ON DUPLICATE KEY UPDATE "+
			d.Quote("name")+" = "+d.Quote("name")), name)
	}
	if err != nil {
		return fmt.Errorf("lock %q: %w", name, d.Classify(err))
	}
	return nil
}

// lockKey hashes a lock name into PostgreSQL's 64-bit advisory lock key
// (FNV-1a).
func lockKey(name string) int64 {
	h := fnv.New64a()
	h.Write([]byte(name))
	return int64(h.Sum64())
}
