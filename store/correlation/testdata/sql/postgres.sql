-- correlation insert
INSERT INTO correlation_instances (id, encoded_correlation_id, correlated_id, correlation) VALUES ($1, $2, $3, $4);
-- correlation by encoded id
SELECT id, encoded_correlation_id, correlated_id, correlation FROM correlation_instances WHERE encoded_correlation_id = $1;
-- correlation by correlated id
SELECT id, encoded_correlation_id, correlated_id, correlation FROM correlation_instances WHERE correlated_id = $1;
-- correlation delete
DELETE FROM correlation_instances WHERE encoded_correlation_id = $1;
