-- What the example metrics read from predictions.jsonl (docs/results.md, docs/gate.md
-- "Statistics"): the example's truth (label text, or a regression target as the text of its
-- number), a regression prediction, the slice features (an object of strings) and the per-label
-- probabilities (an object of numbers, "NaN", "Infinity" or "-Infinity" as strings). NULL where a
-- line has none, and on every row stored before.
ALTER TABLE predictions
  ADD COLUMN truth  text,
  ADD COLUMN value  double precision,
  ADD COLUMN slices jsonb,
  ADD COLUMN scores jsonb,
  ADD CONSTRAINT predictions_slices_object
    CHECK (slices IS NULL OR jsonb_typeof(slices) = 'object'),
  ADD CONSTRAINT predictions_scores_object
    CHECK (scores IS NULL OR jsonb_typeof(scores) = 'object');
