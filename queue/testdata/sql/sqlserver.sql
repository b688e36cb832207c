-- claim style: one statement

-- claim (by reference: false, lease: false) args [[limit queue now]]
WITH next AS (SELECT TOP (@p1) * FROM "Queues" WITH (UPDLOCK, READPAST, ROWLOCK) WHERE "queue_name" = @p2 AND "status" = 'NEW' ORDER BY "created_date", "id") UPDATE next SET "status" = 'IN_PROGRESS', "start_date" = @p3 OUTPUT INSERTED."id", INSERTED."queue_name", INSERTED."status", INSERTED."data", INSERTED."reference", INSERTED."created_date", INSERTED."start_date", INSERTED."end_date", INSERTED."message", INSERTED."created_by";

-- claim (by reference: true, lease: false) args [[limit queue reference now]]
WITH next AS (SELECT TOP (@p1) * FROM "Queues" WITH (UPDLOCK, READPAST, ROWLOCK) WHERE "queue_name" = @p2 AND "status" = 'NEW' AND "reference" = @p3 ORDER BY "created_date", "id") UPDATE next SET "status" = 'IN_PROGRESS', "start_date" = @p4 OUTPUT INSERTED."id", INSERTED."queue_name", INSERTED."status", INSERTED."data", INSERTED."reference", INSERTED."created_date", INSERTED."start_date", INSERTED."end_date", INSERTED."message", INSERTED."created_by";

-- claim (by reference: false, lease: true) args [[limit queue lease cutoff now]]
WITH next AS (SELECT TOP (@p1) * FROM "Queues" WITH (UPDLOCK, READPAST, ROWLOCK) WHERE "queue_name" = @p2 AND "status" IN ('NEW', 'IN_PROGRESS') AND ("status" = 'NEW' OR "start_date" < @p3) ORDER BY "created_date", "id") UPDATE next SET "status" = 'IN_PROGRESS', "start_date" = @p4 OUTPUT INSERTED."id", INSERTED."queue_name", INSERTED."status", INSERTED."data", INSERTED."reference", INSERTED."created_date", INSERTED."start_date", INSERTED."end_date", INSERTED."message", INSERTED."created_by";

-- claim (by reference: true, lease: true) args [[limit queue lease cutoff reference now]]
WITH next AS (SELECT TOP (@p1) * FROM "Queues" WITH (UPDLOCK, READPAST, ROWLOCK) WHERE "queue_name" = @p2 AND "status" IN ('NEW', 'IN_PROGRESS') AND ("status" = 'NEW' OR "start_date" < @p3) AND "reference" = @p4 ORDER BY "created_date", "id") UPDATE next SET "status" = 'IN_PROGRESS', "start_date" = @p5 OUTPUT INSERTED."id", INSERTED."queue_name", INSERTED."status", INSERTED."data", INSERTED."reference", INSERTED."created_date", INSERTED."start_date", INSERTED."end_date", INSERTED."message", INSERTED."created_by";

-- enqueue
INSERT INTO "Queues" ("id", "queue_name", "status", "data", "reference", "created_date", "created_by") VALUES (@p1, @p2, 'NEW', @p3, @p4, @p5, @p6);

-- enqueue batch: 1000 rows per statement
-- enqueue batch (bun inlines the values; 2 rows here)
INSERT INTO "Queues" ("id", "queue_name", "status", "data", "reference", "created_date", "start_date", "end_date", "message", "created_by") VALUES (N'0191e8b2-1c2d-7e3f-8a4b-5c6d7e8f9a0b', N'q', N'NEW', N'd1', N'r1', '2026-03-01 12:00:00.123456', DEFAULT, DEFAULT, DEFAULT, N'me'), (N'0191e8b2-1c2d-7e3f-8a4b-5c6d7e8f9a0c', N'q', N'NEW', DEFAULT, N'r2', '2026-03-01 12:00:00.123456', DEFAULT, DEFAULT, DEFAULT, N'me');

-- finish
UPDATE "Queues" SET "status" = @p1, "end_date" = @p2 WHERE "id" = @p3 AND "status" = 'IN_PROGRESS';

-- finish with message
UPDATE "Queues" SET "status" = @p1, "end_date" = @p2, "message" = @p3 WHERE "id" = @p4 AND "status" = 'IN_PROGRESS';

-- finish batch (3 here)
UPDATE "Queues" SET "status" = @p1, "end_date" = @p2, "message" = @p3 WHERE "id" IN (@p4, @p5, @p6) AND "status" = 'IN_PROGRESS';

-- force status IN_PROGRESS with message
UPDATE "Queues" SET "status" = @p1, "start_date" = @p2, "message" = @p3 WHERE "id" = @p4;

-- force status NEW
UPDATE "Queues" SET "status" = @p1 WHERE "id" = @p2;

-- requeue stale
UPDATE "Queues" SET "status" = 'NEW', "start_date" = NULL WHERE "queue_name" = @p1 AND "status" = 'IN_PROGRESS' AND "start_date" < @p2;

-- fail stale with message
UPDATE "Queues" SET "status" = 'FAILED', "end_date" = @p1, "message" = @p2 WHERE "queue_name" = @p3 AND "status" = 'IN_PROGRESS' AND "start_date" < @p4;

