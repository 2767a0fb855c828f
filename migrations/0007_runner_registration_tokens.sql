-- Runner registration tokens serve the whole server (docs/security.md, "Routes and who may call
-- them"): a token with the runner-register scope has no other scope and is never restricted to a
-- repository. Made through POST /api/v1/runner-tokens, which only an unrestricted admin may call.
ALTER TABLE api_tokens
  ADD CONSTRAINT api_tokens_runner_register_alone CHECK (
    NOT ('runner-register' = ANY (scopes))
    OR (scopes = ARRAY['runner-register']::text[] AND repo_id IS NULL));
