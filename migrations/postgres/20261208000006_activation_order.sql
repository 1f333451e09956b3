-- The order in which generations went into force, apart from the clock: two activations within
-- one millisecond (a quick reload, a virtual clock) used to list in hash order. `activation` is
-- 1, 2, 3 ... per activation (NULL: never activated); existing rows are numbered by their last
-- activation time.
ALTER TABLE generations ADD COLUMN activation BIGINT;
UPDATE generations SET activation = (
    SELECT COUNT(*) FROM generations g2
    WHERE g2.activated_at IS NOT NULL
      AND (g2.activated_at < generations.activated_at
           OR (g2.activated_at = generations.activated_at AND g2.id <= generations.id))
) WHERE activated_at IS NOT NULL;
CREATE INDEX generations_by_activation_order ON generations (activation DESC);
