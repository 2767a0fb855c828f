-- Truth attached later reaches the rollout judge, and the routing answer is cached
-- (docs/rollouts.md, "Observations for the judge" and "Routing").

-- A sample's `accuracy` is derived from its label and the row's truth unless the row carried its
-- own accuracy metric: truth attached later (…/observations/truth) sets the derived one and leaves
-- a row's own alone. Samples kept before this migration that hold an accuracy keep it.
ALTER TABLE rollout_samples ADD COLUMN own_accuracy boolean NOT NULL DEFAULT false;
UPDATE rollout_samples SET own_accuracy = true WHERE metrics ? 'accuracy';

-- 'routing:<repo id>': what GET …/environments/{env}/routing answers for that repository may
-- differ — a rollout started, moved or ended, or a deployment recorded. Judging a rollout
-- (last_judged_at) notifies nobody.
CREATE FUNCTION mlgate_notify_routing_of_repo() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('mlgate_changes', 'routing:' || COALESCE(NEW.repo_id, OLD.repo_id));
  RETURN NULL;
END $$;

CREATE TRIGGER rollouts_notify_routing
  AFTER INSERT OR DELETE
     OR UPDATE OF repo_id, environment, candidate_sha, stable_sha, config, state, stage ON rollouts
  FOR EACH ROW EXECUTE FUNCTION mlgate_notify_routing_of_repo();

CREATE TRIGGER deployments_notify_routing
  AFTER INSERT OR UPDATE OR DELETE ON deployments
  FOR EACH ROW EXECUTE FUNCTION mlgate_notify_routing_of_repo();
