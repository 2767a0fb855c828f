-- Jobs not yet started, by pipeline: what a new pipeline supersedes is looked up among these few
-- rows, not among every job of every older pipeline of the branch (docs/intake.md, "Planning").
CREATE INDEX jobs_open_pipeline ON jobs (pipeline_id) WHERE state IN ('queued', 'blocked');
