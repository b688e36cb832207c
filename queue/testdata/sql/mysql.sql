-- claim style: locking SELECT, then UPDATE by ids, in one transaction
-- a lookup by id binds 2 spelling(s) of each id; naive times below are wall clocks of Europe/Copenhagen

-- claim (by reference: false, lease: false) args [[queue limit]]
SELECT `id`, `queue_name`, `status`, `data`, `reference`, `created_date`, `start_date`, `end_date`, `message`, `created_by`, `idempotency_key`, `attempts`, `retry_at` FROM `Queues` WHERE `queue_name` = ? AND (`status` = 'NEW') ORDER BY `created_date`, `id` LIMIT ? FOR UPDATE SKIP LOCKED;

-- claim (by reference: true, lease: false) args [[queue reference limit]]
SELECT `id`, `queue_name`, `status`, `data`, `reference`, `created_date`, `start_date`, `end_date`, `message`, `created_by`, `idempotency_key`, `attempts`, `retry_at` FROM `Queues` WHERE `queue_name` = ? AND `status` = 'NEW' AND `reference` = ? ORDER BY `created_date`, `id` LIMIT ? FOR UPDATE SKIP LOCKED;

-- claim (by reference: false, lease: true) args [[queue lease cutoff limit]]
SELECT `id`, `queue_name`, `status`, `data`, `reference`, `created_date`, `start_date`, `end_date`, `message`, `created_by`, `idempotency_key`, `attempts`, `retry_at` FROM `Queues` WHERE `queue_name` = ? AND `status` IN ('NEW', 'IN_PROGRESS') AND (`status` = 'NEW' OR `start_date` < ?) ORDER BY `created_date`, `id` LIMIT ? FOR UPDATE SKIP LOCKED;

-- claim (by reference: true, lease: true) args [[queue lease cutoff reference limit]]
SELECT `id`, `queue_name`, `status`, `data`, `reference`, `created_date`, `start_date`, `end_date`, `message`, `created_by`, `idempotency_key`, `attempts`, `retry_at` FROM `Queues` WHERE `queue_name` = ? AND `status` IN ('NEW', 'IN_PROGRESS') AND (`status` = 'NEW' OR `start_date` < ?) AND `reference` = ? ORDER BY `created_date`, `id` LIMIT ? FOR UPDATE SKIP LOCKED;

-- claim: mark the locked rows (3 here)
UPDATE `Queues` SET `status` = 'IN_PROGRESS', `start_date` = ? WHERE `id` IN (?, ?, ?);

-- enqueue
INSERT INTO `Queues` (`id`, `queue_name`, `status`, `data`, `reference`, `created_date`, `created_by`, `idempotency_key`) VALUES (?, ?, 'NEW', ?, ?, ?, ?, ?);

-- enqueue batch: 9362 rows per statement
-- enqueue batch (2 rows here)
INSERT INTO `Queues` (`id`, `queue_name`, `status`, `data`, `reference`, `created_date`, `created_by`, `idempotency_key`) VALUES (?, ?, 'NEW', ?, ?, ?, ?, ?), (?, ?, 'NEW', ?, ?, ?, ?, ?);

-- finish
UPDATE `Queues` SET `status` = ?, `end_date` = ? WHERE `id` IN (?, ?) AND `status` = 'IN_PROGRESS';

-- finish with message
UPDATE `Queues` SET `status` = ?, `end_date` = ?, `message` = ? WHERE `id` IN (?, ?) AND `status` = 'IN_PROGRESS';

-- finish batch (3 here)
UPDATE `Queues` SET `status` = ?, `end_date` = ?, `message` = ? WHERE `id` IN (?, ?, ?, ?, ?, ?) AND `status` = 'IN_PROGRESS';

-- finish claimed (fenced by start_date)
UPDATE `Queues` SET `status` = ?, `end_date` = ? WHERE `id` IN (?, ?) AND `status` = 'IN_PROGRESS' AND `start_date` = ?;

-- finish claimed with message
UPDATE `Queues` SET `status` = ?, `end_date` = ?, `message` = ? WHERE `id` IN (?, ?) AND `status` = 'IN_PROGRESS' AND `start_date` = ?;

-- force status IN_PROGRESS with message
UPDATE `Queues` SET `status` = ?, `retry_at` = NULL, `start_date` = ?, `message` = ? WHERE `id` IN (?, ?);

-- force status NEW
UPDATE `Queues` SET `status` = ?, `retry_at` = NULL WHERE `id` IN (?, ?);

-- requeue stale
UPDATE `Queues` SET `status` = 'NEW', `start_date` = NULL WHERE `queue_name` = ? AND `status` = 'IN_PROGRESS' AND `start_date` < ?;

-- fail stale with message
UPDATE `Queues` SET `status` = 'FAILED', `end_date` = ?, `message` = ? WHERE `queue_name` = ? AND `status` = 'IN_PROGRESS' AND `start_date` < ?;

-- counts
SELECT `queue_name`, `status`, COUNT(*) FROM `Queues` GROUP BY `queue_name`, `status`;

-- delete
DELETE FROM `Queues` WHERE `id` IN (?, ?);

-- get
SELECT `id`, `queue_name`, `status`, `data`, `reference`, `created_date`, `start_date`, `end_date`, `message`, `created_by`, `idempotency_key`, `attempts`, `retry_at` FROM `Queues` WHERE `id` IN (?, ?);

-- elements by key (enqueue with a key)
SELECT `id`, `queue_name`, `status`, `data`, `reference`, `created_date`, `start_date`, `end_date`, `message`, `created_by`, `idempotency_key`, `attempts`, `retry_at` FROM `Queues` WHERE `queue_name` = ? AND `idempotency_key` = ?;

-- elements by keys (enqueue batch with keys; 3 here)
SELECT `id`, `queue_name`, `status`, `data`, `reference`, `created_date`, `start_date`, `end_date`, `message`, `created_by`, `idempotency_key`, `attempts`, `retry_at` FROM `Queues` WHERE `queue_name` = ? AND `idempotency_key` IN (?, ?, ?);

-- prune one queue
DELETE FROM `Queues` WHERE `status` IN ('DONE', 'FAILED', 'ABANDONED') AND `end_date` < ? AND `queue_name` = ?;

-- prune every queue
DELETE FROM `Queues` WHERE `status` IN ('DONE', 'FAILED', 'ABANDONED') AND `end_date` < ?;

-- list, zero filter: page
SELECT `element`.`id`, `element`.`queue_name`, `element`.`status`, `element`.`data`, `element`.`reference`, `element`.`created_date`, `element`.`start_date`, `element`.`end_date`, `element`.`message`, `element`.`created_by`, `element`.`idempotency_key`, `element`.`attempts`, `element`.`retry_at` FROM `Queues` AS `element` ORDER BY `created_date` ASC, `id` ASC LIMIT 100;

-- list, every filter (queue q, FAILED, reference r1, 1 March 2026 to 2 March UTC, search "50%_off!", by end_date descending, offset 20, limit 10): count
SELECT count(*) FROM `Queues` AS `element` WHERE (`queue_name` = 'q') AND (`status` = 'FAILED') AND (`reference` = 'r1') AND (`created_date` >= '2026-03-01 01:00:00.000000') AND (`created_date` <= '2026-03-02 01:00:00.000000') AND ((`reference` LIKE '50!%!_off!!%' ESCAPE '!') OR (`data` LIKE '%50!%!_off!!%' ESCAPE '!') OR (`message` LIKE '%50!%!_off!!%' ESCAPE '!'));

-- list, every filter (queue q, FAILED, reference r1, 1 March 2026 to 2 March UTC, search "50%_off!", by end_date descending, offset 20, limit 10): page
SELECT `element`.`id`, `element`.`queue_name`, `element`.`status`, `element`.`data`, `element`.`reference`, `element`.`created_date`, `element`.`start_date`, `element`.`end_date`, `element`.`message`, `element`.`created_by`, `element`.`idempotency_key`, `element`.`attempts`, `element`.`retry_at` FROM `Queues` AS `element` WHERE (`queue_name` = 'q') AND (`status` = 'FAILED') AND (`reference` = 'r1') AND (`created_date` >= '2026-03-01 01:00:00.000000') AND (`created_date` <= '2026-03-02 01:00:00.000000') AND ((`reference` LIKE '50!%!_off!!%' ESCAPE '!') OR (`data` LIKE '%50!%!_off!!%' ESCAPE '!') OR (`message` LIKE '%50!%!_off!!%' ESCAPE '!')) ORDER BY `end_date` DESC, `id` DESC LIMIT 10 OFFSET 20;

-- all, first page (queue q, offset 5)
SELECT `element`.`id`, `element`.`queue_name`, `element`.`status`, `element`.`data`, `element`.`reference`, `element`.`created_date`, `element`.`start_date`, `element`.`end_date`, `element`.`message`, `element`.`created_by`, `element`.`idempotency_key`, `element`.`attempts`, `element`.`retry_at` FROM `Queues` AS `element` WHERE (`queue_name` = 'q') ORDER BY `created_date` ASC, `id` ASC LIMIT 100 OFFSET 5;

-- all, page after an element (queue q)
SELECT `element`.`id`, `element`.`queue_name`, `element`.`status`, `element`.`data`, `element`.`reference`, `element`.`created_date`, `element`.`start_date`, `element`.`end_date`, `element`.`message`, `element`.`created_by`, `element`.`idempotency_key`, `element`.`attempts`, `element`.`retry_at` FROM `Queues` AS `element` WHERE (`queue_name` = 'q') AND (`created_date` >= '2026-03-01 01:00:00.000000') AND ((`created_date` > '2026-03-01 01:00:00.000000' OR `id` > '0191e8b21c2d7e3f8a4b5c6d7e8f9a0b')) ORDER BY `created_date` ASC, `id` ASC LIMIT 100;

-- all, page after an element, by id descending
SELECT `element`.`id`, `element`.`queue_name`, `element`.`status`, `element`.`data`, `element`.`reference`, `element`.`created_date`, `element`.`start_date`, `element`.`end_date`, `element`.`message`, `element`.`created_by`, `element`.`idempotency_key`, `element`.`attempts`, `element`.`retry_at` FROM `Queues` AS `element` WHERE (`id` < '0191e8b21c2d7e3f8a4b5c6d7e8f9a0b') ORDER BY `id` DESC LIMIT 10;

-- all, page after an element, by reference (nullable text) descending
SELECT `element`.`id`, `element`.`queue_name`, `element`.`status`, `element`.`data`, `element`.`reference`, `element`.`created_date`, `element`.`start_date`, `element`.`end_date`, `element`.`message`, `element`.`created_by`, `element`.`idempotency_key`, `element`.`attempts`, `element`.`retry_at` FROM `Queues` AS `element` WHERE (COALESCE(`reference`, '') <= 'r1') AND ((COALESCE(`reference`, '') < 'r1' OR `id` < '0191e8b21c2d7e3f8a4b5c6d7e8f9a0b')) ORDER BY COALESCE(`reference`, '') DESC, `id` DESC LIMIT 100;

-- all, page after an element without end_date, by end_date (nullable time)
SELECT `element`.`id`, `element`.`queue_name`, `element`.`status`, `element`.`data`, `element`.`reference`, `element`.`created_date`, `element`.`start_date`, `element`.`end_date`, `element`.`message`, `element`.`created_by`, `element`.`idempotency_key`, `element`.`attempts`, `element`.`retry_at` FROM `Queues` AS `element` WHERE (((`end_date` IS NULL AND `id` > '0191e8b21c2d7e3f8a4b5c6d7e8f9a0b') OR `end_date` IS NOT NULL)) ORDER BY CASE WHEN `end_date` IS NULL THEN 0 ELSE 1 END ASC, `end_date` ASC, `id` ASC LIMIT 100;

-- all, page after an element without end_date, by end_date descending
SELECT `element`.`id`, `element`.`queue_name`, `element`.`status`, `element`.`data`, `element`.`reference`, `element`.`created_date`, `element`.`start_date`, `element`.`end_date`, `element`.`message`, `element`.`created_by`, `element`.`idempotency_key`, `element`.`attempts`, `element`.`retry_at` FROM `Queues` AS `element` WHERE (`end_date` IS NULL AND `id` < '0191e8b21c2d7e3f8a4b5c6d7e8f9a0b') ORDER BY CASE WHEN `end_date` IS NULL THEN 0 ELSE 1 END DESC, `end_date` DESC, `id` DESC LIMIT 100;

-- all, page after an element with start_date, by start_date
SELECT `element`.`id`, `element`.`queue_name`, `element`.`status`, `element`.`data`, `element`.`reference`, `element`.`created_date`, `element`.`start_date`, `element`.`end_date`, `element`.`message`, `element`.`created_by`, `element`.`idempotency_key`, `element`.`attempts`, `element`.`retry_at` FROM `Queues` AS `element` WHERE (`start_date` >= '2026-03-01 01:01:00.000000') AND ((`start_date` > '2026-03-01 01:01:00.000000' OR `id` > '0191e8b21c2d7e3f8a4b5c6d7e8f9a0b')) ORDER BY CASE WHEN `start_date` IS NULL THEN 0 ELSE 1 END ASC, `start_date` ASC, `id` ASC LIMIT 100;

-- all, page after an element with start_date, by start_date descending
SELECT `element`.`id`, `element`.`queue_name`, `element`.`status`, `element`.`data`, `element`.`reference`, `element`.`created_date`, `element`.`start_date`, `element`.`end_date`, `element`.`message`, `element`.`created_by`, `element`.`idempotency_key`, `element`.`attempts`, `element`.`retry_at` FROM `Queues` AS `element` WHERE ((`start_date` IS NULL OR `start_date` < '2026-03-01 01:01:00.000000' OR (`start_date` = '2026-03-01 01:01:00.000000' AND `id` < '0191e8b21c2d7e3f8a4b5c6d7e8f9a0b'))) ORDER BY CASE WHEN `start_date` IS NULL THEN 0 ELSE 1 END DESC, `start_date` DESC, `id` DESC LIMIT 100;

