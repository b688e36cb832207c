-- queue: idempotent enqueue (see queue/doc.go). Queues.idempotency_key is
-- flowstore's: a caller-chosen key, unique within its queue, so that an
-- enqueue retried after an unknown outcome cannot add the element twice.
-- Nullable: OpenOrchestrator does not know the column and leaves it NULL,
-- and the index covers keyed rows only.
ALTER TABLE "Queues" ADD COLUMN "idempotency_key" VARCHAR(100) NULL;
CREATE UNIQUE INDEX "ux_Queues_queue_name_idempotency_key" ON "Queues" ("queue_name", "idempotency_key") WHERE "idempotency_key" IS NOT NULL;
