-- Production monitoring's storage (docs/monitoring.md): the reference profile a tier wrote
-- (reference.jsonl), serving observations as per-window partial profiles, a bounded sample of
-- their predictions for late truth, the batch ids that make intake idempotent, and the `observe`
-- token scope.

ALTER TABLE api_tokens DROP CONSTRAINT api_tokens_scopes_check;
ALTER TABLE api_tokens ADD CONSTRAINT api_tokens_scopes_check CHECK (cardinality(scopes) > 0 AND
  scopes <@ ARRAY['read', 'deploy', 'admin', 'runner-register', 'observe']::text[]);

-- One profile per job that uploaded reference.jsonl; the commit's reference is its newest.
CREATE TABLE reference_profiles (
  job_id      bigint PRIMARY KEY REFERENCES jobs (id) ON DELETE CASCADE,
  repo_id     bigint NOT NULL REFERENCES repos (id) ON DELETE CASCADE,
  sha         text NOT NULL,
  tier        text NOT NULL,
  rows        bigint NOT NULL,
  profile     jsonb NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX reference_profiles_commit ON reference_profiles (repo_id, sha, created_at DESC);

-- A batch id seen once per (repo, environment, kind): a retried batch is answered again and
-- counted once.
CREATE TABLE observation_batches (
  repo_id      bigint NOT NULL REFERENCES repos (id) ON DELETE CASCADE,
  environment  text NOT NULL,
  kind         text NOT NULL CHECK (kind IN ('rows', 'truth')),
  batch_id     text NOT NULL,
  rows         integer NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (repo_id, environment, kind, batch_id)
);
CREATE INDEX observation_batches_age ON observation_batches (created_at);

-- Append-only partial profiles: one row per (window, sha) per batch; compaction merges a
-- window's partials into one row. sha '' holds rows no deployment explains.
CREATE TABLE observation_partials (
  id            bigserial PRIMARY KEY,
  repo_id       bigint NOT NULL REFERENCES repos (id) ON DELETE CASCADE,
  environment   text NOT NULL,
  sha           text NOT NULL,
  window_start  timestamptz NOT NULL,
  rows          bigint NOT NULL,
  profile       jsonb NOT NULL,
  compacted     boolean NOT NULL DEFAULT false
);
CREATE INDEX observation_partials_window
  ON observation_partials (repo_id, environment, window_start, sha);

-- A bounded sample of rows per window (id, prediction) that late truth joins by id.
CREATE TABLE observation_samples (
  repo_id       bigint NOT NULL REFERENCES repos (id) ON DELETE CASCADE,
  environment   text NOT NULL,
  row_id        text NOT NULL,
  window_start  timestamptz NOT NULL,
  ts            timestamptz NOT NULL,
  sha           text NOT NULL,
  prediction    jsonb NOT NULL,
  truth         jsonb,
  PRIMARY KEY (repo_id, environment, row_id)
);
CREATE INDEX observation_samples_window ON observation_samples (repo_id, environment, window_start);
