-- credential upsert
INSERT INTO "Credentials" ("name", "username", "password", "changed_at") VALUES (?, ?, ?, ?) ON CONFLICT ("name") DO UPDATE SET "username" = EXCLUDED."username", "password" = EXCLUDED."password", "changed_at" = EXCLUDED."changed_at"

-- credential delete
DELETE FROM "Credentials" WHERE name = ?

-- credential rotate (conditional on the token read)
UPDATE "Credentials" SET password = ? WHERE name = ? AND password = ?

