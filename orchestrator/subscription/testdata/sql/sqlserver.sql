SELECT s.* FROM subscriptions AS s
WHERE (s.customer_id = N'cust') AND (s.status = N'active') AND (EXISTS (SELECT 1 FROM subscriptions_search AS ss
WHERE ss.subscription_id = s.subscription_id AND ss.tsv LIKE N'%fiber%' ESCAPE '!')) AND (EXISTS (SELECT 1 FROM subscriptions_search AS ss
WHERE ss.subscription_id = s.subscription_id AND ss.tsv LIKE N'%10!%%' ESCAPE '!')) ORDER BY s.description, s.subscription_id OFFSET 0 ROWS FETCH NEXT 5 ROWS ONLY;

-- AllSubscriptions: the page after the last row of the previous one
SELECT s.* FROM subscriptions AS s
WHERE (s.customer_id = N'cust') AND ((s.description > N'Fiber Amsterdam' OR (s.description = N'Fiber Amsterdam' AND s.subscription_id > N'00000000-0000-0000-0000-000000000001'))) ORDER BY s.description, s.subscription_id OFFSET 0 ROWS FETCH NEXT 100 ROWS ONLY;

-- Search where subscriptions_search is WFO's materialized view: '-' as '_'
SELECT s.* FROM subscriptions AS s
WHERE (EXISTS (SELECT 1 FROM subscriptions_search AS ss
WHERE ss.subscription_id = s.subscription_id AND ss.tsv LIKE N'%acme!_corp%' ESCAPE '!')) ORDER BY s.description, s.subscription_id OFFSET 0 ROWS FETCH NEXT 5 ROWS ONLY;

-- Save: instances outside the tree a relation depends on
SELECT "instance"."subscription_instance_id", "instance"."subscription_id", "instance"."product_block_id", "instance"."label" FROM "subscription_instances" AS "instance" WHERE (subscription_instance_id IN (N'00000000-0000-0000-0000-000000000002', N'00000000-0000-0000-0000-000000000003')) AND (subscription_id <> N'00000000-0000-0000-0000-000000000001');

-- Save: other subscriptions' relations to removed instances
SELECT r.depends_on_id, i.subscription_id FROM subscription_instance_relations AS r JOIN subscription_instances AS i ON i.subscription_instance_id = r.in_use_by_id WHERE (r.depends_on_id IN (N'00000000-0000-0000-0000-000000000002', N'00000000-0000-0000-0000-000000000003'));
