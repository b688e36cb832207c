-- bookkeeping
IF OBJECT_ID(N'flowstore_migrations', N'U') IS NULL CREATE TABLE "flowstore_migrations" ("version" int NOT NULL PRIMARY KEY, "name" nvarchar(200) NOT NULL, "applied_at" datetime2(6) NOT NULL)
-- table exists
SELECT CASE WHEN OBJECT_ID(N'flowstore_migrations', N'U') IS NULL THEN 0 ELSE 1 END
-- count tables
SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = SCHEMA_NAME() AND table_name = ?
-- count indexes
SELECT COUNT(*) FROM sys.indexes WHERE name = ?
-- lock
DECLARE @rc int; EXEC @rc = sp_getapplock @Resource = N'flowstore_migrate', @LockMode = 'Exclusive', @LockOwner = 'Session', @LockTimeout = 300000; SELECT CASE WHEN @rc >= 0 THEN 1 ELSE 0 END
-- unlock
EXEC sp_releaseapplock @Resource = N'flowstore_migrate', @LockOwner = 'Session'
