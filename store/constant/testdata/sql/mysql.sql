-- constant upsert
INSERT INTO `Constants` (`name`, `value`, `changed_at`) VALUES (?, ?, ?) ON DUPLICATE KEY UPDATE `value` = VALUES(`value`), `changed_at` = VALUES(`changed_at`)

-- constant insert
INSERT INTO `Constants` (name, value, changed_at) VALUES (?, ?, ?)

-- constant update (rows affected may count changed rows: re-read on 0)
UPDATE `Constants` SET value = ?, changed_at = ? WHERE name = ?

-- constant delete
DELETE FROM `Constants` WHERE name = ?

