-- Silences and maintenance windows (src/notify/silence.rs): while one is active and matches a
-- warning's asset, sensor, district, domain and hazard (the matchers it names; NULL matches
-- anything), that warning's notifications are not sent: the outbox row is kept, marked
-- `suppressed`, with the silence id in `silenced_by`. A red warning is suppressed only once a
-- second person confirmed the silence (`confirmed_by` <> `author`). `expired_at` is set when a
-- person ends it early. Times are clock milliseconds.
CREATE TABLE silences (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    kind         TEXT    NOT NULL CHECK (kind IN ('silence', 'maintenance')),
    asset        TEXT,
    sensor       TEXT,
    district     TEXT,
    domain       TEXT,
    hazard       TEXT,
    starts_at    INTEGER NOT NULL,
    ends_at      INTEGER NOT NULL,
    reason       TEXT    NOT NULL,
    author       TEXT    NOT NULL,
    created_at   INTEGER NOT NULL,
    confirmed_by TEXT,
    confirmed_at INTEGER,
    expired_by   TEXT,
    expired_at   INTEGER,
    CHECK (ends_at > starts_at),
    CHECK (asset IS NOT NULL OR sensor IS NOT NULL OR district IS NOT NULL
           OR domain IS NOT NULL OR hazard IS NOT NULL)
);

CREATE INDEX silences_end ON silences (ends_at);

ALTER TABLE outbox ADD COLUMN silenced_by INTEGER REFERENCES silences (id);
