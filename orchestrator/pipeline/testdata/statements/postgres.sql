-- start run: allocate sequence and instance, continue an imported history, copy the definition
BEGIN;
UPDATE "workflow" AS "w" SET "last_sequence" = COALESCE("last_sequence", 0) + 1, "current_instance" = COALESCE("current_instance", 0) + 1 WHERE ("id" = 42) AND ("state" = 1) AND (("is_limit_instance" IS NULL OR "is_limit_instance" = FALSE OR COALESCE("current_instance", 0) < COALESCE("limit_instance", 0))) AND "w"."deleted_at" IS NULL;
SELECT "w"."id", "w"."namespace", "w"."repository", "w"."workflow", "w"."event", "w"."version", "w"."version_code", "w"."state", "w"."manifest", "w"."description", "w"."source_info", "w"."env", "w"."requires", "w"."created_at", "w"."updated_at", "w"."deleted_at", "w"."is_limit_instance", "w"."limit_instance", "w"."current_instance", "w"."last_sequence" FROM "workflow" AS "w" WHERE ("id" = 42) AND "w"."deleted_at" IS NULL;
SELECT "wl"."sequence" FROM "workflow_log" AS "wl" WHERE ("from_workflow" = 42) ORDER BY "sequence" DESC LIMIT 1 FOR UPDATE;
UPDATE "workflow" AS "w" SET "last_sequence" = 2 WHERE ("id" = 42) AND "w"."deleted_at" IS NULL;
INSERT INTO "workflow_sequence" ("id", "workflow", "sequence", "created_at", "updated_at", "deleted_at") VALUES (DEFAULT, 42, 2, '2026-03-01 10:05:00.123456+00:00', '2026-03-01 10:05:00.123456+00:00', DEFAULT) RETURNING "id", "deleted_at";
INSERT INTO "workflow_log" ("id", "namespace", "repository", "workflow", "from_workflow", "pre_workflow", "pre_workflow_info", "version", "version_code", "sequence", "run_state", "event", "manifest", "description", "source_info", "env", "requires", "auth_list", "created_at", "updated_at", "deleted_at", "pre_stage", "pre_action", "fail_reason", "start_key") VALUES (DEFAULT, '1', '1', '1', 1, 0, '', '1', '1', 2, 0, 0, '1', '1', '1', '1', '1', '[]', '2026-03-01 10:05:00.123456+00:00', '2026-03-01 10:05:00.123456+00:00', DEFAULT, 0, 0, '', DEFAULT) RETURNING "id", "deleted_at", "start_key";
SELECT "s"."id", "s"."namespace", "s"."repository", "s"."workflow", "s"."type", "s"."pre_stage", "s"."stage", "s"."title", "s"."description", "s"."event", "s"."manifest", "s"."env", "s"."timeout", "s"."requires", "s"."created_at", "s"."updated_at", "s"."deleted_at" FROM "stage" AS "s" WHERE ("workflow" = 42) AND "s"."deleted_at" IS NULL ORDER BY "id";
SELECT "a"."id", "a"."namespace", "a"."repository", "a"."workflow", "a"."stage", "a"."component", "a"."service", "a"."action", "a"."title", "a"."description", "a"."event", "a"."manifest", "a"."environment", "a"."kubernetes", "a"."swarm", "a"."input", "a"."output", "a"."image_name", "a"."image_tag", "a"."timeout", "a"."requires", "a"."created_at", "a"."updated_at", "a"."deleted_at" FROM "action" AS "a" WHERE ("workflow" = 42) AND "a"."deleted_at" IS NULL ORDER BY "id";
INSERT INTO "stage_log" ("id", "namespace", "repository", "workflow", "from_workflow", "sequence", "from_stage", "type", "pre_stage", "stage", "title", "description", "run_state", "event", "manifest", "env", "timeout", "requires", "auth_list", "created_at", "updated_at", "deleted_at", "fail_reason") VALUES (DEFAULT, '1', '1', 1, 1, 2, 1, 1, -1, '1', '1', '1', 0, 1, '1', '1', '1', '1', '[]', '2026-03-01 10:05:00.123456+00:00', '2026-03-01 10:05:00.123456+00:00', DEFAULT, '') RETURNING "id", "deleted_at";
INSERT INTO "action_log" ("id", "namespace", "repository", "workflow", "from_workflow", "sequence", "stage", "from_stage", "from_action", "run_state", "component", "service", "action", "title", "description", "event", "manifest", "environment", "kubernetes", "swarm", "input", "output", "image_name", "image_tag", "timeout", "requires", "auth_list", "created_at", "updated_at", "deleted_at", "fail_reason", "container_id") VALUES (DEFAULT, '1', '1', 1, 1, 2, 1, 1, 1, 0, 1, 1, '1', '1', '1', 1, '1', '1', '1', '1', '1', '1', '1', '1', '1', '1', '[]', '2026-03-01 10:05:00.123456+00:00', '2026-03-01 10:05:00.123456+00:00', DEFAULT, '', '') RETURNING "id", "deleted_at";
SELECT "wv"."id", "wv"."workflow", "wv"."key", "wv"."default", "wv"."vaule", "wv"."created_at", "wv"."updated_at", "wv"."deleted_at" FROM "workflow_var" AS "wv" WHERE ("workflow" = 42) AND "wv"."deleted_at" IS NULL ORDER BY "id";
INSERT INTO "workflow_var_log" ("id", "workflow", "from_workflow", "sequence", "key", "default", "vaule", "change_log") VALUES (DEFAULT, 1, 1, 2, '1', '1', '1', '[]') RETURNING "id";
INSERT INTO "outcome" ("id", "workflow", "real_workflow", "stage", "real_stage", "action", "real_action", "event", "sequence", "status", "result", "output", "created_at", "updated_at", "deleted_at") VALUES (DEFAULT, 1, 1, 1, 1, 0, 0, 0, 2, TRUE, '', '{"ref":"main"}', '2026-03-01 10:05:00.123456+00:00', '2026-03-01 10:05:00.123456+00:00', DEFAULT) RETURNING "id", "deleted_at";
COMMIT;

-- transition to Doing
BEGIN;
UPDATE "action_log" AS "al" SET "run_state" = 2, "updated_at" = '2026-03-01 10:05:00.123456+00:00' WHERE ("id" = 7) AND (("run_state" IN (0, 1)) OR ("run_state" IS NULL)) AND (("requires" IS NULL OR TRIM("requires") IN ('', '[]', 'null'))) AND "al"."deleted_at" IS NULL;
COMMIT;

-- transition to Doing: requires empty in a spelling only loadGate knows
BEGIN;
UPDATE "action_log" AS "al" SET "run_state" = 2, "updated_at" = '2026-03-01 10:05:00.123456+00:00' WHERE ("id" = 7) AND (("run_state" IN (0, 1)) OR ("run_state" IS NULL)) AND (("requires" IS NULL OR TRIM("requires") IN ('', '[]', 'null'))) AND "al"."deleted_at" IS NULL;
SELECT "al"."run_state", "al"."requires", "al"."auth_list" FROM "action_log" AS "al" WHERE ("id" = 7) AND "al"."deleted_at" IS NULL;
UPDATE "action_log" AS "al" SET "run_state" = 2, "updated_at" = '2026-03-01 10:05:00.123456+00:00' WHERE ("id" = 7) AND (("run_state" IN (0, 1)) OR ("run_state" IS NULL)) AND ("requires" = '[ ]') AND "al"."deleted_at" IS NULL;
COMMIT;

-- transition to Failed: release the instance
BEGIN;
UPDATE "workflow_log" AS "wl" SET "run_state" = 4, "updated_at" = '2026-03-01 10:05:00.123456+00:00', "fail_reason" = 'WORKFLOW_RUN_FAILED' WHERE ("id" = 7) AND (("run_state" IN (0, 1, 2)) OR ("run_state" IS NULL)) AND "wl"."deleted_at" IS NULL;
SELECT "wl"."from_workflow" FROM "workflow_log" AS "wl" WHERE ("id" = 7);
UPDATE "workflow" AS "w" SET "current_instance" = "current_instance" - 1 WHERE ("id" = 1) AND ("current_instance" > 0);
COMMIT;

-- authorize: locked read, then an UPDATE naming the requires it read
BEGIN;
SELECT "wl"."run_state", "wl"."requires", "wl"."auth_list" FROM "workflow_log" AS "wl" WHERE ("id" = 7) AND "wl"."deleted_at" IS NULL FOR UPDATE;
UPDATE "workflow_log" AS "wl" SET "requires" = '[]', "auth_list" = '[{"type":"default","token":"default","authorizer":"alice","time":"2026-03-01T10:05:00.123456Z"}]', "updated_at" = '2026-03-01 10:05:00.123456+00:00' WHERE ("id" = 7) AND ("requires" = '[{"type":"default","token":"default"}]') AND (("run_state" IN (0, 1, 2)) OR ("run_state" IS NULL)) AND "wl"."deleted_at" IS NULL;
COMMIT;

-- set run var: locked read, then an UPDATE naming the change_log it read
BEGIN;
SELECT "wvl"."id", "wvl"."workflow", "wvl"."from_workflow", "wvl"."sequence", "wvl"."key", "wvl"."default", "wvl"."vaule", "wvl"."change_log" FROM "workflow_var_log" AS "wvl" WHERE ("workflow" = 7) AND ("key" = 'branch') ORDER BY "id" DESC LIMIT 1 FOR UPDATE;
UPDATE "workflow_var_log" AS "wvl" SET "vaule" = 'release', "change_log" = '[{"user":"alice","time":"2026-03-01T10:05:00.123456Z","action":"set branch from \"main\" to \"release\""}]' WHERE ("id" = 1) AND ("change_log" = '[]');
COMMIT;

-- create workflow: name lock, locked read of the version codes
BEGIN;
SELECT pg_advisory_xact_lock($1); -- bound: -6823176032428046215
SELECT "w"."version_code" FROM "workflow" AS "w" WHERE ("namespace" = 'acme') AND ("repository" = 'shop') AND ("workflow" = 'deploy') FOR UPDATE;
INSERT INTO "workflow" ("id", "namespace", "repository", "workflow", "event", "version", "version_code", "state", "manifest", "description", "source_info", "env", "requires", "created_at", "updated_at", "deleted_at", "is_limit_instance", "limit_instance", "current_instance", "last_sequence") VALUES (DEFAULT, 'acme', 'shop', 'deploy', 0, '', '2', 1, '', '', '', '', '', '2026-03-01 10:05:00.123456+00:00', '2026-03-01 10:05:00.123456+00:00', DEFAULT, FALSE, 0, 0, DEFAULT) RETURNING "id", "deleted_at", "last_sequence";
INSERT INTO "stage" ("id", "namespace", "repository", "workflow", "type", "pre_stage", "stage", "title", "description", "event", "manifest", "env", "timeout", "requires", "created_at", "updated_at", "deleted_at") VALUES (DEFAULT, 'acme', 'shop', 1, 2, -1, 'build', '', '', 0, '', '', '', '', '2026-03-01 10:05:00.123456+00:00', '2026-03-01 10:05:00.123456+00:00', DEFAULT) RETURNING "id", "deleted_at";
INSERT INTO "action" ("id", "namespace", "repository", "workflow", "stage", "component", "service", "action", "title", "description", "event", "manifest", "environment", "kubernetes", "swarm", "input", "output", "image_name", "image_tag", "timeout", "requires", "created_at", "updated_at", "deleted_at") VALUES (DEFAULT, 'acme', 'shop', 1, 1, 0, 0, 'compile', '', '', 0, '', '', '', '', '', '', '', '', '', '', '2026-03-01 10:05:00.123456+00:00', '2026-03-01 10:05:00.123456+00:00', DEFAULT) RETURNING "id", "deleted_at";
INSERT INTO "workflow_var" ("id", "workflow", "key", "default", "vaule", "created_at", "updated_at", "deleted_at") VALUES (DEFAULT, 1, 'branch', '', 'main', '2026-03-01 10:05:00.123456+00:00', '2026-03-01 10:05:00.123456+00:00', DEFAULT) RETURNING "id", "deleted_at";
COMMIT;

-- set user setting, the first one: name lock, update, insert
BEGIN;
SELECT pg_advisory_xact_lock($1); -- bound: 3887579134882886963
UPDATE "user_setting" AS "us" SET "setting" = '{"a":1}', "updated_at" = '2026-03-01 10:05:00.123456+00:00' WHERE ("namespace" = 'acme') AND ("repository" = 'shop') AND "us"."deleted_at" IS NULL;
INSERT INTO "user_setting" ("id", "namespace", "repository", "setting", "created_at", "updated_at", "deleted_at") VALUES (DEFAULT, 'acme', 'shop', '{"a":1}', '2026-03-01 10:05:00.123456+00:00', '2026-03-01 10:05:00.123456+00:00', DEFAULT) RETURNING "id", "deleted_at";
SELECT "us"."id", "us"."namespace", "us"."repository", "us"."setting", "us"."created_at", "us"."updated_at", "us"."deleted_at" FROM "user_setting" AS "us" WHERE ("namespace" = 'acme') AND ("repository" = 'shop') AND "us"."deleted_at" IS NULL ORDER BY "id" DESC LIMIT 1;
COMMIT;

-- set vars: locked read of the workflow, replace
BEGIN;
SELECT "w"."id" FROM "workflow" AS "w" WHERE ("id" = 42) AND "w"."deleted_at" IS NULL FOR UPDATE;
DELETE FROM "workflow_var" AS "wv" WHERE ("workflow" = 42);
INSERT INTO "workflow_var" ("id", "workflow", "key", "default", "vaule", "created_at", "updated_at", "deleted_at") VALUES (DEFAULT, 42, 'branch', '', 'main', '2026-03-01 10:05:00.123456+00:00', '2026-03-01 10:05:00.123456+00:00', DEFAULT) RETURNING "id", "deleted_at";
COMMIT;

-- create timer: locked read of the workflow
BEGIN;
SELECT "w"."id" FROM "workflow" AS "w" WHERE ("id" = 42) AND "w"."deleted_at" IS NULL FOR UPDATE;
INSERT INTO "timer" ("id", "namespace", "repository", "workflow", "available", "cron", "event_type", "event_name", "start_json", "created_at", "updated_at", "deleted_at", "next_run") VALUES (DEFAULT, 'acme', 'shop', 42, TRUE, '*/5 * * * *', '', '', '', '2026-03-01 10:05:00.123456+00:00', '2026-03-01 10:05:00.123456+00:00', DEFAULT, '2026-03-01 10:10:00+00:00') RETURNING "id", "deleted_at";
COMMIT;

-- claim timer
UPDATE "timer" AS "t" SET "next_run" = '2026-03-01 10:10:00.123456+00:00', "updated_at" = '2026-03-01 10:05:00.123456+00:00' WHERE ("id" = 3) AND ("available" = TRUE) AND ("next_run" <= '2026-03-01 10:05:00.123456+00:00') AND "t"."deleted_at" IS NULL;

-- switch off a timer that never fires
UPDATE "timer" AS "t" SET "available" = FALSE, "next_run" = NULL, "updated_at" = '2026-03-01 10:05:00.123456+00:00' WHERE ("id" = 3) AND ("available" = TRUE) AND ("cron" = '0 0 30 2 *') AND "t"."deleted_at" IS NULL;

-- soft delete
UPDATE "stage" AS "s" SET "deleted_at" = '2026-03-01 10:05:00.123456+00:00' WHERE ("id" = 9) AND "s"."deleted_at" IS NULL;

-- soft delete a live run: release its instance
BEGIN;
SELECT "wl"."from_workflow" FROM "workflow_log" AS "wl" WHERE ("id" = 7);
UPDATE "workflow_log" AS "wl" SET "deleted_at" = '2026-03-01 10:05:00.123456+00:00' WHERE ("id" = 7) AND (("run_state" IN (0, 1, 2)) OR ("run_state" IS NULL)) AND "wl"."deleted_at" IS NULL;
UPDATE "workflow" AS "w" SET "current_instance" = "current_instance" - 1 WHERE ("id" = 1) AND ("current_instance" > 0);
COMMIT;

-- hard delete an ended run: no release
BEGIN;
SELECT "wl"."from_workflow" FROM "workflow_log" AS "wl" WHERE ("id" = 7);
DELETE FROM "workflow_log" AS "wl" WHERE ("id" = 7) AND ("deleted_at" IS NULL) AND (("run_state" IN (0, 1, 2)) OR ("run_state" IS NULL));
DELETE FROM "workflow_log" AS "wl" WHERE ("id" = 7);
COMMIT;

