-- Notifications (docs/notifications.md): an event people should hear about (a gate deny or a
-- failed pipeline on a default branch, a forced deployment, a rollback, a monitor's change of
-- state) is POSTed as one documented JSON shape to each of the server's --notify-url targets and
-- the repository's own, through forge_outbox with its leases, retries and backoff.
ALTER TABLE forge_outbox DROP CONSTRAINT forge_outbox_kind_check;
ALTER TABLE forge_outbox ADD CONSTRAINT forge_outbox_kind_check
  CHECK (kind IN ('commit_status', 'protection_callback', 'notification'));

-- The repository's own targets, besides the server's (http:// or https:// URLs, no newline).
ALTER TABLE repos ADD COLUMN notify_urls text[] NOT NULL DEFAULT '{}';

-- `context` names the event ("notify/gate.denied/pipeline/42/production"): an event is queued once
-- per target, whichever replica notices it first.
CREATE UNIQUE INDEX forge_outbox_notification_once ON forge_outbox (repo_id, context, url)
  WHERE kind = 'notification';
