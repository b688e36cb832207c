-- flowstore orchestrator: explicit step order, engine-instance leases (see orchestrator/doc.go).
-- process_steps.seq orders a process's steps (1, 2, …); the unique index fences two engines writing the same step.
-- Filtered, because a SQL Server unique index admits only one NULL and rows written by WFO itself have none.
ALTER TABLE "process_steps" ADD "seq" BIGINT NULL;
CREATE UNIQUE INDEX "ux_process_steps_pid_seq" ON "process_steps" ("pid", "seq") WHERE "seq" IS NOT NULL;
-- processes.engine_instance_id names the engine instance executing a running process (NULL: nobody).
ALTER TABLE "processes" ADD "engine_instance_id" NVARCHAR(64) NULL;
CREATE INDEX "ix_processes_engine_instance_id" ON "processes" ("engine_instance_id");
-- engine_instances: one row per live engine, its lease renewed by a heartbeat.
CREATE TABLE "engine_instances" (
    "instance_id" NVARCHAR(64) NOT NULL,
    "hostname" NVARCHAR(255) NULL,
    "os_pid" INT NULL,
    "started_at" DATETIME2(6) NOT NULL,
    "heartbeat_at" DATETIME2(6) NOT NULL,
    "expires_at" DATETIME2(6) NOT NULL,
    CONSTRAINT "engine_instances_pkey" PRIMARY KEY ("instance_id")
);
