SELECT s.* FROM subscriptions AS s
WHERE (s.customer_id = 'cust') AND (s.status = 'active') AND (EXISTS (SELECT 1 FROM subscriptions_search AS ss
WHERE ss.subscription_id = s.subscription_id AND ss.tsv LIKE '%fiber%' ESCAPE '!')) AND (EXISTS (SELECT 1 FROM subscriptions_search AS ss
WHERE ss.subscription_id = s.subscription_id AND ss.tsv LIKE '%10!%%' ESCAPE '!')) ORDER BY s.description, s.subscription_id LIMIT 5;
