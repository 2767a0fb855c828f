-- Repeats for seed variance (docs/gate.md "Repeats"): a tier with `repeat: N` runs as N jobs of one
-- pipeline, numbered 0..N-1 (MLGATE_REPEAT in the job's environment). Every job stored before is
-- repeat 0 of its tier, the only one.
ALTER TABLE jobs
  ADD COLUMN repeat integer NOT NULL DEFAULT 0,
  ADD CONSTRAINT jobs_repeat_range CHECK (repeat >= 0 AND repeat < 10),
  DROP CONSTRAINT jobs_pipeline_id_tier_key,
  ADD CONSTRAINT jobs_pipeline_id_tier_repeat_key UNIQUE (pipeline_id, tier, repeat);
