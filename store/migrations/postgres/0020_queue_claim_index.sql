-- queue: claims take the oldest claimable element of a queue, ordered by
-- (created_date, id) so that elements enqueued in one batch (one created_date)
-- come out in their order. This index covers that order exactly, so a claim
-- reads the first rows of the index instead of sorting the queue; it replaces
-- the reference schema's (queue_name, status, created_date) index, whose
-- every use it also serves.
CREATE INDEX "ix_Queues_queue_name_status_created_date_id" ON "Queues" ("queue_name", "status", "created_date", "id");
DROP INDEX "ix_Queues_queue_name_status_created_date";
