-- constant upsert
INSERT INTO "Constants" ("name", "value", "changed_at") VALUES ($1, $2, $3) ON CONFLICT ("name") DO UPDATE SET "value" = EXCLUDED."value", "changed_at" = EXCLUDED."changed_at"

-- constant insert
INSERT INTO "Constants" (name, value, changed_at) VALUES ($1, $2, $3)

-- constant update
UPDATE "Constants" SET value = $1, changed_at = $2 WHERE name = $3

-- constant delete
DELETE FROM "Constants" WHERE name = $1

