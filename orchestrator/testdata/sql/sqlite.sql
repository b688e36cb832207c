-- readLock
SELECT "global_lock" FROM "engine_settings";

-- insertStep
INSERT INTO "process_steps" ("stepid", "pid", "name", "status", "state", "created_by", "executed_at", "seq") VALUES (?, ?, ?, ?, ?, ?, ?, ?);

-- foldStep
UPDATE "process_steps" SET "state" = ?, "executed_at" = ? WHERE "stepid" = ?;

-- finishStep
UPDATE "processes" SET "last_step" = ?, "last_status" = ?, "assignee" = ?, "failed_reason" = ?, "traceback" = ?, "last_modified_at" = ?, "engine_instance_id" = ? WHERE "pid" = ? AND "last_status" = 'running' AND "engine_instance_id" = ?;

-- finishStepLock
UPDATE "processes" SET "last_step" = ?, "last_status" = ?, "assignee" = ?, "failed_reason" = ?, "traceback" = ?, "last_modified_at" = ?, "engine_instance_id" = ? WHERE "pid" = ? AND "last_status" = 'running' AND "engine_instance_id" = ? RETURNING (SELECT "global_lock" FROM "engine_settings");

-- runningDelta
UPDATE "engine_settings" SET "running_processes" = "running_processes" + ?;

-- claimNew
UPDATE "processes" SET "last_status" = 'running', "engine_instance_id" = ?, "last_modified_at" = ? WHERE "pid" = ? AND "last_status" IN ('created', 'resumed');

-- claimRunning
UPDATE "processes" SET "engine_instance_id" = ?, "last_modified_at" = ? WHERE "pid" = ? AND "last_status" = 'running' AND "engine_instance_id" = ?;

-- claimOrphan
UPDATE "processes" SET "engine_instance_id" = ?, "last_modified_at" = ? WHERE "pid" = ? AND "last_status" = 'running' AND "engine_instance_id" IS NULL;

-- release
UPDATE "processes" SET "engine_instance_id" = NULL WHERE "pid" = ? AND "engine_instance_id" = ?;

-- maxSeq
SELECT COALESCE(MAX("seq"), 0) FROM "process_steps" WHERE "pid" = ?;

-- recoverable
SELECT p."pid", p."last_status", p."engine_instance_id" FROM "processes" p WHERE p."last_status" IN ('created', 'resumed') OR (p."last_status" = 'running' AND (p."engine_instance_id" IS NULL OR p."engine_instance_id" = ? OR NOT EXISTS (SELECT 1 FROM "engine_instances" e WHERE e."instance_id" = p."engine_instance_id" AND e."expires_at" >= ?))) ORDER BY p."started_at";

-- lock
UPDATE "engine_settings" SET "global_lock" = 1 WHERE "global_lock" = 0;

-- unlock
UPDATE "engine_settings" SET "global_lock" = 0 WHERE "global_lock" = 1;

-- unlockResume
UPDATE "processes" SET "last_status" = 'resumed', "last_modified_at" = ? WHERE "last_status" = 'running' AND "engine_instance_id" IS NULL;

-- pruneEngines
DELETE FROM "engine_instances" WHERE "expires_at" < ? AND NOT EXISTS (SELECT 1 FROM "processes" p WHERE p."engine_instance_id" = "engine_instances"."instance_id" AND p."last_status" = 'running');

-- takeOverEngine
UPDATE "engine_instances" SET "hostname" = ?, "os_pid" = ?, "started_at" = ?, "heartbeat_at" = ?, "expires_at" = ? WHERE "instance_id" = ? AND "expires_at" < ?;

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
