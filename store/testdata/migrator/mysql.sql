-- bookkeeping
CREATE TABLE IF NOT EXISTS `flowstore_migrations` (`version` INT NOT NULL PRIMARY KEY, `name` VARCHAR(200) NOT NULL, `applied_at` DATETIME(6) NOT NULL) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4
-- table exists
SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name = 'flowstore_migrations'
-- count tables
SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name = ?
-- count indexes
SELECT COUNT(DISTINCT index_name) FROM information_schema.statistics WHERE table_schema = DATABASE() AND index_name = ?
-- lock
SELECT COALESCE(GET_LOCK('flowstore_migrate', 300), 0)
-- unlock
SELECT RELEASE_LOCK('flowstore_migrate')
