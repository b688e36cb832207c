SELECT s.* FROM subscriptions AS s
WHERE (s.customer_id = 'cust') AND (s.status = 'active') AND (EXISTS (SELECT 1 FROM subscriptions_search AS ss
WHERE ss.subscription_id = s.subscription_id AND ss.tsv @@ plainto_tsquery('simple', 'fiber 10%'))) ORDER BY s.description, s.subscription_id LIMIT 5;
