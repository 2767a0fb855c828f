-- Staged rollouts (docs/rollouts.md, "On the server"): a candidate commit moving into an
-- environment stage by stage while stable keeps serving, judged every analysis interval.
-- `config` is the candidate's `rollouts:` entry for the environment as it was when the rollout
-- started (core/rollout_state.h: rollout_config_json); `gate_rules` the candidate's gate rules for
-- the environment (what its deployment records on completion). At most one rollout of an environment is
-- running or paused at a time.
CREATE TABLE rollouts (
  id               bigserial PRIMARY KEY,
  repo_id          bigint NOT NULL REFERENCES repos (id) ON DELETE CASCADE,
  environment      text NOT NULL,
  candidate_sha    text NOT NULL,
  stable_sha       text NOT NULL,
  config           jsonb NOT NULL,
  state            text NOT NULL
                   CHECK (state IN ('running', 'paused', 'completed', 'rolled_back', 'aborted')),
  stage            integer NOT NULL DEFAULT 0 CHECK (stage >= 0),
  stage_started_at timestamptz NOT NULL DEFAULT now(),
  last_judged_at   timestamptz,
  actor            text NOT NULL,
  gate_decision_id bigint REFERENCES gate_decisions (id) ON DELETE SET NULL,
  gate_rules       text NOT NULL DEFAULT '',  -- the candidate's gate rules, recorded on completion
  deployment_id    bigint REFERENCES deployments (id) ON DELETE SET NULL,
  created_at       timestamptz NOT NULL DEFAULT now(),
  finished_at      timestamptz
);
CREATE UNIQUE INDEX rollouts_one_active ON rollouts (repo_id, environment)
  WHERE state IN ('running', 'paused');
CREATE INDEX rollouts_by_environment ON rollouts (repo_id, environment, id DESC);

-- A rollout's history: every judgement (decision, score, the judge's evidence) and every
-- transition (who, why), in order.
CREATE TABLE rollout_events (
  id          bigserial PRIMARY KEY,
  rollout_id  bigint NOT NULL REFERENCES rollouts (id) ON DELETE CASCADE,
  at          timestamptz NOT NULL DEFAULT now(),
  stage       integer NOT NULL,
  kind        text NOT NULL CHECK (kind IN ('judgement', 'transition')),
  decision    text NOT NULL,
  score       double precision,
  state       text NOT NULL
              CHECK (state IN ('running', 'paused', 'completed', 'rolled_back', 'aborted')),
  actor       text NOT NULL,
  reason      text NOT NULL,
  evidence    jsonb
);
CREATE INDEX rollout_events_by_rollout ON rollout_events (rollout_id, id);

-- The observations the judge compares: per (rollout, stage, side) at most
-- core::kRolloutSamplesPerSide rows, each with its metric values and its answer (shadow stages).
CREATE TABLE rollout_samples (
  rollout_id  bigint NOT NULL REFERENCES rollouts (id) ON DELETE CASCADE,
  stage       integer NOT NULL,
  side        text NOT NULL CHECK (side IN ('candidate', 'stable')),
  obs_id      text NOT NULL,
  metrics     jsonb NOT NULL,
  label       text,
  score       double precision,
  PRIMARY KEY (rollout_id, stage, side, obs_id)
);
