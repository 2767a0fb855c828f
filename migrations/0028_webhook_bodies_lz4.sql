-- Webhook intake (docs/webhooks.md): every accepted delivery stores its body, a push payload of
-- several kilobytes that PostgreSQL compresses when it moves it out of line (TOAST), with pglz by
-- default; pglz_compress showed in PostgreSQL's profile under `scripts/bench webhooks`, and the
-- planner reads each body back once. lz4 compresses and decompresses several times faster at a
-- similar size. Applies to the rows written from now on; rows already stored stay as they are (both
-- read the same).
ALTER TABLE webhook_deliveries ALTER COLUMN body SET COMPRESSION lz4;
