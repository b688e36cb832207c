package credential_test

// These tests play OpenOrchestrator's part: its Credential model stores the
// password as a Fernet token (crypto_util.encrypt_string, Python's
// cryptography) and changed_at as datetime.now() of the writing machine, a
// naive wall clock SQLAlchemy sends as the text "2026-12-05 23:47:13.123456".

import (
	"context"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/flowstore/flowstore/crypto/secret"
	"github.com/flowstore/flowstore/internal/testdb"
	"github.com/flowstore/flowstore/store"
	"github.com/flowstore/flowstore/store/credential"
)

// A key and a token made once with Python's cryptography 48.0.0, as
// OpenOrchestrator makes them (Fernet.generate_key();
// Fernet(key).encrypt(password.encode()).decode()), pasted here so the
// tests need no Python.
const (
	ooKey      = "nIvtaIasT75jACJ6bsJSMnGw5UG7blMyp5UEfk5-szo="
	ooToken    = "gAAAAABrFNStN6lsnDmBLZ59KUJvD4kpkyOR9GNlgg7ivQbman1ua0BYzkXgeTvYjZgwDFgaxCuyqzPOOeXQIREw3i8WZfWTRRT3C_vkFjvC7ckdz8hkGrM="
	ooPassword = "pässwörd 🔑 of the robot"
)

func ooRing(t *testing.T) *secret.Ring {
	t.Helper()
	r, err := secret.ParseRing(ooKey)
	require.NoError(t, err)
	return r
}

// ooNaive is OpenOrchestrator's datetime.now() at instant at on a machine in
// zone, as SQLAlchemy sends it.
func ooNaive(at time.Time, zone *time.Location) string {
	return at.In(zone).Format("2006-01-02 15:04:05.000000")
}

// ooCreate writes a credential as OpenOrchestrator's create_credential does.
func ooCreate(t *testing.T, db *store.DB, name, username, token, changedAt string) {
	t.Helper()
	d := db.SQLDialect()
	q := d.Quote
	_, err := db.SQL().ExecContext(context.Background(), d.Rebind("INSERT INTO "+q("Credentials")+" ("+q("name")+", "+q("username")+", "+q("password")+", "+q("changed_at")+") VALUES (?, ?, ?, ?)"),
		name, username, token, changedAt)
	require.NoError(t, err)
}

// naiveText renders a naive time column as text with six fraction digits.
func naiveText(d *store.Dialect, col string) string {
	switch d.Name() {
	case store.SQLite:
		return "CAST(" + col + " AS TEXT)"
	case store.Postgres:
		return "to_char(" + col + ", 'YYYY-MM-DD HH24:MI:SS.US')"
	case store.MySQL:
		return "DATE_FORMAT(" + col + ", '%Y-%m-%d %H:%i:%s.%f')"
	}
	return "CONVERT(VARCHAR(26), " + col + ", 121)"
}

// ooGet reads a credential's row as OpenOrchestrator's get_credential does
// (by name), changed_at as the text it holds.
func ooGet(t *testing.T, db *store.DB, name string) (username, token, changedAt string) {
	t.Helper()
	d := db.SQLDialect()
	q := d.Quote
	err := db.SQL().QueryRowContext(context.Background(), d.Rebind("SELECT "+q("username")+", "+q("password")+", "+naiveText(d, q("changed_at"))+
		" FROM "+q("Credentials")+" WHERE "+q("name")+" = ?"), name).Scan(&username, &token, &changedAt)
	require.NoError(t, err, name)
	return username, token, changedAt
}

func countCredentials(t *testing.T, db *store.DB) int {
	t.Helper()
	var n int
	require.NoError(t, db.SQL().QueryRowContext(context.Background(), "SELECT COUNT(*) FROM "+db.SQLDialect().Quote("Credentials")).Scan(&n))
	return n
}

// checkFernet checks that token is a Fernet token as the specification
// (and Python's cryptography, which OpenOrchestrator decrypts with) has
// it: url-safe base64 with padding, version 0x80, a timestamp of Unix
// seconds between from and to, and a whole number of AES blocks.
func checkFernet(t *testing.T, token string, from, to time.Time) {
	t.Helper()
	raw, err := base64.URLEncoding.DecodeString(token)
	require.NoError(t, err, "url-safe base64, padded")
	require.Equal(t, byte(0x80), raw[0], "version")
	ts := int64(binary.BigEndian.Uint64(raw[1:9]))
	require.GreaterOrEqual(t, ts, from.Unix())
	require.LessOrEqual(t, ts, to.Unix())
	require.Zero(t, (len(raw)-1-8-16-32)%16, "IV, whole AES blocks, HMAC")
}

// TestCredentialsShareTheTableWithOpenOrchestrator: under a zone with
// daylight saving time and one without, flowstore opens a credential
// OpenOrchestrator wrote — its Fernet token, decrypted with its
// OpenOrchestratorKey, and its naive changed_at read as the instant it
// names — and writes credentials as OpenOrchestrator does: a Fernet token
// of that key, changed_at the zone's wall clock in SQLAlchemy's form.
func TestCredentialsShareTheTableWithOpenOrchestrator(t *testing.T) {
	testdb.Each(t, func(t *testing.T, base *store.DB) {
		ctx := context.Background()
		for _, zoneName := range []string{"Europe/Copenhagen", "Asia/Kolkata"} {
			t.Run(zoneName, func(t *testing.T) {
				zone, err := time.LoadLocation(zoneName)
				require.NoError(t, err)
				_, err = base.SQL().ExecContext(ctx, "DELETE FROM "+base.SQLDialect().Quote("Credentials"))
				require.NoError(t, err)
				clock := time.Date(2026, 7, 15, 9, 30, 0, 123456000, time.UTC) // summer: Copenhagen is UTC+2
				db, err := store.New(ctx, base.Bun(), store.WithZone(zone), store.WithClock(func() time.Time { return clock }))
				require.NoError(t, err)
				cs := newStore(t, db, ooRing(t))

				ooAt := time.Date(2026, 1, 10, 8, 0, 0, 500000000, time.UTC) // winter: UTC+1
				ooCreate(t, db, "erp", "robot", ooToken, ooNaive(ooAt, zone))
				got, err := cs.Get(ctx, "erp")
				require.NoError(t, err)
				require.Equal(t, ooPassword, got.Password, "OpenOrchestrator's token opens with its key")
				require.Equal(t, "robot", got.Username)
				require.True(t, got.ChangedAt.Equal(ooAt), "read %v, want %v", got.ChangedAt, ooAt)
				require.Equal(t, time.UTC, got.ChangedAt.Location())
				raw, err := cs.GetEncrypted(ctx, "erp")
				require.NoError(t, err)
				require.Equal(t, ooToken, raw.Password)
				require.True(t, raw.ChangedAt.Equal(ooAt))

				// flowstore's write, as OpenOrchestrator's.
				before := time.Now()
				require.NoError(t, cs.Set(ctx, "mail", "bot@example", ooPassword))
				username, token, changedAt := ooGet(t, db, "mail")
				require.Equal(t, "bot@example", username)
				checkFernet(t, token, before, time.Now())
				require.Equal(t, ooNaive(clock, zone), changedAt, "changed_at as OpenOrchestrator writes it")
				opened, err := ooRing(t).Decrypt(token)
				require.NoError(t, err)
				require.Equal(t, ooPassword, string(opened))

				list, err := cs.List(ctx)
				require.NoError(t, err)
				require.Len(t, list, 2)
				require.Equal(t, "erp", list[0].Name)
				require.True(t, list[0].ChangedAt.Equal(ooAt))
				require.True(t, list[1].ChangedAt.Equal(clock))

				// Rotating re-encrypts OpenOrchestrator's row and leaves its
				// changed_at as it wrote it.
				next, _ := ring(t, secret.Fernet)
				n, err := cs.Rotate(ctx, next)
				require.NoError(t, err)
				require.Equal(t, 2, n)
				_, token, changedAt = ooGet(t, db, "erp")
				require.NotEqual(t, ooToken, token)
				require.Equal(t, ooNaive(ooAt, zone), changedAt)
				got, err = newStore(t, db, next).Get(ctx, "erp")
				require.NoError(t, err)
				require.Equal(t, ooPassword, got.Password)
			})
		}
	})
}

// TestCredentialsDefaultZoneIsLocal: without WithZone, changed_at is the
// wall clock of the process's local zone. A child process per zone runs
// with TZ set (time.Local is fixed at start-up), reads OpenOrchestrator's
// credential and sets one; this process checks what the child stored.
func TestCredentialsDefaultZoneIsLocal(t *testing.T) {
	at := time.Date(2026, 7, 15, 9, 30, 0, 250000000, time.UTC)
	if testdb.IsChild() {
		ctx := context.Background()
		zone, err := time.LoadLocation(os.Getenv("TZ"))
		require.NoError(t, err)
		_, local := at.In(time.Local).Zone()
		_, want := at.In(zone).Zone()
		require.Equal(t, want, local, "time.Local follows TZ")
		db, err := store.Open(ctx, os.Getenv("FLOWSTORE_CHILD_DSN"), store.WithClock(func() time.Time { return at }))
		require.NoError(t, err)
		defer db.Close()
		cs := newStore(t, db, ooRing(t))
		got, err := cs.Get(ctx, "from_oo")
		require.NoError(t, err)
		require.True(t, got.ChangedAt.Equal(at), "read %v, want %v", got.ChangedAt, at)
		require.Equal(t, ooPassword, got.Password)
		require.NoError(t, cs.Set(ctx, "from_go", "u", "p"))
		return
	}
	for _, d := range testdb.Live() {
		t.Run(string(d), func(t *testing.T) {
			db := testdb.Fresh(t, d)
			for _, zoneName := range []string{"America/New_York", "Asia/Kolkata"} {
				zone, err := time.LoadLocation(zoneName)
				require.NoError(t, err)
				_, err = db.SQL().ExecContext(context.Background(), "DELETE FROM "+db.SQLDialect().Quote("Credentials"))
				require.NoError(t, err)
				ooCreate(t, db, "from_oo", "u", ooToken, ooNaive(at, zone))
				testdb.RunChildren(t, 1, "TestCredentialsDefaultZoneIsLocal", map[string]string{"TZ": zoneName, "FLOWSTORE_CHILD_DSN": testdb.DSN(t, db)})
				_, _, changedAt := ooGet(t, db, "from_go")
				require.Equal(t, ooNaive(at, zone), changedAt, "the child wrote %s's wall clock", zoneName)
			}
		})
	}
}

// Issue 14, defects 3 and 4: a name, username or password holding a NUL or
// invalid UTF-8 is refused with store.ErrInvalid before anything is
// written, and a lookup of such a name (Get, GetEncrypted, Delete) is
// refused the same way instead of reaching bun's inlined literal (SQLite:
// "unrecognized token"; PostgreSQL: SQLSTATE 22021; MariaDB: the NUL
// dropped, so another row could answer). The password is encrypted, but
// OpenOrchestrator decodes what it decrypts as UTF-8.
func TestCredentialsRefuseTextTheyCannotStore(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		r, _ := ring(t, secret.Fernet)
		cs := newStore(t, db, r)
		require.NoError(t, cs.Set(ctx, "nul", "u", "p"))
		for _, bad := range []string{"nul\x00name", "nul\x00", "bad\xff", "cut \xe2\x82"} {
			require.ErrorIs(t, cs.Set(ctx, bad, "u", "p"), store.ErrInvalid, "%q", bad)
			require.ErrorIs(t, cs.Set(ctx, "good", bad, "p"), store.ErrInvalid, "%q as username", bad)
			err := cs.Set(ctx, "good", "u", bad)
			require.ErrorIs(t, err, store.ErrInvalid, "%q as password", bad)
			require.NotContains(t, err.Error(), bad, "the password is not repeated in the error")
			_, err = cs.Get(ctx, bad)
			require.ErrorIs(t, err, store.ErrInvalid, "%q: Get refuses the name Set refuses", bad)
			require.True(t, strings.HasPrefix(err.Error(), fmt.Sprintf("credential: get %q: invalid input: Credentials.name ", bad)), err.Error())
			_, err = cs.GetEncrypted(ctx, bad)
			require.ErrorIs(t, err, store.ErrInvalid, "%q", bad)
			require.ErrorIs(t, cs.Delete(ctx, bad), store.ErrInvalid, "%q", bad)
		}
		require.Equal(t, 1, countCredentials(t, db), "nothing written")
		_, err := cs.GetEncrypted(ctx, strings.Repeat("n", credential.NameMax+1))
		require.ErrorIs(t, err, store.ErrTooLong)
		for _, name := range []string{`it's`, `back\slash`, "😀"} {
			require.NoError(t, cs.Set(ctx, name, name, name))
			got, err := cs.Get(ctx, name)
			require.NoError(t, err, name)
			require.Equal(t, name, got.Username)
			require.Equal(t, name, got.Password)
			require.NoError(t, cs.Delete(ctx, name))
		}
	})
}

// Every method refuses a nil context with store.ErrInvalid instead of
// panicking inside database/sql.
func TestCredentialsRefuseNilContext(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		r, _ := ring(t, secret.Fernet)
		cs := newStore(t, db, r)
		require.Equal(t, 6, testdb.RefusesNilContext(t, cs))
		var nilCtx context.Context
		_, err := cs.Get(nilCtx, "erp")
		require.ErrorContains(t, err, "nil context")
		_, err = cs.GetEncrypted(nilCtx, "erp")
		require.ErrorContains(t, err, "nil context")
		require.ErrorContains(t, cs.Set(nilCtx, "erp", "u", "p"), "nil context")
		require.ErrorContains(t, cs.Delete(nilCtx, "erp"), "nil context")
		_, err = cs.Rotate(nilCtx, r)
		require.ErrorContains(t, err, "nil context")
		require.NoError(t, cs.Set(context.Background(), "after", "u", "p"), "nothing was left locked")
	})
}
