-- queue: the dashboard's index of one reference's elements (0071) covers
-- elements with a reference only, as on the other dialects. On PostgreSQL
-- that spares every claim and finish of an element without a reference an
-- index entry; SQLite rewrites only the indexes of the columns an UPDATE
-- changes, so here it spares the entry an enqueue wrote. The reads it
-- serves compare reference with = (the dashboard's elements of one
-- reference, List and claims by reference), which SQLite takes as implying
-- reference IS NOT NULL.
DROP INDEX "ix_Queues_reference_created_date_id";
CREATE INDEX "ix_Queues_reference_created_date_id" ON "Queues" ("reference", "created_date", "id") WHERE "reference" IS NOT NULL;
