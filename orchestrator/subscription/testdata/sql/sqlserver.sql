SELECT s.* FROM subscriptions AS s
WHERE (s.customer_id = N'cust') AND (s.status = N'active') AND (EXISTS (SELECT 1 FROM subscriptions_search AS ss
WHERE ss.subscription_id = s.subscription_id AND ss.tsv LIKE N'%fiber%' ESCAPE '!')) AND (EXISTS (SELECT 1 FROM subscriptions_search AS ss
WHERE ss.subscription_id = s.subscription_id AND ss.tsv LIKE N'%10!%%' ESCAPE '!')) ORDER BY s.description, s.subscription_id OFFSET 0 ROWS FETCH NEXT 5 ROWS ONLY;
