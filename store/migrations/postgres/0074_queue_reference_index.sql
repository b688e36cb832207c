-- queue: the dashboard's index of one reference's elements (0071) covers
-- elements with a reference only. OpenOrchestrator's reference is optional,
-- and every status change of a row without one (a claim, a finish) wrote
-- an entry for it in this index all the same: one of the four indexes a
-- claim writes on PostgreSQL, where no status change is a heap-only update.
-- The reads it serves compare reference with = (the dashboard's elements
-- of one reference, List and claims by reference), which the planner takes
-- as implying reference IS NOT NULL.
DROP INDEX "ix_Queues_reference_created_date_id";
CREATE INDEX "ix_Queues_reference_created_date_id" ON "Queues" ("reference", "created_date", "id") WHERE "reference" IS NOT NULL;
