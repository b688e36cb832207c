-- Kogito's tables as its Flyway scripts leave them at V10.0.2 (packages
-- store/snapshot and store/correlation), for databases flowstore created and
-- for Kogito databases adopted before Kogito's own V10.0.1.
--
-- V10.0.1: correlation_instances.correlation is character varying, not json.
-- Kogito's JDBC repository binds the JSON as a string (setString, a varchar
-- parameter), which PostgreSQL refuses for a json column. json keeps the text
-- it was given, so every row keeps its text exactly.
ALTER TABLE "correlation_instances" ALTER COLUMN "correlation" TYPE VARCHAR;
-- V10.0.2: event_types has no foreign key to process_instances. Kogito's
-- create inserts an instance's event types before the instance itself, in
-- one transaction (or, with transactions off, each statement on its own);
-- Kogito and flowstore both delete an instance's event types themselves.
-- A database Kogito created has no such key, hence IF EXISTS.
ALTER TABLE "event_types" DROP CONSTRAINT IF EXISTS "event_types_process_instance_id_fkey";
