-- mlgate schema, version 1: the whole design (DESIGN.md). Constraints make invalid states
-- unrepresentable: states are CHECKed, rows reference their parents, and the keys that make
-- webhook intake and scheduling exactly-once are UNIQUE.

CREATE TABLE repos (
  id               bigserial PRIMARY KEY,
  forge            text NOT NULL CHECK (forge IN ('github', 'gitlab')),
  full_name        text NOT NULL CHECK (full_name ~ '^[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)+$'),
  forge_project_id text,                          -- GitHub repository id / GitLab project id
  clone_url        text NOT NULL CHECK (clone_url <> ''),
  default_branch   text NOT NULL DEFAULT 'main',
  webhook_secret   text NOT NULL CHECK (length(webhook_secret) >= 8),
  forge_token      text,                          -- never returned by any API or page
  api_base_url     text,                          -- GitHub Enterprise / self-hosted GitLab
  created_at       timestamptz NOT NULL DEFAULT now()
);
-- Forges treat repository names case-insensitively.
CREATE UNIQUE INDEX repos_forge_name ON repos (forge, lower(full_name));

CREATE TABLE runners (
  id            bigserial PRIMARY KEY,
  name          text NOT NULL,
  token_hash    text NOT NULL UNIQUE,
  tiers         text[] NOT NULL DEFAULT '{functionality,validation,training}',
  capacity      integer NOT NULL DEFAULT 1 CHECK (capacity BETWEEN 1 AND 256),
  executor      text NOT NULL CHECK (executor IN ('docker', 'local')),
  version       text,
  registered_at timestamptz NOT NULL DEFAULT now(),
  last_seen_at  timestamptz NOT NULL DEFAULT now(),
  disabled_at   timestamptz
);

CREATE TABLE api_tokens (
  id           bigserial PRIMARY KEY,
  name         text NOT NULL,
  token_hash   text NOT NULL UNIQUE,             -- sha256 of the token; the token itself is never stored
  scopes       text[] NOT NULL CHECK (cardinality(scopes) > 0 AND
                 scopes <@ ARRAY['read', 'deploy', 'admin', 'runner-register']::text[]),
  repo_id      bigint REFERENCES repos (id) ON DELETE CASCADE,  -- NULL: every repo
  created_at   timestamptz NOT NULL DEFAULT now(),
  last_used_at timestamptz,
  expires_at   timestamptz,
  revoked_at   timestamptz
);

CREATE TABLE webhook_deliveries (
  id           bigserial PRIMARY KEY,
  repo_id      bigint REFERENCES repos (id) ON DELETE CASCADE,  -- NULL when the repo is unknown
  forge        text NOT NULL CHECK (forge IN ('github', 'gitlab')),
  delivery_id  text NOT NULL CHECK (delivery_id <> ''),
  event        text NOT NULL DEFAULT '',
  headers      jsonb NOT NULL DEFAULT '{}',
  body         bytea NOT NULL,
  verdict      text NOT NULL CHECK (verdict IN ('accepted', 'duplicate', 'rejected', 'ignored', 'invalid')),
  http_status  integer NOT NULL CHECK (http_status BETWEEN 100 AND 599),
  reason       text NOT NULL DEFAULT '',
  received_at  timestamptz NOT NULL DEFAULT now(),
  answered_ms  double precision,
  spooled      boolean NOT NULL DEFAULT false,  -- arrived while PostgreSQL was down
  plan_state   text NOT NULL DEFAULT 'none' CHECK (plan_state IN ('none', 'pending', 'planned', 'failed')),
  planned_at   timestamptz,
  plan_error   text,
  replay_of    bigint REFERENCES webhook_deliveries (id) ON DELETE SET NULL
);
-- Exactly once: one accepted delivery per repo and delivery id. Rejected, ignored and duplicate
-- deliveries are kept for inspection but do not claim the id (a forged request cannot block the
-- real one).
CREATE UNIQUE INDEX webhook_deliveries_accepted_once
  ON webhook_deliveries (repo_id, delivery_id) WHERE verdict = 'accepted';
CREATE INDEX webhook_deliveries_received ON webhook_deliveries (received_at);
CREATE INDEX webhook_deliveries_unplanned ON webhook_deliveries (id) WHERE plan_state = 'pending';

CREATE TABLE pipelines (
  id             bigserial PRIMARY KEY,
  repo_id        bigint NOT NULL REFERENCES repos (id) ON DELETE CASCADE,
  delivery_id    bigint REFERENCES webhook_deliveries (id) ON DELETE SET NULL,
  trigger        text NOT NULL CHECK (trigger IN ('push', 'tag', 'pull_request', 'schedule', 'manual')),
  ref            text NOT NULL,
  branch         text NOT NULL DEFAULT '',
  sha            text NOT NULL CHECK (sha ~ '^[0-9a-f]{40}([0-9a-f]{24})?$'),
  before_sha     text,
  pr_number      bigint,
  commit_message text NOT NULL DEFAULT '',
  author         text NOT NULL DEFAULT '',
  state          text NOT NULL DEFAULT 'pending'
                   CHECK (state IN ('pending', 'running', 'passed', 'failed', 'cancelled', 'error')),
  error          text,                              -- e.g. the config error with line and column
  config         jsonb,
  created_at     timestamptz NOT NULL DEFAULT now(),
  started_at     timestamptz,
  finished_at    timestamptz,
  CHECK (state <> 'error' OR error IS NOT NULL),
  CHECK (finished_at IS NULL OR state IN ('passed', 'failed', 'cancelled', 'error'))
);
CREATE INDEX pipelines_repo_branch ON pipelines (repo_id, branch, id DESC);
CREATE INDEX pipelines_repo_sha ON pipelines (repo_id, sha);

CREATE TABLE jobs (
  id               bigserial PRIMARY KEY,
  pipeline_id      bigint NOT NULL REFERENCES pipelines (id) ON DELETE CASCADE,
  tier             text NOT NULL CHECK (tier IN ('functionality', 'validation', 'training')),
  priority         smallint NOT NULL,               -- 0 functionality, 1 validation, 2 training
  state            text NOT NULL
                     CHECK (state IN ('blocked', 'queued', 'running', 'passed', 'failed',
                                      'timed_out', 'cancelled', 'error', 'skipped')),
  needs            text[] NOT NULL DEFAULT '{}',
  image            text NOT NULL,
  command          text NOT NULL,
  timeout_seconds  integer NOT NULL CHECK (timeout_seconds > 0),
  resources        jsonb NOT NULL DEFAULT '{}',
  network          text NOT NULL DEFAULT 'none' CHECK (network IN ('none', 'bridge')),
  env              jsonb NOT NULL DEFAULT '{}',
  cancel_superseded boolean NOT NULL DEFAULT false,
  attempt          integer NOT NULL DEFAULT 0 CHECK (attempt >= 0),
  max_attempts     integer NOT NULL DEFAULT 3 CHECK (max_attempts >= 1),
  runner_id        bigint REFERENCES runners (id) ON DELETE SET NULL,
  lease_expires_at timestamptz,
  cancel_requested boolean NOT NULL DEFAULT false,
  exit_code        integer,
  message          text,
  log_bytes        bigint NOT NULL DEFAULT 0 CHECK (log_bytes >= 0),
  log_truncated    boolean NOT NULL DEFAULT false,
  created_at       timestamptz NOT NULL DEFAULT now(),
  queued_at        timestamptz,
  started_at       timestamptz,
  finished_at      timestamptz,
  UNIQUE (pipeline_id, tier),
  -- A running job always has a runner and a lease; a job that is not running has no lease.
  CHECK ((state = 'running') = (lease_expires_at IS NOT NULL)),
  CHECK (state <> 'running' OR runner_id IS NOT NULL),
  CHECK (attempt <= max_attempts),
  CHECK (finished_at IS NULL OR state IN ('passed', 'failed', 'timed_out', 'cancelled', 'error', 'skipped'))
);
CREATE INDEX jobs_claimable ON jobs (priority, queued_at, id) WHERE state = 'queued';
CREATE INDEX jobs_running_lease ON jobs (lease_expires_at) WHERE state = 'running';
CREATE INDEX jobs_pipeline ON jobs (pipeline_id);

-- Every attempt of a job on a runner: a lease that expires ends the attempt and re-queues the job.
CREATE TABLE job_attempts (
  job_id     bigint NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
  attempt    integer NOT NULL CHECK (attempt >= 1),
  runner_id  bigint REFERENCES runners (id) ON DELETE SET NULL,
  started_at timestamptz NOT NULL DEFAULT now(),
  ended_at   timestamptz,
  outcome    text CHECK (outcome IN ('passed', 'failed', 'timed_out', 'cancelled', 'error', 'lease_expired')),
  PRIMARY KEY (job_id, attempt)
);

-- State changes of pipelines and jobs, with timestamps.
CREATE TABLE state_changes (
  id          bigserial PRIMARY KEY,
  pipeline_id bigint NOT NULL REFERENCES pipelines (id) ON DELETE CASCADE,
  job_id      bigint REFERENCES jobs (id) ON DELETE CASCADE,
  from_state  text,
  to_state    text NOT NULL,
  detail      text NOT NULL DEFAULT '',
  at          timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX state_changes_pipeline ON state_changes (pipeline_id, id);

-- Log chunks at byte offsets: a retried chunk (same job, attempt and offset) is stored once.
CREATE TABLE job_logs (
  job_id      bigint NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
  attempt     integer NOT NULL DEFAULT 1,
  byte_offset bigint NOT NULL CHECK (byte_offset >= 0),
  data        bytea NOT NULL,
  PRIMARY KEY (job_id, attempt, byte_offset)
);

CREATE TABLE test_cases (
  id           bigserial PRIMARY KEY,
  job_id       bigint NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
  name         text NOT NULL,
  classname    text NOT NULL DEFAULT '',
  status       text NOT NULL CHECK (status IN ('passed', 'failed', 'error', 'skipped')),
  time_seconds double precision NOT NULL DEFAULT 0,
  message      text NOT NULL DEFAULT '',
  mltest       text[] NOT NULL DEFAULT '{}'
);
CREATE INDEX test_cases_job ON test_cases (job_id);

CREATE TABLE metrics (
  id          bigserial PRIMARY KEY,
  job_id      bigint NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
  name        text NOT NULL CHECK (name <> ''),
  slice_key   text NOT NULL DEFAULT '',             -- '' for a global metric
  slice_value text NOT NULL DEFAULT '',
  n           bigint CHECK (n IS NULL OR n >= 0),
  value       double precision NOT NULL,            -- NaN and infinities are kept: the gate fails them
  CHECK (slice_key <> '' OR slice_value = ''),
  UNIQUE (job_id, name, slice_key, slice_value)
);

CREATE TABLE predictions (
  job_id     bigint NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
  example_id text NOT NULL,
  label      text NOT NULL,
  score      double precision,
  PRIMARY KEY (job_id, example_id)
);

CREATE TABLE deployments (
  id                     bigserial PRIMARY KEY,
  repo_id                bigint NOT NULL REFERENCES repos (id) ON DELETE CASCADE,
  environment            text NOT NULL CHECK (environment ~ '^[A-Za-z0-9_.-]{1,100}$'),
  sha                    text NOT NULL CHECK (sha ~ '^[0-9a-f]{40}([0-9a-f]{24})?$'),
  kind                   text NOT NULL DEFAULT 'deploy' CHECK (kind IN ('deploy', 'rollback')),
  rolled_back_from       bigint REFERENCES deployments (id),
  gate_decision_id       bigint,
  forced                 boolean NOT NULL DEFAULT false,
  reason                 text,
  actor                  text NOT NULL,
  created_at             timestamptz NOT NULL DEFAULT now(),
  CHECK (NOT forced OR (reason IS NOT NULL AND reason <> '')),
  CHECK ((kind = 'rollback') = (rolled_back_from IS NOT NULL))
);
CREATE INDEX deployments_current ON deployments (repo_id, environment, id DESC);

CREATE TABLE gate_decisions (
  id              bigserial PRIMARY KEY,
  repo_id         bigint NOT NULL REFERENCES repos (id) ON DELETE CASCADE,
  sha             text NOT NULL CHECK (sha ~ '^[0-9a-f]{40}([0-9a-f]{24})?$'),
  environment     text NOT NULL,
  decision        text NOT NULL CHECK (decision IN ('allow', 'deny', 'pending')),
  baseline_sha    text,
  baseline_deployment_id bigint REFERENCES deployments (id) ON DELETE SET NULL,
  checks          jsonb NOT NULL,
  inputs          jsonb NOT NULL,                    -- everything the engine saw, to explain it later
  source          text NOT NULL DEFAULT 'api' CHECK (source IN ('api', 'protection_rule', 'status')),
  created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX gate_decisions_lookup ON gate_decisions (repo_id, sha, environment, id DESC);
ALTER TABLE deployments ADD CONSTRAINT deployments_gate_decision_fk
  FOREIGN KEY (gate_decision_id) REFERENCES gate_decisions (id) ON DELETE SET NULL;

CREATE TABLE audit_log (
  id         bigserial PRIMARY KEY,
  at         timestamptz NOT NULL DEFAULT now(),
  actor      text NOT NULL,
  action     text NOT NULL,
  repo_id    bigint REFERENCES repos (id) ON DELETE SET NULL,
  details    jsonb NOT NULL DEFAULT '{}'
);

-- Nightly runs: one row per (repo, tier, scheduled minute) makes a double fire impossible.
CREATE TABLE schedules (
  id            bigserial PRIMARY KEY,
  repo_id       bigint NOT NULL REFERENCES repos (id) ON DELETE CASCADE,
  tier          text NOT NULL CHECK (tier IN ('functionality', 'validation', 'training')),
  cron          text NOT NULL,
  scheduled_for timestamptz NOT NULL,
  pipeline_id   bigint REFERENCES pipelines (id) ON DELETE SET NULL,
  fired_at      timestamptz NOT NULL DEFAULT now(),
  UNIQUE (repo_id, tier, scheduled_for)
);

-- Forge feedback (commit statuses, deployment protection callbacks) sent off the request path.
CREATE TABLE forge_outbox (
  id            bigserial PRIMARY KEY,
  repo_id       bigint NOT NULL REFERENCES repos (id) ON DELETE CASCADE,
  kind          text NOT NULL CHECK (kind IN ('commit_status', 'protection_callback')),
  method        text NOT NULL DEFAULT 'POST',
  url           text NOT NULL,
  body          jsonb NOT NULL,
  attempts      integer NOT NULL DEFAULT 0,
  next_attempt_at timestamptz NOT NULL DEFAULT now(),
  last_error    text,
  sent_at       timestamptz,
  created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX forge_outbox_due ON forge_outbox (next_attempt_at) WHERE sent_at IS NULL;
