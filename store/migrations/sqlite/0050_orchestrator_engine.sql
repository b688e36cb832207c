-- flowstore orchestrator: explicit step order, engine-instance leases (see orchestrator/doc.go).
-- process_steps.seq orders a process's steps (1, 2, …); the unique index fences two engines writing the same step.
ALTER TABLE "process_steps" ADD COLUMN "seq" INTEGER NULL;
CREATE UNIQUE INDEX "ux_process_steps_pid_seq" ON "process_steps" ("pid", "seq");
-- processes.engine_instance_id names the engine instance executing a running process (NULL: nobody).
ALTER TABLE "processes" ADD COLUMN "engine_instance_id" TEXT NULL CONSTRAINT "processes_engine_instance_id_len" CHECK (length("engine_instance_id") <= 64);
CREATE INDEX "ix_processes_engine_instance_id" ON "processes" ("engine_instance_id");
-- engine_instances: one row per live engine, its lease renewed by a heartbeat.
CREATE TABLE "engine_instances" (
    "instance_id" TEXT NOT NULL CONSTRAINT "engine_instances_instance_id_len" CHECK (length("instance_id") <= 64),
    "hostname" TEXT NULL CONSTRAINT "engine_instances_hostname_len" CHECK (length("hostname") <= 255),
    "os_pid" INTEGER NULL,
    "started_at" DATETIME NOT NULL,
    "heartbeat_at" DATETIME NOT NULL,
    "expires_at" DATETIME NOT NULL,
    CONSTRAINT "engine_instances_pkey" PRIMARY KEY ("instance_id")
);
