-- bookkeeping
CREATE TABLE IF NOT EXISTS "flowstore_migrations" ("version" INTEGER NOT NULL PRIMARY KEY, "name" TEXT NOT NULL, "applied_at" DATETIME NOT NULL)
-- table exists
SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'flowstore_migrations'
-- count tables
SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = ?
-- count indexes
SELECT COUNT(*) FROM sqlite_master WHERE type = 'index' AND name = ?
-- lock

-- unlock

