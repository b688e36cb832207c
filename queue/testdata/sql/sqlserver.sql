-- claim style: one statement
-- a lookup by id binds 1 spelling(s) of each id; naive times below are wall clocks of Europe/Copenhagen

-- claim (by reference: false, lease: false) args [[limit queue now]]
WITH claimable AS (SELECT TOP (@p1) * FROM "Queues" WITH (UPDLOCK, READPAST, ROWLOCK) WHERE "queue_name" = @p2 AND ("status" = 'NEW') ORDER BY "created_date", "id") UPDATE claimable SET "status" = 'IN_PROGRESS', "start_date" = @p3 OUTPUT INSERTED."id", INSERTED."queue_name", INSERTED."status", INSERTED."data", INSERTED."reference", INSERTED."created_date", INSERTED."start_date", INSERTED."end_date", INSERTED."message", INSERTED."created_by", INSERTED."idempotency_key", INSERTED."attempts", INSERTED."retry_at";

-- claim (by reference: true, lease: false) args [[limit queue reference now]]
WITH claimable AS (SELECT TOP (@p1) * FROM "Queues" WITH (UPDLOCK, READPAST, ROWLOCK) WHERE "queue_name" = @p2 AND "status" = 'NEW' AND "reference" = @p3 ORDER BY "created_date", "id") UPDATE claimable SET "status" = 'IN_PROGRESS', "start_date" = @p4 OUTPUT INSERTED."id", INSERTED."queue_name", INSERTED."status", INSERTED."data", INSERTED."reference", INSERTED."created_date", INSERTED."start_date", INSERTED."end_date", INSERTED."message", INSERTED."created_by", INSERTED."idempotency_key", INSERTED."attempts", INSERTED."retry_at";

-- claim (by reference: false, lease: true) args [[limit queue lease cutoff now]]
WITH claimable AS (SELECT TOP (@p1) * FROM "Queues" WITH (UPDLOCK, READPAST, ROWLOCK) WHERE "queue_name" = @p2 AND "status" IN ('NEW', 'IN_PROGRESS') AND ("status" = 'NEW' OR "start_date" < @p3) ORDER BY "created_date", "id") UPDATE claimable SET "status" = 'IN_PROGRESS', "start_date" = @p4 OUTPUT INSERTED."id", INSERTED."queue_name", INSERTED."status", INSERTED."data", INSERTED."reference", INSERTED."created_date", INSERTED."start_date", INSERTED."end_date", INSERTED."message", INSERTED."created_by", INSERTED."idempotency_key", INSERTED."attempts", INSERTED."retry_at";

-- claim (by reference: true, lease: true) args [[limit queue lease cutoff reference now]]
WITH claimable AS (SELECT TOP (@p1) * FROM "Queues" WITH (UPDLOCK, READPAST, ROWLOCK) WHERE "queue_name" = @p2 AND "status" IN ('NEW', 'IN_PROGRESS') AND ("status" = 'NEW' OR "start_date" < @p3) AND "reference" = @p4 ORDER BY "created_date", "id") UPDATE claimable SET "status" = 'IN_PROGRESS', "start_date" = @p5 OUTPUT INSERTED."id", INSERTED."queue_name", INSERTED."status", INSERTED."data", INSERTED."reference", INSERTED."created_date", INSERTED."start_date", INSERTED."end_date", INSERTED."message", INSERTED."created_by", INSERTED."idempotency_key", INSERTED."attempts", INSERTED."retry_at";

-- enqueue
INSERT INTO "Queues" ("id", "queue_name", "status", "data", "reference", "created_date", "created_by", "idempotency_key") VALUES (@p1, @p2, 'NEW', @p3, @p4, @p5, @p6, @p7);

-- enqueue batch: 1000 rows per statement
-- enqueue batch (bun inlines the values; rows 1000 and 1001 here, created start + 1000 µs and + 1001 µs, 12:00 UTC)
INSERT INTO "Queues" ("id", "queue_name", "status", "data", "reference", "created_date", "created_by", "idempotency_key") VALUES (N'0191e8b2-1c2d-7e3f-8a4b-5c6d7e8f9a0b', N'q', N'NEW', N'd1', N'r1', N'2026-03-01 13:00:00.124456', N'me', N'k1'), (N'0191e8b2-1c2d-7e3f-8a4b-5c6d7e8f9a0c', N'q', N'NEW', NULL, N'r2', N'2026-03-01 13:00:00.124457', N'me', NULL);

-- finish
UPDATE "Queues" SET "status" = @p1, "end_date" = @p2 WHERE "id" = @p3 AND "status" = 'IN_PROGRESS';

-- finish with message
UPDATE "Queues" SET "status" = @p1, "end_date" = @p2, "message" = @p3 WHERE "id" = @p4 AND "status" = 'IN_PROGRESS';

-- finish batch (3 here)
UPDATE "Queues" SET "status" = @p1, "end_date" = @p2, "message" = @p3 WHERE "id" IN (@p4, @p5, @p6) AND "status" = 'IN_PROGRESS';

-- finish claimed (fenced by start_date)
UPDATE "Queues" SET "status" = @p1, "end_date" = @p2 WHERE "id" = @p3 AND "status" = 'IN_PROGRESS' AND "start_date" = @p4;

-- finish claimed with message
UPDATE "Queues" SET "status" = @p1, "end_date" = @p2, "message" = @p3 WHERE "id" = @p4 AND "status" = 'IN_PROGRESS' AND "start_date" = @p5;

-- force status IN_PROGRESS with message
UPDATE "Queues" SET "status" = @p1, "retry_at" = NULL, "start_date" = @p2, "message" = @p3 WHERE "id" = @p4;

-- force status NEW
UPDATE "Queues" SET "status" = @p1, "retry_at" = NULL WHERE "id" = @p2;

-- requeue stale
UPDATE "Queues" SET "status" = 'NEW', "start_date" = NULL WHERE "queue_name" = @p1 AND "status" = 'IN_PROGRESS' AND "start_date" < @p2;

-- fail stale with message
UPDATE "Queues" SET "status" = 'FAILED', "end_date" = @p1, "message" = @p2 WHERE "queue_name" = @p3 AND "status" = 'IN_PROGRESS' AND "start_date" < @p4;

-- counts
SELECT "queue_name", "status", COUNT(*) FROM "Queues" GROUP BY "queue_name", "status";

-- delete
DELETE FROM "Queues" WHERE "id" = @p1;

-- get
SELECT "id", "queue_name", "status", "data", "reference", "created_date", "start_date", "end_date", "message", "created_by", "idempotency_key", "attempts", "retry_at" FROM "Queues" WHERE "id" = @p1;

-- elements by key (enqueue with a key)
SELECT "id", "queue_name", "status", "data", "reference", "created_date", "start_date", "end_date", "message", "created_by", "idempotency_key", "attempts", "retry_at" FROM "Queues" WHERE "queue_name" = @p1 AND "idempotency_key" = @p2;

-- elements by keys (enqueue batch with keys; 3 here)
SELECT "id", "queue_name", "status", "data", "reference", "created_date", "start_date", "end_date", "message", "created_by", "idempotency_key", "attempts", "retry_at" FROM "Queues" WHERE "queue_name" = @p1 AND "idempotency_key" IN (@p2, @p3, @p4);

-- prune one queue
DELETE FROM "Queues" WHERE "status" IN ('DONE', 'FAILED', 'ABANDONED') AND "end_date" < @p1 AND "queue_name" = @p2;

-- prune every queue
DELETE FROM "Queues" WHERE "status" IN ('DONE', 'FAILED', 'ABANDONED') AND "end_date" < @p1;

-- list, zero filter: page
SELECT "element"."id", "element"."queue_name", "element"."status", "element"."data", "element"."reference", "element"."created_date", "element"."start_date", "element"."end_date", "element"."message", "element"."created_by", "element"."idempotency_key", "element"."attempts", "element"."retry_at" FROM "Queues" AS "element" ORDER BY "created_date" ASC, "id" ASC OFFSET 0 ROWS FETCH NEXT 100 ROWS ONLY;

-- list, every filter (queue q, FAILED, reference r1, 1 March 2026 to 2 March UTC, search "50%_off!", by end_date descending, offset 20, limit 10): count
SELECT count(*) FROM "Queues" AS "element" WHERE ("queue_name" = N'q') AND ("status" = N'FAILED') AND ("reference" = N'r1') AND ("created_date" >= N'2026-03-01 01:00:00.000000') AND ("created_date" <= N'2026-03-02 01:00:00.000000') AND (("reference" LIKE N'50!%!_off!!%' ESCAPE '!') OR ("data" LIKE N'%50!%!_off!!%' ESCAPE '!') OR ("message" LIKE N'%50!%!_off!!%' ESCAPE '!'));

-- list, every filter (queue q, FAILED, reference r1, 1 March 2026 to 2 March UTC, search "50%_off!", by end_date descending, offset 20, limit 10): page
SELECT "element"."id", "element"."queue_name", "element"."status", "element"."data", "element"."reference", "element"."created_date", "element"."start_date", "element"."end_date", "element"."message", "element"."created_by", "element"."idempotency_key", "element"."attempts", "element"."retry_at" FROM "Queues" AS "element" WHERE ("queue_name" = N'q') AND ("status" = N'FAILED') AND ("reference" = N'r1') AND ("created_date" >= N'2026-03-01 01:00:00.000000') AND ("created_date" <= N'2026-03-02 01:00:00.000000') AND (("reference" LIKE N'50!%!_off!!%' ESCAPE '!') OR ("data" LIKE N'%50!%!_off!!%' ESCAPE '!') OR ("message" LIKE N'%50!%!_off!!%' ESCAPE '!')) ORDER BY "end_date" DESC, "id" DESC OFFSET 20 ROWS FETCH NEXT 10 ROWS ONLY;

-- all, first page (queue q, offset 5)
SELECT "element"."id", "element"."queue_name", "element"."status", "element"."data", "element"."reference", "element"."created_date", "element"."start_date", "element"."end_date", "element"."message", "element"."created_by", "element"."idempotency_key", "element"."attempts", "element"."retry_at" FROM "Queues" AS "element" WHERE ("queue_name" = N'q') ORDER BY "created_date" ASC, "id" ASC OFFSET 5 ROWS FETCH NEXT 100 ROWS ONLY;

-- all, page after an element (queue q)
SELECT "element"."id", "element"."queue_name", "element"."status", "element"."data", "element"."reference", "element"."created_date", "element"."start_date", "element"."end_date", "element"."message", "element"."created_by", "element"."idempotency_key", "element"."attempts", "element"."retry_at" FROM "Queues" AS "element" WHERE ("queue_name" = N'q') AND ("created_date" >= N'2026-03-01 01:00:00.000000') AND (("created_date" > N'2026-03-01 01:00:00.000000' OR "id" > N'0191e8b2-1c2d-7e3f-8a4b-5c6d7e8f9a0b')) ORDER BY "created_date" ASC, "id" ASC OFFSET 0 ROWS FETCH NEXT 100 ROWS ONLY;

-- all, page after an element, by id descending
SELECT "element"."id", "element"."queue_name", "element"."status", "element"."data", "element"."reference", "element"."created_date", "element"."start_date", "element"."end_date", "element"."message", "element"."created_by", "element"."idempotency_key", "element"."attempts", "element"."retry_at" FROM "Queues" AS "element" WHERE ("id" < N'0191e8b2-1c2d-7e3f-8a4b-5c6d7e8f9a0b') ORDER BY "id" DESC OFFSET 0 ROWS FETCH NEXT 10 ROWS ONLY;

-- all, page after an element, by reference (nullable text) descending
SELECT "element"."id", "element"."queue_name", "element"."status", "element"."data", "element"."reference", "element"."created_date", "element"."start_date", "element"."end_date", "element"."message", "element"."created_by", "element"."idempotency_key", "element"."attempts", "element"."retry_at" FROM "Queues" AS "element" WHERE (COALESCE("reference", '') <= N'r1') AND ((COALESCE("reference", '') < N'r1' OR "id" < N'0191e8b2-1c2d-7e3f-8a4b-5c6d7e8f9a0b')) ORDER BY COALESCE("reference", '') DESC, "id" DESC OFFSET 0 ROWS FETCH NEXT 100 ROWS ONLY;

-- all, page after an element without end_date, by end_date (nullable time)
SELECT "element"."id", "element"."queue_name", "element"."status", "element"."data", "element"."reference", "element"."created_date", "element"."start_date", "element"."end_date", "element"."message", "element"."created_by", "element"."idempotency_key", "element"."attempts", "element"."retry_at" FROM "Queues" AS "element" WHERE ((("end_date" IS NULL AND "id" > N'0191e8b2-1c2d-7e3f-8a4b-5c6d7e8f9a0b') OR "end_date" IS NOT NULL)) ORDER BY CASE WHEN "end_date" IS NULL THEN 0 ELSE 1 END ASC, "end_date" ASC, "id" ASC OFFSET 0 ROWS FETCH NEXT 100 ROWS ONLY;

-- all, page after an element without end_date, by end_date descending
SELECT "element"."id", "element"."queue_name", "element"."status", "element"."data", "element"."reference", "element"."created_date", "element"."start_date", "element"."end_date", "element"."message", "element"."created_by", "element"."idempotency_key", "element"."attempts", "element"."retry_at" FROM "Queues" AS "element" WHERE ("end_date" IS NULL AND "id" < N'0191e8b2-1c2d-7e3f-8a4b-5c6d7e8f9a0b') ORDER BY CASE WHEN "end_date" IS NULL THEN 0 ELSE 1 END DESC, "end_date" DESC, "id" DESC OFFSET 0 ROWS FETCH NEXT 100 ROWS ONLY;

-- all, page after an element with start_date, by start_date
SELECT "element"."id", "element"."queue_name", "element"."status", "element"."data", "element"."reference", "element"."created_date", "element"."start_date", "element"."end_date", "element"."message", "element"."created_by", "element"."idempotency_key", "element"."attempts", "element"."retry_at" FROM "Queues" AS "element" WHERE ("start_date" >= N'2026-03-01 01:01:00.000000') AND (("start_date" > N'2026-03-01 01:01:00.000000' OR "id" > N'0191e8b2-1c2d-7e3f-8a4b-5c6d7e8f9a0b')) ORDER BY CASE WHEN "start_date" IS NULL THEN 0 ELSE 1 END ASC, "start_date" ASC, "id" ASC OFFSET 0 ROWS FETCH NEXT 100 ROWS ONLY;

-- all, page after an element with start_date, by start_date descending
SELECT "element"."id", "element"."queue_name", "element"."status", "element"."data", "element"."reference", "element"."created_date", "element"."start_date", "element"."end_date", "element"."message", "element"."created_by", "element"."idempotency_key", "element"."attempts", "element"."retry_at" FROM "Queues" AS "element" WHERE (("start_date" IS NULL OR "start_date" < N'2026-03-01 01:01:00.000000' OR ("start_date" = N'2026-03-01 01:01:00.000000' AND "id" < N'0191e8b2-1c2d-7e3f-8a4b-5c6d7e8f9a0b'))) ORDER BY CASE WHEN "start_date" IS NULL THEN 0 ELSE 1 END DESC, "start_date" DESC, "id" DESC OFFSET 0 ROWS FETCH NEXT 100 ROWS ONLY;

