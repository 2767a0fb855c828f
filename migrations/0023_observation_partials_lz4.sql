-- Observation intake (docs/observations.md): each batch stores one partial profile per storage
-- window, a jsonb of a few tens of kilobytes (its numeric features' samples). PostgreSQL compresses
-- such values when it moves them out of line (TOAST), with pglz by default: measured under
-- `scripts/bench observe`, pglz_compress took about a third of PostgreSQL's CPU. lz4 compresses
-- them several times faster at a similar size. Applies to the rows written from now on; rows
-- already stored stay as they are (both read the same).
ALTER TABLE observation_partials ALTER COLUMN profile SET COMPRESSION lz4;
