-- Tocsin store schema, PostgreSQL flavour. Timestamps are epoch milliseconds (BIGINT), levels are
-- lowercase names (`blue` .. `red`), ids are TEXT. Keep in step with migrations/sqlite.

-- Acknowledged readings, idempotent on (sensor, metric, ts).
CREATE TABLE readings (
    sensor TEXT             NOT NULL,
    metric TEXT             NOT NULL,
    ts     BIGINT           NOT NULL,
    value  DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (sensor, metric, ts)
);

-- Every configuration generation that ran, with its counts.
CREATE TABLE generations (
    id          TEXT   PRIMARY KEY,
    hash        TEXT   NOT NULL,
    created_at  BIGINT NOT NULL,
    domains     BIGINT NOT NULL,
    metrics     BIGINT NOT NULL,
    rules       BIGINT NOT NULL,
    districts   BIGINT NOT NULL,
    departments BIGINT NOT NULL,
    assets      BIGINT NOT NULL,
    sensors     BIGINT NOT NULL
);

-- The exact text of each generation's files, for auditors.
CREATE TABLE generation_sources (
    generation TEXT NOT NULL REFERENCES generations (id),
    path       TEXT NOT NULL,
    text       TEXT NOT NULL,
    PRIMARY KEY (generation, path)
);

-- Standing alarms (a rule's level above none for one sensor), to restore engine state on restart.
CREATE TABLE alarms (
    rule   TEXT   NOT NULL,
    sensor TEXT   NOT NULL,
    asset  TEXT   NOT NULL,
    hazard TEXT   NOT NULL,
    level  TEXT   NOT NULL CHECK (level IN ('blue', 'yellow', 'orange', 'red')),
    since  BIGINT NOT NULL,
    PRIMARY KEY (rule, sensor)
);

-- Warnings, open and cleared.
CREATE TABLE warnings (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    asset       TEXT   NOT NULL,
    hazard      TEXT   NOT NULL,
    domain      TEXT   NOT NULL,
    district    TEXT   NOT NULL,
    department  TEXT   NOT NULL,
    state       TEXT   NOT NULL CHECK (state IN ('open', 'cleared')),
    level       TEXT   NOT NULL CHECK (level IN ('blue', 'yellow', 'orange', 'red')),
    peak_level  TEXT   NOT NULL CHECK (peak_level IN ('blue', 'yellow', 'orange', 'red')),
    opened_at   BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL,
    cleared_at  BIGINT,
    rule        TEXT   NOT NULL,
    sensor      TEXT   NOT NULL,
    generation  TEXT   NOT NULL,
    message     TEXT   NOT NULL
);

-- At most one open warning per (asset, hazard).
CREATE UNIQUE INDEX warnings_one_open ON warnings (asset, hazard) WHERE state = 'open';
CREATE INDEX warnings_by_update ON warnings (updated_at DESC, id DESC);
CREATE INDEX warnings_by_state ON warnings (state, updated_at DESC);

-- Every level change of a warning, with the readings that justified it.
CREATE TABLE warning_history (
    warning    BIGINT NOT NULL REFERENCES warnings (id),
    seq        BIGINT NOT NULL,
    from_level TEXT CHECK (from_level IN ('blue', 'yellow', 'orange', 'red')),
    to_level   TEXT CHECK (to_level IN ('blue', 'yellow', 'orange', 'red')),
    ts         BIGINT NOT NULL,
    rule       TEXT   NOT NULL,
    sensor     TEXT   NOT NULL,
    generation TEXT   NOT NULL,
    message    TEXT   NOT NULL,
    evidence   JSONB  NOT NULL,
    PRIMARY KEY (warning, seq)
);

-- Device faults; at most one active per (sensor, metric, kind).
CREATE TABLE faults (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    sensor     TEXT    NOT NULL,
    metric     TEXT    NOT NULL,
    kind       TEXT    NOT NULL CHECK (kind IN ('offline', 'out_of_range')),
    active     BOOLEAN NOT NULL,
    raised_at  BIGINT  NOT NULL,
    cleared_at BIGINT,
    detail     TEXT    NOT NULL,
    generation TEXT    NOT NULL
);

CREATE UNIQUE INDEX faults_one_active ON faults (sensor, metric, kind) WHERE active;
CREATE INDEX faults_by_sensor ON faults (sensor, raised_at DESC);
