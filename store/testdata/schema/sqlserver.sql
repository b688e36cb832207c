-- flowstore schema for sqlserver, version 74

-- migration 0001_reference_schema
CREATE TABLE "Triggers" (
    "id" UNIQUEIDENTIFIER NOT NULL,
    "trigger_name" NVARCHAR(100) NOT NULL,
    "process_name" NVARCHAR(100) NOT NULL,
    "last_run" DATETIME2(6) NULL,
    "process_path" NVARCHAR(250) NOT NULL,
    "process_args" NVARCHAR(1000) NULL,
    "process_status" NVARCHAR(20) NOT NULL,
    "is_git_repo" BIT NOT NULL,
    "is_blocking" BIT NOT NULL,
    "type" NVARCHAR(20) NOT NULL,
    "git_branch" NVARCHAR(100) NULL,
    "scheduler_whitelist" NVARCHAR(250) NULL,
    "priority" INT NOT NULL DEFAULT 0,
    CONSTRAINT "Triggers_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "Triggers_process_status_check" CHECK ("process_status" IN ('IDLE', 'RUNNING', 'FAILED', 'DONE', 'PAUSED', 'PAUSING', 'KILLING', 'KILLED')),
    CONSTRAINT "Triggers_type_check" CHECK ("type" IN ('SINGLE', 'SCHEDULED', 'QUEUE'))
);
GO
CREATE INDEX "ix_Triggers_process_status" ON "Triggers" ("process_status");
GO
CREATE TABLE "Scheduled_Triggers" (
    "id" UNIQUEIDENTIFIER NOT NULL,
    "cron_expr" NVARCHAR(200) NOT NULL,
    "next_run" DATETIME2(6) NOT NULL,
    CONSTRAINT "Scheduled_Triggers_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "Scheduled_Triggers_id_fkey" FOREIGN KEY ("id") REFERENCES "Triggers" ("id")
);
GO
CREATE TABLE "Queue_Triggers" (
    "id" UNIQUEIDENTIFIER NOT NULL,
    "queue_name" NVARCHAR(200) NOT NULL,
    "min_batch_size" INT NOT NULL,
    CONSTRAINT "Queue_Triggers_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "Queue_Triggers_id_fkey" FOREIGN KEY ("id") REFERENCES "Triggers" ("id")
);
GO
CREATE TABLE "Single_Triggers" (
    "id" UNIQUEIDENTIFIER NOT NULL,
    "next_run" DATETIME2(6) NOT NULL,
    CONSTRAINT "Single_Triggers_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "Single_Triggers_id_fkey" FOREIGN KEY ("id") REFERENCES "Triggers" ("id")
);
GO
CREATE TABLE "Logs" (
    "id" UNIQUEIDENTIFIER NOT NULL,
    "log_time" DATETIME2(6) NOT NULL,
    "log_level" NVARCHAR(20) NOT NULL,
    "process_name" NVARCHAR(100) NOT NULL,
    "log_message" NVARCHAR(MAX) NOT NULL CONSTRAINT "Logs_log_message_len" CHECK (LEN("log_message") <= 8000),
    CONSTRAINT "Logs_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "Logs_log_level_check" CHECK ("log_level" IN ('TRACE', 'INFO', 'ERROR'))
);
GO
CREATE INDEX "ix_Logs_log_time" ON "Logs" ("log_time");
GO
CREATE INDEX "ix_Logs_process_name_log_time" ON "Logs" ("process_name", "log_time");
GO
CREATE TABLE "Constants" (
    "name" NVARCHAR(100) NOT NULL,
    "value" NVARCHAR(1000) NOT NULL,
    "changed_at" DATETIME2(6) NOT NULL,
    CONSTRAINT "Constants_pkey" PRIMARY KEY ("name")
);
GO
CREATE TABLE "Credentials" (
    "name" NVARCHAR(100) NOT NULL,
    "username" NVARCHAR(250) NOT NULL,
    "password" NVARCHAR(1000) NOT NULL,
    "changed_at" DATETIME2(6) NOT NULL,
    CONSTRAINT "Credentials_pkey" PRIMARY KEY ("name")
);
GO
CREATE TABLE "Queues" (
    "id" UNIQUEIDENTIFIER NOT NULL,
    "queue_name" NVARCHAR(100) NOT NULL,
    "status" NVARCHAR(20) NOT NULL,
    "data" NVARCHAR(2000) NULL,
    "reference" NVARCHAR(100) NULL,
    "created_date" DATETIME2(6) NOT NULL,
    "start_date" DATETIME2(6) NULL,
    "end_date" DATETIME2(6) NULL,
    "message" NVARCHAR(1000) NULL,
    "created_by" NVARCHAR(100) NULL,
    CONSTRAINT "Queues_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "Queues_status_check" CHECK ("status" IN ('NEW', 'IN_PROGRESS', 'DONE', 'FAILED', 'ABANDONED'))
);
GO
CREATE INDEX "ix_Queues_queue_name_status_created_date" ON "Queues" ("queue_name", "status", "created_date");
GO
CREATE INDEX "ix_Queues_created_date" ON "Queues" ("created_date");
GO
CREATE TABLE "Schedulers" (
    "machine_name" NVARCHAR(100) NOT NULL,
    "last_update" DATETIME2(6) NOT NULL,
    "latest_trigger" NVARCHAR(100) NULL,
    "latest_trigger_time" DATETIME2(6) NULL,
    CONSTRAINT "Schedulers_pkey" PRIMARY KEY ("machine_name")
);
GO
CREATE TABLE "action" (
    "id" BIGINT IDENTITY(1,1) NOT NULL,
    "namespace" NVARCHAR(255) NOT NULL,
    "repository" NVARCHAR(255) NOT NULL,
    "workflow" BIGINT NOT NULL DEFAULT 0,
    "stage" BIGINT NOT NULL DEFAULT 0,
    "component" BIGINT NOT NULL DEFAULT 0,
    "service" BIGINT NOT NULL DEFAULT 0,
    "action" NVARCHAR(255) NOT NULL,
    "title" NVARCHAR(255) NOT NULL,
    "description" NVARCHAR(MAX) NULL,
    "event" BIGINT NULL DEFAULT 0,
    "manifest" NVARCHAR(MAX) NULL,
    "environment" NVARCHAR(MAX) NULL,
    "kubernetes" NVARCHAR(MAX) NULL,
    "swarm" NVARCHAR(MAX) NULL,
    "input" NVARCHAR(MAX) NULL,
    "output" NVARCHAR(MAX) NULL,
    "image_name" NVARCHAR(255) NULL,
    "image_tag" NVARCHAR(255) NULL,
    "timeout" NVARCHAR(255) NULL,
    "requires" NVARCHAR(MAX) NULL,
    "created_at" DATETIME2(6) NULL,
    "updated_at" DATETIME2(6) NULL,
    "deleted_at" DATETIME2(6) NULL,
    CONSTRAINT "action_pkey" PRIMARY KEY ("id")
);
GO
CREATE INDEX "idx_action_deleted_at" ON "action" ("deleted_at");
GO
CREATE TABLE "action_log" (
    "id" BIGINT IDENTITY(1,1) NOT NULL,
    "namespace" NVARCHAR(255) NOT NULL,
    "repository" NVARCHAR(255) NOT NULL,
    "workflow" BIGINT NOT NULL DEFAULT 0,
    "from_workflow" BIGINT NOT NULL DEFAULT 0,
    "sequence" BIGINT NOT NULL DEFAULT 0,
    "stage" BIGINT NOT NULL DEFAULT 0,
    "from_stage" BIGINT NOT NULL DEFAULT 0,
    "from_action" BIGINT NOT NULL DEFAULT 0,
    "run_state" BIGINT NULL,
    "component" BIGINT NOT NULL DEFAULT 0,
    "service" BIGINT NOT NULL DEFAULT 0,
    "action" NVARCHAR(255) NOT NULL,
    "title" NVARCHAR(255) NOT NULL,
    "description" NVARCHAR(MAX) NULL,
    "event" BIGINT NULL DEFAULT 0,
    "manifest" NVARCHAR(MAX) NULL,
    "environment" NVARCHAR(MAX) NULL,
    "kubernetes" NVARCHAR(MAX) NULL,
    "swarm" NVARCHAR(MAX) NULL,
    "input" NVARCHAR(MAX) NULL,
    "output" NVARCHAR(MAX) NULL,
    "image_name" NVARCHAR(255) NULL,
    "image_tag" NVARCHAR(255) NULL,
    "timeout" NVARCHAR(255) NULL,
    "requires" NVARCHAR(MAX) NULL,
    "auth_list" NVARCHAR(MAX) NULL,
    "created_at" DATETIME2(6) NULL,
    "updated_at" DATETIME2(6) NULL,
    "deleted_at" DATETIME2(6) NULL,
    "fail_reason" NVARCHAR(255) NULL,
    "container_id" NVARCHAR(255) NULL,
    CONSTRAINT "action_log_pkey" PRIMARY KEY ("id")
);
GO
CREATE INDEX "idx_action_log_deleted_at" ON "action_log" ("deleted_at");
GO
CREATE TABLE "component" (
    "id" BIGINT IDENTITY(1,1) NOT NULL,
    "namespace" NVARCHAR(255) NOT NULL,
    "version" NVARCHAR(MAX) NULL,
    "version_code" BIGINT NULL,
    "component" NVARCHAR(255) NOT NULL,
    "type" BIGINT NOT NULL DEFAULT 0,
    "title" NVARCHAR(255) NULL,
    "gravatar" NVARCHAR(MAX) NULL,
    "description" NVARCHAR(MAX) NULL,
    "endpoint" NVARCHAR(MAX) NULL,
    "source" NVARCHAR(MAX) NOT NULL,
    "environment" NVARCHAR(MAX) NULL,
    "tag" NVARCHAR(255) NULL,
    "volume_location" NVARCHAR(MAX) NULL,
    "volume_data" NVARCHAR(MAX) NULL,
    "makefile" NVARCHAR(MAX) NULL,
    "kubernetes" NVARCHAR(MAX) NULL,
    "swarm" NVARCHAR(MAX) NULL,
    "input" NVARCHAR(MAX) NULL,
    "output" NVARCHAR(MAX) NULL,
    "timeout" BIGINT NULL,
    "manifest" NVARCHAR(MAX) NULL,
    "created_at" DATETIME2(6) NULL,
    "updated_at" DATETIME2(6) NULL,
    "deleted_at" DATETIME2(6) NULL,
    CONSTRAINT "component_pkey" PRIMARY KEY ("id")
);
GO
CREATE INDEX "idx_component_deleted_at" ON "component" ("deleted_at");
GO
CREATE TABLE "event" (
    "id" BIGINT IDENTITY(1,1) NOT NULL,
    "definition" BIGINT NOT NULL DEFAULT 0,
    "title" NVARCHAR(255) NOT NULL,
    "header" NVARCHAR(MAX) NOT NULL,
    "payload" NVARCHAR(MAX) NOT NULL,
    "authorization" NVARCHAR(MAX) NULL,
    "type" BIGINT NOT NULL DEFAULT 0,
    "source" BIGINT NOT NULL DEFAULT 0,
    "character" BIGINT NOT NULL DEFAULT 0,
    "namespace" NVARCHAR(255) NULL,
    "repository" NVARCHAR(255) NULL,
    "workflow" BIGINT NOT NULL DEFAULT 0,
    "stage" BIGINT NOT NULL DEFAULT 0,
    "action" BIGINT NOT NULL DEFAULT 0,
    "sequence" BIGINT NOT NULL DEFAULT 0,
    "created_at" DATETIME2(6) NULL,
    "updated_at" DATETIME2(6) NULL,
    "deleted_at" DATETIME2(6) NULL,
    CONSTRAINT "event_pkey" PRIMARY KEY ("id")
);
GO
CREATE INDEX "idx_event_deleted_at" ON "event" ("deleted_at");
GO
CREATE TABLE "event_definition" (
    "id" BIGINT IDENTITY(1,1) NOT NULL,
    "event" NVARCHAR(255) NOT NULL,
    "title" NVARCHAR(255) NULL,
    "namespace" NVARCHAR(255) NULL,
    "repository" NVARCHAR(255) NULL,
    "workflow" BIGINT NULL,
    "stage" BIGINT NULL,
    "action" BIGINT NOT NULL DEFAULT 0,
    "character" BIGINT NOT NULL DEFAULT 0,
    "type" BIGINT NOT NULL DEFAULT 0,
    "source" BIGINT NOT NULL DEFAULT 0,
    "definition" NVARCHAR(MAX) NULL,
    "created_at" DATETIME2(6) NULL,
    "updated_at" DATETIME2(6) NULL,
    "deleted_at" DATETIME2(6) NULL,
    CONSTRAINT "event_definition_pkey" PRIMARY KEY ("id")
);
GO
CREATE INDEX "idx_event_definition_deleted_at" ON "event_definition" ("deleted_at");
GO
CREATE TABLE "event_json" (
    "id" BIGINT IDENTITY(1,1) NOT NULL,
    "site" NVARCHAR(255) NULL,
    "type" NVARCHAR(255) NULL,
    "output" NVARCHAR(MAX) NULL,
    CONSTRAINT "event_json_pkey" PRIMARY KEY ("id")
);
GO
CREATE TABLE "outcome" (
    "id" BIGINT IDENTITY(1,1) NOT NULL,
    "workflow" BIGINT NOT NULL DEFAULT 0,
    "real_workflow" BIGINT NOT NULL DEFAULT 0,
    "stage" BIGINT NOT NULL DEFAULT 0,
    "real_stage" BIGINT NOT NULL DEFAULT 0,
    "action" BIGINT NOT NULL DEFAULT 0,
    "real_action" BIGINT NOT NULL DEFAULT 0,
    "event" BIGINT NULL DEFAULT 0,
    "sequence" BIGINT NOT NULL DEFAULT 0,
    "status" BIT NULL,
    "result" NVARCHAR(MAX) NULL,
    "output" NVARCHAR(MAX) NULL,
    "created_at" DATETIME2(6) NULL,
    "updated_at" DATETIME2(6) NULL,
    "deleted_at" DATETIME2(6) NULL,
    CONSTRAINT "outcome_pkey" PRIMARY KEY ("id")
);
GO
CREATE INDEX "idx_outcome_deleted_at" ON "outcome" ("deleted_at");
GO
CREATE TABLE "serivce_definition" (
    "id" BIGINT IDENTITY(1,1) NOT NULL,
    "service" NVARCHAR(255) NOT NULL,
    "title" NVARCHAR(255) NULL,
    "gravatar" NVARCHAR(MAX) NULL,
    "endpoints" NVARCHAR(MAX) NULL,
    "status" NVARCHAR(MAX) NULL,
    "environment" NVARCHAR(MAX) NULL,
    "authorization" NVARCHAR(MAX) NULL,
    "configuration" NVARCHAR(MAX) NULL,
    "description" NVARCHAR(MAX) NULL,
    "created_at" DATETIME2(6) NULL,
    "updated_at" DATETIME2(6) NULL,
    "deleted_at" DATETIME2(6) NULL,
    CONSTRAINT "serivce_definition_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "serivce_definition_service_key" UNIQUE ("service")
);
GO
CREATE INDEX "idx_serivce_definition_deleted_at" ON "serivce_definition" ("deleted_at");
GO
CREATE TABLE "service" (
    "id" BIGINT IDENTITY(1,1) NOT NULL,
    "namespace" NVARCHAR(255) NOT NULL,
    "service" NVARCHAR(255) NOT NULL,
    "title" NVARCHAR(255) NULL,
    "gravatar" NVARCHAR(MAX) NULL,
    "endpoints" NVARCHAR(MAX) NULL,
    "environment" NVARCHAR(MAX) NULL,
    "authorization" NVARCHAR(MAX) NULL,
    "configuration" NVARCHAR(MAX) NULL,
    "description" NVARCHAR(MAX) NULL,
    "created_at" DATETIME2(6) NULL,
    "updated_at" DATETIME2(6) NULL,
    "deleted_at" DATETIME2(6) NULL,
    CONSTRAINT "service_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "service_namespace_service_key" UNIQUE ("namespace", "service")
);
GO
CREATE INDEX "idx_service_deleted_at" ON "service" ("deleted_at");
GO
CREATE TABLE "stage" (
    "id" BIGINT IDENTITY(1,1) NOT NULL,
    "namespace" NVARCHAR(255) NOT NULL,
    "repository" NVARCHAR(255) NOT NULL,
    "workflow" BIGINT NOT NULL DEFAULT 0,
    "type" BIGINT NOT NULL DEFAULT 0,
    "pre_stage" BIGINT NOT NULL DEFAULT 0,
    "stage" NVARCHAR(255) NOT NULL,
    "title" NVARCHAR(255) NOT NULL,
    "description" NVARCHAR(MAX) NULL,
    "event" BIGINT NULL DEFAULT 0,
    "manifest" NVARCHAR(MAX) NULL,
    "env" NVARCHAR(MAX) NULL,
    "timeout" NVARCHAR(255) NULL,
    "requires" NVARCHAR(MAX) NULL,
    "created_at" DATETIME2(6) NULL,
    "updated_at" DATETIME2(6) NULL,
    "deleted_at" DATETIME2(6) NULL,
    CONSTRAINT "stage_pkey" PRIMARY KEY ("id")
);
GO
CREATE INDEX "idx_stage_deleted_at" ON "stage" ("deleted_at");
GO
CREATE TABLE "stage_log" (
    "id" BIGINT IDENTITY(1,1) NOT NULL,
    "namespace" NVARCHAR(255) NOT NULL,
    "repository" NVARCHAR(255) NOT NULL,
    "workflow" BIGINT NOT NULL DEFAULT 0,
    "from_workflow" BIGINT NOT NULL DEFAULT 0,
    "sequence" BIGINT NOT NULL DEFAULT 0,
    "from_stage" BIGINT NOT NULL DEFAULT 0,
    "type" BIGINT NOT NULL DEFAULT 0,
    "pre_stage" BIGINT NOT NULL DEFAULT 0,
    "stage" NVARCHAR(255) NOT NULL,
    "title" NVARCHAR(255) NOT NULL,
    "description" NVARCHAR(MAX) NULL,
    "run_state" BIGINT NULL,
    "event" BIGINT NULL DEFAULT 0,
    "manifest" NVARCHAR(MAX) NULL,
    "env" NVARCHAR(MAX) NULL,
    "timeout" NVARCHAR(255) NULL,
    "requires" NVARCHAR(MAX) NULL,
    "auth_list" NVARCHAR(MAX) NULL,
    "created_at" DATETIME2(6) NULL,
    "updated_at" DATETIME2(6) NULL,
    "deleted_at" DATETIME2(6) NULL,
    "fail_reason" NVARCHAR(255) NULL,
    CONSTRAINT "stage_log_pkey" PRIMARY KEY ("id")
);
GO
CREATE INDEX "idx_stage_log_deleted_at" ON "stage_log" ("deleted_at");
GO
CREATE TABLE "timer" (
    "id" BIGINT IDENTITY(1,1) NOT NULL,
    "namespace" NVARCHAR(255) NOT NULL,
    "repository" NVARCHAR(255) NOT NULL,
    "workflow" BIGINT NULL,
    "available" BIT NULL,
    "cron" NVARCHAR(255) NULL,
    "event_type" NVARCHAR(255) NULL,
    "event_name" NVARCHAR(255) NULL,
    "start_json" NVARCHAR(MAX) NULL,
    "created_at" DATETIME2(6) NULL,
    "updated_at" DATETIME2(6) NULL,
    "deleted_at" DATETIME2(6) NULL,
    CONSTRAINT "timer_pkey" PRIMARY KEY ("id")
);
GO
CREATE INDEX "idx_timer_deleted_at" ON "timer" ("deleted_at");
GO
CREATE TABLE "user_setting" (
    "id" BIGINT IDENTITY(1,1) NOT NULL,
    "namespace" NVARCHAR(255) NOT NULL,
    "repository" NVARCHAR(255) NOT NULL,
    "setting" NVARCHAR(MAX) NULL,
    "created_at" DATETIME2(6) NULL,
    "updated_at" DATETIME2(6) NULL,
    "deleted_at" DATETIME2(6) NULL,
    CONSTRAINT "user_setting_pkey" PRIMARY KEY ("id")
);
GO
CREATE INDEX "idx_user_setting_deleted_at" ON "user_setting" ("deleted_at");
GO
CREATE TABLE "workflow" (
    "id" BIGINT IDENTITY(1,1) NOT NULL,
    "namespace" NVARCHAR(255) NOT NULL,
    "repository" NVARCHAR(255) NOT NULL,
    "workflow" NVARCHAR(255) NOT NULL,
    "event" BIGINT NULL DEFAULT 0,
    "version" NVARCHAR(255) NULL,
    "version_code" NVARCHAR(255) NULL,
    "state" BIGINT NULL,
    "manifest" NVARCHAR(MAX) NULL,
    "description" NVARCHAR(MAX) NULL,
    "source_info" NVARCHAR(MAX) NULL,
    "env" NVARCHAR(MAX) NULL,
    "requires" NVARCHAR(MAX) NULL,
    "created_at" DATETIME2(6) NULL,
    "updated_at" DATETIME2(6) NULL,
    "deleted_at" DATETIME2(6) NULL,
    "is_limit_instance" BIT NULL,
    "limit_instance" BIGINT NULL,
    "current_instance" BIGINT NULL,
    CONSTRAINT "workflow_pkey" PRIMARY KEY ("id")
);
GO
CREATE INDEX "idx_workflow_deleted_at" ON "workflow" ("deleted_at");
GO
CREATE TABLE "workflow_log" (
    "id" BIGINT IDENTITY(1,1) NOT NULL,
    "namespace" NVARCHAR(255) NOT NULL,
    "repository" NVARCHAR(255) NOT NULL,
    "workflow" NVARCHAR(255) NOT NULL,
    "from_workflow" BIGINT NOT NULL DEFAULT 0,
    "pre_workflow" BIGINT NOT NULL DEFAULT 0,
    "pre_workflow_info" NVARCHAR(255) NULL,
    "version" NVARCHAR(255) NULL,
    "version_code" NVARCHAR(255) NULL,
    "sequence" BIGINT NOT NULL DEFAULT 0,
    "run_state" BIGINT NULL,
    "event" BIGINT NULL DEFAULT 0,
    "manifest" NVARCHAR(MAX) NULL,
    "description" NVARCHAR(MAX) NULL,
    "source_info" NVARCHAR(MAX) NULL,
    "env" NVARCHAR(MAX) NULL,
    "requires" NVARCHAR(MAX) NULL,
    "auth_list" NVARCHAR(MAX) NULL,
    "created_at" DATETIME2(6) NULL,
    "updated_at" DATETIME2(6) NULL,
    "deleted_at" DATETIME2(6) NULL,
    "pre_stage" BIGINT NOT NULL DEFAULT 0,
    "pre_action" BIGINT NOT NULL DEFAULT 0,
    "fail_reason" NVARCHAR(255) NULL,
    CONSTRAINT "workflow_log_pkey" PRIMARY KEY ("id")
);
GO
CREATE INDEX "idx_workflow_log_deleted_at" ON "workflow_log" ("deleted_at");
GO
CREATE TABLE "workflow_sequence" (
    "id" BIGINT IDENTITY(1,1) NOT NULL,
    "workflow" BIGINT NOT NULL DEFAULT 0,
    "sequence" BIGINT NOT NULL DEFAULT 0,
    "created_at" DATETIME2(6) NULL,
    "updated_at" DATETIME2(6) NULL,
    "deleted_at" DATETIME2(6) NULL,
    CONSTRAINT "workflow_sequence_pkey" PRIMARY KEY ("id")
);
GO
CREATE INDEX "idx_workflow_sequence_deleted_at" ON "workflow_sequence" ("deleted_at");
GO
CREATE TABLE "workflow_var" (
    "id" BIGINT IDENTITY(1,1) NOT NULL,
    "workflow" BIGINT NULL,
    "key" NVARCHAR(255) NULL,
    "default" NVARCHAR(MAX) NULL,
    "vaule" NVARCHAR(MAX) NULL,
    "created_at" DATETIME2(6) NULL,
    "updated_at" DATETIME2(6) NULL,
    "deleted_at" DATETIME2(6) NULL,
    CONSTRAINT "workflow_var_pkey" PRIMARY KEY ("id")
);
GO
CREATE INDEX "idx_workflow_var_deleted_at" ON "workflow_var" ("deleted_at");
GO
CREATE TABLE "workflow_var_log" (
    "id" BIGINT IDENTITY(1,1) NOT NULL,
    "workflow" BIGINT NULL,
    "from_workflow" BIGINT NULL,
    "sequence" BIGINT NULL,
    "key" NVARCHAR(255) NULL,
    "default" NVARCHAR(MAX) NULL,
    "vaule" NVARCHAR(MAX) NULL,
    "change_log" NVARCHAR(MAX) NULL,
    CONSTRAINT "workflow_var_log_pkey" PRIMARY KEY ("id")
);
GO
CREATE TABLE "process_instances" (
    "id" NCHAR(36) NOT NULL,
    "payload" VARBINARY(MAX) NOT NULL,
    "process_id" NVARCHAR(450) NOT NULL,
    "version" BIGINT NULL,
    "process_version" NVARCHAR(450) NULL,
    CONSTRAINT "process_instances_pkey" PRIMARY KEY ("id")
);
GO
CREATE INDEX "idx_process_instances_process_id" ON "process_instances" ("process_id", "id") INCLUDE ("process_version");
GO
CREATE TABLE "correlation_instances" (
    "id" NCHAR(36) NOT NULL,
    "encoded_correlation_id" NVARCHAR(36) NOT NULL,
    "correlated_id" NVARCHAR(36) NOT NULL,
    "correlation" NVARCHAR(MAX) NOT NULL,
    "version" BIGINT NULL,
    CONSTRAINT "correlation_instances_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "correlation_instances_encoded_correlation_id_key" UNIQUE ("encoded_correlation_id")
);
GO
CREATE INDEX "idx_correlation_instances_encoded_id" ON "correlation_instances" ("encoded_correlation_id");
GO
CREATE INDEX "idx_correlation_instances_correlated_id" ON "correlation_instances" ("correlated_id");
GO
CREATE TABLE "business_key_mapping" (
    "business_key" NVARCHAR(255) NOT NULL,
    "process_instance_id" NCHAR(36) NOT NULL,
    CONSTRAINT "business_key_mapping_pkey" PRIMARY KEY ("business_key"),
    CONSTRAINT "business_key_mapping_process_instance_id_fkey" FOREIGN KEY ("process_instance_id") REFERENCES "process_instances" ("id") ON DELETE CASCADE
);
GO
CREATE INDEX "idx_business_key_mapping_process_instance_id" ON "business_key_mapping" ("process_instance_id");
GO
CREATE TABLE "event_types" (
    "process_instance_id" NCHAR(36) NOT NULL,
    "event_type" NVARCHAR(256) NOT NULL,
    CONSTRAINT "event_types_pkey" PRIMARY KEY ("process_instance_id", "event_type"),
    CONSTRAINT "event_types_process_instance_id_fkey" FOREIGN KEY ("process_instance_id") REFERENCES "process_instances" ("id") ON DELETE CASCADE
);
GO
CREATE TABLE "workflows" (
    "workflow_id" UNIQUEIDENTIFIER NOT NULL DEFAULT NEWID(),
    "name" NVARCHAR(450) NOT NULL,
    "target" NVARCHAR(MAX) NOT NULL,
    "description" NVARCHAR(MAX) NULL,
    "created_at" DATETIME2(6) NOT NULL DEFAULT SYSUTCDATETIME(),
    "deleted_at" DATETIME2(6) NULL,
    CONSTRAINT "workflows_pkey" PRIMARY KEY ("workflow_id"),
    CONSTRAINT "workflows_name_key" UNIQUE ("name")
);
GO
CREATE TABLE "products" (
    "product_id" UNIQUEIDENTIFIER NOT NULL DEFAULT NEWID(),
    "name" NVARCHAR(450) NOT NULL,
    "description" NVARCHAR(MAX) NOT NULL,
    "product_type" NVARCHAR(255) NOT NULL,
    "tag" NVARCHAR(20) NOT NULL,
    "status" NVARCHAR(255) NOT NULL,
    "created_at" DATETIME2(6) NOT NULL DEFAULT SYSUTCDATETIME(),
    "end_date" DATETIME2(6) NULL,
    CONSTRAINT "products_pkey" PRIMARY KEY ("product_id"),
    CONSTRAINT "products_name_key" UNIQUE ("name")
);
GO
CREATE INDEX "ix_products_tag" ON "products" ("tag");
GO
CREATE TABLE "product_blocks" (
    "product_block_id" UNIQUEIDENTIFIER NOT NULL DEFAULT NEWID(),
    "name" NVARCHAR(450) NOT NULL,
    "description" NVARCHAR(MAX) NOT NULL,
    "tag" NVARCHAR(20) NULL,
    "status" NVARCHAR(255) NULL,
    "created_at" DATETIME2(6) NOT NULL DEFAULT SYSUTCDATETIME(),
    "end_date" DATETIME2(6) NULL,
    CONSTRAINT "product_blocks_pkey" PRIMARY KEY ("product_block_id"),
    CONSTRAINT "product_blocks_name_key" UNIQUE ("name")
);
GO
CREATE TABLE "resource_types" (
    "resource_type_id" UNIQUEIDENTIFIER NOT NULL DEFAULT NEWID(),
    "resource_type" NVARCHAR(510) NOT NULL,
    "description" NVARCHAR(MAX) NULL,
    CONSTRAINT "resource_types_pkey" PRIMARY KEY ("resource_type_id"),
    CONSTRAINT "resource_types_resource_type_key" UNIQUE ("resource_type")
);
GO
CREATE TABLE "processes" (
    "pid" UNIQUEIDENTIFIER NOT NULL DEFAULT NEWID(),
    "workflow_id" UNIQUEIDENTIFIER NOT NULL,
    "assignee" NVARCHAR(50) NOT NULL DEFAULT 'SYSTEM',
    "last_status" NVARCHAR(50) NOT NULL,
    "last_step" NVARCHAR(255) NULL,
    "started_at" DATETIME2(6) NOT NULL DEFAULT SYSUTCDATETIME(),
    "last_modified_at" DATETIME2(6) NOT NULL DEFAULT SYSUTCDATETIME(),
    "failed_reason" NVARCHAR(MAX) NULL,
    "traceback" NVARCHAR(MAX) NULL,
    "created_by" NVARCHAR(255) NULL,
    "is_task" BIT NOT NULL DEFAULT 0,
    CONSTRAINT "processes_pkey" PRIMARY KEY ("pid"),
    CONSTRAINT "processes_workflow_id_fkey" FOREIGN KEY ("workflow_id") REFERENCES "workflows" ("workflow_id")
);
GO
CREATE INDEX "ix_processes_is_task" ON "processes" ("is_task");
GO
CREATE INDEX "ix_processes_last_status" ON "processes" ("last_status");
GO
CREATE TABLE "process_steps" (
    "stepid" UNIQUEIDENTIFIER NOT NULL DEFAULT NEWID(),
    "pid" UNIQUEIDENTIFIER NOT NULL,
    "name" NVARCHAR(MAX) NOT NULL,
    "status" NVARCHAR(50) NOT NULL,
    "state" NVARCHAR(MAX) NOT NULL,
    "created_by" NVARCHAR(255) NULL,
    "executed_at" DATETIME2(6) NOT NULL DEFAULT SYSUTCDATETIME(),
    "commit_hash" NVARCHAR(40) NULL,
    CONSTRAINT "process_steps_pkey" PRIMARY KEY ("stepid"),
    CONSTRAINT "process_steps_pid_fkey" FOREIGN KEY ("pid") REFERENCES "processes" ("pid") ON DELETE CASCADE
);
GO
CREATE INDEX "ix_process_steps_pid" ON "process_steps" ("pid");
GO
CREATE TABLE "input_states" (
    "input_state_id" UNIQUEIDENTIFIER NOT NULL DEFAULT NEWID(),
    "pid" UNIQUEIDENTIFIER NOT NULL,
    "input_state" NVARCHAR(MAX) NOT NULL,
    "input_time" DATETIME2(6) NOT NULL,
    "input_type" NVARCHAR(20) NOT NULL,
    CONSTRAINT "input_states_pkey" PRIMARY KEY ("input_state_id"),
    CONSTRAINT "input_states_pid_fkey" FOREIGN KEY ("pid") REFERENCES "processes" ("pid") ON DELETE CASCADE,
    CONSTRAINT "input_states_input_type_check" CHECK ("input_type" IN ('initial_state', 'user_input'))
);
GO
CREATE INDEX "ix_input_states_pid" ON "input_states" ("pid");
GO
CREATE TABLE "subscriptions" (
    "subscription_id" UNIQUEIDENTIFIER NOT NULL DEFAULT NEWID(),
    "description" NVARCHAR(MAX) NOT NULL,
    "status" NVARCHAR(255) NOT NULL,
    "product_id" UNIQUEIDENTIFIER NOT NULL,
    "customer_id" NVARCHAR(450) NOT NULL,
    "insync" BIT NOT NULL,
    "start_date" DATETIME2(6) NULL,
    "end_date" DATETIME2(6) NULL,
    "note" NVARCHAR(MAX) NULL,
    CONSTRAINT "subscriptions_pkey" PRIMARY KEY ("subscription_id"),
    CONSTRAINT "subscriptions_product_id_fkey" FOREIGN KEY ("product_id") REFERENCES "products" ("product_id")
);
GO
CREATE INDEX "ix_subscriptions_status" ON "subscriptions" ("status");
GO
CREATE INDEX "ix_subscriptions_product_id" ON "subscriptions" ("product_id");
GO
CREATE INDEX "ix_subscriptions_customer_id" ON "subscriptions" ("customer_id");
GO
CREATE INDEX "subscription_product_ix" ON "subscriptions" ("subscription_id", "product_id");
GO
CREATE INDEX "subscription_customer_ix" ON "subscriptions" ("subscription_id", "customer_id");
GO
CREATE TABLE "processes_subscriptions" (
    "id" UNIQUEIDENTIFIER NOT NULL DEFAULT NEWID(),
    "pid" UNIQUEIDENTIFIER NOT NULL,
    "subscription_id" UNIQUEIDENTIFIER NOT NULL,
    "created_at" DATETIME2(6) NOT NULL DEFAULT SYSUTCDATETIME(),
    "workflow_target" NVARCHAR(255) NOT NULL DEFAULT 'CREATE',
    CONSTRAINT "processes_subscriptions_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "processes_subscriptions_pid_fkey" FOREIGN KEY ("pid") REFERENCES "processes" ("pid") ON DELETE CASCADE,
    CONSTRAINT "processes_subscriptions_subscription_id_fkey" FOREIGN KEY ("subscription_id") REFERENCES "subscriptions" ("subscription_id")
);
GO
CREATE INDEX "ix_processes_subscriptions_pid" ON "processes_subscriptions" ("pid");
GO
CREATE INDEX "ix_processes_subscriptions_subscription_id" ON "processes_subscriptions" ("subscription_id");
GO
CREATE INDEX "processes_subscriptions_ix" ON "processes_subscriptions" ("pid", "subscription_id");
GO
CREATE TABLE "product_product_blocks" (
    "product_id" UNIQUEIDENTIFIER NOT NULL,
    "product_block_id" UNIQUEIDENTIFIER NOT NULL,
    CONSTRAINT "product_product_blocks_pkey" PRIMARY KEY ("product_id", "product_block_id"),
    CONSTRAINT "product_product_blocks_product_id_fkey" FOREIGN KEY ("product_id") REFERENCES "products" ("product_id") ON DELETE CASCADE,
    CONSTRAINT "product_product_blocks_product_block_id_fkey" FOREIGN KEY ("product_block_id") REFERENCES "product_blocks" ("product_block_id") ON DELETE CASCADE
);
GO
CREATE TABLE "product_block_resource_types" (
    "product_block_id" UNIQUEIDENTIFIER NOT NULL,
    "resource_type_id" UNIQUEIDENTIFIER NOT NULL,
    CONSTRAINT "product_block_resource_types_pkey" PRIMARY KEY ("product_block_id", "resource_type_id"),
    CONSTRAINT "product_block_resource_types_product_block_id_fkey" FOREIGN KEY ("product_block_id") REFERENCES "product_blocks" ("product_block_id") ON DELETE CASCADE,
    CONSTRAINT "product_block_resource_types_resource_type_id_fkey" FOREIGN KEY ("resource_type_id") REFERENCES "resource_types" ("resource_type_id") ON DELETE CASCADE
);
GO
CREATE TABLE "products_workflows" (
    "product_id" UNIQUEIDENTIFIER NOT NULL,
    "workflow_id" UNIQUEIDENTIFIER NOT NULL,
    CONSTRAINT "products_workflows_pkey" PRIMARY KEY ("product_id", "workflow_id"),
    CONSTRAINT "products_workflows_product_id_fkey" FOREIGN KEY ("product_id") REFERENCES "products" ("product_id") ON DELETE CASCADE,
    CONSTRAINT "products_workflows_workflow_id_fkey" FOREIGN KEY ("workflow_id") REFERENCES "workflows" ("workflow_id") ON DELETE CASCADE
);
GO
CREATE TABLE "fixed_inputs" (
    "fixed_input_id" UNIQUEIDENTIFIER NOT NULL DEFAULT NEWID(),
    "name" NVARCHAR(450) NOT NULL,
    "value" NVARCHAR(MAX) NOT NULL,
    "created_at" DATETIME2(6) NOT NULL DEFAULT SYSUTCDATETIME(),
    "product_id" UNIQUEIDENTIFIER NOT NULL,
    CONSTRAINT "fixed_inputs_pkey" PRIMARY KEY ("fixed_input_id"),
    CONSTRAINT "fixed_inputs_name_product_id_key" UNIQUE ("name", "product_id"),
    CONSTRAINT "fixed_inputs_product_id_fkey" FOREIGN KEY ("product_id") REFERENCES "products" ("product_id") ON DELETE CASCADE
);
GO
CREATE TABLE "product_block_relations" (
    "in_use_by_id" UNIQUEIDENTIFIER NOT NULL,
    "depends_on_id" UNIQUEIDENTIFIER NOT NULL,
    "min" INT NULL,
    "max" INT NULL,
    CONSTRAINT "product_block_relations_pkey" PRIMARY KEY ("in_use_by_id", "depends_on_id"),
    CONSTRAINT "product_block_relations_in_use_by_id_fkey" FOREIGN KEY ("in_use_by_id") REFERENCES "product_blocks" ("product_block_id") ON DELETE CASCADE,
    CONSTRAINT "product_block_relations_depends_on_id_fkey" FOREIGN KEY ("depends_on_id") REFERENCES "product_blocks" ("product_block_id")
);
GO
CREATE UNIQUE INDEX "product_block_relation_i_d_ix" ON "product_block_relations" ("in_use_by_id", "depends_on_id");
GO
CREATE TABLE "subscription_instances" (
    "subscription_instance_id" UNIQUEIDENTIFIER NOT NULL DEFAULT NEWID(),
    "subscription_id" UNIQUEIDENTIFIER NOT NULL,
    "product_block_id" UNIQUEIDENTIFIER NOT NULL,
    "label" NVARCHAR(255) NULL,
    CONSTRAINT "subscription_instances_pkey" PRIMARY KEY ("subscription_instance_id"),
    CONSTRAINT "subscription_instances_subscription_id_fkey" FOREIGN KEY ("subscription_id") REFERENCES "subscriptions" ("subscription_id") ON DELETE CASCADE,
    CONSTRAINT "subscription_instances_product_block_id_fkey" FOREIGN KEY ("product_block_id") REFERENCES "product_blocks" ("product_block_id")
);
GO
CREATE INDEX "ix_subscription_instances_subscription_id" ON "subscription_instances" ("subscription_id");
GO
CREATE INDEX "ix_subscription_instances_product_block_id" ON "subscription_instances" ("product_block_id");
GO
CREATE INDEX "subscription_instance_s_pb_ix" ON "subscription_instances" ("subscription_instance_id", "subscription_id", "product_block_id");
GO
CREATE TABLE "subscription_instance_relations" (
    "in_use_by_id" UNIQUEIDENTIFIER NOT NULL,
    "depends_on_id" UNIQUEIDENTIFIER NOT NULL,
    "order_id" INT NOT NULL,
    "domain_model_attr" NVARCHAR(MAX) NULL,
    CONSTRAINT "subscription_instance_relations_pkey" PRIMARY KEY ("in_use_by_id", "depends_on_id", "order_id"),
    CONSTRAINT "subscription_instance_relations_in_use_by_id_fkey" FOREIGN KEY ("in_use_by_id") REFERENCES "subscription_instances" ("subscription_instance_id") ON DELETE CASCADE,
    CONSTRAINT "subscription_instance_relations_depends_on_id_fkey" FOREIGN KEY ("depends_on_id") REFERENCES "subscription_instances" ("subscription_instance_id")
);
GO
CREATE UNIQUE INDEX "subscription_relation_i_d_o_ix" ON "subscription_instance_relations" ("in_use_by_id", "depends_on_id", "order_id");
GO
CREATE TABLE "subscription_instance_values" (
    "subscription_instance_value_id" UNIQUEIDENTIFIER NOT NULL DEFAULT NEWID(),
    "subscription_instance_id" UNIQUEIDENTIFIER NOT NULL,
    "resource_type_id" UNIQUEIDENTIFIER NOT NULL,
    "value" NVARCHAR(MAX) NOT NULL,
    CONSTRAINT "subscription_instance_values_pkey" PRIMARY KEY ("subscription_instance_value_id"),
    CONSTRAINT "subscription_instance_values_subscription_instance_id_fkey" FOREIGN KEY ("subscription_instance_id") REFERENCES "subscription_instances" ("subscription_instance_id") ON DELETE CASCADE,
    CONSTRAINT "subscription_instance_values_resource_type_id_fkey" FOREIGN KEY ("resource_type_id") REFERENCES "resource_types" ("resource_type_id")
);
GO
CREATE INDEX "ix_subscription_instance_values_subscription_instance_id" ON "subscription_instance_values" ("subscription_instance_id");
GO
CREATE INDEX "ix_subscription_instance_values_resource_type_id" ON "subscription_instance_values" ("resource_type_id");
GO
CREATE INDEX "siv_si_rt_ix" ON "subscription_instance_values" ("subscription_instance_value_id", "subscription_instance_id", "resource_type_id");
GO
CREATE TABLE "subscription_customer_descriptions" (
    "id" UNIQUEIDENTIFIER NOT NULL DEFAULT NEWID(),
    "subscription_id" UNIQUEIDENTIFIER NOT NULL,
    "customer_id" NVARCHAR(450) NOT NULL,
    "description" NVARCHAR(MAX) NOT NULL,
    "created_at" DATETIME2(6) NOT NULL DEFAULT SYSUTCDATETIME(),
    CONSTRAINT "subscription_customer_descriptions_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "uniq_customer_subscription_description" UNIQUE ("customer_id", "subscription_id"),
    CONSTRAINT "subscription_customer_descriptions_subscription_id_fkey" FOREIGN KEY ("subscription_id") REFERENCES "subscriptions" ("subscription_id") ON DELETE CASCADE
);
GO
CREATE INDEX "ix_subscription_customer_descriptions_subscription_id" ON "subscription_customer_descriptions" ("subscription_id");
GO
CREATE INDEX "ix_subscription_customer_descriptions_customer_id" ON "subscription_customer_descriptions" ("customer_id");
GO
CREATE TABLE "subscription_metadata" (
    "subscription_id" UNIQUEIDENTIFIER NOT NULL,
    "metadata" NVARCHAR(MAX) NOT NULL,
    CONSTRAINT "subscription_metadata_pkey" PRIMARY KEY ("subscription_id"),
    CONSTRAINT "subscription_metadata_subscription_id_fkey" FOREIGN KEY ("subscription_id") REFERENCES "subscriptions" ("subscription_id") ON DELETE CASCADE
);
GO
CREATE TABLE "subscriptions_search" (
    "subscription_id" UNIQUEIDENTIFIER NOT NULL,
    "tsv" NVARCHAR(MAX) NULL,
    CONSTRAINT "subscriptions_search_pkey" PRIMARY KEY ("subscription_id"),
    CONSTRAINT "subscriptions_search_subscription_id_fkey" FOREIGN KEY ("subscription_id") REFERENCES "subscriptions" ("subscription_id")
);
GO
CREATE TABLE "engine_settings" (
    "global_lock" BIT NOT NULL,
    "running_processes" INT NOT NULL DEFAULT 0,
    CONSTRAINT "engine_settings_pkey" PRIMARY KEY ("global_lock"),
    CONSTRAINT "check_running_processes_positive" CHECK ("running_processes" >= 0)
);
GO
INSERT INTO "engine_settings" ("global_lock", "running_processes") VALUES (0, 0);
GO

-- migration 0020_queue_claim_index
CREATE INDEX "ix_Queues_queue_name_status_created_date_id" ON "Queues" ("queue_name", "status", "created_date", "id");
GO
DROP INDEX "ix_Queues_queue_name_status_created_date" ON "Queues";
GO

-- migration 0021_queue_idempotency_key
ALTER TABLE "Queues" ADD "idempotency_key" NVARCHAR(100) NULL;
GO
CREATE UNIQUE INDEX "ux_Queues_queue_name_idempotency_key" ON "Queues" ("queue_name", "idempotency_key") WHERE "idempotency_key" IS NOT NULL;
GO

-- migration 0022_queue_retry
ALTER TABLE "Queues" ADD "attempts" INT NULL;
GO
ALTER TABLE "Queues" ADD "retry_at" DATETIME2(6) NULL;
GO
CREATE INDEX "ix_Queues_queue_name_retry_at" ON "Queues" ("queue_name", "retry_at") WHERE "retry_at" IS NOT NULL;
GO

-- migration 0030_trigger_scheduler
ALTER TABLE "Triggers" ADD "flowstore_scheduler" NVARCHAR(100) NULL;
GO
CREATE INDEX "ix_Triggers_flowstore_scheduler" ON "Triggers" ("flowstore_scheduler");
GO
CREATE INDEX "ix_Scheduled_Triggers_next_run" ON "Scheduled_Triggers" ("next_run");
GO
CREATE INDEX "ix_Single_Triggers_next_run" ON "Single_Triggers" ("next_run");
GO

-- migration 0040_snapshot_payload_codec
ALTER TABLE "process_instances" ADD "payload_codec" NVARCHAR(64) NULL;
GO
CREATE INDEX "idx_event_types_event_type" ON "event_types" ("event_type", "process_instance_id");
GO

-- migration 0041_kogito_v10_0_2
ALTER TABLE "event_types" DROP CONSTRAINT IF EXISTS "event_types_process_instance_id_fkey";
GO

-- migration 0050_orchestrator_engine
ALTER TABLE "process_steps" ADD "seq" BIGINT NULL;
GO
CREATE UNIQUE INDEX "ux_process_steps_pid_seq" ON "process_steps" ("pid", "seq") WHERE "seq" IS NOT NULL;
GO
ALTER TABLE "processes" ADD "engine_instance_id" NVARCHAR(64) NULL;
GO
CREATE INDEX "ix_processes_engine_instance_id" ON "processes" ("engine_instance_id");
GO
CREATE TABLE "engine_instances" (
    "instance_id" NVARCHAR(64) NOT NULL,
    "hostname" NVARCHAR(255) NULL,
    "os_pid" INT NULL,
    "started_at" DATETIME2(6) NOT NULL,
    "heartbeat_at" DATETIME2(6) NOT NULL,
    "expires_at" DATETIME2(6) NOT NULL,
    CONSTRAINT "engine_instances_pkey" PRIMARY KEY ("instance_id")
);
GO

-- migration 0060_pipeline
ALTER TABLE "workflow" ADD "last_sequence" BIGINT NULL;
GO
UPDATE "workflow" SET "last_sequence" = (SELECT MAX(l."sequence") FROM "workflow_log" l WHERE l."from_workflow" = "workflow"."id");
GO
ALTER TABLE "timer" ADD "next_run" DATETIME2(6) NULL;
GO
CREATE INDEX "idx_timer_next_run" ON "timer" ("next_run");
GO
CREATE INDEX "idx_workflow_log_from_workflow_sequence" ON "workflow_log" ("from_workflow", "sequence");
GO
CREATE INDEX "idx_stage_log_workflow" ON "stage_log" ("workflow");
GO
CREATE INDEX "idx_action_log_workflow" ON "action_log" ("workflow");
GO
CREATE INDEX "idx_outcome_workflow" ON "outcome" ("workflow");
GO
CREATE INDEX "idx_event_workflow" ON "event" ("workflow");
GO
CREATE INDEX "idx_workflow_var_log_workflow" ON "workflow_var_log" ("workflow");
GO

-- migration 0061_named_locks

-- migration 0062_pipeline_history_index
CREATE INDEX "idx_workflow_log_namespace_repository_workflow" ON "workflow_log" ("namespace", "repository", "workflow");
GO

-- migration 0063_pipeline_start_key
ALTER TABLE "workflow_log" ADD "start_key" NVARCHAR(255) NULL;
GO
CREATE UNIQUE INDEX "ux_workflow_log_from_workflow_start_key" ON "workflow_log" ("from_workflow", "start_key") WHERE "start_key" IS NOT NULL;
GO

-- migration 0070_reference_conventions
-- (openorchestrator_naive_time: converts rows an earlier flowstore wrote; nothing to do on a new database)
CREATE TABLE "alembic_version" ("version_num" VARCHAR(32) NOT NULL, CONSTRAINT "alembic_version_pkc" PRIMARY KEY ("version_num"));
GO
INSERT INTO "alembic_version" ("version_num") VALUES ('9698388a0709');
GO

-- migration 0071_dashboard_indexes
CREATE INDEX "ix_processes_started_at_pid" ON "processes" ("started_at" DESC, "pid");
GO
CREATE INDEX "ix_processes_last_status_started_at_pid" ON "processes" ("last_status", "started_at" DESC, "pid");
GO
CREATE INDEX "ix_Logs_log_time_id" ON "Logs" ("log_time", "id");
GO
CREATE INDEX "ix_Logs_log_level_log_time_id" ON "Logs" ("log_level", "log_time", "id");
GO
CREATE INDEX "ix_Queues_reference_created_date_id" ON "Queues" ("reference", "created_date", "id");
GO
CREATE INDEX "ix_Queues_queue_name_status_end_date" ON "Queues" ("queue_name", "status", "end_date");
GO
CREATE INDEX "idx_workflow_log_run_state_id" ON "workflow_log" ("run_state", "id");
GO

-- migration 0072_queue_claim_speed

-- migration 0073_queue_done_index
DROP INDEX "ix_Queues_queue_name_status_end_date" ON "Queues";
GO
CREATE INDEX "ix_Queues_queue_name_status_end_date" ON "Queues" ("queue_name", "status", "end_date") WHERE "end_date" IS NOT NULL;
GO

-- migration 0074_queue_reference_index
DROP INDEX "ix_Queues_reference_created_date_id" ON "Queues";
GO
CREATE INDEX "ix_Queues_reference_created_date_id" ON "Queues" ("reference", "created_date", "id") WHERE "reference" IS NOT NULL;
GO

-- flowstore bookkeeping
IF OBJECT_ID(N'flowstore_migrations', N'U') IS NULL CREATE TABLE "flowstore_migrations" ("version" int NOT NULL PRIMARY KEY, "name" nvarchar(200) NOT NULL, "applied_at" datetime2(6) NOT NULL);
GO
INSERT INTO flowstore_migrations (version, name, applied_at) VALUES (1, 'reference_schema', SYSUTCDATETIME());
GO
INSERT INTO flowstore_migrations (version, name, applied_at) VALUES (20, 'queue_claim_index', SYSUTCDATETIME());
GO
INSERT INTO flowstore_migrations (version, name, applied_at) VALUES (21, 'queue_idempotency_key', SYSUTCDATETIME());
GO
INSERT INTO flowstore_migrations (version, name, applied_at) VALUES (22, 'queue_retry', SYSUTCDATETIME());
GO
INSERT INTO flowstore_migrations (version, name, applied_at) VALUES (30, 'trigger_scheduler', SYSUTCDATETIME());
GO
INSERT INTO flowstore_migrations (version, name, applied_at) VALUES (40, 'snapshot_payload_codec', SYSUTCDATETIME());
GO
INSERT INTO flowstore_migrations (version, name, applied_at) VALUES (41, 'kogito_v10_0_2', SYSUTCDATETIME());
GO
INSERT INTO flowstore_migrations (version, name, applied_at) VALUES (50, 'orchestrator_engine', SYSUTCDATETIME());
GO
INSERT INTO flowstore_migrations (version, name, applied_at) VALUES (60, 'pipeline', SYSUTCDATETIME());
GO
INSERT INTO flowstore_migrations (version, name, applied_at) VALUES (61, 'named_locks', SYSUTCDATETIME());
GO
INSERT INTO flowstore_migrations (version, name, applied_at) VALUES (62, 'pipeline_history_index', SYSUTCDATETIME());
GO
INSERT INTO flowstore_migrations (version, name, applied_at) VALUES (63, 'pipeline_start_key', SYSUTCDATETIME());
GO
INSERT INTO flowstore_migrations (version, name, applied_at) VALUES (70, 'reference_conventions', SYSUTCDATETIME());
GO
INSERT INTO flowstore_migrations (version, name, applied_at) VALUES (71, 'dashboard_indexes', SYSUTCDATETIME());
GO
INSERT INTO flowstore_migrations (version, name, applied_at) VALUES (72, 'queue_claim_speed', SYSUTCDATETIME());
GO
INSERT INTO flowstore_migrations (version, name, applied_at) VALUES (73, 'queue_done_index', SYSUTCDATETIME());
GO
INSERT INTO flowstore_migrations (version, name, applied_at) VALUES (74, 'queue_reference_index', SYSUTCDATETIME());
GO
