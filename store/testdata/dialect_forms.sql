== sqlite
-- claim (binds set, where, limit)
UPDATE "jobs" SET "state" = 'TAKEN', "taken_at" = ? WHERE "id" IN (SELECT "id" FROM "jobs" WHERE "queue" = ? AND "state" = 'NEW' ORDER BY "created", "id" LIMIT ?) RETURNING "id", "state"
-- upsert
INSERT INTO "Constants" ("name", "value", "changed_at") VALUES (?, ?, ?) ON CONFLICT ("name") DO UPDATE SET "value" = EXCLUDED."value", "changed_at" = EXCLUDED."changed_at"
-- locking read
SELECT "id" FROM "Triggers" t WHERE t."id" = ?
-- first 5 rows
SELECT "id" FROM "Triggers" ORDER BY "id" LIMIT 5
-- typed NULLs
NULL, NULL, NULL
-- booleans, byte length
1, 0, length(payload)
== postgres
-- claim (binds where, limit, set)
WITH claimable AS MATERIALIZED (SELECT "id" FROM "jobs" WHERE "queue" = $1 AND "state" = 'NEW' ORDER BY "created", "id" LIMIT $2 FOR UPDATE SKIP LOCKED) UPDATE "jobs" SET "state" = 'TAKEN', "taken_at" = $3 WHERE "id" = ANY(ARRAY(SELECT "id" FROM claimable)) RETURNING "id", "state"
-- upsert
INSERT INTO "Constants" ("name", "value", "changed_at") VALUES ($1, $2, $3) ON CONFLICT ("name") DO UPDATE SET "value" = EXCLUDED."value", "changed_at" = EXCLUDED."changed_at"
-- locking read
SELECT "id" FROM "Triggers" t WHERE t."id" = ? FOR UPDATE
-- first 5 rows
SELECT "id" FROM "Triggers" ORDER BY "id" LIMIT 5
-- typed NULLs
CAST(NULL AS VARCHAR(200)), CAST(NULL AS INTEGER), CAST(NULL AS TIMESTAMPTZ)
-- booleans, byte length
TRUE, FALSE, octet_length(payload)
== sqlserver
-- claim (binds limit, where, set)
WITH claimable AS (SELECT TOP (@p1) * FROM "jobs" WITH (UPDLOCK, READPAST, ROWLOCK) WHERE "queue" = @p2 AND "state" = 'NEW' ORDER BY "created", "id") UPDATE claimable SET "state" = 'TAKEN', "taken_at" = @p3 OUTPUT INSERTED."id", INSERTED."state"
-- upsert
MERGE INTO "Constants" WITH (HOLDLOCK) AS t USING (SELECT @p1 AS "name", @p2 AS "value", @p3 AS "changed_at") AS s ON t."name" = s."name" WHEN MATCHED THEN UPDATE SET "value" = s."value", "changed_at" = s."changed_at" WHEN NOT MATCHED THEN INSERT ("name", "value", "changed_at") VALUES (s."name", s."value", s."changed_at");
-- locking read
SELECT "id" FROM "Triggers" t WITH (UPDLOCK, ROWLOCK) WHERE t."id" = ?
-- first 5 rows
SELECT "id" FROM "Triggers" ORDER BY "id" OFFSET 0 ROWS FETCH NEXT 5 ROWS ONLY
-- typed NULLs
CAST(NULL AS NVARCHAR(200)), CAST(NULL AS INT), CAST(NULL AS DATETIME2(6))
-- booleans, byte length
1, 0, DATALENGTH(payload)
== mysql
-- claim (binds where, limit)
SELECT `id`, `state` FROM `jobs` WHERE `queue` = ? AND `state` = 'NEW' ORDER BY `created`, `id` LIMIT ? FOR UPDATE SKIP LOCKED
-- claim, second step (3 rows)
UPDATE `jobs` SET `state` = 'TAKEN', `taken_at` = ? WHERE `id` IN (?, ?, ?)
-- upsert
INSERT INTO `Constants` (`name`, `value`, `changed_at`) VALUES (?, ?, ?) ON DUPLICATE KEY UPDATE `value` = VALUES(`value`), `changed_at` = VALUES(`changed_at`)
-- locking read
SELECT `id` FROM `Triggers` t WHERE t.`id` = ? FOR UPDATE
-- first 5 rows
SELECT `id` FROM `Triggers` ORDER BY `id` LIMIT 5
-- typed NULLs
CAST(NULL AS CHAR(200)), CAST(NULL AS SIGNED), CAST(NULL AS DATETIME(6))
-- booleans, byte length
1, 0, LENGTH(payload)
