-- claim style: one statement

-- claim (by reference: false, lease: false) args [[now queue limit]]
UPDATE "Queues" SET "status" = 'IN_PROGRESS', "start_date" = ? WHERE "id" IN (SELECT "id" FROM "Queues" WHERE "queue_name" = ? AND "status" = 'NEW' ORDER BY "created_date", "id" LIMIT ?) RETURNING "id", "queue_name", "status", "data", "reference", "created_date", "start_date", "end_date", "message", "created_by";

-- claim (by reference: true, lease: false) args [[now queue reference limit]]
UPDATE "Queues" SET "status" = 'IN_PROGRESS', "start_date" = ? WHERE "id" IN (SELECT "id" FROM "Queues" WHERE "queue_name" = ? AND "status" = 'NEW' AND "reference" = ? ORDER BY "created_date", "id" LIMIT ?) RETURNING "id", "queue_name", "status", "data", "reference", "created_date", "start_date", "end_date", "message", "created_by";

-- claim (by reference: false, lease: true) args [[now queue lease cutoff limit]]
UPDATE "Queues" SET "status" = 'IN_PROGRESS', "start_date" = ? WHERE "id" IN (SELECT "id" FROM "Queues" WHERE "queue_name" = ? AND "status" IN ('NEW', 'IN_PROGRESS') AND ("status" = 'NEW' OR "start_date" < ?) ORDER BY "created_date", "id" LIMIT ?) RETURNING "id", "queue_name", "status", "data", "reference", "created_date", "start_date", "end_date", "message", "created_by";

-- claim (by reference: true, lease: true) args [[now queue lease cutoff reference limit]]
UPDATE "Queues" SET "status" = 'IN_PROGRESS', "start_date" = ? WHERE "id" IN (SELECT "id" FROM "Queues" WHERE "queue_name" = ? AND "status" IN ('NEW', 'IN_PROGRESS') AND ("status" = 'NEW' OR "start_date" < ?) AND "reference" = ? ORDER BY "created_date", "id" LIMIT ?) RETURNING "id", "queue_name", "status", "data", "reference", "created_date", "start_date", "end_date", "message", "created_by";

-- enqueue
INSERT INTO "Queues" ("id", "queue_name", "status", "data", "reference", "created_date", "created_by") VALUES (?, ?, 'NEW', ?, ?, ?, ?);

-- enqueue batch: 5461 rows per statement
-- enqueue batch (2 rows here)
INSERT INTO "Queues" ("id", "queue_name", "status", "data", "reference", "created_date", "created_by") VALUES (?, ?, 'NEW', ?, ?, ?, ?), (?, ?, 'NEW', ?, ?, ?, ?);

-- finish
UPDATE "Queues" SET "status" = ?, "end_date" = ? WHERE "id" = ? AND "status" = 'IN_PROGRESS';

-- finish with message
UPDATE "Queues" SET "status" = ?, "end_date" = ?, "message" = ? WHERE "id" = ? AND "status" = 'IN_PROGRESS';

-- finish batch (3 here)
UPDATE "Queues" SET "status" = ?, "end_date" = ?, "message" = ? WHERE "id" IN (?, ?, ?) AND "status" = 'IN_PROGRESS';

-- force status IN_PROGRESS with message
UPDATE "Queues" SET "status" = ?, "start_date" = ?, "message" = ? WHERE "id" = ?;

-- force status NEW
UPDATE "Queues" SET "status" = ? WHERE "id" = ?;

-- requeue stale
UPDATE "Queues" SET "status" = 'NEW', "start_date" = NULL WHERE "queue_name" = ? AND "status" = 'IN_PROGRESS' AND "start_date" < ?;

-- fail stale with message
UPDATE "Queues" SET "status" = 'FAILED', "end_date" = ?, "message" = ? WHERE "queue_name" = ? AND "status" = 'IN_PROGRESS' AND "start_date" < ?;

