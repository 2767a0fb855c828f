-- What is kept of a delivery whose signature was not verified (docs/intake.md, docs/security.md):
-- its headers, its size, the SHA-256 of its body and at most the body's first 64 KiB. Verified
-- deliveries keep their whole body, which replay needs.
ALTER TABLE webhook_deliveries
  ADD COLUMN verified       boolean,
  ADD COLUMN body_bytes     bigint,
  ADD COLUMN body_sha256    text,
  ADD COLUMN body_truncated boolean NOT NULL DEFAULT false;
-- Rows stored before: every body is whole. A rejected or invalid row, or one without a
-- repository, counts as unverified.
UPDATE webhook_deliveries
   SET verified = verdict IN ('accepted', 'duplicate', 'ignored') AND repo_id IS NOT NULL,
       body_bytes = octet_length(body),
       body_sha256 = encode(sha256(body), 'hex');
ALTER TABLE webhook_deliveries
  ALTER COLUMN verified SET NOT NULL,
  ALTER COLUMN body_bytes SET NOT NULL,
  ALTER COLUMN body_sha256 SET NOT NULL,
  ADD CONSTRAINT webhook_deliveries_body_bytes CHECK (body_bytes >= octet_length(body)),
  ADD CONSTRAINT webhook_deliveries_body_sha256 CHECK (body_sha256 ~ '^[0-9a-f]{64}$'),
  ADD CONSTRAINT webhook_deliveries_body_truncated
    CHECK (body_truncated = (octet_length(body) < body_bytes)),
  ADD CONSTRAINT webhook_deliveries_verified_whole CHECK (NOT body_truncated OR NOT verified),
  ADD CONSTRAINT webhook_deliveries_accepted_verified
    CHECK (verified OR verdict NOT IN ('accepted', 'duplicate'));
-- A row inserted without them (by hand, or by an older writer) gets them from its own body: whole,
-- and verified when its verdict says it was.
CREATE FUNCTION webhook_deliveries_body_facts() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.body_bytes IS NULL THEN NEW.body_bytes := octet_length(NEW.body); END IF;
  IF NEW.body_sha256 IS NULL THEN NEW.body_sha256 := encode(sha256(NEW.body), 'hex'); END IF;
  IF NEW.verified IS NULL THEN
    NEW.verified := NEW.verdict IN ('accepted', 'duplicate', 'ignored') AND NEW.repo_id IS NOT NULL;
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER webhook_deliveries_body_facts BEFORE INSERT ON webhook_deliveries
  FOR EACH ROW EXECUTE FUNCTION webhook_deliveries_body_facts();
-- The bound on unverified deliveries sums their rows oldest first, overall and per repository.
CREATE INDEX webhook_deliveries_unverified ON webhook_deliveries (repo_id, id) WHERE NOT verified;
