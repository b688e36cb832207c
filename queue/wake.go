package queue

import (
	"sync"

	"github.com/flowstore/flowstore/store"
)

// In-process wake-ups. An enqueue through any queue store of a *store.DB
// wakes the Workers of the same *store.DB that work that queue, at once,
// instead of letting them find the element at their next poll. This is the
// whole of the push path on SQLite, whose writers share one process; on
// PostgreSQL LISTEN/NOTIFY (listen.go) adds the enqueues of other
// processes. A wake-up is only a hint: a worker that wakes claims, and an
// enqueue still inside an uncommitted session is not claimable yet (the
// worker then goes back to polling, or, on SQLite, its claim waits for
// the session's write turn and finds the element once it commits).

// hubs holds the wake hub of each *store.DB that has a running Worker.
var hubs sync.Map // *store.DB → *hub

// hub is the set of wake channels of one *store.DB's Workers, per queue.
type hub struct {
	mu   sync.Mutex
	subs map[string]map[chan struct{}]int
}

// subscribe registers ch to be woken by enqueues into queues on db, and
// returns what unregisters it.
func subscribe(db *store.DB, queues []string, ch chan struct{}) (unsubscribe func()) {
	v, _ := hubs.LoadOrStore(db, &hub{subs: map[string]map[chan struct{}]int{}})
	h := v.(*hub)
	h.mu.Lock()
	for _, q := range queues {
		if h.subs[q] == nil {
			h.subs[q] = map[chan struct{}]int{}
		}
		h.subs[q][ch]++
	}
	h.mu.Unlock()
	return func() {
		h.mu.Lock()
		defer h.mu.Unlock()
		for _, q := range queues {
			if h.subs[q][ch]--; h.subs[q][ch] <= 0 {
				delete(h.subs[q], ch)
			}
			if len(h.subs[q]) == 0 {
				delete(h.subs, q)
			}
		}
	}
}

// wakeLocal wakes the Workers of db that work queue. It never blocks: a
// channel that already holds a wake-up keeps just that one.
func wakeLocal(db *store.DB, queue string) {
	v, ok := hubs.Load(db)
	if !ok {
		return
	}
	h := v.(*hub)
	h.mu.Lock()
	for ch := range h.subs[queue] {
		poke(ch)
	}
	h.mu.Unlock()
}

// poke leaves a wake-up in ch (capacity 1) unless one is waiting already.
func poke(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}
