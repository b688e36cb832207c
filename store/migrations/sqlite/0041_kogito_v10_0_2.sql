-- Kogito's tables as its Flyway scripts leave them at V10.0.2 (packages
-- store/snapshot and store/correlation).
--
-- V10.0.1: correlation_instances.correlation is text that Kogito binds as a
-- string; here it has always been TEXT, so nothing to convert.
--
-- V10.0.2: event_types has no foreign key to process_instances. Kogito's
-- create inserts an instance's event types before the instance itself, in
-- one transaction (or, with transactions off, each statement on its own);
-- Kogito and flowstore both delete an instance's event types themselves.
-- SQLite cannot drop a constraint, so the table is rebuilt without it, with
-- its rows, its length checks and its index (migration 0040), inside this
-- migration's transaction.
CREATE TABLE "event_types_0041" (
    "process_instance_id" TEXT NOT NULL CONSTRAINT "event_types_process_instance_id_len" CHECK (length("process_instance_id") <= 36),
    "event_type" TEXT NOT NULL CONSTRAINT "event_types_event_type_len" CHECK (length("event_type") <= 256),
    CONSTRAINT "event_types_pkey" PRIMARY KEY ("process_instance_id", "event_type")
);
INSERT INTO "event_types_0041" ("process_instance_id", "event_type") SELECT "process_instance_id", "event_type" FROM "event_types";
DROP TABLE "event_types";
ALTER TABLE "event_types_0041" RENAME TO "event_types";
CREATE INDEX "idx_event_types_event_type" ON "event_types" ("event_type", "process_instance_id");
