-- "Is there a newer pipeline of this commit?" (the forge reporter's latest_for_sha for every
-- pipeline whose state changed; the gate's and the pages' newest pipeline of a commit) walked every
-- pipeline of the commit through pipelines_repo_sha and read each one's row for its id: a commit
-- run many times (schedules on the same head, manual runs, re-runs; the claims benchmark's 20,000
-- one-job pipelines of one sha) made each lookup cost as many heap reads as the commit has
-- pipelines (an index scan's subplan was 11 % of the machine's CPU during that benchmark). With
-- the id in the index, the newer pipeline, or the newest, is the next entry.
CREATE INDEX pipelines_repo_sha_id ON pipelines (repo_id, sha, id);
DROP INDEX pipelines_repo_sha;
