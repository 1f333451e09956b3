-- Coupling, shadow rules and hot reload, SQLite flavour. Keep in step with migrations/postgres.

-- The upstream warnings whose cascades raised a warning's likelihood, as of its latest raise
-- (a JSON array of {cascade, asset, hazard, level, raise_likelihood}); a clear keeps them.
ALTER TABLE warnings ADD COLUMN causes TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(causes));

-- Per level change: its causes, and what a script or composite rule gave as evidence (JSON).
ALTER TABLE warning_history ADD COLUMN causes TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(causes));
ALTER TABLE warning_history ADD COLUMN details TEXT NOT NULL DEFAULT 'null' CHECK (json_valid(details));

-- New counts of a generation, and its activations: `activated_at` is when it last went into force
-- (NULL: stored but never activated), `changes` the diff against the generation it replaced.
ALTER TABLE generations ADD COLUMN receptors INTEGER NOT NULL DEFAULT 0;
ALTER TABLE generations ADD COLUMN edges INTEGER NOT NULL DEFAULT 0;
ALTER TABLE generations ADD COLUMN cascades INTEGER NOT NULL DEFAULT 0;
ALTER TABLE generations ADD COLUMN activated_at INTEGER;
ALTER TABLE generations ADD COLUMN changes TEXT CHECK (changes IS NULL OR json_valid(changes));
CREATE INDEX generations_by_activation ON generations (activated_at DESC, created_at DESC);

-- What shadow rules (`shadow: true`) would have raised: recorded, never raised.
CREATE TABLE shadow_findings (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    rule       TEXT    NOT NULL,
    sensor     TEXT    NOT NULL,
    asset      TEXT    NOT NULL,
    hazard     TEXT    NOT NULL,
    from_level TEXT CHECK (from_level IN ('blue', 'yellow', 'orange', 'red')),
    to_level   TEXT CHECK (to_level IN ('blue', 'yellow', 'orange', 'red')),
    ts         INTEGER NOT NULL,
    message    TEXT    NOT NULL,
    generation TEXT    NOT NULL
);

CREATE INDEX shadow_findings_by_time ON shadow_findings (ts DESC, id DESC);
CREATE INDEX shadow_findings_by_rule ON shadow_findings (rule, ts DESC, id DESC);
