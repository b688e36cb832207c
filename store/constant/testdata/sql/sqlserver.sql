-- constant upsert
MERGE INTO "Constants" WITH (HOLDLOCK) AS t USING (SELECT @p1 AS "name", @p2 AS "value", @p3 AS "changed_at") AS s ON t."name" = s."name" WHEN MATCHED THEN UPDATE SET "value" = s."value", "changed_at" = s."changed_at" WHEN NOT MATCHED THEN INSERT ("name", "value", "changed_at") VALUES (s."name", s."value", s."changed_at");

-- constant insert
INSERT INTO "Constants" (name, value, changed_at) VALUES (@p1, @p2, @p3)

-- constant update
UPDATE "Constants" SET value = @p1, changed_at = @p2 WHERE name = @p3

-- constant delete
DELETE FROM "Constants" WHERE name = @p1

