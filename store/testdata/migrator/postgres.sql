-- bookkeeping
CREATE TABLE IF NOT EXISTS "flowstore_migrations" ("version" integer NOT NULL PRIMARY KEY, "name" varchar(200) NOT NULL, "applied_at" timestamptz NOT NULL)
-- table exists
SELECT CASE WHEN to_regclass('flowstore_migrations') IS NULL THEN 0 ELSE 1 END
-- count tables
SELECT (SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = $1) + (SELECT COUNT(*) FROM pg_matviews WHERE schemaname = current_schema() AND matviewname = $1)
-- count indexes
SELECT COUNT(*) FROM pg_indexes WHERE schemaname = current_schema() AND indexname = ?
-- lock
SELECT 1 FROM pg_advisory_lock(hashtext('flowstore_migrate'))
-- unlock
SELECT pg_advisory_unlock(hashtext('flowstore_migrate'))
