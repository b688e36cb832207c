-- insert
INSERT INTO process_instances (id, payload, process_id, version, process_version, payload_codec) VALUES (@p1, @p2, @p3, 0, @p4, @p5);
-- insert business key
INSERT INTO business_key_mapping (business_key, process_instance_id) VALUES (@p1, @p2);
-- insert event types (2 rows)
INSERT INTO event_types (process_instance_id, event_type) VALUES (@p1, @p2), (@p3, @p4);
-- get
SELECT p.id, p.payload, p.process_id, p.version, p.process_version, p.payload_codec FROM process_instances p WHERE p.id = @p1;
-- exists
SELECT 1 FROM process_instances p WHERE p.id = @p1;
-- version after a failed update
SELECT COALESCE(p.version, 0) FROM process_instances p WHERE p.id = @p1;
-- stat
SELECT p.id, p.process_id, p.version, p.process_version, p.payload_codec, DATALENGTH(p.payload) FROM process_instances p WHERE p.id = @p1;
-- business key of
SELECT business_key FROM business_key_mapping WHERE process_instance_id = @p1;
-- event types of
SELECT event_type FROM event_types WHERE process_instance_id = @p1 ORDER BY event_type;
-- update (compare-and-swap)
UPDATE process_instances SET payload = @p1, payload_codec = @p2, version = @p3 WHERE id = @p4 AND COALESCE(version, 0) = @p5;
-- update unchecked
UPDATE process_instances SET payload = @p1, payload_codec = @p2, version = COALESCE(version, 0) + 1 WHERE id = @p3;
-- delete event types
DELETE FROM event_types WHERE process_instance_id = @p1;
-- delete business key
DELETE FROM business_key_mapping WHERE process_instance_id = @p1;
-- delete
DELETE FROM process_instances WHERE id = @p1;
-- count, version = ?
SELECT COUNT(*) FROM process_instances p WHERE p.process_id = @p1 AND p.process_version = @p2;
-- list ids (page), version = ?
SELECT p.id FROM process_instances p WHERE p.process_id = @p1 AND p.process_version = @p2 AND p.id > @p3 ORDER BY p.id OFFSET 0 ROWS FETCH NEXT 32 ROWS ONLY;
-- stream (page), version = ?
SELECT p.id, p.payload, p.process_id, p.version, p.process_version, p.payload_codec FROM process_instances p WHERE p.process_id = @p1 AND p.process_version = @p2 AND p.id > @p3 ORDER BY p.id OFFSET 0 ROWS FETCH NEXT 32 ROWS ONLY;
-- find by business key, version = ?
SELECT p.id, p.payload, p.process_id, p.version, p.process_version, p.payload_codec FROM process_instances p JOIN business_key_mapping b ON b.process_instance_id = p.id WHERE p.process_id = @p1 AND p.process_version = @p2 AND b.business_key IN (@p3, @p4);
-- waiting for event type (page), version = ?
SELECT p.id, p.payload, p.process_id, p.version, p.process_version, p.payload_codec FROM process_instances p JOIN event_types e ON e.process_instance_id = p.id WHERE p.process_id = @p1 AND p.process_version = @p2 AND e.event_type = @p3 AND p.id > @p4 ORDER BY p.id OFFSET 0 ROWS FETCH NEXT 32 ROWS ONLY;
-- migrate all, version = ?
UPDATE process_instances SET process_id = @p1, process_version = @p2 WHERE process_id = @p3 AND process_version = @p4;
-- migrate 2 ids, version = ?
UPDATE process_instances SET process_id = @p1, process_version = @p2 WHERE process_id = @p3 AND process_version = @p4 AND id IN (@p5, @p6);
-- count, version IS NULL
SELECT COUNT(*) FROM process_instances p WHERE p.process_id = @p1 AND p.process_version IS NULL;
-- list ids (page), version IS NULL
SELECT p.id FROM process_instances p WHERE p.process_id = @p1 AND p.process_version IS NULL AND p.id > @p2 ORDER BY p.id OFFSET 0 ROWS FETCH NEXT 32 ROWS ONLY;
-- stream (page), version IS NULL
SELECT p.id, p.payload, p.process_id, p.version, p.process_version, p.payload_codec FROM process_instances p WHERE p.process_id = @p1 AND p.process_version IS NULL AND p.id > @p2 ORDER BY p.id OFFSET 0 ROWS FETCH NEXT 32 ROWS ONLY;
-- find by business key, version IS NULL
SELECT p.id, p.payload, p.process_id, p.version, p.process_version, p.payload_codec FROM process_instances p JOIN business_key_mapping b ON b.process_instance_id = p.id WHERE p.process_id = @p1 AND p.process_version IS NULL AND b.business_key IN (@p2, @p3);
-- waiting for event type (page), version IS NULL
SELECT p.id, p.payload, p.process_id, p.version, p.process_version, p.payload_codec FROM process_instances p JOIN event_types e ON e.process_instance_id = p.id WHERE p.process_id = @p1 AND p.process_version IS NULL AND e.event_type = @p2 AND p.id > @p3 ORDER BY p.id OFFSET 0 ROWS FETCH NEXT 32 ROWS ONLY;
-- migrate all, version IS NULL
UPDATE process_instances SET process_id = @p1, process_version = @p2 WHERE process_id = @p3 AND process_version IS NULL;
-- migrate 2 ids, version IS NULL
UPDATE process_instances SET process_id = @p1, process_version = @p2 WHERE process_id = @p3 AND process_version IS NULL AND id IN (@p4, @p5);
-- limit: process_id, process_version: value too long: process_id is 5000 UTF-16 code units, at most 450 fit (NVARCHAR(450), the longest key an index takes)
-- limit: stored payload: at most 2147483647 bytes (process_instances.payload on this dialect)
