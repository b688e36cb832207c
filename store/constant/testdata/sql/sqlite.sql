-- constant upsert
INSERT INTO "Constants" ("name", "value", "changed_at") VALUES (?, ?, ?) ON CONFLICT ("name") DO UPDATE SET "value" = EXCLUDED."value", "changed_at" = EXCLUDED."changed_at"

-- constant insert
INSERT INTO "Constants" (name, value, changed_at) VALUES (?, ?, ?)

-- constant update
UPDATE "Constants" SET value = ?, changed_at = ? WHERE name = ?

-- constant delete
DELETE FROM "Constants" WHERE name = ?

