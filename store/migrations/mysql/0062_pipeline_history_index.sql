-- orchestrator/pipeline: run history is browsed by (namespace, repository,
-- workflow[, version]) newest first (ListRuns, GetRun); without this index
-- every such read scans workflow_log. Three utf8mb4 VARCHAR(255) columns make
-- a 3060-byte key, within InnoDB's 3072-byte limit (DYNAMIC rows, the default).
CREATE INDEX `idx_workflow_log_namespace_repository_workflow` ON `workflow_log` (`namespace`, `repository`, `workflow`);
