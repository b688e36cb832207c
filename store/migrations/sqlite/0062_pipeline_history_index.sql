-- orchestrator/pipeline: run history is browsed by (namespace, repository,
-- workflow[, version]) newest first (ListRuns, GetRun); without this index
-- every such read scans workflow_log.
CREATE INDEX "idx_workflow_log_namespace_repository_workflow" ON "workflow_log" ("namespace", "repository", "workflow");
