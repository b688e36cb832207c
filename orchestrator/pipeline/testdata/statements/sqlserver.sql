-- start run: allocate sequence and instance, continue an imported history, copy the definition
BEGIN;
UPDATE "workflow" SET "last_sequence" = COALESCE("last_sequence", 0) + 1, "current_instance" = COALESCE("current_instance", 0) + 1 WHERE ("id" = 42) AND ("state" = 1) AND (("is_limit_instance" IS NULL OR "is_limit_instance" = 0 OR COALESCE("current_instance", 0) < COALESCE("limit_instance", 0))) AND "workflow"."deleted_at" IS NULL;
SELECT "w"."id", "w"."namespace", "w"."repository", "w"."workflow", "w"."event", "w"."version", "w"."version_code", "w"."state", "w"."manifest", "w"."description", "w"."source_info", "w"."env", "w"."requires", "w"."created_at", "w"."updated_at", "w"."deleted_at", "w"."is_limit_instance", "w"."limit_instance", "w"."current_instance", "w"."last_sequence" FROM "workflow" AS "w" WHERE ("id" = 42) AND "w"."deleted_at" IS NULL;
SELECT "wl"."sequence" FROM "workflow_log" AS "wl" WITH (UPDLOCK, ROWLOCK) WHERE ("from_workflow" = 42) ORDER BY "sequence" DESC OFFSET 0 ROWS FETCH NEXT 1 ROWS ONLY;
UPDATE "workflow" SET "last_sequence" = 2 WHERE ("id" = 42) AND "workflow"."deleted_at" IS NULL;
INSERT INTO "workflow_sequence" ("workflow", "sequence", "created_at", "updated_at", "deleted_at") OUTPUT INSERTED."id" VALUES (42, 2, '2026-03-01 10:05:00.123456', '2026-03-01 10:05:00.123456', DEFAULT);
INSERT INTO "workflow_log" ("namespace", "repository", "workflow", "from_workflow", "pre_workflow", "pre_workflow_info", "version", "version_code", "sequence", "run_state", "event", "manifest", "description", "source_info", "env", "requires", "auth_list", "created_at", "updated_at", "deleted_at", "pre_stage", "pre_action", "fail_reason", "start_key") OUTPUT INSERTED."id" VALUES (N'1', N'1', N'1', 1, 0, N'', N'1', N'1', 2, 0, 0, N'1', N'1', N'1', N'1', N'1', N'[]', '2026-03-01 10:05:00.123456', '2026-03-01 10:05:00.123456', DEFAULT, 0, 0, N'', DEFAULT);
SELECT "s"."id", "s"."namespace", "s"."repository", "s"."workflow", "s"."type", "s"."pre_stage", "s"."stage", "s"."title", "s"."description", "s"."event", "s"."manifest", "s"."env", "s"."timeout", "s"."requires", "s"."created_at", "s"."updated_at", "s"."deleted_at" FROM "stage" AS "s" WHERE ("workflow" = 42) AND "s"."deleted_at" IS NULL ORDER BY "id";
SELECT "a"."id", "a"."namespace", "a"."repository", "a"."workflow", "a"."stage", "a"."component", "a"."service", "a"."action", "a"."title", "a"."description", "a"."event", "a"."manifest", "a"."environment", "a"."kubernetes", "a"."swarm", "a"."input", "a"."output", "a"."image_name", "a"."image_tag", "a"."timeout", "a"."requires", "a"."created_at", "a"."updated_at", "a"."deleted_at" FROM "action" AS "a" WHERE ("workflow" = 42) AND "a"."deleted_at" IS NULL ORDER BY "id";
INSERT INTO "stage_log" ("namespace", "repository", "workflow", "from_workflow", "sequence", "from_stage", "type", "pre_stage", "stage", "title", "description", "run_state", "event", "manifest", "env", "timeout", "requires", "auth_list", "created_at", "updated_at", "deleted_at", "fail_reason") OUTPUT INSERTED."id" VALUES (N'1', N'1', 1, 1, 2, 1, 1, -1, N'1', N'1', N'1', 0, 1, N'1', N'1', N'1', N'1', N'[]', '2026-03-01 10:05:00.123456', '2026-03-01 10:05:00.123456', DEFAULT, N'');
INSERT INTO "action_log" ("namespace", "repository", "workflow", "from_workflow", "sequence", "stage", "from_stage", "from_action", "run_state", "component", "service", "action", "title", "description", "event", "manifest", "environment", "kubernetes", "swarm", "input", "output", "image_name", "image_tag", "timeout", "requires", "auth_list", "created_at", "updated_at", "deleted_at", "fail_reason", "container_id") OUTPUT INSERTED."id" VALUES (N'1', N'1', 1, 1, 2, 1, 1, 1, 0, 1, 1, N'1', N'1', N'1', 1, N'1', N'1', N'1', N'1', N'1', N'1', N'1', N'1', N'1', N'1', N'[]', '2026-03-01 10:05:00.123456', '2026-03-01 10:05:00.123456', DEFAULT, N'', N'');
SELECT "wv"."id", "wv"."workflow", "wv"."key", "wv"."default", "wv"."vaule", "wv"."created_at", "wv"."updated_at", "wv"."deleted_at" FROM "workflow_var" AS "wv" WHERE ("workflow" = 42) AND "wv"."deleted_at" IS NULL ORDER BY "id";
INSERT INTO "workflow_var_log" ("workflow", "from_workflow", "sequence", "key", "default", "vaule", "change_log") OUTPUT INSERTED."id" VALUES (1, 1, 2, N'1', N'1', N'1', N'[]');
INSERT INTO "outcome" ("workflow", "real_workflow", "stage", "real_stage", "action", "real_action", "event", "sequence", "status", "result", "output", "created_at", "updated_at", "deleted_at") OUTPUT INSERTED."id" VALUES (1, 1, 1, 1, 0, 0, 0, 2, 1, N'', N'{"ref":"main"}', '2026-03-01 10:05:00.123456', '2026-03-01 10:05:00.123456', DEFAULT);
COMMIT;

-- transition to Doing
BEGIN;
UPDATE "action_log" SET "run_state" = 2, "updated_at" = '2026-03-01 10:05:00.123456' WHERE ("id" = 7) AND (("run_state" IN (0, 1)) OR ("run_state" IS NULL)) AND (("requires" IS NULL OR TRIM("requires") IN ('', '[]', 'null'))) AND "action_log"."deleted_at" IS NULL;
COMMIT;

-- transition to Doing: requires empty in a spelling only loadGate knows
BEGIN;
UPDATE "action_log" SET "run_state" = 2, "updated_at" = '2026-03-01 10:05:00.123456' WHERE ("id" = 7) AND (("run_state" IN (0, 1)) OR ("run_state" IS NULL)) AND (("requires" IS NULL OR TRIM("requires") IN ('', '[]', 'null'))) AND "action_log"."deleted_at" IS NULL;
SELECT "al"."run_state", "al"."requires", "al"."auth_list" FROM "action_log" AS "al" WHERE ("id" = 7) AND "al"."deleted_at" IS NULL;
UPDATE "action_log" SET "run_state" = 2, "updated_at" = '2026-03-01 10:05:00.123456' WHERE ("id" = 7) AND (("run_state" IN (0, 1)) OR ("run_state" IS NULL)) AND ("requires" = N'[ ]') AND "action_log"."deleted_at" IS NULL;
COMMIT;

-- transition to Failed: release the instance
BEGIN;
UPDATE "workflow_log" SET "run_state" = 4, "updated_at" = '2026-03-01 10:05:00.123456', "fail_reason" = N'WORKFLOW_RUN_FAILED' WHERE ("id" = 7) AND (("run_state" IN (0, 1, 2)) OR ("run_state" IS NULL)) AND "workflow_log"."deleted_at" IS NULL;
SELECT "wl"."from_workflow" FROM "workflow_log" AS "wl" WHERE ("id" = 7);
UPDATE "workflow" SET "current_instance" = "current_instance" - 1 WHERE ("id" = 1) AND ("current_instance" > 0);
COMMIT;

-- authorize: locked read, then an UPDATE naming the requires it read
BEGIN;
SELECT "wl"."run_state", "wl"."requires", "wl"."auth_list" FROM "workflow_log" AS "wl" WITH (UPDLOCK, ROWLOCK) WHERE ("id" = 7) AND "wl"."deleted_at" IS NULL;
UPDATE "workflow_log" SET "requires" = N'[]', "auth_list" = N'[{"type":"default","token":"default","authorizer":"alice","time":"2026-03-01T10:05:00.123456Z"}]', "updated_at" = '2026-03-01 10:05:00.123456' WHERE ("id" = 7) AND ("requires" = N'[{"type":"default","token":"default"}]') AND (("run_state" IN (0, 1, 2)) OR ("run_state" IS NULL)) AND "workflow_log"."deleted_at" IS NULL;
COMMIT;

-- set run var: locked read, then an UPDATE naming the change_log it read
BEGIN;
SELECT "wvl"."id", "wvl"."workflow", "wvl"."from_workflow", "wvl"."sequence", "wvl"."key", "wvl"."default", "wvl"."vaule", "wvl"."change_log" FROM "workflow_var_log" AS "wvl" WITH (UPDLOCK, ROWLOCK) WHERE ("workflow" = 7) AND ("key" = N'branch') ORDER BY "id" DESC OFFSET 0 ROWS FETCH NEXT 1 ROWS ONLY;
UPDATE "workflow_var_log" SET "vaule" = N'release', "change_log" = N'[{"user":"alice","time":"2026-03-01T10:05:00.123456Z","action":"set branch from \"main\" to \"release\""}]' WHERE ("id" = 1) AND ("change_log" = N'[]');
COMMIT;

-- create workflow: name lock, locked read of the version codes
BEGIN;
DECLARE @rc int; EXEC @rc = sp_getapplock @Resource = @p1, @LockMode = 'Exclusive', @LockOwner = 'Transaction', @LockTimeout = 30000; IF @rc < 0 THROW 51000, 'flowstore: name lock not granted', 1;; -- bound: "flowstore.pipeline.version.-1901564270250833688"
SELECT "w"."version_code" FROM "workflow" AS "w" WITH (UPDLOCK, ROWLOCK) WHERE ("namespace" = N'acme') AND ("repository" = N'shop') AND ("workflow" = N'deploy');
INSERT INTO "workflow" ("namespace", "repository", "workflow", "event", "version", "version_code", "state", "manifest", "description", "source_info", "env", "requires", "created_at", "updated_at", "deleted_at", "is_limit_instance", "limit_instance", "current_instance", "last_sequence") OUTPUT INSERTED."id" VALUES (N'acme', N'shop', N'deploy', 0, N'', N'2', 1, N'', N'', N'', N'', N'', '2026-03-01 10:05:00.123456', '2026-03-01 10:05:00.123456', DEFAULT, 0, 0, 0, DEFAULT);
INSERT INTO "stage" ("namespace", "repository", "workflow", "type", "pre_stage", "stage", "title", "description", "event", "manifest", "env", "timeout", "requires", "created_at", "updated_at", "deleted_at") OUTPUT INSERTED."id" VALUES (N'acme', N'shop', 1, 2, -1, N'build', N'', N'', 0, N'', N'', N'', N'', '2026-03-01 10:05:00.123456', '2026-03-01 10:05:00.123456', DEFAULT);
INSERT INTO "action" ("namespace", "repository", "workflow", "stage", "component", "service", "action", "title", "description", "event", "manifest", "environment", "kubernetes", "swarm", "input", "output", "image_name", "image_tag", "timeout", "requires", "created_at", "updated_at", "deleted_at") OUTPUT INSERTED."id" VALUES (N'acme', N'shop', 1, 1, 0, 0, N'compile', N'', N'', 0, N'', N'', N'', N'', N'', N'', N'', N'', N'', N'', '2026-03-01 10:05:00.123456', '2026-03-01 10:05:00.123456', DEFAULT);
INSERT INTO "workflow_var" ("workflow", "key", "default", "vaule", "created_at", "updated_at", "deleted_at") OUTPUT INSERTED."id" VALUES (1, N'branch', N'', N'main', '2026-03-01 10:05:00.123456', '2026-03-01 10:05:00.123456', DEFAULT);
COMMIT;

-- set user setting, the first one: name lock, update, insert
BEGIN;
DECLARE @rc int; EXEC @rc = sp_getapplock @Resource = @p1, @LockMode = 'Exclusive', @LockOwner = 'Transaction', @LockTimeout = 30000; IF @rc < 0 THROW 51000, 'flowstore: name lock not granted', 1;; -- bound: "flowstore.pipeline.user_setting.-2736395790990547519"
UPDATE "user_setting" SET "setting" = N'{"a":1}', "updated_at" = '2026-03-01 10:05:00.123456' WHERE ("namespace" = N'acme') AND ("repository" = N'shop') AND "user_setting"."deleted_at" IS NULL;
INSERT INTO "user_setting" ("namespace", "repository", "setting", "created_at", "updated_at", "deleted_at") OUTPUT INSERTED."id" VALUES (N'acme', N'shop', N'{"a":1}', '2026-03-01 10:05:00.123456', '2026-03-01 10:05:00.123456', DEFAULT);
SELECT "us"."id", "us"."namespace", "us"."repository", "us"."setting", "us"."created_at", "us"."updated_at", "us"."deleted_at" FROM "user_setting" AS "us" WHERE ("namespace" = N'acme') AND ("repository" = N'shop') AND "us"."deleted_at" IS NULL ORDER BY "id" DESC OFFSET 0 ROWS FETCH NEXT 1 ROWS ONLY;
COMMIT;

-- set vars: locked read of the workflow, replace
BEGIN;
SELECT "w"."id" FROM "workflow" AS "w" WITH (UPDLOCK, ROWLOCK) WHERE ("id" = 42) AND "w"."deleted_at" IS NULL;
DELETE FROM "workflow_var" WHERE ("workflow" = 42);
INSERT INTO "workflow_var" ("workflow", "key", "default", "vaule", "created_at", "updated_at", "deleted_at") OUTPUT INSERTED."id" VALUES (42, N'branch', N'', N'main', '2026-03-01 10:05:00.123456', '2026-03-01 10:05:00.123456', DEFAULT);
COMMIT;

-- create timer: locked read of the workflow
BEGIN;
SELECT "w"."id" FROM "workflow" AS "w" WITH (UPDLOCK, ROWLOCK) WHERE ("id" = 42) AND "w"."deleted_at" IS NULL;
INSERT INTO "timer" ("namespace", "repository", "workflow", "available", "cron", "event_type", "event_name", "start_json", "created_at", "updated_at", "deleted_at", "next_run") OUTPUT INSERTED."id" VALUES (N'acme', N'shop', 42, 1, N'*/5 * * * *', N'', N'', N'', '2026-03-01 10:05:00.123456', '2026-03-01 10:05:00.123456', DEFAULT, '2026-03-01 10:10:00');
COMMIT;

-- claim timer
UPDATE "timer" SET "next_run" = '2026-03-01 10:10:00.123456', "updated_at" = '2026-03-01 10:05:00.123456' WHERE ("id" = 3) AND ("available" = 1) AND ("next_run" <= '2026-03-01 10:05:00.123456') AND "timer"."deleted_at" IS NULL;

-- switch off a timer that never fires
UPDATE "timer" SET "available" = 0, "next_run" = NULL, "updated_at" = '2026-03-01 10:05:00.123456' WHERE ("id" = 3) AND ("available" = 1) AND ("cron" = N'0 0 30 2 *') AND "timer"."deleted_at" IS NULL;

-- soft delete
UPDATE "stage" SET "deleted_at" = '2026-03-01 10:05:00.123456' WHERE ("id" = 9) AND "stage"."deleted_at" IS NULL;

-- soft delete a live run: release its instance
BEGIN;
SELECT "wl"."from_workflow" FROM "workflow_log" AS "wl" WHERE ("id" = 7);
UPDATE "workflow_log" SET "deleted_at" = '2026-03-01 10:05:00.123456' WHERE ("id" = 7) AND (("run_state" IN (0, 1, 2)) OR ("run_state" IS NULL)) AND "workflow_log"."deleted_at" IS NULL;
UPDATE "workflow" SET "current_instance" = "current_instance" - 1 WHERE ("id" = 1) AND ("current_instance" > 0);
COMMIT;

-- hard delete an ended run: no release
BEGIN;
SELECT "wl"."from_workflow" FROM "workflow_log" AS "wl" WHERE ("id" = 7);
DELETE FROM "workflow_log" WHERE ("id" = 7) AND ("deleted_at" IS NULL) AND (("run_state" IN (0, 1, 2)) OR ("run_state" IS NULL));
DELETE FROM "workflow_log" WHERE ("id" = 7);
COMMIT;

