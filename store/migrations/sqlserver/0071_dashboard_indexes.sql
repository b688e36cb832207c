-- dashboard (issue 16): the dashboard's pages and the overview read these
-- tables newest first with a LIMIT; without these indexes each read sorts the
-- whole table (or all rows of one status). Each index serves one ORDER BY
-- directly, so a page reads only its rows:
--   processes (started_at DESC, pid): the process list, newest first, ties by
--     pid (orchestrator.Store.Processes / AllProcesses);
--   processes (last_status, started_at DESC, pid): the same, one status;
--   Logs (log_time, id) and (log_level, log_time, id): logs.Store.All's
--     log_time DESC, id DESC, read backwards (all rows, or one level);
--   Queues (reference, created_date, id): the elements of one reference;
--   Queues (queue_name, status, end_date): the overview's work done per queue
--     in the last hour (DONE with end_date in the last hour, a capped count);
--   workflow_log (run_state, id): the overview's newest running pipeline runs.
-- Key lengths (SQL Server's nonclustered limit is 1700 bytes): the longest
-- is Queues (queue_name NVARCHAR(100), status NVARCHAR(20), end_date) at
-- 200 + 40 + 8 bytes.
CREATE INDEX "ix_processes_started_at_pid" ON "processes" ("started_at" DESC, "pid");
CREATE INDEX "ix_processes_last_status_started_at_pid" ON "processes" ("last_status", "started_at" DESC, "pid");
CREATE INDEX "ix_Logs_log_time_id" ON "Logs" ("log_time", "id");
CREATE INDEX "ix_Logs_log_level_log_time_id" ON "Logs" ("log_level", "log_time", "id");
CREATE INDEX "ix_Queues_reference_created_date_id" ON "Queues" ("reference", "created_date", "id");
CREATE INDEX "ix_Queues_queue_name_status_end_date" ON "Queues" ("queue_name", "status", "end_date");
CREATE INDEX "idx_workflow_log_run_state_id" ON "workflow_log" ("run_state", "id");
