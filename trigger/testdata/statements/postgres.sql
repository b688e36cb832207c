-- get
SELECT t."id", t."trigger_name", t."process_name", t."last_run", t."process_path", t."process_args", t."process_status", t."is_git_repo", t."is_blocking", t."type", t."git_branch", t."scheduler_whitelist", t."priority", t."flowstore_scheduler", s."cron_expr", s."next_run" AS "scheduled_next_run", g."next_run" AS "single_next_run", q."queue_name", q."min_batch_size" FROM "Triggers" t LEFT JOIN "Scheduled_Triggers" s ON s."id" = t."id" LEFT JOIN "Single_Triggers" g ON g."id" = t."id" LEFT JOIN "Queue_Triggers" q ON q."id" = t."id" WHERE t."id" IN (?);

-- due
SELECT d.* FROM (SELECT t."id", t."trigger_name", t."process_name", t."last_run", t."process_path", t."process_args", t."process_status", t."is_git_repo", t."is_blocking", t."type", t."git_branch", t."scheduler_whitelist", t."priority", t."flowstore_scheduler", CAST(NULL AS VARCHAR(200)) AS "cron_expr", g."next_run" AS "scheduled_next_run", g."next_run" AS "single_next_run", CAST(NULL AS VARCHAR(200)) AS "queue_name", CAST(NULL AS INTEGER) AS "min_batch_size", 0 AS "_type_order", g."next_run" AS "_due_at" FROM "Single_Triggers" g JOIN "Triggers" t ON t."id" = g."id" WHERE g."next_run" <= ? AND t."process_status" = 'IDLE' UNION ALL SELECT t."id", t."trigger_name", t."process_name", t."last_run", t."process_path", t."process_args", t."process_status", t."is_git_repo", t."is_blocking", t."type", t."git_branch", t."scheduler_whitelist", t."priority", t."flowstore_scheduler", s."cron_expr", s."next_run", s."next_run", CAST(NULL AS VARCHAR(200)), CAST(NULL AS INTEGER), 1, s."next_run" FROM "Scheduled_Triggers" s JOIN "Triggers" t ON t."id" = s."id" WHERE s."next_run" <= ? AND t."process_status" = 'IDLE' UNION ALL SELECT t."id", t."trigger_name", t."process_name", t."last_run", t."process_path", t."process_args", t."process_status", t."is_git_repo", t."is_blocking", t."type", t."git_branch", t."scheduler_whitelist", t."priority", t."flowstore_scheduler", CAST(NULL AS VARCHAR(200)), NULLIF(t."last_run", t."last_run"), NULLIF(t."last_run", t."last_run"), q."queue_name", q."min_batch_size", 2, NULLIF(t."last_run", t."last_run") FROM "Queue_Triggers" q JOIN "Triggers" t ON t."id" = q."id" WHERE t."process_status" = 'IDLE' AND q."min_batch_size" <= (SELECT COUNT(*) FROM (SELECT 1 FROM "Queues" e WHERE e."queue_name" = q."queue_name" AND e."status" = 'NEW' LIMIT q."min_batch_size") AS n)) d ORDER BY d."priority" DESC, d."_type_order", d."_due_at", d."id";

-- due (limit)
SELECT d.* FROM (SELECT t."id", t."trigger_name", t."process_name", t."last_run", t."process_path", t."process_args", t."process_status", t."is_git_repo", t."is_blocking", t."type", t."git_branch", t."scheduler_whitelist", t."priority", t."flowstore_scheduler", CAST(NULL AS VARCHAR(200)) AS "cron_expr", g."next_run" AS "scheduled_next_run", g."next_run" AS "single_next_run", CAST(NULL AS VARCHAR(200)) AS "queue_name", CAST(NULL AS INTEGER) AS "min_batch_size", 0 AS "_type_order", g."next_run" AS "_due_at" FROM "Single_Triggers" g JOIN "Triggers" t ON t."id" = g."id" WHERE g."next_run" <= ? AND t."process_status" = 'IDLE' UNION ALL SELECT t."id", t."trigger_name", t."process_name", t."last_run", t."process_path", t."process_args", t."process_status", t."is_git_repo", t."is_blocking", t."type", t."git_branch", t."scheduler_whitelist", t."priority", t."flowstore_scheduler", s."cron_expr", s."next_run", s."next_run", CAST(NULL AS VARCHAR(200)), CAST(NULL AS INTEGER), 1, s."next_run" FROM "Scheduled_Triggers" s JOIN "Triggers" t ON t."id" = s."id" WHERE s."next_run" <= ? AND t."process_status" = 'IDLE' UNION ALL SELECT t."id", t."trigger_name", t."process_name", t."last_run", t."process_path", t."process_args", t."process_status", t."is_git_repo", t."is_blocking", t."type", t."git_branch", t."scheduler_whitelist", t."priority", t."flowstore_scheduler", CAST(NULL AS VARCHAR(200)), NULLIF(t."last_run", t."last_run"), NULLIF(t."last_run", t."last_run"), q."queue_name", q."min_batch_size", 2, NULLIF(t."last_run", t."last_run") FROM "Queue_Triggers" q JOIN "Triggers" t ON t."id" = q."id" WHERE t."process_status" = 'IDLE' AND q."min_batch_size" <= (SELECT COUNT(*) FROM (SELECT 1 FROM "Queues" e WHERE e."queue_name" = q."queue_name" AND e."status" = 'NEW' LIMIT q."min_batch_size") AS n)) d ORDER BY d."priority" DESC, d."_type_order", d."_due_at", d."id" LIMIT ?;

-- begin: trigger
UPDATE "Triggers" SET "process_status" = 'RUNNING', "last_run" = ?, "flowstore_scheduler" = ? WHERE "id" IN (?) AND "type" = ? AND "process_status" = 'IDLE';

-- begin: cron of
SELECT "cron_expr" FROM "Scheduled_Triggers" WHERE "id" IN (?);

-- begin: scheduled
UPDATE "Scheduled_Triggers" SET "next_run" = ? WHERE "id" IN (?) AND "next_run" <= ?;

-- begin: single due
SELECT COUNT(*) FROM "Single_Triggers" WHERE "id" IN (?) AND "next_run" <= ?;

-- begin: queue due
SELECT COUNT(*) FROM "Queue_Triggers" q WHERE q."id" IN (?) AND q."min_batch_size" <= (SELECT COUNT(*) FROM (SELECT 1 FROM "Queues" e WHERE e."queue_name" = q."queue_name" AND e."status" = 'NEW' LIMIT q."min_batch_size") AS n);

-- begin: note latest
UPDATE "Schedulers" SET "latest_trigger" = ?, "latest_trigger_time" = ? WHERE "machine_name" = ?;

-- heartbeat: update
UPDATE "Schedulers" SET "last_update" = ? WHERE "machine_name" = ?;

-- heartbeat: insert
INSERT INTO "Schedulers" ("machine_name", "last_update") VALUES (?, ?);

-- take name (renew a stale row)
UPDATE "Schedulers" SET "last_update" = ? WHERE "machine_name" = ? AND "last_update" < ?;

-- release name
DELETE FROM "Schedulers" WHERE "machine_name" = ? AND NOT EXISTS (SELECT 1 FROM "Triggers" t WHERE t."flowstore_scheduler" = ? AND t."process_status" IN ('RUNNING', 'PAUSING', 'KILLING'));

-- schedulers
SELECT "machine_name", "last_update", "latest_trigger", "latest_trigger_time" FROM "Schedulers" ORDER BY "machine_name";

-- last heartbeat
SELECT "last_update" FROM "Schedulers" WHERE "machine_name" = ?;

-- killing
SELECT "id" FROM "Triggers" WHERE "flowstore_scheduler" = ? AND "process_status" = 'KILLING';

-- stale schedulers
SELECT h."machine_name" FROM "Schedulers" h WHERE h."last_update" < ? AND EXISTS (SELECT 1 FROM "Triggers" t WHERE t."flowstore_scheduler" = h."machine_name" AND t."process_status" IN ('RUNNING', 'PAUSING', 'KILLING')) ORDER BY h."machine_name";

-- recover stale (fail)
UPDATE "Triggers" SET "process_status" = CASE WHEN "process_status" = 'RUNNING' THEN 'FAILED' WHEN "process_status" = 'PAUSING' THEN 'FAILED' WHEN "process_status" = 'KILLING' THEN 'KILLED' ELSE "process_status" END, "flowstore_scheduler" = NULL WHERE "process_status" IN ('RUNNING', 'PAUSING', 'KILLING') AND "flowstore_scheduler" = ? AND EXISTS (SELECT 1 FROM "Schedulers" h WHERE h."machine_name" = ? AND h."last_update" < ?);

-- recover own (fail)
UPDATE "Triggers" SET "process_status" = CASE WHEN "process_status" = 'RUNNING' THEN 'FAILED' WHEN "process_status" = 'PAUSING' THEN 'FAILED' WHEN "process_status" = 'KILLING' THEN 'KILLED' ELSE "process_status" END, "flowstore_scheduler" = NULL WHERE "process_status" IN ('RUNNING', 'PAUSING', 'KILLING') AND "flowstore_scheduler" = ?;

-- recover stale (idle)
UPDATE "Triggers" SET "process_status" = CASE WHEN "process_status" = 'RUNNING' THEN 'IDLE' WHEN "process_status" = 'PAUSING' THEN 'PAUSED' WHEN "process_status" = 'KILLING' THEN 'KILLED' ELSE "process_status" END, "flowstore_scheduler" = NULL WHERE "process_status" IN ('RUNNING', 'PAUSING', 'KILLING') AND "flowstore_scheduler" = ? AND EXISTS (SELECT 1 FROM "Schedulers" h WHERE h."machine_name" = ? AND h."last_update" < ?);

-- recover own (idle)
UPDATE "Triggers" SET "process_status" = CASE WHEN "process_status" = 'RUNNING' THEN 'IDLE' WHEN "process_status" = 'PAUSING' THEN 'PAUSED' WHEN "process_status" = 'KILLING' THEN 'KILLED' ELSE "process_status" END, "flowstore_scheduler" = NULL WHERE "process_status" IN ('RUNNING', 'PAUSING', 'KILLING') AND "flowstore_scheduler" = ?;

-- transition: end
UPDATE "Triggers" SET "process_status" = CASE WHEN "process_status" = 'RUNNING' AND "type" = 'SINGLE' THEN 'DONE' WHEN "process_status" = 'RUNNING' THEN 'IDLE' WHEN "process_status" = 'PAUSING' THEN 'PAUSED' WHEN "process_status" = 'KILLING' THEN 'KILLED' ELSE "process_status" END, "flowstore_scheduler" = NULL WHERE "id" IN (?) AND "process_status" IN ('RUNNING', 'PAUSING', 'KILLING');

-- transition: end-own
UPDATE "Triggers" SET "process_status" = CASE WHEN "process_status" = 'RUNNING' AND "type" = 'SINGLE' THEN 'DONE' WHEN "process_status" = 'RUNNING' THEN 'IDLE' WHEN "process_status" = 'PAUSING' THEN 'PAUSED' WHEN "process_status" = 'KILLING' THEN 'KILLED' ELSE "process_status" END, "flowstore_scheduler" = NULL WHERE "id" IN (?) AND "process_status" IN ('RUNNING', 'PAUSING', 'KILLING') AND "flowstore_scheduler" = ?;

-- transition: fail
UPDATE "Triggers" SET "process_status" = CASE WHEN "process_status" = 'RUNNING' THEN 'FAILED' WHEN "process_status" = 'PAUSING' THEN 'FAILED' WHEN "process_status" = 'KILLING' THEN 'KILLED' ELSE "process_status" END, "flowstore_scheduler" = NULL WHERE "id" IN (?) AND "process_status" IN ('RUNNING', 'PAUSING', 'KILLING');

-- transition: fail-own
UPDATE "Triggers" SET "process_status" = CASE WHEN "process_status" = 'RUNNING' THEN 'FAILED' WHEN "process_status" = 'PAUSING' THEN 'FAILED' WHEN "process_status" = 'KILLING' THEN 'KILLED' ELSE "process_status" END, "flowstore_scheduler" = NULL WHERE "id" IN (?) AND "process_status" IN ('RUNNING', 'PAUSING', 'KILLING') AND "flowstore_scheduler" = ?;

-- transition: kill
UPDATE "Triggers" SET "process_status" = CASE WHEN "process_status" = 'RUNNING' THEN 'KILLING' WHEN "process_status" = 'PAUSING' THEN 'KILLING' WHEN "process_status" = 'IDLE' THEN 'KILLED' WHEN "process_status" = 'PAUSED' THEN 'KILLED' WHEN "process_status" = 'FAILED' THEN 'KILLED' WHEN "process_status" = 'DONE' THEN 'KILLED' ELSE "process_status" END WHERE "id" IN (?) AND "process_status" IN ('RUNNING', 'PAUSING', 'IDLE', 'PAUSED', 'FAILED', 'DONE');

-- transition: pause
UPDATE "Triggers" SET "process_status" = CASE WHEN "process_status" = 'RUNNING' THEN 'PAUSING' WHEN "process_status" = 'IDLE' THEN 'PAUSED' WHEN "process_status" = 'FAILED' THEN 'PAUSED' WHEN "process_status" = 'DONE' THEN 'PAUSED' WHEN "process_status" = 'KILLED' THEN 'PAUSED' ELSE "process_status" END WHERE "id" IN (?) AND "process_status" IN ('RUNNING', 'IDLE', 'FAILED', 'DONE', 'KILLED');

-- transition: release
UPDATE "Triggers" SET "process_status" = CASE WHEN "process_status" = 'RUNNING' THEN 'IDLE' WHEN "process_status" = 'PAUSING' THEN 'PAUSED' WHEN "process_status" = 'KILLING' THEN 'KILLED' ELSE "process_status" END, "flowstore_scheduler" = NULL WHERE "id" IN (?) AND "process_status" IN ('RUNNING', 'PAUSING', 'KILLING');

-- transition: release-own
UPDATE "Triggers" SET "process_status" = CASE WHEN "process_status" = 'RUNNING' THEN 'IDLE' WHEN "process_status" = 'PAUSING' THEN 'PAUSED' WHEN "process_status" = 'KILLING' THEN 'KILLED' ELSE "process_status" END, "flowstore_scheduler" = NULL WHERE "id" IN (?) AND "process_status" IN ('RUNNING', 'PAUSING', 'KILLING') AND "flowstore_scheduler" = ?;

-- transition: resume
UPDATE "Triggers" SET "process_status" = CASE WHEN "process_status" = 'PAUSED' THEN 'IDLE' WHEN "process_status" = 'FAILED' THEN 'IDLE' WHEN "process_status" = 'DONE' THEN 'IDLE' WHEN "process_status" = 'KILLED' THEN 'IDLE' WHEN "process_status" = 'PAUSING' THEN 'RUNNING' ELSE "process_status" END WHERE "id" IN (?) AND "process_status" IN ('PAUSED', 'FAILED', 'DONE', 'KILLED', 'PAUSING');

-- list (all filters)
SELECT t."id", t."trigger_name", t."process_name", t."last_run", t."process_path", t."process_args", t."process_status", t."is_git_repo", t."is_blocking", t."type", t."git_branch", t."scheduler_whitelist", t."priority", t."flowstore_scheduler", s."cron_expr", s."next_run" AS "scheduled_next_run", g."next_run" AS "single_next_run", q."queue_name", q."min_batch_size" FROM "Triggers" t LEFT JOIN "Scheduled_Triggers" s ON s."id" = t."id" LEFT JOIN "Single_Triggers" g ON g."id" = t."id" LEFT JOIN "Queue_Triggers" q ON q."id" = t."id" WHERE t."type" = ? AND t."process_status" IN (?, ?) AND t."process_name" = ? ORDER BY t."trigger_name", t."id";

-- lock trigger (update, delete)
SELECT "id" FROM "Triggers" WHERE "id" IN (?) FOR UPDATE;

-- update: Triggers (two columns)
UPDATE "Triggers" SET "trigger_name" = ?, "priority" = ? WHERE "id" IN (?);

-- update: Scheduled_Triggers (two columns)
UPDATE "Scheduled_Triggers" SET "cron_expr" = ?, "next_run" = ? WHERE "id" IN (?);

-- delete: subtype row (1 of 3)
DELETE FROM "Scheduled_Triggers" WHERE "id" IN (?);

-- delete: subtype row (2 of 3)
DELETE FROM "Queue_Triggers" WHERE "id" IN (?);

-- delete: subtype row (3 of 3)
DELETE FROM "Single_Triggers" WHERE "id" IN (?);

-- delete: trigger
DELETE FROM "Triggers" WHERE "id" IN (?);

-- insert Triggers (rendered)
INSERT INTO "Triggers" ("id", "trigger_name", "process_name", "last_run", "process_path", "process_args", "process_status", "is_git_repo", "is_blocking", "type", "git_branch", "scheduler_whitelist", "priority") VALUES ('0191e8b2-7c3a-7d4e-8f00-123456789abc', 'nightly', 'p', NULL, '/p.py', NULL, 'IDLE', FALSE, TRUE, 'SCHEDULED', NULL, '["a", "r\u00f8bot"]', 3);

-- insert Scheduled_Triggers (rendered)
INSERT INTO "Scheduled_Triggers" ("id", "cron_expr", "next_run") VALUES ('0191e8b2-7c3a-7d4e-8f00-123456789abc', '0 2 * * *', '2026-11-22 11:00:00.123456');

-- insert Single_Triggers (rendered)
INSERT INTO "Single_Triggers" ("id", "next_run") VALUES ('0191e8b2-7c3a-7d4e-8f00-123456789abc', '2026-11-22 11:00:00.123456');

-- insert Queue_Triggers (rendered)
INSERT INTO "Queue_Triggers" ("id", "queue_name", "min_batch_size") VALUES ('0191e8b2-7c3a-7d4e-8f00-123456789abc', 'q', 5);

-- begin: trigger (rendered)
UPDATE "Triggers" SET "process_status" = 'RUNNING', "last_run" = '2026-11-22 11:00:00.123456', "flowstore_scheduler" = 'sched-1' WHERE "id" IN ('0191e8b2-7c3a-7d4e-8f00-123456789abc') AND "type" = 'SCHEDULED' AND "process_status" = 'IDLE';

-- begin: scheduled (rendered)
UPDATE "Scheduled_Triggers" SET "next_run" = '2026-11-22 11:00:00.123456' WHERE "id" IN ('0191e8b2-7c3a-7d4e-8f00-123456789abc') AND "next_run" <= '2026-11-22 11:00:00.123456';

