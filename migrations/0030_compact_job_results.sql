-- A finished job's results as the gate reads them (docs/results.md, "Compact results"): beside the
-- rows of test_cases, metrics and predictions, each kind of a job's results as one document of
-- compact bytes (core/results_binary.h), written with the rows in the transaction that stores them.
-- Measured under `scripts/bench gate`, reading a new candidate's 3,000 prediction rows (with their
-- jsonb slices and scores as text) and 200 test cases was the largest part of an uncached gate
-- decision in serve and in PostgreSQL. A NULL document (and a job without a row: every job stored
-- before this migration) means "read the rows"; an empty kind is a document with no items.
CREATE TABLE job_results_compact (
  job_id      bigint PRIMARY KEY REFERENCES jobs (id) ON DELETE CASCADE,
  tests       bytea,
  metrics     bytea,
  predictions bytea
);
-- Ids and labels compress; lz4 reads back several times faster than pglz.
ALTER TABLE job_results_compact ALTER COLUMN tests SET COMPRESSION lz4;
ALTER TABLE job_results_compact ALTER COLUMN metrics SET COMPRESSION lz4;
ALTER TABLE job_results_compact ALTER COLUMN predictions SET COMPRESSION lz4;

-- A document says what the rows say, or nothing: whatever deletes a job's rows of a kind (a
-- replaced upload, retention dropping old predictions, a hand-run DELETE) forgets that kind's
-- document too, so that readers fall back to the rows. The store writes the document again after
-- it has replaced the rows.
CREATE FUNCTION mlgate_forget_compact_results() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_TABLE_NAME = 'test_cases' THEN
    UPDATE job_results_compact c SET tests = NULL
      WHERE c.tests IS NOT NULL AND c.job_id IN (SELECT job_id FROM deleted_rows);
  ELSIF TG_TABLE_NAME = 'metrics' THEN
    UPDATE job_results_compact c SET metrics = NULL
      WHERE c.metrics IS NOT NULL AND c.job_id IN (SELECT job_id FROM deleted_rows);
  ELSE
    UPDATE job_results_compact c SET predictions = NULL
      WHERE c.predictions IS NOT NULL AND c.job_id IN (SELECT job_id FROM deleted_rows);
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER test_cases_forget_compact AFTER DELETE ON test_cases
  REFERENCING OLD TABLE AS deleted_rows
  FOR EACH STATEMENT EXECUTE FUNCTION mlgate_forget_compact_results();
CREATE TRIGGER metrics_forget_compact AFTER DELETE ON metrics
  REFERENCING OLD TABLE AS deleted_rows
  FOR EACH STATEMENT EXECUTE FUNCTION mlgate_forget_compact_results();
CREATE TRIGGER predictions_forget_compact AFTER DELETE ON predictions
  REFERENCING OLD TABLE AS deleted_rows
  FOR EACH STATEMENT EXECUTE FUNCTION mlgate_forget_compact_results();

-- Every uncached gate decision stores its checks and inputs (about 15 kB of jsonb), which
-- PostgreSQL compressed with pglz on each insert (it showed in PostgreSQL's profile under
-- `scripts/bench gate`): lz4 instead, as for webhook bodies (0028). Rows already stored stay as they
-- are; both read the same.
ALTER TABLE gate_decisions ALTER COLUMN checks SET COMPRESSION lz4;
ALTER TABLE gate_decisions ALTER COLUMN inputs SET COMPRESSION lz4;
