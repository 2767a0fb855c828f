-- Production monitors at work (docs/monitoring.md, "Alerts, retraining and status"): each
-- environment's monitor state (ok, alerting, no_data) as of its last evaluation, the history of
-- evaluations with their evidence, the retraining it fired at most once per retrain_every, and
-- pipelines started by a monitor (trigger `monitor`).
ALTER TABLE pipelines DROP CONSTRAINT pipelines_trigger_check;
ALTER TABLE pipelines ADD CONSTRAINT pipelines_trigger_check
  CHECK (trigger IN ('push', 'tag', 'pull_request', 'schedule', 'manual', 'monitor'));

-- One row per (repo, environment) once its monitor was evaluated. `kinds` are the checks the
-- monitor has (drift, skew, prediction_drift, missing, quality, staleness), `alerting_kinds` those
-- that alerted; `evidence` is the evaluation's findings. `transitions` counts changes of state.
CREATE TABLE monitor_states (
  repo_id            bigint NOT NULL REFERENCES repos (id) ON DELETE CASCADE,
  environment        text NOT NULL,
  state              text NOT NULL CHECK (state IN ('ok', 'alerting', 'no_data')),
  since              timestamptz NOT NULL,
  evaluated_at       timestamptz NOT NULL,
  sha                text NOT NULL,
  transitions        bigint NOT NULL DEFAULT 0 CHECK (transitions >= 0),
  kinds              text[] NOT NULL DEFAULT '{}',
  alerting_kinds     text[] NOT NULL DEFAULT '{}',
  evidence           jsonb NOT NULL,
  last_retrain_at    timestamptz,
  retrain_pipeline_id bigint REFERENCES pipelines (id) ON DELETE SET NULL,
  PRIMARY KEY (repo_id, environment),
  CHECK (alerting_kinds <@ kinds),
  CHECK (state = 'alerting' OR cardinality(alerting_kinds) = 0)
);

-- Every evaluation; `changed` marks those that changed the state (the alert history). Retention
-- deletes the unchanged ones past the pipelines' retention.
CREATE TABLE monitor_evaluations (
  id              bigserial PRIMARY KEY,
  repo_id         bigint NOT NULL REFERENCES repos (id) ON DELETE CASCADE,
  environment     text NOT NULL,
  sha             text NOT NULL,
  state           text NOT NULL CHECK (state IN ('ok', 'alerting', 'no_data')),
  previous_state  text CHECK (previous_state IN ('ok', 'alerting', 'no_data')),
  changed         boolean NOT NULL,
  transition      bigint NOT NULL,
  kinds           text[] NOT NULL DEFAULT '{}',
  alerting_kinds  text[] NOT NULL DEFAULT '{}',
  evidence        jsonb NOT NULL,
  evaluated_at    timestamptz NOT NULL
);
CREATE INDEX monitor_evaluations_env ON monitor_evaluations (repo_id, environment, evaluated_at DESC);
CREATE INDEX monitor_evaluations_age ON monitor_evaluations (evaluated_at) WHERE NOT changed;
