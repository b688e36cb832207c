-- flowstore snapshots (package store): which codec wrote a process_instances payload.
-- NULL means the payload is stored as given (Kogito's format), so rows written by
-- Kogito or before a codec was configured stay readable next to encoded ones.
ALTER TABLE `process_instances` ADD COLUMN `payload_codec` VARCHAR(64) NULL;
-- Instances waiting for an event type are found through this index.
CREATE INDEX `idx_event_types_event_type` ON `event_types` (`event_type`, `process_instance_id`);
