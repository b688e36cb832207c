package queue_test

import (
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/flowstore/flowstore/internal/testdb"
	"github.com/flowstore/flowstore/queue"
	"github.com/flowstore/flowstore/store"
)

// FuzzEnqueueRoundTrip: on every live dialect, an element either comes back
// from Get exactly as it was enqueued — queue name, reference, data,
// created_by and key, byte for byte — or Enqueue refuses it with
// ErrInvalid or ErrTooLong and writes nothing. Seeded with issue 14's bad
// text (NUL, invalid UTF-8, SQL-looking text, lengths at and past the
// limits, characters outside the BMP).
func FuzzEnqueueRoundTrip(f *testing.F) {
	for _, s := range []string{
		"", "ref", "nul\x00ref", "bad\xffutf8", "\xed\xa0\x80", "it's", `"q"`, "back\\slash", "'; DELETE FROM \"Queues\"; --",
		"?", "$1", "trailing ", "\u00e6\u00f8\u00e5", "\U0001F600", strings.Repeat("r", 100), strings.Repeat("r", 101),
		strings.Repeat("\U0001F600", 51), strings.Repeat("d", 2001), "\ufeff",
	} {
		f.Add("q", s, "data", "", "k")
		f.Add(s, "ref", s, s, "")
		f.Add("q", "ref", "data", "me", s)
	}
	type target struct {
		name store.DialectName
		q    queue.Store
		db   *store.DB
	}
	var targets []target
	for _, d := range testdb.Live() {
		db := testdb.Fresh(f, d)
		q, err := queue.New(db)
		if err != nil {
			f.Fatal(err)
		}
		targets = append(targets, target{d, q, db})
	}
	var n atomic.Int64
	f.Fuzz(func(t *testing.T, queueName, ref, data, by, key string) {
		// A queue (and key) of its own per input, so inputs that a
		// collation holds equal do not meet.
		i := n.Add(1)
		queueName = fmt.Sprintf("f%d:%s", i, queueName)
		if key != "" {
			key = fmt.Sprintf("f%d:%s", i, key)
		}
		in := queue.NewElement{Reference: ref, Data: data, CreatedBy: by, Key: key}
		for _, tg := range targets {
			ctx := t.Context()
			before := countAll(t, tg.q)
			el, err := tg.q.Enqueue(ctx, queueName, in)
			if err != nil {
				if !errors.Is(err, store.ErrInvalid) && !errors.Is(err, store.ErrTooLong) {
					t.Fatalf("%s: Enqueue(%q, %+v): unclassified error %v", tg.name, queueName, in, err)
				}
				if after := countAll(t, tg.q); after != before {
					t.Fatalf("%s: Enqueue refused (%v) but the elements went from %d to %d", tg.name, err, before, after)
				}
				continue
			}
			got, err := tg.q.Get(ctx, el.ID)
			if err != nil {
				t.Fatalf("%s: Enqueue(%q, %+v) succeeded, Get: %v", tg.name, queueName, in, err)
			}
			if got.QueueName != queueName || got.Reference != ref || got.Data != data || got.CreatedBy != by || got.Key != key {
				t.Fatalf("%s: enqueued (%q, %q, %q, %q, %q), read (%q, %q, %q, %q, %q)", tg.name,
					queueName, ref, data, by, key, got.QueueName, got.Reference, got.Data, got.CreatedBy, got.Key)
			}
			if got.Status != queue.StatusNew {
				t.Fatalf("%s: a new element is %s", tg.name, got.Status)
			}
		}
	})
}

func countAll(t *testing.T, q queue.Store) int {
	t.Helper()
	counts, err := q.Counts(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, byStatus := range counts {
		for _, c := range byStatus {
			n += c
		}
	}
	return n
}
