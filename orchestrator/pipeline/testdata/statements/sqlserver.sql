-- start run: allocate sequence and instance
UPDATE "workflow" SET "last_sequence" = COALESCE("last_sequence", 0) + 1, "current_instance" = COALESCE("current_instance", 0) + 1 WHERE ("id" = 42) AND ("state" = 1) AND (("is_limit_instance" IS NULL OR "is_limit_instance" = 0 OR COALESCE("current_instance", 0) < COALESCE("limit_instance", 0))) AND "workflow"."deleted_at" IS NULL;

-- transition to Doing
UPDATE "action_log" SET "run_state" = 2, "updated_at" = '2026-03-01 10:05:00.123456' WHERE ("id" = 7) AND (("run_state" IN (0, 1)) OR ("run_state" IS NULL)) AND (("requires" IS NULL OR "requires" = '' OR "requires" = '[]')) AND "action_log"."deleted_at" IS NULL;

-- transition to Failed
UPDATE "workflow_log" SET "run_state" = 4, "updated_at" = '2026-03-01 10:05:00.123456', "fail_reason" = N'WORKFLOW_RUN_FAILED' WHERE ("id" = 7) AND (("run_state" IN (0, 1, 2)) OR ("run_state" IS NULL)) AND "workflow_log"."deleted_at" IS NULL;

-- release instance
SELECT "wl"."from_workflow" FROM "workflow_log" AS "wl" WHERE ("id" = 7) AND "wl"."deleted_at" IS NULL;

-- claim timer
UPDATE "timer" SET "next_run" = '2026-03-01 10:10:00.123456', "updated_at" = '2026-03-01 10:05:00.123456' WHERE ("id" = 3) AND ("available" = 1) AND ("next_run" <= '2026-03-01 10:05:00.123456') AND "timer"."deleted_at" IS NULL;

-- lock versions
DECLARE @rc int; EXEC @rc = sp_getapplock @Resource = N'flowstore.pipeline.version.-1901564270250833688', @LockMode = 'Exclusive', @LockOwner = 'Transaction', @LockTimeout = 30000; IF @rc < 0 THROW 51000, 'flowstore: pipeline version lock not granted', 1;;

-- soft delete
UPDATE "stage" SET "deleted_at" = '2026-03-01 10:05:00.123456' WHERE ("id" = 9) AND "stage"."deleted_at" IS NULL;

-- locked read of a run's authorisations
SELECT "wl"."run_state", "wl"."requires", "wl"."auth_list" FROM "workflow_log" AS "wl" WITH (UPDLOCK, ROWLOCK) WHERE ("id" = 7) AND "wl"."deleted_at" IS NULL;

