-- flowstore schema for sqlite, version 20

-- migration 0001_reference_schema
CREATE TABLE "Triggers" (
    "id" TEXT NOT NULL,
    "trigger_name" TEXT NOT NULL CONSTRAINT "Triggers_trigger_name_len" CHECK (length("trigger_name") <= 100),
    "process_name" TEXT NOT NULL CONSTRAINT "Triggers_process_name_len" CHECK (length("process_name") <= 100),
    "last_run" DATETIME NULL,
    "process_path" TEXT NOT NULL CONSTRAINT "Triggers_process_path_len" CHECK (length("process_path") <= 250),
    "process_args" TEXT NULL CONSTRAINT "Triggers_process_args_len" CHECK (length("process_args") <= 1000),
    "process_status" TEXT NOT NULL CONSTRAINT "Triggers_process_status_len" CHECK (length("process_status") <= 20),
    "is_git_repo" INTEGER NOT NULL,
    "is_blocking" INTEGER NOT NULL,
    "type" TEXT NOT NULL CONSTRAINT "Triggers_type_len" CHECK (length("type") <= 20),
    "git_branch" TEXT NULL CONSTRAINT "Triggers_git_branch_len" CHECK (length("git_branch") <= 100),
    "scheduler_whitelist" TEXT NULL CONSTRAINT "Triggers_scheduler_whitelist_len" CHECK (length("scheduler_whitelist") <= 250),
    "priority" INTEGER NOT NULL DEFAULT 0,
    CONSTRAINT "Triggers_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "Triggers_process_status_check" CHECK ("process_status" IN ('IDLE', 'RUNNING', 'FAILED', 'DONE', 'PAUSED', 'PAUSING', 'KILLING', 'KILLED')),
    CONSTRAINT "Triggers_type_check" CHECK ("type" IN ('SINGLE', 'SCHEDULED', 'QUEUE'))
);
CREATE INDEX "ix_Triggers_process_status" ON "Triggers" ("process_status");
CREATE TABLE "Scheduled_Triggers" (
    "id" TEXT NOT NULL,
    "cron_expr" TEXT NOT NULL CONSTRAINT "Scheduled_Triggers_cron_expr_len" CHECK (length("cron_expr") <= 200),
    "next_run" DATETIME NOT NULL,
    CONSTRAINT "Scheduled_Triggers_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "Scheduled_Triggers_id_fkey" FOREIGN KEY ("id") REFERENCES "Triggers" ("id")
);
CREATE TABLE "Queue_Triggers" (
    "id" TEXT NOT NULL,
    "queue_name" TEXT NOT NULL CONSTRAINT "Queue_Triggers_queue_name_len" CHECK (length("queue_name") <= 200),
    "min_batch_size" INTEGER NOT NULL,
    CONSTRAINT "Queue_Triggers_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "Queue_Triggers_id_fkey" FOREIGN KEY ("id") REFERENCES "Triggers" ("id")
);
CREATE TABLE "Single_Triggers" (
    "id" TEXT NOT NULL,
    "next_run" DATETIME NOT NULL,
    CONSTRAINT "Single_Triggers_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "Single_Triggers_id_fkey" FOREIGN KEY ("id") REFERENCES "Triggers" ("id")
);
CREATE TABLE "Logs" (
    "id" TEXT NOT NULL,
    "log_time" DATETIME NOT NULL,
    "log_level" TEXT NOT NULL CONSTRAINT "Logs_log_level_len" CHECK (length("log_level") <= 20),
    "process_name" TEXT NOT NULL CONSTRAINT "Logs_process_name_len" CHECK (length("process_name") <= 100),
    "log_message" TEXT NOT NULL CONSTRAINT "Logs_log_message_len" CHECK (length("log_message") <= 8000),
    CONSTRAINT "Logs_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "Logs_log_level_check" CHECK ("log_level" IN ('TRACE', 'INFO', 'ERROR'))
);
CREATE INDEX "ix_Logs_log_time" ON "Logs" ("log_time");
CREATE INDEX "ix_Logs_process_name_log_time" ON "Logs" ("process_name", "log_time");
CREATE TABLE "Constants" (
    "name" TEXT NOT NULL CONSTRAINT "Constants_name_len" CHECK (length("name") <= 100),
    "value" TEXT NOT NULL CONSTRAINT "Constants_value_len" CHECK (length("value") <= 1000),
    "changed_at" DATETIME NOT NULL,
    CONSTRAINT "Constants_pkey" PRIMARY KEY ("name")
);
CREATE TABLE "Credentials" (
    "name" TEXT NOT NULL CONSTRAINT "Credentials_name_len" CHECK (length("name") <= 100),
    "username" TEXT NOT NULL CONSTRAINT "Credentials_username_len" CHECK (length("username") <= 250),
    "password" TEXT NOT NULL CONSTRAINT "Credentials_password_len" CHECK (length("password") <= 1000),
    "changed_at" DATETIME NOT NULL,
    CONSTRAINT "Credentials_pkey" PRIMARY KEY ("name")
);
CREATE TABLE "Queues" (
    "id" TEXT NOT NULL,
    "queue_name" TEXT NOT NULL CONSTRAINT "Queues_queue_name_len" CHECK (length("queue_name") <= 100),
    "status" TEXT NOT NULL CONSTRAINT "Queues_status_len" CHECK (length("status") <= 20),
    "data" TEXT NULL CONSTRAINT "Queues_data_len" CHECK (length("data") <= 2000),
    "reference" TEXT NULL CONSTRAINT "Queues_reference_len" CHECK (length("reference") <= 100),
    "created_date" DATETIME NOT NULL,
    "start_date" DATETIME NULL,
    "end_date" DATETIME NULL,
    "message" TEXT NULL CONSTRAINT "Queues_message_len" CHECK (length("message") <= 1000),
    "created_by" TEXT NULL CONSTRAINT "Queues_created_by_len" CHECK (length("created_by") <= 100),
    CONSTRAINT "Queues_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "Queues_status_check" CHECK ("status" IN ('NEW', 'IN_PROGRESS', 'DONE', 'FAILED', 'ABANDONED'))
);
CREATE INDEX "ix_Queues_queue_name_status_created_date" ON "Queues" ("queue_name", "status", "created_date");
CREATE INDEX "ix_Queues_created_date" ON "Queues" ("created_date");
CREATE TABLE "Schedulers" (
    "machine_name" TEXT NOT NULL CONSTRAINT "Schedulers_machine_name_len" CHECK (length("machine_name") <= 100),
    "last_update" DATETIME NOT NULL,
    "latest_trigger" TEXT NULL CONSTRAINT "Schedulers_latest_trigger_len" CHECK (length("latest_trigger") <= 100),
    "latest_trigger_time" DATETIME NULL,
    CONSTRAINT "Schedulers_pkey" PRIMARY KEY ("machine_name")
);
CREATE TABLE "action" (
    "id" INTEGER PRIMARY KEY AUTOINCREMENT,
    "namespace" TEXT NOT NULL CONSTRAINT "action_namespace_len" CHECK (length("namespace") <= 255),
    "repository" TEXT NOT NULL CONSTRAINT "action_repository_len" CHECK (length("repository") <= 255),
    "workflow" BIGINT NOT NULL DEFAULT 0,
    "stage" BIGINT NOT NULL DEFAULT 0,
    "component" BIGINT NOT NULL DEFAULT 0,
    "service" BIGINT NOT NULL DEFAULT 0,
    "action" TEXT NOT NULL CONSTRAINT "action_action_len" CHECK (length("action") <= 255),
    "title" TEXT NOT NULL CONSTRAINT "action_title_len" CHECK (length("title") <= 255),
    "description" TEXT NULL,
    "event" BIGINT NULL DEFAULT 0,
    "manifest" TEXT NULL,
    "environment" TEXT NULL,
    "kubernetes" TEXT NULL,
    "swarm" TEXT NULL,
    "input" TEXT NULL,
    "output" TEXT NULL,
    "image_name" TEXT NULL CONSTRAINT "action_image_name_len" CHECK (length("image_name") <= 255),
    "image_tag" TEXT NULL CONSTRAINT "action_image_tag_len" CHECK (length("image_tag") <= 255),
    "timeout" TEXT NULL CONSTRAINT "action_timeout_len" CHECK (length("timeout") <= 255),
    "requires" TEXT NULL,
    "created_at" DATETIME NULL,
    "updated_at" DATETIME NULL,
    "deleted_at" DATETIME NULL
);
CREATE INDEX "idx_action_deleted_at" ON "action" ("deleted_at");
CREATE TABLE "action_log" (
    "id" INTEGER PRIMARY KEY AUTOINCREMENT,
    "namespace" TEXT NOT NULL CONSTRAINT "action_log_namespace_len" CHECK (length("namespace") <= 255),
    "repository" TEXT NOT NULL CONSTRAINT "action_log_repository_len" CHECK (length("repository") <= 255),
    "workflow" BIGINT NOT NULL DEFAULT 0,
    "from_workflow" BIGINT NOT NULL DEFAULT 0,
    "sequence" BIGINT NOT NULL DEFAULT 0,
    "stage" BIGINT NOT NULL DEFAULT 0,
    "from_stage" BIGINT NOT NULL DEFAULT 0,
    "from_action" BIGINT NOT NULL DEFAULT 0,
    "run_state" BIGINT NULL,
    "component" BIGINT NOT NULL DEFAULT 0,
    "service" BIGINT NOT NULL DEFAULT 0,
    "action" TEXT NOT NULL CONSTRAINT "action_log_action_len" CHECK (length("action") <= 255),
    "title" TEXT NOT NULL CONSTRAINT "action_log_title_len" CHECK (length("title") <= 255),
    "description" TEXT NULL,
    "event" BIGINT NULL DEFAULT 0,
    "manifest" TEXT NULL,
    "environment" TEXT NULL,
    "kubernetes" TEXT NULL,
    "swarm" TEXT NULL,
    "input" TEXT NULL,
    "output" TEXT NULL,
    "image_name" TEXT NULL CONSTRAINT "action_log_image_name_len" CHECK (length("image_name") <= 255),
    "image_tag" TEXT NULL CONSTRAINT "action_log_image_tag_len" CHECK (length("image_tag") <= 255),
    "timeout" TEXT NULL CONSTRAINT "action_log_timeout_len" CHECK (length("timeout") <= 255),
    "requires" TEXT NULL,
    "auth_list" TEXT NULL,
    "created_at" DATETIME NULL,
    "updated_at" DATETIME NULL,
    "deleted_at" DATETIME NULL,
    "fail_reason" TEXT NULL CONSTRAINT "action_log_fail_reason_len" CHECK (length("fail_reason") <= 255),
    "container_id" TEXT NULL CONSTRAINT "action_log_container_id_len" CHECK (length("container_id") <= 255)
);
CREATE INDEX "idx_action_log_deleted_at" ON "action_log" ("deleted_at");
CREATE TABLE "component" (
    "id" INTEGER PRIMARY KEY AUTOINCREMENT,
    "namespace" TEXT NOT NULL CONSTRAINT "component_namespace_len" CHECK (length("namespace") <= 255),
    "version" TEXT NULL,
    "version_code" BIGINT NULL,
    "component" TEXT NOT NULL CONSTRAINT "component_component_len" CHECK (length("component") <= 255),
    "type" BIGINT NOT NULL DEFAULT 0,
    "title" TEXT NULL CONSTRAINT "component_title_len" CHECK (length("title") <= 255),
    "gravatar" TEXT NULL,
    "description" TEXT NULL,
    "endpoint" TEXT NULL,
    "source" TEXT NOT NULL,
    "environment" TEXT NULL,
    "tag" TEXT NULL CONSTRAINT "component_tag_len" CHECK (length("tag") <= 255),
    "volume_location" TEXT NULL,
    "volume_data" TEXT NULL,
    "makefile" TEXT NULL,
    "kubernetes" TEXT NULL,
    "swarm" TEXT NULL,
    "input" TEXT NULL,
    "output" TEXT NULL,
    "timeout" BIGINT NULL,
    "manifest" TEXT NULL,
    "created_at" DATETIME NULL,
    "updated_at" DATETIME NULL,
    "deleted_at" DATETIME NULL
);
CREATE INDEX "idx_component_deleted_at" ON "component" ("deleted_at");
CREATE TABLE "event" (
    "id" INTEGER PRIMARY KEY AUTOINCREMENT,
    "definition" BIGINT NOT NULL DEFAULT 0,
    "title" TEXT NOT NULL CONSTRAINT "event_title_len" CHECK (length("title") <= 255),
    "header" TEXT NOT NULL,
    "payload" TEXT NOT NULL,
    "authorization" TEXT NULL,
    "type" BIGINT NOT NULL DEFAULT 0,
    "source" BIGINT NOT NULL DEFAULT 0,
    "character" BIGINT NOT NULL DEFAULT 0,
    "namespace" TEXT NULL CONSTRAINT "event_namespace_len" CHECK (length("namespace") <= 255),
    "repository" TEXT NULL CONSTRAINT "event_repository_len" CHECK (length("repository") <= 255),
    "workflow" BIGINT NOT NULL DEFAULT 0,
    "stage" BIGINT NOT NULL DEFAULT 0,
    "action" BIGINT NOT NULL DEFAULT 0,
    "sequence" BIGINT NOT NULL DEFAULT 0,
    "created_at" DATETIME NULL,
    "updated_at" DATETIME NULL,
    "deleted_at" DATETIME NULL
);
CREATE INDEX "idx_event_deleted_at" ON "event" ("deleted_at");
CREATE TABLE "event_definition" (
    "id" INTEGER PRIMARY KEY AUTOINCREMENT,
    "event" TEXT NOT NULL CONSTRAINT "event_definition_event_len" CHECK (length("event") <= 255),
    "title" TEXT NULL CONSTRAINT "event_definition_title_len" CHECK (length("title") <= 255),
    "namespace" TEXT NULL CONSTRAINT "event_definition_namespace_len" CHECK (length("namespace") <= 255),
    "repository" TEXT NULL CONSTRAINT "event_definition_repository_len" CHECK (length("repository") <= 255),
    "workflow" BIGINT NULL,
    "stage" BIGINT NULL,
    "action" BIGINT NOT NULL DEFAULT 0,
    "character" BIGINT NOT NULL DEFAULT 0,
    "type" BIGINT NOT NULL DEFAULT 0,
    "source" BIGINT NOT NULL DEFAULT 0,
    "definition" TEXT NULL,
    "created_at" DATETIME NULL,
    "updated_at" DATETIME NULL,
    "deleted_at" DATETIME NULL
);
CREATE INDEX "idx_event_definition_deleted_at" ON "event_definition" ("deleted_at");
CREATE TABLE "event_json" (
    "id" INTEGER PRIMARY KEY AUTOINCREMENT,
    "site" TEXT NULL CONSTRAINT "event_json_site_len" CHECK (length("site") <= 255),
    "type" TEXT NULL CONSTRAINT "event_json_type_len" CHECK (length("type") <= 255),
    "output" TEXT NULL
);
CREATE TABLE "outcome" (
    "id" INTEGER PRIMARY KEY AUTOINCREMENT,
    "workflow" BIGINT NOT NULL DEFAULT 0,
    "real_workflow" BIGINT NOT NULL DEFAULT 0,
    "stage" BIGINT NOT NULL DEFAULT 0,
    "real_stage" BIGINT NOT NULL DEFAULT 0,
    "action" BIGINT NOT NULL DEFAULT 0,
    "real_action" BIGINT NOT NULL DEFAULT 0,
    "event" BIGINT NULL DEFAULT 0,
    "sequence" BIGINT NOT NULL DEFAULT 0,
    "status" INTEGER NULL,
    "result" TEXT NULL,
    "output" TEXT NULL,
    "created_at" DATETIME NULL,
    "updated_at" DATETIME NULL,
    "deleted_at" DATETIME NULL
);
CREATE INDEX "idx_outcome_deleted_at" ON "outcome" ("deleted_at");
CREATE TABLE "serivce_definition" (
    "id" INTEGER PRIMARY KEY AUTOINCREMENT,
    "service" TEXT NOT NULL CONSTRAINT "serivce_definition_service_len" CHECK (length("service") <= 255),
    "title" TEXT NULL CONSTRAINT "serivce_definition_title_len" CHECK (length("title") <= 255),
    "gravatar" TEXT NULL,
    "endpoints" TEXT NULL,
    "status" TEXT NULL,
    "environment" TEXT NULL,
    "authorization" TEXT NULL,
    "configuration" TEXT NULL,
    "description" TEXT NULL,
    "created_at" DATETIME NULL,
    "updated_at" DATETIME NULL,
    "deleted_at" DATETIME NULL,
    CONSTRAINT "serivce_definition_service_key" UNIQUE ("service")
);
CREATE INDEX "idx_serivce_definition_deleted_at" ON "serivce_definition" ("deleted_at");
CREATE TABLE "service" (
    "id" INTEGER PRIMARY KEY AUTOINCREMENT,
    "namespace" TEXT NOT NULL CONSTRAINT "service_namespace_len" CHECK (length("namespace") <= 255),
    "service" TEXT NOT NULL CONSTRAINT "service_service_len" CHECK (length("service") <= 255),
    "title" TEXT NULL CONSTRAINT "service_title_len" CHECK (length("title") <= 255),
    "gravatar" TEXT NULL,
    "endpoints" TEXT NULL,
    "environment" TEXT NULL,
    "authorization" TEXT NULL,
    "configuration" TEXT NULL,
    "description" TEXT NULL,
    "created_at" DATETIME NULL,
    "updated_at" DATETIME NULL,
    "deleted_at" DATETIME NULL,
    CONSTRAINT "service_namespace_service_key" UNIQUE ("namespace", "service")
);
CREATE INDEX "idx_service_deleted_at" ON "service" ("deleted_at");
CREATE TABLE "stage" (
    "id" INTEGER PRIMARY KEY AUTOINCREMENT,
    "namespace" TEXT NOT NULL CONSTRAINT "stage_namespace_len" CHECK (length("namespace") <= 255),
    "repository" TEXT NOT NULL CONSTRAINT "stage_repository_len" CHECK (length("repository") <= 255),
    "workflow" BIGINT NOT NULL DEFAULT 0,
    "type" BIGINT NOT NULL DEFAULT 0,
    "pre_stage" BIGINT NOT NULL DEFAULT 0,
    "stage" TEXT NOT NULL CONSTRAINT "stage_stage_len" CHECK (length("stage") <= 255),
    "title" TEXT NOT NULL CONSTRAINT "stage_title_len" CHECK (length("title") <= 255),
    "description" TEXT NULL,
    "event" BIGINT NULL DEFAULT 0,
    "manifest" TEXT NULL,
    "env" TEXT NULL,
    "timeout" TEXT NULL CONSTRAINT "stage_timeout_len" CHECK (length("timeout") <= 255),
    "requires" TEXT NULL,
    "created_at" DATETIME NULL,
    "updated_at" DATETIME NULL,
    "deleted_at" DATETIME NULL
);
CREATE INDEX "idx_stage_deleted_at" ON "stage" ("deleted_at");
CREATE TABLE "stage_log" (
    "id" INTEGER PRIMARY KEY AUTOINCREMENT,
    "namespace" TEXT NOT NULL CONSTRAINT "stage_log_namespace_len" CHECK (length("namespace") <= 255),
    "repository" TEXT NOT NULL CONSTRAINT "stage_log_repository_len" CHECK (length("repository") <= 255),
    "workflow" BIGINT NOT NULL DEFAULT 0,
    "from_workflow" BIGINT NOT NULL DEFAULT 0,
    "sequence" BIGINT NOT NULL DEFAULT 0,
    "from_stage" BIGINT NOT NULL DEFAULT 0,
    "type" BIGINT NOT NULL DEFAULT 0,
    "pre_stage" BIGINT NOT NULL DEFAULT 0,
    "stage" TEXT NOT NULL CONSTRAINT "stage_log_stage_len" CHECK (length("stage") <= 255),
    "title" TEXT NOT NULL CONSTRAINT "stage_log_title_len" CHECK (length("title") <= 255),
    "description" TEXT NULL,
    "run_state" BIGINT NULL,
    "event" BIGINT NULL DEFAULT 0,
    "manifest" TEXT NULL,
    "env" TEXT NULL,
    "timeout" TEXT NULL CONSTRAINT "stage_log_timeout_len" CHECK (length("timeout") <= 255),
    "requires" TEXT NULL,
    "auth_list" TEXT NULL,
    "created_at" DATETIME NULL,
    "updated_at" DATETIME NULL,
    "deleted_at" DATETIME NULL,
    "fail_reason" TEXT NULL CONSTRAINT "stage_log_fail_reason_len" CHECK (length("fail_reason") <= 255)
);
CREATE INDEX "idx_stage_log_deleted_at" ON "stage_log" ("deleted_at");
CREATE TABLE "timer" (
    "id" INTEGER PRIMARY KEY AUTOINCREMENT,
    "namespace" TEXT NOT NULL CONSTRAINT "timer_namespace_len" CHECK (length("namespace") <= 255),
    "repository" TEXT NOT NULL CONSTRAINT "timer_repository_len" CHECK (length("repository") <= 255),
    "workflow" BIGINT NULL,
    "available" INTEGER NULL,
    "cron" TEXT NULL CONSTRAINT "timer_cron_len" CHECK (length("cron") <= 255),
    "event_type" TEXT NULL CONSTRAINT "timer_event_type_len" CHECK (length("event_type") <= 255),
    "event_name" TEXT NULL CONSTRAINT "timer_event_name_len" CHECK (length("event_name") <= 255),
    "start_json" TEXT NULL,
    "created_at" DATETIME NULL,
    "updated_at" DATETIME NULL,
    "deleted_at" DATETIME NULL
);
CREATE INDEX "idx_timer_deleted_at" ON "timer" ("deleted_at");
CREATE TABLE "user_setting" (
    "id" INTEGER PRIMARY KEY AUTOINCREMENT,
    "namespace" TEXT NOT NULL CONSTRAINT "user_setting_namespace_len" CHECK (length("namespace") <= 255),
    "repository" TEXT NOT NULL CONSTRAINT "user_setting_repository_len" CHECK (length("repository") <= 255),
    "setting" TEXT NULL,
    "created_at" DATETIME NULL,
    "updated_at" DATETIME NULL,
    "deleted_at" DATETIME NULL
);
CREATE INDEX "idx_user_setting_deleted_at" ON "user_setting" ("deleted_at");
CREATE TABLE "workflow" (
    "id" INTEGER PRIMARY KEY AUTOINCREMENT,
    "namespace" TEXT NOT NULL CONSTRAINT "workflow_namespace_len" CHECK (length("namespace") <= 255),
    "repository" TEXT NOT NULL CONSTRAINT "workflow_repository_len" CHECK (length("repository") <= 255),
    "workflow" TEXT NOT NULL CONSTRAINT "workflow_workflow_len" CHECK (length("workflow") <= 255),
    "event" BIGINT NULL DEFAULT 0,
    "version" TEXT NULL CONSTRAINT "workflow_version_len" CHECK (length("version") <= 255),
    "version_code" TEXT NULL CONSTRAINT "workflow_version_code_len" CHECK (length("version_code") <= 255),
    "state" BIGINT NULL,
    "manifest" TEXT NULL,
    "description" TEXT NULL,
    "source_info" TEXT NULL,
    "env" TEXT NULL,
    "requires" TEXT NULL,
    "created_at" DATETIME NULL,
    "updated_at" DATETIME NULL,
    "deleted_at" DATETIME NULL,
    "is_limit_instance" INTEGER NULL,
    "limit_instance" BIGINT NULL,
    "current_instance" BIGINT NULL
);
CREATE INDEX "idx_workflow_deleted_at" ON "workflow" ("deleted_at");
CREATE TABLE "workflow_log" (
    "id" INTEGER PRIMARY KEY AUTOINCREMENT,
    "namespace" TEXT NOT NULL CONSTRAINT "workflow_log_namespace_len" CHECK (length("namespace") <= 255),
    "repository" TEXT NOT NULL CONSTRAINT "workflow_log_repository_len" CHECK (length("repository") <= 255),
    "workflow" TEXT NOT NULL CONSTRAINT "workflow_log_workflow_len" CHECK (length("workflow") <= 255),
    "from_workflow" BIGINT NOT NULL DEFAULT 0,
    "pre_workflow" BIGINT NOT NULL DEFAULT 0,
    "pre_workflow_info" TEXT NULL CONSTRAINT "workflow_log_pre_workflow_info_len" CHECK (length("pre_workflow_info") <= 255),
    "version" TEXT NULL CONSTRAINT "workflow_log_version_len" CHECK (length("version") <= 255),
    "version_code" TEXT NULL CONSTRAINT "workflow_log_version_code_len" CHECK (length("version_code") <= 255),
    "sequence" BIGINT NOT NULL DEFAULT 0,
    "run_state" BIGINT NULL,
    "event" BIGINT NULL DEFAULT 0,
    "manifest" TEXT NULL,
    "description" TEXT NULL,
    "source_info" TEXT NULL,
    "env" TEXT NULL,
    "requires" TEXT NULL,
    "auth_list" TEXT NULL,
    "created_at" DATETIME NULL,
    "updated_at" DATETIME NULL,
    "deleted_at" DATETIME NULL,
    "pre_stage" BIGINT NOT NULL DEFAULT 0,
    "pre_action" BIGINT NOT NULL DEFAULT 0,
    "fail_reason" TEXT NULL CONSTRAINT "workflow_log_fail_reason_len" CHECK (length("fail_reason") <= 255)
);
CREATE INDEX "idx_workflow_log_deleted_at" ON "workflow_log" ("deleted_at");
CREATE TABLE "workflow_sequence" (
    "id" INTEGER PRIMARY KEY AUTOINCREMENT,
    "workflow" BIGINT NOT NULL DEFAULT 0,
    "sequence" BIGINT NOT NULL DEFAULT 0,
    "created_at" DATETIME NULL,
    "updated_at" DATETIME NULL,
    "deleted_at" DATETIME NULL
);
CREATE INDEX "idx_workflow_sequence_deleted_at" ON "workflow_sequence" ("deleted_at");
CREATE TABLE "workflow_var" (
    "id" INTEGER PRIMARY KEY AUTOINCREMENT,
    "workflow" BIGINT NULL,
    "key" TEXT NULL CONSTRAINT "workflow_var_key_len" CHECK (length("key") <= 255),
    "default" TEXT NULL,
    "vaule" TEXT NULL,
    "created_at" DATETIME NULL,
    "updated_at" DATETIME NULL,
    "deleted_at" DATETIME NULL
);
CREATE INDEX "idx_workflow_var_deleted_at" ON "workflow_var" ("deleted_at");
CREATE TABLE "workflow_var_log" (
    "id" INTEGER PRIMARY KEY AUTOINCREMENT,
    "workflow" BIGINT NULL,
    "from_workflow" BIGINT NULL,
    "sequence" BIGINT NULL,
    "key" TEXT NULL CONSTRAINT "workflow_var_log_key_len" CHECK (length("key") <= 255),
    "default" TEXT NULL,
    "vaule" TEXT NULL,
    "change_log" TEXT NULL
);
CREATE TABLE "process_instances" (
    "id" TEXT NOT NULL CONSTRAINT "process_instances_id_len" CHECK (length("id") <= 36),
    "payload" BLOB NOT NULL,
    "process_id" TEXT NOT NULL,
    "version" BIGINT NULL,
    "process_version" TEXT NULL,
    CONSTRAINT "process_instances_pkey" PRIMARY KEY ("id")
);
CREATE INDEX "idx_process_instances_process_id" ON "process_instances" ("process_id", "id", "process_version");
CREATE TABLE "correlation_instances" (
    "id" TEXT NOT NULL CONSTRAINT "correlation_instances_id_len" CHECK (length("id") <= 36),
    "encoded_correlation_id" TEXT NOT NULL CONSTRAINT "correlation_instances_encoded_correlation_id_len" CHECK (length("encoded_correlation_id") <= 36),
    "correlated_id" TEXT NOT NULL CONSTRAINT "correlation_instances_correlated_id_len" CHECK (length("correlated_id") <= 36),
    "correlation" TEXT NOT NULL,
    "version" BIGINT NULL,
    CONSTRAINT "correlation_instances_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "correlation_instances_encoded_correlation_id_key" UNIQUE ("encoded_correlation_id")
);
CREATE INDEX "idx_correlation_instances_encoded_id" ON "correlation_instances" ("encoded_correlation_id");
CREATE INDEX "idx_correlation_instances_correlated_id" ON "correlation_instances" ("correlated_id");
CREATE TABLE "business_key_mapping" (
    "business_key" TEXT NOT NULL CONSTRAINT "business_key_mapping_business_key_len" CHECK (length("business_key") <= 255),
    "process_instance_id" TEXT NOT NULL CONSTRAINT "business_key_mapping_process_instance_id_len" CHECK (length("process_instance_id") <= 36),
    CONSTRAINT "business_key_mapping_pkey" PRIMARY KEY ("business_key"),
    CONSTRAINT "business_key_mapping_process_instance_id_fkey" FOREIGN KEY ("process_instance_id") REFERENCES "process_instances" ("id") ON DELETE CASCADE
);
CREATE INDEX "idx_business_key_mapping_process_instance_id" ON "business_key_mapping" ("process_instance_id");
CREATE TABLE "event_types" (
    "process_instance_id" TEXT NOT NULL CONSTRAINT "event_types_process_instance_id_len" CHECK (length("process_instance_id") <= 36),
    "event_type" TEXT NOT NULL CONSTRAINT "event_types_event_type_len" CHECK (length("event_type") <= 256),
    CONSTRAINT "event_types_pkey" PRIMARY KEY ("process_instance_id", "event_type"),
    CONSTRAINT "event_types_process_instance_id_fkey" FOREIGN KEY ("process_instance_id") REFERENCES "process_instances" ("id") ON DELETE CASCADE
);
CREATE TABLE "workflows" (
    "workflow_id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "target" TEXT NOT NULL,
    "description" TEXT NULL,
    "created_at" DATETIME NOT NULL,
    "deleted_at" DATETIME NULL,
    CONSTRAINT "workflows_pkey" PRIMARY KEY ("workflow_id"),
    CONSTRAINT "workflows_name_key" UNIQUE ("name")
);
CREATE TABLE "products" (
    "product_id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "description" TEXT NOT NULL,
    "product_type" TEXT NOT NULL CONSTRAINT "products_product_type_len" CHECK (length("product_type") <= 255),
    "tag" TEXT NOT NULL CONSTRAINT "products_tag_len" CHECK (length("tag") <= 20),
    "status" TEXT NOT NULL CONSTRAINT "products_status_len" CHECK (length("status") <= 255),
    "created_at" DATETIME NOT NULL,
    "end_date" DATETIME NULL,
    CONSTRAINT "products_pkey" PRIMARY KEY ("product_id"),
    CONSTRAINT "products_name_key" UNIQUE ("name")
);
CREATE INDEX "ix_products_tag" ON "products" ("tag");
CREATE TABLE "product_blocks" (
    "product_block_id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "description" TEXT NOT NULL,
    "tag" TEXT NULL CONSTRAINT "product_blocks_tag_len" CHECK (length("tag") <= 20),
    "status" TEXT NULL CONSTRAINT "product_blocks_status_len" CHECK (length("status") <= 255),
    "created_at" DATETIME NOT NULL,
    "end_date" DATETIME NULL,
    CONSTRAINT "product_blocks_pkey" PRIMARY KEY ("product_block_id"),
    CONSTRAINT "product_blocks_name_key" UNIQUE ("name")
);
CREATE TABLE "resource_types" (
    "resource_type_id" TEXT NOT NULL,
    "resource_type" TEXT NOT NULL CONSTRAINT "resource_types_resource_type_len" CHECK (length("resource_type") <= 510),
    "description" TEXT NULL,
    CONSTRAINT "resource_types_pkey" PRIMARY KEY ("resource_type_id"),
    CONSTRAINT "resource_types_resource_type_key" UNIQUE ("resource_type")
);
CREATE TABLE "processes" (
    "pid" TEXT NOT NULL,
    "workflow_id" TEXT NOT NULL,
    "assignee" TEXT NOT NULL DEFAULT 'SYSTEM' CONSTRAINT "processes_assignee_len" CHECK (length("assignee") <= 50),
    "last_status" TEXT NOT NULL CONSTRAINT "processes_last_status_len" CHECK (length("last_status") <= 50),
    "last_step" TEXT NULL CONSTRAINT "processes_last_step_len" CHECK (length("last_step") <= 255),
    "started_at" DATETIME NOT NULL,
    "last_modified_at" DATETIME NOT NULL,
    "failed_reason" TEXT NULL,
    "traceback" TEXT NULL,
    "created_by" TEXT NULL CONSTRAINT "processes_created_by_len" CHECK (length("created_by") <= 255),
    "is_task" INTEGER NOT NULL DEFAULT 0,
    CONSTRAINT "processes_pkey" PRIMARY KEY ("pid"),
    CONSTRAINT "processes_workflow_id_fkey" FOREIGN KEY ("workflow_id") REFERENCES "workflows" ("workflow_id")
);
CREATE INDEX "ix_processes_is_task" ON "processes" ("is_task");
CREATE INDEX "ix_processes_last_status" ON "processes" ("last_status");
CREATE TABLE "process_steps" (
    "stepid" TEXT NOT NULL,
    "pid" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "status" TEXT NOT NULL CONSTRAINT "process_steps_status_len" CHECK (length("status") <= 50),
    "state" TEXT NOT NULL,
    "created_by" TEXT NULL CONSTRAINT "process_steps_created_by_len" CHECK (length("created_by") <= 255),
    "executed_at" DATETIME NOT NULL,
    "commit_hash" TEXT NULL CONSTRAINT "process_steps_commit_hash_len" CHECK (length("commit_hash") <= 40),
    CONSTRAINT "process_steps_pkey" PRIMARY KEY ("stepid"),
    CONSTRAINT "process_steps_pid_fkey" FOREIGN KEY ("pid") REFERENCES "processes" ("pid") ON DELETE CASCADE
);
CREATE INDEX "ix_process_steps_pid" ON "process_steps" ("pid");
CREATE TABLE "input_states" (
    "input_state_id" TEXT NOT NULL,
    "pid" TEXT NOT NULL,
    "input_state" TEXT NOT NULL,
    "input_time" DATETIME NOT NULL,
    "input_type" TEXT NOT NULL CONSTRAINT "input_states_input_type_len" CHECK (length("input_type") <= 20),
    CONSTRAINT "input_states_pkey" PRIMARY KEY ("input_state_id"),
    CONSTRAINT "input_states_pid_fkey" FOREIGN KEY ("pid") REFERENCES "processes" ("pid") ON DELETE CASCADE,
    CONSTRAINT "input_states_input_type_check" CHECK ("input_type" IN ('initial_state', 'user_input'))
);
CREATE INDEX "ix_input_states_pid" ON "input_states" ("pid");
CREATE TABLE "subscriptions" (
    "subscription_id" TEXT NOT NULL,
    "description" TEXT NOT NULL,
    "status" TEXT NOT NULL CONSTRAINT "subscriptions_status_len" CHECK (length("status") <= 255),
    "product_id" TEXT NOT NULL,
    "customer_id" TEXT NOT NULL,
    "insync" INTEGER NOT NULL,
    "start_date" DATETIME NULL,
    "end_date" DATETIME NULL,
    "note" TEXT NULL,
    CONSTRAINT "subscriptions_pkey" PRIMARY KEY ("subscription_id"),
    CONSTRAINT "subscriptions_product_id_fkey" FOREIGN KEY ("product_id") REFERENCES "products" ("product_id")
);
CREATE INDEX "ix_subscriptions_status" ON "subscriptions" ("status");
CREATE INDEX "ix_subscriptions_product_id" ON "subscriptions" ("product_id");
CREATE INDEX "ix_subscriptions_customer_id" ON "subscriptions" ("customer_id");
CREATE INDEX "subscription_product_ix" ON "subscriptions" ("subscription_id", "product_id");
CREATE INDEX "subscription_customer_ix" ON "subscriptions" ("subscription_id", "customer_id");
CREATE TABLE "processes_subscriptions" (
    "id" TEXT NOT NULL,
    "pid" TEXT NOT NULL,
    "subscription_id" TEXT NOT NULL,
    "created_at" DATETIME NOT NULL,
    "workflow_target" TEXT NOT NULL DEFAULT 'CREATE' CONSTRAINT "processes_subscriptions_workflow_target_len" CHECK (length("workflow_target") <= 255),
    CONSTRAINT "processes_subscriptions_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "processes_subscriptions_pid_fkey" FOREIGN KEY ("pid") REFERENCES "processes" ("pid") ON DELETE CASCADE,
    CONSTRAINT "processes_subscriptions_subscription_id_fkey" FOREIGN KEY ("subscription_id") REFERENCES "subscriptions" ("subscription_id")
);
CREATE INDEX "ix_processes_subscriptions_pid" ON "processes_subscriptions" ("pid");
CREATE INDEX "ix_processes_subscriptions_subscription_id" ON "processes_subscriptions" ("subscription_id");
CREATE INDEX "processes_subscriptions_ix" ON "processes_subscriptions" ("pid", "subscription_id");
CREATE TABLE "product_product_blocks" (
    "product_id" TEXT NOT NULL,
    "product_block_id" TEXT NOT NULL,
    CONSTRAINT "product_product_blocks_pkey" PRIMARY KEY ("product_id", "product_block_id"),
    CONSTRAINT "product_product_blocks_product_id_fkey" FOREIGN KEY ("product_id") REFERENCES "products" ("product_id") ON DELETE CASCADE,
    CONSTRAINT "product_product_blocks_product_block_id_fkey" FOREIGN KEY ("product_block_id") REFERENCES "product_blocks" ("product_block_id") ON DELETE CASCADE
);
CREATE TABLE "product_block_resource_types" (
    "product_block_id" TEXT NOT NULL,
    "resource_type_id" TEXT NOT NULL,
    CONSTRAINT "product_block_resource_types_pkey" PRIMARY KEY ("product_block_id", "resource_type_id"),
    CONSTRAINT "product_block_resource_types_product_block_id_fkey" FOREIGN KEY ("product_block_id") REFERENCES "product_blocks" ("product_block_id") ON DELETE CASCADE,
    CONSTRAINT "product_block_resource_types_resource_type_id_fkey" FOREIGN KEY ("resource_type_id") REFERENCES "resource_types" ("resource_type_id") ON DELETE CASCADE
);
CREATE TABLE "products_workflows" (
    "product_id" TEXT NOT NULL,
    "workflow_id" TEXT NOT NULL,
    CONSTRAINT "products_workflows_pkey" PRIMARY KEY ("product_id", "workflow_id"),
    CONSTRAINT "products_workflows_product_id_fkey" FOREIGN KEY ("product_id") REFERENCES "products" ("product_id") ON DELETE CASCADE,
    CONSTRAINT "products_workflows_workflow_id_fkey" FOREIGN KEY ("workflow_id") REFERENCES "workflows" ("workflow_id") ON DELETE CASCADE
);
CREATE TABLE "fixed_inputs" (
    "fixed_input_id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "value" TEXT NOT NULL,
    "created_at" DATETIME NOT NULL,
    "product_id" TEXT NOT NULL,
    CONSTRAINT "fixed_inputs_pkey" PRIMARY KEY ("fixed_input_id"),
    CONSTRAINT "fixed_inputs_name_product_id_key" UNIQUE ("name", "product_id"),
    CONSTRAINT "fixed_inputs_product_id_fkey" FOREIGN KEY ("product_id") REFERENCES "products" ("product_id") ON DELETE CASCADE
);
CREATE TABLE "product_block_relations" (
    "in_use_by_id" TEXT NOT NULL,
    "depends_on_id" TEXT NOT NULL,
    "min" INTEGER NULL,
    "max" INTEGER NULL,
    CONSTRAINT "product_block_relations_pkey" PRIMARY KEY ("in_use_by_id", "depends_on_id"),
    CONSTRAINT "product_block_relations_in_use_by_id_fkey" FOREIGN KEY ("in_use_by_id") REFERENCES "product_blocks" ("product_block_id") ON DELETE CASCADE,
    CONSTRAINT "product_block_relations_depends_on_id_fkey" FOREIGN KEY ("depends_on_id") REFERENCES "product_blocks" ("product_block_id") ON DELETE CASCADE
);
CREATE UNIQUE INDEX "product_block_relation_i_d_ix" ON "product_block_relations" ("in_use_by_id", "depends_on_id");
CREATE TABLE "subscription_instances" (
    "subscription_instance_id" TEXT NOT NULL,
    "subscription_id" TEXT NOT NULL,
    "product_block_id" TEXT NOT NULL,
    "label" TEXT NULL CONSTRAINT "subscription_instances_label_len" CHECK (length("label") <= 255),
    CONSTRAINT "subscription_instances_pkey" PRIMARY KEY ("subscription_instance_id"),
    CONSTRAINT "subscription_instances_subscription_id_fkey" FOREIGN KEY ("subscription_id") REFERENCES "subscriptions" ("subscription_id") ON DELETE CASCADE,
    CONSTRAINT "subscription_instances_product_block_id_fkey" FOREIGN KEY ("product_block_id") REFERENCES "product_blocks" ("product_block_id")
);
CREATE INDEX "ix_subscription_instances_subscription_id" ON "subscription_instances" ("subscription_id");
CREATE INDEX "ix_subscription_instances_product_block_id" ON "subscription_instances" ("product_block_id");
CREATE INDEX "subscription_instance_s_pb_ix" ON "subscription_instances" ("subscription_instance_id", "subscription_id", "product_block_id");
CREATE TABLE "subscription_instance_relations" (
    "in_use_by_id" TEXT NOT NULL,
    "depends_on_id" TEXT NOT NULL,
    "order_id" INTEGER NOT NULL,
    "domain_model_attr" TEXT NULL,
    CONSTRAINT "subscription_instance_relations_pkey" PRIMARY KEY ("in_use_by_id", "depends_on_id", "order_id"),
    CONSTRAINT "subscription_instance_relations_in_use_by_id_fkey" FOREIGN KEY ("in_use_by_id") REFERENCES "subscription_instances" ("subscription_instance_id") ON DELETE CASCADE,
    CONSTRAINT "subscription_instance_relations_depends_on_id_fkey" FOREIGN KEY ("depends_on_id") REFERENCES "subscription_instances" ("subscription_instance_id") ON DELETE CASCADE
);
CREATE UNIQUE INDEX "subscription_relation_i_d_o_ix" ON "subscription_instance_relations" ("in_use_by_id", "depends_on_id", "order_id");
CREATE TABLE "subscription_instance_values" (
    "subscription_instance_value_id" TEXT NOT NULL,
    "subscription_instance_id" TEXT NOT NULL,
    "resource_type_id" TEXT NOT NULL,
    "value" TEXT NOT NULL,
    CONSTRAINT "subscription_instance_values_pkey" PRIMARY KEY ("subscription_instance_value_id"),
    CONSTRAINT "subscription_instance_values_subscription_instance_id_fkey" FOREIGN KEY ("subscription_instance_id") REFERENCES "subscription_instances" ("subscription_instance_id") ON DELETE CASCADE,
    CONSTRAINT "subscription_instance_values_resource_type_id_fkey" FOREIGN KEY ("resource_type_id") REFERENCES "resource_types" ("resource_type_id")
);
CREATE INDEX "ix_subscription_instance_values_subscription_instance_id" ON "subscription_instance_values" ("subscription_instance_id");
CREATE INDEX "ix_subscription_instance_values_resource_type_id" ON "subscription_instance_values" ("resource_type_id");
CREATE INDEX "siv_si_rt_ix" ON "subscription_instance_values" ("subscription_instance_value_id", "subscription_instance_id", "resource_type_id");
CREATE TABLE "subscription_customer_descriptions" (
    "id" TEXT NOT NULL,
    "subscription_id" TEXT NOT NULL,
    "customer_id" TEXT NOT NULL,
    "description" TEXT NOT NULL,
    "created_at" DATETIME NOT NULL,
    CONSTRAINT "subscription_customer_descriptions_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "uniq_customer_subscription_description" UNIQUE ("customer_id", "subscription_id"),
    CONSTRAINT "subscription_customer_descriptions_subscription_id_fkey" FOREIGN KEY ("subscription_id") REFERENCES "subscriptions" ("subscription_id") ON DELETE CASCADE
);
CREATE INDEX "ix_subscription_customer_descriptions_subscription_id" ON "subscription_customer_descriptions" ("subscription_id");
CREATE INDEX "ix_subscription_customer_descriptions_customer_id" ON "subscription_customer_descriptions" ("customer_id");
CREATE TABLE "subscription_metadata" (
    "subscription_id" TEXT NOT NULL,
    "metadata" TEXT NOT NULL,
    CONSTRAINT "subscription_metadata_pkey" PRIMARY KEY ("subscription_id"),
    CONSTRAINT "subscription_metadata_subscription_id_fkey" FOREIGN KEY ("subscription_id") REFERENCES "subscriptions" ("subscription_id") ON DELETE CASCADE
);
CREATE TABLE "subscriptions_search" (
    "subscription_id" TEXT NOT NULL,
    "tsv" TEXT NULL,
    CONSTRAINT "subscriptions_search_pkey" PRIMARY KEY ("subscription_id"),
    CONSTRAINT "subscriptions_search_subscription_id_fkey" FOREIGN KEY ("subscription_id") REFERENCES "subscriptions" ("subscription_id")
);
CREATE TABLE "engine_settings" (
    "global_lock" INTEGER NOT NULL,
    "running_processes" INTEGER NOT NULL DEFAULT 0,
    CONSTRAINT "engine_settings_pkey" PRIMARY KEY ("global_lock"),
    CONSTRAINT "check_running_processes_positive" CHECK ("running_processes" >= 0)
);
INSERT INTO "engine_settings" ("global_lock", "running_processes") VALUES (0, 0);

-- migration 0020_queue_claim_index
CREATE INDEX "ix_Queues_queue_name_status_created_date_id" ON "Queues" ("queue_name", "status", "created_date", "id");
DROP INDEX "ix_Queues_queue_name_status_created_date";

-- flowstore bookkeeping
CREATE TABLE IF NOT EXISTS "flowstore_migrations" ("version" INTEGER NOT NULL PRIMARY KEY, "name" TEXT NOT NULL, "applied_at" DATETIME NOT NULL);
INSERT INTO flowstore_migrations (version, name, applied_at) VALUES (1, 'reference_schema', strftime('%Y-%m-%d %H:%M:%f+00:00', 'now'));
INSERT INTO flowstore_migrations (version, name, applied_at) VALUES (20, 'queue_claim_index', strftime('%Y-%m-%d %H:%M:%f+00:00', 'now'));
