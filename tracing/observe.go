package tracing

import (
	"context"
	"errors"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/flowstore/flowstore/orchestrator"
	"github.com/flowstore/flowstore/queue"
	"github.com/flowstore/flowstore/store"
	"github.com/flowstore/flowstore/trigger"
)

// The attributes of flowstore's own spans.
const (
	AttrQueueName     = attribute.Key("flowstore.queue.name")
	AttrQueueClaimed  = attribute.Key("flowstore.queue.claimed")
	AttrWorkflowName  = attribute.Key("flowstore.workflow.name")
	AttrStepName      = attribute.Key("flowstore.step.name")
	AttrProcessID     = attribute.Key("flowstore.process.id")
	AttrStepOutcome   = attribute.Key("flowstore.step.outcome")
	AttrTriggerName   = attribute.Key("flowstore.trigger.name")
	AttrTriggerID     = attribute.Key("flowstore.trigger.id")
	AttrTriggerType   = attribute.Key("flowstore.trigger.type")
	AttrSchedulerName = attribute.Key("flowstore.scheduler.name")
	AttrTriggerResult = attribute.Key("flowstore.trigger.outcome")
)

// ownSpan keys the span a Tracer started in a context, so that each of
// several observers ends its own span.
type ownSpan struct{ t *Tracer }

func (t *Tracer) start(ctx context.Context, name string, attrs ...attribute.KeyValue) context.Context {
	ctx, span := t.tracer.Start(ctx, name, trace.WithAttributes(attrs...))
	return context.WithValue(ctx, ownSpan{t}, span)
}

// own returns the span t started in ctx (a no-op span if none).
func (t *Tracer) own(ctx context.Context) trace.Span {
	if span, ok := ctx.Value(ownSpan{t}).(trace.Span); ok {
		return span
	}
	return trace.SpanFromContext(context.Background())
}

// QueueClaimStart implements queue.Observer: it starts the claim's span.
func (t *Tracer) QueueClaimStart(ctx context.Context, q string) context.Context {
	return t.start(ctx, "flowstore.queue.claim", AttrQueueName.String(q))
}

// QueueClaimed implements queue.Observer: it ends the claim's span.
func (t *Tracer) QueueClaimed(ctx context.Context, _ string, claimed []queue.Element, err error) {
	span := t.own(ctx)
	span.SetAttributes(AttrQueueClaimed.Int(len(claimed)))
	if err != nil && !errors.Is(err, queue.ErrEmpty) {
		fail(span, err)
	}
	span.End()
}

// QueueFinished implements queue.Observer; a finish has no span of its own.
func (t *Tracer) QueueFinished(context.Context, queue.FinishEvent) {}

// QueueEnqueued implements queue.Observer; an enqueue has no span of its own.
func (t *Tracer) QueueEnqueued(context.Context, string, int, error) {}

// StepStart implements orchestrator.Observer: it starts the step's span.
func (t *Tracer) StepStart(ctx context.Context, s orchestrator.StepInfo) context.Context {
	return t.start(ctx, "flowstore.step",
		AttrWorkflowName.String(s.Workflow), AttrStepName.String(s.Step), AttrProcessID.String(s.PID.String()))
}

// StepEnd implements orchestrator.Observer: it ends the step's span. A step
// that failed (its failure committed) and one that did not commit are
// errors.
func (t *Tracer) StepEnd(ctx context.Context, ev orchestrator.StepEvent) {
	span := t.own(ctx)
	span.SetAttributes(AttrStepOutcome.String(ev.Outcome))
	switch {
	case ev.Err != nil:
		fail(span, ev.Err)
	case ev.Outcome == string(orchestrator.StatusFailed):
		span.SetStatus(codes.Error, "step failed")
	}
	span.End()
}

// TriggerStart implements trigger.Observer: it starts the attempt's span.
func (t *Tracer) TriggerStart(ctx context.Context, scheduler string, tr trigger.Trigger) context.Context {
	return t.start(ctx, "flowstore.trigger.start",
		AttrTriggerName.String(tr.Name), AttrTriggerID.String(tr.ID.String()),
		AttrTriggerType.String(string(tr.Type)), AttrSchedulerName.String(scheduler))
}

// TriggerStarted implements trigger.Observer: it ends the attempt's span.
// Losing a trigger to another scheduler is no error.
func (t *Tracer) TriggerStarted(ctx context.Context, _ string, _ trigger.Trigger, err error) {
	span := t.own(ctx)
	switch {
	case err == nil:
		span.SetAttributes(AttrTriggerResult.String("started"))
	case errors.Is(err, trigger.ErrNotStarted):
		span.SetAttributes(AttrTriggerResult.String("taken"))
	case errors.Is(err, store.ErrInvalid):
		span.SetAttributes(AttrTriggerResult.String("unstartable"))
		fail(span, err)
	default:
		span.SetAttributes(AttrTriggerResult.String("error"))
		fail(span, err)
	}
	span.End()
}
