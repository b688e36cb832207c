-- credential upsert
MERGE INTO "Credentials" WITH (HOLDLOCK) AS t USING (SELECT @p1 AS "name", @p2 AS "username", @p3 AS "password", @p4 AS "changed_at") AS s ON t."name" = s."name" WHEN MATCHED THEN UPDATE SET "username" = s."username", "password" = s."password", "changed_at" = s."changed_at" WHEN NOT MATCHED THEN INSERT ("name", "username", "password", "changed_at") VALUES (s."name", s."username", s."password", s."changed_at");

-- credential delete
DELETE FROM "Credentials" WHERE name = @p1

-- credential rotate (conditional on the token read)
UPDATE "Credentials" SET password = @p1 WHERE name = @p2 AND password = @p3

