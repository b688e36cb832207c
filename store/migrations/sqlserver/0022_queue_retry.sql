-- queue: Worker retries (see queue/doc.go, "Worker"). Queues.attempts counts
-- the failed runs of an element that a retrying Worker recorded;
-- Queues.retry_at is when a FAILED element goes back to NEW (a naive wall
-- clock of the database's zone, like the table's other times). Both are
-- flowstore's and nullable: OpenOrchestrator does not know them and leaves
-- them NULL, which means "no retry" — its FAILED stays FAILED. The
-- filtered index covers only elements waiting for a retry, so claims and
-- finishes, which leave retry_at NULL, never touch it.
ALTER TABLE "Queues" ADD "attempts" INT NULL;
ALTER TABLE "Queues" ADD "retry_at" DATETIME2(6) NULL;
CREATE INDEX "ix_Queues_queue_name_retry_at" ON "Queues" ("queue_name", "retry_at") WHERE "retry_at" IS NOT NULL;
