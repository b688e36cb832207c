SELECT s.* FROM subscriptions AS s
WHERE (s.customer_id = 'cust') AND (s.status = 'active') AND (EXISTS (SELECT 1 FROM subscriptions_search AS ss
WHERE ss.subscription_id = s.subscription_id AND ss.tsv @@ plainto_tsquery('simple', 'fiber 10%'))) ORDER BY s.description, s.subscription_id LIMIT 5;

-- AllSubscriptions: the page after the last row of the previous one
SELECT s.* FROM subscriptions AS s
WHERE (s.customer_id = 'cust') AND ((s.description > 'Fiber Amsterdam' OR (s.description = 'Fiber Amsterdam' AND s.subscription_id > '00000000-0000-0000-0000-000000000001'))) ORDER BY s.description, s.subscription_id LIMIT 100;

-- Search where subscriptions_search is WFO's materialized view: '-' as '_'
SELECT s.* FROM subscriptions AS s
WHERE (EXISTS (SELECT 1 FROM subscriptions_search AS ss
WHERE ss.subscription_id = s.subscription_id AND ss.tsv @@ plainto_tsquery('simple', 'acme_corp'))) ORDER BY s.description, s.subscription_id LIMIT 5;

-- Save: instances outside the tree a relation depends on
SELECT "instance"."subscription_instance_id", "instance"."subscription_id", "instance"."product_block_id", "instance"."label" FROM "subscription_instances" AS "instance" WHERE (subscription_instance_id IN ('00000000-0000-0000-0000-000000000002', '00000000-0000-0000-0000-000000000003')) AND (subscription_id <> '00000000-0000-0000-0000-000000000001');

-- Save: other subscriptions' relations to removed instances
SELECT r.depends_on_id, i.subscription_id FROM subscription_instance_relations AS r JOIN subscription_instances AS i ON i.subscription_instance_id = r.in_use_by_id WHERE (r.depends_on_id IN ('00000000-0000-0000-0000-000000000002', '00000000-0000-0000-0000-000000000003'));
