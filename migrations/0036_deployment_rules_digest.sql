-- The gate's cache key names the rules the deployed commit's deploy row recorded by their MD5
-- (store::deployment_state, top_rules_digest), so that an answer that used them is stale once they
-- are edited, even by hand. The state is a walk over every deployment row of the environment, and
-- the digest was computed in that query for every row: each gate check that missed the decision
-- cache in memory converted and hashed every deploy row's rules (kilobytes each) ever recorded for
-- the environment, so its cost grew with the deployment history. Stored, the digest is computed
-- once per row, and again by PostgreSQL whenever gate_rules changes, by any statement.
ALTER TABLE deployments
  ADD COLUMN gate_rules_md5 text NOT NULL
  GENERATED ALWAYS AS (md5(coalesce(gate_rules::text, ''))) STORED;
