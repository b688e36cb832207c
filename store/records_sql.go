package store

import (
	"strings"
	"unicode/utf8"
)

// recordSQL is the dialect-specific SQL of the OpenOrchestrator record
// stores (Constants, Credentials, Logs), chosen once per dialect: every
// statement the stores send on Handle.Raw is here (the reads go through
// bun), and so is every difference between dialects the stores know of.
// Statements bind parameters ('?', rebound to the dialect's form): they are
// the write paths, where bun's inlining costs time.
type recordSQL struct {
	// upsertConstant binds name, value, changed_at.
	upsertConstant string
	// insertConstant binds name, value, changed_at.
	insertConstant string
	// updateConstant binds value, changed_at, name.
	updateConstant string
	// deleteConstant binds name.
	deleteConstant string
	// upsertCredential binds name, username, password, changed_at.
	upsertCredential string
	// deleteCredential binds name.
	deleteCredential string
	// rotateCredential binds the new password, name, and the password read:
	// it changes the row only if nobody has since.
	rotateCredential string
	// pruneLogs binds the time before which rows go.
	pruneLogs string
	// countsChangedRows reports that an UPDATE's rows affected may count the
	// rows it changed rather than those it matched, so that 0 does not prove
	// the row is absent. That is MySQL's default; Open turns it off
	// (clientFoundRows=true), but a handle adopted with New may not have
	// that option, so the stores check before reporting ErrNotFound.
	countsChangedRows bool
	// logRowsPerInsert is how many Logs rows one multi-row INSERT carries:
	// 5 parameters a row, under the dialect's parameter limit (SQL Server
	// 2100; SQLite 32766; PostgreSQL and MySQL 65535) and SQL Server's
	// 1000 rows per VALUES.
	logRowsPerInsert int
	// utf16 reports that the dialect counts a column's length in UTF-16
	// code units (SQL Server NVARCHAR) instead of characters.
	utf16 bool
}

var recordDialects = map[Dialect]recordSQL{
	Postgres: {
		upsertConstant: `INSERT INTO "Constants" (name, value, changed_at) VALUES (?, ?, ?)
ON CONFLICT (name) DO UPDATE SET value = EXCLUDED.value, changed_at = EXCLUDED.changed_at`,
		upsertCredential: `INSERT INTO "Credentials" (name, username, password, changed_at) VALUES (?, ?, ?, ?)
ON CONFLICT (name) DO UPDATE SET username = EXCLUDED.username, password = EXCLUDED.password, changed_at = EXCLUDED.changed_at`,
		logRowsPerInsert: 1000,
	},
	SQLite: {
		upsertConstant: `INSERT INTO "Constants" (name, value, changed_at) VALUES (?, ?, ?)
ON CONFLICT (name) DO UPDATE SET value = excluded.value, changed_at = excluded.changed_at`,
		upsertCredential: `INSERT INTO "Credentials" (name, username, password, changed_at) VALUES (?, ?, ?, ?)
ON CONFLICT (name) DO UPDATE SET username = excluded.username, password = excluded.password, changed_at = excluded.changed_at`,
		logRowsPerInsert: 1000,
	},
	MySQL: {
		// VALUES() in ON DUPLICATE KEY UPDATE works on MariaDB and MySQL 8
		// (deprecated there, but the row-alias form is not MariaDB's).
		upsertConstant: "INSERT INTO `Constants` (name, value, changed_at) VALUES (?, ?, ?)\n" +
			"ON DUPLICATE KEY UPDATE value = VALUES(value), changed_at = VALUES(changed_at)",
		upsertCredential: "INSERT INTO `Credentials` (name, username, password, changed_at) VALUES (?, ?, ?, ?)\n" +
			"ON DUPLICATE KEY UPDATE username = VALUES(username), password = VALUES(password), changed_at = VALUES(changed_at)",
		logRowsPerInsert:  1000,
		countsChangedRows: true,
	},
	SQLServer: {
		// MERGE alone is not atomic against a concurrent insert of the same
		// key; HOLDLOCK keeps the range locked from the match to the insert.
		upsertConstant: `MERGE INTO "Constants" WITH (HOLDLOCK) AS t
USING (SELECT ? AS name, ? AS value, ? AS changed_at) AS s ON t.name = s.name
WHEN MATCHED THEN UPDATE SET value = s.value, changed_at = s.changed_at
WHEN NOT MATCHED THEN INSERT (name, value, changed_at) VALUES (s.name, s.value, s.changed_at);`,
		upsertCredential: `MERGE INTO "Credentials" WITH (HOLDLOCK) AS t
USING (SELECT ? AS name, ? AS username, ? AS password, ? AS changed_at) AS s ON t.name = s.name
WHEN MATCHED THEN UPDATE SET username = s.username, password = s.password, changed_at = s.changed_at
WHEN NOT MATCHED THEN INSERT (name, username, password, changed_at) VALUES (s.name, s.username, s.password, s.changed_at);`,
		logRowsPerInsert: 400,
		utf16:            true,
	},
}

// recordsFor returns the record SQL of d with placeholders rebound. The
// statements that differ between dialects only in quoting are built here
// from one text.
func recordsFor(d Dialect) recordSQL {
	r := recordDialects[d]
	constants, credentials, logs := d.Quote("Constants"), d.Quote("Credentials"), d.Quote("Logs")
	r.insertConstant = `INSERT INTO ` + constants + ` (name, value, changed_at) VALUES (?, ?, ?)`
	r.updateConstant = `UPDATE ` + constants + ` SET value = ?, changed_at = ? WHERE name = ?`
	r.deleteConstant = `DELETE FROM ` + constants + ` WHERE name = ?`
	r.deleteCredential = `DELETE FROM ` + credentials + ` WHERE name = ?`
	r.rotateCredential = `UPDATE ` + credentials + ` SET password = ? WHERE name = ? AND password = ?`
	r.pruneLogs = `DELETE FROM ` + logs + ` WHERE log_time < ?`
	for _, q := range []*string{&r.upsertConstant, &r.insertConstant, &r.updateConstant, &r.deleteConstant,
		&r.upsertCredential, &r.deleteCredential, &r.rotateCredential, &r.pruneLogs} {
		*q = d.Rebind(*q)
	}
	return r
}

// insertLogsSQL returns the INSERT of n Logs rows, placeholders rebound.
func insertLogsSQL(d Dialect, n int) string {
	var b strings.Builder
	b.Grow(80 + n*17)
	b.WriteString("INSERT INTO ")
	b.WriteString(d.Quote("Logs"))
	b.WriteString(" (id, log_time, log_level, process_name, log_message) VALUES ")
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString("(?,?,?,?,?)")
	}
	return d.Rebind(b.String())
}

// columnLen is the length of s as the dialect's column counts it:
// characters, or UTF-16 code units on SQL Server.
func (r recordSQL) columnLen(s string) int {
	if !r.utf16 {
		return utf8.RuneCountInString(s)
	}
	n := 0
	for _, c := range s {
		n += utf16Units(c, true)
	}
	return n
}

func utf16Units(c rune, utf16 bool) int {
	if utf16 && c > 0xFFFF {
		return 2
	}
	return 1
}

// truncateMiddle keeps the first ceil(max/2) and last floor(max/2)
// characters of s when it is longer than max: OpenOrchestrator's rule for
// log messages (database/truncated_string.py).
func (r recordSQL) truncateMiddle(s string, max int) string {
	if len(s) <= max || r.columnLen(s) <= max {
		return s
	}
	headMax, tailMax := (max+1)/2, max/2
	head, n := 0, 0
	for i, c := range s {
		u := utf16Units(c, r.utf16)
		if n+u > headMax {
			head = i
			break
		}
		n += u
	}
	tail, n := len(s), 0
	for tail > head {
		c, size := utf8.DecodeLastRuneInString(s[:tail])
		u := utf16Units(c, r.utf16)
		if n+u > tailMax {
			break
		}
		n += u
		tail -= size
	}
	return s[:head] + s[tail:]
}
