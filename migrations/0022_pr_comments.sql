-- Pull/merge-request reports (docs/forge-feedback.md, "Pull-request reports"): mlgate posts one
-- comment on a pull request (GitHub) or merge request (GitLab) and then edits it in place as tiers
-- finish and gates decide, through forge_outbox with its leases, retries and order.

-- On unless the repository turns it off (repo add --pr-comments off).
ALTER TABLE repos ADD COLUMN pr_comments boolean NOT NULL DEFAULT true;

-- The one comment of a pull request: its forge id once the POST that created it was answered, so
-- that later reports edit it (PATCH on GitHub, PUT on GitLab). `posting_since` is when the first
-- POST was tried without a known id: a POST retried after an answer was lost looks for the
-- comment mlgate wrote (its hidden marker) among the comments made since then before it posts.
CREATE TABLE pr_comments (
  repo_id       bigint NOT NULL REFERENCES repos (id) ON DELETE CASCADE,
  pr_number     bigint NOT NULL CHECK (pr_number > 0),
  comment_id    text CHECK (comment_id ~ '^[0-9]{1,20}$'),
  posting_since timestamptz,
  created_at    timestamptz NOT NULL DEFAULT now(),
  updated_at    timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (repo_id, pr_number)
);

ALTER TABLE forge_outbox DROP CONSTRAINT forge_outbox_kind_check;
ALTER TABLE forge_outbox ADD CONSTRAINT forge_outbox_kind_check
  CHECK (kind IN ('commit_status', 'protection_callback', 'notification', 'pr_comment'));
