-- readLock
SELECT "global_lock" FROM "engine_settings";

-- insertStep
INSERT INTO "process_steps" ("stepid", "pid", "name", "status", "state", "created_by", "executed_at", "seq") VALUES (@p1, @p2, @p3, @p4, @p5, @p6, @p7, @p8);

-- foldStep
UPDATE "process_steps" SET "state" = @p1, "executed_at" = @p2 WHERE "stepid" = @p3;

-- finishStep
UPDATE "processes" SET "last_step" = @p1, "last_status" = @p2, "assignee" = @p3, "failed_reason" = @p4, "traceback" = @p5, "last_modified_at" = @p6, "engine_instance_id" = @p7 WHERE "pid" = @p8 AND "last_status" = 'running' AND "engine_instance_id" = @p9;

-- finishStepLock
;

-- runningDelta
UPDATE "engine_settings" SET "running_processes" = "running_processes" + @p1;

-- claimNew
UPDATE "processes" SET "last_status" = 'running', "engine_instance_id" = @p1, "last_modified_at" = @p2 WHERE "pid" = @p3 AND "last_status" IN ('created', 'resumed');

-- claimRunning
UPDATE "processes" SET "engine_instance_id" = @p1, "last_modified_at" = @p2 WHERE "pid" = @p3 AND "last_status" = 'running' AND "engine_instance_id" = @p4;

-- claimOrphan
UPDATE "processes" SET "engine_instance_id" = @p1, "last_modified_at" = @p2 WHERE "pid" = @p3 AND "last_status" = 'running' AND "engine_instance_id" IS NULL;

-- release
UPDATE "processes" SET "engine_instance_id" = NULL WHERE "pid" = @p1 AND "engine_instance_id" = @p2;

-- maxSeq
SELECT COALESCE(MAX("seq"), 0) FROM "process_steps" WHERE "pid" = @p1;

-- recoverable
SELECT p."pid", p."last_status", p."engine_instance_id" FROM "processes" p WHERE p."last_status" IN ('created', 'resumed') OR (p."last_status" = 'running' AND (p."engine_instance_id" IS NULL OR p."engine_instance_id" = @p1 OR NOT EXISTS (SELECT 1 FROM "engine_instances" e WHERE e."instance_id" = p."engine_instance_id" AND e."expires_at" >= @p2))) ORDER BY p."started_at";

-- lock
UPDATE "engine_settings" SET "global_lock" = 1 WHERE "global_lock" = 0;

-- unlock
UPDATE "engine_settings" SET "global_lock" = 0 WHERE "global_lock" = 1;

-- unlockResume
UPDATE "processes" SET "last_status" = 'resumed', "last_modified_at" = @p1 WHERE "last_status" = 'running' AND "engine_instance_id" IS NULL;

-- pruneEngines
DELETE FROM "engine_instances" WHERE "expires_at" < @p1 AND NOT EXISTS (SELECT 1 FROM "processes" p WHERE p."engine_instance_id" = "engine_instances"."instance_id" AND p."last_status" = 'running');

-- takeOverEngine
UPDATE "engine_instances" SET "hostname" = @p1, "os_pid" = @p2, "started_at" = @p3, "heartbeat_at" = @p4, "expires_at" = @p5 WHERE "instance_id" = @p6 AND "expires_at" < @p7;

-- processes list
SELECT p.*, w.name AS workflow_name FROM processes AS p JOIN workflows AS w ON w.workflow_id = p.workflow_id WHERE (p.last_status = N'failed') AND (w.name = N'wf') AND (p.is_task = 1) ORDER BY p.started_at DESC, p.pid OFFSET 0 ROWS FETCH NEXT 10 ROWS ONLY;

-- processes page after a process (AllProcesses)
SELECT p.*, w.name AS workflow_name FROM processes AS p JOIN workflows AS w ON w.workflow_id = p.workflow_id WHERE (p.last_status = N'failed') AND (w.name = N'wf') AND (p.is_task = 1) AND (p.started_at <= '2025-01-02 03:04:05.000006') AND ((p.started_at < '2025-01-02 03:04:05.000006' OR p.pid > N'00000000-0000-0000-0000-000000000001')) ORDER BY p.started_at DESC, p.pid OFFSET 0 ROWS FETCH NEXT 10 ROWS ONLY;

-- newest step (an input's earliest time)
SELECT "process_step"."executed_at" FROM "process_steps" AS "process_step" WHERE (pid = N'00000000-0000-0000-0000-000000000001') ORDER BY executed_at DESC OFFSET 0 ROWS FETCH NEXT 1 ROWS ONLY;

-- newest input (an input's time comes after it)
SELECT "input_state"."input_time" FROM "input_states" AS "input_state" WHERE (pid = N'00000000-0000-0000-0000-000000000001') ORDER BY input_time DESC OFFSET 0 ROWS FETCH NEXT 1 ROWS ONLY;

-- executing (EngineStatus counts them)
SELECT * FROM processes AS p WHERE (p.last_status = N'running') AND (EXISTS (SELECT 1 FROM engine_instances AS ei WHERE ei.instance_id = p.engine_instance_id AND ei.expires_at >= '2025-01-02 03:04:05.000006'));
