-- flowstore schema for mysql, version 20

-- migration 0001_reference_schema
CREATE TABLE `Triggers` (
    `id` CHAR(36) NOT NULL,
    `trigger_name` VARCHAR(100) NOT NULL,
    `process_name` VARCHAR(100) NOT NULL,
    `last_run` DATETIME(6) NULL,
    `process_path` VARCHAR(250) NOT NULL,
    `process_args` VARCHAR(1000) NULL,
    `process_status` VARCHAR(20) NOT NULL,
    `is_git_repo` TINYINT(1) NOT NULL,
    `is_blocking` TINYINT(1) NOT NULL,
    `type` VARCHAR(20) NOT NULL,
    `git_branch` VARCHAR(100) NULL,
    `scheduler_whitelist` VARCHAR(250) NULL,
    `priority` INT NOT NULL DEFAULT 0,
    PRIMARY KEY (`id`),
    CONSTRAINT `Triggers_process_status_check` CHECK (`process_status` IN ('IDLE', 'RUNNING', 'FAILED', 'DONE', 'PAUSED', 'PAUSING', 'KILLING', 'KILLED')),
    CONSTRAINT `Triggers_type_check` CHECK (`type` IN ('SINGLE', 'SCHEDULED', 'QUEUE'))
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
CREATE INDEX `ix_Triggers_process_status` ON `Triggers` (`process_status`);
CREATE TABLE `Scheduled_Triggers` (
    `id` CHAR(36) NOT NULL,
    `cron_expr` VARCHAR(200) NOT NULL,
    `next_run` DATETIME(6) NOT NULL,
    PRIMARY KEY (`id`),
    CONSTRAINT `Scheduled_Triggers_id_fkey` FOREIGN KEY (`id`) REFERENCES `Triggers` (`id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
CREATE TABLE `Queue_Triggers` (
    `id` CHAR(36) NOT NULL,
    `queue_name` VARCHAR(200) NOT NULL,
    `min_batch_size` INT NOT NULL,
    PRIMARY KEY (`id`),
    CONSTRAINT `Queue_Triggers_id_fkey` FOREIGN KEY (`id`) REFERENCES `Triggers` (`id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
CREATE TABLE `Single_Triggers` (
    `id` CHAR(36) NOT NULL,
    `next_run` DATETIME(6) NOT NULL,
    PRIMARY KEY (`id`),
    CONSTRAINT `Single_Triggers_id_fkey` FOREIGN KEY (`id`) REFERENCES `Triggers` (`id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
CREATE TABLE `Logs` (
    `id` CHAR(36) NOT NULL,
    `log_time` DATETIME(6) NOT NULL,
    `log_level` VARCHAR(20) NOT NULL,
    `process_name` VARCHAR(100) NOT NULL,
    `log_message` VARCHAR(8000) NOT NULL,
    PRIMARY KEY (`id`),
    CONSTRAINT `Logs_log_level_check` CHECK (`log_level` IN ('TRACE', 'INFO', 'ERROR'))
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
CREATE INDEX `ix_Logs_log_time` ON `Logs` (`log_time`);
CREATE INDEX `ix_Logs_process_name_log_time` ON `Logs` (`process_name`, `log_time`);
CREATE TABLE `Constants` (
    `name` VARCHAR(100) NOT NULL,
    `value` VARCHAR(1000) NOT NULL,
    `changed_at` DATETIME(6) NOT NULL,
    PRIMARY KEY (`name`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
CREATE TABLE `Credentials` (
    `name` VARCHAR(100) NOT NULL,
    `username` VARCHAR(250) NOT NULL,
    `password` VARCHAR(1000) NOT NULL,
    `changed_at` DATETIME(6) NOT NULL,
    PRIMARY KEY (`name`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
CREATE TABLE `Queues` (
    `id` CHAR(36) NOT NULL,
    `queue_name` VARCHAR(100) NOT NULL,
    `status` VARCHAR(20) NOT NULL,
    `data` VARCHAR(2000) NULL,
    `reference` VARCHAR(100) NULL,
    `created_date` DATETIME(6) NOT NULL,
    `start_date` DATETIME(6) NULL,
    `end_date` DATETIME(6) NULL,
    `message` VARCHAR(1000) NULL,
    `created_by` VARCHAR(100) NULL,
    PRIMARY KEY (`id`),
    CONSTRAINT `Queues_status_check` CHECK (`status` IN ('NEW', 'IN_PROGRESS', 'DONE', 'FAILED', 'ABANDONED'))
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
CREATE INDEX `ix_Queues_queue_name_status_created_date` ON `Queues` (`queue_name`, `status`, `created_date`);
CREATE INDEX `ix_Queues_created_date` ON `Queues` (`created_date`);
CREATE TABLE `Schedulers` (
    `machine_name` VARCHAR(100) NOT NULL,
    `last_update` DATETIME(6) NOT NULL,
    `latest_trigger` VARCHAR(100) NULL,
    `latest_trigger_time` DATETIME(6) NULL,
    PRIMARY KEY (`machine_name`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
CREATE TABLE `action` (
    `id` BIGINT NOT NULL AUTO_INCREMENT,
    `namespace` VARCHAR(255) NOT NULL,
    `repository` VARCHAR(255) NOT NULL,
    `workflow` BIGINT NOT NULL DEFAULT 0,
    `stage` BIGINT NOT NULL DEFAULT 0,
    `component` BIGINT NOT NULL DEFAULT 0,
    `service` BIGINT NOT NULL DEFAULT 0,
    `action` VARCHAR(255) NOT NULL,
    `title` VARCHAR(255) NOT NULL,
    `description` TEXT NULL,
    `event` BIGINT NULL DEFAULT 0,
    `manifest` LONGTEXT NULL,
    `environment` TEXT NULL,
    `kubernetes` TEXT NULL,
    `swarm` TEXT NULL,
    `input` TEXT NULL,
    `output` TEXT NULL,
    `image_name` VARCHAR(255) NULL,
    `image_tag` VARCHAR(255) NULL,
    `timeout` VARCHAR(255) NULL,
    `requires` LONGTEXT NULL,
    `created_at` DATETIME(6) NULL,
    `updated_at` DATETIME(6) NULL,
    `deleted_at` DATETIME(6) NULL,
    PRIMARY KEY (`id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
CREATE INDEX `idx_action_deleted_at` ON `action` (`deleted_at`);
CREATE TABLE `action_log` (
    `id` BIGINT NOT NULL AUTO_INCREMENT,
    `namespace` VARCHAR(255) NOT NULL,
    `repository` VARCHAR(255) NOT NULL,
    `workflow` BIGINT NOT NULL DEFAULT 0,
    `from_workflow` BIGINT NOT NULL DEFAULT 0,
    `sequence` BIGINT NOT NULL DEFAULT 0,
    `stage` BIGINT NOT NULL DEFAULT 0,
    `from_stage` BIGINT NOT NULL DEFAULT 0,
    `from_action` BIGINT NOT NULL DEFAULT 0,
    `run_state` BIGINT NULL,
    `component` BIGINT NOT NULL DEFAULT 0,
    `service` BIGINT NOT NULL DEFAULT 0,
    `action` VARCHAR(255) NOT NULL,
    `title` VARCHAR(255) NOT NULL,
    `description` TEXT NULL,
    `event` BIGINT NULL DEFAULT 0,
    `manifest` LONGTEXT NULL,
    `environment` TEXT NULL,
    `kubernetes` TEXT NULL,
    `swarm` TEXT NULL,
    `input` TEXT NULL,
    `output` TEXT NULL,
    `image_name` VARCHAR(255) NULL,
    `image_tag` VARCHAR(255) NULL,
    `timeout` VARCHAR(255) NULL,
    `requires` LONGTEXT NULL,
    `auth_list` LONGTEXT NULL,
    `created_at` DATETIME(6) NULL,
    `updated_at` DATETIME(6) NULL,
    `deleted_at` DATETIME(6) NULL,
    `fail_reason` VARCHAR(255) NULL,
    `container_id` VARCHAR(255) NULL,
    PRIMARY KEY (`id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
CREATE INDEX `idx_action_log_deleted_at` ON `action_log` (`deleted_at`);
CREATE TABLE `component` (
    `id` BIGINT NOT NULL AUTO_INCREMENT,
    `namespace` VARCHAR(255) NOT NULL,
    `version` TEXT NULL,
    `version_code` BIGINT NULL,
    `component` VARCHAR(255) NOT NULL,
    `type` BIGINT NOT NULL DEFAULT 0,
    `title` VARCHAR(255) NULL,
    `gravatar` TEXT NULL,
    `description` TEXT NULL,
    `endpoint` TEXT NULL,
    `source` TEXT NOT NULL,
    `environment` TEXT NULL,
    `tag` VARCHAR(255) NULL,
    `volume_location` TEXT NULL,
    `volume_data` TEXT NULL,
    `makefile` TEXT NULL,
    `kubernetes` TEXT NULL,
    `swarm` TEXT NULL,
    `input` TEXT NULL,
    `output` TEXT NULL,
    `timeout` BIGINT NULL,
    `manifest` LONGTEXT NULL,
    `created_at` DATETIME(6) NULL,
    `updated_at` DATETIME(6) NULL,
    `deleted_at` DATETIME(6) NULL,
    PRIMARY KEY (`id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
CREATE INDEX `idx_component_deleted_at` ON `component` (`deleted_at`);
CREATE TABLE `event` (
    `id` BIGINT NOT NULL AUTO_INCREMENT,
    `definition` BIGINT NOT NULL DEFAULT 0,
    `title` VARCHAR(255) NOT NULL,
    `header` TEXT NOT NULL,
    `payload` LONGTEXT NOT NULL,
    `authorization` TEXT NULL,
    `type` BIGINT NOT NULL DEFAULT 0,
    `source` BIGINT NOT NULL DEFAULT 0,
    `character` BIGINT NOT NULL DEFAULT 0,
    `namespace` VARCHAR(255) NULL,
    `repository` VARCHAR(255) NULL,
    `workflow` BIGINT NOT NULL DEFAULT 0,
    `stage` BIGINT NOT NULL DEFAULT 0,
    `action` BIGINT NOT NULL DEFAULT 0,
    `sequence` BIGINT NOT NULL DEFAULT 0,
    `created_at` DATETIME(6) NULL,
    `updated_at` DATETIME(6) NULL,
    `deleted_at` DATETIME(6) NULL,
    PRIMARY KEY (`id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
CREATE INDEX `idx_event_deleted_at` ON `event` (`deleted_at`);
CREATE TABLE `event_definition` (
    `id` BIGINT NOT NULL AUTO_INCREMENT,
    `event` VARCHAR(255) NOT NULL,
    `title` VARCHAR(255) NULL,
    `namespace` VARCHAR(255) NULL,
    `repository` VARCHAR(255) NULL,
    `workflow` BIGINT NULL,
    `stage` BIGINT NULL,
    `action` BIGINT NOT NULL DEFAULT 0,
    `character` BIGINT NOT NULL DEFAULT 0,
    `type` BIGINT NOT NULL DEFAULT 0,
    `source` BIGINT NOT NULL DEFAULT 0,
    `definition` TEXT NULL,
    `created_at` DATETIME(6) NULL,
    `updated_at` DATETIME(6) NULL,
    `deleted_at` DATETIME(6) NULL,
    PRIMARY KEY (`id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
CREATE INDEX `idx_event_definition_deleted_at` ON `event_definition` (`deleted_at`);
CREATE TABLE `event_json` (
    `id` BIGINT NOT NULL AUTO_INCREMENT,
    `site` VARCHAR(255) NULL,
    `type` VARCHAR(255) NULL,
    `output` LONGTEXT NULL,
    PRIMARY KEY (`id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
CREATE TABLE `outcome` (
    `id` BIGINT NOT NULL AUTO_INCREMENT,
    `workflow` BIGINT NOT NULL DEFAULT 0,
    `real_workflow` BIGINT NOT NULL DEFAULT 0,
    `stage` BIGINT NOT NULL DEFAULT 0,
    `real_stage` BIGINT NOT NULL DEFAULT 0,
    `action` BIGINT NOT NULL DEFAULT 0,
    `real_action` BIGINT NOT NULL DEFAULT 0,
    `event` BIGINT NULL DEFAULT 0,
    `sequence` BIGINT NOT NULL DEFAULT 0,
    `status` TINYINT(1) NULL,
    `result` LONGTEXT NULL,
    `output` LONGTEXT NULL,
    `created_at` DATETIME(6) NULL,
    `updated_at` DATETIME(6) NULL,
    `deleted_at` DATETIME(6) NULL,
    PRIMARY KEY (`id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
CREATE INDEX `idx_outcome_deleted_at` ON `outcome` (`deleted_at`);
CREATE TABLE `serivce_definition` (
    `id` BIGINT NOT NULL AUTO_INCREMENT,
    `service` VARCHAR(255) NOT NULL,
    `title` VARCHAR(255) NULL,
    `gravatar` TEXT NULL,
    `endpoints` TEXT NULL,
    `status` TEXT NULL,
    `environment` TEXT NULL,
    `authorization` TEXT NULL,
    `configuration` TEXT NULL,
    `description` TEXT NULL,
    `created_at` DATETIME(6) NULL,
    `updated_at` DATETIME(6) NULL,
    `deleted_at` DATETIME(6) NULL,
    PRIMARY KEY (`id`),
    CONSTRAINT `service` UNIQUE (`service`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
CREATE INDEX `idx_serivce_definition_deleted_at` ON `serivce_definition` (`deleted_at`);
CREATE TABLE `service` (
    `id` BIGINT NOT NULL AUTO_INCREMENT,
    `namespace` VARCHAR(255) NOT NULL,
    `service` VARCHAR(255) NOT NULL,
    `title` VARCHAR(255) NULL,
    `gravatar` TEXT NULL,
    `endpoints` TEXT NULL,
    `environment` TEXT NULL,
    `authorization` TEXT NULL,
    `configuration` TEXT NULL,
    `description` TEXT NULL,
    `created_at` DATETIME(6) NULL,
    `updated_at` DATETIME(6) NULL,
    `deleted_at` DATETIME(6) NULL,
    PRIMARY KEY (`id`),
    CONSTRAINT `namespace_service` UNIQUE (`namespace`, `service`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
CREATE INDEX `idx_service_deleted_at` ON `service` (`deleted_at`);
CREATE TABLE `stage` (
    `id` BIGINT NOT NULL AUTO_INCREMENT,
    `namespace` VARCHAR(255) NOT NULL,
    `repository` VARCHAR(255) NOT NULL,
    `workflow` BIGINT NOT NULL DEFAULT 0,
    `type` BIGINT NOT NULL DEFAULT 0,
    `pre_stage` BIGINT NOT NULL DEFAULT 0,
    `stage` VARCHAR(255) NOT NULL,
    `title` VARCHAR(255) NOT NULL,
    `description` TEXT NULL,
    `event` BIGINT NULL DEFAULT 0,
    `manifest` LONGTEXT NULL,
    `env` LONGTEXT NULL,
    `timeout` VARCHAR(255) NULL,
    `requires` LONGTEXT NULL,
    `created_at` DATETIME(6) NULL,
    `updated_at` DATETIME(6) NULL,
    `deleted_at` DATETIME(6) NULL,
    PRIMARY KEY (`id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
CREATE INDEX `idx_stage_deleted_at` ON `stage` (`deleted_at`);
CREATE TABLE `stage_log` (
    `id` BIGINT NOT NULL AUTO_INCREMENT,
    `namespace` VARCHAR(255) NOT NULL,
    `repository` VARCHAR(255) NOT NULL,
    `workflow` BIGINT NOT NULL DEFAULT 0,
    `from_workflow` BIGINT NOT NULL DEFAULT 0,
    `sequence` BIGINT NOT NULL DEFAULT 0,
    `from_stage` BIGINT NOT NULL DEFAULT 0,
    `type` BIGINT NOT NULL DEFAULT 0,
    `pre_stage` BIGINT NOT NULL DEFAULT 0,
    `stage` VARCHAR(255) NOT NULL,
    `title` VARCHAR(255) NOT NULL,
    `description` TEXT NULL,
    `run_state` BIGINT NULL,
    `event` BIGINT NULL DEFAULT 0,
    `manifest` LONGTEXT NULL,
    `env` LONGTEXT NULL,
    `timeout` VARCHAR(255) NULL,
    `requires` LONGTEXT NULL,
    `auth_list` LONGTEXT NULL,
    `created_at` DATETIME(6) NULL,
    `updated_at` DATETIME(6) NULL,
    `deleted_at` DATETIME(6) NULL,
    `fail_reason` VARCHAR(255) NULL,
    PRIMARY KEY (`id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
CREATE INDEX `idx_stage_log_deleted_at` ON `stage_log` (`deleted_at`);
CREATE TABLE `timer` (
    `id` BIGINT NOT NULL AUTO_INCREMENT,
    `namespace` VARCHAR(255) NOT NULL,
    `repository` VARCHAR(255) NOT NULL,
    `workflow` BIGINT NULL,
    `available` TINYINT(1) NULL,
    `cron` VARCHAR(255) NULL,
    `event_type` VARCHAR(255) NULL,
    `event_name` VARCHAR(255) NULL,
    `start_json` LONGTEXT NULL,
    `created_at` DATETIME(6) NULL,
    `updated_at` DATETIME(6) NULL,
    `deleted_at` DATETIME(6) NULL,
    PRIMARY KEY (`id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
CREATE INDEX `idx_timer_deleted_at` ON `timer` (`deleted_at`);
CREATE TABLE `user_setting` (
    `id` BIGINT NOT NULL AUTO_INCREMENT,
    `namespace` VARCHAR(255) NOT NULL,
    `repository` VARCHAR(255) NOT NULL,
    `setting` TEXT NULL,
    `created_at` DATETIME(6) NULL,
    `updated_at` DATETIME(6) NULL,
    `deleted_at` DATETIME(6) NULL,
    PRIMARY KEY (`id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
CREATE INDEX `idx_user_setting_deleted_at` ON `user_setting` (`deleted_at`);
CREATE TABLE `workflow` (
    `id` BIGINT NOT NULL AUTO_INCREMENT,
    `namespace` VARCHAR(255) NOT NULL,
    `repository` VARCHAR(255) NOT NULL,
    `workflow` VARCHAR(255) NOT NULL,
    `event` BIGINT NULL DEFAULT 0,
    `version` VARCHAR(255) NULL,
    `version_code` VARCHAR(255) NULL,
    `state` BIGINT NULL,
    `manifest` LONGTEXT NULL,
    `description` TEXT NULL,
    `source_info` LONGTEXT NULL,
    `env` LONGTEXT NULL,
    `requires` LONGTEXT NULL,
    `created_at` DATETIME(6) NULL,
    `updated_at` DATETIME(6) NULL,
    `deleted_at` DATETIME(6) NULL,
    `is_limit_instance` TINYINT(1) NULL,
    `limit_instance` BIGINT NULL,
    `current_instance` BIGINT NULL,
    PRIMARY KEY (`id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
CREATE INDEX `idx_workflow_deleted_at` ON `workflow` (`deleted_at`);
CREATE TABLE `workflow_log` (
    `id` BIGINT NOT NULL AUTO_INCREMENT,
    `namespace` VARCHAR(255) NOT NULL,
    `repository` VARCHAR(255) NOT NULL,
    `workflow` VARCHAR(255) NOT NULL,
    `from_workflow` BIGINT NOT NULL DEFAULT 0,
    `pre_workflow` BIGINT NOT NULL DEFAULT 0,
    `pre_workflow_info` VARCHAR(255) NULL,
    `version` VARCHAR(255) NULL,
    `version_code` VARCHAR(255) NULL,
    `sequence` BIGINT NOT NULL DEFAULT 0,
    `run_state` BIGINT NULL,
    `event` BIGINT NULL DEFAULT 0,
    `manifest` LONGTEXT NULL,
    `description` TEXT NULL,
    `source_info` LONGTEXT NULL,
    `env` LONGTEXT NULL,
    `requires` LONGTEXT NULL,
    `auth_list` LONGTEXT NULL,
    `created_at` DATETIME(6) NULL,
    `updated_at` DATETIME(6) NULL,
    `deleted_at` DATETIME(6) NULL,
    `pre_stage` BIGINT NOT NULL DEFAULT 0,
    `pre_action` BIGINT NOT NULL DEFAULT 0,
    `fail_reason` VARCHAR(255) NULL,
    PRIMARY KEY (`id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
CREATE INDEX `idx_workflow_log_deleted_at` ON `workflow_log` (`deleted_at`);
CREATE TABLE `workflow_sequence` (
    `id` BIGINT NOT NULL AUTO_INCREMENT,
    `workflow` BIGINT NOT NULL DEFAULT 0,
    `sequence` BIGINT NOT NULL DEFAULT 0,
    `created_at` DATETIME(6) NULL,
    `updated_at` DATETIME(6) NULL,
    `deleted_at` DATETIME(6) NULL,
    PRIMARY KEY (`id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
CREATE INDEX `idx_workflow_sequence_deleted_at` ON `workflow_sequence` (`deleted_at`);
CREATE TABLE `workflow_var` (
    `id` BIGINT NOT NULL AUTO_INCREMENT,
    `workflow` BIGINT NULL,
    `key` VARCHAR(255) NULL,
    `default` LONGTEXT NULL,
    `vaule` LONGTEXT NULL,
    `created_at` DATETIME(6) NULL,
    `updated_at` DATETIME(6) NULL,
    `deleted_at` DATETIME(6) NULL,
    PRIMARY KEY (`id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
CREATE INDEX `idx_workflow_var_deleted_at` ON `workflow_var` (`deleted_at`);
CREATE TABLE `workflow_var_log` (
    `id` BIGINT NOT NULL AUTO_INCREMENT,
    `workflow` BIGINT NULL,
    `from_workflow` BIGINT NULL,
    `sequence` BIGINT NULL,
    `key` VARCHAR(255) NULL,
    `default` LONGTEXT NULL,
    `vaule` LONGTEXT NULL,
    `change_log` LONGTEXT NULL,
    PRIMARY KEY (`id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
CREATE TABLE `process_instances` (
    `id` CHAR(36) NOT NULL,
    `payload` LONGBLOB NOT NULL,
    `process_id` VARCHAR(450) NOT NULL,
    `version` BIGINT NULL,
    `process_version` VARCHAR(450) NULL,
    PRIMARY KEY (`id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
CREATE INDEX `idx_process_instances_process_id` ON `process_instances` (`process_id`, `id`, `process_version`(255));
CREATE TABLE `correlation_instances` (
    `id` CHAR(36) NOT NULL,
    `encoded_correlation_id` VARCHAR(36) NOT NULL,
    `correlated_id` VARCHAR(36) NOT NULL,
    `correlation` LONGTEXT NOT NULL,
    `version` BIGINT NULL,
    PRIMARY KEY (`id`),
    CONSTRAINT `correlation_instances_encoded_correlation_id_key` UNIQUE (`encoded_correlation_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
CREATE INDEX `idx_correlation_instances_encoded_id` ON `correlation_instances` (`encoded_correlation_id`);
CREATE INDEX `idx_correlation_instances_correlated_id` ON `correlation_instances` (`correlated_id`);
CREATE TABLE `business_key_mapping` (
    `business_key` VARCHAR(255) NOT NULL,
    `process_instance_id` CHAR(36) NOT NULL,
    PRIMARY KEY (`business_key`),
    CONSTRAINT `business_key_mapping_process_instance_id_fkey` FOREIGN KEY (`process_instance_id`) REFERENCES `process_instances` (`id`) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
CREATE INDEX `idx_business_key_mapping_process_instance_id` ON `business_key_mapping` (`process_instance_id`);
CREATE TABLE `event_types` (
    `process_instance_id` CHAR(36) NOT NULL,
    `event_type` VARCHAR(256) NOT NULL,
    PRIMARY KEY (`process_instance_id`, `event_type`),
    CONSTRAINT `event_types_process_instance_id_fkey` FOREIGN KEY (`process_instance_id`) REFERENCES `process_instances` (`id`) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
CREATE TABLE `workflows` (
    `workflow_id` CHAR(36) NOT NULL,
    `name` VARCHAR(450) NOT NULL,
    `target` TEXT NOT NULL,
    `description` LONGTEXT NULL,
    `created_at` DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    `deleted_at` DATETIME(6) NULL,
    PRIMARY KEY (`workflow_id`),
    CONSTRAINT `workflows_name_key` UNIQUE (`name`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
CREATE TABLE `products` (
    `product_id` CHAR(36) NOT NULL,
    `name` VARCHAR(450) NOT NULL,
    `description` LONGTEXT NOT NULL,
    `product_type` VARCHAR(255) NOT NULL,
    `tag` VARCHAR(20) NOT NULL,
    `status` VARCHAR(255) NOT NULL,
    `created_at` DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    `end_date` DATETIME(6) NULL,
    PRIMARY KEY (`product_id`),
    CONSTRAINT `products_name_key` UNIQUE (`name`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
CREATE INDEX `ix_products_tag` ON `products` (`tag`);
CREATE TABLE `product_blocks` (
    `product_block_id` CHAR(36) NOT NULL,
    `name` VARCHAR(450) NOT NULL,
    `description` LONGTEXT NOT NULL,
    `tag` VARCHAR(20) NULL,
    `status` VARCHAR(255) NULL,
    `created_at` DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    `end_date` DATETIME(6) NULL,
    PRIMARY KEY (`product_block_id`),
    CONSTRAINT `product_blocks_name_key` UNIQUE (`name`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
CREATE TABLE `resource_types` (
    `resource_type_id` CHAR(36) NOT NULL,
    `resource_type` VARCHAR(510) NOT NULL,
    `description` LONGTEXT NULL,
    PRIMARY KEY (`resource_type_id`),
    CONSTRAINT `resource_types_resource_type_key` UNIQUE (`resource_type`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
CREATE TABLE `processes` (
    `pid` CHAR(36) NOT NULL,
    `workflow_id` CHAR(36) NOT NULL,
    `assignee` VARCHAR(50) NOT NULL DEFAULT 'SYSTEM',
    `last_status` VARCHAR(50) NOT NULL,
    `last_step` VARCHAR(255) NULL,
    `started_at` DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    `last_modified_at` DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    `failed_reason` LONGTEXT NULL,
    `traceback` LONGTEXT NULL,
    `created_by` VARCHAR(255) NULL,
    `is_task` TINYINT(1) NOT NULL DEFAULT 0,
    PRIMARY KEY (`pid`),
    CONSTRAINT `processes_workflow_id_fkey` FOREIGN KEY (`workflow_id`) REFERENCES `workflows` (`workflow_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
CREATE INDEX `ix_processes_is_task` ON `processes` (`is_task`);
CREATE INDEX `ix_processes_last_status` ON `processes` (`last_status`);
CREATE TABLE `process_steps` (
    `stepid` CHAR(36) NOT NULL,
    `pid` CHAR(36) NOT NULL,
    `name` TEXT NOT NULL,
    `status` VARCHAR(50) NOT NULL,
    `state` LONGTEXT NOT NULL,
    `created_by` VARCHAR(255) NULL,
    `executed_at` DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    `commit_hash` VARCHAR(40) NULL,
    PRIMARY KEY (`stepid`),
    CONSTRAINT `process_steps_pid_fkey` FOREIGN KEY (`pid`) REFERENCES `processes` (`pid`) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
CREATE INDEX `ix_process_steps_pid` ON `process_steps` (`pid`);
CREATE TABLE `input_states` (
    `input_state_id` CHAR(36) NOT NULL,
    `pid` CHAR(36) NOT NULL,
    `input_state` LONGTEXT NOT NULL,
    `input_time` DATETIME(6) NOT NULL,
    `input_type` VARCHAR(20) NOT NULL,
    PRIMARY KEY (`input_state_id`),
    CONSTRAINT `input_states_pid_fkey` FOREIGN KEY (`pid`) REFERENCES `processes` (`pid`) ON DELETE CASCADE,
    CONSTRAINT `input_states_input_type_check` CHECK (`input_type` IN ('initial_state', 'user_input'))
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
CREATE INDEX `ix_input_states_pid` ON `input_states` (`pid`);
CREATE TABLE `subscriptions` (
    `subscription_id` CHAR(36) NOT NULL,
    `description` LONGTEXT NOT NULL,
    `status` VARCHAR(255) NOT NULL,
    `product_id` CHAR(36) NOT NULL,
    `customer_id` VARCHAR(450) NOT NULL,
    `insync` TINYINT(1) NOT NULL,
    `start_date` DATETIME(6) NULL,
    `end_date` DATETIME(6) NULL,
    `note` LONGTEXT NULL,
    PRIMARY KEY (`subscription_id`),
    CONSTRAINT `subscriptions_product_id_fkey` FOREIGN KEY (`product_id`) REFERENCES `products` (`product_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
CREATE INDEX `ix_subscriptions_status` ON `subscriptions` (`status`);
CREATE INDEX `ix_subscriptions_product_id` ON `subscriptions` (`product_id`);
CREATE INDEX `ix_subscriptions_customer_id` ON `subscriptions` (`customer_id`);
CREATE INDEX `subscription_product_ix` ON `subscriptions` (`subscription_id`, `product_id`);
CREATE INDEX `subscription_customer_ix` ON `subscriptions` (`subscription_id`, `customer_id`);
CREATE TABLE `processes_subscriptions` (
    `id` CHAR(36) NOT NULL,
    `pid` CHAR(36) NOT NULL,
    `subscription_id` CHAR(36) NOT NULL,
    `created_at` DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    `workflow_target` VARCHAR(255) NOT NULL DEFAULT 'CREATE',
    PRIMARY KEY (`id`),
    CONSTRAINT `processes_subscriptions_pid_fkey` FOREIGN KEY (`pid`) REFERENCES `processes` (`pid`) ON DELETE CASCADE,
    CONSTRAINT `processes_subscriptions_subscription_id_fkey` FOREIGN KEY (`subscription_id`) REFERENCES `subscriptions` (`subscription_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
CREATE INDEX `ix_processes_subscriptions_pid` ON `processes_subscriptions` (`pid`);
CREATE INDEX `ix_processes_subscriptions_subscription_id` ON `processes_subscriptions` (`subscription_id`);
CREATE INDEX `processes_subscriptions_ix` ON `processes_subscriptions` (`pid`, `subscription_id`);
CREATE TABLE `product_product_blocks` (
    `product_id` CHAR(36) NOT NULL,
    `product_block_id` CHAR(36) NOT NULL,
    PRIMARY KEY (`product_id`, `product_block_id`),
    CONSTRAINT `product_product_blocks_product_id_fkey` FOREIGN KEY (`product_id`) REFERENCES `products` (`product_id`) ON DELETE CASCADE,
    CONSTRAINT `product_product_blocks_product_block_id_fkey` FOREIGN KEY (`product_block_id`) REFERENCES `product_blocks` (`product_block_id`) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
CREATE TABLE `product_block_resource_types` (
    `product_block_id` CHAR(36) NOT NULL,
    `resource_type_id` CHAR(36) NOT NULL,
    PRIMARY KEY (`product_block_id`, `resource_type_id`),
    CONSTRAINT `product_block_resource_types_product_block_id_fkey` FOREIGN KEY (`product_block_id`) REFERENCES `product_blocks` (`product_block_id`) ON DELETE CASCADE,
    CONSTRAINT `product_block_resource_types_resource_type_id_fkey` FOREIGN KEY (`resource_type_id`) REFERENCES `resource_types` (`resource_type_id`) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
CREATE TABLE `products_workflows` (
    `product_id` CHAR(36) NOT NULL,
    `workflow_id` CHAR(36) NOT NULL,
    PRIMARY KEY (`product_id`, `workflow_id`),
    CONSTRAINT `products_workflows_product_id_fkey` FOREIGN KEY (`product_id`) REFERENCES `products` (`product_id`) ON DELETE CASCADE,
    CONSTRAINT `products_workflows_workflow_id_fkey` FOREIGN KEY (`workflow_id`) REFERENCES `workflows` (`workflow_id`) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
CREATE TABLE `fixed_inputs` (
    `fixed_input_id` CHAR(36) NOT NULL,
    `name` VARCHAR(450) NOT NULL,
    `value` TEXT NOT NULL,
    `created_at` DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    `product_id` CHAR(36) NOT NULL,
    PRIMARY KEY (`fixed_input_id`),
    CONSTRAINT `fixed_inputs_name_product_id_key` UNIQUE (`name`, `product_id`),
    CONSTRAINT `fixed_inputs_product_id_fkey` FOREIGN KEY (`product_id`) REFERENCES `products` (`product_id`) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
CREATE TABLE `product_block_relations` (
    `in_use_by_id` CHAR(36) NOT NULL,
    `depends_on_id` CHAR(36) NOT NULL,
    `min` INT NULL,
    `max` INT NULL,
    PRIMARY KEY (`in_use_by_id`, `depends_on_id`),
    CONSTRAINT `product_block_relations_in_use_by_id_fkey` FOREIGN KEY (`in_use_by_id`) REFERENCES `product_blocks` (`product_block_id`) ON DELETE CASCADE,
    CONSTRAINT `product_block_relations_depends_on_id_fkey` FOREIGN KEY (`depends_on_id`) REFERENCES `product_blocks` (`product_block_id`) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
CREATE UNIQUE INDEX `product_block_relation_i_d_ix` ON `product_block_relations` (`in_use_by_id`, `depends_on_id`);
CREATE TABLE `subscription_instances` (
    `subscription_instance_id` CHAR(36) NOT NULL,
    `subscription_id` CHAR(36) NOT NULL,
    `product_block_id` CHAR(36) NOT NULL,
    `label` VARCHAR(255) NULL,
    PRIMARY KEY (`subscription_instance_id`),
    CONSTRAINT `subscription_instances_subscription_id_fkey` FOREIGN KEY (`subscription_id`) REFERENCES `subscriptions` (`subscription_id`) ON DELETE CASCADE,
    CONSTRAINT `subscription_instances_product_block_id_fkey` FOREIGN KEY (`product_block_id`) REFERENCES `product_blocks` (`product_block_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
CREATE INDEX `ix_subscription_instances_subscription_id` ON `subscription_instances` (`subscription_id`);
CREATE INDEX `ix_subscription_instances_product_block_id` ON `subscription_instances` (`product_block_id`);
CREATE INDEX `subscription_instance_s_pb_ix` ON `subscription_instances` (`subscription_instance_id`, `subscription_id`, `product_block_id`);
CREATE TABLE `subscription_instance_relations` (
    `in_use_by_id` CHAR(36) NOT NULL,
    `depends_on_id` CHAR(36) NOT NULL,
    `order_id` INT NOT NULL,
    `domain_model_attr` LONGTEXT NULL,
    PRIMARY KEY (`in_use_by_id`, `depends_on_id`, `order_id`),
    CONSTRAINT `subscription_instance_relations_in_use_by_id_fkey` FOREIGN KEY (`in_use_by_id`) REFERENCES `subscription_instances` (`subscription_instance_id`) ON DELETE CASCADE,
    CONSTRAINT `subscription_instance_relations_depends_on_id_fkey` FOREIGN KEY (`depends_on_id`) REFERENCES `subscription_instances` (`subscription_instance_id`) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
CREATE UNIQUE INDEX `subscription_relation_i_d_o_ix` ON `subscription_instance_relations` (`in_use_by_id`, `depends_on_id`, `order_id`);
CREATE TABLE `subscription_instance_values` (
    `subscription_instance_value_id` CHAR(36) NOT NULL,
    `subscription_instance_id` CHAR(36) NOT NULL,
    `resource_type_id` CHAR(36) NOT NULL,
    `value` LONGTEXT NOT NULL,
    PRIMARY KEY (`subscription_instance_value_id`),
    CONSTRAINT `subscription_instance_values_subscription_instance_id_fkey` FOREIGN KEY (`subscription_instance_id`) REFERENCES `subscription_instances` (`subscription_instance_id`) ON DELETE CASCADE,
    CONSTRAINT `subscription_instance_values_resource_type_id_fkey` FOREIGN KEY (`resource_type_id`) REFERENCES `resource_types` (`resource_type_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
CREATE INDEX `ix_subscription_instance_values_subscription_instance_id` ON `subscription_instance_values` (`subscription_instance_id`);
CREATE INDEX `ix_subscription_instance_values_resource_type_id` ON `subscription_instance_values` (`resource_type_id`);
CREATE INDEX `siv_si_rt_ix` ON `subscription_instance_values` (`subscription_instance_value_id`, `subscription_instance_id`, `resource_type_id`);
CREATE TABLE `subscription_customer_descriptions` (
    `id` CHAR(36) NOT NULL,
    `subscription_id` CHAR(36) NOT NULL,
    `customer_id` VARCHAR(450) NOT NULL,
    `description` LONGTEXT NOT NULL,
    `created_at` DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    PRIMARY KEY (`id`),
    CONSTRAINT `uniq_customer_subscription_description` UNIQUE (`customer_id`, `subscription_id`),
    CONSTRAINT `subscription_customer_descriptions_subscription_id_fkey` FOREIGN KEY (`subscription_id`) REFERENCES `subscriptions` (`subscription_id`) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
CREATE INDEX `ix_subscription_customer_descriptions_subscription_id` ON `subscription_customer_descriptions` (`subscription_id`);
CREATE INDEX `ix_subscription_customer_descriptions_customer_id` ON `subscription_customer_descriptions` (`customer_id`);
CREATE TABLE `subscription_metadata` (
    `subscription_id` CHAR(36) NOT NULL,
    `metadata` LONGTEXT NOT NULL,
    PRIMARY KEY (`subscription_id`),
    CONSTRAINT `subscription_metadata_subscription_id_fkey` FOREIGN KEY (`subscription_id`) REFERENCES `subscriptions` (`subscription_id`) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
CREATE TABLE `subscriptions_search` (
    `subscription_id` CHAR(36) NOT NULL,
    `tsv` LONGTEXT NULL,
    PRIMARY KEY (`subscription_id`),
    CONSTRAINT `subscriptions_search_subscription_id_fkey` FOREIGN KEY (`subscription_id`) REFERENCES `subscriptions` (`subscription_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
CREATE TABLE `engine_settings` (
    `global_lock` TINYINT(1) NOT NULL,
    `running_processes` INT NOT NULL DEFAULT 0,
    PRIMARY KEY (`global_lock`),
    CONSTRAINT `check_running_processes_positive` CHECK (`running_processes` >= 0)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
INSERT INTO `engine_settings` (`global_lock`, `running_processes`) VALUES (0, 0);

-- migration 0020_queue_claim_index
CREATE INDEX `ix_Queues_queue_name_status_created_date_id` ON `Queues` (`queue_name`, `status`, `created_date`, `id`);
DROP INDEX `ix_Queues_queue_name_status_created_date` ON `Queues`;

-- flowstore bookkeeping
CREATE TABLE IF NOT EXISTS `flowstore_migrations` (`version` INT NOT NULL PRIMARY KEY, `name` VARCHAR(200) NOT NULL, `applied_at` DATETIME(6) NOT NULL) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
INSERT INTO flowstore_migrations (version, name, applied_at) VALUES (1, 'reference_schema', UTC_TIMESTAMP(6));
INSERT INTO flowstore_migrations (version, name, applied_at) VALUES (20, 'queue_claim_index', UTC_TIMESTAMP(6));
