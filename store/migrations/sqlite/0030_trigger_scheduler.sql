-- trigger: which flowstore Scheduler runs a trigger (NULL when none does, or
-- when another system started it), so that the runs of a scheduler whose
-- heartbeat went stale can be found and recovered. Indexes for the Due query
-- (next_run per subtype) and for finding a scheduler's runs.
ALTER TABLE "Triggers" ADD COLUMN "flowstore_scheduler" TEXT NULL CONSTRAINT "Triggers_flowstore_scheduler_len" CHECK (length("flowstore_scheduler") <= 100);
CREATE INDEX "ix_Triggers_flowstore_scheduler" ON "Triggers" ("flowstore_scheduler");
CREATE INDEX "ix_Scheduled_Triggers_next_run" ON "Scheduled_Triggers" ("next_run");
CREATE INDEX "ix_Single_Triggers_next_run" ON "Single_Triggers" ("next_run");
