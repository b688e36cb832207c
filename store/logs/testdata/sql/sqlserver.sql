-- log insert (2 rows)
INSERT INTO "Logs" (id, log_time, log_level, process_name, log_message) VALUES (@p1,@p2,@p3,@p4,@p5),(@p6,@p7,@p8,@p9,@p10)

-- log prune
DELETE FROM "Logs" WHERE log_time < @p1

-- log query (all filters, page 3)
SELECT "log_entry"."id", "log_entry"."log_time", "log_entry"."log_level", "log_entry"."process_name", "log_entry"."log_message" FROM "Logs" AS "log_entry" WHERE (log_time >= N'2026-01-02 04:04:05.123456') AND (log_time <= N'2026-01-02 05:04:05.123456') AND (process_name = N'robot') AND (log_level = N'ERROR') AND (log_message LIKE N'%50!%!_![x]!!%' ESCAPE '!') ORDER BY log_time DESC, id DESC OFFSET 200 ROWS FETCH NEXT 100 ROWS ONLY

-- log keyset page (after a row of 04:04:05.123456 local time)
SELECT "log_entry"."id", "log_entry"."log_time", "log_entry"."log_level", "log_entry"."process_name", "log_entry"."log_message" FROM "Logs" AS "log_entry" WHERE (log_time <= N'2026-01-02 04:04:05.123456') AND ((log_time < N'2026-01-02 04:04:05.123456' OR id < N'01890a5d-ac96-774b-bcce-b302099a8057')) ORDER BY log_time DESC, id DESC OFFSET 0 ROWS FETCH NEXT 1000 ROWS ONLY

