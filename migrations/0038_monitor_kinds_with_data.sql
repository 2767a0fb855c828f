-- The rubric credits a production check (monitor-2/3/4/7) only when the environment's monitor
-- evaluated that kind with data within 24 hours (docs/monitoring.md, "The rubric sees
-- production"). `kinds` is every configured kind, so a quality check without enough truths, a
-- staleness check without a training time or a skew check without a reference earned its point
-- whenever the window held any row. `data_kinds`: the kinds with a finding that rests on data.
-- Rows written before this column have NULL and are read as before (they age out within a day).
ALTER TABLE monitor_evaluations ADD COLUMN data_kinds text[];
