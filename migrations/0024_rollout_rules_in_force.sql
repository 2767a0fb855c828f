-- Staged rollouts under the rules in force (docs/rollouts.md, "The rules in force"): a rollout
-- runs the stable commit's stages and is judged by the stable commit's analysis as well as the
-- candidate's. From now on `config` is the configuration the rollout runs (core/rollout_in_force.h:
-- rollout_in_force); `candidate_config` is the candidate's own `rollouts:` entry and
-- `deployed_config` the stable commit's (NULL: the stable commit has none, the candidate's entry
-- alone applies), both as they were when the rollout started, so a later push changes nothing
-- under way. Rollouts started before have neither: `config` was the candidate's entry alone.
ALTER TABLE rollouts
  ADD COLUMN candidate_config jsonb,
  ADD COLUMN deployed_config  jsonb;
