-- insert
INSERT INTO process_instances (id, payload, process_id, version, process_version, payload_codec) VALUES ($1, $2, $3, 0, $4, $5);
-- insert business key
INSERT INTO business_key_mapping (business_key, process_instance_id) VALUES ($1, $2);
-- insert event types (2 rows)
INSERT INTO event_types (process_instance_id, event_type) VALUES ($1, $2), ($3, $4);
-- get
SELECT p.id, p.payload, p.process_id, p.version, p.process_version, p.payload_codec FROM process_instances p WHERE p.id = $1;
-- exists
SELECT 1 FROM process_instances p WHERE p.id = $1;
-- version after a failed update
SELECT COALESCE(p.version, 0) FROM process_instances p WHERE p.id = $1;
-- stat
SELECT p.id, p.process_id, p.version, p.process_version, p.payload_codec, octet_length(p.payload) FROM process_instances p WHERE p.id = $1;
-- business key of
SELECT business_key FROM business_key_mapping WHERE process_instance_id = $1;
-- event types of
SELECT event_type FROM event_types WHERE process_instance_id = $1 ORDER BY event_type;
-- update (compare-and-swap)
UPDATE process_instances SET payload = $1, payload_codec = $2, version = $3 WHERE id = $4 AND COALESCE(version, 0) = $5;
-- update unchecked
UPDATE process_instances SET payload = $1, payload_codec = $2, version = COALESCE(version, 0) + 1 WHERE id = $3;
-- delete event types
DELETE FROM event_types WHERE process_instance_id = $1;
-- delete business key
DELETE FROM business_key_mapping WHERE process_instance_id = $1;
-- delete
DELETE FROM process_instances WHERE id = $1;
-- count, version = ?
SELECT COUNT(*) FROM process_instances p WHERE p.process_id = $1 AND p.process_version = $2;
-- list ids (page), version = ?
SELECT p.id FROM process_instances p WHERE p.process_id = $1 AND p.process_version = $2 AND p.id > $3 ORDER BY p.id LIMIT 32;
-- stream (page), version = ?
SELECT p.id, p.payload, p.process_id, p.version, p.process_version, p.payload_codec FROM process_instances p WHERE p.process_id = $1 AND p.process_version = $2 AND p.id > $3 ORDER BY p.id LIMIT 32;
-- find by business key, version = ?
SELECT p.id, p.payload, p.process_id, p.version, p.process_version, p.payload_codec FROM process_instances p JOIN business_key_mapping b ON b.process_instance_id = p.id WHERE p.process_id = $1 AND p.process_version = $2 AND b.business_key IN ($3, $4);
-- waiting for event type (page), version = ?
SELECT p.id, p.payload, p.process_id, p.version, p.process_version, p.payload_codec FROM process_instances p JOIN event_types e ON e.process_instance_id = p.id WHERE p.process_id = $1 AND p.process_version = $2 AND e.event_type = $3 AND p.id > $4 ORDER BY p.id LIMIT 32;
-- migrate all, version = ?
UPDATE process_instances SET process_id = $1, process_version = $2 WHERE process_id = $3 AND process_version = $4;
-- migrate 2 ids, version = ?
UPDATE process_instances SET process_id = $1, process_version = $2 WHERE process_id = $3 AND process_version = $4 AND id IN ($5, $6);
-- count, version IS NULL
SELECT COUNT(*) FROM process_instances p WHERE p.process_id = $1 AND p.process_version IS NULL;
-- list ids (page), version IS NULL
SELECT p.id FROM process_instances p WHERE p.process_id = $1 AND p.process_version IS NULL AND p.id > $2 ORDER BY p.id LIMIT 32;
-- stream (page), version IS NULL
SELECT p.id, p.payload, p.process_id, p.version, p.process_version, p.payload_codec FROM process_instances p WHERE p.process_id = $1 AND p.process_version IS NULL AND p.id > $2 ORDER BY p.id LIMIT 32;
-- find by business key, version IS NULL
SELECT p.id, p.payload, p.process_id, p.version, p.process_version, p.payload_codec FROM process_instances p JOIN business_key_mapping b ON b.process_instance_id = p.id WHERE p.process_id = $1 AND p.process_version IS NULL AND b.business_key IN ($2, $3);
-- waiting for event type (page), version IS NULL
SELECT p.id, p.payload, p.process_id, p.version, p.process_version, p.payload_codec FROM process_instances p JOIN event_types e ON e.process_instance_id = p.id WHERE p.process_id = $1 AND p.process_version IS NULL AND e.event_type = $2 AND p.id > $3 ORDER BY p.id LIMIT 32;
-- migrate all, version IS NULL
UPDATE process_instances SET process_id = $1, process_version = $2 WHERE process_id = $3 AND process_version IS NULL;
-- migrate 2 ids, version IS NULL
UPDATE process_instances SET process_id = $1, process_version = $2 WHERE process_id = $3 AND process_version IS NULL AND id IN ($4, $5);
-- limit: process_id, process_version: value too long: process_id is 5000 bytes, at most 1300 fit (an entry of a btree index holds at most 2704 bytes)
-- limit: stored payload: at most 1073741819 bytes (process_instances.payload on this dialect)
