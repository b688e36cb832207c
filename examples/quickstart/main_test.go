package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/flowstore/flowstore/internal/testdb"
)

func TestMain(m *testing.M) { testdb.Main(m) }

// sections is what each section of the tour reports, on every run.
var sections = []string{
	"OpenOrchestrator",
	"stores a Fernet token gAAAAA", `Get decrypts it to "s3cret!"`,
	"under AES-256-GCM key ", `rotated to key `, `read the old token ("token-123") and wrote gcm1.`,
	"only the old key cannot read it now: errors.Is(err, store.ErrDecrypt)",
	`two slog calls, 2 rows in Logs under process_name "quickstart"`,
	"ERROR payment gateway timed out invoice=INV-2", "INFO  invoice booked invoice=INV-1 amount=10",
	"worker A claimed INV-1", "worker B claimed 2 more", "INV-1's lease (100ms) ran out: worker B's next claim took it over",
	"cannot finish it over B's claim: errors.Is(err, store.ErrConflict)",
	"queue.ErrEmpty",
	"the scheduler started it", "the trigger is IDLE again",
	"process failed (payment gateway timed out)", "rolled back: 0 invoices queued",
	"locked the engines (status PAUSED): the retry is refused, errors.Is(err, store.ErrLocked)",
	"unlocked and retried: process completed, 1 invoice queued",
	"the second is refused", "version 2",
	"an event with customer=ACME, orderId=42 finds its instance by correlation", "quickstart-order-42 at version 2",
}

// tourTwice runs the tour twice on dsn and checks both outputs: every
// section reports what it demonstrates; the first run migrates and creates,
// the second finds the schema current and reuses what the first left.
func tourTwice(t *testing.T, dsn string) (first, second string) {
	t.Helper()
	outs := make([]string, 2)
	for i := range outs {
		var out bytes.Buffer
		start := time.Now()
		if err := run(t.Context(), dsn, &out); err != nil {
			t.Fatalf("run %d: %v\n%s", i+1, err, out.String())
		}
		t.Logf("run %d took %s", i+1, time.Since(start).Round(time.Millisecond))
		outs[i] = out.String()
		for _, want := range sections {
			if !strings.Contains(outs[i], want) {
				t.Errorf("run %d lacks %q:\n%s", i+1, want, outs[i])
			}
		}
	}
	for i, wants := range [][]string{
		{"1. migrated the schema from version 0 to ", `created "quickstart nightly report"`,
			"defined acme/shop/quickstart-release", "run 1:", "run 2:", "history, newest first: run 2, run 1\n"},
		{"1. schema already at version ", "(nothing to migrate)", `found "quickstart nightly report" from the last run`,
			"found acme/shop/quickstart-release", "run 3:", "run 4:", "history, newest first: run 4, run 3, run 2, run 1\n"},
	} {
		for _, want := range wants {
			if !strings.Contains(outs[i], want) {
				t.Errorf("run %d lacks %q:\n%s", i+1, want, outs[i])
			}
		}
	}
	if strings.Contains(outs[1], "migrated the schema") {
		t.Errorf("the second run says it migrated:\n%s", outs[1])
	}
	return outs[0], outs[1]
}

// TestRunsTwiceOnOneDatabase runs the tour twice on one new database per live
// dialect, as -dsn users do.
func TestRunsTwiceOnOneDatabase(t *testing.T) {
	for _, d := range testdb.Live() {
		t.Run(string(d), func(t *testing.T) {
			tourTwice(t, testdb.FreshDSN(t, d))
		})
	}
}

// TestDefaultDatabaseInUserCacheDir: without -dsn the tour uses one file
// under the user cache directory, the same on every run, says where it is
// and how to delete it, and leaves no other file behind.
func TestDefaultDatabaseInUserCacheDir(t *testing.T) {
	cache := t.TempDir()
	t.Setenv("XDG_CACHE_HOME", cache) // os.UserCacheDir on Linux and the BSDs
	if dir, err := os.UserCacheDir(); err != nil || dir != cache {
		t.Skipf("os.UserCacheDir does not follow XDG_CACHE_HOME here (%q, %v)", dir, err)
	}
	file := filepath.Join(cache, "flowstore", "quickstart.db")
	first, second := tourTwice(t, "")
	for i, out := range []string{first, second} {
		for _, want := range []string{"database: " + file + " (kept", "delete it with:   rm " + file} {
			if !strings.Contains(out, want) {
				t.Errorf("run %d lacks %q:\n%s", i+1, want, out)
			}
		}
	}
	entries, err := os.ReadDir(filepath.Join(cache, "flowstore"))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if len(names) != 1 || names[0] != "quickstart.db" {
		t.Errorf("the cache directory holds %v, want only quickstart.db", names)
	}
}
