-- log insert (2 rows)
INSERT INTO "Logs" (id, log_time, log_level, process_name, log_message) VALUES ($1,$2,$3,$4,$5),($6,$7,$8,$9,$10)

-- log prune
DELETE FROM "Logs" WHERE log_time < $1

-- log query (all filters, page 3)
SELECT "log_entry"."id", "log_entry"."log_time", "log_entry"."log_level", "log_entry"."process_name", "log_entry"."log_message" FROM "Logs" AS "log_entry" WHERE (log_time >= '2026-01-02 04:04:05.123456') AND (log_time <= '2026-01-02 05:04:05.123456') AND (process_name = 'robot') AND (log_level = 'ERROR') AND (log_message LIKE '%50!%!_![x]!!%' ESCAPE '!') ORDER BY log_time DESC, id DESC LIMIT 100 OFFSET 200

-- log keyset page (after a row of 04:04:05.123456 local time)
SELECT "log_entry"."id", "log_entry"."log_time", "log_entry"."log_level", "log_entry"."process_name", "log_entry"."log_message" FROM "Logs" AS "log_entry" WHERE (log_time <= '2026-01-02 04:04:05.123456') AND ((log_time < '2026-01-02 04:04:05.123456' OR id < '01890a5d-ac96-774b-bcce-b302099a8057')) ORDER BY log_time DESC, id DESC LIMIT 1000

