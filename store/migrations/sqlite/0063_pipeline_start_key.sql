-- orchestrator/pipeline: the idempotent form of StartRun (StartOptions.Key).
-- The caller's key is stored with the run, unique per workflow version, so a
-- retry of a start whose outcome the caller does not know finds the run the
-- first attempt started instead of starting a second one. NULL for runs
-- started without a key (and for every run pilotage writes).
ALTER TABLE "workflow_log" ADD COLUMN "start_key" TEXT NULL CONSTRAINT "workflow_log_start_key_len" CHECK (length("start_key") <= 255);
CREATE UNIQUE INDEX "ux_workflow_log_from_workflow_start_key" ON "workflow_log" ("from_workflow", "start_key");
