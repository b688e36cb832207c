package faults_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/flowstore/flowstore/queue"
	"github.com/flowstore/flowstore/store"
	"github.com/flowstore/flowstore/store/storetest"
)

// TestSQLiteFullDisk fills the file system of an embedded SQLite database
// during a write burst: a tmpfs of a few megabytes, mounted by the test (it
// needs root; elsewhere it is skipped and says so), nearly filled by a
// ballast file. The writes that find no room fail with an error that says
// so; every write acknowledged before is there, none that failed is; the
// database passes PRAGMA integrity_check and stays readable; and once the
// ballast is removed, writes and claims work again on the same handle.
func TestSQLiteFullDisk(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "small")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	const size = 4 << 20
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, fmt.Sprintf("size=%d", size)); err != nil {
		t.Skipf("cannot mount a small tmpfs here (%v): the full-disk test needs root or CAP_SYS_ADMIN", err)
	}
	t.Cleanup(func() {
		if err := syscall.Unmount(dir, syscall.MNT_DETACH); err != nil {
			t.Errorf("unmount %s: %v", dir, err)
		}
	})
	ctx := t.Context()
	db, err := storetest.Open(ctx, filepath.Join(dir, "flowstore.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	q, err := queue.New(db)
	if err != nil {
		t.Fatal(err)
	}
	// Leave about 256 KiB: the burst below needs more.
	ballast := filepath.Join(dir, "ballast")
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		t.Fatal(err)
	}
	free := int64(st.Bavail) * st.Bsize
	if err := os.WriteFile(ballast, make([]byte, max(free-256<<10, 0)), 0o644); err != nil {
		t.Fatal(err)
	}

	data := strings.Repeat("d", 1500)
	acked, failures := 0, 0
	var firstErr error
	for batch := 0; batch < 200 && failures < 5; batch++ {
		els := make([]queue.NewElement, 20)
		for i := range els {
			els[i] = queue.NewElement{Reference: fmt.Sprintf("b%d-%d", batch, i), Data: data}
		}
		_, err := q.EnqueueBatch(ctx, "full", els)
		if err != nil {
			failures++
			if firstErr == nil {
				firstErr = err
			}
			continue
		}
		acked += len(els)
	}
	if firstErr == nil {
		t.Fatalf("%d elements enqueued and no write failed: the file system never filled", acked)
	}
	if acked == 0 {
		t.Fatalf("not one write fitted before the disk was full: %v", firstErr)
	}
	t.Logf("full disk after %d acknowledged elements; first error: %v", acked, firstErr)
	// A clear error: it says the disk is full, and is not one of the
	// sentinels that would send a caller to fix its input or retry at once.
	if msg := strings.ToLower(firstErr.Error()); !strings.Contains(msg, "full") {
		t.Errorf("the error does not say the disk is full: %v", firstErr)
	}
	for _, wrong := range []error{store.ErrInvalid, store.ErrTooLong, store.ErrNotFound, store.ErrConflict, store.ErrCommitUnknown} {
		if errors.Is(firstErr, wrong) {
			t.Errorf("a full disk reported as %v: %v", wrong, firstErr)
		}
	}

	// Consistent and readable while still full: every acknowledged
	// element is there, no failed one is.
	checkIntegrity(t, db)
	if n := countAll(t, q, "full"); n != acked {
		t.Fatalf("%d elements in the queue, %d were acknowledged", n, acked)
	}
	// Another process's view: a new handle on the full file reads it.
	other, err := store.Open(ctx, "sqlite:"+filepath.Join(dir, "flowstore.db"), store.WithExisting())
	if err != nil {
		t.Fatalf("open the full database again: %v", err)
	}
	oq, err := queue.New(other)
	if err != nil {
		t.Fatal(err)
	}
	if n := countAll(t, oq, "full"); n != acked {
		t.Fatalf("a second handle reads %d elements, %d were acknowledged", n, acked)
	}
	if err := other.Close(); err != nil {
		t.Fatal(err)
	}

	// Room again: the same handle writes, claims and finishes.
	if err := os.Remove(ballast); err != nil {
		t.Fatal(err)
	}
	for i := range 5 {
		if _, err := q.Enqueue(ctx, "full", queue.NewElement{Reference: fmt.Sprintf("after-%d", i), Data: data}); err != nil {
			t.Fatalf("enqueue after space returned: %v", err)
		}
	}
	els, err := q.ClaimBatch(ctx, "full", 10)
	if err != nil || len(els) != 10 {
		t.Fatalf("claim after space returned: %d elements, %v", len(els), err)
	}
	for _, el := range els {
		if err := q.Finish(ctx, el.ID, queue.Done("")); err != nil {
			t.Fatalf("finish after space returned: %v", err)
		}
	}
	checkIntegrity(t, db)
	if n := countAll(t, q, "full"); n != acked+5 {
		t.Fatalf("%d elements after space returned, want %d", n, acked+5)
	}
	t.Logf("SQLite full disk: %d elements acknowledged, %d batches refused, integrity ok, work resumed", acked, failures)
}

func checkIntegrity(t *testing.T, db *store.DB) {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	rows, err := db.SQL().QueryContext(ctx, "PRAGMA integrity_check")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if len(out) != 1 || out[0] != "ok" {
		t.Fatalf("PRAGMA integrity_check: %v", out)
	}
}

func countAll(t *testing.T, q queue.Store, name string) int {
	t.Helper()
	counts, err := q.Counts(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, c := range counts[name] {
		n += c
	}
	return n
}
