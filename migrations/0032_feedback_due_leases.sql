-- Two replicas' forge reporters read the same due pipelines and reported each of them twice (the
-- same statuses queued twice when their passes overlapped). A pass now leases what it reports
-- (store::lease_due_feedback): another replica's pass skips a leased pipeline until the lease is
-- given back (reported, postponed) or ends (the replica died mid-pass).
ALTER TABLE feedback_due ADD COLUMN leased_until timestamptz;
