-- flowstore orchestrator: explicit step order, engine-instance leases (see orchestrator/doc.go).
-- process_steps.seq orders a process's steps (1, 2, …); the unique index fences two engines writing the same step.
ALTER TABLE "process_steps" ADD COLUMN "seq" BIGINT NULL;
CREATE UNIQUE INDEX "ux_process_steps_pid_seq" ON "process_steps" ("pid", "seq");
-- processes.engine_instance_id names the engine instance executing a running process (NULL: nobody).
ALTER TABLE "processes" ADD COLUMN "engine_instance_id" VARCHAR(64) NULL;
CREATE INDEX "ix_processes_engine_instance_id" ON "processes" ("engine_instance_id");
-- engine_instances: one row per live engine, its lease renewed by a heartbeat.
CREATE TABLE "engine_instances" (
    "instance_id" VARCHAR(64) NOT NULL,
    "hostname" VARCHAR(255) NULL,
    "os_pid" INTEGER NULL,
    "started_at" TIMESTAMPTZ NOT NULL,
    "heartbeat_at" TIMESTAMPTZ NOT NULL,
    "expires_at" TIMESTAMPTZ NOT NULL,
    CONSTRAINT "engine_instances_pkey" PRIMARY KEY ("instance_id")
);
