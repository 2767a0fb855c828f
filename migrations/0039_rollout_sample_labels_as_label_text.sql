-- A rollout sample's label is compared with the truth that arrives later as label text, where a
-- whole number written as a decimal is that integer (core/label_text.h: `1.0` is `1`). Samples
-- stored before that rule kept such a label as its JSON text (`1.0`, `-3.0`): the truth attached
-- after an upgrade (`1`) would never equal it, and the candidate's accuracy would read 0. They are
-- written as the rule writes them (whole numbers below 10^15, exactly representable; a string
-- label spelled so, kept without its quotes by the samples, reads the same way).
UPDATE rollout_samples SET label = regexp_replace(label, '\.0$', '')
WHERE label ~ '^-?[0-9]{1,15}\.0$';
