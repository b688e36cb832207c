package metrics_test

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/flowstore/flowstore"
	"github.com/flowstore/flowstore/metrics"
	"github.com/flowstore/flowstore/queue"
)

// A host registers the collector with its registry, gives it to
// flowstore.Open, and serves the registry at /metrics.
func Example() {
	ctx := context.Background()
	m, err := metrics.New()
	if err != nil {
		panic(err)
	}
	reg := prometheus.NewRegistry() // or prometheus.DefaultRegisterer
	reg.MustRegister(m)
	db, err := flowstore.Open(ctx, "sqlite::memory:", flowstore.WithObserver(m))
	if err != nil {
		panic(err)
	}
	defer db.Close()

	if _, err := db.Queue.Enqueue(ctx, "invoices", queue.NewElement{Reference: "INV-1"}); err != nil {
		panic(err)
	}
	e, err := db.Queue.Claim(ctx, "invoices")
	if err != nil {
		panic(err)
	}
	if err := db.Queue.FinishClaimed(ctx, e, queue.Done("")); err != nil {
		panic(err)
	}

	mux := http.NewServeMux()
	mux.Handle("/metrics", metrics.Handler(reg))
	srv := httptest.NewServer(mux)
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/metrics")
	if err != nil {
		panic(err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		line := sc.Text()
		for _, name := range []string{"flowstore_queue_claimed_total", "flowstore_queue_finished_total", `flowstore_queue_elements{queue="invoices",status="DONE"}`, "flowstore_queue_claim_to_finish_seconds_count"} {
			if strings.HasPrefix(line, name) {
				fmt.Println(line)
			}
		}
	}
	// Output:
	// flowstore_queue_claim_to_finish_seconds_count{queue="invoices"} 1
	// flowstore_queue_claimed_total{queue="invoices"} 1
	// flowstore_queue_elements{queue="invoices",status="DONE"} 1
	// flowstore_queue_finished_total{queue="invoices",status="DONE"} 1
}
