-- Coupling, shadow rules and hot reload, PostgreSQL flavour. Keep in step with migrations/sqlite.

-- The upstream warnings whose cascades raised a warning's likelihood, as of its latest raise
-- (a JSON array of {cascade, asset, hazard, level, raise_likelihood}); a clear keeps them.
ALTER TABLE warnings ADD COLUMN causes JSONB NOT NULL DEFAULT '[]'::jsonb;

-- Per level change: its causes, and what a script or composite rule gave as evidence (JSON).
ALTER TABLE warning_history ADD COLUMN causes JSONB NOT NULL DEFAULT '[]'::jsonb;
ALTER TABLE warning_history ADD COLUMN details JSONB NOT NULL DEFAULT 'null'::jsonb;

-- New counts of a generation, and its activations: `activated_at` is when it last went into force
-- (NULL: stored but never activated), `changes` the diff against the generation it replaced.
ALTER TABLE generations ADD COLUMN receptors BIGINT NOT NULL DEFAULT 0;
ALTER TABLE generations ADD COLUMN edges BIGINT NOT NULL DEFAULT 0;
ALTER TABLE generations ADD COLUMN cascades BIGINT NOT NULL DEFAULT 0;
ALTER TABLE generations ADD COLUMN activated_at BIGINT;
ALTER TABLE generations ADD COLUMN changes JSONB;
CREATE INDEX generations_by_activation ON generations (activated_at DESC NULLS LAST, created_at DESC);

-- What shadow rules (`shadow: true`) would have raised: recorded, never raised.
CREATE TABLE shadow_findings (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    rule       TEXT   NOT NULL,
    sensor     TEXT   NOT NULL,
    asset      TEXT   NOT NULL,
    hazard     TEXT   NOT NULL,
    from_level TEXT CHECK (from_level IN ('blue', 'yellow', 'orange', 'red')),
    to_level   TEXT CHECK (to_level IN ('blue', 'yellow', 'orange', 'red')),
    ts         BIGINT NOT NULL,
    message    TEXT   NOT NULL,
    generation TEXT   NOT NULL
);

CREATE INDEX shadow_findings_by_time ON shadow_findings (ts DESC, id DESC);
CREATE INDEX shadow_findings_by_rule ON shadow_findings (rule, ts DESC, id DESC);
