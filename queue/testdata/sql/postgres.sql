-- claim style: one statement

-- claim (by reference: false, lease: false) args [[now queue limit]]
UPDATE "Queues" SET "status" = 'IN_PROGRESS', "start_date" = $1 WHERE "id" IN (SELECT "id" FROM "Queues" WHERE "queue_name" = $2 AND "status" = 'NEW' ORDER BY "created_date", "id" LIMIT $3 FOR UPDATE SKIP LOCKED) RETURNING "id", "queue_name", "status", "data", "reference", "created_date", "start_date", "end_date", "message", "created_by";

-- claim (by reference: true, lease: false) args [[now queue reference limit]]
UPDATE "Queues" SET "status" = 'IN_PROGRESS', "start_date" = $1 WHERE "id" IN (SELECT "id" FROM "Queues" WHERE "queue_name" = $2 AND "status" = 'NEW' AND "reference" = $3 ORDER BY "created_date", "id" LIMIT $4 FOR UPDATE SKIP LOCKED) RETURNING "id", "queue_name", "status", "data", "reference", "created_date", "start_date", "end_date", "message", "created_by";

-- claim (by reference: false, lease: true) args [[now queue lease cutoff limit]]
UPDATE "Queues" SET "status" = 'IN_PROGRESS', "start_date" = $1 WHERE "id" IN (SELECT "id" FROM "Queues" WHERE "queue_name" = $2 AND "status" IN ('NEW', 'IN_PROGRESS') AND ("status" = 'NEW' OR "start_date" < $3) ORDER BY "created_date", "id" LIMIT $4 FOR UPDATE SKIP LOCKED) RETURNING "id", "queue_name", "status", "data", "reference", "created_date", "start_date", "end_date", "message", "created_by";

-- claim (by reference: true, lease: true) args [[now queue lease cutoff reference limit]]
UPDATE "Queues" SET "status" = 'IN_PROGRESS', "start_date" = $1 WHERE "id" IN (SELECT "id" FROM "Queues" WHERE "queue_name" = $2 AND "status" IN ('NEW', 'IN_PROGRESS') AND ("status" = 'NEW' OR "start_date" < $3) AND "reference" = $4 ORDER BY "created_date", "id" LIMIT $5 FOR UPDATE SKIP LOCKED) RETURNING "id", "queue_name", "status", "data", "reference", "created_date", "start_date", "end_date", "message", "created_by";

-- enqueue
INSERT INTO "Queues" ("id", "queue_name", "status", "data", "reference", "created_date", "created_by") VALUES ($1, $2, 'NEW', $3, $4, $5, $6);

-- enqueue batch: 10922 rows per statement
-- enqueue batch (2 rows here)
INSERT INTO "Queues" ("id", "queue_name", "status", "data", "reference", "created_date", "created_by") VALUES ($1, $2, 'NEW', $3, $4, $5, $6), ($7, $8, 'NEW', $9, $10, $11, $12);

-- finish
UPDATE "Queues" SET "status" = $1, "end_date" = $2 WHERE "id" = $3 AND "status" = 'IN_PROGRESS';

-- finish with message
UPDATE "Queues" SET "status" = $1, "end_date" = $2, "message" = $3 WHERE "id" = $4 AND "status" = 'IN_PROGRESS';

-- finish batch (3 here)
UPDATE "Queues" SET "status" = $1, "end_date" = $2, "message" = $3 WHERE "id" IN ($4, $5, $6) AND "status" = 'IN_PROGRESS';

-- force status IN_PROGRESS with message
UPDATE "Queues" SET "status" = $1, "start_date" = $2, "message" = $3 WHERE "id" = $4;

-- force status NEW
UPDATE "Queues" SET "status" = $1 WHERE "id" = $2;

-- requeue stale
UPDATE "Queues" SET "status" = 'NEW', "start_date" = NULL WHERE "queue_name" = $1 AND "status" = 'IN_PROGRESS' AND "start_date" < $2;

-- fail stale with message
UPDATE "Queues" SET "status" = 'FAILED', "end_date" = $1, "message" = $2 WHERE "queue_name" = $3 AND "status" = 'IN_PROGRESS' AND "start_date" < $4;

