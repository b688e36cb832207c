-- credential upsert
INSERT INTO "Credentials" ("name", "username", "password", "changed_at") VALUES ($1, $2, $3, $4) ON CONFLICT ("name") DO UPDATE SET "username" = EXCLUDED."username", "password" = EXCLUDED."password", "changed_at" = EXCLUDED."changed_at"

-- credential delete
DELETE FROM "Credentials" WHERE name = $1

-- credential rotate (conditional on the token read)
UPDATE "Credentials" SET password = $1 WHERE name = $2 AND password = $3

