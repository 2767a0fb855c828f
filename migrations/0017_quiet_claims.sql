-- The runner protocol's claim and finish without a NOTIFY of their own (docs/architecture.md,
-- "Caches and change notifications"). PostgreSQL serialises the commits of every transaction that
-- notifies (one lock on the notification queue, held through the commit's WAL flush), so a
-- notification per claim and per finish capped the whole queue at one commit at a time. A
-- transaction that sets mlgate.quiet_changes to 'on' (set_config(..., true): that transaction
-- only) sends no gate notification from these triggers; the server that made it sends the
-- repositories' 'gate:<id>' topics itself right after, several transactions' at once.
CREATE OR REPLACE FUNCTION mlgate_notify_gate_of_repo() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF coalesce(current_setting('mlgate.quiet_changes', true), '') <> 'on' THEN
    PERFORM pg_notify('mlgate_changes', 'gate:' || COALESCE(NEW.repo_id, OLD.repo_id));
  END IF;
  RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION mlgate_notify_gate_of_pipeline() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  repo bigint;
BEGIN
  IF coalesce(current_setting('mlgate.quiet_changes', true), '') = 'on' THEN
    RETURN NULL;
  END IF;
  SELECT p.repo_id INTO repo FROM pipelines p
    WHERE p.id = COALESCE(NEW.pipeline_id, OLD.pipeline_id);
  IF repo IS NULL THEN
    PERFORM pg_notify('mlgate_changes', 'gate:*');
  ELSE
    PERFORM pg_notify('mlgate_changes', 'gate:' || repo);
  END IF;
  RETURN NULL;
END $$;

-- Runner rows are kept in memory to authenticate protocol calls: a change of what that reads
-- (a runner added, removed, disabled or enabled, its credential, tiers or executor) notifies
-- 'runners'. Marking a runner seen (last_seen_at) notifies nobody.
CREATE TRIGGER runners_notify
  AFTER INSERT OR DELETE OR TRUNCATE
     OR UPDATE OF name, token_hash, tiers, capacity, executor, version, disabled_at ON runners
  FOR EACH STATEMENT EXECUTE FUNCTION mlgate_notify_topic('runners');
