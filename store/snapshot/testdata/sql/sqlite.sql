-- insert
INSERT INTO process_instances (id, payload, process_id, version, process_version, payload_codec) VALUES (?, ?, ?, 0, ?, ?);
-- insert business key
INSERT INTO business_key_mapping (business_key, process_instance_id) VALUES (?, ?);
-- insert event types (2 rows)
INSERT INTO event_types (process_instance_id, event_type) VALUES (?, ?), (?, ?);
-- get
SELECT p.id, p.payload, p.process_id, p.version, p.process_version, p.payload_codec FROM process_instances p WHERE p.id = ?;
-- exists
SELECT 1 FROM process_instances p WHERE p.id = ?;
-- version after a failed update
SELECT COALESCE(p.version, 0) FROM process_instances p WHERE p.id = ?;
-- stat
SELECT p.id, p.process_id, p.version, p.process_version, p.payload_codec, length(p.payload) FROM process_instances p WHERE p.id = ?;
-- business key of
SELECT business_key FROM business_key_mapping WHERE process_instance_id = ?;
-- event types of
SELECT event_type FROM event_types WHERE process_instance_id = ? ORDER BY event_type;
-- update (compare-and-swap)
UPDATE process_instances SET payload = ?, payload_codec = ?, version = ? WHERE id = ? AND COALESCE(version, 0) = ?;
-- update unchecked
UPDATE process_instances SET payload = ?, payload_codec = ?, version = COALESCE(version, 0) + 1 WHERE id = ?;
-- delete event types
DELETE FROM event_types WHERE process_instance_id = ?;
-- delete business key
DELETE FROM business_key_mapping WHERE process_instance_id = ?;
-- delete
DELETE FROM process_instances WHERE id = ?;
-- count, version = ?
SELECT COUNT(*) FROM process_instances p WHERE p.process_id = ? AND p.process_version = ?;
-- list ids (page), version = ?
SELECT p.id FROM process_instances p WHERE p.process_id = ? AND p.process_version = ? AND p.id > ? ORDER BY p.id LIMIT 32;
-- stream (page), version = ?
SELECT p.id, p.payload, p.process_id, p.version, p.process_version, p.payload_codec FROM process_instances p WHERE p.process_id = ? AND p.process_version = ? AND p.id > ? ORDER BY p.id LIMIT 32;
-- find by business key, version = ?
SELECT p.id, p.payload, p.process_id, p.version, p.process_version, p.payload_codec FROM process_instances p JOIN business_key_mapping b ON b.process_instance_id = p.id WHERE p.process_id = ? AND p.process_version = ? AND b.business_key IN (?, ?);
-- waiting for event type (page), version = ?
SELECT p.id, p.payload, p.process_id, p.version, p.process_version, p.payload_codec FROM process_instances p JOIN event_types e ON e.process_instance_id = p.id WHERE p.process_id = ? AND p.process_version = ? AND e.event_type = ? AND p.id > ? ORDER BY p.id LIMIT 32;
-- migrate all, version = ?
UPDATE process_instances SET process_id = ?, process_version = ? WHERE process_id = ? AND process_version = ?;
-- migrate 2 ids, version = ?
UPDATE process_instances SET process_id = ?, process_version = ? WHERE process_id = ? AND process_version = ? AND id IN (?, ?);
-- count, version IS NULL
SELECT COUNT(*) FROM process_instances p WHERE p.process_id = ? AND p.process_version IS NULL;
-- list ids (page), version IS NULL
SELECT p.id FROM process_instances p WHERE p.process_id = ? AND p.process_version IS NULL AND p.id > ? ORDER BY p.id LIMIT 32;
-- stream (page), version IS NULL
SELECT p.id, p.payload, p.process_id, p.version, p.process_version, p.payload_codec FROM process_instances p WHERE p.process_id = ? AND p.process_version IS NULL AND p.id > ? ORDER BY p.id LIMIT 32;
-- find by business key, version IS NULL
SELECT p.id, p.payload, p.process_id, p.version, p.process_version, p.payload_codec FROM process_instances p JOIN business_key_mapping b ON b.process_instance_id = p.id WHERE p.process_id = ? AND p.process_version IS NULL AND b.business_key IN (?, ?);
-- waiting for event type (page), version IS NULL
SELECT p.id, p.payload, p.process_id, p.version, p.process_version, p.payload_codec FROM process_instances p JOIN event_types e ON e.process_instance_id = p.id WHERE p.process_id = ? AND p.process_version IS NULL AND e.event_type = ? AND p.id > ? ORDER BY p.id LIMIT 32;
-- migrate all, version IS NULL
UPDATE process_instances SET process_id = ?, process_version = ? WHERE process_id = ? AND process_version IS NULL;
-- migrate 2 ids, version IS NULL
UPDATE process_instances SET process_id = ?, process_version = ? WHERE process_id = ? AND process_version IS NULL AND id IN (?, ?);
-- limit: process_id, process_version: no limit
-- limit: stored payload: at most 999934464 bytes (process_instances.payload on this dialect)
