-- Change notifications for the in-memory caches of every replica (docs/architecture.md, "Caches
-- and change notifications"): a committed change that can alter a cached answer sends a NOTIFY on
-- the channel mlgate_changes, whatever process made it (any replica, the CLI, an operator's SQL).
-- Payloads: 'gate:<repo id>' (what the gate decides for that repository's commits may differ),
-- 'gate:*' (for every repository), 'tokens' (an API token was added, revoked, expired or changed),
-- 'repos' (a repository row changed). PostgreSQL sends one notification per distinct payload per
-- transaction, so a statement touching many rows of one repository sends one.
-- Only the columns a cached answer reads fire: a heartbeat (jobs.lease_expires_at), a log append
-- (jobs.log_bytes) and a token's last use (api_tokens.last_used_at) notify nobody.

CREATE FUNCTION mlgate_notify_gate_of_repo() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('mlgate_changes', 'gate:' || COALESCE(NEW.repo_id, OLD.repo_id));
  RETURN NULL;
END $$;

-- jobs and state_changes name their pipeline, not the repository.
CREATE FUNCTION mlgate_notify_gate_of_pipeline() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  repo bigint;
BEGIN
  SELECT p.repo_id INTO repo FROM pipelines p
    WHERE p.id = COALESCE(NEW.pipeline_id, OLD.pipeline_id);
  IF repo IS NULL THEN
    PERFORM pg_notify('mlgate_changes', 'gate:*');
  ELSE
    PERFORM pg_notify('mlgate_changes', 'gate:' || repo);
  END IF;
  RETURN NULL;
END $$;

CREATE FUNCTION mlgate_notify_topic() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('mlgate_changes', TG_ARGV[0]);
  RETURN NULL;
END $$;

CREATE TRIGGER pipelines_notify_gate
  AFTER INSERT OR DELETE OR UPDATE OF state ON pipelines
  FOR EACH ROW EXECUTE FUNCTION mlgate_notify_gate_of_repo();

-- A result upload updates jobs.results_files in the transaction that stores the results, so the
-- result tables need no row trigger of their own.
CREATE TRIGGER jobs_notify_gate
  AFTER INSERT OR DELETE OR UPDATE OF state, attempt, results_files ON jobs
  FOR EACH ROW EXECUTE FUNCTION mlgate_notify_gate_of_pipeline();

CREATE TRIGGER state_changes_notify_gate
  AFTER INSERT ON state_changes
  FOR EACH ROW EXECUTE FUNCTION mlgate_notify_gate_of_pipeline();

CREATE TRIGGER deployments_notify_gate
  AFTER INSERT OR UPDATE OR DELETE ON deployments
  FOR EACH ROW EXECUTE FUNCTION mlgate_notify_gate_of_repo();

-- Results are deleted in bulk (retention, a replaced upload): one notification for every
-- repository, sent only when rows were deleted.
CREATE FUNCTION mlgate_notify_deleted_results() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM deleted_rows) THEN
    PERFORM pg_notify('mlgate_changes', 'gate:*');
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER metrics_notify_gate AFTER DELETE ON metrics
  REFERENCING OLD TABLE AS deleted_rows
  FOR EACH STATEMENT EXECUTE FUNCTION mlgate_notify_deleted_results();
CREATE TRIGGER test_cases_notify_gate AFTER DELETE ON test_cases
  REFERENCING OLD TABLE AS deleted_rows
  FOR EACH STATEMENT EXECUTE FUNCTION mlgate_notify_deleted_results();
CREATE TRIGGER predictions_notify_gate AFTER DELETE ON predictions
  REFERENCING OLD TABLE AS deleted_rows
  FOR EACH STATEMENT EXECUTE FUNCTION mlgate_notify_deleted_results();

CREATE TRIGGER api_tokens_notify
  AFTER INSERT OR DELETE OR TRUNCATE
     OR UPDATE OF name, token_hash, scopes, repo_id, expires_at, revoked_at ON api_tokens
  FOR EACH STATEMENT EXECUTE FUNCTION mlgate_notify_topic('tokens');

CREATE TRIGGER repos_notify
  AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON repos
  FOR EACH STATEMENT EXECUTE FUNCTION mlgate_notify_topic('repos');
