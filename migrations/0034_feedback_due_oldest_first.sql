-- The forge reporter leases the oldest due pipelines first (store::lease_due_feedback: ORDER BY
-- since, pipeline_id LIMIT 20). Without an index in that order every pass read and sorted the
-- whole table; when pipelines end faster than the reporter reports them the table grows, each pass
-- gets slower, and the reporter falls further behind (18 ms per pass, the largest statement of
-- PostgreSQL's time per job in the claims benchmark, pg_stat_statements). With it a pass reads its
-- 20 rows, and the few leased by other passes, from the start of the index.
CREATE INDEX feedback_due_oldest ON feedback_due (since, pipeline_id);
