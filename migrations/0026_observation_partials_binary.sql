-- Observation intake (docs/observations.md): a batch's partial profiles are stored as compact
-- bytes (core/feature_profile_binary.h) in profile_bin rather than as jsonb. Measured under
-- `scripts/bench observe`, formatting every sampled number as JSON text, and PostgreSQL parsing
-- it again into jsonb (numeric), cost more than parsing the batch itself. Rows written before
-- keep their jsonb `profile`; readers take whichever of the two a row has. The bytes are mostly
-- doubles, which do not compress: stored out of line without compressing them.
ALTER TABLE observation_partials ALTER COLUMN profile DROP NOT NULL;
ALTER TABLE observation_partials ADD COLUMN profile_bin bytea;
ALTER TABLE observation_partials ALTER COLUMN profile_bin SET STORAGE EXTERNAL;
-- NOT VALID: every older row has its jsonb and no bytes; checking them would hold the table's lock
-- (and the observation intake) through a scan of all of them.
ALTER TABLE observation_partials ADD CONSTRAINT observation_partials_one_profile
  CHECK ((profile IS NULL) <> (profile_bin IS NULL)) NOT VALID;
