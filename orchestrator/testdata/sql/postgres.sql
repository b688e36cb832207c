-- readLock
SELECT "global_lock" FROM "engine_settings";

-- insertStep
INSERT INTO "process_steps" ("stepid", "pid", "name", "status", "state", "created_by", "executed_at", "seq") VALUES ($1, $2, $3, $4, $5, $6, $7, $8);

-- foldStep
UPDATE "process_steps" SET "state" = $1, "executed_at" = $2 WHERE "stepid" = $3;

-- finishStep
UPDATE "processes" SET "last_step" = $1, "last_status" = $2, "assignee" = $3, "failed_reason" = $4, "traceback" = $5, "last_modified_at" = $6, "engine_instance_id" = $7 WHERE "pid" = $8 AND "last_status" = 'running' AND "engine_instance_id" = $9;

-- finishStepLock
UPDATE "processes" SET "last_step" = $1, "last_status" = $2, "assignee" = $3, "failed_reason" = $4, "traceback" = $5, "last_modified_at" = $6, "engine_instance_id" = $7 WHERE "pid" = $8 AND "last_status" = 'running' AND "engine_instance_id" = $9 RETURNING (SELECT "global_lock" FROM "engine_settings");

-- runningDelta
UPDATE "engine_settings" SET "running_processes" = "running_processes" + $1;

-- claimNew
UPDATE "processes" SET "last_status" = 'running', "engine_instance_id" = $1, "last_modified_at" = $2 WHERE "pid" = $3 AND "last_status" IN ('created', 'resumed');

-- claimRunning
UPDATE "processes" SET "engine_instance_id" = $1, "last_modified_at" = $2 WHERE "pid" = $3 AND "last_status" = 'running' AND "engine_instance_id" = $4;

-- claimOrphan
UPDATE "processes" SET "engine_instance_id" = $1, "last_modified_at" = $2 WHERE "pid" = $3 AND "last_status" = 'running' AND "engine_instance_id" IS NULL;

-- release
UPDATE "processes" SET "engine_instance_id" = NULL WHERE "pid" = $1 AND "engine_instance_id" = $2;

-- maxSeq
SELECT COALESCE(MAX("seq"), 0) FROM "process_steps" WHERE "pid" = $1;

-- recoverable
SELECT p."pid", p."last_status", p."engine_instance_id" FROM "processes" p WHERE p."last_status" IN ('created', 'resumed') OR (p."last_status" = 'running' AND (p."engine_instance_id" IS NULL OR p."engine_instance_id" = $1 OR NOT EXISTS (SELECT 1 FROM "engine_instances" e WHERE e."instance_id" = p."engine_instance_id" AND e."expires_at" >= $2))) ORDER BY p."started_at";

-- lock
UPDATE "engine_settings" SET "global_lock" = TRUE WHERE "global_lock" = FALSE;

-- unlock
UPDATE "engine_settings" SET "global_lock" = FALSE WHERE "global_lock" = TRUE;

-- unlockResume
UPDATE "processes" SET "last_status" = 'resumed', "last_modified_at" = $1 WHERE "last_status" = 'running' AND "engine_instance_id" IS NULL;

-- pruneEngines
DELETE FROM "engine_instances" WHERE "expires_at" < $1 AND NOT EXISTS (SELECT 1 FROM "processes" p WHERE p."engine_instance_id" = "engine_instances"."instance_id" AND p."last_status" = 'running');

-- takeOverEngine
UPDATE "engine_instances" SET "hostname" = $1, "os_pid" = $2, "started_at" = $3, "heartbeat_at" = $4, "expires_at" = $5 WHERE "instance_id" = $6 AND "expires_at" < $7;

-- processes list
SELECT p.*, w.name AS workflow_name FROM processes AS p JOIN workflows AS w ON w.workflow_id = p.workflow_id WHERE (p.last_status = 'failed') AND (w.name = 'wf') AND (p.is_task = TRUE) ORDER BY p.started_at DESC, p.pid LIMIT 10;

-- processes page after a process (AllProcesses)
SELECT p.*, w.name AS workflow_name FROM processes AS p JOIN workflows AS w ON w.workflow_id = p.workflow_id WHERE (p.last_status = 'failed') AND (w.name = 'wf') AND (p.is_task = TRUE) AND (p.started_at <= '2025-01-02 03:04:05.000006+00:00') AND ((p.started_at < '2025-01-02 03:04:05.000006+00:00' OR p.pid > '00000000-0000-0000-0000-000000000001')) ORDER BY p.started_at DESC, p.pid LIMIT 10;

-- newest step (an input's earliest time)
SELECT "process_step"."executed_at" FROM "process_steps" AS "process_step" WHERE (pid = '00000000-0000-0000-0000-000000000001') ORDER BY executed_at DESC LIMIT 1;

-- newest input (an input's time comes after it)
SELECT "input_state"."input_time" FROM "input_states" AS "input_state" WHERE (pid = '00000000-0000-0000-0000-000000000001') ORDER BY input_time DESC LIMIT 1;

-- executing (EngineStatus counts them)
SELECT * FROM processes AS p WHERE (p.last_status = 'running') AND (EXISTS (SELECT 1 FROM engine_instances AS ei WHERE ei.instance_id = p.engine_instance_id AND ei.expires_at >= '2025-01-02 03:04:05.000006+00:00'));
