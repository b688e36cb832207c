-- start run: allocate sequence and instance
UPDATE `workflow` AS `w` SET `last_sequence` = COALESCE(`last_sequence`, 0) + 1, `current_instance` = COALESCE(`current_instance`, 0) + 1 WHERE (`id` = 42) AND (`state` = 1) AND ((`is_limit_instance` IS NULL OR `is_limit_instance` = FALSE OR COALESCE(`current_instance`, 0) < COALESCE(`limit_instance`, 0))) AND `w`.`deleted_at` IS NULL;

-- transition to Doing
UPDATE `action_log` AS `al` SET `run_state` = 2, `updated_at` = '2026-03-01 10:05:00.123456' WHERE (`id` = 7) AND ((`run_state` IN (0, 1)) OR (`run_state` IS NULL)) AND ((`requires` IS NULL OR `requires` = '' OR `requires` = '[]')) AND `al`.`deleted_at` IS NULL;

-- transition to Failed
UPDATE `workflow_log` AS `wl` SET `run_state` = 4, `updated_at` = '2026-03-01 10:05:00.123456', `fail_reason` = 'WORKFLOW_RUN_FAILED' WHERE (`id` = 7) AND ((`run_state` IN (0, 1, 2)) OR (`run_state` IS NULL)) AND `wl`.`deleted_at` IS NULL;

-- release instance
SELECT `wl`.`from_workflow` FROM `workflow_log` AS `wl` WHERE (`id` = 7) AND `wl`.`deleted_at` IS NULL;

-- claim timer
UPDATE `timer` AS `t` SET `next_run` = '2026-03-01 10:10:00.123456', `updated_at` = '2026-03-01 10:05:00.123456' WHERE (`id` = 3) AND (`available` = TRUE) AND (`next_run` <= '2026-03-01 10:05:00.123456') AND `t`.`deleted_at` IS NULL;

-- lock versions
INSERT INTO `flowstore_locks` (`name`) VALUES ('flowstore.pipeline.version.-1901564270250833688') ON DUPLICATE KEY UPDATE `name` = VALUES(`name`);

-- soft delete
UPDATE `stage` AS `s` SET `deleted_at` = '2026-03-01 10:05:00.123456' WHERE (`id` = 9) AND `s`.`deleted_at` IS NULL;

-- locked read of a run's authorisations
SELECT `wl`.`run_state`, `wl`.`requires`, `wl`.`auth_list` FROM `workflow_log` AS `wl` WHERE (`id` = 7) AND `wl`.`deleted_at` IS NULL FOR UPDATE;

