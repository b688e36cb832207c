-- correlation insert
INSERT INTO correlation_instances (id, encoded_correlation_id, correlated_id, correlation) VALUES (?, ?, ?, ?);
-- correlation by encoded id
SELECT id, encoded_correlation_id, correlated_id, correlation FROM correlation_instances WHERE encoded_correlation_id = ?;
-- correlation by correlated id
SELECT id, encoded_correlation_id, correlated_id, correlation FROM correlation_instances WHERE correlated_id = ?;
-- correlation delete
DELETE FROM correlation_instances WHERE encoded_correlation_id = ?;
