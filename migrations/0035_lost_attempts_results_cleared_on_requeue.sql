-- What a lost attempt uploaded is now deleted when its job is queued again (store::requeue_lost),
-- not when the next attempt is claimed: the claim's three DELETEs found nothing on nearly every
-- claim, yet each fired its two statement triggers (the gate's notification, the compact
-- documents), six PL/pgSQL calls per claim group. Jobs queued again by an older server still hold
-- their lost attempt's rows: they are deleted here, as their next claim would have.
DELETE FROM test_cases WHERE job_id IN (SELECT id FROM jobs WHERE state = 'queued' AND attempt > 0);
DELETE FROM metrics WHERE job_id IN (SELECT id FROM jobs WHERE state = 'queued' AND attempt > 0);
DELETE FROM predictions WHERE job_id IN (SELECT id FROM jobs WHERE state = 'queued' AND attempt > 0);
