package tracing_test

import (
	"context"
	"fmt"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/flowstore/flowstore"
	"github.com/flowstore/flowstore/queue"
)

// A host passes its tracer provider to flowstore.Open; here the SDK's
// in-memory exporter shows the span of a claim and of its statement.
func Example() {
	ctx := context.Background()
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	defer tp.Shutdown(ctx)

	db, err := flowstore.Open(ctx, "sqlite::memory:", flowstore.WithTracerProvider(tp))
	if err != nil {
		panic(err)
	}
	defer db.Close()
	if _, err := db.Queue.Enqueue(ctx, "invoices", queue.NewElement{Reference: "INV-1"}); err != nil {
		panic(err)
	}
	if _, err := db.Queue.Claim(ctx, "invoices"); err != nil {
		panic(err)
	}
	spans := exp.GetSpans()
	for _, s := range spans {
		if s.Name != "flowstore.queue.claim" {
			continue
		}
		fmt.Println(s.Name)
		for _, c := range spans {
			if c.Parent.SpanID() == s.SpanContext.SpanID() {
				fmt.Println("  " + c.Name)
			}
		}
	}
	// Output:
	// flowstore.queue.claim
	//   UPDATE Queues
}
