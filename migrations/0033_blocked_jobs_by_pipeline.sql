-- "Has this job's pipeline a blocked job?" (the group finish leaves such a job to the single
-- finish, which settles the pipeline's dependants). Answered through jobs_open_pipeline, it read
-- every queued job of every pipeline and kept the blocked ones: the finish's generic plan hashed
-- that subquery once per execution, and with 20,000 one-job pipelines queued it read 20,000 index
-- entries and heap rows for each group of finished jobs (auto_explain on the claims benchmark).
-- Blocked jobs alone are few: a pipeline's later tiers while its earlier ones run.
CREATE INDEX jobs_blocked_pipeline ON jobs (pipeline_id) WHERE state = 'blocked';
