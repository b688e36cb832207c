-- queue: the dashboard's index of one reference's elements (0071) covers
-- elements with a reference only. OpenOrchestrator's reference is optional,
-- and every status change of a row without one (a claim, a finish) wrote
-- an entry for it in this index all the same. The reads it serves compare
-- reference with = (the dashboard's elements of one reference, List and
-- claims by reference). An equality with a parameter never matches NULL,
-- and the optimizer uses an IS NOT NULL filtered index for it (unlike
-- filters on other values, which a parameterized plan cannot rely on).
DROP INDEX "ix_Queues_reference_created_date_id" ON "Queues";
CREATE INDEX "ix_Queues_reference_created_date_id" ON "Queues" ("reference", "created_date", "id") WHERE "reference" IS NOT NULL;
