package dashboard

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/google/uuid"

	"github.com/flowstore/flowstore/store/logs"
)

// tailBatch caps the rows one poll of the live tail sends.
const tailBatch = 200

type tailRow struct {
	Time    string `json:"time"`
	Level   string `json:"level"`
	Process string `json:"process"`
	Message string `json:"message"`
}

// logTail streams log rows newer than the request as server-sent events
// ("log" events, one JSON row each), polling the Logs table every
// TailInterval with a bounded query until the client goes away. The page's
// script adds each row with textContent, so nothing is parsed as HTML.
func (h *handler) logTail(w http.ResponseWriter, r *http.Request) {
	f, err := h.logFilter(r.URL.Query())
	if err != nil {
		h.fail(w, r, err)
		return
	}
	// since: the time the page was read (its "since" parameter), at most
	// an hour back; else now.
	since := h.db.Now()
	if v := r.URL.Query().Get("since"); v != "" {
		us, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			http.Error(w, "bad request: bad since", http.StatusBadRequest)
			return
		}
		if t := time.UnixMicro(us).UTC(); t.Before(since) && since.Sub(t) < time.Hour {
			since = t
		}
	}
	fl, ok := w.(http.Flusher)
	if !ok {
		http.Error(w, "streaming unsupported", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	_, _ = fmt.Fprint(w, ": tail\n\n")
	fl.Flush()
	seen := map[uuid.UUID]bool{} // rows at exactly since, already sent
	tick := time.NewTicker(h.o.TailInterval)
	defer tick.Stop()
	ctx := r.Context()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		q := f
		q.From, q.To, q.Limit = since, time.Time{}, tailBatch
		var batch []logs.Entry
		for e, err := range h.s.Logs.All(ctx, q) {
			if err != nil {
				if ctx.Err() == nil {
					h.o.Logger.Warn("dashboard: log tail", "err", err)
				}
				return
			}
			if !seen[e.ID] {
				batch = append(batch, e)
			}
		}
		slices.Reverse(batch) // oldest first
		for _, e := range batch {
			if e.Time.After(since) {
				since = e.Time
				clear(seen)
			}
			seen[e.ID] = true
			b, _ := json.Marshal(tailRow{Time: whenIn(e.Time, h.db.Zone()), Level: string(e.Level), Process: e.ProcessName, Message: e.Message})
			if _, err := fmt.Fprintf(w, "event: log\ndata: %s\n\n", b); err != nil {
				return
			}
		}
		fl.Flush()
	}
}
