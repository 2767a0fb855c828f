-- The gate rules in force (docs/gate.md, "The rules in force"): a candidate is judged by its own
-- rules and by those of the commit deployed to the environment. Each deploy row keeps the rules
-- the deployed commit brought for its environment (its gate section and rubric mapping, as JSON),
-- recorded when it was deployed, so that they are known even when the repository's mirror no
-- longer has the commit. A rollback row has none: the rules in force are the restored deploy
-- row's. Rows deployed before this migration have none either; their rules are read from the
-- mirror, and when that fails the gate denies until a forced deployment records new ones.
ALTER TABLE deployments
  ADD COLUMN gate_rules jsonb,
  ADD CONSTRAINT deployments_gate_rules_object
    CHECK (gate_rules IS NULL OR (kind = 'deploy' AND jsonb_typeof(gate_rules) = 'object'));
