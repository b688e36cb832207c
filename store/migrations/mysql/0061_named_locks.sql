-- flowstore_locks: transaction-scoped named locks for MySQL/MariaDB, which
-- has none of its own (GET_LOCK belongs to the connection). A transaction
-- upserts a row named after what it guards and holds that row's lock until it
-- ends. Used by orchestrator/pipeline to serialise creators of one workflow's
-- versions. The other dialects have native locks and no such table.
CREATE TABLE `flowstore_locks` (
    `name` VARCHAR(255) NOT NULL,
    CONSTRAINT `flowstore_locks_pkey` PRIMARY KEY (`name`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
