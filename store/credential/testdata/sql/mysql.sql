-- credential upsert
INSERT INTO `Credentials` (`name`, `username`, `password`, `changed_at`) VALUES (?, ?, ?, ?) ON DUPLICATE KEY UPDATE `username` = VALUES(`username`), `password` = VALUES(`password`), `changed_at` = VALUES(`changed_at`)

-- credential delete
DELETE FROM `Credentials` WHERE name = ?

-- credential rotate (conditional on the token read)
UPDATE `Credentials` SET password = ? WHERE name = ? AND password = ?

